/*
 * Configuration lines: config_load() over the input as the configuration
 * file. The file is a memfd (named by /proc/self/fd/N), so nothing is written
 * to disk. The environment is cleared of PHONEAUTH_* once, then names the
 * key files, so that whatever path the input gives, config_load opens only a
 * test secret of its own (read from another memfd): the fuzzer never opens
 * a device or a FIFO by chance, and validation goes on past the key.
 *
 * Oracles: a refusal says why in one non-empty line; an accepted
 * configuration is what validate() promises (base_path "" or "/..." with no
 * trailing slash, one Redis address (host, socket, or Sentinels), a key of at least 32 bytes for HS256,
 * proxies and origins parsed), and config_free() leaves nothing behind.
 */
#define _GNU_SOURCE		/* memfd_create */
#include <stdbool.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_env.h"
#include "phoneauth/config.h"

static int conf_fd = -1;
static char conf_path[64];

static void
setup(void)
{
	char key_path[64];

	if (conf_fd >= 0)
		return;
	fuzz_env_secret(key_path);
	conf_fd = fuzz_memfd("fuzz-config", "", conf_path);
	setenv("PHONEAUTH_JWT_PRIVATE_KEY_FILE", key_path, 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];
	size_t len;

	setup();
	if (ftruncate(conf_fd, 0) != 0 || pwrite(conf_fd, data, size, 0) != (ssize_t)size)
		abort();
	memset(err, 'x', sizeof err);
	if (config_load(&cfg, conf_path, err, sizeof err)) {
		FUZZ_ASSERT(cfg.base_path != NULL && cfg.redis_prefix != NULL && cfg.postgres_url != NULL);
		len = strlen(cfg.base_path);
		FUZZ_ASSERT(len == 0 || (cfg.base_path[0] == '/' && cfg.base_path[len - 1] != '/'));
		/* one Redis address: a host, a socket, or Sentinels and a master */
		FUZZ_ASSERT((cfg.redis.host != NULL) + (cfg.redis.socket_path != NULL) +
		    (cfg.redis.master != NULL) == 1);
		if (cfg.redis.master != NULL) {
			FUZZ_ASSERT(cfg.redis.master[0] != '\0' && strchr(cfg.redis.master, '/') == NULL);
			FUZZ_ASSERT(cfg.redis.nsentinels >= 1 && cfg.redis.nsentinels <= 16);
			for (size_t i = 0; i < cfg.redis.nsentinels; i++)
				FUZZ_ASSERT(cfg.redis.sentinels[i].host[0] != '\0' &&
				    strpbrk(cfg.redis.sentinels[i].host, ",/@[] ") == NULL &&
				    cfg.redis.sentinels[i].port >= 1 && cfg.redis.sentinels[i].port <= 65535);
		} else {
			FUZZ_ASSERT(cfg.redis.port >= 1 && cfg.redis.port <= 65535);
		}
		FUZZ_ASSERT(cfg.redis.db >= 0 && cfg.redis.db <= 1000);
		FUZZ_ASSERT(cfg.jwt_key != NULL);
		if (cfg.jwt_alg == 0)
			FUZZ_ASSERT(cfg.jwt_key_len >= 32);
		FUZZ_ASSERT(cfg.trusted_proxies != NULL || cfg.nproxies == 0);
		for (size_t i = 0; i < cfg.nproxies; i++)
			FUZZ_ASSERT(cfg.proxies[i].bits <= 128);
		for (size_t i = 0; i < cfg.norigins; i++)
			FUZZ_ASSERT(strncmp(cfg.origins[i], "http", 4) == 0);
		FUZZ_ASSERT(cfg.max_body_bytes >= 64 && cfg.access_ttl >= 1);
	} else {
		FUZZ_ASSERT(memchr(err, '\0', sizeof err) != NULL);
		FUZZ_ASSERT(err[0] != '\0' && strchr(err, '\n') == NULL);
	}
	config_free(&cfg);
	return 0;
}
