// SPDX-License-Identifier: GPL-2.0
/* Resolve cgroups named by the user in the cgroup v2 hierarchy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "cgroup.h"
#include "cgview.h"

static int is_cgroup2_dir(const char *path)
{
	struct statfs sfs;
	struct stat st;

	if (stat(path, &st) || statfs(path, &sfs))
		return -errno;
	if (!S_ISDIR(st.st_mode) || sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -ENOTDIR;
	return 0;
}

/* PATH's place below the cgroup2 mount MNT, into CG: 0, -ENOENT when it is
 * no cgroup2 directory, -EXDEV when it is not below MNT
 */
static int place(const char *mnt, const char *path, struct cgroup_ref *cg)
{
	const char *rel;
	int err = cgroup2_rel(mnt, path, cg->path, &rel);

	if ((err && err != -EXDEV) || is_cgroup2_dir(cg->path))
		return -ENOENT;
	if (err)
		return err;
	snprintf(cg->rel, sizeof(cg->rel), "%s", rel);
	return 0;
}

/* ARG is an absolute path inside the cgroup2 mount, or a path relative to
 * its root ("" or "/" alone mean the root itself), with or without a
 * leading '/' (as top, dump and cgview-exporter show cgroups)
 */
int cgroup_resolve(const char *arg, struct cgroup_ref *cg)
{
	char mnt[PATH_MAX], joined[PATH_MAX * 2];
	bool path = arg[0] == '/' && strcmp(arg, "/");
	int err, below;

	if (cgroup2_mount(mnt, sizeof(mnt))) {
		err_msg(0,
			"no cgroup2 filesystem is mounted (mount -t cgroup2 none /sys/fs/cgroup)");
		return -ENOENT;
	}
	err = path ? place(mnt, arg, cg) : -ENOENT;
	if (!err)
		return 0;
	snprintf(joined, sizeof(joined), "%s/%s", mnt, arg);
	below = place(mnt, joined, cg);
	if (!below)
		return 0;
	if (err == -ENOENT) /* the path is no cgroup: say what ARG below is */
		err = below;
	if (err == -EXDEV)
		err_msg(0, "'%s' is not below the cgroup2 mount %s", arg, mnt);
	else
		err_msg(0, "no cgroup '%s' in the cgroup2 hierarchy at %s", arg,
			mnt);
	return err == -EXDEV ? -EINVAL : err;
}

const char *cgroup_name(const struct cgroup_ref *cg)
{
	return cg->rel[0] ? cg->rel : "/";
}

/* SUB is the child NAME of CG. */
int cgroup_child(const struct cgroup_ref *cg, const char *name,
		 struct cgroup_ref *sub)
{
	int n = snprintf(sub->path, sizeof(sub->path), "%s/%.*s", cg->path,
			 NAME_MAX, name);
	int r = snprintf(sub->rel, sizeof(sub->rel), "%s%s%.*s", cg->rel,
			 cg->rel[0] ? "/" : "", NAME_MAX, name);

	return n < (int)sizeof(sub->path) && r < (int)sizeof(sub->rel) ?
		       0 :
		       -ENAMETOOLONG;
}
