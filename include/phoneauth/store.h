/*
 * What every call into a store (PostgreSQL, Redis) answers. What the store
 * found or decided beyond this goes into the call's out-struct; this says
 * only whether the call could be made. ctx_store_or_reply() turns it into
 * the HTTP answer.
 */
#ifndef PHONEAUTH_STORE_H
#define PHONEAUTH_STORE_H

enum store_status {
	STORE_OK,
	STORE_NOT_FOUND,	/* no such row */
	STORE_CONFLICT,		/* a unique constraint: the e-mail is taken */
	STORE_UNAVAILABLE,	/* the store cannot be reached now: answer 503 */
	STORE_ERROR,		/* a bug: answer 500, the log says more */
};

#endif
