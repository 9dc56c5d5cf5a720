/*
 * webauthn.c against two oracles nobody here wrote the cryptography of:
 *
 *  - live: tests/webauthn/authenticator.py, a software authenticator on
 *    Debian's python3-cryptography and python3-cbor2, run once per test run
 *    (/usr/bin/python3, batch mode): it makes a passkey of each algorithm
 *    and signs assertions with it, and with each rule broken in turn; every
 *    case says which refusal it must meet, and what verifies must come out
 *    as the authenticator says (credential id, SPKI, counter, flags);
 *  - fixed: real responses of browsers and security keys from the test
 *    suite of duo-labs/py_webauthn (its bytes, not its code).
 *
 * At the end, every refusal reason but WA_INTERNAL (an allocation that
 * failed) must have been met at least once.
 */
#include "phoneauth/webauthn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "harness.h"
#include "phoneauth/base64url.h"

#define PYTHON "/usr/bin/python3"
#define AUTHENTICATOR "tests/webauthn/authenticator.py"
#define RP_ID "example.com"
#define ORIGIN "https://example.com"

static const char *const origins[] = { "https://other.example.com", ORIGIN };
static unsigned char challenge[32];
static struct webauthn_expect want = {
	RP_ID, origins, 2, challenge, sizeof challenge
};
static bool seen[WA__MAX];	/* the reasons met so far */

enum op { CREATE, GET };

struct live_case {
	int line;
	enum op op;
	const char *alg;
	const char *breaks;		/* comma-separated names of authenticator.py's BREAKS */
	unsigned counter;		/* the authenticator's */
	unsigned stored;		/* GET: the stored counter */
	enum webauthn_refusal want;
};

static const struct live_case registrations[] = {
	/* each algorithm registers; these three are the keys the logins use */
	{ __LINE__, CREATE, "ES256", "", 0, 0, WA_OK },
	{ __LINE__, CREATE, "EdDSA", "", 0, 0, WA_OK },
	{ __LINE__, CREATE, "RS256", "", 7, 0, WA_OK },
	{ __LINE__, CREATE, "ES256", "packed", 1, 0, WA_OK },
	{ __LINE__, CREATE, "EdDSA", "packed", 0, 0, WA_OK },
	{ __LINE__, CREATE, "RS256", "packed", 0, 0, WA_OK },
	{ __LINE__, CREATE, "ES256", "extensions", 0, 0, WA_OK },
	{ __LINE__, CREATE, "ES256", "backup", 0, 0, WA_OK },
	/* clientDataJSON */
	{ __LINE__, CREATE, "ES256", "wrong_type", 0, 0, WA_WRONG_TYPE },
	{ __LINE__, CREATE, "ES256", "wrong_challenge", 0, 0, WA_WRONG_CHALLENGE },
	{ __LINE__, CREATE, "ES256", "bad_challenge", 0, 0, WA_WRONG_CHALLENGE },
	{ __LINE__, CREATE, "ES256", "wrong_origin", 0, 0, WA_WRONG_ORIGIN },
	{ __LINE__, CREATE, "ES256", "cross_origin", 0, 0, WA_CROSS_ORIGIN },
	{ __LINE__, CREATE, "ES256", "cross_origin_string", 0, 0, WA_BAD_CLIENT_DATA },
	{ __LINE__, CREATE, "ES256", "bad_json", 0, 0, WA_BAD_CLIENT_DATA },
	{ __LINE__, CREATE, "ES256", "no_challenge", 0, 0, WA_BAD_CLIENT_DATA },
	{ __LINE__, CREATE, "ES256", "oversize_client_data", 0, 0, WA_TOO_LARGE },
	/* the attestation object */
	{ __LINE__, CREATE, "ES256", "malformed_cbor", 0, 0, WA_BAD_CBOR },
	{ __LINE__, CREATE, "ES256", "trailing_cbor", 0, 0, WA_BAD_CBOR },
	{ __LINE__, CREATE, "ES256", "huge_array", 0, 0, WA_BAD_CBOR },
	{ __LINE__, CREATE, "ES256", "huge_map", 0, 0, WA_BAD_CBOR },
	{ __LINE__, CREATE, "ES256", "deep_cbor", 0, 0, WA_BAD_CBOR },
	{ __LINE__, CREATE, "ES256", "cbor_tag", 0, 0, WA_BAD_CBOR },
	{ __LINE__, CREATE, "ES256", "indefinite", 0, 0, WA_BAD_CBOR },
	{ __LINE__, CREATE, "ES256", "duplicate_key", 0, 0, WA_BAD_CBOR },
	{ __LINE__, CREATE, "ES256", "attestation_not_map", 0, 0, WA_BAD_ATTESTATION },
	{ __LINE__, CREATE, "ES256", "no_fmt", 0, 0, WA_BAD_ATTESTATION },
	{ __LINE__, CREATE, "ES256", "none_with_statement", 0, 0, WA_BAD_ATTESTATION },
	{ __LINE__, CREATE, "ES256", "oversize_attestation", 0, 0, WA_TOO_LARGE },
	{ __LINE__, CREATE, "ES256", "bad_base64", 0, 0, WA_BAD_BASE64 },
	/* the authenticator data */
	{ __LINE__, CREATE, "ES256", "wrong_rp", 0, 0, WA_WRONG_RP },
	{ __LINE__, CREATE, "ES256", "no_up", 0, 0, WA_NO_UP },
	{ __LINE__, CREATE, "EdDSA", "no_uv", 0, 0, WA_NO_UV },
	{ __LINE__, CREATE, "ES256", "bs_without_be", 0, 0, WA_BAD_AUTHDATA },
	{ __LINE__, CREATE, "ES256", "no_at", 0, 0, WA_BAD_AUTHDATA },
	{ __LINE__, CREATE, "ES256", "truncated_authdata", 0, 0, WA_BAD_AUTHDATA },
	{ __LINE__, CREATE, "ES256", "trailing_authdata", 0, 0, WA_BAD_AUTHDATA },
	{ __LINE__, CREATE, "ES256", "ed_without_extensions", 0, 0, WA_BAD_AUTHDATA },
	{ __LINE__, CREATE, "ES256", "bad_extensions", 0, 0, WA_BAD_CBOR },
	{ __LINE__, CREATE, "ES256", "huge_extensions", 0, 0, WA_BAD_CBOR },
	{ __LINE__, CREATE, "ES256", "truncated_key", 0, 0, WA_BAD_CBOR },
	{ __LINE__, CREATE, "ES256", "oversize_cred_id", 0, 0, WA_TOO_LARGE },
	{ __LINE__, CREATE, "ES256", "cred_id_beyond_end", 0, 0, WA_BAD_AUTHDATA },
	{ __LINE__, CREATE, "ES256", "wrong_raw_id", 0, 0, WA_WRONG_CREDENTIAL_ID },
	/* the key */
	{ __LINE__, CREATE, "ES256", "unsupported_alg", 0, 0, WA_UNSUPPORTED_ALG },
	{ __LINE__, CREATE, "ES256", "alg_kty_mismatch", 0, 0, WA_BAD_KEY },
	{ __LINE__, CREATE, "EdDSA", "alg_kty_mismatch", 0, 0, WA_BAD_KEY },
	{ __LINE__, CREATE, "RS256", "alg_kty_mismatch", 0, 0, WA_BAD_KEY },
	{ __LINE__, CREATE, "ES256", "off_curve", 0, 0, WA_BAD_KEY },
	{ __LINE__, CREATE, "ES256", "short_x", 0, 0, WA_BAD_KEY },
	{ __LINE__, CREATE, "EdDSA", "short_x", 0, 0, WA_BAD_KEY },
	{ __LINE__, CREATE, "RS256", "short_x", 0, 0, WA_BAD_KEY },
	{ __LINE__, CREATE, "RS256", "rsa_1024", 0, 0, WA_BAD_KEY },
	{ __LINE__, CREATE, "ES256", "duplicate_label", 0, 0, WA_BAD_CBOR },
};

static const struct live_case logins[] = {
	/* each algorithm signs in; counters that both stay zero are fine */
	{ __LINE__, GET, "ES256", "", 0, 0, WA_OK },
	{ __LINE__, GET, "EdDSA", "", 0, 0, WA_OK },
	{ __LINE__, GET, "RS256", "", 8, 7, WA_OK },
	{ __LINE__, GET, "ES256", "", 1, 0, WA_OK },
	{ __LINE__, GET, "ES256", "", 4294967295u, 4294967294u, WA_OK },
	{ __LINE__, GET, "ES256", "extensions", 0, 0, WA_OK },
	{ __LINE__, GET, "EdDSA", "backup", 3, 2, WA_OK },
	/* a counter that did not go up: a cloned authenticator */
	{ __LINE__, GET, "ES256", "", 5, 5, WA_COUNTER },
	{ __LINE__, GET, "EdDSA", "", 4, 5, WA_COUNTER },
	{ __LINE__, GET, "RS256", "", 0, 5, WA_COUNTER },
	/* clientDataJSON */
	{ __LINE__, GET, "ES256", "wrong_type", 0, 0, WA_WRONG_TYPE },
	{ __LINE__, GET, "ES256", "wrong_challenge", 0, 0, WA_WRONG_CHALLENGE },
	{ __LINE__, GET, "EdDSA", "wrong_origin", 0, 0, WA_WRONG_ORIGIN },
	{ __LINE__, GET, "ES256", "cross_origin", 0, 0, WA_CROSS_ORIGIN },
	{ __LINE__, GET, "ES256", "bad_json", 0, 0, WA_BAD_CLIENT_DATA },
	{ __LINE__, GET, "ES256", "oversize_client_data", 0, 0, WA_TOO_LARGE },
	/* the authenticator data */
	{ __LINE__, GET, "ES256", "wrong_rp", 0, 0, WA_WRONG_RP },
	{ __LINE__, GET, "RS256", "no_up", 9, 8, WA_NO_UP },
	{ __LINE__, GET, "ES256", "no_uv", 0, 0, WA_NO_UV },
	{ __LINE__, GET, "ES256", "bs_without_be", 0, 0, WA_BAD_AUTHDATA },
	{ __LINE__, GET, "ES256", "with_at", 0, 0, WA_BAD_AUTHDATA },
	{ __LINE__, GET, "ES256", "truncated_authdata", 0, 0, WA_BAD_AUTHDATA },
	{ __LINE__, GET, "ES256", "trailing_authdata", 0, 0, WA_BAD_AUTHDATA },
	{ __LINE__, GET, "ES256", "ed_without_extensions", 0, 0, WA_BAD_AUTHDATA },
	{ __LINE__, GET, "ES256", "bad_extensions", 0, 0, WA_BAD_CBOR },
	{ __LINE__, GET, "ES256", "huge_extensions", 0, 0, WA_BAD_CBOR },
	/* the signature */
	{ __LINE__, GET, "ES256", "bad_signature", 0, 0, WA_BAD_SIGNATURE },
	{ __LINE__, GET, "EdDSA", "bad_signature", 0, 0, WA_BAD_SIGNATURE },
	{ __LINE__, GET, "RS256", "bad_signature", 9, 8, WA_BAD_SIGNATURE },
	{ __LINE__, GET, "ES256", "signed_other", 0, 0, WA_BAD_SIGNATURE },
	{ __LINE__, GET, "EdDSA", "signed_other", 0, 0, WA_BAD_SIGNATURE },
	{ __LINE__, GET, "RS256", "signed_other", 9, 8, WA_BAD_SIGNATURE },
	{ __LINE__, GET, "ES256", "oversize_signature", 0, 0, WA_TOO_LARGE },
	{ __LINE__, GET, "ES256", "bad_base64", 0, 0, WA_BAD_BASE64 },
	/* the user handle */
	{ __LINE__, GET, "ES256", "no_user_handle", 0, 0, WA_NO_USER_HANDLE },
	{ __LINE__, GET, "ES256", "oversize_user_handle", 0, 0, WA_TOO_LARGE },
};

#define N_REG (sizeof registrations / sizeof registrations[0])
#define N_LOGIN (sizeof logins / sizeof logins[0])

/* authenticator.py's answer to each case, in the order above; owner: this */
static json_object *answers[N_REG + N_LOGIN];
static char oracle_failure[512];

/* The passkey of each algorithm, from its first good registration. */
static const char *const alg_names[3] = { "ES256", "EdDSA", "RS256" };
static struct webauthn_credential registered[3];
static bool have_registered[3];

static int
alg_index(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(name, alg_names[i]) == 0)
			return i;
	return 0;
}

/* Runs authenticator.py once for every live case; a failure is kept in
 * oracle_failure for the cases to report. */
static void
run_oracle(void)
{
	char path[] = "/tmp/test_webauthn.XXXXXX", cmd[512], chal[64];
	char *line = NULL;
	size_t cap = 0, n = 0;
	FILE *req, *out;
	int fd;

	if (RAND_bytes(challenge, sizeof challenge) != 1 ||
	    !base64url_encode(challenge, sizeof challenge, chal, sizeof chal)) {
		snprintf(oracle_failure, sizeof oracle_failure, "no random challenge");
		return;
	}
	if ((fd = mkstemp(path)) < 0 || (req = fdopen(fd, "w")) == NULL) {
		snprintf(oracle_failure, sizeof oracle_failure, "cannot write %s", path);
		return;
	}
	for (size_t i = 0; i < N_REG + N_LOGIN; i++) {
		const struct live_case *c = i < N_REG ? &registrations[i] : &logins[i - N_REG];
		const char *b = c->breaks;

		fprintf(req, "{\"op\":\"%s\",\"alg\":\"%s\",\"counter\":%u,\"breaks\":[",
		    c->op == CREATE ? "create" : "get", c->alg, c->counter);
		while (*b != '\0') {
			size_t len = strcspn(b, ",");

			fprintf(req, "%s\"%.*s\"", b == c->breaks ? "" : ",", (int)len, b);
			b += len + (b[len] == ',');
		}
		fputs("]}\n", req);
	}
	fclose(req);
	snprintf(cmd, sizeof cmd, "%s %s batch --rp-id=%s --origin=%s --challenge=%s < %s",
	    PYTHON, AUTHENTICATOR, RP_ID, ORIGIN, chal, path);
	if ((out = popen(cmd, "r")) == NULL) {
		snprintf(oracle_failure, sizeof oracle_failure, "cannot run %s", cmd);
		unlink(path);
		return;
	}
	while (getline(&line, &cap, out) > 0 && n < N_REG + N_LOGIN)
		answers[n++] = json_tokener_parse(line);
	free(line);
	if (pclose(out) != 0 || n != N_REG + N_LOGIN)
		snprintf(oracle_failure, sizeof oracle_failure, "%s answered %zu of %zu cases "
		    "(python3-cryptography and python3-cbor2 installed? scripts/deps.sh test)",
		    AUTHENTICATOR, n, N_REG + N_LOGIN);
	unlink(path);
}

/* A string member at a dotted path ("credential.response.signature"). */
static struct webauthn_text
member(json_object *o, const char *path)
{
	struct webauthn_text t = { NULL, 0 };
	char name[64];

	while (o != NULL && *path != '\0') {
		size_t len = strcspn(path, ".");

		snprintf(name, sizeof name, "%.*s", (int)len, path);
		if (!json_object_object_get_ex(o, name, &o))
			return t;
		path += len + (path[len] == '.');
	}
	if (o != NULL && json_object_is_type(o, json_type_string)) {
		t.s = json_object_get_string(o);
		t.len = (size_t)json_object_get_string_len(o);
	}
	return t;
}

/* The oracle's base64url member as bytes; whether it was there and fit. */
static bool
oracle_bytes(json_object *answer, const char *name, unsigned char *out, size_t cap, size_t *len)
{
	char path[64];
	struct webauthn_text t;

	snprintf(path, sizeof path, "oracle.%s", name);
	t = member(answer, path);
	return t.s != NULL && base64url_decode(t.s, t.len, out, cap, len);
}

static int
oracle_int(json_object *answer, const char *name)
{
	json_object *o, *v;

	return json_object_object_get_ex(answer, "oracle", &o) &&
	    json_object_object_get_ex(o, name, &v) ? json_object_get_int(v) : -1;
}

static bool
oracle_ready(int line, json_object *answer)
{
	json_object *err;

	if (oracle_failure[0] != '\0') {
		FAILF(__FILE__, line, "%s", oracle_failure);
		return false;
	}
	if (answer == NULL || json_object_object_get_ex(answer, "error", &err)) {
		FAILF(__FILE__, line, "authenticator.py: %s",
		    answer ? json_object_get_string(err) : "no JSON");
		return false;
	}
	return true;
}

static void
each_algorithm_registers_and_every_broken_rule_is_refused(void)
{
	for (size_t i = 0; i < N_REG; i++) {
		const struct live_case *c = &registrations[i];
		json_object *a = answers[i];
		struct webauthn_attestation_response in;
		struct webauthn_credential cred;
		enum webauthn_refusal why = WA__MAX;
		unsigned char want_id[WEBAUTHN_CREDENTIAL_ID_MAX], want_key[WEBAUTHN_PUBLIC_KEY_MAX];
		unsigned char want_aaguid[16];
		size_t id_len, key_len, aaguid_len;
		bool ok;

		if (!oracle_ready(c->line, a))
			return;
		in.raw_id = member(a, "credential.rawId");
		in.client_data_json = member(a, "credential.response.clientDataJSON");
		in.attestation_object = member(a, "credential.response.attestationObject");
		ok = webauthn_verify_registration(&want, &in, &cred, &why);
		if ((unsigned)why < WA__MAX)
			seen[why] = true;
		CHECK_AT(c->line, why == c->want && ok == (c->want == WA_OK),
		    "create %s [%s]: %s, want %s", c->alg, c->breaks, webauthn_refusal_name(why),
		    webauthn_refusal_name(c->want));
		if (!ok) {
			CHECK_AT(c->line, cred.id_len == 0 && cred.public_key_len == 0 && cred.alg == 0,
			    "out not cleared on refusal");
			continue;
		}
		CHECK_AT(c->line, oracle_bytes(a, "credential_id", want_id, sizeof want_id, &id_len) &&
		    oracle_bytes(a, "spki", want_key, sizeof want_key, &key_len) &&
		    oracle_bytes(a, "aaguid", want_aaguid, sizeof want_aaguid, &aaguid_len),
		    "oracle without credential_id, spki or aaguid");
		CHECK_AT(c->line, cred.id_len == id_len && memcmp(cred.id, want_id, id_len) == 0,
		    "credential id differs");
		CHECK_AT(c->line, cred.public_key_len == key_len &&
		    memcmp(cred.public_key, want_key, key_len) == 0,
		    "SPKI differs from the authenticator's (%zu bytes, want %zu)",
		    cred.public_key_len, key_len);
		CHECK_AT(c->line, cred.alg == oracle_int(a, "alg"), "alg %d", cred.alg);
		CHECK_AT(c->line, cred.sign_count == c->counter, "sign count %u", cred.sign_count);
		CHECK_AT(c->line, cred.flags == oracle_int(a, "flags"), "flags %#x", cred.flags);
		CHECK_AT(c->line, memcmp(cred.aaguid, want_aaguid, 16) == 0, "aaguid differs");
		if (c->breaks[0] == '\0' && !have_registered[alg_index(c->alg)]) {
			registered[alg_index(c->alg)] = cred;
			have_registered[alg_index(c->alg)] = true;
		}
	}
}

static void
each_algorithm_signs_in_and_every_broken_rule_is_refused(void)
{
	for (size_t i = 0; i < N_LOGIN; i++) {
		const struct live_case *c = &logins[i];
		json_object *a = answers[N_REG + i];
		const struct webauthn_credential *cred = &registered[alg_index(c->alg)];
		struct webauthn_assertion_response in;
		struct webauthn_public_key key;
		struct webauthn_assertion got;
		enum webauthn_refusal why = WA__MAX;
		unsigned char handle[WEBAUTHN_USER_HANDLE_MAX];
		size_t handle_len;
		bool ok;

		if (!oracle_ready(c->line, a))
			return;
		if (!have_registered[alg_index(c->alg)]) {
			FAILF(__FILE__, c->line, "no %s passkey was registered", c->alg);
			return;
		}
		in.client_data_json = member(a, "credential.response.clientDataJSON");
		in.authenticator_data = member(a, "credential.response.authenticatorData");
		in.signature = member(a, "credential.response.signature");
		in.user_handle = member(a, "credential.response.userHandle");
		key.alg = cred->alg;
		key.public_key = cred->public_key;
		key.public_key_len = cred->public_key_len;
		key.sign_count = c->stored;
		ok = webauthn_verify_assertion(&want, &in, &key, &got, &why);
		if ((unsigned)why < WA__MAX)
			seen[why] = true;
		CHECK_AT(c->line, why == c->want && ok == (c->want == WA_OK),
		    "get %s [%s] %u after %u: %s, want %s", c->alg, c->breaks, c->counter, c->stored,
		    webauthn_refusal_name(why), webauthn_refusal_name(c->want));
		if (!ok) {
			CHECK_AT(c->line, got.sign_count == 0 && got.user_handle_len == 0,
			    "out not cleared on refusal");
			continue;
		}
		CHECK_AT(c->line, got.sign_count == c->counter, "sign count %u", got.sign_count);
		CHECK_AT(c->line, got.flags == oracle_int(a, "flags"), "flags %#x", got.flags);
		CHECK_AT(c->line, oracle_bytes(a, "user_handle", handle, sizeof handle, &handle_len) &&
		    got.user_handle_len == handle_len &&
		    memcmp(got.user_handle, handle, handle_len) == 0, "user handle differs");
	}
}

/* A good ES256 login of the live run, for the cases below to spoil. */
static bool
good_login(struct webauthn_assertion_response *in, struct webauthn_public_key *key)
{
	for (size_t i = 0; i < N_LOGIN; i++) {
		if (logins[i].want == WA_OK && strcmp(logins[i].alg, "ES256") == 0 &&
		    logins[i].breaks[0] == '\0' && logins[i].stored == 0 && logins[i].counter == 0 &&
		    answers[N_REG + i] != NULL && have_registered[0]) {
			json_object *a = answers[N_REG + i];

			in->client_data_json = member(a, "credential.response.clientDataJSON");
			in->authenticator_data = member(a, "credential.response.authenticatorData");
			in->signature = member(a, "credential.response.signature");
			in->user_handle = member(a, "credential.response.userHandle");
			key->alg = WEBAUTHN_ES256;
			key->public_key = registered[0].public_key;
			key->public_key_len = registered[0].public_key_len;
			key->sign_count = 0;
			return true;
		}
	}
	return false;
}

static enum webauthn_refusal
login_with(const struct webauthn_expect *w, const struct webauthn_assertion_response *in,
    const struct webauthn_public_key *key)
{
	struct webauthn_assertion got;
	enum webauthn_refusal why = WA__MAX;

	webauthn_verify_assertion(w, in, key, &got, &why);
	if ((unsigned)why < WA__MAX)
		seen[why] = true;
	return why;
}

static void
stored_key_must_be_of_its_algorithm(void)
{
	struct webauthn_assertion_response in;
	struct webauthn_public_key key, k;
	unsigned char padded[WEBAUTHN_PUBLIC_KEY_MAX + 1];

	if (!good_login(&in, &key)) {
		FAILF(__FILE__, __LINE__, "no good ES256 login to start from");
		return;
	}
	CHECK_INT(login_with(&want, &in, &key), WA_OK);
	k = key, k.alg = -35;			/* ES384: not offered */
	CHECK_INT(login_with(&want, &in, &k), WA_UNSUPPORTED_ALG);
	k = key, k.alg = WEBAUTHN_RS256;	/* an EC key stored as RSA */
	CHECK_INT(login_with(&want, &in, &k), WA_BAD_KEY);
	k = key, k.alg = WEBAUTHN_EDDSA;
	CHECK_INT(login_with(&want, &in, &k), WA_BAD_KEY);
	/* an Ed25519 key where ES256 is stored */
	if (have_registered[1]) {
		k = key;
		k.public_key = registered[1].public_key;
		k.public_key_len = registered[1].public_key_len;
		CHECK_INT(login_with(&want, &in, &k), WA_BAD_KEY);
	}
	k = key, k.public_key_len--;		/* cut short */
	CHECK_INT(login_with(&want, &in, &k), WA_BAD_KEY);
	memcpy(padded, key.public_key, key.public_key_len);
	padded[key.public_key_len] = 0;		/* a byte after the DER */
	k = key, k.public_key = padded, k.public_key_len = key.public_key_len + 1;
	CHECK_INT(login_with(&want, &in, &k), WA_BAD_KEY);
	k = key, k.public_key = NULL, k.public_key_len = 0;
	CHECK_INT(login_with(&want, &in, &k), WA_BAD_KEY);
}

static void
expectations_that_cannot_be_met_refuse(void)
{
	static const char *const none[] = { NULL };
	static const char *const prefix[] = { "https://example.co", "https://example.com/" };
	struct webauthn_assertion_response in;
	struct webauthn_public_key key;
	struct webauthn_expect w;

	if (!good_login(&in, &key)) {
		FAILF(__FILE__, __LINE__, "no good ES256 login to start from");
		return;
	}
	w = want, w.challenge_len = 0;		/* a caller that forgot the challenge */
	CHECK_INT(login_with(&w, &in, &key), WA_WRONG_CHALLENGE);
	w = want, w.challenge = NULL;
	CHECK_INT(login_with(&w, &in, &key), WA_WRONG_CHALLENGE);
	w = want, w.challenge_len = 31;		/* a prefix of the right one */
	CHECK_INT(login_with(&w, &in, &key), WA_WRONG_CHALLENGE);
	w = want, w.n_origins = 0;
	CHECK_INT(login_with(&w, &in, &key), WA_WRONG_ORIGIN);
	w = want, w.origins = none, w.n_origins = 1;
	CHECK_INT(login_with(&w, &in, &key), WA_WRONG_ORIGIN);
	w = want, w.origins = prefix, w.n_origins = 2;
	CHECK_INT(login_with(&w, &in, &key), WA_WRONG_ORIGIN);
	w = want, w.rp_id = "";
	CHECK_INT(login_with(&w, &in, &key), WA_WRONG_RP);
	w = want, w.rp_id = NULL;
	CHECK_INT(login_with(&w, &in, &key), WA_WRONG_RP);
	w = want, w.rp_id = "example.co";
	CHECK_INT(login_with(&w, &in, &key), WA_WRONG_RP);
}

/* ---- duo-labs/py_webauthn's test vectors (tests/test_verify_*_response.py) ---- */

static const char *const localhost[] = { "http://localhost:5000" };
static const char *const two_origins[] = { "https://foo.bar", "http://localhost:5000" };

#define T(s) { s, sizeof s - 1 }

static struct webauthn_expect
vector_expect(const char *chal_b64, unsigned char *buf, const char *const *o, size_t n)
{
	struct webauthn_expect w = { "localhost", o, n, buf, 0 };

	if (!base64url_decode(chal_b64, strlen(chal_b64), buf, WEBAUTHN_CHALLENGE_MAX,
	    &w.challenge_len))
		w.challenge_len = 0;
	return w;
}

static void
a_chrome_none_attestation_registers(void)
{
	/* test_verifies_none_attestation_response: ES256, fmt "none", counter 23 */
	struct webauthn_attestation_response in = {
		T("9y1xA8Tmg1FEmT-c7_fvWZ_uoTuoih3OvR45_oAK-cwHWhAbXrl2q62iLVTjiyEZ7O7n-CROOY494k7Q3xrs_w"),
		T("eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiVHdON240V1R5R0tMYzRaWS1xR3NGcUtuSE00bmdscXN5VjBJQ0psTjJUTzlYaVJ5RnRya2FEd1V2c3FsLWdrTEpYUDZmbkYxTWxyWjUzTW00UjdDdnciLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9"),
		T("o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVjESZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NFAAAAFwAAAAAAAAAAAAAAAAAAAAAAQPctcQPE5oNRRJk_nO_371mf7qE7qIodzr0eOf6ACvnMB1oQG165dqutoi1U44shGezu5_gkTjmOPeJO0N8a7P-lAQIDJiABIVggSFbUJF-42Ug3pdM8rDRFu_N5oiVEysPDB6n66r_7dZAiWCDUVnB39FlGypL-qAoIO9xWHtJygo2jfDmHl-_eKFRLDA"),
	};
	static const char cose_b64[] =
	    "pQECAyYgASFYIEhW1CRfuNlIN6XTPKw0RbvzeaIlRMrDwwep-uq_-3WQIlgg1FZwd_RZRsqS_qgKCDvcVh7ScoKNo3w5h5fv3ihUSww";
	unsigned char chal[WEBAUTHN_CHALLENGE_MAX], cose[128], id[128], zero[16] = { 0 };
	struct webauthn_expect w = vector_expect(
	    "TwN7n4WTyGKLc4ZY-qGsFqKnHM4nglqsyV0ICJlN2TO9XiRyFtrkaDwUvsql-gkLJXP6fnF1MlrZ53Mm4R7Cvw",
	    chal, two_origins, 2);
	struct webauthn_credential cred;
	enum webauthn_refusal why;
	size_t cose_len, id_len;

	CHECK(webauthn_verify_registration(&w, &in, &cred, &why), "refused: %s",
	    webauthn_refusal_name(why));
	seen[why] = true;
	CHECK(base64url_decode(in.raw_id.s, in.raw_id.len, id, sizeof id, &id_len) &&
	    cred.id_len == id_len && memcmp(cred.id, id, id_len) == 0, "credential id");
	CHECK_INT(cred.alg, WEBAUTHN_ES256);
	CHECK_INT(cred.sign_count, 23);
	CHECK_INT(cred.flags, WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_UV | WEBAUTHN_FLAG_AT);
	CHECK(memcmp(cred.aaguid, zero, 16) == 0, "aaguid not zero");
	/* the SPKI of P-256 is a fixed 26-byte head, then 04 || x || y; x and
	 * y are those of the COSE key py_webauthn found (a5 01 02 03 26 20 01
	 * 21 58 20 x 22 58 20 y) */
	CHECK(base64url_decode(cose_b64, strlen(cose_b64), cose, sizeof cose, &cose_len) &&
	    cose_len == 77, "the COSE key");
	CHECK(cred.public_key_len == 91 && cred.public_key[26] == 0x04 &&
	    memcmp(cred.public_key + 27, cose + 10, 32) == 0 &&
	    memcmp(cred.public_key + 59, cose + 45, 32) == 0, "SPKI is not the COSE key's");
	/* the same response, for another RP, origin or challenge */
	w.rp_id = "example.com";
	CHECK(!webauthn_verify_registration(&w, &in, &cred, &why) && why == WA_WRONG_RP, "%s",
	    webauthn_refusal_name(why));
	w.rp_id = "localhost", w.n_origins = 1;
	CHECK(!webauthn_verify_registration(&w, &in, &cred, &why) && why == WA_WRONG_ORIGIN, "%s",
	    webauthn_refusal_name(why));
	w.n_origins = 2, chal[0] ^= 1;
	CHECK(!webauthn_verify_registration(&w, &in, &cred, &why) && why == WA_WRONG_CHALLENGE, "%s",
	    webauthn_refusal_name(why));
}

static void
a_yubikey_packed_attestation_registers_its_statement_unchecked(void)
{
	/* test_raises_exception_on_unsupported_attestation_type, before its
	 * fmt is mangled: fmt "packed" with an x5c chain, which we let be */
	struct webauthn_attestation_response in = {
		T("FsWBrFcw8yRjxV8z18Egh91o1AScNRYkIuUoY6wIlIhslDpP7eydKi1q5s9g1ugDP9mqBlPDDFPRbH6YLwHbtg"),
		T("eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoicERSbWtkZHVBaS1BVTJ4Nm8tRnFxaEkzWEsybmxWbHNDU3IwNHpXa050djg0SndyTUh0RWxSSEhVV0xFRGhrckVhUThCMWxCY0lIX1ZTUnFwX1JBQXciLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9"),
		T("o2NmbXRmcGFja2VkZ2F0dFN0bXSjY2FsZyZjc2lnWEcwRQIgRpuZ6hdaLAgWgCFTIo4BGSTBAxwwqk4u3s1-JAzv_H4CIQCZnfoic34aOwlac1A09eflEtb0V1kO7yGhHOw5P5wVWmN4NWOBWQLBMIICvTCCAaWgAwIBAgIEKudiYzANBgkqhkiG9w0BAQsFADAuMSwwKgYDVQQDEyNZdWJpY28gVTJGIFJvb3QgQ0EgU2VyaWFsIDQ1NzIwMDYzMTAgFw0xNDA4MDEwMDAwMDBaGA8yMDUwMDkwNDAwMDAwMFowbjELMAkGA1UEBhMCU0UxEjAQBgNVBAoMCVl1YmljbyBBQjEiMCAGA1UECwwZQXV0aGVudGljYXRvciBBdHRlc3RhdGlvbjEnMCUGA1UEAwweWXViaWNvIFUyRiBFRSBTZXJpYWwgNzE5ODA3MDc1MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEKgOGXmBD2Z4R_xCqJVRXhL8Jr45rHjsyFykhb1USGozZENOZ3cdovf5Ke8fj2rxi5tJGn_VnW4_6iQzKdIaeP6NsMGowIgYJKwYBBAGCxAoCBBUxLjMuNi4xLjQuMS40MTQ4Mi4xLjEwEwYLKwYBBAGC5RwCAQEEBAMCBDAwIQYLKwYBBAGC5RwBAQQEEgQQbUS6m_bsLkm5MAyP6SDLczAMBgNVHRMBAf8EAjAAMA0GCSqGSIb3DQEBCwUAA4IBAQByV9A83MPhFWmEkNb4DvlbUwcjc9nmRzJjKxHc3HeK7GvVkm0H4XucVDB4jeMvTke0WHb_jFUiApvpOHh5VyMx5ydwFoKKcRs5x0_WwSWL0eTZ5WbVcHkDR9pSNcA_D_5AsUKOBcbpF5nkdVRxaQHuuIuwV4k1iK2IqtMNcU8vL6w21U261xCcWwJ6sMq4zzVO8QCKCQhsoIaWrwz828GDmPzfAjFsJiLJXuYivdHACkeJ5KHMt0mjVLpfJ2BCML7_rgbmvwL7wBW80VHfNdcKmKjkLcpEiPzwcQQhiN_qHV90t-p4iyr5xRSpurlP5zic2hlRkLKxMH2_kRjhqSn4aGF1dGhEYXRhWMRJlg3liA6MaHQ0Fw9kdmBbj-SuuaKGMseZXPO6gx2XY0UAAAAqbUS6m_bsLkm5MAyP6SDLcwBAFsWBrFcw8yRjxV8z18Egh91o1AScNRYkIuUoY6wIlIhslDpP7eydKi1q5s9g1ugDP9mqBlPDDFPRbH6YLwHbtqUBAgMmIAEhWCAq3y0RWh8nLzanBZQwTA7yAbUy9KEDAM0b3N9Elrb0VCJYIJrX7ygtpyInb5mXBE7g9YEow6xWrJ400HhL2r4q5tzV"),
	};
	/* 6d44ba9b-f6ec-2e49-b930-0c8fe920cb73 */
	static const unsigned char aaguid[16] = { 0x6d, 0x44, 0xba, 0x9b, 0xf6, 0xec, 0x2e, 0x49,
	    0xb9, 0x30, 0x0c, 0x8f, 0xe9, 0x20, 0xcb, 0x73 };
	unsigned char chal[WEBAUTHN_CHALLENGE_MAX];
	struct webauthn_expect w = vector_expect(
	    "pDRmkdduAi-AU2x6o-FqqhI3XK2nlVlsCSr04zWkNtv84JwrMHtElRHHUWLEDhkrEaQ8B1lBcIH_VSRqp_RAAw",
	    chal, localhost, 1);
	struct webauthn_credential cred;
	enum webauthn_refusal why;

	CHECK(webauthn_verify_registration(&w, &in, &cred, &why), "refused: %s",
	    webauthn_refusal_name(why));
	CHECK_INT(cred.alg, WEBAUTHN_ES256);
	CHECK_INT(cred.sign_count, 42);
	CHECK(memcmp(cred.aaguid, aaguid, 16) == 0, "aaguid");
	CHECK_INT(cred.id_len, 64);
}

struct vector_login {
	int line;
	const char *challenge;
	const char *const *origins;
	size_t n_origins;
	int alg;
	const char *spki;	/* the COSE key py_webauthn stores, as SPKI (see below) */
	unsigned stored;
	struct webauthn_assertion_response in;
	enum webauthn_refusal want;
	unsigned new_count;
};

/*
 * The SPKI of each COSE key was derived once with Debian's python3-cbor2
 * and python3-cryptography (RSAPublicNumbers(n, e) or
 * EllipticCurvePublicNumbers(x, y, SECP256R1()), public_bytes(DER,
 * SubjectPublicKeyInfo)). Where a vector has no userHandle (a login with
 * allowCredentials), one is added: it is not signed.
 */
#define RSA_SPKI "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA31dtHqc70D_h7XHQ6V_nBs3Tscu91kBL7FOw56_VFiaKYRH6Z4KLr4J0S12hFJ_3fBxpKfxyMfK66ZMeAVbOl_wemY4S5Xs4yHSWy21Xm_dgWhLJjZ9R1tjfV49kDPHB_ssdvP7wo3_NmoUPYMgK-edgZ_ehttp_I6hUUCnVaTvn_m76b2j9yEPReSwl-wlGsabYG6INUhTuhSOqG-UpVVQdNJVV7GmIPHCA2cQpJBDZBohT4MBGme_feUgm4sgqVCWzKk6CzIKIz5AIVnspLbu05SulAVnSTB3NxTwCLNJR_9v9oSkvphiNbmQBVQH1tV_psyi9HM1Jtj9VJVKMewIDAQAB"

static const struct vector_login vector_logins[] = {
	/* test_verify_authentication_response_with_RSA_public_key */
	{ __LINE__, "iPmAi1Pp1XL6oAgq3PWZtZPnZa1zFUDoGbaQ0_KvVG1lF2s3Rt_3o4uSzccy0tmcTIpTTT4BU1T-I4maavndjQ",
	  localhost, 1, WEBAUTHN_RS256, RSA_SPKI, 0, {
		T("eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiaVBtQWkxUHAxWEw2b0FncTNQV1p0WlBuWmExekZVRG9HYmFRMF9LdlZHMWxGMnMzUnRfM280dVN6Y2N5MHRtY1RJcFRUVDRCVTFULUk0bWFhdm5kalEiLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9"),
		T("SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ"),
		T("iOHKX3erU5_OYP_r_9HLZ-CexCE4bQRrxM8WmuoKTDdhAnZSeTP0sjECjvjfeS8MJzN1ArmvV0H0C3yy_FdRFfcpUPZzdZ7bBcmPh1XPdxRwY747OrIzcTLTFQUPdn1U-izCZtP_78VGw9pCpdMsv4CUzZdJbEcRtQuRS03qUjqDaovoJhOqEBmxJn9Wu8tBi_Qx7A33RbYjlfyLm_EDqimzDZhyietyop6XUcpKarKqVH0M6mMrM5zTjp8xf3W7odFCadXEJg-ERZqFM0-9Uup6kJNLbr6C5J4NDYmSm3HCSA6lp2iEiMPKU8Ii7QZ61kybXLxsX4w4Dm3fOLjmDw"),
		T("T1RWa1l6VXdPRFV0WW1NNVlTMDBOVEkxTFRnd056Z3RabVZpWVdZNFpEVm1ZMk5p"),
	  }, WA_OK, 1 },
	/* the same, its counter (1) already seen */
	{ __LINE__, "iPmAi1Pp1XL6oAgq3PWZtZPnZa1zFUDoGbaQ0_KvVG1lF2s3Rt_3o4uSzccy0tmcTIpTTT4BU1T-I4maavndjQ",
	  localhost, 1, WEBAUTHN_RS256, RSA_SPKI, 1, {
		T("eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiaVBtQWkxUHAxWEw2b0FncTNQV1p0WlBuWmExekZVRG9HYmFRMF9LdlZHMWxGMnMzUnRfM280dVN6Y2N5MHRtY1RJcFRUVDRCVTFULUk0bWFhdm5kalEiLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9"),
		T("SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ"),
		T("iOHKX3erU5_OYP_r_9HLZ-CexCE4bQRrxM8WmuoKTDdhAnZSeTP0sjECjvjfeS8MJzN1ArmvV0H0C3yy_FdRFfcpUPZzdZ7bBcmPh1XPdxRwY747OrIzcTLTFQUPdn1U-izCZtP_78VGw9pCpdMsv4CUzZdJbEcRtQuRS03qUjqDaovoJhOqEBmxJn9Wu8tBi_Qx7A33RbYjlfyLm_EDqimzDZhyietyop6XUcpKarKqVH0M6mMrM5zTjp8xf3W7odFCadXEJg-ERZqFM0-9Uup6kJNLbr6C5J4NDYmSm3HCSA6lp2iEiMPKU8Ii7QZ61kybXLxsX4w4Dm3fOLjmDw"),
		T("T1RWa1l6VXdPRFV0WW1NNVlTMDBOVEkxTFRnd056Z3RabVZpWVdZNFpEVm1ZMk5p"),
	  }, WA_COUNTER, 0 },
	/* test_supports_multiple_expected_origins: ES256, counter 1625263266 */
	{ __LINE__, "6zrSRX8CxwPSXEArXyXL2tpb6rB7Star0rLVIj5rvf74mZKF5ir715Xmgz5tA_GyHexN4oXfrQ889ArVCLaRdA",
	  two_origins, 2, WEBAUTHN_ES256,
	  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWbU_L4XPMU67BdtFtOv3lKIPG4HUGRmwQQnEWGq7OqQvVTVPvXcmj_aa7OFe-lvBE12gCzwJgro9-W9jUwF0Ig",
	  1625263263, {
		T("eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiNnpyU1JYOEN4d1BTWEVBclh5WEwydHBiNnJCN1N0YXIwckxWSWo1cnZmNzRtWktGNWlyNzE1WG1nejV0QV9HeUhleE40b1hmclE4ODlBclZDTGFSZEEiLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9"),
		T("SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFYN-Mog"),
		T("MEUCIQDBqeI274exaKWGQz37g7yo1--TVcZSCcYVftZ1AnEJkQIgNw-nlx-_U9rVfFfER8oX6BlYZTuPFyGaL_wCDY23s0E"),
		T("TldNMFlqYzNOVFF0WW1NNE5DMDBaakprTFRrME9EVXROR05rTnpreVkyTTROVEUz"),
	  }, WA_OK, 1625263266 },
	/* test_verify_authentication_response_with_EC2_public_key: UP only */
	{ __LINE__, "xi30GPGAFYRxVDpY1sM10DaLzVQG66nv-_7RUazH0vI2YvG8LYgDEnvN5fZZNVuvEDuMi9te3VLqb42N0fkLGA",
	  localhost, 1, WEBAUTHN_ES256,
	  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEh4NN76A3wD7NByUehGcYVY3x6EzVvvICxrwjwoi-amXicUZPmnHyjqCk9lmE7TXB3L1ysNID82C2THS8am88cg",
	  77, {
		T("eyJjaGFsbGVuZ2UiOiJ4aTMwR1BHQUZZUnhWRHBZMXNNMTBEYUx6VlFHNjZudi1fN1JVYXpIMHZJMll2RzhMWWdERW52TjVmWlpOVnV2RUR1TWk5dGUzVkxxYjQyTjBma0xHQSIsImNsaWVudEV4dGVuc2lvbnMiOnt9LCJoYXNoQWxnb3JpdGhtIjoiU0hBLTI1NiIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6NTAwMCIsInR5cGUiOiJ3ZWJhdXRobi5nZXQifQ"),
		T("SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MBAAAATg"),
		T("MEUCIGisVZOBapCWbnJJvjelIzwpixxIwkjCCb5aCHafQu68AiEA88v-2pJNNApPFwAKFiNuf82-2hBxYW5kGwVweeoxCwo"),
		T("dXNlcg"),
	  }, WA_NO_UV, 0 },
	/* test_raises_exception_on_incorrect_public_key: an ECDSA signature
	 * offered to the RSA key */
	{ __LINE__, "zsfiMZj16TUVCrT5tDRYXdYlUrJp7zn_UNd5NmBocPc4I2dKZbeEWpwBAwA4s6oHkVX6_ly_jgp743dyiWHYYw",
	  localhost, 1, WEBAUTHN_RS256, RSA_SPKI, 35, {
		T("eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoienNmaU1aajE2VFVWQ3JUNXREUllYZFlsVXJKcDd6bl9VTmQ1Tm1Cb2NQYzRJMmRLWmJlRVdwd0JBd0E0czZvSGtWWDZfbHlfamdwNzQzZHlpV0hZWXciLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9"),
		T("SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAJA"),
		T("MEQCIBX9B1LaLaQ0LYJsRv7cOyMS-Do1rJfFJoF9oO1tHMA4AiBRKdNneMKPlN53i8uoTZ5y9Gj4ORZySmiercS38655_g"),
		T("dXNlcg"),
	  }, WA_BAD_SIGNATURE, 0 },
};

static void
browser_logins_of_py_webauthn_verify(void)
{
	for (size_t i = 0; i < sizeof vector_logins / sizeof vector_logins[0]; i++) {
		const struct vector_login *v = &vector_logins[i];
		unsigned char chal[WEBAUTHN_CHALLENGE_MAX], spki[WEBAUTHN_PUBLIC_KEY_MAX];
		struct webauthn_expect w = vector_expect(v->challenge, chal, v->origins, v->n_origins);
		struct webauthn_public_key key = { v->alg, spki, 0, v->stored };
		struct webauthn_assertion got;
		enum webauthn_refusal why = WA__MAX;
		bool ok;

		CHECK_AT(v->line, base64url_decode(v->spki, strlen(v->spki), spki, sizeof spki,
		    &key.public_key_len), "the SPKI");
		ok = webauthn_verify_assertion(&w, &v->in, &key, &got, &why);
		CHECK_AT(v->line, ok == (v->want == WA_OK) && why == v->want, "%s, want %s",
		    webauthn_refusal_name(why), webauthn_refusal_name(v->want));
		CHECK_AT(v->line, got.sign_count == v->new_count, "sign count %u", got.sign_count);
		if (ok)
			CHECK_AT(v->line, got.user_handle_len == 48, "user handle of %zu bytes",
			    got.user_handle_len);
	}
}

static void
every_refusal_has_a_name_and_was_met(void)
{
	for (int r = 0; r < WA__MAX; r++) {
		const char *name = webauthn_refusal_name((enum webauthn_refusal)r);

		CHECK(name != NULL && strcmp(name, "?") != 0, "refusal %d has no name", r);
		for (int s = 0; s < r; s++)
			CHECK(strcmp(name, webauthn_refusal_name((enum webauthn_refusal)s)) != 0,
			    "refusals %d and %d are both %s", s, r, name);
		/* an allocation that fails is the one reason no input provokes */
		if (r != WA_INTERNAL)
			CHECK(seen[r], "no case met %s", name);
	}
	CHECK_STR(webauthn_refusal_name(WA__MAX), "?");
}

int
main(void)
{
	run_oracle();
	RUN(each_algorithm_registers_and_every_broken_rule_is_refused);
	RUN(each_algorithm_signs_in_and_every_broken_rule_is_refused);
	RUN(stored_key_must_be_of_its_algorithm);
	RUN(expectations_that_cannot_be_met_refuse);
	RUN(a_chrome_none_attestation_registers);
	RUN(a_yubikey_packed_attestation_registers_its_statement_unchecked);
	RUN(browser_logins_of_py_webauthn_verify);
	RUN(every_refusal_has_a_name_and_was_met);
	for (size_t i = 0; i < N_REG + N_LOGIN; i++)
		json_object_put(answers[i]);
	HARNESS_EXIT();
}
