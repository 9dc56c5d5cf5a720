/*
 * SMS notices' texts (notice_text.c): one per type that has a notice and
 * language, compiled in; sms_template_dir's EVENT.LANG.txt replaces one;
 * only {app} is filled; a type without a notice has none; a text too long
 * for its buffer is refused, never cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "phoneauth/notice_text.h"

static char dir[64];

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static void
remove_file(const char *name)
{
	char path[256];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
}

static void
every_type_with_a_notice_has_a_text_in_each_language_and_no_other_has_one(void)
{
	struct config cfg;
	struct notice_texts t;
	char err[256], out[SMS_TEXT_MAX];

	memset(&cfg, 0, sizeof cfg);
	cfg.sms_app_name = "Shop";
	CHECK(notice_texts_load(&t, &cfg, err, sizeof err), "%s", err);
	for (int e = 0; e < EVENT__MAX; e++)
		for (int l = 0; l < LANG__MAX; l++) {
			bool has = event_notice_of((enum event_type)e) != EVENT_NOTICE_NONE;

			CHECK(notice_text_render(&t, &cfg, (enum event_type)e, (enum lang)l, out,
			    sizeof out) == has, "%s %s", event_type_name(e), lang_names[l]);
			if (has)
				CHECK(strncmp(out, "Shop: ", 6) == 0 && strchr(out, '{') == NULL,
				    "%s", out);
		}
	notice_texts_free(&t);
}

static void
a_template_file_replaces_one_text_and_only_app_is_filled(void)
{
	struct config cfg;
	struct notice_texts t;
	char err[256], out[SMS_TEXT_MAX];

	memset(&cfg, 0, sizeof cfg);
	cfg.sms_app_name = "Shop";
	cfg.sms_template_dir = dir;
	write_file("phone.changed.fa.txt", "{app}: شماره عوض شد\n");
	CHECK(notice_texts_load(&t, &cfg, err, sizeof err), "%s", err);
	CHECK(notice_text_render(&t, &cfg, EVENT_PHONE_CHANGED, LANG_FA, out, sizeof out), "fa");
	CHECK_STR(out, "Shop: شماره عوض شد");
	CHECK(notice_text_render(&t, &cfg, EVENT_PHONE_CHANGED, LANG_EN, out, sizeof out), "en");
	CHECK(strstr(out, "phone number") != NULL, "%s", out);
	notice_texts_free(&t);
	write_file("password.changed.en.txt", "{code} was set\n");
	CHECK(!notice_texts_load(&t, &cfg, err, sizeof err), "{code} taken in a notice");
	CHECK(strstr(err, "password.changed.en.txt") != NULL, "%s", err);
	remove_file("password.changed.en.txt");
	remove_file("phone.changed.fa.txt");
}

static void
a_text_that_does_not_fit_is_refused_not_cut(void)
{
	struct config cfg;
	struct notice_texts t;
	char err[256], out[20];

	memset(&cfg, 0, sizeof cfg);
	cfg.sms_app_name = "Shop";
	CHECK(notice_texts_load(&t, &cfg, err, sizeof err), "%s", err);
	CHECK(!notice_text_render(&t, &cfg, EVENT_ACCOUNT_DELETED, LANG_EN, out, sizeof out),
	    "cut to %s", out);
	notice_texts_free(&t);
}

int
main(void)
{
	snprintf(dir, sizeof dir, "/tmp/notice-text-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	RUN(every_type_with_a_notice_has_a_text_in_each_language_and_no_other_has_one);
	RUN(a_template_file_replaces_one_text_and_only_app_is_filled);
	RUN(a_text_that_does_not_fit_is_refused_not_cut);
	rmdir(dir);
	HARNESS_EXIT();
}
