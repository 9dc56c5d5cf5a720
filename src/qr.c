/*
 * QR codes as SVG (see qr.h), through libqrencode. The whole symbol is one
 * path of horizontal runs of dark modules, 3 to 6 kilobytes for an
 * otpauth URI. This file must never put a byte of its input into the SVG as text
 * (only coordinates are written), never write past the buffer it sized, and
 * never leave a module of a secret's symbol in memory it frees.
 */
#include "phoneauth/qr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <qrencode.h>

/* The longest step of the path: "M" x " " y ".5h" n, or "m" gap " 0h" n, each
 * number below 1000. */
#define RUN_MAX 16
#define HEAD_MAX 256

struct buf {
	char *s;
	size_t len, cap;
};

static bool put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);

	if (n < 0 || (size_t)n >= b->cap - b->len)
		return false;
	b->len += (size_t)n;
	return true;
}

bool
qr_svg(const char *text, char **svg, size_t *len)
{
	QRcode *qr = NULL;
	struct buf b = { NULL, 0, 0 };
	size_t tlen;
	int size;
	bool ok = false;

	*svg = NULL;
	*len = 0;
	if (text == NULL || (tlen = strnlen(text, QR_TEXT_MAX + 1)) == 0 || tlen > QR_TEXT_MAX)
		return false;
	/* Byte mode for what is not upper case and digits; the library keeps
	 * runs of those (the base32 secret) in its denser alphanumeric mode. */
	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL)
		return false;
	if (qr->width <= 0 || qr->width > 177)	/* version 40 is 177 modules wide */
		goto out;
	size = qr->width + 2 * QR_QUIET;
	b.cap = HEAD_MAX + (size_t)qr->width * (size_t)(qr->width + 1) / 2 * RUN_MAX;
	if ((b.s = malloc(b.cap)) == NULL)
		goto out;
	/* The white square, so that the code reads on a dark page too; each run
	 * of dark modules a stroke one module wide along the middle of its row,
	 * the pen moved relatively within a row (half the bytes of a filled
	 * rectangle per run). */
	if (!put(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	    "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
	    "fill=\"#fff\"/><path stroke=\"#000\" d=\"", size, size, size, size))
		goto out;
	for (int y = 0; y < qr->width; y++) {
		const unsigned char *row = qr->data + (size_t)y * (size_t)qr->width;
		int pen = -1;	/* where the last run of this row ended */

		for (int x = 0; x < qr->width;) {
			int start;

			if (!(row[x] & 1)) {	/* bit 0: dark */
				x++;
				continue;
			}
			for (start = x; x < qr->width && (row[x] & 1); x++)
				;
			if (pen < 0 ? !put(&b, "M%d %d.5h%d", start + QR_QUIET, y + QR_QUIET, x - start) :
			    !put(&b, "m%d 0h%d", start - pen, x - start))
				goto out;
			pen = x;
		}
	}
	if (!put(&b, "\"/></svg>"))
		goto out;
	ok = true;
out:
	if (qr != NULL) {
		OPENSSL_cleanse(qr->data, (size_t)qr->width * (size_t)qr->width);
		QRcode_free(qr);
	}
	if (!ok) {
		if (b.s != NULL)
			OPENSSL_cleanse(b.s, b.cap);
		free(b.s);
		return false;
	}
	*svg = b.s;
	*len = b.len;
	return true;
}
