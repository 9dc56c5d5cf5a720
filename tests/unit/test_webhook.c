/*
 * webhook.c: the secret's form, the signature against the test vector the
 * Standard Webhooks libraries share (the spec's own example signature
 * comes without its secret, so it cannot be checked), the payload read
 * back by json-c, the retry schedule, and deliveries to receivers of this
 * test's own on 127.0.0.1 (threads speaking HTTP/1.1, and one TLS server
 * with a certificate no one trusts): 2xx delivered, 500/404/429 retried,
 * a hang retried within the timeout, a 302 not followed, no proxy from the
 * environment, one connection for several deliveries.
 *
 *   test_webhook --write-signed FILE
 *
 * instead writes one delivery as the receiver got it (its headers, its
 * body and the secret) to FILE as JSON, for tests/node/test_webhook.sh to
 * verify with the receivers' npm package `standardwebhooks`.
 */
#define _GNU_SOURCE		/* memmem */

#include "phoneauth/webhook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "harness.h"
#include "phoneauth/clock.h"
#include "phoneauth/event.h"

/* The vector of the libraries' tests (javascript/src/webhook.test.ts,
 * python, go...: "sign function works"). */
#define VECTOR_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define VECTOR_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define VECTOR_TS 1614265330LL
#define VECTOR_BODY "{\"test\": 2432232314}"
#define VECTOR_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static struct webhook_secret
secret_of(const char *text)
{
	struct webhook_secret s;
	char why[160];

	if (!webhook_secret_parse(text, strlen(text), &s, why, sizeof why)) {
		fprintf(stderr, "secret_of(%s): %s\n", text, why);
		abort();
	}
	return s;
}

static void
secrets_are_whsec_and_canonical_base64_of_24_to_64_bytes(void)
{
	static const struct {
		int line;
		const char *text;
		int len;		/* decoded bytes; -1: refused */
		const char *why;	/* part of the reason */
	} cases[] = {
		{ __LINE__, VECTOR_SECRET, 24, NULL },
		{ __LINE__, VECTOR_SECRET "\n", 24, NULL },
		{ __LINE__, VECTOR_SECRET "\r\n", 24, NULL },
		{ __LINE__, VECTOR_SECRET "\n\n", -1, "4-character" },
		{ __LINE__, VECTOR_SECRET " ", -1, "4-character" },
		{ __LINE__, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", -1, "whsec_" },
		{ __LINE__, "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", -1, "whsec_" },
		{ __LINE__, "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", -1, "whsec_" },
		{ __LINE__, "", -1, "whsec_" },
		{ __LINE__, "whsec_", -1, "4-character" },
		{ __LINE__, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", -1, "4-character" },
		{ __LINE__, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-w", -1, "base64url" },
		{ __LINE__, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa_w", -1, "base64url" },
		{ __LINE__, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa*w", -1, "not base64" },
		{ __LINE__, "whsec_MfKQ9r8G=YqrTwjUPD8ILPZIo2LaLaSw", -1, "not base64" },
		/* 23 bytes: one short */
		{ __LINE__, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", -1, "at least 24" },
		/* 25 and 32 bytes */
		{ __LINE__, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQ==", 25, NULL },
		{ __LINE__, "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 32, NULL },
		/* 64 bytes, the most; 65 too many */
		{ __LINE__, "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==", 64, NULL },
		{ __LINE__, "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A=", -1, "64 bytes" },
		/* bits set past the end, or padding that lies */
		{ __LINE__, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAR==", -1, "canonical" },
		{ __LINE__, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=", -1, "canonical" },
		{ __LINE__, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA====", -1, "not base64" },
		{ __LINE__, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=AAAA", -1, "not base64" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct webhook_secret s;
		char why[160] = "";
		bool ok = webhook_secret_parse(cases[i].text, strlen(cases[i].text), &s, why, sizeof why);

		if (cases[i].len < 0) {
			CHECK_AT(cases[i].line, !ok, "\"%s\" accepted", cases[i].text);
			CHECK_AT(cases[i].line, s.len == 0, "a refused secret kept %zu bytes", s.len);
			CHECK_AT(cases[i].line, strstr(why, cases[i].why) != NULL, "why \"%s\", want \"%s\"",
			    why, cases[i].why);
			/* the reason never quotes the secret */
			CHECK_AT(cases[i].line, strlen(cases[i].text) < 12 ||
			    strstr(why, cases[i].text + 6) == NULL, "the secret in why: %s", why);
			continue;
		}
		CHECK_AT(cases[i].line, ok && (int)s.len == cases[i].len, "\"%s\": %s, %zu bytes",
		    cases[i].text, ok ? "accepted" : why, s.len);
		if (ok) {
			/* the same bytes as OpenSSL's decoder gives */
			const char *b64 = cases[i].text + 6;
			unsigned char want[128];
			size_t n = strcspn(b64, "\r\n");
			int got = EVP_DecodeBlock(want, (const unsigned char *)b64, (int)n);

			/* EVP_DecodeBlock counts the padding as zero bytes */
			for (size_t k = 0; k < n; k++)
				got -= b64[k] == '=';
			CHECK_AT(cases[i].line, got == (int)s.len && memcmp(want, s.key, s.len) == 0,
			    "key differs from EVP_DecodeBlock's");
		}
		webhook_secret_clear(&s);
		CHECK_AT(cases[i].line, s.len == 0, "clear left the length");
	}
}

static void
the_libraries_test_vector_signs_alike(void)
{
	struct webhook_secret s = secret_of(VECTOR_SECRET);
	char sig[WEBHOOK_SIGNATURE_LEN + 1];

	CHECK(webhook_sign(&s, VECTOR_ID, VECTOR_TS, VECTOR_BODY, strlen(VECTOR_BODY), sig), "sign");
	CHECK_STR(sig, VECTOR_SIG);
	/* one byte of anything changes it */
	CHECK(webhook_sign(&s, VECTOR_ID, VECTOR_TS + 1, VECTOR_BODY, strlen(VECTOR_BODY), sig) &&
	    strcmp(sig, VECTOR_SIG) != 0, "the timestamp is not signed");
	CHECK(webhook_sign(&s, "msg_p5jXN8AQM9LWM0D4loKWxJeK", VECTOR_TS, VECTOR_BODY,
	    strlen(VECTOR_BODY), sig) && strcmp(sig, VECTOR_SIG) != 0, "the id is not signed");
	CHECK(webhook_sign(&s, VECTOR_ID, VECTOR_TS, VECTOR_BODY, strlen(VECTOR_BODY) - 1, sig) &&
	    strcmp(sig, VECTOR_SIG) != 0, "the body's length is not honoured");
	s.key[0] ^= 1;
	CHECK(webhook_sign(&s, VECTOR_ID, VECTOR_TS, VECTOR_BODY, strlen(VECTOR_BODY), sig) &&
	    strcmp(sig, VECTOR_SIG) != 0, "the key is not used");
	webhook_secret_clear(&s);
}

/* HMAC() over the concatenation, the way a receiver computes it. */
static void
reference_signature(const struct webhook_secret *s, const char *id, long long ts, const char *body,
    size_t bodylen, char out[WEBHOOK_SIGNATURE_LEN + 1])
{
	size_t idlen = strlen(id), n;
	char *msg = malloc(idlen + bodylen + 32);
	unsigned char mac[32];
	unsigned int maclen = 0;

	if (msg == NULL)
		abort();
	n = (size_t)sprintf(msg, "%s.%lld.", id, ts);
	memcpy(msg + n, body, bodylen);
	HMAC(EVP_sha256(), s->key, (int)s->len, (unsigned char *)msg, n + bodylen, mac, &maclen);
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, 32);
	free(msg);
}

static void
signatures_match_a_plain_hmac_and_refuse_bad_ids(void)
{
	struct webhook_secret s = secret_of("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	char sig[WEBHOOK_SIGNATURE_LEN + 1], want[WEBHOOK_SIGNATURE_LEN + 1];
	static char body[70000];
	char long_id[WEBHOOK_ID_MAX + 2];

	for (size_t len = 0; len < sizeof body; len = len * 3 + 1) {
		for (size_t i = 0; i < len; i++)
			body[i] = (char)(i * 31 + len);
		CHECK(webhook_sign(&s, "0b2f7c1e-6a3d-4c2e-9f1a-2b3c4d5e6f70", 1796638800, body, len, sig),
		    "sign %zu", len);
		reference_signature(&s, "0b2f7c1e-6a3d-4c2e-9f1a-2b3c4d5e6f70", 1796638800, body, len, want);
		CHECK(strcmp(sig, want) == 0, "body of %zu bytes: %s, HMAC() says %s", len, sig, want);
	}
	memset(long_id, 'a', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	CHECK(!webhook_sign(&s, long_id, 1, "{}", 2, sig) && sig[0] == '\0', "an id over 64");
	long_id[WEBHOOK_ID_MAX] = '\0';
	CHECK(webhook_sign(&s, long_id, 1, "{}", 2, sig), "an id of 64");
	CHECK(!webhook_sign(&s, "a.b", 1, "{}", 2, sig), "an id with a dot");
	CHECK(!webhook_sign(&s, "", 1, "{}", 2, sig), "an empty id");
	CHECK(!webhook_sign(&s, "a\r\nx-evil: 1", 1, "{}", 2, sig), "an id that breaks the header");
	CHECK(!webhook_sign(&s, "a", -1, "{}", 2, sig), "a time before 1970");
	s.len = 10;
	CHECK(!webhook_sign(&s, "a", 1, "{}", 2, sig), "a key under 24 bytes");
	webhook_secret_clear(&s);
}

static json_object *
strict_parse(const char *text, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static void
the_payload_is_type_timestamp_and_the_event(void)
{
	struct event ev;
	char json[EVENT_JSON_MAX], *body;
	size_t len, bodylen;
	json_object *o, *v, *data, *again;

	CHECK(event_init(&ev, EVENT_LOGIN_SUCCEEDED, 1796638800123LL), "init");
	ev.user_id = 7;
	ev.user_agent = "ua \"quoted\"";
	CHECK(event_set(&ev, "method", "code"), "method");
	CHECK(event_render(&ev, json, sizeof json, &len), "render");
	CHECK(webhook_payload(ev.type, ev.at_ms, json, len, &body, &bodylen), "payload");
	if (body == NULL)
		return;
	CHECK_INT(bodylen, strlen(body));
	{
		static const char want[] = "{\"type\":\"login.succeeded\","
		    "\"timestamp\":\"2026-12-07T10:20:00.123Z\",\"data\":{\"id\":";

		CHECK(strncmp(body, want, sizeof want - 1) == 0, "%s", body);
	}
	o = strict_parse(body, bodylen);
	CHECK(o != NULL && json_object_object_length(o) == 3, "not 3 members: %s", body);
	CHECK(json_object_object_get_ex(o, "type", &v) &&
	    strcmp(json_object_get_string(v), "login.succeeded") == 0, "type");
	CHECK(json_object_object_get_ex(o, "timestamp", &v) &&
	    strcmp(json_object_get_string(v), "2026-12-07T10:20:00.123Z") == 0, "timestamp");
	again = strict_parse(json, len);
	CHECK(json_object_object_get_ex(o, "data", &data) && json_object_equal(data, again),
	    "data is not the event");
	json_object_put(again);
	json_object_put(o);
	free(body);

	CHECK(!webhook_payload(ev.type, ev.at_ms, "{\"a\":", 5, &body, &bodylen) && body == NULL,
	    "a cut event");
	CHECK(!webhook_payload(ev.type, ev.at_ms, "[1]", 3, &body, &bodylen), "not an object");
	CHECK(!webhook_payload(ev.type, ev.at_ms, "{} {}", 5, &body, &bodylen), "two objects");
	CHECK(!webhook_payload(ev.type, ev.at_ms, "{\"a\":\"\xff\"}", 9, &body, &bodylen), "not UTF-8");
	CHECK(!webhook_payload(ev.type, ev.at_ms, "", 0, &body, &bodylen), "empty");
	CHECK(!webhook_payload(ev.type, -1, json, len, &body, &bodylen), "a time before 1970");
	CHECK(!webhook_payload(EVENT__MAX, 0, json, len, &body, &bodylen), "no such type");
}

static void
retries_wait_1_2_4_up_to_60_seconds_for_retry_for_in_all(void)
{
	static const struct {
		int line;
		long tries;
		long delay;
	} cases[] = {
		{ __LINE__, LONG_MIN, 0 }, { __LINE__, -1, 0 }, { __LINE__, 0, 0 },
		{ __LINE__, 1, 1 }, { __LINE__, 2, 2 }, { __LINE__, 3, 4 }, { __LINE__, 4, 8 },
		{ __LINE__, 5, 16 }, { __LINE__, 6, 32 }, { __LINE__, 7, 60 }, { __LINE__, 8, 60 },
		{ __LINE__, 64, 60 }, { __LINE__, LONG_MAX, 60 },
	};
	long long first = 1796638800, t = first;
	long tries = 0;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_AT(cases[i].line, webhook_next_delay(cases[i].tries) == cases[i].delay,
		    "after %ld: %ld, want %ld", cases[i].tries, webhook_next_delay(cases[i].tries),
		    cases[i].delay);
	CHECK(!webhook_gives_up(first, first, 86400), "dead at once");
	CHECK(!webhook_gives_up(first, first + 86399, 86400), "dead a second early");
	CHECK(webhook_gives_up(first, first + 86400, 86400), "alive after retry_for");
	CHECK(webhook_gives_up(first, first + 1, 0), "retry_for 0 retries");
	/* a receiver down for good: tried at 0, 1, 3, 7, ... then every minute
	 * for a day: 1 + 6 + 1440 - 1 tries (the last minute's try would
	 * start at the day's end) */
	while (!webhook_gives_up(first, t, 86400)) {
		tries++;
		t += webhook_next_delay(tries);
	}
	CHECK(tries >= 1440 && tries <= 1448, "%ld tries in a day", tries);
}

static void
receivers_take_http_and_https_urls_only(void)
{
	static const struct {
		int line;
		const char *url, *proxy;
		long timeout;
		const char *why;	/* NULL: accepted */
	} cases[] = {
		{ __LINE__, "https://hooks.example.com/phoneauth", NULL, 5, NULL },
		{ __LINE__, "http://127.0.0.1:8080/in?x=1", NULL, 5, NULL },
		{ __LINE__, "http://[::1]:9/", "http://127.0.0.1:3128", 30, NULL },
		{ __LINE__, "ftp://example.com/", NULL, 5, "only http" },
		{ __LINE__, "file:///etc/passwd", NULL, 5, "only http" },
		{ __LINE__, "gopher://example.com/", NULL, 5, "only http" },
		{ __LINE__, "example.com/hook", NULL, 5, "scheme" },
		{ __LINE__, "http://", NULL, 5, "scheme" },
		{ __LINE__, "https://exa mple.com/", NULL, 5, "spaces" },
		{ __LINE__, "https://example.com/\r\nX: 1", NULL, 5, "spaces" },
		{ __LINE__, "", NULL, 5, "1 to" },
		{ __LINE__, "https://example.com/", NULL, 0, "timeout" },
		{ __LINE__, "https://example.com/", "socks5://x", 5, "only http" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[200];
		struct webhook_receiver *r = webhook_receiver_new(cases[i].url, cases[i].timeout,
		    cases[i].proxy, err, sizeof err);

		if (cases[i].why == NULL)
			CHECK_AT(cases[i].line, r != NULL, "%s refused: %s", cases[i].url, err);
		else
			CHECK_AT(cases[i].line, r == NULL && strstr(err, cases[i].why) != NULL,
			    "%s: %s", cases[i].url, r ? "accepted" : err);
		webhook_receiver_free(r);
	}
}

/* ---- receivers of our own ---- */

struct request {
	char head[4096];
	char body[16384];
	size_t body_len;
};

struct server {
	int fd, port;
	const char *answer;		/* the whole HTTP answer; NULL: never answer */
	size_t answer_len;
	bool close_after;		/* close the connection after answering */
	int answer_only;		/* answer this many requests, then hang (0: all) */
	pthread_t thread;
	pthread_mutex_t lock;
	volatile int stop;
	int connections, requests;
	struct request last;
};

static int
listen_loopback(int *port, bool do_listen)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t alen = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || (do_listen && listen(fd, 16) != 0) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
		perror("test_webhook: listen");
		exit(1);
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* Whether buf holds a whole request (head and Content-Length bytes of
 * body); records it. */
static bool
whole_request(struct server *s, const char *buf, size_t len)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4), *cl;
	size_t head, body = 0;

	if (end == NULL)
		return false;
	head = (size_t)(end - buf) + 4;
	for (cl = buf; cl < end && (cl = memmem(cl, (size_t)(end - cl), "\r\n", 2)) != NULL; cl += 2)
		if (strncasecmp(cl + 2, "Content-Length:", 15) == 0)
			body = strtoul(cl + 17, NULL, 10);
	if (len < head + body)
		return false;
	pthread_mutex_lock(&s->lock);
	s->requests++;
	snprintf(s->last.head, sizeof s->last.head, "%.*s", (int)head, buf);
	s->last.body_len = body < sizeof s->last.body ? body : sizeof s->last.body - 1;
	memcpy(s->last.body, buf + head, s->last.body_len);
	s->last.body[s->last.body_len] = '\0';
	pthread_mutex_unlock(&s->lock);
	return true;
}

static void *
serve(void *arg)
{
	struct server *s = arg;
	static __thread char buf[65536];
	size_t got = 0;
	int conn = -1;

	while (!s->stop) {
		struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN }, { .fd = conn, .events = POLLIN } };

		if (poll(p, conn >= 0 ? 2 : 1, 50) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int c = accept(s->fd, NULL, NULL);

			if (c >= 0) {
				if (conn >= 0)
					close(conn);	/* one connection at a time */
				conn = c;
				got = 0;
				pthread_mutex_lock(&s->lock);
				s->connections++;
				pthread_mutex_unlock(&s->lock);
			}
		}
		if (conn >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = recv(conn, buf + got, sizeof buf - got, 0);

			if (n <= 0) {
				close(conn);
				conn = -1;
				continue;
			}
			got += (size_t)n;
			if (whole_request(s, buf, got)) {
				got = 0;
				if (s->answer != NULL && (s->answer_only == 0 || s->requests <= s->answer_only)) {
					size_t off = 0;

					while (off < s->answer_len) {
						ssize_t w = send(conn, s->answer + off, s->answer_len - off,
						    MSG_NOSIGNAL);

						if (w <= 0)
							break;
						off += (size_t)w;
					}
					if (s->close_after) {
						close(conn);
						conn = -1;
					}
				}
			}
		}
	}
	if (conn >= 0)
		close(conn);
	return NULL;
}

static void
server_start(struct server *s, const char *answer)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->lock, NULL);
	s->fd = listen_loopback(&s->port, true);
	s->answer = answer;
	s->answer_len = answer ? strlen(answer) : 0;
	/* an HTTP/1.0 answer without a length ends when the connection does */
	s->close_after = answer != NULL && strncmp(answer, "HTTP/1.0", 8) == 0;
	if (pthread_create(&s->thread, NULL, serve, s) != 0) {
		perror("pthread_create");
		exit(1);
	}
}

static void
server_stop(struct server *s)
{
	s->stop = 1;
	pthread_join(s->thread, NULL);
	close(s->fd);
	pthread_mutex_destroy(&s->lock);
}

/* The value of header `name` in a request's head, or "". */
static const char *
header(const struct request *req, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);

	out[0] = '\0';
	for (const char *l = strstr(req->head, "\r\n"); l != NULL; l = strstr(l + 2, "\r\n"))
		if (strncasecmp(l + 2, name, n) == 0 && l[2 + n] == ':') {
			const char *v = l + 3 + n;

			while (*v == ' ')
				v++;
			snprintf(out, outlen, "%.*s", (int)strcspn(v, "\r\n"), v);
			break;
		}
	return out;
}

static char *
url_of(const struct server *s, const char *path, char *out, size_t outlen)
{
	snprintf(out, outlen, "http://127.0.0.1:%d%s", s->port, path);
	return out;
}

/* A signed payload of a real event; owner of *body: the caller. */
static void
make_body(char **body, size_t *bodylen, char id[EVENT_ID_LEN + 1])
{
	struct event ev;
	char json[EVENT_JSON_MAX];
	size_t len;

	if (!event_init(&ev, EVENT_PASSWORD_CHANGED, (long long)time(NULL) * 1000 + 123) ||
	    !event_set(&ev, "via", "reset"))
		abort();
	ev.user_id = 42;
	ev.mobile_number = "09121234567";
	ev.ip = "203.0.113.9";
	ev.user_agent = "Mozilla/5.0 \"test\" \xd8\xb4";
	if (!event_render(&ev, json, sizeof json, &len) ||
	    !webhook_payload(ev.type, ev.at_ms, json, len, body, bodylen))
		abort();
	memcpy(id, ev.id, EVENT_ID_LEN + 1);
}

#define OK_ANSWER "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"

static void
a_2xx_is_delivered_signed_as_the_spec_says_on_one_connection(void)
{
	struct webhook_secret s = secret_of(VECTOR_SECRET);
	struct webhook_outcome out;
	struct server srv;
	struct webhook_receiver *r;
	char url[64], err[200], id[EVENT_ID_LEN + 1], v[256], want[WEBHOOK_SIGNATURE_LEN + 1];
	char *body;
	size_t bodylen;
	long long now = time(NULL);

	server_start(&srv, OK_ANSWER);
	make_body(&body, &bodylen, id);
	r = webhook_receiver_new(url_of(&srv, "/hooks/in", url, sizeof url), 5, NULL, err, sizeof err);
	CHECK(r != NULL, "%s", err);
	if (r == NULL)
		goto out;
	CHECK(webhook_deliver(r, &s, id, now, body, bodylen, &out) == WEBHOOK_DELIVERED,
	    "not delivered: %s", out.detail);
	CHECK_INT(out.result, WEBHOOK_DELIVERED);
	CHECK_INT(out.status, 200);
	CHECK(out.detail[0] == '\0', "detail on success: %s", out.detail);
	pthread_mutex_lock(&srv.lock);
	CHECK(strncmp(srv.last.head, "POST /hooks/in HTTP/1.1\r\n", 25) == 0, "%s", srv.last.head);
	CHECK(srv.last.body_len == bodylen && memcmp(srv.last.body, body, bodylen) == 0,
	    "the body differs: %s", srv.last.body);
	CHECK_STR(header(&srv.last, "webhook-id", v, sizeof v), id);
	snprintf(want, sizeof want, "%lld", now);
	CHECK_STR(header(&srv.last, "webhook-timestamp", v, sizeof v), want);
	reference_signature(&s, id, now, body, bodylen, want);
	CHECK_STR(header(&srv.last, "webhook-signature", v, sizeof v), want);
	CHECK_STR(header(&srv.last, "content-type", v, sizeof v), "application/json");
	CHECK_STR(header(&srv.last, "expect", v, sizeof v), "");
	pthread_mutex_unlock(&srv.lock);

	/* the next events go over the same connection */
	CHECK(webhook_deliver(r, &s, id, now + 1, body, bodylen, &out) == WEBHOOK_DELIVERED, "2nd");
	CHECK(webhook_deliver(r, &s, id, now + 2, body, bodylen, &out) == WEBHOOK_DELIVERED, "3rd");
	pthread_mutex_lock(&srv.lock);
	CHECK_INT(srv.requests, 3);
	CHECK_INT(srv.connections, 1);
	snprintf(want, sizeof want, "%lld", now + 2);
	CHECK_STR(header(&srv.last, "webhook-timestamp", v, sizeof v), want);
	pthread_mutex_unlock(&srv.lock);
out:
	webhook_receiver_free(r);
	server_stop(&srv);
	free(body);
	webhook_secret_clear(&s);
}

/* One delivery to a receiver that answers `answer`; its outcome. */
static enum webhook_result
deliver_to(const char *answer, long timeout, struct webhook_outcome *out, struct server *srv)
{
	struct webhook_secret s = secret_of(VECTOR_SECRET);
	struct webhook_receiver *r;
	char url[64], err[200], id[EVENT_ID_LEN + 1];
	char *body;
	size_t bodylen;
	enum webhook_result res = WEBHOOK_DELIVERED;

	server_start(srv, answer);
	make_body(&body, &bodylen, id);
	if ((r = webhook_receiver_new(url_of(srv, "/", url, sizeof url), timeout, NULL, err,
	    sizeof err)) == NULL) {
		fprintf(stderr, "receiver: %s\n", err);
		abort();
	}
	res = webhook_deliver(r, &s, id, time(NULL), body, bodylen, out);
	webhook_receiver_free(r);
	server_stop(srv);
	free(body);
	webhook_secret_clear(&s);
	return res;
}

static void
answers_other_than_2xx_are_retried_with_their_status(void)
{
	static const struct {
		int line;
		const char *answer;
		enum webhook_result want;
		long status, retry_after;
	} cases[] = {
		{ __LINE__, "HTTP/1.1 204 No Content\r\n\r\n", WEBHOOK_DELIVERED, 204, 0 },
		{ __LINE__, "HTTP/1.1 299 Odd\r\nContent-Length: 0\r\n\r\n", WEBHOOK_DELIVERED, 299, 0 },
		{ __LINE__, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", WEBHOOK_RETRY, 500, 0 },
		{ __LINE__, "HTTP/1.1 503 Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n", WEBHOOK_RETRY, 503, 5 },
		{ __LINE__, "HTTP/1.1 429 Too Many\r\nRetry-After: 7200\r\nContent-Length: 0\r\n\r\n", WEBHOOK_RETRY, 429, 60 },
		{ __LINE__, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", WEBHOOK_RETRY, 404, 0 },
		{ __LINE__, "HTTP/1.1 410 Gone\r\nContent-Length: 0\r\n\r\n", WEBHOOK_RETRY, 410, 0 },
		{ __LINE__, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", WEBHOOK_RETRY, 400, 0 },
		{ __LINE__, "HTTP/1.1 304 Not Modified\r\n\r\n", WEBHOOK_RETRY, 304, 0 },
		{ __LINE__, "HTTP/1.0 200 OK\r\n\r\nclosed at the end", WEBHOOK_DELIVERED, 200, 0 },
		{ __LINE__, "garbage\r\n\r\n", WEBHOOK_RETRY, 0, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct webhook_outcome out;
		struct server srv;
		enum webhook_result res;

		res = deliver_to(cases[i].answer, 5, &out, &srv);
		CHECK_AT(cases[i].line, res == cases[i].want && out.result == res,
		    "%.20s: result %d (%s)", cases[i].answer, (int)res, out.detail);
		CHECK_AT(cases[i].line, out.status == cases[i].status, "status %ld, want %ld",
		    out.status, cases[i].status);
		CHECK_AT(cases[i].line, out.retry_after_s == cases[i].retry_after, "retry after %ld",
		    out.retry_after_s);
		CHECK_AT(cases[i].line, res == WEBHOOK_DELIVERED || out.detail[0] != '\0', "no detail");
		CHECK_AT(cases[i].line, srv.requests == 1, "%d requests", srv.requests);
	}
}

static void
a_big_answer_is_read_no_further_than_64k(void)
{
	static char answer[300000];
	struct webhook_outcome out;
	struct server srv;
	size_t n = (size_t)snprintf(answer, sizeof answer,
	    "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", sizeof answer);

	memset(answer + n, 'x', sizeof answer - n - 1);
	CHECK(deliver_to(answer, 5, &out, &srv) == WEBHOOK_DELIVERED, "%s", out.detail);
	CHECK_INT(out.status, 200);
	n = (size_t)snprintf(answer, sizeof answer,
	    "HTTP/1.1 500 Oops\r\nContent-Length: %zu\r\n\r\n", sizeof answer);
	memset(answer + n, 'x', sizeof answer - n - 1);
	CHECK(deliver_to(answer, 5, &out, &srv) == WEBHOOK_RETRY, "a 500 delivered");
	CHECK_INT(out.status, 500);
	/* headers without end */
	n = (size_t)snprintf(answer, sizeof answer, "HTTP/1.1 500 Oops\r\n");
	for (; n + 20 < sizeof answer - 1; n += 12)
		memcpy(answer + n, "X-Pad: abc\r\n", 12);
	answer[n] = '\0';
	CHECK(deliver_to(answer, 5, &out, &srv) == WEBHOOK_RETRY, "endless headers delivered");
}

static void
a_2xx_is_a_yes_even_when_its_body_never_comes_whole(void)
{
	struct webhook_outcome out;
	struct server srv;

	CHECK(deliver_to("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", 1, &out, &srv) ==
	    WEBHOOK_DELIVERED, "%s", out.detail);
	CHECK_INT(out.status, 200);
}

static void
a_status_is_never_the_previous_deliverys(void)
{
	struct webhook_secret s = secret_of(VECTOR_SECRET);
	struct webhook_outcome out;
	struct webhook_receiver *r;
	struct server srv;
	char url[64], err[200];

	server_start(&srv, OK_ANSWER);
	srv.answer_only = 1;
	r = webhook_receiver_new(url_of(&srv, "/", url, sizeof url), 1, NULL, err, sizeof err);
	CHECK(r != NULL && webhook_deliver(r, &s, "a", 1, "{}", 2, &out) == WEBHOOK_DELIVERED,
	    "the first: %s", r ? out.detail : err);
	CHECK(r != NULL && webhook_deliver(r, &s, "b", 2, "{}", 2, &out) == WEBHOOK_RETRY,
	    "the second, unanswered, delivered");
	CHECK_INT(out.status, 0);
	webhook_receiver_free(r);
	server_stop(&srv);
	webhook_secret_clear(&s);
}

static void
a_receiver_that_hangs_is_retried_within_the_timeout(void)
{
	struct webhook_outcome out;
	struct server srv;
	long long t0 = clock_monotonic_ms(), took;

	CHECK(deliver_to(NULL, 1, &out, &srv) == WEBHOOK_RETRY, "a hang delivered");
	took = clock_monotonic_ms() - t0;
	CHECK_INT(out.status, 0);
	CHECK(took >= 900 && took < 2500, "took %lld ms for a timeout of 1 s", took);
	CHECK(out.elapsed_ms >= 900 && out.elapsed_ms < 2500, "elapsed %lld ms", out.elapsed_ms);
	CHECK(strstr(out.detail, "curl 28") != NULL, "not a timeout: %s", out.detail);
	CHECK_INT(srv.requests, 1);
}

static void
a_refused_connection_is_retried(void)
{
	struct webhook_secret s = secret_of(VECTOR_SECRET);
	struct webhook_outcome out;
	struct webhook_receiver *r;
	char url[64], err[200];
	int port, fd = listen_loopback(&port, false);	/* bound, not listening: RST */

	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
	r = webhook_receiver_new(url, 2, NULL, err, sizeof err);
	CHECK(r != NULL && webhook_deliver(r, &s, "abc", 1, "{}", 2, &out) == WEBHOOK_RETRY,
	    "delivered to no one");
	CHECK_INT(out.status, 0);
	CHECK(strstr(out.detail, "curl 7") != NULL, "not a refused connection: %s", out.detail);
	CHECK(out.elapsed_ms < 1000, "%lld ms to be refused", out.elapsed_ms);
	webhook_receiver_free(r);
	close(fd);
	webhook_secret_clear(&s);
}

static void
a_redirect_is_not_followed(void)
{
	struct server target, srv;
	struct webhook_outcome out;
	char answer[256];

	server_start(&target, OK_ANSWER);
	snprintf(answer, sizeof answer, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/stolen\r\n"
	    "Content-Length: 0\r\n\r\n", target.port);
	CHECK(deliver_to(answer, 5, &out, &srv) == WEBHOOK_RETRY, "a 302 delivered");
	CHECK_INT(out.status, 302);
	CHECK(strstr(out.detail, "redirect") != NULL, "%s", out.detail);
	usleep(200000);
	pthread_mutex_lock(&target.lock);
	CHECK(target.connections == 0 && target.requests == 0, "the redirect target got %d requests",
	    target.requests);
	pthread_mutex_unlock(&target.lock);
	snprintf(answer, sizeof answer, "HTTP/1.1 307 Temporary\r\nLocation: http://127.0.0.1:%d/\r\n"
	    "Content-Length: 0\r\n\r\n", target.port);
	CHECK(deliver_to(answer, 5, &out, &srv) == WEBHOOK_RETRY && out.status == 307, "a 307");
	usleep(200000);
	CHECK_INT(target.requests, 0);
	server_stop(&target);
}

static void
no_proxy_is_taken_from_the_environment(void)
{
	struct server proxy, srv;
	struct webhook_outcome out;
	char url[64];

	server_start(&proxy, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	url_of(&proxy, "", url, sizeof url);
	setenv("http_proxy", url, 1);
	setenv("HTTP_PROXY", url, 1);
	setenv("ALL_PROXY", url, 1);
	setenv("all_proxy", url, 1);
	CHECK(deliver_to(OK_ANSWER, 5, &out, &srv) == WEBHOOK_DELIVERED, "%s", out.detail);
	CHECK_INT(srv.requests, 1);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
	pthread_mutex_lock(&proxy.lock);
	CHECK(proxy.requests == 0, "the environment's proxy got the event");
	pthread_mutex_unlock(&proxy.lock);

	/* a proxy given by the configuration is used */
	{
		struct webhook_secret s = secret_of(VECTOR_SECRET);
		struct webhook_receiver *r;
		char err[200];

		setenv("no_proxy", "*", 1);
		setenv("NO_PROXY", "*", 1);
		r = webhook_receiver_new("http://receiver.invalid/in", 5, url, err, sizeof err);
		CHECK(r != NULL && webhook_deliver(r, &s, "abc", 1, "{}", 2, &out) == WEBHOOK_DELIVERED,
		    "through the proxy: %s", r ? out.detail : err);
		pthread_mutex_lock(&proxy.lock);
		CHECK(proxy.requests == 1 &&
		    strncmp(proxy.last.head, "POST http://receiver.invalid/in HTTP/1.1", 40) == 0,
		    "the proxy saw: %s", proxy.last.head);
		pthread_mutex_unlock(&proxy.lock);
		unsetenv("no_proxy");
		unsetenv("NO_PROXY");
		webhook_receiver_free(r);
		webhook_secret_clear(&s);
	}
	server_stop(&proxy);
}

/* ---- a TLS receiver whose certificate no one trusts ---- */

struct tls_server {
	int fd, port;
	SSL_CTX *ctx;
	pthread_t thread;
	int handshakes_done;
};

static void *
tls_serve(void *arg)
{
	struct tls_server *t = arg;
	int c = accept(t->fd, NULL, NULL);

	if (c >= 0) {
		SSL *ssl = SSL_new(t->ctx);

		SSL_set_fd(ssl, c);
		if (SSL_accept(ssl) == 1)
			t->handshakes_done++;
		SSL_free(ssl);
		close(c);
	}
	return NULL;
}

static bool
tls_server_start(struct tls_server *t)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name;
	bool ok;

	memset(t, 0, sizeof *t);
	ok = key != NULL && cert != NULL && (t->ctx = SSL_CTX_new(TLS_server_method())) != NULL &&
	    X509_set_version(cert, 2) == 1 &&
	    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) == 1 &&
	    X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(cert), 3600) != NULL &&
	    X509_set_pubkey(cert, key) == 1 && (name = X509_get_subject_name(cert)) != NULL &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1",
		-1, -1, 0) == 1 &&
	    X509_set_issuer_name(cert, name) == 1 && X509_sign(cert, key, EVP_sha256()) > 0 &&
	    SSL_CTX_use_certificate(t->ctx, cert) == 1 && SSL_CTX_use_PrivateKey(t->ctx, key) == 1;
	X509_free(cert);
	EVP_PKEY_free(key);
	if (!ok)
		return false;
	t->fd = listen_loopback(&t->port, true);
	return pthread_create(&t->thread, NULL, tls_serve, t) == 0;
}

static void
an_untrusted_certificate_is_refused(void)
{
	struct webhook_secret s = secret_of(VECTOR_SECRET);
	struct webhook_outcome out;
	struct webhook_receiver *r;
	struct tls_server t;
	char url[64], err[200];

	if (!tls_server_start(&t)) {
		CHECK(false, "cannot start the TLS receiver");
		return;
	}
	snprintf(url, sizeof url, "https://127.0.0.1:%d/", t.port);
	r = webhook_receiver_new(url, 5, NULL, err, sizeof err);
	CHECK(r != NULL && webhook_deliver(r, &s, "abc", 1, "{}", 2, &out) == WEBHOOK_RETRY,
	    "delivered to a self-signed certificate");
	CHECK_INT(out.status, 0);
	/* CURLE_PEER_FAILED_VERIFICATION */
	CHECK(strstr(out.detail, "curl 60") != NULL, "not a certificate failure: %s", out.detail);
	webhook_receiver_free(r);
	pthread_join(t.thread, NULL);
	CHECK_INT(t.handshakes_done, 0);
	close(t.fd);
	SSL_CTX_free(t.ctx);
	webhook_secret_clear(&s);
}

/* ---- for tests/node/test_webhook.sh ---- */

static int
write_signed(const char *path)
{
	struct webhook_secret s = secret_of(VECTOR_SECRET);
	struct webhook_outcome out;
	struct webhook_receiver *r;
	struct server srv;
	char url[64], err[200], id[EVENT_ID_LEN + 1], v[256];
	char *body;
	size_t bodylen;
	json_object *o = json_object_new_object(), *h = json_object_new_object();
	int rc = 1;

	server_start(&srv, OK_ANSWER);
	make_body(&body, &bodylen, id);
	r = webhook_receiver_new(url_of(&srv, "/", url, sizeof url), 5, NULL, err, sizeof err);
	if (r == NULL || webhook_deliver(r, &s, id, time(NULL), body, bodylen, &out) != WEBHOOK_DELIVERED) {
		fprintf(stderr, "test_webhook: cannot deliver: %s\n", r ? out.detail : err);
		goto out;
	}
	/* what the receiver got, not what we meant to send */
	pthread_mutex_lock(&srv.lock);
	json_object_object_add(o, "secret", json_object_new_string(VECTOR_SECRET));
	json_object_object_add(o, "other_secret",
	    json_object_new_string("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="));
	json_object_object_add(o, "body", json_object_new_string_len(srv.last.body, (int)srv.last.body_len));
	json_object_object_add(h, "webhook-id", json_object_new_string(header(&srv.last, "webhook-id", v, sizeof v)));
	json_object_object_add(h, "webhook-timestamp",
	    json_object_new_string(header(&srv.last, "webhook-timestamp", v, sizeof v)));
	json_object_object_add(h, "webhook-signature",
	    json_object_new_string(header(&srv.last, "webhook-signature", v, sizeof v)));
	json_object_object_add(o, "headers", json_object_get(h));
	json_object_object_add(o, "event_id", json_object_new_string(id));
	pthread_mutex_unlock(&srv.lock);
	if (json_object_to_file_ext(path, o, JSON_C_TO_STRING_PRETTY) != 0) {
		fprintf(stderr, "test_webhook: cannot write %s\n", path);
		goto out;
	}
	rc = 0;
out:
	json_object_put(h);
	json_object_put(o);
	webhook_receiver_free(r);
	server_stop(&srv);
	free(body);
	webhook_secret_clear(&s);
	return rc;
}

int
main(int argc, char **argv)
{
	/* as the sender does (signals_catch_stop): a receiver that hangs up
	 * is an error return, not a death */
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "--write-signed") == 0)
		return write_signed(argv[2]);
	RUN(secrets_are_whsec_and_canonical_base64_of_24_to_64_bytes);
	RUN(the_libraries_test_vector_signs_alike);
	RUN(signatures_match_a_plain_hmac_and_refuse_bad_ids);
	RUN(the_payload_is_type_timestamp_and_the_event);
	RUN(retries_wait_1_2_4_up_to_60_seconds_for_retry_for_in_all);
	RUN(receivers_take_http_and_https_urls_only);
	RUN(a_2xx_is_delivered_signed_as_the_spec_says_on_one_connection);
	RUN(answers_other_than_2xx_are_retried_with_their_status);
	RUN(a_big_answer_is_read_no_further_than_64k);
	RUN(a_2xx_is_a_yes_even_when_its_body_never_comes_whole);
	RUN(a_status_is_never_the_previous_deliverys);
	RUN(a_receiver_that_hangs_is_retried_within_the_timeout);
	RUN(a_refused_connection_is_retried);
	RUN(a_redirect_is_not_followed);
	RUN(no_proxy_is_taken_from_the_environment);
	RUN(an_untrusted_certificate_is_refused);
	HARNESS_EXIT();
}
