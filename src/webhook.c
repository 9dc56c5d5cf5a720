/*
 * Standard Webhooks (see webhook.h): the secret, the signature, the payload
 * and one delivery with libcurl. Only this file knows libcurl.
 *
 * What a delivery must never do: follow a redirect (the signed body would
 * go wherever a receiver points it), speak anything but HTTP(S), skip TLS
 * verification, take a proxy from the environment, read an answer without
 * bound, or raise a signal (the sender's own timers and stop signals are
 * its business). Nothing here logs the secret or the body.
 */
#include "phoneauth/webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "phoneauth/clock.h"
#include "phoneauth/json_check.h"
#include "phoneauth/text.h"

#define PREFIX "whsec_"
#define PREFIX_LEN (sizeof PREFIX - 1)
/* base64 of WEBHOOK_SECRET_MAX bytes, with padding */
#define SECRET_B64_MAX ((WEBHOOK_SECRET_MAX + 2) / 3 * 4)
#define ANSWER_MAX (64 * 1024)		/* bytes of an answer's body read */
#define HEADERS_MAX (16 * 1024)		/* bytes of an answer's headers */
#define URL_MAX 2048

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static bool
refuse(char *why, size_t whylen, const char *reason)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", reason);
	return false;
}

bool
webhook_secret_parse(const char *text, size_t len, struct webhook_secret *out,
    char *why, size_t whylen)
{
	const unsigned char *b64;
	size_t n, pad = 0, got = 0;
	unsigned acc = 0;
	int bits = 0;

	memset(out, 0, sizeof *out);
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	/* a file's one line break */
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (len < PREFIX_LEN || memcmp(text, PREFIX, PREFIX_LEN) != 0)
		return refuse(why, whylen, "does not start with whsec_ (Standard Webhooks' form of a secret)");
	b64 = (const unsigned char *)text + PREFIX_LEN;
	n = len - PREFIX_LEN;
	if (n > SECRET_B64_MAX)
		return refuse(why, whylen, "decodes to more than 64 bytes (the spec's most)");
	if (n == 0 || n % 4 != 0)
		return refuse(why, whylen, "the base64 after whsec_ is not a whole number of "
		    "4-character groups (padding with '=' is required)");
	while (pad < 2 && b64[n - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < n - pad; i++) {
		int v = b64_value(b64[i]);

		if (v < 0) {
			OPENSSL_cleanse(out, sizeof *out);
			return refuse(why, whylen, b64[i] == '-' || b64[i] == '_' ?
			    "the secret is base64url; standard base64 (+ and /) is required" :
			    "a character after whsec_ is not base64");
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			if (got == WEBHOOK_SECRET_MAX) {
				OPENSSL_cleanse(out, sizeof *out);
				return refuse(why, whylen, "decodes to more than 64 bytes (the spec's most)");
			}
			bits -= 8;
			out->key[got++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* the bits left over must be zero: one spelling for one key, as every
	 * receiver's decoder reads it */
	if (acc != 0 || (pad > 0 && bits != (pad == 1 ? 2 : 4))) {
		OPENSSL_cleanse(out, sizeof *out);
		return refuse(why, whylen, "the base64 after whsec_ is not canonical "
		    "(wrong padding, or bits set past the end)");
	}
	out->len = got;
	if (got < WEBHOOK_SECRET_MIN) {
		char reason[96];

		snprintf(reason, sizeof reason, "decodes to %zu bytes; at least %d are required",
		    got, WEBHOOK_SECRET_MIN);
		OPENSSL_cleanse(out, sizeof *out);
		return refuse(why, whylen, reason);
	}
	return true;
}

void
webhook_secret_clear(struct webhook_secret *s)
{
	OPENSSL_cleanse(s, sizeof *s);
}

static bool
id_acceptable(const char *id)
{
	size_t n = strnlen(id, WEBHOOK_ID_MAX + 1);

	if (n == 0 || n > WEBHOOK_ID_MAX)
		return false;
	return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

bool
webhook_sign(const struct webhook_secret *s, const char *id, long long timestamp,
    const char *body, size_t bodylen, char out[WEBHOOK_SIGNATURE_LEN + 1])
{
	char ts[24];
	unsigned char mac[32];
	size_t maclen = 0;
	EVP_MAC *hmac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	bool ok = false;
	int n;

	out[0] = '\0';
	if (!id_acceptable(id) || timestamp < 0 || s->len < WEBHOOK_SECRET_MIN ||
	    s->len > WEBHOOK_SECRET_MAX)
		return false;
	n = snprintf(ts, sizeof ts, "%lld", timestamp);
	if (n < 0 || (size_t)n >= sizeof ts)
		return false;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	/* the signed text is id "." timestamp "." body, fed in five pieces
	 * rather than copied into one */
	ok = (hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) != NULL &&
	    (ctx = EVP_MAC_CTX_new(hmac)) != NULL &&
	    EVP_MAC_init(ctx, s->key, s->len, params) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)id, strlen(id)) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)".", 1) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)ts, (size_t)n) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)".", 1) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)body, bodylen) == 1 &&
	    EVP_MAC_final(ctx, mac, &maclen, sizeof mac) == 1 && maclen == sizeof mac;
	if (ok) {
		memcpy(out, "v1,", 3);
		ok = EVP_EncodeBlock((unsigned char *)out + 3, mac, sizeof mac) == 44;
	}
	if (!ok)
		out[0] = '\0';
	OPENSSL_cleanse(mac, sizeof mac);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	return ok;
}

bool
webhook_payload(enum event_type type, long long at_ms, const char *event_json, size_t len,
    char **out, size_t *outlen)
{
	static const char head[] = "{\"type\":\"", mid[] = "\",\"timestamp\":\"", tail[] = "\",\"data\":";
	const char *name = event_type_name(type);
	char at[EVENT_TIME_LEN + 1];
	size_t nlen, total;
	char *p;

	*out = NULL;
	*outlen = 0;
	if (name == NULL || !event_time(at_ms, at))
		return false;
	/* The event comes from our own store; still, one that is not a JSON
	 * object would make every receiver's parser fail on a body we signed. */
	if (len == 0 || event_json[0] != '{' || !text_utf8_valid(event_json, len) ||
	    !json_check_strict(event_json, len))
		return false;
	nlen = strlen(name);
	total = sizeof head - 1 + nlen + sizeof mid - 1 + EVENT_TIME_LEN + sizeof tail - 1 + len + 1;
	if ((p = malloc(total + 1)) == NULL)	/* owner: the caller */
		return false;
	*out = p;
	memcpy(p, head, sizeof head - 1);
	p += sizeof head - 1;
	memcpy(p, name, nlen);
	p += nlen;
	memcpy(p, mid, sizeof mid - 1);
	p += sizeof mid - 1;
	memcpy(p, at, EVENT_TIME_LEN);
	p += EVENT_TIME_LEN;
	memcpy(p, tail, sizeof tail - 1);
	p += sizeof tail - 1;
	memcpy(p, event_json, len);
	p += len;
	*p++ = '}';
	*p = '\0';
	*outlen = total;
	return true;
}

/* ---- delivery ---- */

struct webhook_receiver {
	CURL *curl;			/* kept: its connection is reused */
	size_t body_bytes, header_bytes;
	bool over;			/* the answer went past a bound */
	char error[CURL_ERROR_SIZE];
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct webhook_receiver *r = arg;
	size_t n = size * nmemb;

	(void)data;
	if (n > ANSWER_MAX - r->body_bytes) {
		r->over = true;
		return 0;	/* ends the transfer: the status is known by now */
	}
	r->body_bytes += n;
	return n;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct webhook_receiver *r = arg;
	size_t n = size * nmemb;

	(void)data;
	if (n > HEADERS_MAX - r->header_bytes) {
		r->over = true;
		return 0;
	}
	r->header_bytes += n;
	return n;
}

static bool
url_acceptable(const char *url, char *err, size_t errlen)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL;
	bool ok = false;
	size_t n = strnlen(url, URL_MAX + 1);

	if (n == 0 || n > URL_MAX) {
		snprintf(err, errlen, "a URL of 1 to %d bytes is required", URL_MAX);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f) {
			snprintf(err, errlen, "a URL has no spaces, control or non-ASCII characters");
			return false;
		}
	if ((u = curl_url()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		snprintf(err, errlen, "not a URL with a scheme and a host");
	else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		snprintf(err, errlen, "only http:// and https:// URLs are allowed");
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0')
		snprintf(err, errlen, "not a URL with a scheme and a host");
	else
		ok = true;
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

struct webhook_receiver *
webhook_receiver_new(const char *url, long timeout_s, const char *proxy, char *err, size_t errlen)
{
	static bool initialised;
	struct webhook_receiver *r;
	long timeout_ms;
	CURL *c;
	bool ok;

	err[0] = '\0';
	if (timeout_s < 1 || timeout_s > 3600) {
		snprintf(err, errlen, "a timeout of 1 to 3600 seconds is required");
		return NULL;
	}
	if (!url_acceptable(url, err, errlen))
		return NULL;
	if (proxy != NULL && !url_acceptable(proxy, err, errlen))
		return NULL;
	/* once, before any handle; the sender has no other thread then */
	if (!initialised) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errlen, "libcurl cannot start");
			return NULL;
		}
		initialised = true;
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {	/* owner: the caller, webhook_receiver_free() */
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((r->curl = c = curl_easy_init()) == NULL) {
		free(r);
		snprintf(err, errlen, "libcurl cannot make a handle");
		return NULL;
	}
	timeout_ms = timeout_s * 1000;
	ok = curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 0L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK &&
	    /* "" is no proxy, whatever http_proxy or https_proxy say */
	    curl_easy_setopt(c, CURLOPT_PROXY, proxy != NULL ? proxy : "") == CURLE_OK &&
	    /* and "" here: no_proxy from the environment does not bypass a
	     * configured one either */
	    curl_easy_setopt(c, CURLOPT_NOPROXY, "") == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "phoneauth") == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, r) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, r) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->error) == CURLE_OK;
	if (!ok) {
		snprintf(err, errlen, "libcurl refuses an option (built without http, https or TLS?)");
		webhook_receiver_free(r);
		return NULL;
	}
	return r;
}

void
webhook_receiver_free(struct webhook_receiver *r)
{
	if (r == NULL)
		return;
	curl_easy_cleanup(r->curl);
	free(r);
}

/* Appends one header line; false (and the list freed) when out of memory. */
static bool
add_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *l = curl_slist_append(*list, line);

	if (l == NULL) {
		curl_slist_free_all(*list);
		*list = NULL;
		return false;
	}
	*list = l;
	return true;
}

/* A failed try: out->detail already says why. */
static enum webhook_result
failed(struct webhook_outcome *out)
{
	out->result = WEBHOOK_RETRY;
	return WEBHOOK_RETRY;
}

enum webhook_result
webhook_deliver(struct webhook_receiver *r, const struct webhook_secret *s,
    const char *id, long long now_s, const char *body, size_t bodylen,
    struct webhook_outcome *out)
{
	char signature[WEBHOOK_SIGNATURE_LEN + 1];
	char h_id[16 + WEBHOOK_ID_MAX], h_ts[48], h_sig[32 + WEBHOOK_SIGNATURE_LEN];
	struct curl_slist *headers = NULL;
	curl_off_t retry_after = 0;
	long long started;
	CURLcode rc;
	long status = 0;

	memset(out, 0, sizeof *out);
	if (!webhook_sign(s, id, now_s, body, bodylen, signature))
	{
		snprintf(out->detail, sizeof out->detail, "cannot sign (a bad id or secret)");
		return failed(out);
	}
	snprintf(h_id, sizeof h_id, "webhook-id: %s", id);
	snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", now_s);
	snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", signature);
	/* "Expect:" drops libcurl's Expect: 100-continue on bodies over 1 KiB,
	 * which costs a round trip (or a second) for nothing */
	if (!add_header(&headers, "Content-Type: application/json") ||
	    !add_header(&headers, h_id) || !add_header(&headers, h_ts) ||
	    !add_header(&headers, h_sig) || !add_header(&headers, "Expect:"))
	{
		snprintf(out->detail, sizeof out->detail, "out of memory");
		return failed(out);
	}
	r->body_bytes = r->header_bytes = 0;
	r->over = false;
	r->error[0] = '\0';
	if (curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
	    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodylen) != CURLE_OK ||
	    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body) != CURLE_OK) {
		curl_slist_free_all(headers);
		snprintf(out->detail, sizeof out->detail, "libcurl refuses the request");
		return failed(out);
	}
	started = clock_monotonic_ms();
	rc = curl_easy_perform(r->curl);
	out->elapsed_ms = clock_monotonic_ms() - started;
	/* the list dies here: the handle must not keep pointing at it */
	curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	OPENSSL_cleanse(signature, sizeof signature);
	if (curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		status = 0;
	out->status = status;
	if (curl_easy_getinfo(r->curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
	    retry_after > 0)
		out->retry_after_s = retry_after > WEBHOOK_MAX_DELAY ? WEBHOOK_MAX_DELAY : (long)retry_after;
	/* The status line is the receiver's answer: a 2xx whose body we
	 * stopped reading (too long), or that never came whole, is a yes all
	 * the same. (libcurl sets the status to 0 at the start of each
	 * transfer: it is never the previous delivery's.) */
	if (status >= 200 && status <= 299) {
		out->result = WEBHOOK_DELIVERED;
		return WEBHOOK_DELIVERED;
	}
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && r->over && status > 0))
		snprintf(out->detail, sizeof out->detail, "%.130s (curl %d)",
		    r->error[0] ? r->error : curl_easy_strerror(rc), (int)rc);
	else if (status >= 300 && status <= 399)
		snprintf(out->detail, sizeof out->detail,
		    "HTTP %ld: a redirect, not followed (point webhook_url at its target)", status);
	else
		snprintf(out->detail, sizeof out->detail, "HTTP %ld", status);
	return failed(out);
}

long
webhook_next_delay(long failed_tries)
{
	if (failed_tries < 1)
		return 0;
	if (failed_tries > 6)
		return WEBHOOK_MAX_DELAY;
	return 1L << (failed_tries - 1);
}

bool
webhook_gives_up(long long first_s, long long now_s, long retry_for_s)
{
	return now_s - first_s >= retry_for_s;
}
