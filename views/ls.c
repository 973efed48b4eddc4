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

static void json_exposure(const struct exposure *e)
{
	fputs("{\"cgroup\": ", stdout);
	json_str(stdout, shown(e->rel));
	fputs(", \"file\": ", stdout);
	json_str(stdout, e->file);
	printf(", \"inherit\": %s, \"inherited_from\": ",
	       e->inherit ? "true" : "false");
	if (e->from)
		json_str(stdout, shown(e->from));
	else
		fputs("null", stdout);
	fputc('}', stdout);
}

static void json_view(const struct exposures *x, const char *view,
		      const struct cgroup_ref *only)
{
	const char *sep = "";

	fputs("{\"name\": ", stdout);
	json_str(stdout, view);
	fputs(", \"exposures\": [", stdout);
	for (size_t i = 0; i < x->n; i++) {
		if (!wanted(&x->e[i], view, only))
			continue;
		fputs(sep, stdout);
		json_exposure(&x->e[i]);
		sep = ", ";
	}
	fputs("]}", stdout);
}

int cmd_ls(const char *cgroup, bool json)
{
	const struct mode *m = kernel_mode();
	struct cgroup_ref cg, *only = NULL;
	struct exposures x;
	const char *sep = "";

	if (cgroup && cgroup_resolve(cgroup, &cg))
		return EXIT_FAIL;
	only = cgroup ? &cg : NULL;
	if (bpffs_ensure() || exposures_collect(m, &x))
		return EXIT_FAIL;
	if (json)
		printf("{\"mode\": \"%s\", \"views\": [", m->name);
	for (size_t i = 0; i < x.nviews; i++) {
		if (only && !count(&x, x.views[i], only))
			continue;
		if (json) {
			fputs(sep, stdout);
			json_view(&x, x.views[i], only);
			sep = ", ";
		} else {
			text_view(&x, x.views[i], only);
		}
	}
	if (json)
		puts("]}");
	exposures_free(&x);
	return EXIT_OK;
}
