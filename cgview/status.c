// SPDX-License-Identifier: GPL-2.0
/* cgview status [VIEW CGROUP]: what this machine offers views and why
 * cgview runs them the way it does; with VIEW and CGROUP, whether the
 * view's file for that cgroup is there and, when it is not, why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "cgroup.h"
#include "cgview.h"

struct facts {
	const struct backend *backend;
	bool btf, bpffs, fentry, root;
	char cgroup2[PATH_MAX];
	struct exposures x;
	struct inherit_root *roots;
	size_t nroots;
	int watch;
};

static void gather(struct facts *f)
{
	f->backend = kernel_backend();
	f->root = !geteuid();
	f->btf = kernel_has_btf();
	f->bpffs = bpffs_mounted();
	f->fentry = f->root && kernel_allows_fentry();
	if (cgroup2_mount(f->cgroup2, sizeof(f->cgroup2)))
		f->cgroup2[0] = '\0';
	f->x = (struct exposures){};
	if (f->bpffs)
		exposures_collect(f->backend, &f->x);
	inherit_load(&f->roots, &f->nroots);
	f->watch = watch_pid();
}

static bool is_loaded(const struct facts *f, const char *view)
{
	for (size_t i = 0; i < f->x.nviews; i++)
		if (!strcmp(f->x.views[i], view))
			return true;
	return false;
}

/* The exposure in F of VIEW with --inherit at an ancestor of REL */
static const char *patched_root(const struct facts *f, const char *view,
				const char *rel)
{
	for (size_t i = 0; i < f->x.n; i++) {
		const struct exposure *e = &f->x.e[i];
		size_t len = strlen(e->rel);

		if (e->inherit && !strcmp(e->view, view) &&
		    (!len || (!strncmp(rel, e->rel, len) && rel[len] == '/')))
			return e->rel;
	}
	return NULL;
}

static void inherited_reason(const struct facts *f, const char *root, char *buf,
			     size_t size)
{
	f->backend->inherited_missing(root[0] ? root : "/", f->watch, buf,
				      size);
}

/* Why VIEW's file for CG is missing. */
static void missing_reason(const struct facts *f, const char *view,
			   const struct cgroup_ref *cg, char *buf, size_t size)
{
	const struct inherit_root *r =
		inherit_covering(f->roots, f->nroots, view, cg->rel);
	const char *root = r ? r->rel : patched_root(f, view, cg->rel);

	if (!f->bpffs)
		snprintf(
			buf, size,
			"bpffs is not mounted at %s, so no view is loaded: run 'cgview load %s'",
			BPFFS_ROOT, view);
	else if (!is_loaded(f, view))
		snprintf(buf, size,
			 "view '%s' is not loaded: run 'cgview load %s'", view,
			 view);
	else if (root)
		inherited_reason(f, root, buf, size);
	else
		snprintf(
			buf, size,
			"view '%s' is not exposed at %s (nor with --inherit above it): run 'cgview expose %s %s'",
			view, cgroup_name(cg), view, cgroup_name(cg));
}

static void text_facts(const struct facts *f)
{
	printf("mode\t%s: %s\n", f->backend->name, kernel_mode_reason());
	printf("btf\t%s\n", f->btf ? "yes (/sys/kernel/btf/vmlinux)" :
				     "no: views need CONFIG_DEBUG_INFO_BTF=y");
	printf("bpffs\t%s\n",
	       f->bpffs ? "mounted at " BPFFS_ROOT :
			  "not mounted at " BPFFS_ROOT
			  " (cgview mounts it when it loads a view)");
	printf("cgroup2\t%s\n", f->cgroup2[0] ? f->cgroup2 : "not mounted");
	printf("libbpf\t%s: %s\n", libbpf_version_string(), view_api());
	if (!f->root)
		printf("fentry\tunknown (probing needs root)\n");
	else if (f->fentry)
		printf("fentry\tallowed\n");
	else
		printf("fentry\trefused (the cpu view adds up subtrees when it is read, not through rstat)\n");
	printf("root\t%s\n",
	       f->root ? "yes" : "no: loading and exposing views needs root");
	printf("loaded\t");
	for (size_t i = 0; i < f->x.nviews; i++)
		printf("%s%s", i ? " " : "", f->x.views[i]);
	putchar('\n');
	for (size_t i = 0; i < f->nroots; i++)
		printf("inherit\t%s %s\n", f->roots[i].view,
		       f->roots[i].rel[0] ? f->roots[i].rel : "/");
	if (f->watch)
		printf("watch\trunning (pid %d)\n", f->watch);
	else
		printf("watch\tnot running\n");
}

static void json_str_or_null(struct jw *w, const char *s)
{
	if (s)
		jw_str(w, s);
	else
		jw_null(w);
}

static void json_facts(struct jw *w, const struct facts *f)
{
	jw_key(w, "mode");
	jw_str(w, f->backend->name);
	jw_key(w, "mode_reason");
	jw_str(w, kernel_mode_reason());
	jw_key(w, "btf");
	jw_bool(w, f->btf);
	jw_key(w, "bpffs");
	jw_bool(w, f->bpffs);
	jw_key(w, "fentry"); /* known to root only */
	if (f->root)
		jw_bool(w, f->fentry);
	else
		jw_null(w);
	jw_key(w, "root");
	jw_bool(w, f->root);
	jw_key(w, "cgroup2");
	json_str_or_null(w, f->cgroup2[0] ? f->cgroup2 : NULL);
	jw_key(w, "libbpf");
	jw_str(w, libbpf_version_string());
	jw_key(w, "libbpf_view_api");
	jw_bool(w, view_api_libbpf());
	jw_key(w, "loaded");
	jw_open(w, '[');
	for (size_t i = 0; i < f->x.nviews; i++)
		jw_str(w, f->x.views[i]);
	jw_close(w, ']');
	jw_key(w, "inherit_roots");
	jw_open(w, '[');
	for (size_t i = 0; i < f->nroots; i++) {
		jw_open(w, '{');
		jw_key(w, "view");
		jw_str(w, f->roots[i].view);
		jw_key(w, "cgroup");
		jw_str(w, f->roots[i].rel[0] ? f->roots[i].rel : "/");
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_key(w, "watch_pid");
	jw_int(w, f->watch);
}

/* The file of VIEW for CGROUP: 0 present, 1 missing (and why). */
static int file_status(const struct facts *f, const char *view,
		       const struct cgroup_ref *cg, struct jw *w)
{
	char path[PATH_MAX], why[PATH_MAX + 512] = "";
	bool present;

	if (f->backend->file_path(path, sizeof(path), cg, view))
		return -1;
	present = !access(path, F_OK);
	if (!present)
		missing_reason(f, view, cg, why, sizeof(why));
	if (w) {
		jw_key(w, "file");
		jw_open(w, '{');
		jw_key(w, "path");
		jw_str(w, path);
		jw_key(w, "present");
		jw_bool(w, present);
		jw_key(w, "reason");
		json_str_or_null(w, present ? NULL : why);
		jw_close(w, '}');
	} else if (present) {
		printf("file\t%s: present\n", path);
	} else {
		printf("file\t%s: missing: %s\n", path, why);
	}
	return !present;
}

static int status(const char *view, const char *cgroup, bool json)
{
	const struct view *v = view ? view_find(view) : NULL;
	struct cgroup_ref cg;
	struct facts f;
	struct jw w = { .f = stdout };
	int missing = 0;
	char names[256];

	if (view && !v) {
		view_list_names(names, sizeof(names));
		err_msg(0, "unknown view '%s' (known views: %s)", view, names);
		return EXIT_FAIL;
	}
	if (cgroup && cgroup_resolve(cgroup, &cg))
		return EXIT_FAIL;
	gather(&f);
	if (json) {
		jw_open(&w, '{');
		json_facts(&w, &f);
	} else {
		text_facts(&f);
	}
	if (v)
		missing = file_status(&f, v->name, &cg, json ? &w : NULL);
	if (json)
		jw_close(&w, '}');
	exposures_free(&f.x);
	free(f.roots);
	return missing ? EXIT_FAIL : EXIT_OK;
}

int cmd_status(int argc, char **argv, const struct cmd_opts *o)
{
	return status(argc ? argv[0] : NULL, argc ? argv[1] : NULL, o->json);
}
