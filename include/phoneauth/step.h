/*
 * The steps a session can wait for, and the purposes a code is sent for.
 * Their names are what the API answers (`next_step`), what the outbox says
 * (`purpose`) and what the Redis scripts store: one table for all three
 * (the scripts name them too, in src/lua/prelude.lua; a unit test keeps the
 * two sides equal).
 */
#ifndef PHONEAUTH_STEP_H
#define PHONEAUTH_STEP_H

#include <stdbool.h>

enum step { STEP_OTP, STEP_SET_PASSWORD, STEP_USER_INFO, STEP_PASSWORD, STEP_MFA, STEP__MAX };
enum purpose { PURPOSE_REGISTER, PURPOSE_LOGIN, PURPOSE_RESET, PURPOSE_CHANGE, PURPOSE__MAX };

const char *step_name(enum step s);
const char *purpose_name(enum purpose p);

/* The enum of a name; false when it names none. */
bool step_from_name(const char *name, enum step *out);
bool purpose_from_name(const char *name, enum purpose *out);

#endif
