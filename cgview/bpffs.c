// SPDX-License-Identifier: GPL-2.0
/* bpffs: make sure it is mounted, and lay out cgview's pins in it.
 *
 *   /sys/fs/bpf/cgview/views/<view>/prog             a loaded view
 *   /sys/fs/bpf/cgview/views/<view>/bulk             its bulk program and
 *   /sys/fs/bpf/cgview/views/<view>/bulk_records     the array of its
 *                                                    records (load.c)
 *   /sys/fs/bpf/cgview/cgroups/<cgroup>/bpf.<view>   an exposure (stock;
 *                                                    mirror.c's layout)
 *
 * (lib/pins.h names these places for cgview-exporter too.)
 *
 * bpffs refuses names with a dot ("reserved for future extensions") in a
 * directory that has any permission bits, so the mirror's directories,
 * whose entries are "bpf.<view>" and cgroup names like "nginx.service",
 * are made with mode 0. Only root (CAP_DAC_OVERRIDE) enters them, as only
 * root enters bpffs (mode 0700) anyway.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cgview.h"

bool bpffs_mounted(void)
{
	struct statfs sfs;

	return !statfs(BPFFS_ROOT, &sfs) && sfs.f_type == BPF_FS_MAGIC;
}

int bpffs_ensure(void)
{
	if (bpffs_mounted())
		return 0;
	if (!mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700"))
		return 0;
	err_msg(errno,
		"bpffs is not mounted at %s and mounting it failed; run 'mount -t bpf bpf %s' as root",
		BPFFS_ROOT, BPFFS_ROOT);
	return -1;
}

/* mkdir -p, for directories inside bpffs; new ones get MODE. */
int bpffs_mkdirs(const char *dir, mode_t mode)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Remove DIR and its parents while they are empty, up to (not incl.) STOP. */
void bpffs_prune(const char *dir, const char *stop)
{
	char path[PATH_MAX];
	char *slash;

	snprintf(path, sizeof(path), "%s", dir);
	while (strcmp(path, stop) && strlen(path) > strlen(stop)) {
		if (rmdir(path))
			return;
		slash = strrchr(path, '/');
		if (!slash)
			return;
		*slash = '\0';
	}
}

void bpffs_prune_view(const char *view)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/%s", CGVIEW_VIEWS, view);
	bpffs_prune(dir, CGVIEW_PIN_ROOT);
}

/* Pin FD at PATH, making its directories below TOP with MODE. */
int pin_in_new_dirs(int fd, const char *path, const char *top, mode_t mode)
{
	char dir[PATH_MAX];
	int err;

	snprintf(dir, sizeof(dir), "%s", path);
	dirname(dir);
	err = bpffs_mkdirs(CGVIEW_PIN_ROOT, 0700);
	if (!err)
		err = bpffs_mkdirs(dir, mode);
	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	if (err)
		bpffs_prune(dir, top);
	return err;
}

int view_pin_path(char *buf, size_t size, const char *view, const char *what)
{
	int n = snprintf(buf, size, "%s/%s/%s", CGVIEW_VIEWS, view, what);

	return n < (int)size ? 0 : -ENAMETOOLONG;
}
