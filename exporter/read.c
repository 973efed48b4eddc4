// SPDX-License-Identifier: GPL-2.0
/* Read one file of a cgroup (or of its bpffs mirror) whole. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "exporter.h"

/* 0, or -errno; *buf grows as needed and is NUL terminated */
int read_file_at(int dirfd, const char *name, char **buf, size_t *cap,
		 size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	*len = 0;
	for (;;) {
		if (*cap - *len < 4096) {
			*buf = grow(*buf, cap, *len + 8192, 1);
		}
		n = read(fd, *buf + *len, *cap - *len - 1);
		if (n <= 0)
			break;
		*len += n;
	}
	n = n < 0 ? -errno : 0;
	close(fd);
	(*buf)[*len] = '\0';
	return n;
}
