// SPDX-License-Identifier: GPL-2.0
/* What is loaded and where it is exposed, for ls and status. Stock mode:
 * the pins in the bpffs mirror and the inherit roots cgview keeps. Patched
 * kernels: one walk of cgroupfs that asks each cgroup for its views
 * (BPF_PROG_QUERY: the link, whether it is an "inherit" exposure, or the
 * id of the cgroup it is inherited from), since a link's fdinfo lists
 * only its first files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cgview.h"

static struct exposures *collecting;

static struct exposure *add(struct exposures *x, const char *view,
			    const char *rel, const char *file)
{
	struct exposure *more = realloc(x->e, (x->n + 1) * sizeof(*x->e));
	struct exposure *e;

	if (!more)
		return NULL;
	x->e = more;
	e = &x->e[x->n++];
	*e = (struct exposure){ .view = strdup(view),
				.rel = strdup(rel),
				.file = strdup(file) };
	return e;
}

void exposures_free(struct exposures *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free(x->e[i].view);
		free(x->e[i].rel);
		free(x->e[i].file);
		free(x->e[i].from);
	}
	free(x->e);
	for (size_t i = 0; i < x->nviews; i++)
		free(x->views[i]);
	free(x->views);
}

static int loaded_views(struct exposures *x)
{
	DIR *d = opendir(CGVIEW_PIN_ROOT "/views");
	struct dirent *e;
	char **more;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		more = realloc(x->views, (x->nviews + 1) * sizeof(*more));
		if (!more)
			break;
		x->views = more;
		x->views[x->nviews++] = strdup(e->d_name);
	}
	closedir(d);
	return 0;
}

/* nftw: each bpf.<view> pin in the mirror */
static int mirror_pin(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	char rel[PATH_MAX];
	size_t top = strlen(CGVIEW_MIRROR);
	int len = ftw->base - (int)top - 2;

	(void)st;
	if (type != FTW_F || strncmp(path + ftw->base, "bpf.", 4))
		return 0;
	snprintf(rel, sizeof(rel), "%.*s", len > 0 ? len : 0, path + top + 1);
	add(collecting, path + ftw->base + 4, rel, path);
	return 0;
}

void exposures_stock(struct exposures *x)
{
	struct inherit_root *roots;
	const struct inherit_root *r;
	size_t n;

	collecting = x;
	nftw(CGVIEW_MIRROR, mirror_pin, 16, FTW_PHYS);
	if (inherit_load(&roots, &n))
		return;
	for (size_t i = 0; i < x->n; i++) {
		r = inherit_covering(roots, n, x->e[i].view, x->e[i].rel);
		if (r && !strcmp(r->rel, x->e[i].rel))
			x->e[i].inherit = true;
		else if (r)
			x->e[i].from = strdup(r->rel);
	}
	free(roots);
}

/* Patched kernels: one walk of cgroupfs, BPF_PROG_QUERY in each cgroup */
struct seen {
	__u64 id;
	char *rel;
};
struct patched_walk {
	struct exposures *x;
	__u32 *link_ids; /* of x->views[i], 0 if not found */
	struct seen *seen; /* every cgroup walked, to name origins by id */
	size_t nseen;
	__u64 *origins; /* x->e[i] inherited from the cgroup of this id */
	size_t mount_len;
};
static struct patched_walk *walking;

static __u32 view_link_id(const char *view)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char pin[PATH_MAX];
	int fd;

	if (view_pin_path(pin, sizeof(pin), view, "link"))
		return 0;
	fd = bpf_obj_get(pin);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

static const char *view_of_link(const struct patched_walk *w, __u32 id)
{
	for (size_t i = 0; i < w->x->nviews; i++)
		if (w->link_ids[i] == id)
			return w->x->views[i];
	return NULL;
}

static void record(struct patched_walk *w, const char *rel,
		   const struct cgroup_view *cv, const char *file, __u64 id)
{
	const char *view = view_of_link(w, cv->link_id);
	__u64 *more = realloc(w->origins, (w->x->n + 1) * sizeof(*more));
	struct exposure *e;

	if (!view || !more)
		return;
	w->origins = more;
	e = add(w->x, view, rel, file);
	if (!e)
		return;
	w->origins[w->x->n - 1] = cv->origin != id ? cv->origin : 0;
	e->inherit = cv->origin == id &&
		     (cv->flags & CGVIEW_BPF_F_VIEW_INHERIT);
}

static void remember(struct patched_walk *w, __u64 id, const char *rel)
{
	struct seen *more = realloc(w->seen, (w->nseen + 1) * sizeof(*more));

	if (!more)
		return;
	w->seen = more;
	w->seen[w->nseen++] = (struct seen){ .id = id, .rel = strdup(rel) };
}

/* nftw: the views of each cgroup directory */
static int cgroup_dir(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	struct patched_walk *w = walking;
	const char *rel = path[w->mount_len] ? path + w->mount_len + 1 : "";
	char file[PATH_MAX * 2];
	struct cgroup_view *cv;
	size_t n = 0;
	int fd;

	(void)ftw;
	if (type != FTW_D)
		return 0;
	remember(w, st->st_ino, rel);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || cgroup_views(fd, &cv, &n))
		n = 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(file, sizeof(file), "%s/%s", path, cv[i].name);
		record(w, rel, &cv[i], file, st->st_ino);
	}
	if (n)
		free(cv);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* The cgroups inherited views came from, now that every id was seen */
static void name_origins(struct patched_walk *w)
{
	for (size_t i = 0; i < w->x->n; i++)
		for (size_t j = 0; w->origins[i] && j < w->nseen; j++)
			if (w->seen[j].id == w->origins[i])
				w->x->e[i].from = strdup(w->seen[j].rel);
}

void exposures_patched(struct exposures *x)
{
	struct patched_walk w = { .x = x };
	char mnt[PATH_MAX];

	if (!x->nviews || cgroup2_mount(mnt, sizeof(mnt)))
		return;
	w.link_ids = calloc(x->nviews, sizeof(*w.link_ids));
	if (!w.link_ids)
		return;
	for (size_t i = 0; i < x->nviews; i++)
		w.link_ids[i] = view_link_id(x->views[i]);
	w.mount_len = strlen(mnt);
	walking = &w;
	nftw(mnt, cgroup_dir, 16, FTW_PHYS);
	if (w.origins)
		name_origins(&w);
	for (size_t j = 0; j < w.nseen; j++)
		free(w.seen[j].rel);
	free(w.seen);
	free(w.origins);
	free(w.link_ids);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int by_view_and_cgroup(const void *a, const void *b)
{
	const struct exposure *x = a, *y = b;
	int c = strcmp(x->view, y->view);

	return c ? c : strcmp(x->rel, y->rel);
}

static void sort(struct exposures *x)
{
	if (x->nviews)
		qsort(x->views, x->nviews, sizeof(*x->views), by_name);
	if (x->n)
		qsort(x->e, x->n, sizeof(*x->e), by_view_and_cgroup);
}

int exposures_collect(const struct backend *b, struct exposures *x)
{
	int err;

	*x = (struct exposures){};
	err = loaded_views(x);
	if (err)
		return err;
	b->collect(x);
	sort(x);
	return 0;
}
