// SPDX-License-Identifier: GPL-2.0
/* Read one file of a cgroup (or of its bpffs mirror) whole: a regular file
 * of at most READ_MAX bytes. Anything else (a FIFO that would block, a
 * device that never ends) is refused unread. bpf seq files say size 0, so
 * the bound is on the bytes read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exporter.h"

/* READ_MAX + 1 bytes at most into *buf from FD */
static int read_bounded(int fd, char **buf, size_t *cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	do {
		if (*cap - *len < 4096)
			*buf = grow(*buf, cap, *len + 8192, 1);
		n = read(fd, *buf + *len, *cap - *len - 1);
		if (n > 0)
			*len += n;
	} while (n > 0 && *len <= READ_MAX);
	(*buf)[*len] = '\0';
	if (n < 0)
		return -errno;
	return *len > READ_MAX ? -READ_TOO_LONG : 0;
}

/* 0, or -errno, -READ_NOT_REGULAR or -READ_TOO_LONG (read_error() says
 * which); *buf grows as needed and is NUL terminated
 */
int read_file_at(int dirfd, const char *name, char **buf, size_t *cap,
		 size_t *len)
{
	int fd = openat(dirfd, name,
			O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
				O_NOFOLLOW);
	struct stat sb;
	int err;

	if (fd < 0)
		return errno == ELOOP ? -READ_NOT_REGULAR : -errno;
	if (fstat(fd, &sb))
		err = -errno;
	else if (!S_ISREG(sb.st_mode))
		err = -READ_NOT_REGULAR;
	else
		err = read_bounded(fd, buf, cap, len);
	close(fd);
	return err;
}

/* What read_file_at()'s ERR (negative) means */
const char *read_error(int err)
{
	if (err == -READ_NOT_REGULAR)
		return "not a regular file (a FIFO, device, socket or symbolic "
		       "link)";
	if (err == -READ_TOO_LONG)
		return "longer than " READ_MAX_TEXT;
	return strerror(-err);
}
