// SPDX-License-Identifier: GPL-2.0
/* Kernels with the bpf_view series: a loaded view is a view link pinned in
 * bpffs, and exposing it at a cgroup pins that link once more, into the
 * cgroup's own directory, as the file bpf.<view>. The kernel ties every
 * such file to the bpffs pin: unpinning the link removes them all.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cgview.h"

static int cgroupfs_path(char *buf, size_t size, const struct cgroup_ref *cg,
			 const char *view)
{
	int n = snprintf(buf, size, "%s/bpf.%s", cg->path, view);

	return n < (int)size ? 0 : -ENAMETOOLONG;
}

static void expose_failed(const struct view *v, const struct cgroup_ref *cg,
			  int err)
{
	if (err == EEXIST)
		err_msg(0, "view '%s' is already exposed at %s", v->name,
			cg->path);
	else if (err == EACCES)
		err_msg(0, "no write permission on %s", cg->path);
	else if (err == EPERM)
		err_msg(0, "exposing a view needs CAP_BPF");
	else if (err == ENOENT)
		err_msg(0,
			"cgroup %s is being removed, or view '%s' is not pinned in bpffs (run 'cgview load %s')",
			cg->path, v->name, v->name);
	else
		err_msg(err, "cannot expose view '%s' at %s", v->name,
			cg->path);
}

static int patched_expose(const struct view *v, const struct cgroup_ref *cg)
{
	char link[PATH_MAX], file[PATH_MAX];
	int fd, err = 0;

	if (bpffs_ensure() ||
	    view_pin_path(link, sizeof(link), v->name, "link") ||
	    cgroupfs_path(file, sizeof(file), cg, v->name))
		return -1;
	fd = bpf_obj_get(link);
	if (fd < 0) {
		err_msg(0,
			"view '%s' is not loaded; run 'cgview load %s' first",
			v->name, v->name);
		return -1;
	}
	if (bpf_obj_pin(fd, file)) {
		err = errno;
		expose_failed(v, cg, err);
	}
	close(fd);
	if (!err)
		printf("%s\n", file);
	return err ? -1 : 0;
}

static int patched_unexpose(const struct view *v, const struct cgroup_ref *cg)
{
	char file[PATH_MAX];

	if (cgroupfs_path(file, sizeof(file), cg, v->name))
		return -1;
	if (!unlink(file))
		return 0;
	if (errno == ENOENT)
		err_msg(0, "view '%s' is not exposed at %s", v->name, cg->path);
	else
		err_msg(errno, "cannot remove %s", file);
	return -1;
}

static int patched_load(const struct view *v)
{
	return view_load(v, true);
}

/*
 * Unpinning the link removes every bpf.<view> file in cgroupfs; pins made
 * with CGVIEW_MODE=stock go too.
 */
static int patched_unload(const struct view *v)
{
	if (bpffs_ensure())
		return -1;
	mirror_unexpose_all(v);
	return view_unpin(v);
}

const struct mode patched_mode = {
	.name = "patched",
	.load = patched_load,
	.unload = patched_unload,
	.expose = patched_expose,
	.unexpose = patched_unexpose,
	.file_path = cgroupfs_path,
};
