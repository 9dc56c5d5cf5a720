/*
 * Declared inputs: a handler lists the fields it reads and their kinds;
 * fields_read_or_reply() checks and normalises them all (Persian digits to
 * ASCII, numbers to their stored form, names trimmed) and, when any is
 * wrong, answers 400 validation_failed naming every wrong field at once.
 * Handlers read only struct inputs, never the raw body.
 */
#ifndef PHONEAUTH_FIELDS_H
#define PHONEAUTH_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/ctx.h"
#include "phoneauth/device.h"
#include "phoneauth/mfa_code.h"
#include "phoneauth/otp.h"
#include "phoneauth/phone.h"

enum field_kind {
	F_PHONE,	/* normalised into inputs.phone */
	F_SMS_PHONE,	/* the same, for a route that sends it a code: sms_countries apply */
	F_SESSION,	/* a string; its form is checked with the session */
	F_CODE,		/* six digits */
	F_PASSWORD,	/* a string: into password, or new_password by that name; the
			 * policy needs the number: fields_new_password_or_reply() */
	F_FIRST_NAME,
	F_LAST_NAME,
	F_EMAIL,	/* optional: absent, null or "" mean none */
	F_DEVICE,	/* optional: a device token (device.h); one not of its form is none */
	F_MFA_CODE,	/* a TOTP or recovery code (mfa_code.h), into inputs.mfa */
	F__MAX
};

struct field {
	const char *name;
	enum field_kind kind;
};

#define FIRST_NAME_MAX 30
#define LAST_NAME_MAX 50
#define EMAIL_MAX 254

struct inputs {
	char phone[PHONE_MAX];
	char session_id[40];		/* "" when it was too long to be one */
	char code[OTP_DIGITS + 1];
	const char *password;		/* points into the request body */
	const char *new_password;	/* the same */
	char first_name[FIRST_NAME_MAX * 4 + 1];
	char last_name[LAST_NAME_MAX * 4 + 1];
	char email[EMAIL_MAX + 1];	/* "" when none */
	char device[DEVICE_TOKEN_LEN + 1];	/* "" when none */
	char device_hash[DEVICE_HASH_LEN + 1];	/* its name in Redis; "" when none */
	struct mfa_code mfa;			/* F_MFA_CODE; wipe it when done */
};

/* How many fields a static list declares. */
#define NFIELDS(a) (sizeof (a) / sizeof (a)[0])

bool fields_read_or_reply(struct ctx *ctx, const struct field *list, size_t n,
    struct inputs *in);

/*
 * The rules of a password being chosen (password.h) under field `name`,
 * for the account of number `phone`: false with 400 validation_failed
 * naming the field when they refuse it. Wherever a password is chosen:
 * set-password (sign-up, reset) and password/change.
 */
bool fields_new_password_or_reply(struct ctx *ctx, const char *name, const char *password,
    const char *phone);

/* Pure checks, exposed for the unit tests. */
bool fields_email_valid(const char *email);

#endif

