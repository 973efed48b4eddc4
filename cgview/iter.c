// SPDX-License-Identifier: GPL-2.0
/* A loaded view's program, from its pin, and a cgroup_iter link that runs
 * it on one cgroup (cat on stock kernels, the stock mirror's pins).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cgview.h"

static int loaded_prog_fd(const struct view *v)
{
	char pin[PATH_MAX];
	int fd;

	if (bpffs_ensure() || view_pin_path(pin, sizeof(pin), v->name, "prog"))
		return -1;
	fd = bpf_obj_get(pin);
	if (fd < 0 && errno == ENOENT)
		err_msg(0,
			"view '%s' is not loaded; run 'cgview load %s' first",
			v->name, v->name);
	else if (fd < 0)
		err_msg(errno, "cannot open the view pinned at %s", pin);
	return fd;
}

/* A cgroup_iter link running V's program on the cgroup CG alone. */
int iter_link(const struct view *v, const struct cgroup_ref *cg)
{
	union bpf_iter_link_info info = {};
	LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &info,
		    .iter_info_len = sizeof(info));
	int prog_fd, cg_fd, link_fd = -1;

	prog_fd = loaded_prog_fd(v);
	if (prog_fd < 0)
		return -1;
	cg_fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd >= 0) {
		info.cgroup.cgroup_fd = cg_fd;
		info.cgroup.order = BPF_CGROUP_ITER_SELF_ONLY;
		link_fd = bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, &opts);
	}
	if (link_fd < 0)
		err_msg(errno, "cannot attach view '%s' to cgroup %s", v->name,
			cg->path);
	if (cg_fd >= 0)
		close(cg_fd);
	close(prog_fd);
	return link_fd;
}
