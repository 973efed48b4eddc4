// SPDX-License-Identifier: GPL-2.0
/* bare_scrape ROOT N FILE...: the baseline of bench/exporter-cost. Walks
 * the cgroup tree below ROOT N times the way cgview-exporter does
 * (openat, readdir, recurse into directories) and opens, reads and closes
 * every FILE and bpf.* file it finds, without parsing. Prints the CPU time
 * (user + system) per walk and the files read per walk.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static char **files;
static int nfiles;
static long nread;

static int wanted(const char *name)
{
	if (!strncmp(name, "bpf.", 4))
		return 1;
	for (int i = 0; i < nfiles; i++)
		if (!strcmp(files[i], name))
			return 1;
	return 0;
}

static void read_at(int dfd, const char *name)
{
	static char buf[65536];
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	nread++;
}

static void walk(int dfd)
{
	DIR *d = fdopendir(dup(dfd));
	struct dirent *e;
	int cfd;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_type == DT_REG && wanted(e->d_name)) {
			read_at(dfd, e->d_name);
		} else if (e->d_type == DT_DIR && e->d_name[0] != '.') {
			cfd = openat(dfd, e->d_name,
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (cfd >= 0) {
				walk(cfd);
				close(cfd);
			}
		}
	}
	closedir(d);
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

int main(int argc, char **argv)
{
	double start;
	int n, dfd = -1;

	if (argc < 3 || (n = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: bare_scrape ROOT N FILE...\n");
		return 2;
	}
	files = argv + 3;
	nfiles = argc - 3;
	start = cpu_seconds();
	for (int i = 0; i < n; i++) {
		dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			perror(argv[1]);
			return 1;
		}
		walk(dfd);
		close(dfd);
	}
	printf("%.6f %ld\n", (cpu_seconds() - start) / n, nread / n);
	return 0;
}
