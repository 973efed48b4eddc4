/* SPDX-License-Identifier: GPL-2.0 */
/* cgview: load BPF views and expose them per cgroup. */
#ifndef CGVIEW_H
#define CGVIEW_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include <sys/types.h>

#define BPFFS_ROOT "/sys/fs/bpf"
#define CGVIEW_PIN_ROOT BPFFS_ROOT "/cgview"

/* Exit codes, shared by every command. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* catalog.c: the views built into this binary. */
struct view {
	const char *name;
	const void *(*elf_bytes)(size_t *size); /* compiled in */
	const char *path; /* or in this object file; neither: loaded */
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
void bpffs_prune_view(const char *view);
int pin_in_new_dirs(int fd, const char *path, const char *top, mode_t mode);
int view_pin_path(char *buf, size_t size, const char *view, const char *what);
int expose_pin_path(char *buf, size_t size, const struct cgroup_ref *cg,
		    const char *view);

/*
 * What a kernel offers: stock.c (cgroup_iter pins in a bpffs mirror) or
 * patched.c (bpf.* files in cgroupfs, the bpf_view series).
 */
struct mode {
	const char *name;
	int (*load)(const struct view *v);
	int (*unload)(const struct view *v);
	int (*expose)(const struct view *v, const struct cgroup_ref *cg);
	int (*unexpose)(const struct view *v, const struct cgroup_ref *cg);
	/* where the view's file for a cgroup is */
	int (*file_path)(char *buf, size_t size, const struct cgroup_ref *cg,
			 const char *view);
};
extern const struct mode stock_mode, patched_mode;
void mirror_unexpose_all(const struct view *v);

/* kernel.c */
/* BPF_TRACE_VIEW, appended to enum bpf_attach_type by the series */
#define CGVIEW_BPF_TRACE_VIEW ((enum bpf_attach_type)57)
const struct mode *kernel_mode(void);
int register_view_sections(void);

/* fentry.c */
bool kernel_allows_fentry(void);
void fentry_fallback(struct bpf_object *obj);

/* load.c */
int view_load(const struct view *v, bool with_link);
int view_unpin(const struct view *v);
int iter_link(const struct view *v, const struct cgroup_ref *cg);

/* cat.c */
int view_cat(const struct mode *m, const struct view *v,
	     const struct cgroup_ref *cg);

/* Print "cgview: <what>" with errno's text when err is non-zero. */
void err_msg(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
