// SPDX-License-Identifier: GPL-2.0
/* Stock kernels: views run as cgroup_iter links pinned in a bpffs mirror
 * of the cgroup tree (mirror.c). Inheritance is cgview's: the subtree is
 * mirrored now, and the root recorded for `cgview watch` (inherit.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cgview.h"

static int stock_expose(const struct view *v, const struct cgroup_ref *cg,
			const struct expose_opts *o)
{
	int err;

	if (bpffs_ensure())
		return -1;
	if (!o->inherit)
		return mirror_expose(v, cg, o->mode, o->quiet) ? -1 : 0;
	err = mirror_expose_tree(v, cg, o);
	if (err)
		return -1;
	err = inherit_add(v->name, cg->rel, o->mode);
	if (err) {
		err_msg(-err, "cannot record the inherit root in %s/inherit",
			CGVIEW_RUN);
		mirror_unexpose_tree(v->name, cg->rel);
	}
	if (!err && !watch_pid())
		fprintf(stderr,
			"cgview: note: cgroups made from now on get bpf.%s while 'cgview watch' runs (systemctl start cgview-watch)\n",
			v->name);
	return err ? -1 : 0;
}

/* Is CG below an inherit root of V? ROOT gets its name. */
static bool inherited_from(const struct view *v, const struct cgroup_ref *cg,
			   char *root, size_t size)
{
	const struct inherit_root *r;
	struct inherit_root *roots;
	size_t n;

	if (inherit_load(&roots, &n))
		return false;
	r = inherit_covering(roots, n, v->name, cg->rel);
	if (r)
		snprintf(root, size, "%s", r->rel[0] ? r->rel : "/");
	free(roots);
	return r;
}

static int stock_unexpose(const struct view *v, const struct cgroup_ref *cg)
{
	char pin[PATH_MAX], root[PATH_MAX];
	int was_root = inherit_remove(v->name, cg->rel);

	if (was_root > 0) {
		mirror_unexpose_tree(v->name, cg->rel);
		return 0;
	}
	if (inherited_from(v, cg, root, sizeof(root))) {
		err_msg(0,
			"%s inherits view '%s' from %s, and 'cgview watch' keeps it there: unexpose it at %s",
			cgroup_name(cg), v->name, root, root);
		return -1;
	}
	if (mirror_pin_path(pin, sizeof(pin), v->name, cg->rel))
		return -1;
	if (access(pin, F_OK)) {
		err_msg(0, "view '%s' is not exposed at %s", v->name, cg->path);
		return -1;
	}
	mirror_prune_pin(pin);
	return 0;
}

static int stock_file_path(char *buf, size_t size, const struct cgroup_ref *cg,
			   const char *view)
{
	return mirror_pin_path(buf, size, view, cg->rel);
}

static int stock_load(const struct view *v)
{
	return view_load(v, false);
}

/* cgroups made after an --inherit expose get their pins from cgview watch */
static void stock_inherited_missing(const char *root, int watch, char *buf,
				    size_t size)
{
	if (watch)
		snprintf(
			buf, size,
			"it is inherited from %s; 'cgview watch' (pid %d) adds it as soon as it sees the cgroup",
			root, watch);
	else
		snprintf(
			buf, size,
			"it is inherited from %s, but 'cgview watch' is not running, so cgroups made after the expose are not mirrored: start it (systemctl start cgview-watch)",
			root);
}

const struct backend stock_backend = {
	.name = "stock",
	.view_programs = false,
	.load = stock_load,
	.expose = stock_expose,
	.unexpose = stock_unexpose,
	.file_path = stock_file_path,
	.collect = exposures_stock,
	.inherited_missing = stock_inherited_missing,
	.watch = mirror_watch,
};
