/* qr.c: the SVG's form, and the code read back by zbarimg (zbar-tools)
 * after rsvg-convert (librsvg2-bin) drew it. */
#include <stdlib.h>

#include "harness.h"
#include "tool.h"
#include "phoneauth/qr.h"
#include "phoneauth/totp.h"

#define RSVG "/usr/bin/rsvg-convert"
#define ZBARIMG "/usr/bin/zbarimg"

/* The size from viewBox="0 0 N N", or -1. */
static int
view_size(const char *svg)
{
	int a, b;
	const char *v = strstr(svg, "viewBox=\"0 0 ");

	if (v == NULL || sscanf(v, "viewBox=\"0 0 %d %d\"", &a, &b) != 2 || a != b)
		return -1;
	return a;
}

/* Checks the document's form; returns the module count of a side, or -1. */
static int
check_form(int line, const char *svg)
{
	static const char *const banned[] = { "<script", "href", "style", "<image", "<use",
	    "<foreignObject", "url(", "on", "<text" };
	const char *d, *end;
	int size = view_size(svg), minx = 1 << 20, miny = 1 << 20, maxx = -1, maxy = -1;
	int x, y = 0, h, n = 0;

	CHECK_AT(line, strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" ", 40) == 0 &&
	    strcmp(svg + strlen(svg) - 9, "\"/></svg>") == 0, "the frame: %.80s", svg);
	for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
		CHECK_AT(line, strstr(svg, banned[i]) == NULL, "\"%s\" in the SVG", banned[i]);
	CHECK_AT(line, size > 2 * QR_QUIET, "viewBox");
	d = strstr(svg, "<path");
	CHECK_AT(line, d != NULL && strstr(d + 1, "<path") == NULL, "not one path");
	if (d == NULL || (d = strstr(d, " d=\"")) == NULL)
		return -1;
	d += 4;
	end = strchr(d, '"');
	CHECK_AT(line, end != NULL && strspn(d, "0123456789Mmh .") == (size_t)(end - d),
	    "the path has more than runs");
	/* Every run within the viewBox, the quiet zone kept clear: the pen
	 * followed along the path's moves. */
	for (int pen = 0; d < end; d += n) {
		if (sscanf(d, "M%d %d.5h%d%n", &x, &y, &h, &n) == 3) {
			pen = x;
		} else if (sscanf(d, "m%d 0h%d%n", &x, &h, &n) == 2 && x > 0) {
			pen += x;
		} else {
			break;
		}
		CHECK_AT(line, h > 0, "an empty run at %d %d", pen, y);
		minx = pen < minx ? pen : minx;
		miny = y < miny ? y : miny;
		pen += h;
		maxx = pen > maxx ? pen : maxx;
		maxy = y + 1 > maxy ? y + 1 : maxy;
	}
	CHECK_AT(line, d == end, "a path step not read: %.20s", d);
	/* The finder patterns touch the code's edges: the quiet zone is exact. */
	CHECK_AT(line, minx == QR_QUIET && miny == QR_QUIET && maxx == size - QR_QUIET &&
	    maxy == size - QR_QUIET, "quiet zone: %d %d %d %d in %d", minx, miny, maxx, maxy, size);
	return size;
}

/* The code drawn by rsvg-convert and read by zbarimg; what it read in out. */
static int
read_back(const char *svg, size_t len, char *out, size_t outlen)
{
	char svgpath[64], pngpath[80], cmd[512];
	int st;

	if (!tool_tmpfile("qr", svg, len, svgpath))
		return -1;
	snprintf(pngpath, sizeof pngpath, "%s.png", svgpath);
	/* (zbarimg complains on stderr when there is no D-Bus: not our business) */
	snprintf(cmd, sizeof cmd, "%s -w 600 -h 600 -o %s %s && %s --raw -q %s 2>/dev/null", RSVG,
	    pngpath, svgpath, ZBARIMG, pngpath);
	st = tool_run(cmd, out, outlen);
	unlink(svgpath);
	unlink(pngpath);
	out[strcspn(out, "\n")] = '\0';
	return st;
}

static void
otpauth_uris_read_back_from_the_drawn_svg(void)
{
	static const char *const labels[][2] = {
		{ "phoneauth", "+989121234567" },
		{ "\xd9\x81\xd8\xb1\xd9\x88\xd8\xb4\xda\xaf\xd8\xa7\xd9\x87 \xd9\x86\xd9\x85\xd9\x88\xd9\x86\xd9\x87",
		  "+14155550123" },
	};
	char uri[TOTP_URI_MAX], out[TOTP_URI_MAX + 64];

	if (!tool_have(RSVG) || !tool_have(ZBARIMG)) {
		CHECK(0, "%s or %s is missing: install librsvg2-bin and zbar-tools (scripts/deps.sh test)",
		    RSVG, ZBARIMG);
		return;
	}
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
		unsigned char secret[TOTP_SECRET_LEN];
		char *svg = NULL;
		size_t len = 0;
		int st;

		CHECK(totp_secret_new(secret) && totp_uri(labels[i][0], labels[i][1], secret, uri,
		    sizeof uri), "URI");
		CHECK(qr_svg(uri, &svg, &len) && svg != NULL && len == strlen(svg), "no SVG");
		if (svg == NULL)
			continue;
		check_form(__LINE__, svg);
		CHECK(len < 8192, "an otpauth URI took %zu bytes of SVG", len);
		st = read_back(svg, len, out, sizeof out);
		CHECK(st == 0 && strcmp(out, uri) == 0, "zbarimg (%d) read \"%s\", want \"%s\"", st, out,
		    uri);
		free(svg);
	}
}

static void
the_longest_text_reads_back_too(void)
{
	static char text[QR_TEXT_MAX + 2], out[QR_TEXT_MAX + 64];
	char *svg = NULL;
	size_t len = 0;
	int st, size;

	/* Every byte value but NUL and the line end zbarimg prints after it. */
	for (size_t i = 0; i < QR_TEXT_MAX; i++)
		text[i] = (char)(' ' + i % 95);
	text[QR_TEXT_MAX] = '\0';
	CHECK(qr_svg(text, &svg, &len) && svg != NULL, "refused");
	if (svg == NULL)
		return;
	size = check_form(__LINE__, svg);
	CHECK(size > 100 && size <= 177 + 2 * QR_QUIET, "size %d", size);
	if (tool_have(RSVG) && tool_have(ZBARIMG)) {
		st = read_back(svg, len, out, sizeof out);
		CHECK(st == 0 && strcmp(out, text) == 0, "zbarimg (%d) read %zu bytes", st, strlen(out));
	}
	free(svg);
	text[QR_TEXT_MAX] = 'x';
	text[QR_TEXT_MAX + 1] = '\0';
	CHECK(!qr_svg(text, &svg, &len) && svg == NULL && len == 0, "QR_TEXT_MAX + 1 bytes encoded");
}

static void
nothing_is_no_code(void)
{
	char *svg = (char *)"x";
	size_t len = 9;

	CHECK(!qr_svg("", &svg, &len) && svg == NULL && len == 0, "empty text");
	CHECK(!qr_svg(NULL, &svg, &len) && svg == NULL, "NULL text");
}

int
main(void)
{
	RUN(otpauth_uris_read_back_from_the_drawn_svg);
	RUN(the_longest_text_reads_back_too);
	RUN(nothing_is_no_code);
	HARNESS_EXIT();
}
