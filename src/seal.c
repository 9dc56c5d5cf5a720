/*
 * Secrets at rest (see seal.h). This file must never return or leave behind
 * a plaintext that did not authenticate, never reuse a nonce on purpose (each
 * seal draws 96 fresh bits: far below GCM's 2^32 seals per key for the
 * secrets of any number of accounts), never read a key that others could
 * read or replace, and never read past SEAL_TEXT_MAX of a stored text: a
 * database row is not client input, but a row written by a bug or by an
 * attacker with database access must not become a crash here.
 */
#include "phoneauth/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "phoneauth/errmsg.h"
#include "phoneauth/random.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define NONCE_B64_LEN 16
#define VERSION "v1."
#define VERSION_LEN 3

/* A key file is one of these sizes (raw, hex, hex and "\n", hex and "\r\n"). */
#define KEY_FILE_MAX (2 * SEAL_KEY_LEN + 2)

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding of len bytes and a NUL into out. */
static void
b64url_encode(const unsigned char *in, size_t len, char *out)
{
	size_t o = 0, i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64url_alphabet[v >> 18 & 63];
		out[o++] = b64url_alphabet[v >> 12 & 63];
		out[o++] = b64url_alphabet[v >> 6 & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		out[o++] = b64url_alphabet[in[i] >> 2];
		out[o++] = b64url_alphabet[(in[i] & 3) << 4];
	} else if (len - i == 2) {
		out[o++] = b64url_alphabet[in[i] >> 2];
		out[o++] = b64url_alphabet[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[o++] = b64url_alphabet[(in[i + 1] & 15) << 2];
	}
	out[o] = '\0';
}

static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Strict base64url without padding: one spelling per value (the unused low
 * bits of the last character are zero). Returns the byte count or -1. */
static long
b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
	unsigned long acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	if (len % 4 == 1 || len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > cap)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value((unsigned char)in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned long)v) & 0xfff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if ((acc & ((1ul << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The key in a file's bytes: 32 raw bytes, or 64 hex digits and at most a
 * line end. */
static bool
key_from_file(const unsigned char *buf, size_t len, struct seal_key *key)
{
	if (len == SEAL_KEY_LEN) {
		memcpy(key->bytes, buf, SEAL_KEY_LEN);
		return true;
	}
	if (len == 2 * SEAL_KEY_LEN + 2 && buf[len - 2] == '\r' && buf[len - 1] == '\n')
		len -= 2;
	else if (len == 2 * SEAL_KEY_LEN + 1 && buf[len - 1] == '\n')
		len -= 1;
	if (len != 2 * SEAL_KEY_LEN)
		return false;
	for (size_t i = 0; i < SEAL_KEY_LEN; i++) {
		int hi = hex_value(buf[2 * i]), lo = hex_value(buf[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			OPENSSL_cleanse(key, sizeof *key);
			return false;
		}
		key->bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

bool
seal_key_load(const char *path, struct seal_key *key, char *why, size_t whylen)
{
	unsigned char buf[KEY_FILE_MAX];
	struct stat st;
	ssize_t got;
	bool ok = false;
	int fd;

	memset(key, 0, sizeof *key);
	if (path == NULL || *path == '\0')
		return errmsg(why, whylen, "data_key_file: must be set");
	/* As config.c reads the JWT secret: O_NONBLOCK so that a FIFO never
	 * blocks the start, then fstat on what was opened (no race with a
	 * rename between a stat and the open). */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return errmsg(why, whylen, "data_key_file: %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		errmsg(why, whylen, "data_key_file: %s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & (S_IWGRP | S_IRWXO)) != 0) {
		errmsg(why, whylen, "data_key_file: %s: mode %03o lets others read or replace "
		    "the key (chmod 0600, or 0640 for the service's group)", path,
		    (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (st.st_size < SEAL_KEY_LEN || st.st_size > KEY_FILE_MAX) {
		errmsg(why, whylen, "data_key_file: %s: must hold 32 bytes, as 64 hex digits "
		    "(openssl rand -hex 32) or raw, not %lld bytes", path, (long long)st.st_size);
		goto out;
	}
	got = read(fd, buf, (size_t)st.st_size);
	if (got != st.st_size) {
		errmsg(why, whylen, "data_key_file: %s: short read", path);
		goto out;
	}
	if (!key_from_file(buf, (size_t)got, key)) {
		errmsg(why, whylen, "data_key_file: %s: must hold 32 bytes, as 64 hex digits "
		    "(openssl rand -hex 32) or raw", path);
		goto out;
	}
	ok = true;
out:
	close(fd);
	OPENSSL_cleanse(buf, sizeof buf);
	if (!ok)
		seal_key_wipe(key);
	return ok;
}

void
seal_key_wipe(struct seal_key *key)
{
	OPENSSL_cleanse(key, sizeof *key);
}

/* The authenticated data: the version, so that a later format cannot be
 * fed this one's ciphertexts, and the caller's binding. */
static bool
set_aad(EVP_CIPHER_CTX *ctx, bool encrypt, const char *binding, size_t blen)
{
	int n = 0;

	if (encrypt)
		return EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)VERSION, VERSION_LEN) == 1 &&
		    EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)binding, (int)blen) == 1;
	return EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)VERSION, VERSION_LEN) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)binding, (int)blen) == 1;
}

static size_t
binding_len(const char *binding)
{
	return binding != NULL ? strnlen(binding, SEAL_BINDING_MAX + 1) : 0;
}

bool
seal_encrypt(const struct seal_key *key, const void *plain, size_t len,
    const char *binding, char *out, size_t outlen)
{
	unsigned char nonce[NONCE_LEN], sealed[SEAL_PLAIN_MAX + TAG_LEN];
	size_t blen = binding_len(binding);
	EVP_CIPHER_CTX *ctx = NULL;
	int n = 0, fin = 0;
	bool ok = false;

	if (outlen == 0)
		return false;
	out[0] = '\0';
	if (len > SEAL_PLAIN_MAX || (plain == NULL && len > 0) || blen == 0 ||
	    blen > SEAL_BINDING_MAX || outlen <= SEAL_TEXT_LEN(len))
		return false;
	if (!random_bytes(nonce, sizeof nonce) || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	/* GCM is a stream mode: Update writes as many bytes as it reads, Final
	 * none (it makes or checks the tag). */
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key->bytes, nonce) != 1 ||
	    !set_aad(ctx, true, binding, blen) ||
	    (len > 0 && EVP_EncryptUpdate(ctx, sealed, &n, plain, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(ctx, sealed + n, &fin) != 1 || (size_t)n != len || fin != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, sealed + len) != 1)
		goto out;
	memcpy(out, VERSION, VERSION_LEN);
	b64url_encode(nonce, sizeof nonce, out + VERSION_LEN);
	out[VERSION_LEN + NONCE_B64_LEN] = '.';
	b64url_encode(sealed, len + TAG_LEN, out + VERSION_LEN + NONCE_B64_LEN + 1);
	ok = true;
out:
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(sealed, sizeof sealed);
	if (!ok)
		out[0] = '\0';
	return ok;
}

bool
seal_decrypt(const struct seal_key *key, const char *text, const char *binding,
    void *plain, size_t cap, size_t *len)
{
	unsigned char nonce[NONCE_LEN], sealed[SEAL_PLAIN_MAX + TAG_LEN], tail[TAG_LEN];
	size_t blen = binding_len(binding), tlen, ctlen;
	EVP_CIPHER_CTX *ctx = NULL;
	const char *body;
	long got;
	int n = 0, fin = 0;
	bool ok = false;

	*len = 0;
	if (text == NULL || blen == 0 || blen > SEAL_BINDING_MAX ||
	    (tlen = strnlen(text, SEAL_TEXT_MAX)) == SEAL_TEXT_MAX ||
	    tlen < VERSION_LEN + NONCE_B64_LEN + 1 || memcmp(text, VERSION, VERSION_LEN) != 0 ||
	    text[VERSION_LEN + NONCE_B64_LEN] != '.')
		return false;
	body = text + VERSION_LEN + NONCE_B64_LEN + 1;
	if (b64url_decode(text + VERSION_LEN, NONCE_B64_LEN, nonce, sizeof nonce) != NONCE_LEN)
		return false;
	got = b64url_decode(body, tlen - (size_t)(body - text), sealed, sizeof sealed);
	if (got < TAG_LEN || (size_t)got - TAG_LEN > cap || (plain == NULL && got > TAG_LEN))
		return false;
	ctlen = (size_t)got - TAG_LEN;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key->bytes, nonce) != 1 ||
	    !set_aad(ctx, false, binding, blen) ||
	    (ctlen > 0 && EVP_DecryptUpdate(ctx, plain, &n, sealed, (int)ctlen) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, sealed + ctlen) != 1 ||
	    EVP_DecryptFinal_ex(ctx, tail, &fin) != 1 || (size_t)n != ctlen || fin != 0)
		goto out;
	*len = ctlen;
	ok = true;
out:
	EVP_CIPHER_CTX_free(ctx);
	/* GCM writes the plaintext before the tag is checked: a text that did
	 * not authenticate leaves nothing of it behind. */
	if (!ok && ctlen > 0)
		OPENSSL_cleanse(plain, ctlen);
	OPENSSL_cleanse(sealed, sizeof sealed);
	return ok;
}
