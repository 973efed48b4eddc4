// SPDX-License-Identifier: GPL-2.0
/* Walk the cgroup tree below --root and, in step, its bpffs mirror
 * (--mirror), whose bpf.* files belong to the cgroup at the same relative
 * path. Each cgroup's selected files are read and modelled; a cgroup that
 * vanishes during the walk is skipped and counted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "exporter.h"

/* A standard file to read, with its schema */
struct wanted {
	const char *name;
	size_t len;
	struct schema *s;
};

struct walker {
	const struct walk_opts *o;
	struct wanted want[MAX_FILES];
	size_t nwant;
	struct cgreader r;
};

/* The schema of NAME if it is to be read, else NULL */
static struct schema *selected(struct walker *w, const char *name)
{
	size_t len;

	if (!strncmp(name, "bpf.", 4))
		return schema_for_unknown_file(w->r.ss, name);
	len = strlen(name);
	for (size_t i = 0; i < w->nwant; i++)
		if (w->want[i].len == len &&
		    !memcmp(w->want[i].name, name, len))
			return w->want[i].s;
	return NULL;
}

struct child {
	char name[NAME_MAX + 1];
	ino_t ino;
};

struct children {
	struct child *c;
	size_t n_c, cap_c;
};

/* Files of this cgroup; its subdirectories into KIDS. -1: vanished (a
 * cgroup directory always has files: a removed one lists none)
 */
static int read_dir(struct walker *w, int dfd, struct children *kids, bool root)
{
	DIR *d = fdopendir(dup(dfd));
	struct dirent *e;
	struct schema *s;
	int ret = 0, entries = 0;

	if (!d)
		return -1;
	while (ret == 0) {
		errno = 0;
		e = readdir(d);
		if (!e) {
			ret = errno || (!entries && !root) ? -1 : 0;
			break;
		}
		if (e->d_name[0] != '.')
			entries++;
		if (e->d_type == DT_DIR && e->d_name[0] != '.') {
			kids->c = grow(kids->c, &kids->cap_c, kids->n_c + 1,
				       sizeof(*kids->c));
			strcpy(kids->c[kids->n_c].name, e->d_name);
			kids->c[kids->n_c++].ino = e->d_ino;
		} else if (e->d_type == DT_REG &&
			   (s = selected(w, e->d_name))) {
			ret = reader_file(&w->r, dfd, e->d_name, s);
		}
	}
	closedir(d);
	return ret;
}

static void visit(struct walker *w, int dfd, int mfd, ino_t ino);

static void descend(struct walker *w, int dfd, int mfd, struct child *c)
{
	size_t plen = w->r.plen, n = strlen(c->name);
	int cfd, cmfd = -1;

	if (plen + n + 2 > sizeof(w->r.path))
		return;
	cfd = openat(dfd, c->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0) {
		w->r.st->vanished++;
		return;
	}
	if (mfd >= 0)
		cmfd = openat(mfd, c->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (plen > 1)
		w->r.path[w->r.plen++] = '/';
	memcpy(w->r.path + w->r.plen, c->name, n + 1);
	w->r.plen += n;
	visit(w, cfd, cmfd, c->ino);
	w->r.plen = plen;
	w->r.path[plen] = '\0';
	close(cfd);
	if (cmfd >= 0)
		close(cmfd);
}

static void visit(struct walker *w, int dfd, int mfd, ino_t ino)
{
	struct snapshot *snap = w->r.snap;
	struct children kids = { 0 };
	struct snapshot_mark m;
	size_t i;

	snapshot_mark(snap, &m);
	i = snap->n_cgroups;
	*PUSH(snap, cgroups) = (struct cgrec){
		.id = ino,
		.path = snapshot_name(snap, w->r.path, w->r.plen),
		.file = snap->n_files,
	};
	if (read_dir(w, dfd, &kids, i == 0) ||
	    (mfd >= 0 && reader_views(&w->r, mfd))) {
		snapshot_rollback(snap, &m);
		w->r.st->vanished++;
		free(kids.c);
		return;
	}
	snap->cgroups[i].nfiles = snap->n_files - snap->cgroups[i].file;
	w->r.st->cgroups++;
	for (size_t k = 0; k < kids.n_c; k++)
		descend(w, dfd, mfd, &kids.c[k]);
	free(kids.c);
}

/* 0 when ROOT is in a cgroup2 file system, else -1 (reported, with what
 * to pass instead)
 */
int root_check(const char *root)
{
	char mnt[PATH_MAX];
	bool mounted = !cgroup2_mount(mnt, sizeof(mnt));
	struct statfs sf;

	if (statfs(root, &sf)) {
		fprintf(stderr, "cgview-exporter: --root %s: %s\n", root,
			strerror(errno));
		return -1;
	}
	if (sf.f_type == CGROUP2_SUPER_MAGIC)
		return 0;
	fprintf(stderr, "cgview-exporter: --root %s: %s; ", root,
		sf.f_type == CGROUP_SUPER_MAGIC ?
			"a cgroup v1 hierarchy, not cgroup2" :
			"not a cgroup2 file system");
	if (mounted)
		fprintf(stderr,
			"pass the cgroup2 mount %s or a directory "
			"below it\n",
			mnt);
	else
		fputs("no cgroup2 is mounted: mount one (mount -t cgroup2 "
		      "none /sys/fs/cgroup) and pass it\n",
		      stderr);
	return -1;
}

/* ROOT's path inside the cgroup2 hierarchy, "/a/b" ("" for the mount
 * itself, or when ROOT is not in it: then paths are relative to ROOT).
 */
const char *hierarchy_prefix(const char *root)
{
	static char prefix[PATH_MAX];
	char mnt[PATH_MAX], real[PATH_MAX];
	const char *rel;

	if (cgroup2_mount(mnt, sizeof(mnt)) ||
	    cgroup2_rel(mnt, root, real, &rel) || !*rel)
		return "";
	snprintf(prefix, sizeof(prefix), "/%s", rel);
	return prefix;
}

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A scrape starts: an empty snapshot stamped now; returns the start time
 * for scrape_end()
 */
double scrape_begin(struct snapshot *snap, struct stats *st)
{
	snapshot_reset(snap);
	snap->time_ns = now(CLOCK_REALTIME) * 1e9;
	st->cgroups = st->files = st->files_bulk = 0;
	st->bulk_lock_seconds = 0;
	return now(CLOCK_MONOTONIC);
}

void scrape_end(struct stats *st, double start)
{
	st->scrapes++;
	st->scrape_seconds = now(CLOCK_MONOTONIC) - start;
}

/* The walker of one scrape: the selected files with their schemas */
static void walker_init(struct walker *w, const struct walk_opts *o,
			struct schemas *ss, struct snapshot *snap,
			struct stats *st, const char *prefix)
{
	*w = (struct walker){ .o = o,
			      .r = { .ss = ss,
				     .snap = snap,
				     .st = st,
				     .buf = w->r.buf,
				     .cap = w->r.cap } };
	for (size_t i = 0; i < o->nfiles; i++)
		w->want[w->nwant++] = (struct wanted){
			o->files[i], strlen(o->files[i]),
			schema_for_unknown_file(ss, o->files[i])
		};
	w->r.plen = snprintf(w->r.path, sizeof(w->r.path), "%s",
			     *prefix ? prefix : "/");
}

/* The mirror of the cgroup at PREFIX, or -1 (none, or not mirrored) */
int open_mirror(const char *mirror, const char *prefix)
{
	char path[PATH_MAX * 2];

	if (!mirror)
		return -1;
	snprintf(path, sizeof(path), "%s%s", mirror, prefix);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* One scrape into SNAP; -1 when the root cannot be read */
int collect(const struct walk_opts *o, struct schemas *ss,
	    struct snapshot *snap, struct stats *st)
{
	static struct walker w;
	double start = scrape_begin(snap, st);
	const char *prefix = hierarchy_prefix(o->root);
	int dfd, mfd;
	struct stat sb;

	dfd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &sb)) {
		fprintf(stderr, "cgview-exporter: --root %s: %s\n", o->root,
			strerror(errno));
		return -1;
	}
	walker_init(&w, o, ss, snap, st, prefix);
	mfd = open_mirror(o->mirror, prefix);
	visit(&w, dfd, mfd, sb.st_ino);
	close(dfd);
	if (mfd >= 0)
		close(mfd);
	scrape_end(st, start);
	return 0;
}
