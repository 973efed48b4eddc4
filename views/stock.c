// SPDX-License-Identifier: GPL-2.0
/* Stock kernels: exposing a view at a cgroup attaches one cgroup_iter link
 * (order SELF_ONLY) to that cgroup and pins it in a mirror of the cgroup
 * tree in bpffs, where reading the pin runs the view.
 */
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgview.h"

static int stock_expose(const struct view *v, const struct cgroup_ref *cg)
{
	char pin[PATH_MAX], top[PATH_MAX];
	int link_fd, err;

	if (bpffs_ensure() || expose_pin_path(pin, sizeof(pin), cg, v->name))
		return -1;
	if (!access(pin, F_OK)) {
		err_msg(0, "view '%s' is already exposed at %s (%s)", v->name,
			cg->path, pin);
		return -1;
	}
	link_fd = iter_link(v, cg);
	if (link_fd < 0)
		return -1;
	snprintf(top, sizeof(top), "%s/cgroups", CGVIEW_PIN_ROOT);
	err = pin_in_new_dirs(link_fd, pin, top, 0);
	close(link_fd);
	if (err) {
		err_msg(-err, "cannot pin the view at %s", pin);
		return -1;
	}
	printf("%s\n", pin);
	return 0;
}

static int stock_unexpose(const struct view *v, const struct cgroup_ref *cg)
{
	char pin[PATH_MAX], dir[PATH_MAX], top[PATH_MAX];

	if (expose_pin_path(pin, sizeof(pin), cg, v->name))
		return -1;
	if (unlink(pin)) {
		if (errno == ENOENT)
			err_msg(0, "view '%s' is not exposed at %s", v->name,
				cg->path);
		else
			err_msg(errno, "cannot remove %s", pin);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", pin);
	snprintf(top, sizeof(top), "%s/cgroups", CGVIEW_PIN_ROOT);
	bpffs_prune(dirname(dir), top);
	return 0;
}

static const char *unload_name;

static int unlink_exposure(const char *path, const struct stat *st, int type,
			   struct FTW *ftw)
{
	(void)st;
	if (type == FTW_F && !strcmp(path + ftw->base, unload_name))
		unlink(path);
	else if (type == FTW_DP && ftw->level > 0)
		rmdir(path); /* fails, harmlessly, while not empty */
	return 0;
}

/* Remove every pin of V in the bpffs mirror. */
void mirror_unexpose_all(const struct view *v)
{
	char name[NAME_MAX + 1];

	snprintf(name, sizeof(name), "bpf.%s", v->name);
	unload_name = name;
	nftw(CGVIEW_PIN_ROOT "/cgroups", unlink_exposure, 16,
	     FTW_DEPTH | FTW_PHYS);
}

static int stock_unload(const struct view *v)
{
	if (bpffs_ensure())
		return -1;
	mirror_unexpose_all(v);
	return view_unpin(v);
}

static int stock_load(const struct view *v)
{
	return view_load(v, false);
}

const struct mode stock_mode = {
	.name = "stock",
	.load = stock_load,
	.unload = stock_unload,
	.expose = stock_expose,
	.unexpose = stock_unexpose,
	.file_path = expose_pin_path,
};
