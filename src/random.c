/*
 * Random bytes in blocks (see random.h).
 */
#include "phoneauth/random.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define BLOCK 512

static unsigned char block[BLOCK];
static size_t left;		/* unused bytes at the end of block */

bool
random_bytes(void *out, size_t len)
{
	unsigned char *from;

	if (len > RANDOM_MAX)
		return false;
	if (len > left) {
		if (RAND_bytes(block, sizeof block) != 1) {
			left = 0;
			return false;
		}
		left = sizeof block;
	}
	from = block + sizeof block - left;
	memcpy(out, from, len);
	OPENSSL_cleanse(from, len);
	left -= len;
	return true;
}
