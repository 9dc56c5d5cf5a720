/*
 * The `code` field of verify-mfa, mfa/totp/disable and the like: what a
 * client sent, classified as a TOTP code or a recovery code, in the form
 * totp_verify() and recovery_hash() take, or refused. Typing habits are
 * forgiven: Persian and Arabic-Indic digits, blanks ("123 456", as apps
 * show codes), dashes and letter case in a recovery code.
 */
#ifndef PHONEAUTH_MFA_CODE_H
#define PHONEAUTH_MFA_CODE_H

#include <stdbool.h>

#include "phoneauth/recovery.h"
#include "phoneauth/totp.h"

#define MFA_CODE_INPUT_MAX RECOVERY_INPUT_MAX	/* bytes: longer is refused */

enum mfa_code_kind {
	MFA_CODE_NONE,		/* not a code of either kind */
	MFA_CODE_TOTP,		/* text: TOTP_DIGITS ASCII digits */
	MFA_CODE_RECOVERY,	/* text: RECOVERY_CHARS upper-case base32 characters */
};

struct mfa_code {
	enum mfa_code_kind kind;
	char text[RECOVERY_CHARS + 1];	/* wipe it when done (mfa_code_wipe) */
};

/* Classifies in (a C string; NULL is refused); false, kind MFA_CODE_NONE and
 * text "", when it is neither kind. */
bool mfa_code_parse(const char *in, struct mfa_code *out);
void mfa_code_wipe(struct mfa_code *code);

#endif
