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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cgroup.h"
#include "cgview.h"

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
	DIR *d = opendir(CGVIEW_VIEWS);
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

/* mirror_for_each_pin(): an exposure */
static void mirror_pin(void *x, const char *pin, const char *view,
		       const char *rel)
{
	add(x, view, rel, pin);
}

void exposures_stock(struct exposures *x)
{
	struct inherit_root *roots;
	const struct inherit_root *r;
	size_t n;

	mirror_for_each_pin(mirror_pin, x);
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
struct patched_walk {
	struct exposures *x;
	__u32 *link_ids; /* of x->views[i], 0 if not found */
	__u64 *origins; /* x->e[i] inherited from the cgroup of this id */
};

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
	struct exposure *e;
	__u64 *more;

	if (!view)
		return;
	more = realloc(w->origins, (w->x->n + 1) * sizeof(*more));
	if (!more)
		return;
	w->origins = more;
	e = add(w->x, view, rel, file);
	if (!e)
		return;
	w->origins[w->x->n - 1] = cv->origin != id ? cv->origin : 0;
	e->inherit = cv->origin == id &&
		     (cv->flags & CGVIEW_BPF_F_VIEW_INHERIT);
}

/* walk_tree() of cgroupfs: the views of each cgroup directory (a
 * cgroup's id is its inode number)
 */
static int cgroup_dir(void *ctx, const struct walk_entry *e)
{
	struct patched_walk *w = ctx;
	char file[PATH_MAX * 2];
	struct cgroup_view *cv;
	size_t n;

	if (e->type != WALK_DIR || cgroup_views(e->fd, &cv, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(file, sizeof(file), "%s/%s", e->path, cv[i].name);
		record(w, e->rel, &cv[i], file, e->st->st_ino);
	}
	free(cv);
	return 0;
}

/* The cgroup x->e[I] is inherited from, by its id: as the exposure before
 * it from the same cgroup has it, else looked up below the mount MNT
 */
static char *origin(const struct patched_walk *w, size_t i, const char *mnt)
{
	char rel[PATH_MAX];

	for (size_t j = i; j-- > 0;)
		if (w->origins[j] == w->origins[i])
			return w->x->e[j].from ? strdup(w->x->e[j].from) : NULL;
	if (cgroup_path_by_id(mnt, w->origins[i], rel, sizeof(rel)))
		return NULL;
	return strdup(rel);
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
	walk_tree(mnt, cgroup_dir, &w);
	for (size_t i = 0; w.origins && i < x->n; i++)
		if (w.origins[i])
			x->e[i].from = origin(&w, i, mnt);
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
