// SPDX-License-Identifier: GPL-2.0
/* cgview ls [CGROUP]: the loaded views and where they are exposed (with
 * CGROUP: only what is exposed at that cgroup).
 *
 *	VIEW
 *		CGROUP	FILE	[inherit | inherited from CGROUP]
 */
#include <stdio.h>
#include <string.h>

#include "cgview.h"

static const char *shown(const char *rel)
{
	return rel[0] ? rel : "/";
}

static bool wanted(const struct exposure *e, const char *view,
		   const struct cgroup_ref *only)
{
	return !strcmp(e->view, view) && (!only || !strcmp(e->rel, only->rel));
}

static size_t count(const struct exposures *x, const char *view,
		    const struct cgroup_ref *only)
{
	size_t n = 0;

	for (size_t i = 0; i < x->n; i++)
		n += wanted(&x->e[i], view, only);
	return n;
}

static void text_view(const struct exposures *x, const char *view,
		      const struct cgroup_ref *only)
{
	printf("%s\n", view);
	for (size_t i = 0; i < x->n; i++) {
		const struct exposure *e = &x->e[i];

		if (!wanted(e, view, only))
			continue;
		printf("\t%s\t%s", shown(e->rel), e->file);
		if (e->inherit)
			printf("\tinherit");
		else if (e->from)
			printf("\tinherited from %s", shown(e->from));
		putchar('\n');
	}
}

static void json_exposure(struct jw *w, const struct exposure *e)
{
	jw_open(w, '{');
	jw_key(w, "cgroup");
	jw_str(w, shown(e->rel));
	jw_key(w, "file");
	jw_str(w, e->file);
	jw_key(w, "inherit");
	jw_bool(w, e->inherit);
	jw_key(w, "inherited_from");
	if (e->from)
		jw_str(w, shown(e->from));
	else
		jw_null(w);
	jw_close(w, '}');
}

static void json_view(struct jw *w, const struct exposures *x, const char *view,
		      const struct cgroup_ref *only)
{
	jw_open(w, '{');
	jw_key(w, "name");
	jw_str(w, view);
	jw_key(w, "exposures");
	jw_open(w, '[');
	for (size_t i = 0; i < x->n; i++)
		if (wanted(&x->e[i], view, only))
			json_exposure(w, &x->e[i]);
	jw_close(w, ']');
	jw_close(w, '}');
}

static int ls(const char *cgroup, bool json)
{
	const struct backend *m = kernel_backend();
	struct cgroup_ref cg, *only = NULL;
	struct exposures x;
	struct jw w = { .f = stdout };

	if (cgroup && cgroup_resolve(cgroup, &cg))
		return EXIT_FAIL;
	only = cgroup ? &cg : NULL;
	if (bpffs_ensure() || exposures_collect(m, &x))
		return EXIT_FAIL;
	if (json) {
		jw_open(&w, '{');
		jw_key(&w, "mode");
		jw_str(&w, m->name);
		jw_key(&w, "views");
		jw_open(&w, '[');
	}
	for (size_t i = 0; i < x.nviews; i++) {
		if (only && !count(&x, x.views[i], only))
			continue;
		if (json)
			json_view(&w, &x, x.views[i], only);
		else
			text_view(&x, x.views[i], only);
	}
	if (json) {
		jw_close(&w, ']');
		jw_close(&w, '}');
	}
	exposures_free(&x);
	return EXIT_OK;
}

int cmd_ls(int argc, char **argv, const struct cmd_opts *o)
{
	return ls(argc ? argv[0] : NULL, o->json);
}
