/*
 * webauthn_verify_assertion() against the fixed test keys of tests/fuzz/keys
 * (es256.pem, ed25519.pem, rs256.pem; never used anywhere else), on a login
 * response cut from the input (see webauthn_input.h): parts
 * authenticatorData, clientDataJSON, signature and userHandle, after a first
 * byte of switches:
 *   bits 0-1  the stored key: 0 ES256, 1 EdDSA, 2 RS256 (3: ES256)
 *   bit 2     "sign it": the signature part is replaced by the key's own
 *             signature of authenticatorData || SHA-256(clientDataJSON), so
 *             the fuzzer explores what lies behind a good signature
 *   bit 3     expect another challenge than the seeds carry
 *   bit 4     the stored counter is 100 (else 0)
 *   bit 7     pass the parts as base64url text as they are
 *
 * Oracles: with bit 3, nothing verifies. What verifies carries a signature
 * that OpenSSL, called here on its own, finds good for the key; a counter
 * above the stored one, or both zero; UP and UV; the RP ID's hash; and the
 * userHandle given. What is refused leaves out zero and names a reason.
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fuzz.h"
#include "webauthn_input.h"

#ifndef FUZZ_KEYS_DIR
#error "FUZZ_KEYS_DIR: the directory of the test keys (the Makefile sets it)"
#endif

static const char *const key_files[3] = { "es256.pem", "ed25519.pem", "rs256.pem" };
static const int key_algs[3] = { WEBAUTHN_ES256, WEBAUTHN_EDDSA, WEBAUTHN_RS256 };

static struct state {
	bool ready;
	EVP_PKEY *pkey[3];			/* private: signing and checking */
	unsigned char *spki[3];			/* the stored form; owner: OpenSSL */
	int spki_len[3];
} st;

static void
cleanup(void)
{
	for (int a = 0; a < 3; a++) {
		EVP_PKEY_free(st.pkey[a]);
		OPENSSL_free(st.spki[a]);
	}
}

static void
setup(void)
{
	if (st.ready)
		return;
	for (int a = 0; a < 3; a++) {
		char path[512];
		FILE *f;

		snprintf(path, sizeof path, "%s/%s", FUZZ_KEYS_DIR, key_files[a]);
		if ((f = fopen(path, "r")) == NULL ||
		    (st.pkey[a] = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL ||
		    (st.spki_len[a] = i2d_PUBKEY(st.pkey[a], &st.spki[a])) <= 0) {
			fprintf(stderr, "fuzz_webauthn_login: cannot read %s\n", path);
			abort();
		}
		fclose(f);
	}
	atexit(cleanup);
	st.ready = true;
}

/* SHA-256 is only for ES256 and RS256: Ed25519 signs the message itself. */
static const char *
digest_of(int a)
{
	return key_algs[a] == WEBAUTHN_EDDSA ? NULL : "SHA256";
}

/* authenticatorData || SHA-256(clientDataJSON); owner: the caller. */
static unsigned char *
signed_bytes(const struct wa_part *parts, size_t *len)
{
	unsigned char *m = malloc(parts[0].len + 32);

	if (m == NULL)
		abort();
	memcpy(m, parts[0].p, parts[0].len);
	if (EVP_Digest(parts[1].p, parts[1].len, m + parts[0].len, NULL, EVP_sha256(), NULL) != 1)
		abort();
	*len = parts[0].len + 32;
	return m;
}

static char *
sign_b64(int a, const struct wa_part *parts)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[512], *m;
	size_t sig_len = sizeof sig, m_len;
	char *text = malloc(BASE64URL_ENCODED_LEN(sizeof sig) + 1);

	m = signed_bytes(parts, &m_len);
	if (md == NULL || text == NULL ||
	    EVP_DigestSignInit_ex(md, NULL, digest_of(a), NULL, NULL, st.pkey[a], NULL) != 1 ||
	    EVP_DigestSign(md, sig, &sig_len, m, m_len) != 1 ||
	    !base64url_encode(sig, sig_len, text, BASE64URL_ENCODED_LEN(sizeof sig) + 1))
		abort();
	EVP_MD_CTX_free(md);
	free(m);
	return text;
}

static bool
signature_good(int a, const struct wa_part *parts, const char *sig_text)
{
	unsigned char sig[1024], *m;
	size_t sig_len, m_len;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	if (!base64url_decode(sig_text, strlen(sig_text), sig, sizeof sig, &sig_len))
		return false;
	m = signed_bytes(parts, &m_len);
	if (md == NULL ||
	    EVP_DigestVerifyInit_ex(md, NULL, digest_of(a), NULL, NULL, st.pkey[a], NULL) != 1)
		abort();
	ok = EVP_DigestVerify(md, sig, sig_len, m, m_len);
	EVP_MD_CTX_free(md);
	free(m);
	return ok == 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct webauthn_assertion zero;
	struct webauthn_expect want = {
		WA_FUZZ_RP_ID, wa_fuzz_origins, 2, wa_fuzz_challenge, sizeof wa_fuzz_challenge
	};
	struct webauthn_assertion_response in;
	struct webauthn_public_key key;
	struct webauthn_assertion *out;
	struct wa_part parts[4];
	enum webauthn_refusal why = WA__MAX;
	char *own_sig = NULL;
	unsigned char rp_hash[32];
	uint8_t sw;
	int a;
	bool raw, resign;

	if (size == 0)
		return 0;
	setup();
	sw = data[0];
	a = (sw & 3) == 3 ? 0 : sw & 3;
	resign = sw & 4;
	raw = sw & WA_FUZZ_RAW_TEXT;
	if (sw & 8)
		want.challenge = wa_fuzz_other_challenge;
	key.alg = key_algs[a];
	key.public_key = st.spki[a];
	key.public_key_len = (size_t)st.spki_len[a];
	key.sign_count = sw & 16 ? 100 : 0;
	wa_fuzz_parts(data + 1, size - 1, parts, 4, raw);
	in.authenticator_data = wa_fuzz_text(&parts[0], raw);
	in.client_data_json = wa_fuzz_text(&parts[1], raw);
	in.signature = wa_fuzz_text(&parts[2], raw);
	in.user_handle = wa_fuzz_text(&parts[3], raw);
	/* signing needs the bytes: with raw text, only what decodes */
	if (resign && wa_fuzz_bytes(parts, 4, raw)) {
		own_sig = sign_b64(a, parts);
		in.signature.s = own_sig;
		in.signature.len = strlen(own_sig);
	}
	if ((out = malloc(sizeof *out)) == NULL)
		abort();
	memset(out, 0xa5, sizeof *out);

	if (webauthn_verify_assertion(&want, &in, &key, out, &why)) {
		uint32_t count;

		FUZZ_ASSERT(why == WA_OK);
		FUZZ_ASSERT(!(sw & 8));
		FUZZ_ASSERT(resign || wa_fuzz_bytes(parts, 4, raw));
		FUZZ_ASSERT(signature_good(a, parts, own_sig ? own_sig : parts[2].text));
		FUZZ_ASSERT(parts[0].len >= 37);
		if (EVP_Digest(WA_FUZZ_RP_ID, strlen(WA_FUZZ_RP_ID), rp_hash, NULL, EVP_sha256(),
		    NULL) != 1)
			abort();
		FUZZ_ASSERT(memcmp(parts[0].p, rp_hash, 32) == 0);
		FUZZ_ASSERT((parts[0].p[32] & WEBAUTHN_FLAG_UP) && (parts[0].p[32] & WEBAUTHN_FLAG_UV));
		count = (uint32_t)parts[0].p[33] << 24 | (uint32_t)parts[0].p[34] << 16 |
		    (uint32_t)parts[0].p[35] << 8 | parts[0].p[36];
		FUZZ_ASSERT(out->sign_count == count);
		FUZZ_ASSERT((count == 0 && key.sign_count == 0) || count > key.sign_count);
		FUZZ_ASSERT(out->user_handle_len >= 1 && out->user_handle_len == parts[3].len &&
		    memcmp(out->user_handle, parts[3].p, parts[3].len) == 0);
	} else {
		FUZZ_ASSERT(why > WA_OK && why < WA__MAX);
		FUZZ_ASSERT(memcmp(out, &zero, sizeof zero) == 0);
	}
	free(out);
	free(own_sig);
	wa_fuzz_free(parts, 4);
	return 0;
}
