/*
 * webauthn_verify_registration() on a registration response cut from the
 * input (see webauthn_input.h): parts clientDataJSON, rawId and
 * attestationObject, after a first byte of switches:
 *   bit 0  expect another challenge than the seeds carry
 *   bit 1  expect another RP ID
 *   bit 2  allow only an origin the seeds do not use
 *   bit 7  pass the parts as base64url text as they are
 *
 * Oracles: with any of bits 0-2, nothing verifies (no expectation the
 * seeds were made for is met). What verifies has, checked here apart from
 * webauthn.c: a clientDataJSON whose type, challenge and origin json-c reads
 * as expected, SHA-256 of the RP ID in the attestation object, a rawId that
 * is the credential id, UP and UV, and a public key that OpenSSL loads from
 * its DER as a key of the algorithm named. What is refused leaves out zero
 * and names a reason.
 */
#define _GNU_SOURCE		/* memmem */
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "fuzz.h"
#include "webauthn_input.h"

static bool
client_data_as_expected(const uint8_t *cdj, size_t len)
{
	char *text = fuzz_cstring(cdj, len);
	json_object *o = json_tokener_parse(text), *v;
	unsigned char chal[64];
	size_t n;
	bool ok;

	free(text);

	ok = o != NULL && json_object_object_get_ex(o, "type", &v) &&
	    strcmp(json_object_get_string(v), "webauthn.create") == 0 &&
	    json_object_object_get_ex(o, "challenge", &v) &&
	    base64url_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v), chal,
	    sizeof chal, &n) && n == 32 && memcmp(chal, wa_fuzz_challenge, 32) == 0 &&
	    json_object_object_get_ex(o, "origin", &v) &&
	    strcmp(json_object_get_string(v), WA_FUZZ_ORIGIN) == 0;
	json_object_put(o);
	return ok;
}

static bool
key_fits(const struct webauthn_credential *c)
{
	const unsigned char *p = c->public_key;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)c->public_key_len);
	bool fits;

	if (k == NULL)
		return false;
	fits = p == c->public_key + c->public_key_len &&
	    ((c->alg == WEBAUTHN_ES256 && EVP_PKEY_is_a(k, "EC")) ||
	    (c->alg == WEBAUTHN_EDDSA && EVP_PKEY_is_a(k, "ED25519")) ||
	    (c->alg == WEBAUTHN_RS256 && EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) >= 2048));
	EVP_PKEY_free(k);
	return fits;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct webauthn_credential zero;
	struct webauthn_expect want = {
		WA_FUZZ_RP_ID, wa_fuzz_origins, 2, wa_fuzz_challenge, sizeof wa_fuzz_challenge
	};
	struct webauthn_attestation_response in;
	struct webauthn_credential *out;
	struct wa_part parts[3];
	enum webauthn_refusal why = WA__MAX;
	unsigned char rp_hash[32];
	uint8_t sw;
	bool raw;

	if (size == 0)
		return 0;
	sw = data[0];
	raw = sw & WA_FUZZ_RAW_TEXT;
	if (sw & 1)
		want.challenge = wa_fuzz_other_challenge;
	if (sw & 2)
		want.rp_id = "login.example.com";
	if (sw & 4)
		want.origins = wa_fuzz_other_origins, want.n_origins = 1;
	wa_fuzz_parts(data + 1, size - 1, parts, 3, raw);
	in.client_data_json = wa_fuzz_text(&parts[0], raw);
	in.raw_id = wa_fuzz_text(&parts[1], raw);
	in.attestation_object = wa_fuzz_text(&parts[2], raw);
	if ((out = malloc(sizeof *out)) == NULL)
		abort();
	memset(out, 0xa5, sizeof *out);

	if (webauthn_verify_registration(&want, &in, out, &why)) {
		FUZZ_ASSERT(why == WA_OK);
		FUZZ_ASSERT((sw & 7) == 0);
		FUZZ_ASSERT(wa_fuzz_bytes(parts, 3, raw));
		FUZZ_ASSERT(client_data_as_expected(parts[0].p, parts[0].len));
		FUZZ_ASSERT(out->id_len == parts[1].len &&
		    memcmp(out->id, parts[1].p, parts[1].len) == 0);
		if (EVP_Digest(WA_FUZZ_RP_ID, strlen(WA_FUZZ_RP_ID), rp_hash, NULL, EVP_sha256(),
		    NULL) != 1)
			abort();
		FUZZ_ASSERT(memmem(parts[2].p, parts[2].len, rp_hash, 32) != NULL);
		FUZZ_ASSERT(out->id_len >= 1 && out->id_len <= WEBAUTHN_CREDENTIAL_ID_MAX);
		FUZZ_ASSERT((out->flags & WEBAUTHN_FLAG_UP) && (out->flags & WEBAUTHN_FLAG_UV));
		FUZZ_ASSERT(out->public_key_len > 0 && out->public_key_len <= WEBAUTHN_PUBLIC_KEY_MAX);
		FUZZ_ASSERT(key_fits(out));
	} else {
		FUZZ_ASSERT(why > WA_OK && why < WA__MAX);
		FUZZ_ASSERT(memcmp(out, &zero, sizeof zero) == 0);
	}
	free(out);
	wa_fuzz_free(parts, 3);
	return 0;
}
