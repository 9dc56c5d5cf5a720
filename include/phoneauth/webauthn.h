/*
 * WebAuthn (Level 3) verification of passkeys: whether what a browser sent
 * back from navigator.credentials.create() (registration) or .get() (login),
 * in the JSON form of PublicKeyCredential.toJSON(), verifies against what
 * this service expects. The caller takes the base64url members out of the
 * request body as they are and passes them here; every length is bounded
 * here before anything is decoded. Pure: no store, no configuration, no
 * HTTP; one refusal reason per rule broken, for the log and the tests (the
 * HTTP layer answers each with 400 passkey_invalid).
 *
 * Attestation statements are not verified (the contract asks for
 * attestation "none"): any format is taken as "none" would be, its
 * statement only required to be a CBOR map (empty for "none" itself).
 * Public keys come out as DER SubjectPublicKeyInfo, which is what login
 * takes back.
 */
#ifndef PHONEAUTH_WEBAUTHN_H
#define PHONEAUTH_WEBAUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decoded sizes beyond which a member is refused with WA_TOO_LARGE. */
#define WEBAUTHN_CLIENT_DATA_MAX 4096		/* clientDataJSON */
#define WEBAUTHN_ATTESTATION_MAX 16384		/* attestationObject */
#define WEBAUTHN_AUTH_DATA_MAX 4096		/* authenticatorData of a login */
#define WEBAUTHN_SIGNATURE_MAX 512		/* RSA-4096 */
#define WEBAUTHN_USER_HANDLE_MAX 64		/* user.id: 1 to 64 bytes */
#define WEBAUTHN_CREDENTIAL_ID_MAX 1023
#define WEBAUTHN_CHALLENGE_MAX 64
/* The largest public key handed out: the SPKI of an RSA-4096 key. */
#define WEBAUTHN_PUBLIC_KEY_MAX 600

/* COSE algorithm identifiers (IANA), the three offered. */
#define WEBAUTHN_ES256 (-7)		/* ECDSA P-256 with SHA-256, DER signature */
#define WEBAUTHN_EDDSA (-8)		/* Ed25519 */
#define WEBAUTHN_RS256 (-257)		/* RSASSA-PKCS1-v1_5 with SHA-256, 2048-4096 bits */

/* Authenticator data flags. */
#define WEBAUTHN_FLAG_UP 0x01		/* user present */
#define WEBAUTHN_FLAG_UV 0x04		/* user verified */
#define WEBAUTHN_FLAG_BE 0x08		/* backup eligible (a synced passkey) */
#define WEBAUTHN_FLAG_BS 0x10		/* backed up */
#define WEBAUTHN_FLAG_AT 0x40		/* attested credential data follows */
#define WEBAUTHN_FLAG_ED 0x80		/* extensions follow */

enum webauthn_refusal {
	WA_OK,
	WA_TOO_LARGE,		/* a member, or a length inside one, beyond its bound */
	WA_BAD_BASE64,		/* a member that is not strict base64url */
	WA_BAD_CLIENT_DATA,	/* clientDataJSON not a strict JSON object with string members */
	WA_WRONG_TYPE,		/* not webauthn.create / webauthn.get */
	WA_WRONG_CHALLENGE,
	WA_WRONG_ORIGIN,
	WA_CROSS_ORIGIN,	/* crossOrigin: true (an iframe of another site) */
	WA_BAD_CBOR,		/* not one well-formed CBOR item of the kinds WebAuthn uses */
	WA_BAD_ATTESTATION,	/* no fmt, attStmt or authData; "none" with a statement */
	WA_BAD_AUTHDATA,	/* too short, trailing bytes, flags that contradict each other */
	WA_WRONG_RP,		/* rpIdHash is not SHA-256 of the RP ID */
	WA_NO_UP,
	WA_NO_UV,
	WA_WRONG_CREDENTIAL_ID,	/* rawId is not the credential id the authenticator attested */
	WA_UNSUPPORTED_ALG,	/* not ES256, EdDSA or RS256 */
	WA_BAD_KEY,		/* a key that does not fit its algorithm, or will not load */
	WA_BAD_SIGNATURE,
	WA_COUNTER,		/* a signature counter that did not go up: a cloned authenticator */
	WA_NO_USER_HANDLE,	/* a login without userHandle (discoverable credentials need it) */
	WA_INTERNAL,		/* OpenSSL, libcbor or json-c could not allocate: not the client */
	WA__MAX
};

/* "wrong_origin" and the like, for the log; "?" outside the enum. */
const char *webauthn_refusal_name(enum webauthn_refusal r);

/* What the service expects of a ceremony. */
struct webauthn_expect {
	const char *rp_id;			/* passkey_rp_id, e.g. "example.com" */
	const char *const *origins;		/* passkey_origins, e.g. "https://example.com" */
	size_t n_origins;
	const unsigned char *challenge;		/* the session's challenge, as sent */
	size_t challenge_len;
};

/* A base64url member of the credential JSON as the client sent it (need not
 * be NUL-terminated); s NULL or len 0: absent. */
struct webauthn_text {
	const char *s;
	size_t len;
};

/* The registration response: credential.rawId and credential.response.*. */
struct webauthn_attestation_response {
	struct webauthn_text raw_id, client_data_json, attestation_object;
};

/* The login response: credential.response.*. */
struct webauthn_assertion_response {
	struct webauthn_text client_data_json, authenticator_data, signature, user_handle;
};

/* A registered credential: what the passkeys table keeps. */
struct webauthn_credential {
	unsigned char id[WEBAUTHN_CREDENTIAL_ID_MAX];
	size_t id_len;
	unsigned char public_key[WEBAUTHN_PUBLIC_KEY_MAX];	/* DER SubjectPublicKeyInfo */
	size_t public_key_len;
	int alg;					/* WEBAUTHN_ES256, _EDDSA or _RS256 */
	uint32_t sign_count;
	unsigned char aaguid[16];
	uint8_t flags;					/* WEBAUTHN_FLAG_*: BE, BS among them */
};

/* What a login needs of a stored credential. */
struct webauthn_public_key {
	int alg;
	const unsigned char *public_key;		/* as webauthn_credential had it */
	size_t public_key_len;
	uint32_t sign_count;				/* the last one accepted */
};

/* A verified login: the counter to store and the account it names. */
struct webauthn_assertion {
	uint32_t sign_count;
	uint8_t flags;
	unsigned char user_handle[WEBAUTHN_USER_HANDLE_MAX];
	size_t user_handle_len;
};

/*
 * Verifies a registration: clientDataJSON (type webauthn.create, the
 * challenge, an allowed origin, not cross-origin), the attestationObject
 * (CBOR: fmt, attStmt, authData), the authenticator data (RP ID hash, UP,
 * UV, attested credential data with a credential id of at most 1023 bytes
 * equal to rawId, a COSE key of an offered algorithm), and fills out.
 * False with the reason in *why, and out zeroed, when anything fails.
 */
bool webauthn_verify_registration(const struct webauthn_expect *want,
    const struct webauthn_attestation_response *in, struct webauthn_credential *out,
    enum webauthn_refusal *why);

/*
 * Verifies a login with `key`, the stored credential whose id is the
 * response's rawId (the caller looked it up): clientDataJSON (type
 * webauthn.get, challenge, origin, not cross-origin), the authenticator
 * data (RP ID hash, UP, UV, no attested credential data), the signature
 * over authenticatorData || SHA-256(clientDataJSON), a userHandle, and the
 * counter: refused when either counter is non-zero and the new one is not
 * above the stored one. Fills out; the caller checks that the userHandle
 * names the account the credential belongs to, then stores
 * out->sign_count. False with the reason in *why, and out zeroed.
 */
bool webauthn_verify_assertion(const struct webauthn_expect *want,
    const struct webauthn_assertion_response *in, const struct webauthn_public_key *key,
    struct webauthn_assertion *out, enum webauthn_refusal *why);

#endif
