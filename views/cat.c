// SPDX-License-Identifier: GPL-2.0
/* cgview cat: read a view's file, or run the view once where it is not
 * exposed, through a cgroup_iter on the loaded program.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

int view_cat(const struct mode *m, const struct view *v,
	     const struct cgroup_ref *cg)
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
	err = fd < 0 ? -errno : copy_out(fd);
	if (err)
		err_msg(-err, "reading view '%s' of %s failed", v->name,
			cg->path);
	if (fd >= 0)
		close(fd);
	if (link_fd >= 0)
		close(link_fd);
	return err ? -1 : 0;
}
