// SPDX-License-Identifier: GPL-2.0
/* The commands that work on views by name: load, unload, expose, unexpose,
 * cat, and watch. main.c has checked their arguments and options.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgview.h"

static const struct view *lookup(const char *name)
{
	const struct view *v = view_find(name);
	char names[256];

	if (!v && !strchr(name, '/')) {
		view_list_names(names, sizeof(names));
		err_msg(0, "unknown view '%s' (known views: %s)", name, names);
	}
	return v;
}

/*
 * The views a load or unload names: each argument, or --all built-in ones
 * (for unload, those that are loaded). NULL when an argument names no
 * view (lookup() said which) or there is no memory; *N is their number.
 */
static const struct view **views_named(int argc, char **argv, bool all,
				       bool loaded_only, size_t *n)
{
	size_t max = all ? view_builtin_count() : (size_t)argc;
	const struct view **vs = calloc(max ? max : 1, sizeof(*vs));

	*n = 0;
	if (!vs) {
		err_msg(ENOMEM, "cannot list the views");
		return NULL;
	}
	for (size_t i = 0; i < max; i++) {
		const struct view *v = all ? view_builtin(i) : lookup(argv[i]);

		if (!v) {
			free(vs);
			return NULL;
		}
		if (!loaded_only || view_is_loaded(v))
			vs[(*n)++] = v;
	}
	return vs;
}

/* load: every view or none */
int cmd_load(int argc, char **argv, const struct cmd_opts *o)
{
	size_t n;
	const struct view **vs = views_named(argc, argv, o->all, false, &n);
	int ret;

	if (!vs)
		return EXIT_FAIL;
	ret = views_load(vs, n, kernel_backend()->load) ? EXIT_FAIL : EXIT_OK;
	free(vs);
	return ret;
}

/* unload: each view, as far as it goes (--all: those loaded) */
int cmd_unload(int argc, char **argv, const struct cmd_opts *o)
{
	size_t n;
	const struct view **vs = views_named(argc, argv, o->all, o->all, &n);
	int ret = EXIT_OK;

	if (!vs)
		return EXIT_FAIL;
	for (size_t i = 0; i < n; i++)
		if (view_unload(vs[i]))
			ret = EXIT_FAIL;
	free(vs);
	return ret;
}

int cmd_expose(int argc, char **argv, const struct cmd_opts *o)
{
	const struct view *v = lookup(argv[0]);
	struct cgroup_ref cg;

	(void)argc;
	if (!v || cgroup_resolve(argv[1], &cg))
		return EXIT_FAIL;
	return kernel_backend()->expose(v, &cg, &o->expose) ? EXIT_FAIL :
							      EXIT_OK;
}

int cmd_unexpose(int argc, char **argv, const struct cmd_opts *o)
{
	const struct view *v = lookup(argv[0]);
	struct cgroup_ref cg;

	(void)argc, (void)o;
	if (!v || cgroup_resolve(argv[1], &cg))
		return EXIT_FAIL;
	return kernel_backend()->unexpose(v, &cg) ? EXIT_FAIL : EXIT_OK;
}

/* cat CGROUP VIEW */
int cmd_cat(int argc, char **argv, const struct cmd_opts *o)
{
	const struct view *v = lookup(argv[1]);
	struct cgroup_ref cg;

	(void)argc;
	if (!v || cgroup_resolve(argv[0], &cg))
		return EXIT_FAIL;
	return view_cat(kernel_backend(), v, &cg, o->json) ? EXIT_FAIL :
							     EXIT_OK;
}

int cmd_watch(int argc, char **argv, const struct cmd_opts *o)
{
	(void)argc, (void)argv, (void)o;
	return kernel_backend()->watch();
}
