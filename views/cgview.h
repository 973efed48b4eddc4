/* SPDX-License-Identifier: GPL-2.0 */
/* cgview: load BPF views and expose them per cgroup. */
#ifndef CGVIEW_H
#define CGVIEW_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define BPFFS_ROOT "/sys/fs/bpf"
#define CGVIEW_PIN_ROOT BPFFS_ROOT "/cgview"

/* Exit codes, shared by every command. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* catalog.c: the views built into this binary. */
struct view {
	const char *name;
	const void *(*elf_bytes)(size_t *size);
};
const struct view *view_find(const char *name);
void view_list_names(char *buf, size_t size);

/* cgroupfs.c: a cgroup named on the command line. */
struct cgroup_ref {
	char path[PATH_MAX]; /* absolute path in the cgroup2 mount */
	char rel[PATH_MAX]; /* path below the cgroup2 root, "" for the root */
};
int cgroup_resolve(const char *arg, struct cgroup_ref *cg);

/* bpffs.c: pins and the directories that hold them. */
int bpffs_ensure(void);
int bpffs_mkdirs(const char *dir, mode_t mode);
void bpffs_prune(const char *dir, const char *stop);
int view_pin_path(char *buf, size_t size, const char *view, const char *what);
int expose_pin_path(char *buf, size_t size, const struct cgroup_ref *cg,
		    const char *view);

/* stock.c: views as cgroup_iter links pinned in a bpffs mirror. */
int stock_load(const struct view *v);
int stock_unload(const struct view *v);
int stock_expose(const struct view *v, const struct cgroup_ref *cg);
int stock_unexpose(const struct view *v, const struct cgroup_ref *cg);
int stock_cat(const struct view *v, const struct cgroup_ref *cg);

/* Print "cgview: <what>" with errno's text when err is non-zero. */
void err_msg(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
