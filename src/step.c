/* The names of steps and purposes (see step.h). */
#include "phoneauth/step.h"

#include <string.h>

static const char *const step_names[STEP__MAX] = {
	[STEP_OTP] = "otp",
	[STEP_SET_PASSWORD] = "set_password",
	[STEP_USER_INFO] = "user_info",
	[STEP_PASSWORD] = "password",
	[STEP_MFA] = "mfa",
};

static const char *const purpose_names[PURPOSE__MAX] = {
	[PURPOSE_REGISTER] = "register",
	[PURPOSE_LOGIN] = "login",
	[PURPOSE_RESET] = "reset",
	[PURPOSE_CHANGE] = "change",
};

const char *
step_name(enum step s)
{
	return step_names[s];
}

const char *
purpose_name(enum purpose p)
{
	return purpose_names[p];
}

/* The index of `name` in names[0..n), or -1. */
static int
find(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

bool
step_from_name(const char *name, enum step *out)
{
	int i = find(step_names, STEP__MAX, name);

	return i >= 0 && ((*out = (enum step)i), true);
}

bool
purpose_from_name(const char *name, enum purpose *out)
{
	int i = find(purpose_names, PURPOSE__MAX, name);

	return i >= 0 && ((*out = (enum purpose)i), true);
}
