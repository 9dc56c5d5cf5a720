/*
 * JWTs: token_verify() for HS256, RS256 and ES256 keys (the fixed test keys
 * in tests/fuzz/keys/, never used anywhere else). The first byte says how:
 *   bits 0-1  the configured algorithm: 0 HS256, 1 RS256, 2 ES256 (3: HS256)
 *   bits 2-3  the expected type: 0 access, 1 refresh, else either
 *   bit 4     the configuration also names an issuer and an audience
 *   bit 5     "sign it": the rest is HEADER "\n" CLAIMS, which this target
 *             base64url-encodes and signs with the configured key, so that
 *             the fuzzer explores what lies behind a good signature
 *   bit 6     with bit 5: sign with HS256 keyed by the verifier's public PEM
 *             instead (the algorithm-confusion attack on RS256/ES256)
 * otherwise the rest is the token as a client sends it.
 *
 * Oracles: a token accepted has a signature that OpenSSL, checked here on
 * its own, finds good for the configured algorithm and key (no forgery, no
 * "none", no confusion), and claims within what token_verify promises; a
 * token refused leaves out zeroed.
 */
#include <stdbool.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "fuzz.h"
#include "phoneauth/keys.h"
#include "phoneauth/token.h"

#ifndef FUZZ_KEYS_DIR
#error "FUZZ_KEYS_DIR: the directory of the test keys (the Makefile sets it)"
#endif

#define NOW ((time_t)1700000000)	/* 2023-11-14: the seeds' exp are after it */

static const char *const key_files[3] = { "hs256.key", "rs256.pem", "es256.pem" };

static struct state {
	bool ready;
	unsigned char *key[3];		/* file contents; owner: this */
	size_t key_len[3];
	struct config cfg[3][2];	/* [alg][with issuer and audience] */
	struct keys keys[3];
	EVP_PKEY *pkey[3];		/* RS256 and ES256: signing and checking */
} st;

static void
cleanup(void)
{
	for (int a = 0; a < 3; a++) {
		keys_free(&st.keys[a]);
		EVP_PKEY_free(st.pkey[a]);
		free(st.key[a]);
	}
}

static void
setup(void)
{
	char err[256];

	if (st.ready)
		return;
	for (int a = 0; a < 3; a++) {
		char path[512];
		FILE *f;
		long len;

		snprintf(path, sizeof path, "%s/%s", FUZZ_KEYS_DIR, key_files[a]);
		if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
		    (len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
		    (st.key[a] = malloc((size_t)len + 1)) == NULL ||
		    fread(st.key[a], 1, (size_t)len, f) != (size_t)len) {
			fprintf(stderr, "fuzz_token: cannot read %s\n", path);
			abort();
		}
		fclose(f);
		st.key[a][len] = '\0';
		st.key_len[a] = (size_t)len;
		for (int v = 0; v < 2; v++) {
			struct config *c = &st.cfg[a][v];

			c->jwt_alg = a;
			c->jwt_key = st.key[a];
			c->jwt_key_len = st.key_len[a];
			c->access_ttl = 300;
			c->refresh_ttl = 86400;
			c->jwt_issuer = v ? "https://auth.example.ir" : NULL;
			c->jwt_audience = v ? "phoneauth-clients" : NULL;
		}
		if (!keys_load(&st.cfg[a][0], &st.keys[a], err, sizeof err)) {
			fprintf(stderr, "fuzz_token: %s\n", err);
			abort();
		}
		if (a != TOKEN_HS256) {
			BIO *bio = BIO_new_mem_buf(st.key[a], (int)st.key_len[a]);

			st.pkey[a] = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
			BIO_free(bio);
			if (st.pkey[a] == NULL)
				abort();
		}
	}
	atexit(cleanup);
	st.ready = true;
}

/* ---- base64url, as RFC 7515 writes it: no padding ---- */

static char *
b64url_encode(const unsigned char *in, size_t len)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = malloc(len / 3 * 4 + 5), *o = out;
	size_t i;

	if (out == NULL)
		abort();
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];

		*o++ = abc[v >> 18 & 63], *o++ = abc[v >> 12 & 63];
		*o++ = abc[v >> 6 & 63], *o++ = abc[v & 63];
	}
	if (len - i >= 1) {
		unsigned v = (unsigned)in[i] << 16 | (len - i == 2 ? (unsigned)in[i + 1] << 8 : 0);

		*o++ = abc[v >> 18 & 63], *o++ = abc[v >> 12 & 63];
		if (len - i == 2)
			*o++ = abc[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

/* Decodes into out (len * 3 / 4 + 3 bytes); -1 unless strictly base64url. */
static int
b64url_decode(const char *in, size_t len, unsigned char *out)
{
	unsigned acc = 0, bits = 0;
	int n = 0;

	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i], v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else
			return -1;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n;
}

/* ---- signatures, made and checked with OpenSSL alone ---- */

static unsigned char *
sign(int alg, const unsigned char *hkey, size_t hkey_len, const char *input, size_t *siglen)
{
	unsigned char *sig = NULL, der[128];
	size_t derlen = sizeof der;
	EVP_MD_CTX *md;

	if (alg == TOKEN_HS256) {
		unsigned int n = 0;

		if ((sig = malloc(EVP_MAX_MD_SIZE)) == NULL ||
		    HMAC(EVP_sha256(), hkey, (int)hkey_len, (const unsigned char *)input,
		    strlen(input), sig, &n) == NULL)
			abort();
		*siglen = n;
		return sig;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, st.pkey[alg]) != 1 ||
	    EVP_DigestSign(md, NULL, siglen, (const unsigned char *)input, strlen(input)) != 1)
		abort();
	if (alg == TOKEN_RS256) {
		if ((sig = malloc(*siglen)) == NULL ||
		    EVP_DigestSign(md, sig, siglen, (const unsigned char *)input, strlen(input)) != 1)
			abort();
	} else {
		/* ES256 in JWS is r || s, 32 bytes each, not DER */
		const unsigned char *p = der;
		ECDSA_SIG *es;
		const BIGNUM *r, *s;

		if (EVP_DigestSign(md, der, &derlen, (const unsigned char *)input, strlen(input)) != 1 ||
		    (es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL ||
		    (sig = malloc(64)) == NULL)
			abort();
		ECDSA_SIG_get0(es, &r, &s);
		if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
			abort();
		ECDSA_SIG_free(es);
		*siglen = 64;
	}
	EVP_MD_CTX_free(md);
	return sig;
}

static bool
signature_good(int alg, const char *input, size_t input_len, const unsigned char *sig,
    size_t siglen)
{
	EVP_MD_CTX *md;
	unsigned char *der = NULL;
	int derlen = 0, ok;

	if (alg == TOKEN_HS256) {
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned int n = 0;

		if (HMAC(EVP_sha256(), st.key[alg], (int)st.key_len[alg], (const unsigned char *)input,
		    input_len, mac, &n) == NULL)
			abort();
		return siglen == n && CRYPTO_memcmp(mac, sig, n) == 0;
	}
	if (alg == TOKEN_ES256) {
		ECDSA_SIG *es;
		BIGNUM *r, *s;

		if (siglen != 64)
			return false;
		if ((es = ECDSA_SIG_new()) == NULL || (r = BN_bin2bn(sig, 32, NULL)) == NULL ||
		    (s = BN_bin2bn(sig + 32, 32, NULL)) == NULL || ECDSA_SIG_set0(es, r, s) != 1 ||
		    (derlen = i2d_ECDSA_SIG(es, &der)) <= 0)
			abort();
		ECDSA_SIG_free(es);
		sig = der;
		siglen = (size_t)derlen;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, st.pkey[alg]) != 1)
		abort();
	ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)input, input_len);
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return ok == 1;
}

/* HEADER "\n" CLAIMS -> a signed compact JWS; owner: the caller. */
static char *
signed_token(int alg, bool confused, const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - data) : size, clen = nl ? size - hlen - 1 : 0;
	char *h = b64url_encode(data, hlen), *c = b64url_encode(nl ? nl + 1 : data, clen);
	char *input = malloc(strlen(h) + strlen(c) + 2), *s, *token;
	unsigned char *sig;
	size_t siglen;

	if (input == NULL)
		abort();
	sprintf(input, "%s.%s", h, c);
	if (confused)
		sig = sign(TOKEN_HS256, (const unsigned char *)st.keys[alg].verify,
		    st.keys[alg].verify_len, input, &siglen);
	else
		sig = sign(alg, st.key[alg], st.key_len[alg], input, &siglen);
	s = b64url_encode(sig, siglen);
	if ((token = malloc(strlen(input) + strlen(s) + 2)) == NULL)
		abort();
	sprintf(token, "%s.%s", input, s);
	free(h);
	free(c);
	free(input);
	free(sig);
	free(s);
	return token;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum token_type expects[4] = { TOKEN_ACCESS, TOKEN_REFRESH, TOKEN_ANY, TOKEN_ANY };
	int alg, flags;
	bool with_claims, resign, confused;
	enum token_type expect;
	const struct config *cfg;
	struct token *out;
	char *token;

	if (size == 0)
		return 0;
	setup();
	flags = data[0];
	alg = (flags & 3) == 3 ? TOKEN_HS256 : (flags & 3);
	expect = expects[(flags >> 2) & 3];
	with_claims = flags & 16;
	resign = flags & 32;
	confused = resign && (flags & 64) && alg != TOKEN_HS256;
	cfg = &st.cfg[alg][with_claims];
	data++, size--;

	token = resign ? signed_token(alg, confused, data, size) : fuzz_cstring(data, size);
	if ((out = malloc(sizeof *out)) == NULL)
		abort();
	memset(out, 0xa5, sizeof *out);
	if (token_verify(cfg, &st.keys[alg], token, expect, NOW, out)) {
		const char *dot = strrchr(token, '.');
		size_t siglen = strlen(dot + 1);
		unsigned char *sig = malloc(siglen * 3 / 4 + 3);
		int n;

		if (sig == NULL)
			abort();
		FUZZ_ASSERT(!confused);
		n = b64url_decode(dot + 1, siglen, sig);
		FUZZ_ASSERT(n >= 0);	/* the signature was base64url */
		FUZZ_ASSERT(signature_good(alg, token, (size_t)(dot - token), sig, (size_t)n));
		free(sig);
		FUZZ_ASSERT(out->jwt == NULL && out->user_id > 0 && out->exp > NOW);
		FUZZ_ASSERT(strlen(out->jti) >= 1 && strlen(out->jti) <= TOKEN_JTI_LEN);
		FUZZ_ASSERT(out->type == TOKEN_ACCESS || out->type == TOKEN_REFRESH);
		FUZZ_ASSERT(expect == TOKEN_ANY || out->type == expect);
	} else {
		static const struct token zero;

		FUZZ_ASSERT(memcmp(out, &zero, sizeof zero) == 0);
	}
	free(out);
	free(token);
	return 0;
}
