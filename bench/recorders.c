// SPDX-License-Identifier: GPL-2.0
/* recorders WORKLOAD OPS [HOOK...]: run OPS operations of a workload that
 * makes the events a view's recorders hook, and print the median
 * nanoseconds of an operation. With HOOKs, an empty program is attached to
 * each first (bench/empty.bpf.c, or another object of programs named
 * for their hooks, from $RECORDERS_EMPTY_OBJ); with
 * $RECORDERS_PROG_STATS set as well, what is printed is how often those
 * ran per operation and their ns per run (kernel.bpf_stats_enabled).
 * bench/recorders runs it without each view, with it, and with empty
 * programs on its hooks.
 *
 *   switch  two processes on one CPU pass a byte back and forth through
 *           pipes: per operation 2 wakeups and 2 context switches
 *   tcp     two processes on one CPU echo a byte over loopback TCP: per
 *           operation 2 sends and 2 receives (and the switches between)
 *   tcp-moved  the same, the sockets made in this process's cgroup and
 *           used from the cgroup v2 directory $RECORDERS_CGROUP, which
 *           the process joins after making them: a socket whose cgroup is
 *           not the current task's
 *   dio     4 KiB O_DIRECT reads of a file on a block device (FILE from
 *           $RECORDERS_FILE): per operation one bio and one request
 *   oom     a child joins the limited cgroup v1 memory cgroup
 *           $RECORDERS_MEMCG and touches memory until the OOM killer
 *           kills it: per operation one OOM kill
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "empty.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Room for the times of OPS operations */
static double *samples(long ops)
{
	double *ns = calloc(ops, sizeof(*ns));

	if (!ns)
		die("calloc");
	return ns;
}

/*
 * The median of the operations' times (NS, freed): a typical operation,
 * without the outliers (an interrupt, another task, an I/O that waited)
 * that move a mean by more than a recorder adds.
 */
static double median(double *ns, long ops)
{
	double m;

	qsort(ns, ops, sizeof(*ns), cmp_double);
	m = ns[ops / 2];
	free(ns);
	return m;
}

static void on_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/* Read a byte from IN and write it to OUT, OPS times (or until EOF). */
static void echo(int in, int out, long ops)
{
	char c;

	for (long i = 0; i < ops; i++)
		if (read(in, &c, 1) != 1 || write(out, &c, 1) != 1)
			break;
}

/* Send a byte on OUT and wait for it back on IN, OPS times. */
static double ping(int out, int in, long ops)
{
	double *ns = samples(ops);
	char c = 'x';

	for (long i = 0; i < ops; i++) {
		double start = now_ns();

		if (write(out, &c, 1) != 1 || read(in, &c, 1) != 1)
			die("ping");
		ns[i] = now_ns() - start;
	}
	return median(ns, ops);
}

static double run_pair(int a_out, int a_in, int b_in, int b_out, long ops)
{
	pid_t pid = fork();
	double ns;

	if (pid < 0)
		die("fork");
	if (!pid) {
		echo(b_in, b_out, ops);
		_exit(0);
	}
	ns = ping(a_out, a_in, ops);
	waitpid(pid, NULL, 0);
	return ns;
}

static double bench_switch(long ops)
{
	int there[2], back[2];

	if (pipe(there) || pipe(back))
		die("pipe");
	return run_pair(there[1], back[0], there[0], back[1], ops);
}

static int tcp_pair(int *client, int *server)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&addr, &len))
		return -1;
	*client = socket(AF_INET, SOCK_STREAM, 0);
	if (*client < 0 ||
	    connect(*client, (struct sockaddr *)&addr, sizeof(addr)))
		return -1;
	*server = accept(lfd, NULL, NULL);
	close(lfd);
	setsockopt(*client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(*server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return *server < 0 ? -1 : 0;
}

static double bench_tcp(long ops)
{
	int client, server;

	if (tcp_pair(&client, &server))
		die("loopback tcp");
	return run_pair(client, client, server, server, ops);
}

/* Move this process into the cgroup v2 directory DIR */
static int join(const char *dir)
{
	char path[PATH_MAX];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	err = fprintf(f, "%d\n", getpid()) < 0;
	return fclose(f) || err ? -1 : 0;
}

static double bench_tcp_moved(long ops)
{
	const char *dir = getenv("RECORDERS_CGROUP");
	int client, server;

	if (!dir) {
		fprintf(stderr, "recorders: tcp-moved needs RECORDERS_CGROUP, "
				"a cgroup v2 directory to join\n");
		exit(2);
	}
	if (tcp_pair(&client, &server))
		die("loopback tcp");
	if (join(dir))
		die(dir);
	return run_pair(client, client, server, server, ops);
}

static double bench_dio(long ops)
{
	const char *path = getenv("RECORDERS_FILE");
	int fd = path ? open(path, O_RDONLY | O_DIRECT) : -1;
	double *ns = samples(ops);
	void *buf;

	if (fd < 0 || posix_memalign(&buf, 4096, 4096))
		die("RECORDERS_FILE (O_DIRECT)");
	for (long i = 0; i < ops; i++) {
		double start = now_ns();

		if (pread(fd, buf, 4096, (i % 256) * 4096) != 4096)
			die("pread");
		ns[i] = now_ns() - start;
	}
	close(fd);
	free(buf);
	return median(ns, ops);
}

/* Join the memory cgroup MEMCG and touch memory until killed. */
static void touch_until_killed(const char *memcg)
{
	char procs[PATH_MAX];
	FILE *f;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", memcg);
	f = fopen(procs, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		die(procs);
	for (;;) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		memset(p, 1, 1 << 20);
	}
}

static double bench_oom(long ops)
{
	const char *memcg = getenv("RECORDERS_MEMCG");
	double *ns = samples(ops);
	int status;

	if (!memcg)
		die("RECORDERS_MEMCG");
	for (long i = 0; i < ops; i++) {
		double start = now_ns();
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid)
			touch_until_killed(memcg);
		if (waitpid(pid, &status, 0) < 0 || !WIFSIGNALED(status) ||
		    WTERMSIG(status) != SIGKILL) {
			fprintf(stderr, "recorders: no OOM kill\n");
			exit(1);
		}
		ns[i] = now_ns() - start;
	}
	return median(ns, ops);
}

int main(int argc, char **argv)
{
	long ops = argc >= 3 ? atol(argv[2]) : 0;
	const char *empty_obj = getenv("RECORDERS_EMPTY_OBJ");
	struct bpf_object *empty = NULL;
	double ns;

	if (ops <= 0) {
		fprintf(stderr,
			"usage: recorders switch|tcp|tcp-moved|dio|oom OPS "
			"[HOOK...]\n");
		return 2;
	}
	if (argc > 3) {
		empty = empty_attach(empty_obj, argv + 3, argc - 3);
		if (!empty)
			return 1;
	}
	on_cpu0();
	if (!strcmp(argv[1], "switch"))
		ns = bench_switch(ops);
	else if (!strcmp(argv[1], "tcp"))
		ns = bench_tcp(ops);
	else if (!strcmp(argv[1], "tcp-moved"))
		ns = bench_tcp_moved(ops);
	else if (!strcmp(argv[1], "dio"))
		ns = bench_dio(ops);
	else if (!strcmp(argv[1], "oom"))
		ns = bench_oom(ops);
	else
		return 2;
	if (empty && getenv("RECORDERS_PROG_STATS"))
		empty_stats(empty, ops);
	else
		printf("%.1f\n", ns);
	return 0;
}
