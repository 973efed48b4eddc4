// SPDX-License-Identifier: GPL-2.0
/* cgroup_churn DIR N ROUNDS: mkdir of N cgroups below DIR, then rmdir of
 * them all, ROUNDS times; the median over the rounds of the ns per mkdir
 * and per rmdir.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 101

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per call of mkdir (MAKE) or rmdir of DIR/c0 .. DIR/c<N-1> */
static double pass(const char *dir, int n, int make)
{
	char path[4096];
	double start = now_ns();

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/c%d", dir, i);
		if (make ? mkdir(path, 0755) : rmdir(path)) {
			perror(path);
			exit(1);
		}
	}
	return (now_ns() - start) / n;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static double mk[MAX_ROUNDS], rm[MAX_ROUNDS];
	int n, rounds;

	if (argc != 4 || (n = atoi(argv[2])) <= 0 ||
	    (rounds = atoi(argv[3])) <= 0 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: cgroup_churn DIR N ROUNDS (1..%d)\n",
			MAX_ROUNDS);
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		mk[r] = pass(argv[1], n, 1);
		rm[r] = pass(argv[1], n, 0);
	}
	qsort(mk, rounds, sizeof(*mk), cmp);
	qsort(rm, rounds, sizeof(*rm), cmp);
	printf("mkdir_ns %.0f\nrmdir_ns %.0f\n", mk[rounds / 2],
	       rm[rounds / 2]);
	return 0;
}
