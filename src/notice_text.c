/*
 * SMS notices' texts (see notice_text.h). They say what changed and what to
 * do if it was not the owner; never a code, never the new number (a notice
 * to the old number of a stolen account must not tell the thief's).
 */
#include "phoneauth/notice_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phoneauth/errmsg.h"
#include "phoneauth/sms_text.h"
#include "phoneauth/text.h"

static const char *const builtin[EVENT__MAX][LANG__MAX] = {
	[EVENT_PHONE_CHANGED] = {
	    "{app}: the phone number of your account was changed to another number. "
	    "If you did not do this, contact support at once.",
	    "{app}: شماره تلفن حساب شما به شماره دیگری تغییر کرد. اگر شما نبودید فوراً با پشتیبانی تماس بگیرید." },
	[EVENT_PASSWORD_CHANGED] = {
	    "{app}: the password of your account was changed. "
	    "If you did not do this, reset it now and contact support.",
	    "{app}: رمز عبور حساب شما تغییر کرد. اگر شما نبودید همین حالا آن را بازیابی کنید." },
	[EVENT_MFA_ENABLED] = {
	    "{app}: two-step verification was turned on for your account. "
	    "If you did not do this, contact support.",
	    "{app}: ورود دومرحله‌ای برای حساب شما روشن شد. اگر شما نبودید با پشتیبانی تماس بگیرید." },
	[EVENT_MFA_DISABLED] = {
	    "{app}: two-step verification was turned off for your account. "
	    "If you did not do this, contact support.",
	    "{app}: ورود دومرحله‌ای برای حساب شما خاموش شد. اگر شما نبودید با پشتیبانی تماس بگیرید." },
	[EVENT_PASSKEY_ADDED] = {
	    "{app}: a passkey was added to your account. "
	    "If you did not do this, contact support.",
	    "{app}: یک کلید عبور به حساب شما افزوده شد. اگر شما نبودید با پشتیبانی تماس بگیرید." },
	[EVENT_ACCOUNT_DELETED] = {
	    "{app}: your account was deleted. If you did not do this, contact support.",
	    "{app}: حساب شما حذف شد. اگر شما نبودید با پشتیبانی تماس بگیرید." },
};

/* Whether every {...} of `t` is {app}. */
static bool
placeholders_known(const char *t)
{
	for (const char *p = strchr(t, '{'); p != NULL; p = strchr(p + 1, '{'))
		if (strncmp(p, "{app}", 5) != 0)
			return false;
	return true;
}

bool
notice_texts_load(struct notice_texts *t, const struct config *cfg, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	for (int e = 0; e < EVENT__MAX; e++) {
		if (event_notice_of((enum event_type)e) == EVENT_NOTICE_NONE)
			continue;
		for (int l = 0; l < LANG__MAX; l++) {
			char *file = NULL;

			if (cfg->sms_template_dir != NULL && !sms_template_read(cfg->sms_template_dir,
			    event_type_name((enum event_type)e), (enum lang)l, placeholders_known,
			    "no placeholder but {app} in a notice", &file, err, errlen)) {
				notice_texts_free(t);
				return false;
			}
			if (file == NULL && builtin[e][l] == NULL) {
				notice_texts_free(t);
				return errmsg(err, errlen, "no notice text for %s", event_type_name(e));
			}
			if ((t->tmpl[e][l] = file != NULL ? file : strdup(builtin[e][l])) == NULL) {
				notice_texts_free(t);
				return errmsg(err, errlen, "out of memory");
			}
		}
	}
	return true;
}

void
notice_texts_free(struct notice_texts *t)
{
	for (int e = 0; e < EVENT__MAX; e++)
		for (int l = 0; l < LANG__MAX; l++)
			free(t->tmpl[e][l]);
	memset(t, 0, sizeof *t);
}

bool
notice_text_render(const struct notice_texts *t, const struct config *cfg, enum event_type type,
    enum lang l, char *out, size_t outlen)
{
	const char *app = cfg->sms_app_name ? cfg->sms_app_name : "", *s;
	size_t len = 0;

	if ((int)type < 0 || type >= EVENT__MAX || (int)l < 0 || l >= LANG__MAX ||
	    (s = t->tmpl[type][l]) == NULL || outlen == 0)
		return false;
	out[0] = '\0';
	while (*s != '\0') {
		bool placeholder = strncmp(s, "{app}", 5) == 0;
		const char *piece = placeholder ? app : s;
		size_t n = placeholder ? strlen(app) : 1;

		if (len + n + 1 > outlen)
			return false;
		memcpy(out + len, piece, n);
		len += n;
		s += placeholder ? 5 : 1;
	}
	out[len] = '\0';
	return true;
}
