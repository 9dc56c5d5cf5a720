/*
 * The ceiling of the benchmark: the least a FastCGI responder can do — read
 * the body, answer a fixed JSON object — run as the same kind of pool behind
 * the same lighttpd as phoneauth. No route can be faster than this. It
 * closes each connection as phoneauth does (request_finish(): at once, not
 * libfcgi's shutdown and wait for the web server), so the ratios measure
 * the routes, not the way out.
 */
#include <sys/socket.h>

#include <fcgiapp.h>

int
main(void)
{
	static const char answer[] =
	    "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: 15\r\n"
	    "Cache-Control: no-store\r\n"
	    "\r\n"
	    "{\"status\":\"ok\"}";
	FCGX_Request req;
	char buf[16384];

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		while (FCGX_GetStr(buf, sizeof buf, req.in) > 0)
			;
		FCGX_PutStr(answer, sizeof answer - 1, req.out);
		while (recv(req.ipcFd, buf, sizeof buf, MSG_DONTWAIT) > 0)
			;
		FCGX_Detach(&req);
		FCGX_Finish_r(&req);
	}
	return 0;
}
