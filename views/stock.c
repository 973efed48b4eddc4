// SPDX-License-Identifier: GPL-2.0
/* Stock kernels: a view is a cgroup_iter program pinned in bpffs; exposing
 * it at a cgroup attaches one iterator link (order SELF_ONLY) to that cgroup
 * and pins it in a mirror of the cgroup tree, where `cat` runs the view.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgview.h"

static int load_failed(const struct view *v, int err)
{
	if (err == -EPERM)
		err_msg(0,
			"loading view '%s' needs root (CAP_BPF and CAP_PERFMON)",
			v->name);
	else
		err_msg(-err,
			"loading view '%s' failed (libbpf said why above)",
			v->name);
	return -1;
}

/* Pin FD at PATH, making its directories below TOP with MODE. */
static int pin_in_new_dirs(int fd, const char *path, const char *top,
			   mode_t mode)
{
	char dir[PATH_MAX];
	int err;

	snprintf(dir, sizeof(dir), "%s", path);
	dirname(dir);
	err = bpffs_mkdirs(CGVIEW_PIN_ROOT, 0700);
	if (!err)
		err = bpffs_mkdirs(dir, mode);
	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	if (err)
		bpffs_prune(dir, top);
	return err;
}

int stock_load(const struct view *v)
{
	char pin[PATH_MAX];
	struct bpf_object *obj;
	size_t size;
	const void *elf = v->elf_bytes(&size);
	int err;

	if (bpffs_ensure() || view_pin_path(pin, sizeof(pin), v->name, "prog"))
		return -1;
	if (!access(pin, F_OK))
		return 0;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		err_msg(0,
			"the kernel has no BTF (/sys/kernel/btf/vmlinux); views need CONFIG_DEBUG_INFO_BTF=y");
		return -1;
	}
	obj = bpf_object__open_mem(elf, size, NULL);
	if (!obj)
		return load_failed(v, -errno);
	err = bpf_object__load(obj);
	if (err) {
		bpf_object__close(obj);
		return load_failed(v, err);
	}
	err = pin_in_new_dirs(
		bpf_program__fd(bpf_object__next_program(obj, NULL)), pin,
		CGVIEW_PIN_ROOT, 0700);
	bpf_object__close(obj);
	if (err)
		err_msg(-err, "cannot pin view '%s' at %s", v->name, pin);
	return err ? -1 : 0;
}

static int loaded_prog_fd(const struct view *v)
{
	char pin[PATH_MAX];
	int fd;

	if (bpffs_ensure() || view_pin_path(pin, sizeof(pin), v->name, "prog"))
		return -1;
	fd = bpf_obj_get(pin);
	if (fd < 0 && errno == ENOENT)
		err_msg(0,
			"view '%s' is not loaded; run 'cgview load %s' first",
			v->name, v->name);
	else if (fd < 0)
		err_msg(errno, "cannot open the view pinned at %s", pin);
	return fd;
}

/* A cgroup_iter link running V's program on the cgroup CG alone. */
static int iter_link(const struct view *v, const struct cgroup_ref *cg)
{
	union bpf_iter_link_info info = {};
	LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &info,
		    .iter_info_len = sizeof(info));
	int prog_fd, cg_fd, link_fd = -1;

	prog_fd = loaded_prog_fd(v);
	if (prog_fd < 0)
		return -1;
	cg_fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd >= 0) {
		info.cgroup.cgroup_fd = cg_fd;
		info.cgroup.order = BPF_CGROUP_ITER_SELF_ONLY;
		link_fd = bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, &opts);
	}
	if (link_fd < 0)
		err_msg(errno, "cannot attach view '%s' to cgroup %s", v->name,
			cg->path);
	if (cg_fd >= 0)
		close(cg_fd);
	close(prog_fd);
	return link_fd;
}

int stock_expose(const struct view *v, const struct cgroup_ref *cg)
{
	char pin[PATH_MAX], top[PATH_MAX];
	int link_fd, err;

	if (bpffs_ensure() || expose_pin_path(pin, sizeof(pin), cg, v->name))
		return -1;
	if (!access(pin, F_OK)) {
		err_msg(0, "view '%s' is already exposed at %s (%s)", v->name,
			cg->path, pin);
		return -1;
	}
	link_fd = iter_link(v, cg);
	if (link_fd < 0)
		return -1;
	snprintf(top, sizeof(top), "%s/cgroups", CGVIEW_PIN_ROOT);
	err = pin_in_new_dirs(link_fd, pin, top, 0);
	close(link_fd);
	if (err) {
		err_msg(-err, "cannot pin the view at %s", pin);
		return -1;
	}
	printf("%s\n", pin);
	return 0;
}

int stock_unexpose(const struct view *v, const struct cgroup_ref *cg)
{
	char pin[PATH_MAX], dir[PATH_MAX], top[PATH_MAX];

	if (expose_pin_path(pin, sizeof(pin), cg, v->name))
		return -1;
	if (unlink(pin)) {
		if (errno == ENOENT)
			err_msg(0, "view '%s' is not exposed at %s", v->name,
				cg->path);
		else
			err_msg(errno, "cannot remove %s", pin);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", pin);
	snprintf(top, sizeof(top), "%s/cgroups", CGVIEW_PIN_ROOT);
	bpffs_prune(dirname(dir), top);
	return 0;
}

static int copy_out(int fd)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, n, stdout) != (size_t)n)
			return -EIO;
	return n < 0 ? -errno : 0;
}

/* Read the exposed file, or run the view once if it is not exposed there. */
int stock_cat(const struct view *v, const struct cgroup_ref *cg)
{
	char pin[PATH_MAX];
	int fd, link_fd = -1, err;

	if (expose_pin_path(pin, sizeof(pin), cg, v->name))
		return -1;
	fd = open(pin, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		link_fd = iter_link(v, cg);
		if (link_fd < 0)
			return -1;
		fd = bpf_iter_create(link_fd);
	}
	err = fd < 0 ? -errno : copy_out(fd);
	if (err)
		err_msg(-err, "reading view '%s' of %s failed", v->name,
			cg->path);
	if (fd >= 0)
		close(fd);
	if (link_fd >= 0)
		close(link_fd);
	return err ? -1 : 0;
}

static const char *unload_name;

static int unlink_exposure(const char *path, const struct stat *st, int type,
			   struct FTW *ftw)
{
	(void)st;
	if (type == FTW_F && !strcmp(path + ftw->base, unload_name))
		unlink(path);
	else if (type == FTW_DP && ftw->level > 0)
		rmdir(path); /* fails, harmlessly, while not empty */
	return 0;
}

/* Remove every exposure of V, then V itself. */
int stock_unload(const struct view *v)
{
	char pin[PATH_MAX], name[NAME_MAX + 1], dir[PATH_MAX];

	if (bpffs_ensure() || view_pin_path(pin, sizeof(pin), v->name, "prog"))
		return -1;
	snprintf(name, sizeof(name), "bpf.%s", v->name);
	unload_name = name;
	nftw(CGVIEW_PIN_ROOT "/cgroups", unlink_exposure, 16,
	     FTW_DEPTH | FTW_PHYS);
	if (unlink(pin)) {
		if (errno == ENOENT)
			err_msg(0, "view '%s' is not loaded", v->name);
		else
			err_msg(errno, "cannot remove %s", pin);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", pin);
	bpffs_prune(dirname(dir), CGVIEW_PIN_ROOT);
	return 0;
}
