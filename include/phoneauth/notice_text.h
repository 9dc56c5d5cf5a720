/*
 * The text of an SMS notice (API.md, "Events and notices"): one template per
 * event type that has a notice (event_notice_of) and language, compiled
 * in, each replaceable by a file EVENT.LANG.txt in sms_template_dir (e.g.
 * phone.changed.fa.txt), with the one placeholder {app} (sms_app_name). A
 * notice carries no code: it tells the owner what changed, and whom to ask.
 */
#ifndef PHONEAUTH_NOTICE_TEXT_H
#define PHONEAUTH_NOTICE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/config.h"
#include "phoneauth/event.h"
#include "phoneauth/lang.h"
#include "phoneauth/sms_text.h"

struct notice_texts {
	char *tmpl[EVENT__MAX][LANG__MAX];	/* NULL for a type without a notice; owner: this */
};

/* The compiled-in templates, replaced by sms_template_dir's files. False
 * with one line naming the file in err: a placeholder other than {app}, not
 * UTF-8, or too long. */
bool notice_texts_load(struct notice_texts *t, const struct config *cfg, char *err, size_t errlen);
void notice_texts_free(struct notice_texts *t);

/* The notice of `type` in `l`; false when the type has none or it does not
 * fit in outlen. */
bool notice_text_render(const struct notice_texts *t, const struct config *cfg,
    enum event_type type, enum lang l, char *out, size_t outlen);

#endif
