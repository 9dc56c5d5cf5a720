/*
 * The text of an SMS: one template per purpose and language, compiled in,
 * each replaceable by a file PURPOSE.LANG.txt in sms_template_dir, with the
 * placeholders {code}, {minutes} (the code's lifetime) and {app}
 * (sms_app_name). With sms_origin set, the text ends with the origin-bound
 * line "@example.com #123456" that browsers and phones autofill.
 */
#ifndef PHONEAUTH_SMS_TEXT_H
#define PHONEAUTH_SMS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/config.h"
#include "phoneauth/step.h"

#define SMS_TEXT_MAX 700	/* bytes of a rendered text, NUL included */

struct sms_texts {
	char *tmpl[PURPOSE__MAX][LANG__MAX];	/* owner: this */
	bool from_file[PURPOSE__MAX][LANG__MAX];
};

/* The compiled-in templates, replaced by sms_template_dir's files. False
 * with one line naming the file (or key) in err: a template without {code},
 * with a placeholder it does not know, or too long. */
bool sms_texts_load(struct sms_texts *t, const struct config *cfg, char *err, size_t errlen);
void sms_texts_free(struct sms_texts *t);

/* The SMS for `code`; false when it would not fit in `outlen`. */
bool sms_text_render(const struct sms_texts *t, const struct config *cfg, enum purpose p,
    enum lang l, const char *code, char *out, size_t outlen);

/* How many SMS a text takes: GSM-7 (160, or 153 a part) when every character
 * is in its alphabet, else UCS-2 (70, or 67 a part), as Persian needs. */
int sms_text_segments(const char *text);

/*
 * NAME.LANG.txt of sms_template_dir `dir` (NAME a purpose, or an event type
 * for a notice), if there is one: its text, without the last line breaks,
 * in *out (owner: the caller), NULL when there is no such file. False, with
 * why in err, for a file that cannot be read, is longer than SMS_TEXT_MAX,
 * is not UTF-8 text, is empty, or whose placeholders `placeholders_ok`
 * refuses (`rule` says what they must be).
 */
bool sms_template_read(const char *dir, const char *name, enum lang l,
    bool (*placeholders_ok)(const char *text), const char *rule, char **out, char *err,
    size_t errlen);

#endif
