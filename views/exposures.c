// SPDX-License-Identifier: GPL-2.0
/* What is loaded and where it is exposed, for ls and status. Stock mode:
 * the pins in the bpffs mirror and the inherit roots cgview keeps. Patched
 * kernels: each view link's fdinfo, which lists its files by cgroup id
 * (an "inherit" exposure, or files "inherited" from the cgroup it was
 * exposed at), with the ids resolved by walking cgroupfs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cgview.h"

static struct exposures *collecting;
static size_t mount_len;

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

static void stock_collect(struct exposures *x)
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

/* cgroup ids (inode numbers of cgroupfs directories) to paths */
static uint64_t find_id;
static char found_rel[PATH_MAX];

static int match_id(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_D || st->st_ino != find_id)
		return 0;
	snprintf(found_rel, sizeof(found_rel), "%s",
		 path[mount_len] ? path + mount_len + 1 : "");
	return 1;
}

static char *cgroup_by_id(uint64_t id)
{
	char mnt[PATH_MAX];

	if (cgroup2_mount(mnt, sizeof(mnt)))
		return NULL;
	mount_len = strlen(mnt);
	find_id = id;
	if (nftw(mnt, match_id, 16, FTW_PHYS) != 1)
		return NULL;
	return strdup(found_rel);
}

/* "exposure:\t<id>\t<name>[\tinherited\t<origin id>|\tinherit]" */
static void fdinfo_line(struct exposures *x, const char *view, char *line)
{
	char name[NAME_MAX + 1], how[16] = "", file[PATH_MAX * 2],
				 mnt[PATH_MAX];
	uint64_t id, origin = 0;
	struct exposure *e;
	char *rel;

	if (sscanf(line, "exposure:\t%" SCNu64 "\t%255s\t%15s\t%" SCNu64, &id,
		   name, how, &origin) < 2 ||
	    cgroup2_mount(mnt, sizeof(mnt)))
		return;
	rel = cgroup_by_id(id);
	if (!rel)
		return;
	snprintf(file, sizeof(file), "%s%s%s/%s", mnt, rel[0] ? "/" : "", rel,
		 name);
	e = add(x, view, rel, file);
	free(rel);
	if (e && !strcmp(how, "inherit"))
		e->inherit = true;
	else if (e && !strcmp(how, "inherited"))
		e->from = cgroup_by_id(origin);
}

static void link_collect(struct exposures *x, const char *view)
{
	char pin[PATH_MAX], fdinfo[64], line[PATH_MAX];
	int fd;
	FILE *f;

	if (view_pin_path(pin, sizeof(pin), view, "link"))
		return;
	fd = bpf_obj_get(pin);
	if (fd < 0)
		return;
	snprintf(fdinfo, sizeof(fdinfo), "/proc/self/fdinfo/%d", fd);
	f = fopen(fdinfo, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "exposure:", 9))
			fdinfo_line(x, view, line);
	if (f)
		fclose(f);
	close(fd);
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

int exposures_collect(const struct mode *m, struct exposures *x)
{
	int err;

	*x = (struct exposures){};
	err = loaded_views(x);
	if (err)
		return err;
	if (m == &stock_mode)
		stock_collect(x);
	else
		for (size_t i = 0; i < x->nviews; i++)
			link_collect(x, x->views[i]);
	sort(x);
	return 0;
}
