/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What cgview and cgview-exporter both need of the cgroup2 hierarchy, and
 * of the trees they walk. Every function that can fail returns 0 or a
 * negative errno, and none prints.
 */
#ifndef CGVIEW_LIB_CGROUP_H
#define CGVIEW_LIB_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* hierarchy.c: where the hierarchy is, and a cgroup's place in it. A place
 * is a path below the mount, without a leading '/': "" for the root
 */

/* the first cgroup2 mount in /proc/self/mounts; -ENOENT: none */
int cgroup2_mount(char *buf, size_t size);
/*
 * PATH's place below the cgroup2 mount MNT: REAL (PATH_MAX bytes) gets
 * PATH with every link resolved, *REL its place, a suffix of REAL.
 * -EXDEV when PATH is not below MNT; else realpath(3)'s errno.
 */
int cgroup2_rel(const char *mnt, const char *path, char *real,
		const char **rel);
/*
 * The place of the cgroup whose id is ID below the cgroup2 mount MNT,
 * through its kernfs file handle; without CAP_DAC_READ_SEARCH, or when
 * the kernel refuses the handle, by a walk of the hierarchy. -ENOENT: no
 * such cgroup; -ENAMETOOLONG: REL is too small.
 */
int cgroup_path_by_id(const char *mnt, uint64_t id, char *rel, size_t size);

/* walk.c: a tree, depth first, with a context for the callback */
enum walk_type {
	WALK_DIR, /* a directory, before what it holds */
	WALK_DIR_DONE, /* the same directory, after all it holds */
	WALK_FILE, /* a regular file */
};
struct walk_entry {
	enum walk_type type;
	const char *path; /* the top's path, then "/NAME" for each level */
	const char *rel; /* below the top: "" for the top itself, or "a/b" */
	const char *name; /* the last component of path; the top: its path */
	int fd; /* directories: the directory, open; files: -1 */
	const struct stat *st; /* directories: fstat(fd); files: NULL */
};
/* 0: go on; anything else stops the walk, which returns it */
typedef int (*walk_fn)(void *ctx, const struct walk_entry *e);
/*
 * FN for every directory and regular file in TOP, TOP included; links
 * are not followed, and a directory that cannot be opened is passed
 * over. -errno when TOP cannot be opened, else FN's value or 0.
 */
int walk_tree(const char *top, walk_fn fn, void *ctx);

/* keyed.c: the cgroup v2 file conventions (cgroup-v2.rst, "Conventions"):
 * lines of fields parted by blanks, "key value" (flat keyed) or "key
 * sub=value ..." (nested keyed)
 */
#define KEYED_MAX_FIELDS 64
struct keyed_field {
	const char *p;
	size_t n;
};
struct keyed_line {
	int no; /* the first line is 1 */
	const char *p, *end; /* the line, without its newline */
	struct keyed_field f[KEYED_MAX_FIELDS];
	int n; /* fields in f; -1: more than KEYED_MAX_FIELDS */
};
typedef void (*keyed_fn)(void *ctx, const struct keyed_line *l);
/* FN for each line of BUF that has a field (blanks: space, tab, CR) */
void keyed_parse(const char *buf, size_t len, keyed_fn fn, void *ctx);

#endif
