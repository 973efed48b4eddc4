// SPDX-License-Identifier: GPL-2.0
/* read_cost BASE FILE...: the median cost of open+read+close of BASE and of
 * each FILE, measured in batches taken in turn (BASE, FILE1, FILE2, ...,
 * BASE, ...) so that all see the same machine, and each FILE's ratio to
 * BASE. One line per file: its path, ns per read, ratio.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define BATCHES 201
#define PER_BATCH 200
#define MAX_FILES 32

/* A clock in steps of jiffies (a guest whose TSC was found unstable) would
 * make every batch's time a multiple of them. Early after boot the kernel
 * may not have switched to high resolution timers yet (it does once the
 * clocksource is settled): wait for that, up to WAIT_S seconds.
 */
#define WAIT_S 30

static bool clock_fine(struct timespec *res)
{
	return !clock_getres(CLOCK_MONOTONIC, res) && !res->tv_sec &&
	       res->tv_nsec <= 1000;
}

static int check_clock(void)
{
	struct timespec res, tick = { 0, 10000000 };

	for (int i = 0; i < WAIT_S * 100 && !clock_fine(&res); i++)
		nanosleep(&tick, NULL);
	if (!clock_fine(&res)) {
		fprintf(stderr,
			"read_cost: CLOCK_MONOTONIC resolution %ld ns after "
			"%d s: too coarse (clocksource?)\n",
			res.tv_nsec, WAIT_S);
		return -1;
	}
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per open+read+close of PATH, over one batch */
static double batch(const char *path)
{
	static char buf[65536];
	double start = now_ns();

	for (int i = 0; i < PER_BATCH; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0) {
			perror(path);
			exit(1);
		}
		close(fd);
	}
	return (now_ns() - start) / PER_BATCH;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v)
{
	qsort(v, BATCHES, sizeof(v[0]), cmp);
	return v[BATCHES / 2];
}

int main(int argc, char **argv)
{
	static double ns[MAX_FILES][BATCHES];
	int files = argc - 1;
	double base;

	if (files < 2 || files > MAX_FILES) {
		fprintf(stderr, "usage: read_cost BASE FILE... (at most %d)\n",
			MAX_FILES - 1);
		return 2;
	}
	if (check_clock())
		return 1;
	for (int i = 0; i < BATCHES; i++)
		for (int f = 0; f < files; f++)
			ns[f][i] = batch(argv[f + 1]);
	base = median(ns[0]);
	printf("%s\t%.0f ns\n", argv[1], base);
	for (int f = 1; f < files; f++) {
		double m = median(ns[f]);

		printf("%s\t%.0f ns\tratio %.3f\n", argv[f + 1], m, m / base);
	}
	return 0;
}
