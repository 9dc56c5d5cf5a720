/*
 * The languages the service answers in (Accept-Language, `language`, the
 * SMS texts, the outbox) and their tags, named once.
 */
#ifndef PHONEAUTH_LANG_H
#define PHONEAUTH_LANG_H

enum lang { LANG_EN, LANG_FA, LANG__MAX };

/* Each language's tag ("en", "fa"), indexed by enum lang; NULL-terminated. */
extern const char *const lang_names[LANG__MAX + 1];

#endif
