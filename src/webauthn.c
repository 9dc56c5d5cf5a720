/*
 * WebAuthn registration and login verification (see webauthn.h): base64url
 * members, clientDataJSON through json-c, attestationObject and COSE keys
 * through libcbor, signatures through OpenSSL 3.
 *
 * It must never read a length from the client before checking it against
 * what is left, never hand libcbor an item it has not scanned first (libcbor
 * 0.8 allocates an array's or a map's declared size before reading a single
 * member, so five bytes could ask for gigabytes), and never accept when a
 * check could not run. Every function here fails closed: a missing member,
 * an allocation that failed or an unexpected type is a refusal.
 */
#include "phoneauth/webauthn.h"

#include <string.h>

#include <cbor.h>
#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "phoneauth/base64url.h"
#include "phoneauth/json_check.h"
#include "phoneauth/text.h"

static const char *const refusal_names[WA__MAX] = {
	[WA_OK] = "ok",
	[WA_TOO_LARGE] = "too_large",
	[WA_BAD_BASE64] = "bad_base64",
	[WA_BAD_CLIENT_DATA] = "bad_client_data",
	[WA_WRONG_TYPE] = "wrong_type",
	[WA_WRONG_CHALLENGE] = "wrong_challenge",
	[WA_WRONG_ORIGIN] = "wrong_origin",
	[WA_CROSS_ORIGIN] = "cross_origin",
	[WA_BAD_CBOR] = "bad_cbor",
	[WA_BAD_ATTESTATION] = "bad_attestation",
	[WA_BAD_AUTHDATA] = "bad_authdata",
	[WA_WRONG_RP] = "wrong_rp",
	[WA_NO_UP] = "no_up",
	[WA_NO_UV] = "no_uv",
	[WA_WRONG_CREDENTIAL_ID] = "wrong_credential_id",
	[WA_UNSUPPORTED_ALG] = "unsupported_alg",
	[WA_BAD_KEY] = "bad_key",
	[WA_BAD_SIGNATURE] = "bad_signature",
	[WA_COUNTER] = "counter",
	[WA_NO_USER_HANDLE] = "no_user_handle",
	[WA_INTERNAL] = "internal",
};
_Static_assert(sizeof refusal_names / sizeof refusal_names[0] == WA__MAX,
    "a name for every refusal");

const char *
webauthn_refusal_name(enum webauthn_refusal r)
{
	return (unsigned)r < WA__MAX && refusal_names[r] != NULL ? refusal_names[r] : "?";
}

/* The spec asks for at least 16 random bytes; a shorter expectation (or
 * none: a caller that forgot it) must not be met by a short answer. */
#define CHALLENGE_MIN 16
/* rpIdHash, flags, signCount */
#define AUTH_DATA_HEAD 37
/* aaguid, credentialIdLength */
#define ATTESTED_HEAD 18
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 4096
/* attestationObject > attStmt > x5c > certificate is the deepest we meet. */
#define CBOR_DEPTH_MAX 8

/* ---- bounded members ---- */

/* Decodes a member into buf (cap bytes); an absent one is zero bytes. */
static enum webauthn_refusal
decode(const struct webauthn_text *t, unsigned char *buf, size_t cap, size_t *len)
{
	*len = 0;
	if (t->s == NULL || t->len == 0)
		return WA_OK;
	if (t->len > BASE64URL_ENCODED_LEN(cap))
		return WA_TOO_LARGE;
	return base64url_decode(t->s, t->len, buf, cap, len) ? WA_OK : WA_BAD_BASE64;
}

static bool
sha256(const unsigned char *in, size_t len, unsigned char out[32])
{
	return EVP_Digest(in, len, out, NULL, EVP_sha256(), NULL) == 1;
}

/* ---- clientDataJSON ---- */

/* The tokener of every clientDataJSON, made at the first (owner: this file,
 * for the life of the process) and reset before each, as request.c does
 * for bodies. */
static json_tokener *tokener;

/* The string member `name` of o, or NULL when absent or not a string. */
static const char *
string_member(json_object *o, const char *name, size_t *len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

static enum webauthn_refusal
check_challenge(const char *text, size_t len, const struct webauthn_expect *want)
{
	unsigned char got[WEBAUTHN_CHALLENGE_MAX];
	size_t n;

	if (want->challenge == NULL || want->challenge_len < CHALLENGE_MIN ||
	    want->challenge_len > sizeof got)
		return WA_WRONG_CHALLENGE;
	if (len > BASE64URL_ENCODED_LEN(sizeof got) || !base64url_decode(text, len, got, sizeof got, &n))
		return WA_WRONG_CHALLENGE;
	/* The length of a challenge is no secret; its bytes are compared in
	 * constant time all the same, as every secret of this service is. */
	if (n != want->challenge_len || CRYPTO_memcmp(got, want->challenge, n) != 0)
		return WA_WRONG_CHALLENGE;
	return WA_OK;
}

static enum webauthn_refusal
check_client_data(const unsigned char *cdj, size_t len, const char *type,
    const struct webauthn_expect *want)
{
	json_object *o = NULL, *cross;
	const char *s;
	size_t slen = 0;
	enum webauthn_refusal r;

	/* The browser writes it, but the client can write anything: as strict
	 * as a request body (request.c), and for the same reason. */
	if (len == 0 || !text_utf8_valid((const char *)cdj, len) ||
	    !json_check_strict((const char *)cdj, len))
		return WA_BAD_CLIENT_DATA;
	if (tokener == NULL) {
		if ((tokener = json_tokener_new_ex(JSON_CHECK_MAX_DEPTH + 1)) == NULL)
			return WA_INTERNAL;
		json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	}
	json_tokener_reset(tokener);
	o = json_tokener_parse_ex(tokener, (const char *)cdj, (int)len);
	if (o == NULL || json_tokener_get_error(tokener) != json_tokener_success ||
	    json_tokener_get_parse_end(tokener) != len || !json_object_is_type(o, json_type_object)) {
		r = WA_BAD_CLIENT_DATA;
		goto out;
	}
	if ((s = string_member(o, "type", &slen)) == NULL) {
		r = WA_BAD_CLIENT_DATA;
		goto out;
	}
	if (slen != strlen(type) || memcmp(s, type, slen) != 0) {
		r = WA_WRONG_TYPE;
		goto out;
	}
	if ((s = string_member(o, "challenge", &slen)) == NULL) {
		r = WA_BAD_CLIENT_DATA;
		goto out;
	}
	if ((r = check_challenge(s, slen, want)) != WA_OK)
		goto out;
	if ((s = string_member(o, "origin", &slen)) == NULL) {
		r = WA_BAD_CLIENT_DATA;
		goto out;
	}
	r = WA_WRONG_ORIGIN;
	for (size_t i = 0; i < want->n_origins && want->origins != NULL; i++) {
		const char *allowed = want->origins[i];

		if (allowed != NULL && strlen(allowed) == slen && memcmp(allowed, s, slen) == 0) {
			r = WA_OK;
			break;
		}
	}
	if (r != WA_OK)
		goto out;
	if (json_object_object_get_ex(o, "crossOrigin", &cross)) {
		if (!json_object_is_type(cross, json_type_boolean))
			r = WA_BAD_CLIENT_DATA;
		else if (json_object_get_boolean(cross))
			r = WA_CROSS_ORIGIN;
	}
out:
	json_object_put(o);
	return r;
}

/* ---- CBOR ---- */

/*
 * A scan of one CBOR item with libcbor's streaming decoder, which allocates
 * nothing: it refuses what WebAuthn never uses (indefinite lengths, tags,
 * floats, undefined), nesting deeper than CBOR_DEPTH_MAX, and an array or
 * map that declares more members than there are bytes left to hold them.
 * Only an item that passed it goes to cbor_load().
 */
struct cbor_scan {
	size_t due[CBOR_DEPTH_MAX + 1];	/* items still to come at each open level */
	int depth;
	size_t left;			/* bytes from the header being read to the end */
	bool bad;
};

/* One item (a scalar, or a container's header) takes its place. */
static void
scan_one(struct cbor_scan *s)
{
	if (s->due[s->depth] == 0) {
		s->bad = true;
		return;
	}
	s->due[s->depth]--;
}

/* Containers whose last member has been read are closed. */
static void
scan_close(struct cbor_scan *s)
{
	while (s->depth > 0 && s->due[s->depth] == 0)
		s->depth--;
}

static void
scan_scalar(void *ctx)
{
	scan_one(ctx);
	scan_close(ctx);
}

static void
scan_bad(void *ctx)
{
	((struct cbor_scan *)ctx)->bad = true;
}

static void
scan_collection(struct cbor_scan *s, size_t members)
{
	scan_one(s);
	if (s->bad)
		return;
	if (members == 0) {
		scan_close(s);
		return;
	}
	if (s->depth == CBOR_DEPTH_MAX) {
		s->bad = true;
		return;
	}
	s->due[++s->depth] = members;
}

/* Each member takes at least a byte: a count beyond the bytes left is
 * refused at once, rather than when they run out (and a map's pairs, which
 * may be declared up to 2^64 - 1, are never doubled past SIZE_MAX into a
 * count that looks small). */
static void
scan_array(void *ctx, size_t n)
{
	struct cbor_scan *s = ctx;

	if (n >= s->left)
		s->bad = true;
	else
		scan_collection(s, n);
}

static void
scan_map(void *ctx, size_t n)
{
	struct cbor_scan *s = ctx;

	if (n >= s->left / 2)
		s->bad = true;
	else
		scan_collection(s, n * 2);
}

static void scan_u8(void *c, uint8_t v) { (void)v; scan_scalar(c); }
static void scan_u16(void *c, uint16_t v) { (void)v; scan_scalar(c); }
static void scan_u32(void *c, uint32_t v) { (void)v; scan_scalar(c); }
static void scan_u64(void *c, uint64_t v) { (void)v; scan_scalar(c); }
static void scan_bytes(void *c, cbor_data d, size_t n) { (void)d, (void)n; scan_scalar(c); }
static void scan_bool(void *c, bool v) { (void)v; scan_scalar(c); }
static void scan_tag(void *c, uint64_t v) { (void)v; scan_bad(c); }
static void scan_float(void *c, float v) { (void)v; scan_bad(c); }
static void scan_double(void *c, double v) { (void)v; scan_bad(c); }

static const struct cbor_callbacks scan_callbacks = {
	.uint8 = scan_u8, .uint16 = scan_u16, .uint32 = scan_u32, .uint64 = scan_u64,
	.negint8 = scan_u8, .negint16 = scan_u16, .negint32 = scan_u32, .negint64 = scan_u64,
	.byte_string = scan_bytes, .string = scan_bytes,
	.byte_string_start = scan_bad, .string_start = scan_bad,
	.array_start = scan_array, .indef_array_start = scan_bad,
	.map_start = scan_map, .indef_map_start = scan_bad,
	.tag = scan_tag,
	.float2 = scan_float, .float4 = scan_float, .float8 = scan_double,
	.undefined = scan_bad, .null = scan_scalar, .boolean = scan_bool,
	.indef_break = scan_bad,
};

/* The length of the one CBOR item at the start of buf; 0 when there is none
 * within the limits above. */
static size_t
cbor_item_len(const unsigned char *buf, size_t len)
{
	struct cbor_scan s = { .due = { 1 } };
	size_t pos = 0;

	while (s.depth > 0 || s.due[0] > 0) {
		struct cbor_decoder_result r;

		if (pos >= len)
			return 0;
		s.left = len - pos;
		r = cbor_stream_decode(buf + pos, len - pos, &scan_callbacks, &s);
		if (r.status != CBOR_DECODER_FINISHED || s.bad || r.read == 0 || r.read > len - pos)
			return 0;
		pos += r.read;
	}
	return pos;
}

/* The item that is all of buf (len bytes), or NULL with the reason in *r.
 * Owner: the caller (cbor_decref). */
static cbor_item_t *
load_cbor(const unsigned char *buf, size_t len, enum webauthn_refusal *r)
{
	struct cbor_load_result res;
	cbor_item_t *item;

	if (len == 0 || cbor_item_len(buf, len) != len) {
		*r = WA_BAD_CBOR;
		return NULL;
	}
	if ((item = cbor_load(buf, len, &res)) == NULL) {
		*r = res.error.code == CBOR_ERR_MEMERROR ? WA_INTERNAL : WA_BAD_CBOR;
		return NULL;
	}
	if (res.read != len) {
		cbor_decref(&item);
		*r = WA_BAD_CBOR;
		return NULL;
	}
	return item;
}

/* A CBOR integer that fits an int (COSE labels, algorithms, key types). */
static bool
cbor_small_int(const cbor_item_t *it, int *v)
{
	uint64_t u;

	if (!cbor_isa_uint(it) && !cbor_isa_negint(it))
		return false;
	u = cbor_get_int(it);
	if (u > 0x7fffffff)
		return false;
	*v = cbor_isa_uint(it) ? (int)u : -1 - (int)u;
	return true;
}

static bool
cbor_text_is(const cbor_item_t *it, const char *s)
{
	size_t n = strlen(s);

	return cbor_isa_string(it) && cbor_string_is_definite(it) && cbor_string_length(it) == n &&
	    memcmp(cbor_string_handle(it), s, n) == 0;
}

/* ---- authenticator data ---- */

struct auth_data {
	uint8_t flags;
	uint32_t sign_count;
	const unsigned char *aaguid;		/* registration: into the buffer parsed */
	const unsigned char *cred_id, *cose_key;
	size_t cred_id_len, cose_key_len;
};

/*
 * rpIdHash, UP, UV, the backup flags, signCount; with AT (which a
 * registration must have and a login must not) the attested credential
 * data; with ED one CBOR map of extensions; and nothing after.
 */
static enum webauthn_refusal
parse_auth_data(const unsigned char *p, size_t len, const struct webauthn_expect *want,
    bool registration, struct auth_data *ad)
{
	unsigned char rp_hash[32];
	size_t pos = AUTH_DATA_HEAD, n;

	memset(ad, 0, sizeof *ad);
	if (len < AUTH_DATA_HEAD)
		return WA_BAD_AUTHDATA;
	if (want->rp_id == NULL || want->rp_id[0] == '\0')
		return WA_WRONG_RP;
	if (!sha256((const unsigned char *)want->rp_id, strlen(want->rp_id), rp_hash))
		return WA_INTERNAL;
	if (memcmp(p, rp_hash, sizeof rp_hash) != 0)
		return WA_WRONG_RP;
	ad->flags = p[32];
	ad->sign_count = (uint32_t)p[33] << 24 | (uint32_t)p[34] << 16 | (uint32_t)p[35] << 8 | p[36];
	if (!(ad->flags & WEBAUTHN_FLAG_UP))
		return WA_NO_UP;
	if (!(ad->flags & WEBAUTHN_FLAG_UV))
		return WA_NO_UV;
	/* backed up but not eligible for backup: the spec calls it invalid */
	if ((ad->flags & WEBAUTHN_FLAG_BS) && !(ad->flags & WEBAUTHN_FLAG_BE))
		return WA_BAD_AUTHDATA;
	if (registration != ((ad->flags & WEBAUTHN_FLAG_AT) != 0))
		return WA_BAD_AUTHDATA;
	if (registration) {
		if (len - pos < ATTESTED_HEAD)
			return WA_BAD_AUTHDATA;
		ad->aaguid = p + pos;
		ad->cred_id_len = (size_t)p[pos + 16] << 8 | p[pos + 17];
		pos += ATTESTED_HEAD;
		if (ad->cred_id_len > WEBAUTHN_CREDENTIAL_ID_MAX)
			return WA_TOO_LARGE;
		if (ad->cred_id_len == 0 || ad->cred_id_len > len - pos)
			return WA_BAD_AUTHDATA;
		ad->cred_id = p + pos;
		pos += ad->cred_id_len;
		if (pos == len || (n = cbor_item_len(p + pos, len - pos)) == 0)
			return WA_BAD_CBOR;
		ad->cose_key = p + pos;
		ad->cose_key_len = n;
		pos += n;
	}
	if (ad->flags & WEBAUTHN_FLAG_ED) {
		if (pos == len)
			return WA_BAD_AUTHDATA;
		/* major type 5: a map */
		if ((p[pos] & 0xe0) != 0xa0 || (n = cbor_item_len(p + pos, len - pos)) == 0)
			return WA_BAD_CBOR;
		pos += n;
	}
	return pos == len ? WA_OK : WA_BAD_AUTHDATA;
}

/* ---- keys ---- */

/* The COSE key parameters we read (RFC 9052, 9053). */
enum cose_param { COSE_KTY, COSE_ALG, COSE_CRV_N, COSE_X_E, COSE_Y, COSE__MAX };
static const int cose_labels[COSE__MAX] = { 1, 3, -1, -2, -3 };

#define COSE_KTY_OKP 1
#define COSE_KTY_EC2 2
#define COSE_KTY_RSA 3
#define COSE_CRV_P256 1
#define COSE_CRV_ED25519 6

/* A byte string parameter of exactly `len` bytes (0: any length). */
static const unsigned char *
cose_bytes(cbor_item_t *const params[COSE__MAX], enum cose_param which, size_t len, size_t *got)
{
	const cbor_item_t *it = params[which];

	if (it == NULL || !cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it) ||
	    (len != 0 && cbor_bytestring_length(it) != len))
		return NULL;
	*got = cbor_bytestring_length(it);
	return cbor_bytestring_handle(it);
}

static bool
cose_int_is(cbor_item_t *const params[COSE__MAX], enum cose_param which, int want)
{
	int v;

	return params[which] != NULL && cbor_small_int(params[which], &v) && v == want;
}

static EVP_PKEY *
ec_key(const unsigned char *x, const unsigned char *y, enum webauthn_refusal *r)
{
	unsigned char point[65];
	char group[] = "P-256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
		OSSL_PARAM_END
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pkey = NULL;

	point[0] = 0x04;	/* uncompressed */
	memcpy(point + 1, x, 32);
	memcpy(point + 33, y, 32);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1) {
		*r = WA_INTERNAL;
		goto out;
	}
	/* A point off the curve does not load (OpenSSL decodes it with
	 * EC_POINT_oct2point, which checks); on P-256, whose cofactor is 1, a
	 * point on the curve is in the group, so no EVP_PKEY_public_check. */
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
		*r = WA_BAD_KEY;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static EVP_PKEY *
rsa_key(const unsigned char *n, size_t n_len, const unsigned char *e, size_t e_len,
    enum webauthn_refusal *r)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	size_t bits;

	while (n_len > 0 && n[0] == 0)
		n++, n_len--;
	while (e_len > 0 && e[0] == 0)
		e++, e_len--;
	bits = n_len * 8;
	for (unsigned char top = n_len ? n[0] : 0; top != 0 && !(top & 0x80); top <<= 1)
		bits--;
	/* an odd modulus in range, an odd public exponent of at least 3 and at
	 * most 32 bits (authenticators use 65537) */
	if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS || !(n[n_len - 1] & 1) ||
	    e_len == 0 || e_len > 4 || !(e[e_len - 1] & 1) || (e_len == 1 && e[0] < 3)) {
		*r = WA_BAD_KEY;
		return NULL;
	}
	*r = WA_INTERNAL;
	if ((bn = BN_bin2bn(n, (int)n_len, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)e_len, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1)
		goto out;
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		pkey = NULL;
		*r = WA_BAD_KEY;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return pkey;
}

/*
 * The COSE key of a registration, as an EVP_PKEY of the algorithm it names
 * (owner: the caller), its algorithm in *alg. Other parameters (kid,
 * key_ops...) are let be; a parameter we read that appears twice is not.
 */
static EVP_PKEY *
cose_key(const unsigned char *cose, size_t len, int *alg, enum webauthn_refusal *r)
{
	cbor_item_t *root, *params[COSE__MAX] = { NULL };
	struct cbor_pair *pairs;
	EVP_PKEY *pkey = NULL;
	const unsigned char *x, *y;
	size_t xl, yl;

	if ((root = load_cbor(cose, len, r)) == NULL)
		return NULL;
	if (!cbor_isa_map(root) || !cbor_map_is_definite(root)) {
		*r = WA_BAD_KEY;
		goto out;
	}
	pairs = cbor_map_handle(root);
	for (size_t i = 0; i < cbor_map_size(root); i++) {
		int label;

		if (!cbor_small_int(pairs[i].key, &label))
			continue;
		for (int p = 0; p < COSE__MAX; p++) {
			if (label != cose_labels[p])
				continue;
			if (params[p] != NULL) {
				*r = WA_BAD_CBOR;
				goto out;
			}
			params[p] = pairs[i].value;
		}
	}
	if (params[COSE_ALG] == NULL || params[COSE_KTY] == NULL) {
		*r = WA_BAD_KEY;
		goto out;
	}
	if (!cbor_small_int(params[COSE_ALG], alg) ||
	    (*alg != WEBAUTHN_ES256 && *alg != WEBAUTHN_EDDSA && *alg != WEBAUTHN_RS256)) {
		*r = WA_UNSUPPORTED_ALG;
		goto out;
	}
	*r = WA_BAD_KEY;
	switch (*alg) {
	case WEBAUTHN_ES256:
		if (!cose_int_is(params, COSE_KTY, COSE_KTY_EC2) ||
		    !cose_int_is(params, COSE_CRV_N, COSE_CRV_P256) ||
		    (x = cose_bytes(params, COSE_X_E, 32, &xl)) == NULL ||
		    (y = cose_bytes(params, COSE_Y, 32, &yl)) == NULL)
			goto out;
		pkey = ec_key(x, y, r);
		break;
	case WEBAUTHN_EDDSA:
		if (!cose_int_is(params, COSE_KTY, COSE_KTY_OKP) ||
		    !cose_int_is(params, COSE_CRV_N, COSE_CRV_ED25519) ||
		    (x = cose_bytes(params, COSE_X_E, 32, &xl)) == NULL)
			goto out;
		if ((pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x, xl)) == NULL)
			*r = WA_BAD_KEY;
		break;
	default:
		if (!cose_int_is(params, COSE_KTY, COSE_KTY_RSA) ||
		    (x = cose_bytes(params, COSE_CRV_N, 0, &xl)) == NULL ||
		    (y = cose_bytes(params, COSE_X_E, 0, &yl)) == NULL)
			goto out;
		pkey = rsa_key(x, xl, y, yl, r);
		break;
	}
out:
	cbor_decref(&root);
	return pkey;
}

/*
 * The stored key, read by the shape i2d_PUBKEY gave it at registration
 * rather than by d2i_PUBKEY: OpenSSL 3.0's d2i_PUBKEY goes through its
 * decoder framework, 0.7 to 1.1 million instructions a key (callgrind), as
 * much as the signature check or more. With the fixed head of a P-256 or
 * Ed25519 SPKI and the two DER headers around an RSA key's PKCS#1 form read
 * here, a login went from 2.04 to 1.11 million instructions with ES256,
 * 2.29 to 1.59 with EdDSA and 1.57 to 0.49 with RS256-2048.
 */
static const unsigned char p256_head[] = {	/* RFC 5480: id-ecPublicKey, prime256v1 */
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};
static const unsigned char ed25519_head[] = {	/* RFC 8410: id-Ed25519 */
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};
static const unsigned char rsa_algorithm[] = {	/* RFC 3279: rsaEncryption, NULL */
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
};

/* A DER header of `tag` at *p whose content runs exactly to end. */
static bool
der_to_end(const unsigned char **p, const unsigned char *end, unsigned char tag)
{
	const unsigned char *q = *p;
	size_t len, left = (size_t)(end - q);

	if (left < 2 || q[0] != tag)
		return false;
	if (q[1] < 0x80) {
		len = q[1], q += 2;
	} else if (q[1] == 0x81 && left >= 3) {
		len = q[2], q += 3;
	} else if (q[1] == 0x82 && left >= 4) {
		len = (size_t)q[2] << 8 | q[3], q += 4;
	} else {
		return false;
	}
	if (len != (size_t)(end - q))
		return false;
	*p = q;
	return true;
}

/* The stored key as an EVP_PKEY (owner: the caller), if it is of its alg. */
static EVP_PKEY *
stored_key(const struct webauthn_public_key *key, enum webauthn_refusal *r)
{
	const unsigned char *p = key->public_key, *end;
	EVP_PKEY *pkey = NULL;

	if (key->alg != WEBAUTHN_ES256 && key->alg != WEBAUTHN_EDDSA && key->alg != WEBAUTHN_RS256) {
		*r = WA_UNSUPPORTED_ALG;
		return NULL;
	}
	*r = WA_BAD_KEY;
	if (p == NULL || key->public_key_len > WEBAUTHN_PUBLIC_KEY_MAX)
		return NULL;
	end = p + key->public_key_len;
	if (key->alg == WEBAUTHN_ES256) {
		if (key->public_key_len != sizeof p256_head + 65 ||
		    memcmp(p, p256_head, sizeof p256_head) != 0 || p[sizeof p256_head] != 0x04)
			return NULL;
		p += sizeof p256_head + 1;
		return ec_key(p, p + 32, r);
	}
	if (key->alg == WEBAUTHN_EDDSA) {
		if (key->public_key_len != sizeof ed25519_head + 32 ||
		    memcmp(p, ed25519_head, sizeof ed25519_head) != 0)
			return NULL;
		return EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, p + sizeof ed25519_head, 32);
	}
	/* SEQUENCE { rsaEncryption, BIT STRING { 0 unused bits, RSAPublicKey } } */
	if (!der_to_end(&p, end, 0x30) || (size_t)(end - p) < sizeof rsa_algorithm ||
	    memcmp(p, rsa_algorithm, sizeof rsa_algorithm) != 0)
		return NULL;
	p += sizeof rsa_algorithm;
	if (!der_to_end(&p, end, 0x03) || p == end || *p++ != 0x00 ||
	    (pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)(end - p))) == NULL)
		return NULL;
	if (p != end || EVP_PKEY_get_bits(pkey) < RSA_MIN_BITS ||
	    EVP_PKEY_get_bits(pkey) > RSA_MAX_BITS) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

/* Whether sig is pkey's signature of data under alg (ES256: DER; EdDSA: the
 * 64 raw bytes; RS256: PKCS#1 v1.5 of the key's size). */
static enum webauthn_refusal
verify_signature(EVP_PKEY *pkey, int alg, const unsigned char *sig, size_t sig_len,
    const unsigned char *data, size_t len)
{
	EVP_MD_CTX *md;
	int ok;

	if ((alg == WEBAUTHN_ES256 && (sig_len < 8 || sig_len > 72)) ||
	    (alg == WEBAUTHN_EDDSA && sig_len != 64) ||
	    (alg == WEBAUTHN_RS256 && sig_len != (size_t)EVP_PKEY_get_size(pkey)))
		return WA_BAD_SIGNATURE;
	if ((md = EVP_MD_CTX_new()) == NULL)
		return WA_INTERNAL;
	if (EVP_DigestVerifyInit_ex(md, NULL, alg == WEBAUTHN_EDDSA ? NULL : "SHA256", NULL, NULL,
	    pkey, NULL) != 1) {
		EVP_MD_CTX_free(md);
		return WA_INTERNAL;
	}
	ok = EVP_DigestVerify(md, sig, sig_len, data, len);
	EVP_MD_CTX_free(md);
	return ok == 1 ? WA_OK : WA_BAD_SIGNATURE;
}

/* ---- the two ceremonies ---- */

/* A key that would not load or a signature that did not verify is the
 * client's doing, not an error of ours: OpenSSL's traces of it must not
 * wait in the thread's queue for the next caller that reads the queue. */
static void
refused(void)
{
	ERR_clear_error();
}

/* The attestationObject's members; fmt "none" with an empty statement,
 * any other format's statement let be. */
static enum webauthn_refusal
read_attestation(const cbor_item_t *root, const cbor_item_t **auth_data)
{
	const cbor_item_t *fmt = NULL, *stmt = NULL;
	struct cbor_pair *pairs;

	*auth_data = NULL;
	if (!cbor_isa_map(root) || !cbor_map_is_definite(root))
		return WA_BAD_ATTESTATION;
	pairs = cbor_map_handle(root);
	for (size_t i = 0; i < cbor_map_size(root); i++) {
		const cbor_item_t **slot = cbor_text_is(pairs[i].key, "fmt") ? &fmt :
		    cbor_text_is(pairs[i].key, "attStmt") ? &stmt :
		    cbor_text_is(pairs[i].key, "authData") ? auth_data : NULL;

		if (slot == NULL)
			continue;
		if (*slot != NULL)
			return WA_BAD_CBOR;
		*slot = pairs[i].value;
	}
	if (fmt == NULL || !cbor_isa_string(fmt) || !cbor_string_is_definite(fmt) ||
	    cbor_string_length(fmt) == 0 || cbor_string_length(fmt) > 32 ||
	    stmt == NULL || !cbor_isa_map(stmt) ||
	    *auth_data == NULL || !cbor_isa_bytestring(*auth_data) ||
	    !cbor_bytestring_is_definite(*auth_data))
		return WA_BAD_ATTESTATION;
	if (cbor_text_is(fmt, "none") && cbor_map_size(stmt) != 0)
		return WA_BAD_ATTESTATION;
	return WA_OK;
}

bool
webauthn_verify_registration(const struct webauthn_expect *want,
    const struct webauthn_attestation_response *in, struct webauthn_credential *out,
    enum webauthn_refusal *why)
{
	unsigned char cdj[WEBAUTHN_CLIENT_DATA_MAX], att[WEBAUTHN_ATTESTATION_MAX];
	unsigned char raw_id[WEBAUTHN_CREDENTIAL_ID_MAX];
	size_t cdj_len, att_len, raw_id_len;
	cbor_item_t *root = NULL;
	const cbor_item_t *auth_item;
	struct auth_data ad;
	EVP_PKEY *pkey = NULL;
	unsigned char *der;
	int alg = 0, der_len;
	enum webauthn_refusal r;

	memset(out, 0, sizeof *out);
	if ((r = decode(&in->client_data_json, cdj, sizeof cdj, &cdj_len)) != WA_OK ||
	    (r = decode(&in->attestation_object, att, sizeof att, &att_len)) != WA_OK ||
	    (r = decode(&in->raw_id, raw_id, sizeof raw_id, &raw_id_len)) != WA_OK)
		goto out;
	if ((r = check_client_data(cdj, cdj_len, "webauthn.create", want)) != WA_OK)
		goto out;
	if ((root = load_cbor(att, att_len, &r)) == NULL ||
	    (r = read_attestation(root, &auth_item)) != WA_OK)
		goto out;
	if ((r = parse_auth_data(cbor_bytestring_handle(auth_item),
	    cbor_bytestring_length(auth_item), want, true, &ad)) != WA_OK)
		goto out;
	if (raw_id_len != ad.cred_id_len || memcmp(raw_id, ad.cred_id, raw_id_len) != 0) {
		r = WA_WRONG_CREDENTIAL_ID;
		goto out;
	}
	if ((pkey = cose_key(ad.cose_key, ad.cose_key_len, &alg, &r)) == NULL)
		goto out;
	if ((der_len = i2d_PUBKEY(pkey, NULL)) <= 0) {
		r = WA_INTERNAL;
		goto out;
	}
	if ((size_t)der_len > sizeof out->public_key) {
		r = WA_TOO_LARGE;
		goto out;
	}
	der = out->public_key;
	if (i2d_PUBKEY(pkey, &der) != der_len) {
		r = WA_INTERNAL;
		goto out;
	}
	out->public_key_len = (size_t)der_len;
	memcpy(out->id, ad.cred_id, ad.cred_id_len);
	out->id_len = ad.cred_id_len;
	out->alg = alg;
	out->sign_count = ad.sign_count;
	memcpy(out->aaguid, ad.aaguid, sizeof out->aaguid);
	out->flags = ad.flags;
	r = WA_OK;
out:
	EVP_PKEY_free(pkey);
	if (root != NULL)
		cbor_decref(&root);
	if (r != WA_OK) {
		memset(out, 0, sizeof *out);
		refused();
	}
	*why = r;
	return r == WA_OK;
}

bool
webauthn_verify_assertion(const struct webauthn_expect *want,
    const struct webauthn_assertion_response *in, const struct webauthn_public_key *key,
    struct webauthn_assertion *out, enum webauthn_refusal *why)
{
	unsigned char cdj[WEBAUTHN_CLIENT_DATA_MAX], sig[WEBAUTHN_SIGNATURE_MAX];
	/* authenticatorData, then SHA-256(clientDataJSON) right after it: the
	 * signed bytes, without a copy */
	unsigned char signed_data[WEBAUTHN_AUTH_DATA_MAX + 32];
	size_t cdj_len, ad_len, sig_len;
	struct auth_data ad;
	EVP_PKEY *pkey = NULL;
	enum webauthn_refusal r;

	memset(out, 0, sizeof *out);
	if ((r = decode(&in->client_data_json, cdj, sizeof cdj, &cdj_len)) != WA_OK ||
	    (r = decode(&in->authenticator_data, signed_data, WEBAUTHN_AUTH_DATA_MAX, &ad_len)) != WA_OK ||
	    (r = decode(&in->signature, sig, sizeof sig, &sig_len)) != WA_OK ||
	    (r = decode(&in->user_handle, out->user_handle, sizeof out->user_handle,
	    &out->user_handle_len)) != WA_OK)
		goto out;
	if (out->user_handle_len == 0) {
		r = WA_NO_USER_HANDLE;
		goto out;
	}
	if ((r = check_client_data(cdj, cdj_len, "webauthn.get", want)) != WA_OK ||
	    (r = parse_auth_data(signed_data, ad_len, want, false, &ad)) != WA_OK)
		goto out;
	if ((pkey = stored_key(key, &r)) == NULL)
		goto out;
	if (!sha256(cdj, cdj_len, signed_data + ad_len)) {
		r = WA_INTERNAL;
		goto out;
	}
	if ((r = verify_signature(pkey, key->alg, sig, sig_len, signed_data, ad_len + 32)) != WA_OK)
		goto out;
	/* Counters that both stay at zero: an authenticator without one (most
	 * synced passkeys). Otherwise the new one must be above the stored
	 * one, or two copies of the key are in use. */
	if ((ad.sign_count != 0 || key->sign_count != 0) && ad.sign_count <= key->sign_count) {
		r = WA_COUNTER;
		goto out;
	}
	out->sign_count = ad.sign_count;
	out->flags = ad.flags;
	r = WA_OK;
out:
	EVP_PKEY_free(pkey);
	if (r != WA_OK) {
		memset(out, 0, sizeof *out);
		refused();
	}
	*why = r;
	return r == WA_OK;
}
