// SPDX-License-Identifier: GPL-2.0
/* Stock kernels: exposing a view at a cgroup attaches one cgroup_iter link
 * (order SELF_ONLY) to that cgroup and pins it in a mirror of the cgroup
 * tree in bpffs, where reading the pin runs the view. With --inherit, every
 * cgroup of the subtree gets one; all or none. The mirror's layout is
 * written and read here alone: CGVIEW_MIRROR/<cgroup>/bpf.<view>, the
 * cgroup as its path below the cgroup2 root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgview.h"

#define PIN_PREFIX "bpf."

int mirror_pin_path(char *buf, size_t size, const char *view, const char *rel)
{
	int n = snprintf(buf, size, "%s%s%s%s%s", CGVIEW_MIRROR,
			 rel[0] ? "/" : "", rel, view ? "/" PIN_PREFIX : "",
			 view ? view : "");

	return n < (int)size ? 0 : -ENAMETOOLONG;
}

/* PIN's view (a suffix of PIN) and cgroup; -EINVAL: not a mirror's pin */
static int mirror_decode(const char *pin, const char **view, char *rel,
			 size_t size)
{
	size_t top = strlen(CGVIEW_MIRROR "/");
	const char *name;
	int len;

	if (strncmp(pin, CGVIEW_MIRROR "/", top))
		return -EINVAL;
	name = strrchr(pin, '/') + 1;
	if (strncmp(name, PIN_PREFIX, strlen(PIN_PREFIX)))
		return -EINVAL;
	*view = name + strlen(PIN_PREFIX);
	len = name - 1 - (pin + top); /* -1: a pin of the root */
	len = snprintf(rel, size, "%.*s", len > 0 ? len : 0, pin + top);
	return len < (int)size ? 0 : -ENAMETOOLONG;
}

struct pin_walk {
	mirror_pin_fn fn;
	void *ctx;
};

static int each_pin(void *ctx, const struct walk_entry *e)
{
	struct pin_walk *p = ctx;
	const char *view;
	char rel[PATH_MAX];

	if (e->type == WALK_FILE &&
	    !mirror_decode(e->path, &view, rel, sizeof(rel)))
		p->fn(p->ctx, e->path, view, rel);
	return 0;
}

void mirror_for_each_pin(mirror_pin_fn fn, void *ctx)
{
	struct pin_walk p = { .fn = fn, .ctx = ctx };

	walk_tree(CGVIEW_MIRROR, each_pin, &p);
}

/*
 * Tell readers of the mirror that it changed, wherever below: the mtime of
 * its top directory (cgview-exporter scans the mirror again when it moves)
 */
static void mirror_changed(void)
{
	utimensat(AT_FDCWD, CGVIEW_MIRROR, NULL, 0);
}

void mirror_prune_pin(const char *pin)
{
	char dir[PATH_MAX];

	unlink(pin);
	snprintf(dir, sizeof(dir), "%s", pin);
	bpffs_prune(dirname(dir), CGVIEW_MIRROR);
	mirror_changed();
}

/* Pin V's iterator for CG; -EEXIST when there is one already. */
static int pin_exposure(const struct view *v, const struct cgroup_ref *cg,
			int mode, char *pin, size_t size)
{
	int link_fd, err;

	if (mirror_pin_path(pin, size, v->name, cg->rel))
		return -ENAMETOOLONG;
	if (!access(pin, F_OK))
		return -EEXIST;
	link_fd = iter_link(v, cg);
	if (link_fd < 0)
		return -EINVAL; /* iter_link said why */
	err = pin_in_new_dirs(link_fd, pin, CGVIEW_MIRROR, 0);
	close(link_fd);
	mirror_changed();
	if (err)
		err_msg(-err, "cannot pin the view at %s", pin);
	else if (mode >= 0 && chmod(pin, mode)) {
		err = -errno;
		err_msg(errno, "cannot set mode %04o on %s", mode, pin);
		mirror_prune_pin(pin);
	}
	return err;
}

int mirror_expose(const struct view *v, const struct cgroup_ref *cg, int mode,
		  bool quiet)
{
	char pin[PATH_MAX];
	int err = pin_exposure(v, cg, mode, pin, sizeof(pin));

	if (err == -EEXIST)
		err_msg(0, "view '%s' is already exposed at %s (%s)", v->name,
			cg->path, pin);
	else if (!err && !quiet)
		printf("%s\n", pin);
	return err;
}

/* Pins made by one expose --inherit, to undo them all if one fails. */
struct made {
	char **pins;
	size_t n;
};

static int note(struct made *m, const char *pin)
{
	char **more = realloc(m->pins, (m->n + 1) * sizeof(*m->pins));

	if (!more)
		return -ENOMEM;
	m->pins = more;
	m->pins[m->n] = strdup(pin);
	return m->pins[m->n++] ? 0 : -ENOMEM;
}

static void undo(struct made *m, bool all)
{
	for (size_t i = 0; i < m->n; i++) {
		if (all)
			mirror_prune_pin(m->pins[i]);
		free(m->pins[i]);
	}
	free(m->pins);
}

static int expose_subtree(const struct view *v, const struct cgroup_ref *cg,
			  const struct expose_opts *o, struct made *m);

/* Each child cgroup of CG, and its subtree. */
static int expose_children(const struct view *v, const struct cgroup_ref *cg,
			   const struct expose_opts *o, struct made *m)
{
	struct cgroup_ref *sub = malloc(sizeof(*sub));
	DIR *d = opendir(cg->path);
	struct dirent *e;
	int err = 0;

	if (!d || !sub)
		err = d ? -ENOMEM : -errno;
	while (d && sub && (!err || !m) && (e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		err = cgroup_child(cg, e->d_name, sub);
		if (!err)
			err = expose_subtree(v, sub, o, m);
	}
	if (d)
		closedir(d);
	free(sub);
	return m ? err : 0;
}

/* M: note what was made, to undo it; NULL: keep going past failures */
static int expose_subtree(const struct view *v, const struct cgroup_ref *cg,
			  const struct expose_opts *o, struct made *m)
{
	char pin[PATH_MAX];
	int err = pin_exposure(v, cg, o->mode, pin, sizeof(pin));

	if (!err && m)
		err = note(m, pin);
	if (!err && !o->quiet)
		printf("%s\n", pin);
	if (err && err != -EEXIST && m)
		return err;
	return expose_children(v, cg, o, m);
}

/* Expose V wherever it is missing in CG's subtree (cgview watch). */
void mirror_fill(const struct view *v, const struct cgroup_ref *cg, int mode)
{
	struct expose_opts o = { .inherit = true, .mode = mode, .quiet = true };

	expose_subtree(v, cg, &o, NULL);
}

int mirror_expose_tree(const struct view *v, const struct cgroup_ref *cg,
		       const struct expose_opts *o)
{
	struct made m = {};
	char pin[PATH_MAX];
	int err;

	if (mirror_pin_path(pin, sizeof(pin), v->name, cg->rel))
		return -ENAMETOOLONG;
	if (!access(pin, F_OK)) {
		err_msg(0, "view '%s' is already exposed at %s (%s)", v->name,
			cg->path, pin);
		return -EEXIST;
	}
	err = expose_subtree(v, cg, o, &m);
	undo(&m, err);
	return err;
}

/* walk_tree(): the pins named NAME (NULL: every file), then each
 * directory left empty
 */
static int unlink_exposure(void *name, const struct walk_entry *e)
{
	if (e->type == WALK_FILE && (!name || !strcmp(e->name, name)))
		unlink(e->path);
	else if (e->type == WALK_DIR_DONE && strcmp(e->path, CGVIEW_MIRROR))
		rmdir(e->path); /* fails, harmlessly, while not empty */
	return 0;
}

/* Remove VIEW's pins for REL and all below it ("": the whole mirror);
 * VIEW NULL: every view's.
 */
void mirror_unexpose_tree(const char *view, const char *rel)
{
	char name[NAME_MAX + 1], dir[PATH_MAX];

	snprintf(name, sizeof(name), PIN_PREFIX "%s", view ? view : "");
	if (mirror_pin_path(dir, sizeof(dir), NULL, rel))
		return;
	walk_tree(dir, unlink_exposure, view ? name : NULL);
	bpffs_prune(dir, CGVIEW_MIRROR);
	mirror_changed();
}

void mirror_unexpose_all(const struct view *v)
{
	mirror_unexpose_tree(v->name, "");
}
