// SPDX-License-Identifier: GPL-2.0
/* The cgroup2 hierarchy: its mount, a path's place below it, and the
 * place of a cgroup known by its id.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"

/* the handle type of kernfs (cgroupfs) file handles: 8 bytes, the id */
#define FILEID_KERNFS 0xfe

/* hybrid hosts have it at /sys/fs/cgroup/unified, pure v2 hosts at
 * /sys/fs/cgroup
 */
int cgroup2_mount(char *buf, size_t size)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int found = 0;

	if (!f)
		return -errno;
	while (!found && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2"))
			found = snprintf(buf, size, "%s", m->mnt_dir) <
				(int)size;
	endmntent(f);
	return found ? 0 : -ENOENT;
}

/* The place of PATH below MNT, both resolved; NULL when it is not below */
static const char *below(const char *mnt, const char *path)
{
	size_t len = strlen(mnt);

	if (strncmp(path, mnt, len) || (path[len] && path[len] != '/'))
		return NULL;
	return path[len] ? path + len + 1 : "";
}

int cgroup2_rel(const char *mnt, const char *path, char *real, const char **rel)
{
	char m[PATH_MAX];

	if (!realpath(mnt, m) || !realpath(path, real))
		return -errno;
	*rel = below(m, real);
	return *rel ? 0 : -EXDEV;
}

static int copy_rel(char *rel, size_t size, const char *from)
{
	return snprintf(rel, size, "%s", from) < (int)size ? 0 : -ENAMETOOLONG;
}

/* The cgroup of ID, opened through its file handle in the mount MFD */
static int open_by_id(int mfd, uint64_t id)
{
	union {
		struct file_handle fh;
		char space[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h = { .fh = { .handle_bytes = sizeof(id),
			.handle_type = FILEID_KERNFS } };

	memcpy(h.fh.f_handle, &id, sizeof(id));
	return open_by_handle_at(mfd, &h.fh,
				 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The path of the open file FD */
static int fd_path(int fd, char *buf, size_t size)
{
	char proc[32];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, size - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n == size - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

/* What systemd does (cg_path_from_cgroupid): needs CAP_DAC_READ_SEARCH */
static int by_handle(const char *mnt, uint64_t id, char *path, size_t size)
{
	int mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = mfd < 0 ? -1 : open_by_id(mfd, id);
	int err = fd < 0 ? -errno : fd_path(fd, path, size);

	if (fd >= 0)
		close(fd);
	if (mfd >= 0)
		close(mfd);
	return err;
}

struct id_search {
	uint64_t id;
	char *rel;
	size_t size;
};

/* walk_tree(): stops with 1 at the cgroup of the id (a cgroup's id is its
 * inode number)
 */
static int id_match(void *ctx, const struct walk_entry *e)
{
	struct id_search *s = ctx;

	if (e->type != WALK_DIR || e->st->st_ino != s->id)
		return 0;
	return copy_rel(s->rel, s->size, e->rel) ? -ENAMETOOLONG : 1;
}

static int by_walk(const char *mnt, uint64_t id, char *rel, size_t size)
{
	struct id_search s = { .id = id, .rel = rel, .size = size };
	int ret = walk_tree(mnt, id_match, &s);

	if (ret == 1)
		return 0;
	return ret < 0 ? ret : -ENOENT;
}

int cgroup_path_by_id(const char *mnt, uint64_t id, char *rel, size_t size)
{
	char m[PATH_MAX], path[PATH_MAX];
	const char *r;

	if (!realpath(mnt, m))
		return -errno;
	if (!by_handle(m, id, path, sizeof(path)) && (r = below(m, path)))
		return copy_rel(rel, size, r);
	return by_walk(m, id, rel, size);
}
