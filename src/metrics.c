/*
 * Metrics (see metrics.h). The shared counts are a POSIX shared memory
 * object named after the deployment (its Redis and base path: two stacks on
 * one host keep two), holding plain 64-bit counters added to atomically;
 * a histogram keeps one counter per bucket, made cumulative when it is
 * written out. The layout's version is in the name, so a new one never
 * reads an old one's numbers.
 */
#include "phoneauth/metrics.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "phoneauth/log.h"

#define LAYOUT 2	/* raised when struct counts changes but for growing at its end */
#define MAX_ROUTES 63			/* and one for "no route" */

static const int statuses[] = { 200, 201, 204, 400, 401, 403, 404, 405, 408, 409, 413, 415, 429,
	500, 503 };
#define NSTATUS (sizeof statuses / sizeof statuses[0] + 1)	/* and "other" */

/* Upper bounds of the latency buckets, in seconds (and +Inf). */
static const double bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10 };
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

static const char *const login_results[LOGIN__MAX] = {
	[LOGIN_OK] = "ok", [LOGIN_MFA] = "mfa", [LOGIN_WRONG_PASSWORD] = "wrong_password", [LOGIN_BANNED] = "banned",
	[LOGIN_BLOCKED] = "blocked", [LOGIN_ERROR] = "error",
	[LOGIN_PASSKEY_OK] = "passkey_ok", [LOGIN_PASSKEY_INVALID] = "passkey_invalid",
};

static const char *const mfa_results[MFA__MAX] = {
	[MFA_OK] = "ok", [MFA_WRONG] = "wrong", [MFA_BLOCKED] = "blocked", [MFA_ERROR] = "error",
};

struct counts {
	uint64_t requests[MAX_ROUTES + 1][NSTATUS];
	uint64_t buckets[MAX_ROUTES + 1][NBOUNDS + 1];
	uint64_t sum_us[MAX_ROUTES + 1];
	uint64_t logins[LOGIN__MAX];
	uint64_t mfa[MFA__MAX];		/* after the rest: a file an older worker sized grows */
};

static struct counts *shared;	/* mapped; NULL: not counting */
static int nroutes;

static void
add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static uint64_t
get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* /phoneauth-<12 hex of the deployment>-v<LAYOUT> */
static bool
shm_name(const struct config *cfg, char *out, size_t outlen)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char id[1024];

	snprintf(id, sizeof id, "%s|%s|%s", cfg->redis_url, cfg->redis_prefix, cfg->base_path);
	if (EVP_Digest(id, strlen(id), d, &dlen, EVP_sha1(), NULL) != 1)
		return false;
	snprintf(out, outlen, "/phoneauth-%02x%02x%02x%02x%02x%02x-v%d", d[0], d[1], d[2], d[3],
	    d[4], d[5], LAYOUT);
	return true;
}

bool
metrics_open(const struct config *cfg, int routes)
{
	char name[64];
	struct stat st;
	void *p;
	int fd;

	nroutes = routes < MAX_ROUTES ? routes : MAX_ROUTES;
	if (!shm_name(cfg, name, sizeof name) ||
	    (fd = shm_open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		log_warn("metrics: cannot open the shared counts: %m");
		return false;
	}
	/* The first worker sizes it (zero-filled); the others find it sized. */
	if (fstat(fd, &st) != 0 || (st.st_size < (off_t)sizeof *shared &&
	    ftruncate(fd, sizeof *shared) != 0)) {
		log_warn("metrics: cannot size the shared counts: %m");
		close(fd);
		return false;
	}
	p = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		log_warn("metrics: cannot map the shared counts: %m");
		return false;
	}
	shared = p;
	return true;
}

void
metrics_close(void)
{
	if (shared != NULL)
		munmap(shared, sizeof *shared);
	shared = NULL;
}

void
metrics_request(int route, int status, double seconds)
{
	size_t s = NSTATUS - 1, b = NBOUNDS;
	int r = route >= 0 && route < nroutes ? route : MAX_ROUTES;

	if (shared == NULL)
		return;
	for (size_t i = 0; i + 1 < NSTATUS; i++)
		if (statuses[i] == status)
			s = i;
	for (size_t i = 0; i < NBOUNDS; i++)
		if (seconds <= bounds[i]) {
			b = i;
			break;
		}
	add(&shared->requests[r][s], 1);
	add(&shared->buckets[r][b], 1);
	add(&shared->sum_us[r], (uint64_t)(seconds * 1e6));
}

void
metrics_mfa(enum mfa_result result)
{
	if (shared != NULL)
		add(&shared->mfa[result], 1);
}

void
metrics_login(enum login_result result)
{
	if (shared != NULL)
		add(&shared->logins[result], 1);
}

void
metrics_login_answer(int status, enum login_result ok, int refused_status,
    enum login_result refused)
{
	if (status == 200)
		metrics_login(ok);
	else if (status == refused_status)
		metrics_login(refused);
	else if (status == 403)
		metrics_login(LOGIN_BANNED);
	else if (status == 429)
		metrics_login(LOGIN_BLOCKED);
	else if (status >= 500)
		metrics_login(LOGIN_ERROR);
}

/* ---- writing them out ---- */

/* The label of route r: the router's path, or "none". */
static const char *
label(metrics_label_fn route_label, int r)
{
	return r == MAX_ROUTES ? "none" : route_label(r);
}

static void
write_requests(FILE *f, metrics_label_fn route_label)
{
	fprintf(f, "# HELP phoneauth_requests_total Requests answered, by route and status.\n"
	    "# TYPE phoneauth_requests_total counter\n");
	for (int r = 0; r <= MAX_ROUTES; r++) {
		if (r >= nroutes && r != MAX_ROUTES)
			continue;
		for (size_t s = 0; s < NSTATUS; s++) {
			uint64_t n = get(&shared->requests[r][s]);
			char status[8];

			if (n == 0)
				continue;
			if (s + 1 < NSTATUS)
				snprintf(status, sizeof status, "%d", statuses[s]);
			else
				snprintf(status, sizeof status, "other");
			fprintf(f, "phoneauth_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
			    label(route_label, r), status, (unsigned long long)n);
		}
	}
}

static void
write_durations(FILE *f, metrics_label_fn route_label)
{
	fprintf(f, "# HELP phoneauth_request_duration_seconds Time from a request's arrival to its "
	    "answer, by route.\n# TYPE phoneauth_request_duration_seconds histogram\n");
	for (int r = 0; r <= MAX_ROUTES; r++) {
		uint64_t total = 0;

		if (r >= nroutes && r != MAX_ROUTES)
			continue;
		for (size_t b = 0; b <= NBOUNDS; b++)
			total += get(&shared->buckets[r][b]);
		if (total == 0)
			continue;
		total = 0;
		for (size_t b = 0; b <= NBOUNDS; b++) {
			total += get(&shared->buckets[r][b]);
			if (b < NBOUNDS)
				fprintf(f, "phoneauth_request_duration_seconds_bucket{route=\"%s\","
				    "le=\"%g\"} %llu\n", label(route_label, r), bounds[b],
				    (unsigned long long)total);
			else
				fprintf(f, "phoneauth_request_duration_seconds_bucket{route=\"%s\","
				    "le=\"+Inf\"} %llu\n", label(route_label, r), (unsigned long long)total);
		}
		fprintf(f, "phoneauth_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
		    "phoneauth_request_duration_seconds_count{route=\"%s\"} %llu\n", label(route_label, r),
		    get(&shared->sum_us[r]) / 1e6, label(route_label, r), (unsigned long long)total);
	}
}

static void
write_logins(FILE *f)
{
	fprintf(f, "# HELP phoneauth_logins_total Logins by password or passkey, by result.\n"
	    "# TYPE phoneauth_logins_total counter\n");
	for (int i = 0; i < LOGIN__MAX; i++)
		fprintf(f, "phoneauth_logins_total{result=\"%s\"} %llu\n", login_results[i],
		    (unsigned long long)get(&shared->logins[i]));
	fprintf(f, "# HELP phoneauth_mfa_total Second-factor codes judged, by result.\n"
	    "# TYPE phoneauth_mfa_total counter\n");
	for (int i = 0; i < MFA__MAX; i++)
		fprintf(f, "phoneauth_mfa_total{result=\"%s\"} %llu\n", mfa_results[i],
		    (unsigned long long)get(&shared->mfa[i]));
}

bool
metrics_write(FILE *f, metrics_label_fn route_label)
{
	if (shared == NULL)
		return false;
	write_requests(f, route_label);
	write_durations(f, route_label);
	write_logins(f);
	return true;
}
