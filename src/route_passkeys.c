/*
 * Passkeys (docs/api.md, "Passkeys"): the six routes around webauthn.c,
 * which verifies, and pg_passkeys.c / redis_passkey.c, which keep.
 *
 * What must hold here:
 *  - a challenge is 32 random bytes, kept in Redis in a session of its own
 *    for session_ttl and taken (ended) by the first answer that names it,
 *    right or wrong: a challenge is never judged twice;
 *  - every refusal is 400 passkey_invalid, whatever the rule broken (the
 *    log names it), counted as a failure against the client, and against
 *    the account's number once the credential names an account, as a wrong
 *    password is; a blocked client gets 429 before anything is judged;
 *  - a login with a passkey is a whole sign-in: it begins a login (family)
 *    as a password does, and needs no second factor (user verification is
 *    one); a banned account gets 403 user_banned;
 *  - a stored counter only moves when a login verified, and a login whose
 *    counter went back (a cloned authenticator) changes nothing.
 */
#include "phoneauth/route_passkeys.h"

#include <string.h>

#include <openssl/crypto.h>

#include "phoneauth/base64url.h"
#include "phoneauth/bearer.h"
#include "phoneauth/event_record.h"
#include "phoneauth/fields.h"
#include "phoneauth/limits.h"
#include "phoneauth/log.h"
#include "phoneauth/metrics.h"
#include "phoneauth/pg_passkeys.h"
#include "phoneauth/random.h"
#include "phoneauth/redis_passkey.h"
#include "phoneauth/session.h"
#include "phoneauth/text.h"
#include "phoneauth/token_pair.h"
#include "phoneauth/webauthn.h"

#define CHALLENGE_BYTES 32
#define NAME_MAX_CHARS 64
#define PASSKEYS_MAX 20		/* an account's */
#define TRANSPORTS_MAX 8

/* A refusal: counted against the client and `phone` (NULL: no account
 * known yet), 400 passkey_invalid (429 when that failure blocked already). */
static void
refuse(struct ctx *ctx, const char *phone, const char *why)
{
	log_info("passkey refused: %s", why);
	if (limits_fail_or_reply(ctx, phone, FAILURE_PASSKEY))
		response_error(ctx->resp, ERR_PASSKEY_INVALID, ctx->req->lang);
}

/* A fresh random value of n bytes, base64url; false with 500 set. */
static bool
fresh_or_reply(struct ctx *ctx, size_t n, char *out, size_t outsize)
{
	unsigned char b[CHALLENGE_BYTES];

	if (n > sizeof b || !random_bytes(b, n) || !base64url_encode(b, n, out, outsize)) {
		ctx_reply_internal(ctx);
		return false;
	}
	return true;
}

/* A new challenge kept in session `sid`; false with the answer set. */
static bool
challenge_or_reply(struct ctx *ctx, enum rs_ceremony c, long long user_id,
    char sid[SESSION_ID_LEN + 1], char challenge[RS_CHALLENGE_MAX])
{
	struct rs_result res;
	enum store_status st;

	if (!fresh_or_reply(ctx, CHALLENGE_BYTES, challenge, RS_CHALLENGE_MAX))
		return false;
	session_new_id(sid);
	st = rs_passkey_open(ctx->rs, ctx->req->client, sid, c, user_id, challenge, &res);
	return limits_verdict_or_reply(ctx, st, &res);
}

/* {type: "public-key", alg} */
static void
add_param(struct response *r, json_object *list, int alg)
{
	json_object *p = response_object(r);

	response_add_string(r, p, "type", "public-key");
	response_add_int(r, p, "alg", alg);
	response_append(r, list, p);
}

struct excluded {
	struct response *resp;
	json_object *list;
};

static void
exclude_one(const struct pg_passkey *p, void *arg)
{
	struct excluded *e = arg;
	json_object *c = response_object(e->resp);

	response_add_string(e->resp, c, "type", "public-key");
	response_add_string(e->resp, c, "id", p->id);
	response_append(e->resp, e->list, c);
}

void
route_passkeys_register_options(struct ctx *ctx)
{
	struct response *r = ctx->resp;
	char sid[SESSION_ID_LEN + 1], challenge[RS_CHALLENGE_MAX], fresh[PG_HANDLE_MAX];
	char handle[PG_HANDLE_MAX];
	struct token t;
	struct user u;
	struct excluded ex = { .resp = r };
	json_object *o, *pk, *rp, *user, *params, *sel;
	int n;

	if (!bearer_account_or_reply(ctx, &t, &u) ||
	    !fresh_or_reply(ctx, PG_HANDLE_BYTES, fresh, sizeof fresh) ||
	    !ctx_store_or_reply(ctx, pg_passkey_handle(ctx->pg, u.id, fresh, handle)))
		return;
	ex.list = response_array(r);
	if (!ctx_store_or_reply(ctx, pg_passkeys_list(ctx->pg, u.id, exclude_one, &ex, &n)) ||
	    !challenge_or_reply(ctx, RS_CEREMONY_REGISTER, u.id, sid, challenge)) {
		json_object_put(ex.list);
		return;
	}
	o = response_object(r);
	pk = response_object(r);
	rp = response_object(r);
	response_add_string(r, rp, "id", ctx->cfg->passkey_rp_id);
	response_add_string(r, rp, "name", ctx->cfg->passkey_rp_name != NULL ?
	    ctx->cfg->passkey_rp_name : ctx->cfg->sms_app_name);
	user = response_object(r);
	response_add_string(r, user, "id", handle);
	response_add_string(r, user, "name", u.phone);
	response_add_string(r, user, "displayName", u.phone);
	params = response_array(r);
	add_param(r, params, WEBAUTHN_ES256);
	add_param(r, params, WEBAUTHN_EDDSA);
	add_param(r, params, WEBAUTHN_RS256);
	sel = response_object(r);
	response_add_string(r, sel, "residentKey", "required");
	response_add_bool(r, sel, "requireResidentKey", true);
	response_add_string(r, sel, "userVerification", "required");
	response_add_string(r, pk, "challenge", challenge);
	response_add(r, pk, "rp", rp);
	response_add(r, pk, "user", user);
	response_add(r, pk, "pubKeyCredParams", params);
	response_add(r, pk, "authenticatorSelection", sel);
	response_add(r, pk, "excludeCredentials", ex.list);
	response_add_string(r, pk, "attestation", "none");
	response_add_int(r, pk, "timeout", (int64_t)ctx->cfg->session_ttl * 1000);
	response_add_string(r, o, "session_id", sid);
	response_add(r, o, "publicKey", pk);
	response_json(r, 200, o);
}

void
route_passkeys_login_options(struct ctx *ctx)
{
	struct response *r = ctx->resp;
	char sid[SESSION_ID_LEN + 1], challenge[RS_CHALLENGE_MAX];
	json_object *o, *pk;

	if (!challenge_or_reply(ctx, RS_CEREMONY_LOGIN, 0, sid, challenge))
		return;
	o = response_object(r);
	pk = response_object(r);
	response_add_string(r, pk, "challenge", challenge);
	response_add_string(r, pk, "rpId", ctx->cfg->passkey_rp_id);
	response_add_string(r, pk, "userVerification", "required");
	response_add(r, pk, "allowCredentials", response_array(r));
	response_add_int(r, pk, "timeout", (int64_t)ctx->cfg->session_ttl * 1000);
	response_add_string(r, o, "session_id", sid);
	response_add(r, o, "publicKey", pk);
	response_json(r, 200, o);
}

/* The string member `name` of o as a webauthn_text (absent: none). */
static struct webauthn_text
text_of(json_object *o, const char *name)
{
	struct webauthn_text t = { NULL, 0 };
	json_object *v;

	if (o != NULL && json_object_object_get_ex(o, name, &v) &&
	    json_object_is_type(v, json_type_string)) {
		t.s = json_object_get_string(v);
		t.len = (size_t)json_object_get_string_len(v);
	}
	return t;
}

/*
 * The body's `credential` (PublicKeyCredential.toJSON()): an object of type
 * "public-key" whose `id` is base64url of at most the largest credential id,
 * and its `response` object. NULL when it is not that.
 */
static json_object *
credential_of(struct ctx *ctx, const char **id, json_object **response)
{
	json_object *c, *v;
	struct webauthn_text t;

	if (ctx->req->body == NULL || !json_object_object_get_ex(ctx->req->body, "credential", &c) ||
	    !json_object_is_type(c, json_type_object))
		return NULL;
	if (json_object_object_get_ex(c, "type", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "public-key") != 0))
		return NULL;
	t = text_of(c, "id");
	if (t.s == NULL || t.len == 0 || t.len >= PG_CREDENTIAL_ID_MAX ||
	    BASE64URL_DECODED_LEN(t.len) > WEBAUTHN_CREDENTIAL_ID_MAX ||
	    strspn(t.s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != t.len)
		return NULL;
	if (!json_object_object_get_ex(c, "response", response) ||
	    !json_object_is_type(*response, json_type_object))
		return NULL;
	*id = t.s;
	return c;
}

/* The expectations of a ceremony whose challenge (base64url) was taken. */
static bool
expect_of(struct ctx *ctx, const char *challenge, unsigned char bytes[WEBAUTHN_CHALLENGE_MAX],
    struct webauthn_expect *want)
{
	size_t len = 0;

	if (!base64url_decode(challenge, strlen(challenge), bytes, WEBAUTHN_CHALLENGE_MAX, &len) ||
	    len != CHALLENGE_BYTES)
		return false;
	want->rp_id = ctx->cfg->passkey_rp_id;
	want->origins = (const char *const *)ctx->cfg->passkey_origin_list;
	want->n_origins = ctx->cfg->npasskey_origins;
	want->challenge = bytes;
	want->challenge_len = len;
	return true;
}

/*
 * Takes the challenge of the body's session for ceremony `c` (of account
 * user_id for a registration): false with the answer set (429, 503, or the
 * refusal of a session that is not there, counted against `phone`).
 */
static bool
taken_or_reply(struct ctx *ctx, const char *sid, enum rs_ceremony want, long long user_id,
    const char *phone, char challenge[RS_CHALLENGE_MAX])
{
	struct rs_result res;
	enum rs_ceremony c;
	long long uid;
	enum store_status st;

	if (!session_id_wellformed(sid)) {
		refuse(ctx, phone, "not a session id");
		return false;
	}
	st = rs_passkey_take(ctx->rs, ctx->req->client, sid, challenge, &c, &uid, &res);
	if (!limits_verdict_or_reply(ctx, st, &res))
		return false;
	if (res.verdict != RS_OK) {
		refuse(ctx, phone, "no challenge (spent, expired or never made)");
		return false;
	}
	if (c != want || uid != user_id) {
		refuse(ctx, phone, "a challenge of another ceremony or account");
		return false;
	}
	return true;
}

/* The optional name: at most 64 characters, no control characters; false
 * with 400 validation_failed. */
static bool
name_or_reply(struct ctx *ctx, const char **name)
{
	json_object *v;
	const char *s;
	size_t chars = 0;

	*name = "";
	if (!json_object_object_get_ex(ctx->req->body, "name", &v) || v == NULL)
		return true;
	if (!json_object_is_type(v, json_type_string)) {
		response_field_error(ctx->resp, "name", MSG_NOT_STRING, ctx->req->lang);
		response_validation_failed(ctx->resp, ctx->req->lang);
		return false;
	}
	s = json_object_get_string(v);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if ((*c & 0xc0) != 0x80)
			chars++;
		if (*c < 0x20 || *c == 0x7f)
			chars = NAME_MAX_CHARS + 1;
	}
	if (chars > NAME_MAX_CHARS) {
		response_field_error(ctx->resp, "name", MSG_BAD_TEXT, ctx->req->lang);
		response_validation_failed(ctx->resp, ctx->req->lang);
		return false;
	}
	*name = s;
	return true;
}

/* Whether account user_id may add a passkey: at most PASSKEYS_MAX, so that
 * a stolen access token cannot fill the table (400 validation_failed when
 * it has them all; 503 when PostgreSQL is away). */
static bool
room_or_reply(struct ctx *ctx, long long user_id)
{
	int n = 0;

	if (!ctx_store_or_reply(ctx, pg_passkeys_count(ctx->pg, user_id, &n)))
		return false;
	if (n < PASSKEYS_MAX)
		return true;
	response_field_error(ctx->resp, "credential", MSG_PASSKEYS_FULL, ctx->req->lang);
	response_validation_failed(ctx->resp, ctx->req->lang);
	return false;
}

/* response.transports: the known hints, comma-joined; others are left out. */
static void
transports_of(json_object *response, char *out, size_t outlen)
{
	static const char *const known[] = { "usb", "nfc", "ble", "internal", "hybrid",
	    "smart-card", "cable" };
	json_object *list;
	size_t used = 0, n;

	out[0] = '\0';
	if (!json_object_object_get_ex(response, "transports", &list) ||
	    !json_object_is_type(list, json_type_array))
		return;
	n = json_object_array_length(list);
	for (size_t i = 0; i < n && i < TRANSPORTS_MAX; i++) {
		json_object *e = json_object_array_get_idx(list, i);
		const char *s = json_object_is_type(e, json_type_string) ?
		    json_object_get_string(e) : "";

		for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
			size_t len = strlen(known[k]);

			if (strcmp(s, known[k]) == 0 && used + len + 2 < outlen) {
				if (used > 0)
					out[used++] = ',';
				memcpy(out + used, s, len + 1);
				used += len;
			}
		}
	}
}

void
route_passkeys_register(struct ctx *ctx)
{
	static const struct field fields[] = { { "session_id", F_SESSION } };
	struct response *r = ctx->resp;
	char challenge[RS_CHALLENGE_MAX], id[PG_CREDENTIAL_ID_MAX], transports[80];
	unsigned char bytes[WEBAUTHN_CHALLENGE_MAX];
	struct webauthn_attestation_response in;
	struct webauthn_credential cred;
	struct webauthn_expect want;
	enum webauthn_refusal why;
	struct pg_passkey added;
	struct event_record rec;
	struct inputs fin;
	struct token t;
	struct user u;
	json_object *resp, *o;
	const char *sent_id = NULL, *name;
	enum store_status st;

	if (!bearer_account_or_reply(ctx, &t, &u) ||
	    !fields_read_or_reply(ctx, fields, NFIELDS(fields), &fin) || !name_or_reply(ctx, &name) ||
	    !room_or_reply(ctx, u.id) ||
	    !taken_or_reply(ctx, fin.session_id, RS_CEREMONY_REGISTER, u.id, u.phone, challenge))
		return;
	if (credential_of(ctx, &sent_id, &resp) == NULL) {
		refuse(ctx, u.phone, "not a registration response");
		return;
	}
	if (!expect_of(ctx, challenge, bytes, &want)) {
		ctx_reply_internal(ctx);
		return;
	}
	in.raw_id = text_of(json_object_object_get_ex(ctx->req->body, "credential", &o) ? o : NULL,
	    "rawId");
	if (in.raw_id.s == NULL)
		in.raw_id = (struct webauthn_text){ sent_id, strlen(sent_id) };
	in.client_data_json = text_of(resp, "clientDataJSON");
	in.attestation_object = text_of(resp, "attestationObject");
	if (!webauthn_verify_registration(&want, &in, &cred, &why)) {
		if (why == WA_INTERNAL)
			ctx_reply_internal(ctx);
		else
			refuse(ctx, u.phone, webauthn_refusal_name(why));
		return;
	}
	if (!base64url_encode(cred.id, cred.id_len, id, sizeof id) || strcmp(id, sent_id) != 0) {
		refuse(ctx, u.phone, "id is not the credential's");
		return;
	}
	transports_of(resp, transports, sizeof transports);
	event_record_begin(&rec, ctx->req);
	event_record_change(&rec, ctx->req, EVENT_PASSKEY_ADDED, u.id, u.phone, "id", id, NULL,
	    NULL);
	st = pg_passkey_add(ctx->pg, u.id, id, &cred, transports, name, &rec.pg, &added);
	if (st == STORE_CONFLICT) {
		refuse(ctx, u.phone, "a credential registered already");
		return;
	}
	if (st == STORE_NOT_FOUND) {
		session_account_lost_reply(ctx, u.id, NULL, ERR_TOKEN_INVALID);
		return;
	}
	if (!ctx_store_or_reply(ctx, st))
		return;
	log_info("passkey %.8s... added to user %lld", id, u.id);
	o = response_object(r);
	response_add_string(r, o, "id", added.id);
	response_add_string(r, o, "name", added.name);
	response_add_string(r, o, "created_at", added.created_at);
	response_json(r, 201, o);
}

struct listing {
	struct response *resp;
	json_object *list;
};

static void
list_one(const struct pg_passkey *p, void *arg)
{
	struct listing *l = arg;
	json_object *o = response_object(l->resp);

	response_add_string(l->resp, o, "id", p->id);
	response_add_string(l->resp, o, "name", p->name);
	response_add_string(l->resp, o, "created_at", p->created_at);
	if (p->has_last_used)
		response_add_string(l->resp, o, "last_used_at", p->last_used_at);
	else
		response_add(l->resp, o, "last_used_at", NULL);
	response_append(l->resp, l->list, o);
}

void
route_passkeys_list(struct ctx *ctx)
{
	struct listing l = { .resp = ctx->resp };
	struct token t;
	struct user u;
	json_object *o;
	int n;

	if (!bearer_account_or_reply(ctx, &t, &u))
		return;
	l.list = response_array(ctx->resp);
	if (!ctx_store_or_reply(ctx, pg_passkeys_list(ctx->pg, u.id, list_one, &l, &n))) {
		json_object_put(l.list);
		return;
	}
	o = response_object(ctx->resp);
	response_add(ctx->resp, o, "passkeys", l.list);
	response_json(ctx->resp, 200, o);
}

void
route_passkey_delete(struct ctx *ctx)
{
	const char *id = ctx->req->path + strlen(PASSKEYS_PATH_PREFIX);
	size_t len = strlen(id);
	struct event_record rec;
	struct token t;
	struct user u;
	enum store_status st;
	json_object *o;

	if (!bearer_account_or_reply(ctx, &t, &u))
		return;
	if (len == 0 || len >= PG_CREDENTIAL_ID_MAX || strspn(id,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != len)
		st = STORE_NOT_FOUND;
	else {
		event_record_begin(&rec, ctx->req);
		event_record_change(&rec, ctx->req, EVENT_PASSKEY_REMOVED, u.id, u.phone, "id", id,
		    NULL, NULL);
		st = pg_passkey_delete(ctx->pg, u.id, id, &rec.pg);
	}
	if (st == STORE_NOT_FOUND) {
		response_error(ctx->resp, ERR_NOT_FOUND, ctx->req->lang);
		return;
	}
	if (!ctx_store_or_reply(ctx, st))
		return;
	log_info("passkey %.8s... of user %lld removed by its user", id, u.id);
	o = response_object(ctx->resp);
	response_add_string(ctx->resp, o, "message", msg_text(MSG_PASSKEY_REMOVED, ctx->req->lang));
	response_json(ctx->resp, 200, o);
}

/*
 * The login once the credential named account `u` and a try was taken
 * against the client and its number: judged, and on success a sign-in.
 */
static void
login_judged(struct ctx *ctx, const struct user *u, const char *id,
    const struct pg_passkey_key *key, const struct webauthn_expect *want,
    const struct webauthn_assertion_response *in, const char *device)
{
	const struct webauthn_public_key pk = { key->alg, key->public_key, key->public_key_len,
	    key->sign_count };
	char handle[PG_HANDLE_MAX];
	struct webauthn_assertion out;
	enum webauthn_refusal why;
	struct token_pair pair;
	struct login_origin from;
	struct event_record rec;
	enum store_status st;
	const char *wrong = NULL;

	if (u->is_banned) {
		if (limits_give_back_or_reply(ctx, u->phone, false))
			response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
		return;
	}
	if (!webauthn_verify_assertion(want, in, &pk, &out, &why)) {
		if (why == WA_INTERNAL) {
			(void)limits_give_back_or_reply(ctx, u->phone, false);
			ctx_reply_internal(ctx);
			return;
		}
		wrong = webauthn_refusal_name(why);
	} else if (!base64url_encode(out.user_handle, out.user_handle_len, handle, sizeof handle) ||
	    key->handle[0] == '\0' || strcmp(handle, key->handle) != 0) {
		wrong = "the userHandle is not the credential's account's";
	} else if ((st = pg_passkey_used(ctx->pg, id, u->id, key->sign_count,
	    out.sign_count)) == STORE_NOT_FOUND) {
		wrong = "the counter moved meanwhile";
	} else if (st != STORE_OK) {
		(void)limits_give_back_or_reply(ctx, u->phone, false);
		(void)ctx_store_or_reply(ctx, st);
		return;
	}
	if (wrong != NULL) {
		log_info("passkey refused: %s", wrong);
		limits_login_failed(ctx, u->phone, u->id, FAILURE_PASSKEY,
		    err_code(ERR_PASSKEY_INVALID));
		response_error(ctx->resp, ERR_PASSKEY_INVALID, ctx->req->lang);
		return;
	}
	if (!token_pair_issue_or_reply(ctx, u->id, &pair)) {
		(void)limits_give_back_or_reply(ctx, u->phone, false);
		return;
	}
	ctx_login_origin(ctx, &from);
	event_record_begin(&rec, ctx->req);
	event_record_change(&rec, ctx->req, EVENT_LOGIN_SUCCEEDED, u->id, u->phone, "method",
	    "passkey", "mfa", NULL);
	st = pg_user_login(ctx->pg, u->id, u->phone, &pair.refresh, &from, &rec.pg);
	if (st == STORE_NOT_FOUND) {
		(void)limits_give_back_or_reply(ctx, u->phone, false);
		session_account_lost_reply(ctx, u->id, u->phone, ERR_PASSKEY_INVALID);
	} else if (st != STORE_OK) {
		(void)limits_give_back_or_reply(ctx, u->phone, false);
		(void)ctx_store_or_reply(ctx, st);
	} else if (limits_give_back_or_reply(ctx, u->phone, true)) {
		token_pair_reply(ctx, 200, &pair, device, MSG_LOGGED_IN);
	}
	token_pair_clear(&pair);
}

static void
login(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "session_id", F_SESSION },
		{ "device", F_DEVICE },
	};
	char challenge[RS_CHALLENGE_MAX];
	unsigned char bytes[WEBAUTHN_CHALLENGE_MAX];
	struct webauthn_assertion_response in;
	struct webauthn_expect want;
	struct pg_passkey_key key;
	struct inputs fin;
	struct user u;
	json_object *resp;
	const char *id = NULL;
	enum store_status st;

	if (!fields_read_or_reply(ctx, fields, NFIELDS(fields), &fin) ||
	    !taken_or_reply(ctx, fin.session_id, RS_CEREMONY_LOGIN, 0, NULL, challenge))
		return;
	if (credential_of(ctx, &id, &resp) == NULL) {
		refuse(ctx, NULL, "not an authentication response");
		return;
	}
	if (!expect_of(ctx, challenge, bytes, &want)) {
		ctx_reply_internal(ctx);
		return;
	}
	st = pg_passkey_key(ctx->pg, id, &key);
	if (st == STORE_OK && (st = pg_user_by_id(ctx->pg, key.user_id, &u)) == STORE_NOT_FOUND)
		log_warn("passkey: the account of a credential is gone");
	if (st == STORE_NOT_FOUND) {
		refuse(ctx, NULL, "an unknown credential");
		return;
	}
	if (!ctx_store_or_reply(ctx, st))
		return;
	/* The account is known: the try counts against its number (or the
	 * request's live device token of it) as a password's would. */
	if (!limits_take_try_or_reply(ctx, u.phone, fin.device_hash, u.id))
		return;
	in.client_data_json = text_of(resp, "clientDataJSON");
	in.authenticator_data = text_of(resp, "authenticatorData");
	in.signature = text_of(resp, "signature");
	in.user_handle = text_of(resp, "userHandle");
	login_judged(ctx, &u, id, &key, &want, &in, fin.device);
	OPENSSL_cleanse(&key, sizeof key);
}

void
route_passkeys_login(struct ctx *ctx)
{
	login(ctx);
	metrics_login_answer(ctx->resp->status, LOGIN_PASSKEY_OK, 400, LOGIN_PASSKEY_INVALID);
}
