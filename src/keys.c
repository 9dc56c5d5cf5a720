/*
 * Key material through OpenSSL 3. The private key is read once; everything a
 * verifier needs (public PEM, JWK, kid) is derived here, so no request ever
 * parses a key. The kid is the RFC 7638 thumbprint: base64url(SHA-256) of the
 * JWK's required members in lexicographic order, without blanks.
 */
#include "phoneauth/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "phoneauth/errmsg.h"

/* base64url without padding of `len` bytes into out (4/3 len + 1). */
static void
b64url(const unsigned char *in, size_t len, char *out)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];

		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)in[i] << 16;

		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;

		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
}

/* A big-number parameter as base64url of its unsigned big-endian bytes,
 * padded to `width` bytes when width > 0 (EC coordinates are fixed-size). */
static char *
bn_param_b64(const EVP_PKEY *pkey, const char *name, int width)
{
	BIGNUM *bn = NULL;
	unsigned char *buf = NULL;
	char *out = NULL;
	int len;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return NULL;
	len = width > 0 ? width : BN_num_bytes(bn);
	if ((buf = malloc((size_t)len)) != NULL && BN_bn2binpad(bn, buf, len) == len &&
	    (out = malloc((size_t)len * 4 / 3 + 4)) != NULL)
		b64url(buf, (size_t)len, out);
	free(buf);
	BN_free(bn);
	return out;
}

/* Public PEM, JWK members and kid of an RSA or P-256 key. */
static bool
describe(EVP_PKEY *pkey, struct keys *k, char *err, size_t errlen)
{
	char *a = NULL, *b = NULL, thumb_input[2048], jwk[2048];
	unsigned char digest[32];
	unsigned int dlen = 0;
	BIO *bio = NULL;
	BUF_MEM *mem;
	bool ok = false;

	if (k->alg == TOKEN_RS256) {
		a = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
		b = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
		if (a == NULL || b == NULL)
			goto out;
		snprintf(thumb_input, sizeof thumb_input, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", a, b);
	} else {
		a = bn_param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32);
		b = bn_param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
		if (a == NULL || b == NULL)
			goto out;
		snprintf(thumb_input, sizeof thumb_input,
		    "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", a, b);
	}
	if (EVP_Digest(thumb_input, strlen(thumb_input), digest, &dlen, EVP_sha256(), NULL) != 1)
		goto out;
	b64url(digest, dlen, k->kid);
	if (k->alg == TOKEN_RS256)
		snprintf(jwk, sizeof jwk, "{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\","
		    "\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"}", k->kid, b, a);
	else
		snprintf(jwk, sizeof jwk, "{\"kty\":\"EC\",\"use\":\"sig\",\"alg\":\"ES256\","
		    "\"kid\":\"%s\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", k->kid, a, b);
	if ((k->jwks = malloc(strlen(jwk) + 12)) == NULL)
		goto out;
	snprintf(k->jwks, strlen(jwk) + 12, "{\"keys\":[%s]}", jwk);
	if ((bio = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_PUBKEY(bio, pkey) != 1)
		goto out;
	BIO_get_mem_ptr(bio, &mem);
	if ((k->verify = malloc(mem->length + 1)) == NULL)
		goto out;
	memcpy(k->verify, mem->data, mem->length);
	k->verify[mem->length] = '\0';
	k->verify_len = mem->length;
	ok = true;
out:
	if (!ok)
		errmsg(err, errlen, "jwt_private_key_file: cannot derive the public key");
	BIO_free(bio);
	free(a);
	free(b);
	return ok;
}

bool
keys_load(const struct config *cfg, struct keys *k, char *err, size_t errlen)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio;
	bool ok = false;

	memset(k, 0, sizeof *k);
	k->alg = cfg->jwt_alg;
	k->sign = cfg->jwt_key;
	k->sign_len = cfg->jwt_key_len;
	if (cfg->jwt_alg == TOKEN_HS256) {
		/* Symmetric: the same bytes sign and verify. */
		if ((k->verify = malloc(cfg->jwt_key_len + 1)) == NULL)
			return errmsg(err, errlen, "out of memory");
		memcpy(k->verify, cfg->jwt_key, cfg->jwt_key_len + 1);
		k->verify_len = cfg->jwt_key_len;
		return true;
	}
	if ((bio = BIO_new_mem_buf(cfg->jwt_key, (int)cfg->jwt_key_len)) != NULL)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		errmsg(err, errlen, "jwt_private_key_file: %s: not a PEM private key (an encrypted "
		    "key is not supported)", cfg->jwt_private_key_file);
		goto out;
	}
	if (cfg->jwt_alg == TOKEN_RS256) {
		if (!EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_get_bits(pkey) < 2048) {
			errmsg(err, errlen, "jwt_private_key_file: RS256 needs an RSA key of at least "
			    "2048 bits (phoneauth keygen rs256 makes one)");
			goto out;
		}
	} else {
		char curve[64] = "";

		if (!EVP_PKEY_is_a(pkey, "EC") || EVP_PKEY_get_utf8_string_param(pkey,
		    OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, NULL) != 1 ||
		    strcmp(curve, "prime256v1") != 0) {
			errmsg(err, errlen, "jwt_private_key_file: ES256 needs an EC key on P-256 "
			    "(phoneauth keygen es256 makes one)");
			goto out;
		}
	}
	ok = describe(pkey, k, err, errlen);
out:
	EVP_PKEY_free(pkey);
	if (!ok)
		keys_free(k);
	return ok;
}

void
keys_free(struct keys *k)
{
	free(k->verify);
	free(k->jwks);
	memset(k, 0, sizeof *k);
}

bool
keys_generate(const char *alg, const char *path, char *err, size_t errlen)
{
	EVP_PKEY *pkey = NULL;
	FILE *f = stdout;
	bool ok = false;
	int fd;

	if (strcmp(alg, "rs256") == 0 || strcmp(alg, "RS256") == 0)
		pkey = EVP_RSA_gen(3072);
	else if (strcmp(alg, "es256") == 0 || strcmp(alg, "ES256") == 0)
		pkey = EVP_EC_gen("P-256");
	else
		return errmsg(err, errlen, "keygen: the algorithm is rs256 or es256");
	if (pkey == NULL)
		return errmsg(err, errlen, "keygen: OpenSSL could not make a key");
	if (path != NULL) {
		/* The private key is readable by its owner only, and an existing key
		 * is never overwritten: that would log every user out. */
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
		    (f = fdopen(fd, "w")) == NULL) {
			errmsg(err, errlen, "keygen: %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
	}
	ok = PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) == 1;
	if (path != NULL && fclose(f) != 0)
		ok = false;
	if (!ok)
		errmsg(err, errlen, "keygen: cannot write the key");
out:
	EVP_PKEY_free(pkey);
	return ok;
}
