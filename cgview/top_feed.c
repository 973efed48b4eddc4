// SPDX-License-Identifier: GPL-2.0
/* cgview top's input: cgview-exporter --output - on a subtree, whose
 * snapshot stream (proto/cgview.proto: a varint length, then a Snapshot)
 * comes through a pipe. The exporter reads the tree the cheapest way the
 * kernel allows (its bulk read where it loads, README.md "The bulk read"),
 * so top costs what a scrape costs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "cgview.h"
#include "top.h"

#define MAX_SNAPSHOT (1U << 30) /* a stream that says more is broken */

/* The standard files the columns read, for --files: the exporter reads
 * no other (bpf.* files it reads all)
 */
static void files(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int c = 0; c < NCOLS && len < size; c++) {
		if (!strncmp(columns[c].file, "bpf.", 4) ||
		    strstr(buf, columns[c].file))
			continue;
		len += snprintf(buf + len, size - len, "%s%s", len ? "," : "",
				columns[c].file);
	}
}

static void child(const char *exporter, const char *root, unsigned delay_ms,
		  unsigned long count, int out[2], int err[2])
{
	char interval[32], n[32], list[256];
	char *argv[] = { (char *)exporter,
			 "--root",
			 (char *)root,
			 "--interval",
			 interval,
			 "--output",
			 "-",
			 "--path-labels",
			 "none",
			 "--files",
			 list,
			 count ? "--count" : NULL,
			 n,
			 NULL };

	files(list, sizeof(list));
	snprintf(interval, sizeof(interval), "%ums", delay_ms);
	snprintf(n, sizeof(n), "%lu", count);
	dup2(out[1], STDOUT_FILENO);
	close(out[0]);
	close(out[1]);
	if (err[1] >= 0) {
		dup2(err[1], STDERR_FILENO);
		close(err[0]);
		close(err[1]);
	}
	execvp(exporter, argv);
	fprintf(stderr,
		"cgview: cannot run %s (make builds it next to cgview): %s\n",
		exporter, strerror(errno));
	_exit(127);
}

int feed_start(struct feed *f, const char *exporter, const char *root,
	       unsigned delay_ms, unsigned long count, bool capture_err)
{
	int out[2], err[2] = { -1, -1 };

	*f = (struct feed){ .fd = -1, .errfd = -1 };
	if (pipe2(out, O_CLOEXEC))
		return -errno;
	if (capture_err && pipe2(err, O_CLOEXEC)) {
		close(out[0]);
		close(out[1]);
		return -errno;
	}
	fflush(stdout);
	f->pid = fork();
	if (f->pid == 0)
		child(exporter, root, delay_ms, count, out, err);
	close(out[1]);
	if (err[1] >= 0)
		close(err[1]);
	f->fd = out[0];
	f->errfd = err[0];
	fcntl(f->fd, F_SETFL, O_NONBLOCK);
	if (f->errfd >= 0)
		fcntl(f->errfd, F_SETFL, O_NONBLOCK);
	return f->pid < 0 ? -errno : 0;
}

/* The varint at the start of f->buf: its value in *LEN and its size; 0
 * when it is not all there yet, -1 when it is not a length
 */
static int varint(const struct feed *f, uint64_t *len)
{
	*len = 0;
	for (size_t i = 0; i < f->len; i++) {
		if (i == 10)
			return -1;
		*len |= (uint64_t)(f->buf[i] & 0x7f) << (7 * i);
		if (!(f->buf[i] & 0x80))
			return (int)i + 1;
	}
	return f->len >= 10 ? -1 : 0;
}

/* A whole snapshot at the start of f->buf, decoded and taken out */
static int take(struct feed *f, Cgview__Snapshot **snap)
{
	uint64_t len;
	int hdr = varint(f, &len);

	if (hdr < 0 || len > MAX_SNAPSHOT)
		return -EBADMSG;
	if (!hdr || f->len < hdr + len)
		return 0;
	*snap = cgview__snapshot__unpack(NULL, len, f->buf + hdr);
	memmove(f->buf, f->buf + hdr + len, f->len - hdr - len);
	f->len -= hdr + len;
	return *snap ? 1 : -EBADMSG;
}

int feed_read(struct feed *f, Cgview__Snapshot **snap)
{
	ssize_t n;
	int got = take(f, snap);

	while (!got) {
		if (f->cap - f->len < 65536) {
			f->cap = f->cap ? f->cap * 2 : 1 << 20;
			f->buf = realloc(f->buf, f->cap);
			if (!f->buf)
				return -ENOMEM;
		}
		n = read(f->fd, f->buf + f->len, f->cap - f->len);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0)
			return -EPIPE;
		f->len += n;
		got = take(f, snap);
	}
	return got;
}

int feed_wait(struct feed *f)
{
	struct pollfd p = { .fd = f->fd, .events = POLLIN };

	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

void feed_read_err(struct feed *f)
{
	char buf[4096], *end, *start;
	ssize_t n;

	while (f->errfd >= 0 &&
	       (n = read(f->errfd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		end = buf + n;
		while (end > buf && end[-1] == '\n')
			*--end = '\0';
		start = strrchr(buf, '\n');
		start = start ? start + 1 : buf;
		if (*start)
			snprintf(f->err, sizeof(f->err), "%.*s",
				 (int)sizeof(f->err) - 1, start);
	}
}

int feed_stop(struct feed *f)
{
	int status = 0;

	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		while (waitpid(f->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (f->fd >= 0)
		close(f->fd);
	if (f->errfd >= 0)
		close(f->errfd);
	free(f->buf);
	*f = (struct feed){ .fd = -1, .errfd = -1 };
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
