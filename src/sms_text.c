/*
 * SMS texts (see sms_text.h). The English templates say "code" (phones offer
 * to autofill a code only then) and put it first; the Persian ones fit one
 * UCS-2 segment (70 characters) as they are. A template from
 * sms_template_dir is checked at start like a configuration key: it must
 * hold {code}, and no placeholder the service does not fill.
 */
#include "phoneauth/sms_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phoneauth/errmsg.h"
#include "phoneauth/text.h"

static const char *const builtin[PURPOSE__MAX][LANG__MAX] = {
	[PURPOSE_REGISTER] = {
	    "{code} is your {app} sign-up code. It expires in {minutes} min. "
	    "Do not share this code with anyone.",
	    "کد ثبت‌نام {app}: {code}\nتا {minutes} دقیقه معتبر است. به کسی ندهید." },
	[PURPOSE_LOGIN] = {
	    "{code} is your {app} login code. It expires in {minutes} min. "
	    "Do not share this code with anyone.",
	    "کد ورود {app}: {code}\nتا {minutes} دقیقه معتبر است. به کسی ندهید." },
	[PURPOSE_RESET] = {
	    "{code} is your {app} password reset code. It expires in {minutes} min. "
	    "If you did not ask for it, ignore this message.",
	    "کد بازیابی رمز {app}: {code}\nتا {minutes} دقیقه معتبر است." },
	[PURPOSE_CHANGE] = {
	    "{code} is your {app} code to confirm this new phone number. It expires in "
	    "{minutes} min.",
	    "کد تأیید شماره جدید {app}: {code}\nتا {minutes} دقیقه معتبر است." },
};

static const char *const placeholders[] = { "{code}", "{minutes}", "{app}" };

/* Whether every {...} of `t` is one of ours, and {code} is there. */
static bool
placeholders_known(const char *t)
{
	bool has_code = strstr(t, "{code}") != NULL;

	for (const char *p = strchr(t, '{'); p != NULL; p = strchr(p + 1, '{')) {
		bool known = false;

		for (size_t i = 0; i < sizeof placeholders / sizeof placeholders[0]; i++)
			known |= strncmp(p, placeholders[i], strlen(placeholders[i])) == 0;
		if (!known)
			return false;
	}
	return has_code;
}

bool
sms_template_read(const char *dir, const char *name, enum lang l,
    bool (*placeholders_ok)(const char *text), const char *rule, char **out, char *err,
    size_t errlen)
{
	char path[4096], buf[SMS_TEXT_MAX];
	size_t len;
	FILE *f;

	*out = NULL;
	snprintf(path, sizeof path, "%s/%s.%s.txt", dir, name, lang_names[l]);
	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? true : errmsg(err, errlen, "sms_template_dir: %s: %s", path,
		    strerror(errno));
	len = fread(buf, 1, sizeof buf - 1, f);
	if (!feof(f)) {
		fclose(f);
		return errmsg(err, errlen, "sms_template_dir: %s: longer than %d bytes", path,
		    SMS_TEXT_MAX - 1);
	}
	fclose(f);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;		/* an editor's last newline is nobody's intent */
	buf[len] = '\0';
	if (!text_utf8_valid(buf, len) || memchr(buf, '\0', len) != NULL)
		return errmsg(err, errlen, "sms_template_dir: %s: not UTF-8 text", path);
	if (!placeholders_ok(buf))
		return errmsg(err, errlen, "sms_template_dir: %s: %s", path, rule);
	if (len == 0)
		return errmsg(err, errlen, "sms_template_dir: %s: empty", path);
	return (*out = strdup(buf)) != NULL || errmsg(err, errlen, "out of memory");
}

bool
sms_texts_load(struct sms_texts *t, const struct config *cfg, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	for (int p = 0; p < PURPOSE__MAX; p++)
		for (int l = 0; l < LANG__MAX; l++) {
			char *file = NULL;

			if (cfg->sms_template_dir != NULL && !sms_template_read(cfg->sms_template_dir,
			    purpose_name((enum purpose)p), (enum lang)l, placeholders_known,
			    "must hold {code}, and no placeholder but {code}, {minutes} and {app}",
			    &file, err, errlen)) {
				sms_texts_free(t);
				return false;
			}
			t->from_file[p][l] = file != NULL;
			t->tmpl[p][l] = file != NULL ? file : strdup(builtin[p][l]);
			if (t->tmpl[p][l] == NULL) {
				sms_texts_free(t);
				return errmsg(err, errlen, "out of memory");
			}
		}
	return true;
}

void
sms_texts_free(struct sms_texts *t)
{
	for (int p = 0; p < PURPOSE__MAX; p++)
		for (int l = 0; l < LANG__MAX; l++)
			free(t->tmpl[p][l]);
	memset(t, 0, sizeof *t);
}

/* Appends n bytes of s to out (at *len of outlen); false when it would not fit. */
static bool
put(char *out, size_t outlen, size_t *len, const char *s, size_t n)
{
	if (*len + n + 1 > outlen)
		return false;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return true;
}

bool
sms_text_render(const struct sms_texts *t, const struct config *cfg, enum purpose p, enum lang l,
    const char *code, char *out, size_t outlen)
{
	char minutes[24];
	const char *values[] = { code, minutes, cfg->sms_app_name ? cfg->sms_app_name : "" };
	const char *s = t->tmpl[p][l];
	size_t len = 0;

	snprintf(minutes, sizeof minutes, "%ld", (cfg->otp_ttl + 59) / 60);
	out[0] = '\0';
	while (*s != '\0') {
		size_t i, n = strcspn(s, "{");

		if (!put(out, outlen, &len, s, n))
			return false;
		if ((s += n)[0] == '\0')
			break;
		for (i = 0; i < sizeof placeholders / sizeof placeholders[0]; i++)
			if (strncmp(s, placeholders[i], strlen(placeholders[i])) == 0)
				break;
		if (i == sizeof placeholders / sizeof placeholders[0]) {
			if (!put(out, outlen, &len, s++, 1))	/* checked at load: cannot be */
				return false;
			continue;
		}
		if (!put(out, outlen, &len, values[i], strlen(values[i])))
			return false;
		s += strlen(placeholders[i]);
	}
	if (cfg->sms_origin != NULL)
		return put(out, outlen, &len, "\n@", 2) &&
		    put(out, outlen, &len, cfg->sms_origin, strlen(cfg->sms_origin)) &&
		    put(out, outlen, &len, " #", 2) && put(out, outlen, &len, code, strlen(code));
	return true;
}

/* The code point at *s (valid UTF-8), moving *s past it. */
static unsigned long
next_char(const unsigned char **s)
{
	const unsigned char *c = *s;
	unsigned long cp;
	int n;

	if (c[0] < 0x80)
		cp = c[0], n = 1;
	else if ((c[0] & 0xe0) == 0xc0)
		cp = c[0] & 0x1f, n = 2;
	else if ((c[0] & 0xf0) == 0xe0)
		cp = c[0] & 0x0f, n = 3;
	else
		cp = c[0] & 0x07, n = 4;
	for (int i = 1; i < n && c[i] != '\0'; i++)
		cp = (cp << 6) | (c[i] & 0x3f);
	*s += n;
	return cp;
}

/* GSM 03.38: 1 for the basic alphabet, 2 for the extension table, 0 for
 * what it cannot carry. */
static int
gsm7_width(unsigned long c)
{
	static const char basic[] = "@$\n\r !\"#%&'()*+,-./0123456789:;<=>?"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
	static const unsigned long basic_wide[] = { 0xa3, 0xa5, 0xe8, 0xe9, 0xf9, 0xec, 0xf2, 0xc7,
	    0xd8, 0xf8, 0xc5, 0xe5, 0x394, 0x3a6, 0x393, 0x39b, 0x3a9, 0x3a0, 0x3a8, 0x3a3,
	    0x398, 0x39e, 0xc6, 0xe6, 0xdf, 0xc9, 0xa4, 0xa1, 0xc4, 0xd6, 0xd1, 0xdc, 0xa7,
	    0xbf, 0xe4, 0xf6, 0xf1, 0xfc, 0xe0 };

	if (c < 0x80)
		return strchr(basic, (int)c) != NULL && c != 0 ? 1
		    : strchr("^{}\\[~]|", (int)c) != NULL && c != 0 ? 2 : 0;
	if (c == 0x20ac)
		return 2;	/* the euro sign */
	for (size_t i = 0; i < sizeof basic_wide / sizeof basic_wide[0]; i++)
		if (basic_wide[i] == c)
			return 1;
	return 0;
}

int
sms_text_segments(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	long septets = 0, units = 0;
	bool gsm = true;

	while (*s != '\0') {
		unsigned long c = next_char(&s);
		int w = gsm7_width(c);

		gsm = gsm && w > 0;
		septets += w;
		units += c > 0xffff ? 2 : 1;	/* UTF-16 code units */
	}
	if (gsm)
		return septets <= 160 ? 1 : (int)((septets + 152) / 153);
	return units <= 70 ? 1 : (int)((units + 66) / 67);
}
