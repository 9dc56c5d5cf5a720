/*
 * Phone numbers: what a user types becomes the one stored form, or is refused.
 */
#ifndef PHONEAUTH_PHONE_H
#define PHONEAUTH_PHONE_H

#include <stdbool.h>

#define PHONE_MAX 17	/* "+" and 15 digits, or 11 national digits, and NUL */

/* The `phone_format` of the configuration. */
enum phone_format { PHONE_FORMAT_IR, PHONE_FORMAT_E164 };

/*
 * Normalises `in` (Persian and Arabic-Indic digits, spaces, dashes,
 * parentheses, +98/0098/98/9 prefixes for `ir`) into `out` and returns
 * whether the result is a valid number of the format.
 */
bool phone_normalize(const char *in, enum phone_format format, char out[PHONE_MAX]);

#endif
