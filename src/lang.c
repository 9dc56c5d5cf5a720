/*
 * The language tags (see lang.h): the one spelling of each, for the
 * configuration, Accept-Language, the SMS templates and the outbox.
 */
#include "phoneauth/lang.h"

#include <stddef.h>

const char *const lang_names[LANG__MAX + 1] = {
	[LANG_EN] = "en",
	[LANG_FA] = "fa",
	[LANG__MAX] = NULL,
};
