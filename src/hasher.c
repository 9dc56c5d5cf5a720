/*
 * The hashing thread of a worker. The worker thread hands over one job and
 * waits for it: this is not for parallelism (a worker serves one request at
 * a time) but for priority, which Linux sets per thread. Lowering a thread's
 * priority needs no privilege; raising it back would, hence a thread of its
 * own that stays low.
 */
#include "phoneauth/hasher.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "phoneauth/log.h"

enum job_kind { JOB_NONE, JOB_VERIFY, JOB_HASH, JOB_BURN, JOB_EXIT };

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool running;
	enum job_kind kind;	/* JOB_NONE: no job waiting */
	bool done;
	const char *password, *encoded;
	long iterations;
	char *out;
	bool result;
} h = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *
hasher_main(void *arg)
{
	(void)arg;
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), HASHER_NICE) != 0)
		log_warn("hasher: cannot lower the hashing thread's priority");
	pthread_mutex_lock(&h.lock);
	for (;;) {
		while (h.kind == JOB_NONE || h.done)
			pthread_cond_wait(&h.cond, &h.lock);
		if (h.kind == JOB_EXIT)
			break;
		pthread_mutex_unlock(&h.lock);
		switch (h.kind) {
		case JOB_VERIFY:
			h.result = password_verify(h.password, h.encoded, &h.iterations);
			break;
		case JOB_HASH:
			h.result = password_hash(h.password, h.iterations, h.out);
			break;
		default:
			password_burn(h.password, h.iterations);
			break;
		}
		pthread_mutex_lock(&h.lock);
		h.done = true;
		pthread_cond_broadcast(&h.cond);
	}
	pthread_mutex_unlock(&h.lock);
	return NULL;
}

bool
hasher_start(void)
{
	sigset_t all, old;
	int rc;

	/* The thread takes no signals: they are the worker thread's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&h.thread, NULL, hasher_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	h.running = rc == 0;
	if (!h.running)
		log_warn("hasher: no hashing thread; passwords are hashed at normal priority");
	return h.running;
}

void
hasher_stop(void)
{
	if (!h.running)
		return;
	pthread_mutex_lock(&h.lock);
	h.kind = JOB_EXIT;
	h.done = false;
	pthread_cond_broadcast(&h.cond);
	pthread_mutex_unlock(&h.lock);
	pthread_join(h.thread, NULL);
	h.running = false;
	h.kind = JOB_NONE;
}

/* Hands the job described in h over and waits for it. */
static void
run(enum job_kind kind)
{
	pthread_mutex_lock(&h.lock);
	h.kind = kind;
	h.done = false;
	pthread_cond_broadcast(&h.cond);
	while (!h.done)
		pthread_cond_wait(&h.cond, &h.lock);
	h.kind = JOB_NONE;
	pthread_mutex_unlock(&h.lock);
}

bool
hasher_verify(const char *password, const char *encoded, long *iterations)
{
	if (!h.running)
		return password_verify(password, encoded, iterations);
	h.password = password;
	h.encoded = encoded;
	run(JOB_VERIFY);
	*iterations = h.iterations;
	return h.result;
}

bool
hasher_hash(const char *password, long iterations, char out[PASSWORD_ENCODED_MAX])
{
	if (!h.running)
		return password_hash(password, iterations, out);
	h.password = password;
	h.iterations = iterations;
	h.out = out;
	run(JOB_HASH);
	return h.result;
}

void
hasher_burn(const char *password, long iterations)
{
	if (!h.running) {
		password_burn(password, iterations);
		return;
	}
	h.password = password;
	h.iterations = iterations;
	run(JOB_BURN);
}
