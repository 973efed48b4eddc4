// SPDX-License-Identifier: GPL-2.0
/* cgview cat: read a view's file, or run the view once where it is not
 * exposed, through a cgroup_iter on the loaded program.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cgview.h"

static int copy_out(int fd)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, n, stdout) != (size_t)n)
			return -EIO;
	return n < 0 ? -errno : 0;
}

/* The whole output of FD, then printed as JSON. */
static int copy_json(int fd)
{
	size_t len = 0, size = 8192;
	char *buf = malloc(size), *bigger;
	ssize_t n;
	int err;

	while (buf && (n = read(fd, buf + len, size - len)) > 0) {
		len += n;
		if (len < size)
			continue;
		bigger = realloc(buf, size * 2);
		if (!bigger)
			break;
		buf = bigger;
		size *= 2;
	}
	if (!buf || len == size)
		err = -ENOMEM;
	else
		err = n < 0 ? -errno : cat_json(buf, len);
	free(buf);
	return err;
}

int view_cat(const struct backend *m, const struct view *v,
	     const struct cgroup_ref *cg, bool json)
{
	char file[PATH_MAX];
	int fd, link_fd = -1, err;

	if (m->file_path(file, sizeof(file), cg, v->name))
		return -1;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		link_fd = iter_link(v, cg);
		if (link_fd < 0)
			return -1;
		fd = bpf_iter_create(link_fd);
	}
	if (fd < 0)
		err = -errno;
	else
		err = json ? copy_json(fd) : copy_out(fd);
	if (err)
		err_msg(-err, "reading view '%s' of %s failed", v->name,
			cg->path);
	if (fd >= 0)
		close(fd);
	if (link_fd >= 0)
		close(link_fd);
	return err ? -1 : 0;
}
