/*
 * The languages the service answers in (Accept-Language, `language`, the
 * SMS texts). Types only.
 */
#ifndef PHONEAUTH_LANG_H
#define PHONEAUTH_LANG_H

enum lang { LANG_EN, LANG_FA, LANG__MAX };

#endif
