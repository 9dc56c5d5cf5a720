/* The names of steps and purposes (see step.h). */
#include "phoneauth/step.h"

#include <string.h>

static const char *const step_names[STEP__MAX] = {
	[STEP_OTP] = "otp",
	[STEP_SET_PASSWORD] = "set_password",
	[STEP_USER_INFO] = "user_info",
	[STEP_PASSWORD] = "password",
};

static const char *const purpose_names[PURPOSE__MAX] = {
	[PURPOSE_REGISTER] = "register",
	[PURPOSE_LOGIN] = "login",
	[PURPOSE_RESET] = "reset",
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

static bool
find(const char *const *names, int n, const char *name, int *out)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0) {
			*out = i;
			return true;
		}
	return false;
}

bool
step_from_name(const char *name, enum step *out)
{
	int i;

	if (!find(step_names, STEP__MAX, name, &i))
		return false;
	*out = (enum step)i;
	return true;
}

bool
purpose_from_name(const char *name, enum purpose *out)
{
	int i;

	if (!find(purpose_names, PURPOSE__MAX, name, &i))
		return false;
	*out = (enum purpose)i;
	return true;
}
