/*
 * The raw PBKDF2-HMAC-SHA256 rate of this machine at a given iteration
 * count, on every core at once (one process per core, as the workers are),
 * through the same OpenSSL call phoneauth makes: the ceiling of a login with
 * the right password.
 *
 *   pbkdf2 ITERATIONS SECONDS PROCESSES   -> prints hashes per second
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	int iterations, procs, fds[2];
	double seconds, total = 0;

	if (argc != 4)
		return 2;
	iterations = atoi(argv[1]);
	seconds = atof(argv[2]);
	procs = atoi(argv[3]);
	if (pipe(fds) != 0)
		return 1;
	for (int p = 0; p < procs; p++) {
		if (fork() == 0) {
			unsigned char dk[32];
			double start = now(), rate;
			long n = 0;

			while (now() - start < seconds) {
				PKCS5_PBKDF2_HMAC("a benchmark password", 20,
				    (const unsigned char *)"abcdefghijklmnopqrstuv", 22, iterations,
				    EVP_sha256(), sizeof dk, dk);
				n++;
			}
			rate = n / (now() - start);
			if (write(fds[1], &rate, sizeof rate) != sizeof rate)
				_exit(1);
			_exit(0);
		}
	}
	for (int p = 0; p < procs; p++) {
		double rate;

		if (read(fds[0], &rate, sizeof rate) == sizeof rate)
			total += rate;
		wait(NULL);
	}
	printf("%.1f\n", total);
	return 0;
}
