// SPDX-License-Identifier: GPL-2.0
/* cgview watch: on kernels without the bpf_view series, keep the bpffs
 * mirror in step with the cgroups below each --inherit root, so stock mode
 * behaves like the kernel's inheritance: a new cgroup gets the views
 * inherited from above (inotify IN_CREATE on cgroupfs directories), a
 * removed one loses its pins (IN_DELETE), which also lets the kernel free
 * it (a cgroup_iter link holds its cgroup). A change of the inherit roots
 * (CGVIEW_RUN/inherit, replaced by rename) syncs everything again.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgview.h"

#define CGROUP_EVENTS \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)

struct watcher {
	int fd;
	int run_wd;
	char **dirs; /* cgroupfs directory of each watch descriptor */
	int ndirs;
	struct cgroup_ref top; /* the cgroup2 root */
};

static void remember(struct watcher *w, int wd, const char *rel)
{
	char **more;

	if (wd >= w->ndirs) {
		more = realloc(w->dirs, (wd + 64) * sizeof(*more));
		if (!more)
			return;
		memset(more + w->ndirs, 0,
		       (wd + 64 - w->ndirs) * sizeof(*more));
		w->dirs = more;
		w->ndirs = wd + 64;
	}
	free(w->dirs[wd]);
	w->dirs[wd] = strdup(rel);
}

/* Watch CG and every cgroup below it. */
static void watch_tree(struct watcher *w, const struct cgroup_ref *cg)
{
	int wd = inotify_add_watch(w->fd, cg->path, CGROUP_EVENTS);
	struct cgroup_ref *sub;
	struct dirent *e;
	DIR *d;

	if (wd < 0)
		return;
	remember(w, wd, cg->rel);
	d = opendir(cg->path);
	sub = malloc(sizeof(*sub));
	while (d && sub && (e = readdir(d)))
		if (e->d_type == DT_DIR && e->d_name[0] != '.' &&
		    !cgroup_child(cg, e->d_name, sub))
			watch_tree(w, sub);
	free(sub);
	if (d)
		closedir(d);
}

static int cgroup_at(const struct watcher *w, const char *rel,
		     struct cgroup_ref *cg)
{
	struct stat st;
	int n = snprintf(cg->path, sizeof(cg->path), "%s%s%s", w->top.path,
			 rel[0] ? "/" : "", rel);

	snprintf(cg->rel, sizeof(cg->rel), "%s", rel);
	if (n >= (int)sizeof(cg->path))
		return -ENAMETOOLONG;
	return stat(cg->path, &st) ? -errno : 0;
}

/* Mirror every view inherited at CG (a new cgroup, or a root). */
static void cgroup_appeared(struct watcher *w, const struct cgroup_ref *cg)
{
	struct inherit_root *roots;
	const struct view *v;
	size_t n;

	watch_tree(w, cg);
	if (inherit_load(&roots, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		if (!inherit_covering(&roots[i], 1, roots[i].view, cg->rel))
			continue;
		v = view_find(roots[i].view);
		if (v)
			mirror_fill(v, cg, roots[i].mode);
	}
	free(roots);
}

/* mirror_for_each_pin(): a pin whose cgroup is gone goes too. */
static void stale_pin(void *w, const char *pin, const char *view,
		      const char *rel)
{
	struct cgroup_ref *cg = malloc(sizeof(*cg));

	(void)view;
	if (cg && cgroup_at(w, rel, cg) == -ENOENT)
		mirror_prune_pin(pin);
	free(cg);
}

static void sync_all(struct watcher *w)
{
	struct inherit_root *roots;
	struct cgroup_ref *cg = malloc(sizeof(*cg));
	size_t n;

	if (!cg || inherit_load(&roots, &n)) {
		free(cg);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!cgroup_at(w, roots[i].rel, cg))
			cgroup_appeared(w, cg);
	free(roots);
	free(cg);
	mirror_for_each_pin(stale_pin, w);
}

static void cgroup_event(struct watcher *w, const struct inotify_event *ev)
{
	const char *parent = ev->wd < w->ndirs ? w->dirs[ev->wd] : NULL;
	struct cgroup_ref *cg = malloc(sizeof(*cg));
	char rel[PATH_MAX];
	int n;

	if (!cg || !parent || !(ev->mask & IN_ISDIR) || !ev->len) {
		free(cg);
		return;
	}
	n = snprintf(rel, sizeof(rel), "%s%s%s", parent, parent[0] ? "/" : "",
		     ev->name);
	if (n < (int)sizeof(rel) && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
		if (!cgroup_at(w, rel, cg))
			cgroup_appeared(w, cg);
	} else if (n < (int)sizeof(rel)) {
		mirror_unexpose_tree(NULL, rel);
	}
	free(cg);
}

static void handle(struct watcher *w, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		sync_all(w);
	} else if (ev->wd == w->run_wd) {
		if (ev->len && !strcmp(ev->name, "inherit"))
			sync_all(w);
	} else if (ev->mask & IN_IGNORED) {
		if (ev->wd < w->ndirs) {
			free(w->dirs[ev->wd]);
			w->dirs[ev->wd] = NULL;
		}
	} else {
		cgroup_event(w, ev);
	}
}

static int watch_loop(struct watcher *w)
{
	char buf[64 * 1024]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t len;

	for (;;) {
		len = read(w->fd, buf, sizeof(buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0) {
			err_msg(errno, "reading inotify events failed");
			return EXIT_FAIL;
		}
		for (char *p = buf; p < buf + len; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			handle(w, ev);
		}
	}
}

static int write_pid(void)
{
	int other = watch_pid();
	FILE *f;

	if (other && other != getpid()) {
		err_msg(0, "'cgview watch' is already running (pid %d)", other);
		return -1;
	}
	if ((mkdir(CGVIEW_RUN, 0755) && errno != EEXIST) ||
	    !(f = fopen(CGVIEW_RUN "/watch.pid", "w"))) {
		err_msg(errno, "cannot write %s/watch.pid", CGVIEW_RUN);
		return -1;
	}
	fprintf(f, "%d\n", getpid());
	return fclose(f) ? -1 : 0;
}

int mirror_watch(void)
{
	struct watcher w = { .fd = -1 };

	if (bpffs_ensure() || cgroup_resolve("/", &w.top) || write_pid())
		return EXIT_FAIL;
	w.fd = inotify_init1(IN_CLOEXEC);
	if (w.fd >= 0)
		w.run_wd = inotify_add_watch(w.fd, CGVIEW_RUN,
					     IN_MOVED_TO | IN_CLOSE_WRITE);
	if (w.fd < 0 || w.run_wd < 0) {
		err_msg(errno, "cannot watch with inotify");
		return EXIT_FAIL;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("cgview watch: mirroring --inherit exposures (pid %d)\n",
	       getpid());
	sync_all(&w);
	return watch_loop(&w);
}
