/*
 * A QR code (ECC level M, byte mode) as a small SVG document: a white
 * square with a quiet zone of 4 modules and one <path> of the dark modules,
 * sized by its viewBox only (the page scales it), with no script, no style
 * sheet, no text and no reference to anything outside it. For the otpauth
 * URI of a TOTP setup, so the SVG is as secret as the URI: never log it.
 */
#ifndef PHONEAUTH_QR_H
#define PHONEAUTH_QR_H

#include <stdbool.h>
#include <stddef.h>

#define QR_TEXT_MAX 1024	/* bytes encoded at most (the NUL not counted) */
#define QR_QUIET 4		/* modules of white around the code */

/*
 * The SVG of text (1 to QR_TEXT_MAX bytes) in a string malloc'd here: *svg,
 * owner the caller (free()), *len its length. False, *svg NULL, if text is
 * empty or too long, or libqrencode or malloc fails.
 */
bool qr_svg(const char *text, char **svg, size_t *len);

#endif
