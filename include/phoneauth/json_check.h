/*
 * Strict RFC 8259 validation of a JSON text, before any parser sees it.
 */
#ifndef PHONEAUTH_JSON_CHECK_H
#define PHONEAUTH_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* Deeper nesting than this is refused: no request of ours needs it. */
#define JSON_CHECK_MAX_DEPTH 16

/*
 * Whether `text` (len bytes, valid UTF-8) is exactly one JSON value with
 * optional whitespace around it: no single quotes, comments, NaN or
 * Infinity, trailing commas, leading zeros, bare "1." or ".5", raw control
 * characters or lone surrogate escapes in strings, and no trailing bytes.
 */
bool json_check_strict(const char *text, size_t len);

#endif
