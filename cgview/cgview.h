/* SPDX-License-Identifier: GPL-2.0 */
/* cgview: load BPF views and expose them per cgroup. */
#ifndef CGVIEW_H
#define CGVIEW_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include <sys/types.h>

#include "pins.h"

#define CGVIEW_RUN "/run/cgview"
#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

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
size_t view_builtin_count(void);
const struct view *view_builtin(size_t i);

/* cgroupfs.c: a cgroup named on the command line (lib/cgroup.h: the
 * hierarchy itself)
 */
struct cgroup_ref {
	char path[PATH_MAX]; /* absolute path in the cgroup2 mount */
	char rel[PATH_MAX]; /* path below the cgroup2 root, "" for the root */
};
int cgroup_resolve(const char *arg, struct cgroup_ref *cg);
int cgroup_child(const struct cgroup_ref *cg, const char *name,
		 struct cgroup_ref *sub);
/* CG's path for people: its path below the root, or "/" */
const char *cgroup_name(const struct cgroup_ref *cg);

/* bpffs.c: pins and the directories that hold them. */
bool bpffs_mounted(void);
int bpffs_ensure(void);
int bpffs_mkdirs(const char *dir, mode_t mode);
void bpffs_prune(const char *dir, const char *stop);
void bpffs_prune_view(const char *view);
int pin_in_new_dirs(int fd, const char *path, const char *top, mode_t mode);
int view_pin_path(char *buf, size_t size, const char *view, const char *what);

/* What expose was asked for besides a view and a cgroup. */
struct expose_opts {
	bool inherit; /* the cgroup's whole subtree, now and later */
	int mode; /* the file's mode, or -1 to keep the default */
	bool quiet; /* do not print the files' paths */
};

struct exposures;

/*
 * What a kernel offers, and every way the two differ: stock.c (cgroup_iter
 * pins in a bpffs mirror) or patched.c (bpf.* files in cgroupfs, the
 * bpf_view series). kernel.c picks one; no other code asks which it has.
 */
struct backend {
	const char *name;
	bool view_programs; /* loads SEC("view/...") programs */
	int (*load)(const struct view *v);
	int (*expose)(const struct view *v, const struct cgroup_ref *cg,
		      const struct expose_opts *o);
	int (*unexpose)(const struct view *v, const struct cgroup_ref *cg);
	/* where the view's file for a cgroup is */
	int (*file_path)(char *buf, size_t size, const struct cgroup_ref *cg,
			 const char *view);
	/* the exposures of the views x->views (exposures.c) */
	void (*collect)(struct exposures *x);
	/* why an inherited file is missing, inherited from ROOT (status);
	 * WATCH is the pid of cgview watch, 0 when none runs
	 */
	void (*inherited_missing)(const char *root, int watch, char *buf,
				  size_t size);
	/* cgview watch */
	int (*watch)(void);
};
extern const struct backend stock_backend, patched_backend;
void mirror_unexpose_all(const struct view *v);

/* kernel.c */
/* BPF_TRACE_VIEW, appended to enum bpf_attach_type by the series */
#define CGVIEW_BPF_TRACE_VIEW ((enum bpf_attach_type)57)
/* BPF_OBJ_PIN's file flag for a view link pinned into a cgroup directory:
 * the file appears in every existing and future descendant too
 */
#define CGVIEW_BPF_F_VIEW_INHERIT (1U << 19)
const struct backend *kernel_backend(void);
const char *kernel_mode_reason(void);
bool kernel_has_btf(void);
int register_view_sections(void);

/* fentry.c */
bool kernel_allows_fentry(void);
void fentry_fallback(struct bpf_object *obj);

/* load.c */
int view_load(const struct view *v, bool with_link);
bool view_is_loaded(const struct view *v);
int view_unload(const struct view *v);
int views_load(const struct view **vs, size_t n,
	       int (*load)(const struct view *));

/* iter.c */
int iter_link(const struct view *v, const struct cgroup_ref *cg);

/* cat.c */
int view_cat(const struct backend *b, const struct view *v,
	     const struct cgroup_ref *cg, bool json);

/* err.c: print "cgview: <what>" with errno's text when err is non-zero;
 * after err_json(true), as {"error": ...} on stdout
 */
void err_json(bool on);
void err_msg(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* inherit.c: stock mode's inherit roots, kept in CGVIEW_RUN/inherit */
struct inherit_root {
	char view[NAME_MAX + 1];
	int mode; /* -1: default */
	char rel[PATH_MAX]; /* "" for the cgroup2 root */
};
int inherit_load(struct inherit_root **roots, size_t *n);
int inherit_add(const char *view, const char *rel, int mode);
int inherit_remove(const char *view, const char *rel);
const struct inherit_root *inherit_covering(const struct inherit_root *roots,
					    size_t n, const char *view,
					    const char *rel);
int watch_pid(void);

/*
 * mirror.c: stock mode's exposures, one cgroup or a subtree, pinned in the
 * bpffs mirror of the cgroup tree; the one file that knows its layout,
 * CGVIEW_MIRROR/<cgroup below the cgroup2 root>/bpf.<view>
 */
/* the pin of VIEW for the cgroup REL; VIEW NULL: REL's directory */
int mirror_pin_path(char *buf, size_t size, const char *view, const char *rel);
/* FN for each pin in the mirror: its path, view and cgroup */
typedef void (*mirror_pin_fn)(void *ctx, const char *pin, const char *view,
			      const char *rel);
void mirror_for_each_pin(mirror_pin_fn fn, void *ctx);
int mirror_expose(const struct view *v, const struct cgroup_ref *cg, int mode,
		  bool quiet);
int mirror_expose_tree(const struct view *v, const struct cgroup_ref *cg,
		       const struct expose_opts *o);
void mirror_fill(const struct view *v, const struct cgroup_ref *cg, int mode);
void mirror_unexpose_tree(const char *view, const char *rel);
void mirror_prune_pin(const char *pin);

/* exposures.c: what is loaded and exposed where (ls, status) */
struct exposure {
	char *view;
	char *rel; /* the cgroup, "" for the root */
	char *file;
	bool inherit; /* exposed here with --inherit */
	char *from; /* inherited from this cgroup, or NULL */
};
struct exposures {
	char **views; /* loaded */
	size_t nviews;
	struct exposure *e;
	size_t n;
};
int exposures_collect(const struct backend *b, struct exposures *x);
void exposures_stock(struct exposures *x);
void exposures_patched(struct exposures *x);
void exposures_free(struct exposures *x);

/* viewquery.c: the bpf.* files in one cgroup (patched kernels) */
struct cgroup_view {
	__u32 link_id;
	__u32 flags; /* CGVIEW_BPF_F_VIEW_INHERIT */
	__u64 origin; /* id of the cgroup the view was exposed at */
	char name[NAME_MAX + 1];
};
int cgroup_views(int dir_fd, struct cgroup_view **out, size_t *n);

/* viewapi.c: BPF_OBJ_PIN's view flags and BPF_PROG_QUERY's view fields,
 * through the series' libbpf where cgview is built with it; -errno
 */
struct view_query {
	__u32 count; /* in: room in the arrays; out: views there */
	__u32 names_len; /* in: room in names; out: what they all need */
	__u32 *link_ids, *flags;
	__u64 *origins; /* ids of the cgroups they were exposed at */
	char *names; /* NUL-terminated, one after another */
};
int view_pin(int fd, const char *path, __u32 flags);
int view_query(int dir_fd, struct view_query *q);
const char *view_api(void);
bool view_api_libbpf(void);
const char *view_attach_prefix(void);

/* watch.c: stock's cgview watch */
int mirror_watch(void);

/* The commands (main.c's table): ARGV holds the command's ARGC arguments,
 * checked against the table, O the options given
 */
struct top_opts {
	bool given; /* any of them */
	bool batch, tree, reverse;
	const char *iterations, *delay, *sort, *filter; /* NULL: default */
};
struct cmd_opts {
	bool json, all;
	struct expose_opts expose;
	struct top_opts top;
};
int cmd_load(int argc, char **argv, const struct cmd_opts *o);
int cmd_unload(int argc, char **argv, const struct cmd_opts *o);
int cmd_expose(int argc, char **argv, const struct cmd_opts *o);
int cmd_unexpose(int argc, char **argv, const struct cmd_opts *o);
int cmd_cat(int argc, char **argv, const struct cmd_opts *o);
int cmd_watch(int argc, char **argv, const struct cmd_opts *o);
int cmd_ls(int argc, char **argv, const struct cmd_opts *o);
int cmd_status(int argc, char **argv, const struct cmd_opts *o);
int cmd_dump(int argc, char **argv, const struct cmd_opts *o);
int cmd_top(int argc, char **argv, const struct cmd_opts *o);

/* dump.c: the cgview-exporter next to cgview's executable, else PATH's */
void exporter_path(char *buf, size_t size);

/* jsonw.c: the JSON writer; a struct jw zeroed, with f set, starts one */
#define JW_DEPTH 16
struct jw {
	FILE *f;
	int depth;
	bool after_key;
	unsigned count[JW_DEPTH]; /* values written at each depth */
};
void jw_open(struct jw *w, char c); /* '{' or '[' */
void jw_close(struct jw *w, char c); /* '}' or ']'; at the top, a newline */
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);
void jw_int(struct jw *w, long long v);
void jw_bool(struct jw *w, bool b);
void jw_null(struct jw *w);
void jw_value(struct jw *w, const char *s); /* a number if it is one */

/* json.c: a view's text as a JSON object */
int cat_json(const char *text, size_t len);

#endif
