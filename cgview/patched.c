// SPDX-License-Identifier: GPL-2.0
/* Kernels with the bpf_view series: a loaded view is a view link pinned in
 * bpffs, and exposing it at a cgroup pins that link once more, into the
 * cgroup's own directory, as the file bpf.<view>. The kernel ties every
 * such file to the bpffs pin: unpinning the link removes them all.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cgview.h"

static int cgroupfs_path(char *buf, size_t size, const struct cgroup_ref *cg,
			 const char *view)
{
	int n = snprintf(buf, size, "%s/bpf.%s", cg->path, view);

	return n < (int)size ? 0 : -ENAMETOOLONG;
}

static void expose_failed(const struct view *v, const struct cgroup_ref *cg,
			  const struct expose_opts *o, int err)
{
	if (err == EINVAL && o->inherit)
		err_msg(0,
			"this kernel's bpf_view series has no inheritance (it refused BPF_F_VIEW_INHERIT); expose without --inherit, or use CGVIEW_MODE=stock with 'cgview watch'");
	else if (err == EEXIST)
		err_msg(0, "view '%s' is already exposed at %s", v->name,
			cg->path);
	else if (err == EACCES)
		err_msg(0, "no write permission on %s", cg->path);
	else if (err == EPERM)
		err_msg(0, "exposing a view needs CAP_BPF");
	else if (err == ENOENT)
		err_msg(0,
			"cgroup %s is being removed, or view '%s' is not pinned in bpffs (run 'cgview load %s')",
			cg->path, v->name, v->name);
	else
		err_msg(err, "cannot expose view '%s' at %s", v->name,
			cg->path);
}

/*
 * The kernel makes the file (and, inherited, every file in descendants,
 * those of cgroups made later too) with mode 0444 less the umask of the
 * task that exposes it: MODE (default 0444) from the start, never wider.
 */
static int pin_with_mode(int fd, const char *file, const struct expose_opts *o)
{
	mode_t old = umask(0777 & ~(o->mode < 0 ? 0444 : o->mode));
	int err =
		view_pin(fd, file, o->inherit ? CGVIEW_BPF_F_VIEW_INHERIT : 0);

	umask(old);
	return err;
}

static int patched_expose(const struct view *v, const struct cgroup_ref *cg,
			  const struct expose_opts *o)
{
	char link[PATH_MAX], file[PATH_MAX];
	int fd, err;

	if (bpffs_ensure() ||
	    view_pin_path(link, sizeof(link), v->name, "link") ||
	    cgroupfs_path(file, sizeof(file), cg, v->name))
		return -1;
	fd = bpf_obj_get(link);
	if (fd < 0) {
		err_msg(0,
			"view '%s' is not loaded; run 'cgview load %s' first",
			v->name, v->name);
		return -1;
	}
	err = pin_with_mode(fd, file, o);
	close(fd);
	if (err) {
		expose_failed(v, cg, o, -err);
		return -1;
	}
	if (!o->quiet)
		printf("%s\n", file);
	return 0;
}

static int patched_unexpose(const struct view *v, const struct cgroup_ref *cg)
{
	char file[PATH_MAX];

	if (cgroupfs_path(file, sizeof(file), cg, v->name))
		return -1;
	if (!unlink(file))
		return 0;
	if (errno == ENOENT)
		err_msg(0, "view '%s' is not exposed at %s", v->name, cg->path);
	else
		err_msg(errno, "cannot remove %s", file);
	return -1;
}

static int patched_load(const struct view *v)
{
	return view_load(v, true);
}

/* The kernel gives every new descendant the file: missing means removed */
static void patched_inherited_missing(const char *root, int watch, char *buf,
				      size_t size)
{
	(void)watch;
	snprintf(
		buf, size,
		"it is inherited from %s, and was removed here (rm of the file); run 'cgview expose' here to have it again",
		root);
}

static int patched_watch(void)
{
	printf("cgview watch: this kernel inherits exposures itself (bpf_view series); nothing to watch\n");
	return EXIT_OK;
}

const struct backend patched_backend = {
	.name = "patched",
	.view_programs = true,
	.load = patched_load,
	.expose = patched_expose,
	.unexpose = patched_unexpose,
	.file_path = cgroupfs_path,
	.collect = exposures_patched,
	.inherited_missing = patched_inherited_missing,
	.watch = patched_watch,
};
