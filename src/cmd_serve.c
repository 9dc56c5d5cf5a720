/*
 * phoneauth serve: a FastCGI worker on the socket inherited on fd 0
 * (spawn-fcgi -s SOCK -F N -- phoneauth -c FILE).
 *
 * A worker handles one request at a time: read it, answer it, flush the
 * answer, then do the work queued for after the answer. TERM, INT, QUIT and
 * USR2 end the worker once the request in hand is answered (USR2 is how
 * multiwatch reloads the pool). It never answers anything itself: the router
 * and the authorizer do.
 */
#include "phoneauth/cmd_serve.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "phoneauth/clock.h"
#include "phoneauth/ctx.h"
#include "phoneauth/hasher.h"
#include "phoneauth/log.h"
#include "phoneauth/metrics.h"
#include "phoneauth/otp.h"
#include "phoneauth/pg_store.h"
#include "phoneauth/redis_store.h"
#include "phoneauth/request.h"
#include "phoneauth/response.h"
#include "phoneauth/route_auth_check.h"
#include "phoneauth/router.h"
#include "phoneauth/signals.h"

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * Signals that end the worker are blocked all the time and let in only while
 * it waits for a connection (epoll_pwait swaps the mask atomically), so a
 * TERM never cuts a store round trip or a write in half, and none is lost
 * between a check and the wait.
 */
static void
signals_setup(sigset_t *waiting_mask)
{
	sigset_t stop_set;

	signals_catch_stop(on_stop, &stop_set);
	sigprocmask(SIG_BLOCK, &stop_set, waiting_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&stop_set, sig) == 1)
			sigdelset(waiting_mask, sig);
}

/*
 * Waits until a connection may be accepted. The listening socket is shared
 * by every worker; EPOLLEXCLUSIVE wakes one of them per connection instead
 * of all, and the socket is non-blocking, so a worker that loses the race
 * is back here at once rather than stuck in accept(2). libfcgi's own accept
 * loop is not interruptible by a signal (it polls each new connection for up
 * to 2 s and starts over on EINTR), hence this wait of our own before it.
 * Returns 1 when a connection is pending, 0 on a timeout or a signal.
 */
static int
wait_for_connection(int epfd, const sigset_t *waiting_mask, int timeout_ms)
{
	struct epoll_event ev;
	int n = epoll_pwait(epfd, &ev, 1, timeout_ms, waiting_mask);

	return n > 0;
}

/*
 * One request, from its params to the reset, as kcgi's sample-fcgi.c loop
 * turns: read it, answer it, close the connection, count it, do the work
 * queued for after the answer, then the one reset of all it allocated.
 */
static void
serve_one(struct ctx *ctx, FCGX_Request *fcgx)
{
	long long started;

	ctx->now = time(NULL);
	started = clock_monotonic_us();
	ctx->route = -1;
	request_begin(ctx->req, fcgx, ctx->cfg);
	if (ctx->req->authorizer)
		route_authorize(ctx);
	else
		router_dispatch(ctx, fcgx->in);
	/* json-c failed to allocate part of the answer (response.h): a 500
	 * rather than a body with a hole in it. */
	if (response_incomplete(ctx->resp))
		ctx_reply_internal(ctx);
	response_write(ctx->resp, fcgx->out, ctx->req->method == METHOD_HEAD);
	request_finish(fcgx);
	metrics_request(ctx->route, ctx->resp->status, (clock_monotonic_us() - started) / 1e6);
	ctx_run_after(ctx);
	ctx_reset(ctx);
}

/* fd 0, the listening socket, made non-blocking and waited on by epoll;
 * the epoll descriptor, or -1 (said on stderr). */
static int
listen_socket_epoll(void)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	int epfd, flags = fcntl(0, F_GETFL);

	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 || flags < 0 ||
	    fcntl(0, F_SETFL, flags | O_NONBLOCK) < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev) < 0) {
		fprintf(stderr, "phoneauth: cannot wait on the listening socket: %s\n", strerror(errno));
		if (epfd >= 0)
			close(epfd);
		return -1;
	}
	return epfd;
}

/* Requests, one at a time, until a stop signal, max_requests or a failed
 * accept. */
static void
accept_loop(struct ctx *ctx, FCGX_Request *fcgx, int epfd)
{
	sigset_t waiting_mask;
	long served = 0;

	signals_setup(&waiting_mask);
	while (!stopping) {
		int rc;

		/* With audit rows waiting, wake within a second to write them. */
		if (!wait_for_connection(epfd, &waiting_mask, ctx->audit.n > 0 ? 1000 : -1)) {
			if (!stopping)
				ctx_flush_audit(ctx, false);
			continue;
		}
		if ((rc = FCGX_Accept_r(fcgx)) < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR || rc == -ECONNABORTED)
				continue;	/* another worker took it */
			log_error("worker: accept failed (%d)", rc);
			return;
		}
		serve_one(ctx, fcgx);
		if (ctx->cfg->max_requests > 0 && ++served >= ctx->cfg->max_requests) {
			log_info("worker recycled after %ld requests", served);
			return;
		}
	}
}

int
cmd_serve(const struct config *cfg, const struct keys *keys, const struct sms_texts *texts)
{
	FCGX_Request fcgx;
	struct request req;
	struct response resp;
	struct otp_key otp_key;
	struct ctx ctx;
	int status = 1, epfd = -1;

	if (FCGX_IsCGI()) {
		fprintf(stderr, "phoneauth: standard input is not a FastCGI socket; start the "
		    "workers with spawn-fcgi (see docs/operations.md)\n");
		return 2;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fcgx, 0, 0) != 0) {
		fprintf(stderr, "phoneauth: cannot initialise libfcgi\n");
		return 1;
	}
	memset(&ctx, 0, sizeof ctx);
	memset(&resp, 0, sizeof resp);
	if (!otp_key_derive(cfg->jwt_key, cfg->jwt_key_len, &otp_key) ||
	    !request_init(&req, cfg)) {
		fprintf(stderr, "phoneauth: out of memory\n");
		return 1;
	}
	ctx.cfg = cfg;
	ctx.req = &req;
	ctx.resp = &resp;
	ctx.otp_key = &otp_key;
	ctx.keys = keys;
	ctx.texts = texts;
	ctx.rs = rs_new(cfg);
	ctx.pg = pg_new(cfg);
	if (ctx.rs == NULL || ctx.pg == NULL || (epfd = listen_socket_epoll()) < 0)
		goto out;
	(void)request_listen(0, cfg);
	(void)metrics_open(cfg, router_route_count());
	hasher_start();
	log_info("worker ready");
	accept_loop(&ctx, &fcgx, epfd);
	status = 0;
	ctx_flush_audit(&ctx, true);
	log_info("worker stopping");
out:
	if (epfd >= 0)
		close(epfd);
	hasher_stop();
	metrics_close();
	FCGX_Free(&fcgx, 1);
	rs_free(ctx.rs);
	pg_free(ctx.pg);
	request_free(&req);
	otp_key_free(&otp_key);
	return status;
}
