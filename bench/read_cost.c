// SPDX-License-Identifier: GPL-2.0
/* read_cost FILE_A FILE_B: the median cost of open+read+close of each file,
 * measured in alternating batches so that both see the same machine, and
 * the ratio A/B.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define BATCHES 201
#define PER_BATCH 200

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

int main(int argc, char **argv)
{
	static double a[BATCHES], b[BATCHES];

	if (argc != 3) {
		fprintf(stderr, "usage: read_cost FILE_A FILE_B\n");
		return 2;
	}
	for (int i = 0; i < BATCHES; i++) {
		a[i] = batch(argv[1]);
		b[i] = batch(argv[2]);
	}
	qsort(a, BATCHES, sizeof(a[0]), cmp);
	qsort(b, BATCHES, sizeof(b[0]), cmp);
	printf("%s\t%.0f ns\n%s\t%.0f ns\nratio\t%.3f\n", argv[1],
	       a[BATCHES / 2], argv[2], b[BATCHES / 2],
	       a[BATCHES / 2] / b[BATCHES / 2]);
	return 0;
}
