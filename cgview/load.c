// SPDX-License-Identifier: GPL-2.0
/* Loading views: each view object holds the same show() body as a
 * cgroup_iter program (every kernel) and as a view program (kernels with
 * the bpf_view series). Loading pins the iterator program, and on a
 * patched kernel the view's link, under /sys/fs/bpf/cgview/views/<view>/.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgview.h"

/* Remove every pin of view NAME (program, links); 0 if there were any. */
static int unpin_all(const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *e;
	DIR *d;

	if (view_pin_path(dir, sizeof(dir), name, ""))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	bpffs_prune_view(name);
	return 0;
}

static int load_failed(const struct view *v, int err)
{
	char why[128];

	if (err == -EPERM)
		err_msg(0,
			"loading view '%s' needs root (CAP_BPF and CAP_PERFMON)",
			v->name);
	else {
		libbpf_strerror(err, why, sizeof(why));
		err_msg(0,
			"loading view '%s' failed (libbpf said why above): %s",
			v->name, why);
	}
	return -1;
}

/* Is P a view's bulk program (view.bpf.h, CGVIEW_RECORD)? */
static bool is_bulk(const struct bpf_program *p)
{
	const char *name = bpf_program__name(p);
	size_t n = strlen(name);

	return n > 5 && !strcmp(name + n - 5, "_bulk") &&
	       !strcmp(bpf_program__section_name(p), "syscall");
}

/* The text program of section SEC (iter, view) */
static struct bpf_program *find_prog(struct bpf_object *obj, const char *sec)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		if (!strncmp(bpf_program__section_name(p), sec, strlen(sec)))
			return p;
	return NULL;
}

/* A view with records: pin its bulk program and their array (view.bpf.h) */
static int pin_bulk(const struct view *v, struct bpf_object *obj)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "cgview_bulk");
	char pin[PATH_MAX];
	struct bpf_program *p;
	int err;

	bpf_object__for_each_program(p, obj) {
		if (!is_bulk(p))
			continue;
		if (!m)
			return -ENOENT;
		err = view_pin_path(pin, sizeof(pin), v->name,
				    CGVIEW_BULK_RECORDS);
		if (!err)
			err = bpf_map__pin(m, pin);
		if (!err)
			err = view_pin_path(pin, sizeof(pin), v->name,
					    CGVIEW_BULK_PROG);
		return err ? err : bpf_program__pin(p, pin);
	}
	return 0;
}

/* Pin the view program's link, the file that all exposures hang off. */
static int pin_view_link(const struct view *v, struct bpf_object *obj)
{
	struct bpf_program *p = find_prog(obj, "view");
	char pin[PATH_MAX];
	int fd, err;

	if (!p || view_pin_path(pin, sizeof(pin), v->name, "link"))
		return -ENOENT;
	fd = bpf_link_create(bpf_program__fd(p), 0, CGVIEW_BPF_TRACE_VIEW,
			     NULL);
	if (fd < 0)
		return -errno;
	err = pin_in_new_dirs(fd, pin, CGVIEW_PIN_ROOT, 0700);
	close(fd);
	return err;
}

/* Attach each recorder (tp_btf, fentry, ...) and pin its link. */
static int pin_recorders(const struct view *v, struct bpf_object *obj)
{
	char pin[PATH_MAX], name[NAME_MAX + 1];
	struct bpf_program *p;
	struct bpf_link *link;
	int err = 0;

	bpf_object__for_each_program(p, obj) {
		const char *sec = bpf_program__section_name(p);

		if (!strncmp(sec, "iter", 4) || !strncmp(sec, "view", 4) ||
		    is_bulk(p) || !bpf_program__autoload(p))
			continue;
		link = bpf_program__attach(p);
		if (!link)
			return -errno;
		snprintf(name, sizeof(name), "rec_%s", bpf_program__name(p));
		err = view_pin_path(pin, sizeof(pin), v->name, name);
		if (!err)
			err = bpf_link__pin(link, pin);
		bpf_link__destroy(link); /* the pin keeps it attached */
		if (err)
			return err;
	}
	return 0;
}

static int load_and_pin(const struct view *v, struct bpf_object *obj,
			bool with_link, const char *prog_pin)
{
	int err = bpf_object__load(obj);
	struct bpf_program *iter = find_prog(obj, "iter");

	if (err)
		return load_failed(v, err);
	if (!iter) {
		err_msg(0,
			"view '%s' has no SEC(\"iter/cgroup\") program; build it with views/view.bpf.h",
			v->name);
		return -1;
	}
	err = pin_in_new_dirs(bpf_program__fd(iter), prog_pin, CGVIEW_PIN_ROOT,
			      0700);
	if (!err)
		err = pin_recorders(v, obj);
	if (!err)
		err = pin_bulk(v, obj);
	if (!err && with_link)
		err = pin_view_link(v, obj);
	if (err) {
		err_msg(-err, "cannot attach and pin view '%s' under %s/views",
			v->name, CGVIEW_PIN_ROOT);
		return -1;
	}
	return 0;
}

static struct bpf_object *open_object(const struct view *v)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = v->name);
	const void *elf;
	size_t size;

	if (v->elf_bytes) {
		elf = v->elf_bytes(&size);
		return bpf_object__open_mem(elf, size, &opts);
	}
	if (v->path)
		return bpf_object__open_file(v->path, &opts);
	errno = ENOENT;
	return NULL;
}

int view_load(const struct view *v, bool with_link)
{
	char pin[PATH_MAX];
	struct bpf_object *obj;
	int err;

	if (bpffs_ensure() || view_pin_path(pin, sizeof(pin), v->name, "prog"))
		return -1;
	if (!access(pin, F_OK))
		return 0;
	if (!kernel_has_btf()) {
		err_msg(0,
			"the kernel has no BTF (/sys/kernel/btf/vmlinux); views need CONFIG_DEBUG_INFO_BTF=y");
		return -1;
	}
	obj = open_object(v);
	if (!obj)
		return load_failed(v, -errno);
	fentry_fallback(obj);
	err = load_and_pin(v, obj, with_link, pin);
	bpf_object__close(obj);
	if (err)
		unpin_all(v->name);
	return err;
}

/*
 * Load the N views VS with LOAD, all or none: when one fails, the views
 * this call loaded before it are unloaded again (those that were loaded
 * already stay), so a failed command leaves nothing half-done.
 */
int views_load(const struct view **vs, size_t n,
	       int (*load)(const struct view *))
{
	bool *fresh = calloc(n ? n : 1, sizeof(*fresh));
	size_t i, undone = 0;

	if (!fresh) {
		err_msg(ENOMEM, "cannot load the views");
		return -1;
	}
	for (i = 0; i < n; i++) {
		fresh[i] = !view_is_loaded(vs[i]);
		if (load(vs[i]))
			break;
	}
	for (size_t j = 0; i < n && j < i; j++)
		if (fresh[j] && !view_unload(vs[j]))
			undone++;
	if (undone)
		err_msg(0,
			"nothing was loaded: the %zu view(s) loaded before '%s' are unloaded again (name the others without it to load them)",
			undone, vs[i]->name);
	free(fresh);
	return i < n ? -1 : 0;
}

/* Is V loaded: does its pin directory exist? */
bool view_is_loaded(const struct view *v)
{
	char dir[PATH_MAX];

	return !view_pin_path(dir, sizeof(dir), v->name, "") &&
	       access(dir, F_OK) == 0;
}

/*
 * Unload V in either mode: every exposure (inherited ones and the stock
 * mirror's pins), then the pinned program and links. On a patched kernel
 * unpinning the link removes every bpf.<view> file in cgroupfs.
 */
int view_unload(const struct view *v)
{
	int err;

	if (bpffs_ensure())
		return -1;
	inherit_remove(v->name, NULL);
	mirror_unexpose_all(v);
	err = unpin_all(v->name);
	if (err == -ENOENT)
		err_msg(0, "view '%s' is not loaded", v->name);
	else if (err)
		err_msg(-err, "cannot remove view '%s'", v->name);
	return err ? -1 : 0;
}
