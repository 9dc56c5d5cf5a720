/*
 * UTF-8 text rules shared by the validators: well-formedness, length in
 * characters (not bytes), control characters, and Persian/Arabic-Indic digits.
 */
#ifndef PHONEAUTH_TEXT_H
#define PHONEAUTH_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
bool text_utf8_valid(const char *s, size_t len);

/* Number of code points of valid UTF-8. */
size_t text_utf8_length(const char *s);

/* U+0000..U+001F or U+007F anywhere in s. */
bool text_has_control(const char *s);

/*
 * Copies in to out, turning Persian (U+06F0..U+06F9) and Arabic-Indic
 * (U+0660..U+0669) digits into ASCII ones. False if out is too small.
 */
bool text_ascii_digits(const char *in, char *out, size_t outlen);

/* Removes leading and trailing ASCII whitespace in place; returns s. */
char *text_trim(char *s);

#endif
