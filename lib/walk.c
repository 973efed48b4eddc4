// SPDX-License-Identifier: GPL-2.0
/* A walk of a directory tree that hands its callback a context (nftw(3)
 * has none): openat(2) and fdopendir(3) from the top down, one open
 * directory per level.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"

struct walker {
	walk_fn fn;
	void *ctx;
	char path[PATH_MAX];
	size_t top; /* length of the top's path */
};

/* The callback on w->path, whose name starts at NAME_AT */
static int call(struct walker *w, enum walk_type type, int fd, size_t name_at,
		const struct stat *st)
{
	struct walk_entry e = {
		.type = type,
		.path = w->path,
		.rel = w->path[w->top] ? w->path + w->top + 1 : "",
		.name = w->path + name_at,
		.fd = fd,
		.st = st,
	};

	return w->fn(w->ctx, &e);
}

static int dir(struct walker *w, int fd, size_t name_at);

/* Entry DE of the directory DFD, at w->path */
static int entry(struct walker *w, int dfd, const struct dirent *de,
		 size_t name_at)
{
	unsigned char type = de->d_type;
	struct stat st;
	int fd;

	if (type == DT_UNKNOWN &&
	    !fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
		type = IFTODT(st.st_mode);
	if (type == DT_REG)
		return call(w, WALK_FILE, -1, name_at, NULL);
	if (type != DT_DIR)
		return 0;
	fd = openat(dfd, de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? 0 : dir(w, fd, name_at);
}

/* What the directory D holds; w->path is its path */
static int entries(struct walker *w, DIR *d)
{
	size_t len = strlen(w->path), n;
	struct dirent *de;
	int ret = 0;

	while (!ret && (de = readdir(d))) {
		n = strlen(de->d_name);
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    len + n + 2 > sizeof(w->path))
			continue;
		w->path[len] = '/';
		memcpy(w->path + len + 1, de->d_name, n + 1);
		ret = entry(w, dirfd(d), de, len + 1);
		w->path[len] = '\0';
	}
	return ret;
}

/* The directory open at FD (closed here), at w->path */
static int dir(struct walker *w, int fd, size_t name_at)
{
	DIR *d = fdopendir(fd);
	struct stat st;
	int ret = 0;

	if (!d) {
		close(fd);
		return 0;
	}
	if (!fstat(fd, &st)) {
		ret = call(w, WALK_DIR, fd, name_at, &st);
		if (!ret)
			ret = entries(w, d);
		if (!ret)
			ret = call(w, WALK_DIR_DONE, fd, name_at, &st);
	}
	closedir(d);
	return ret;
}

int walk_tree(const char *top, walk_fn fn, void *ctx)
{
	struct walker w = { .fn = fn, .ctx = ctx, .top = strlen(top) };
	int fd;

	if (w.top >= sizeof(w.path))
		return -ENAMETOOLONG;
	memcpy(w.path, top, w.top + 1);
	fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return dir(&w, fd, 0);
}
