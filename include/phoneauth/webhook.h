/*
 * Webhooks as the Standard Webhooks specification has them
 * (https://www.standardwebhooks.com/), so that the receivers' own libraries
 * verify them: the secret `whsec_` + base64, the payload
 * {"type","timestamp","data":<the event>}, the headers webhook-id,
 * webhook-timestamp and webhook-signature (v1,<base64 HMAC-SHA256 of
 * id "." timestamp "." body>), one delivery by HTTP POST, and the retry
 * schedule. Nothing here touches the stores: the sender's loop calls it.
 */
#ifndef PHONEAUTH_WEBHOOK_H
#define PHONEAUTH_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/event.h"

/* The spec's bounds on a symmetric secret: 24 to 64 bytes (192 to 512 bits). */
#define WEBHOOK_SECRET_MIN 24
#define WEBHOOK_SECRET_MAX 64

struct webhook_secret {
	unsigned char key[WEBHOOK_SECRET_MAX];
	size_t len;
};

/*
 * Reads the contents of webhook_secret_file: `whsec_` and standard base64
 * with its padding (as Python's b64decode and the npm package read it),
 * one line break allowed at the end. False with a reason in `why` (fit for
 * `phoneauth check`, never quoting the secret) if the prefix is missing,
 * a byte is not base64, the padding is wrong or it decodes to fewer than
 * 24 or more than 64 bytes. webhook_secret_clear() wipes it.
 */
bool webhook_secret_parse(const char *text, size_t len, struct webhook_secret *out,
    char *why, size_t whylen);
void webhook_secret_clear(struct webhook_secret *s);

/* "v1," and the base64 of 32 bytes */
#define WEBHOOK_SIGNATURE_LEN (3 + 44)
/* The webhook-id: the event's id. At most this long, of [A-Za-z0-9_-]
 * (never a '.', which would let one signed text be read two ways). */
#define WEBHOOK_ID_MAX 64

/* webhook-signature for `id`, `timestamp` (Unix seconds, >= 0) and `body`.
 * False if the id is not as above or OpenSSL fails. */
bool webhook_sign(const struct webhook_secret *s, const char *id, long long timestamp,
    const char *body, size_t bodylen, char out[WEBHOOK_SIGNATURE_LEN + 1]);

/*
 * The body of a delivery: {"type":"<type>","timestamp":"<at>","data":EVENT}
 * with the event's type and time (`at`, RFC 3339) as it was recorded, and
 * its JSON as event_render() wrote it. False if the event JSON is not one
 * strict JSON object or the time is out of range. *out is the caller's,
 * to free(); *outlen its length.
 */
bool webhook_payload(enum event_type type, long long at_ms, const char *event_json, size_t len,
    char **out, size_t *outlen);

/*
 * One receiver: its URL and one HTTP handle kept between deliveries, so
 * that its connection is kept alive. Only http:// and https:// URLs;
 * certificates and host names are verified; redirects are not followed
 * (a 3xx is a failed try: the spec's advice, and a receiver that moved is
 * fixed in webhook_url); no proxy unless `proxy` names one (the proxy
 * variables of the environment are ignored: the events carry numbers and
 * addresses, and where they go is the configuration's to say); the answer's
 * body is read up to 64 KiB and dropped. `timeout_s` bounds the connection
 * and the whole exchange, each. NULL with a reason in `err` if the URL or
 * proxy is refused or libcurl cannot start.
 */
struct webhook_receiver;
struct webhook_receiver *webhook_receiver_new(const char *url, long timeout_s, const char *proxy,
    char *err, size_t errlen);
void webhook_receiver_free(struct webhook_receiver *r);

enum webhook_result {
	WEBHOOK_DELIVERED,		/* a 2xx answer */
	WEBHOOK_RETRY,			/* anything else: try again later */
};

struct webhook_outcome {
	enum webhook_result result;
	long status;			/* the HTTP status; 0 when there was no answer */
	long retry_after_s;		/* the answer's Retry-After, at most WEBHOOK_MAX_DELAY; 0: none */
	long long elapsed_ms;
	char detail[160];		/* why it failed, for the log ("" when delivered) */
};

/*
 * POSTs `body` (a webhook_payload) to the receiver, signed with `s`, with
 * webhook-id `id` (the same on every try of one event) and
 * webhook-timestamp `now_s` (this try's time, as the spec has it).
 * Every answer but a 2xx is a retry: timeouts, refused connections, TLS
 * failures, 3xx, 4xx (410 and 429 included: the receiver is the
 * operator's own, and a misconfigured one that is fixed gets every event it
 * missed) and 5xx; the status says which, for the log.
 */
enum webhook_result webhook_deliver(struct webhook_receiver *r, const struct webhook_secret *s,
    const char *id, long long now_s, const char *body, size_t bodylen,
    struct webhook_outcome *out);

/*
 * The retry schedule. webhook_next_delay(n): seconds to wait after the
 * n-th failed try of an event: 1, 2, 4, 8, 16, 32, then 60 (n < 1: 0).
 * webhook_gives_up(first_s, now_s, retry_for_s): whether an event whose
 * tries began at first_s is dead at now_s (retry_for_s or more later).
 */
#define WEBHOOK_MAX_DELAY 60
long webhook_next_delay(long failed_tries);
bool webhook_gives_up(long long first_s, long long now_s, long retry_for_s);

#endif
