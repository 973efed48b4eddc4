// SPDX-License-Identifier: GPL-2.0
/* Stock kernels have no inheritance of exposures, so cgview keeps the
 * cgroups a view was exposed at with --inherit in CGVIEW_RUN/inherit, one
 * line each,
 *
 *	VIEW MODE CGROUP
 *
 * (MODE octal or "-"; CGROUP below the cgroup2 root, "/" for the root,
 * last because it may hold spaces), and `cgview watch` mirrors each such
 * subtree as cgroups appear and disappear. /run goes with a reboot, as
 * the bpffs pins do. The file is replaced whole (rename), so the watcher
 * never reads half of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgview.h"

#define INHERIT_FILE CGVIEW_RUN "/inherit"
#define WATCH_PID_FILE CGVIEW_RUN "/watch.pid"

static int parse_line(char *line, struct inherit_root *r)
{
	char mode[8];
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "%255s %7s %n", r->view, mode, &n) != 2 || !n)
		return -EINVAL;
	r->mode = strcmp(mode, "-") ? (int)strtol(mode, NULL, 8) : -1;
	snprintf(r->rel, sizeof(r->rel), "%s",
		 strcmp(line + n, "/") ? line + n : "");
	return 0;
}

int inherit_load(struct inherit_root **roots, size_t *n)
{
	FILE *f = fopen(INHERIT_FILE, "r");
	char line[PATH_MAX + NAME_MAX + 16];
	struct inherit_root *more;

	*roots = NULL;
	*n = 0;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		more = realloc(*roots, (*n + 1) * sizeof(**roots));
		if (!more)
			break;
		*roots = more;
		if (!parse_line(line, &more[*n]))
			(*n)++;
	}
	fclose(f);
	return 0;
}

/* Write ROOTS but those with no view, and ADD (NULL: none). */
static int inherit_store(const struct inherit_root *roots, size_t n,
			 const struct inherit_root *add)
{
	FILE *f;

	if (mkdir(CGVIEW_RUN, 0755) && errno != EEXIST)
		return -errno;
	f = fopen(INHERIT_FILE ".new", "w");
	if (!f)
		return -errno;
	for (size_t i = 0; i < n + !!add; i++) {
		const struct inherit_root *r = i < n ? &roots[i] : add;

		if (!r->view[0])
			continue;
		fprintf(f, "%s ", r->view);
		fprintf(f, r->mode >= 0 ? "%04o " : "- ", r->mode);
		fprintf(f, "%s\n", r->rel[0] ? r->rel : "/");
	}
	if (fclose(f) || rename(INHERIT_FILE ".new", INHERIT_FILE))
		return -errno;
	return 0;
}

static const struct inherit_root *find(const struct inherit_root *roots,
				       size_t n, const char *view,
				       const char *rel)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(roots[i].view, view) && !strcmp(roots[i].rel, rel))
			return &roots[i];
	return NULL;
}

int inherit_add(const char *view, const char *rel, int mode)
{
	struct inherit_root *roots, add = { .mode = mode };
	size_t n;
	int err = inherit_load(&roots, &n);

	snprintf(add.view, sizeof(add.view), "%s", view);
	snprintf(add.rel, sizeof(add.rel), "%s", rel);
	if (!err && !find(roots, n, view, rel))
		err = inherit_store(roots, n, &add);
	free(roots);
	return err;
}

/* Forget VIEW's root at REL (NULL: all of VIEW's); 1 if there was one. */
int inherit_remove(const char *view, const char *rel)
{
	struct inherit_root *roots;
	size_t n;
	int err = inherit_load(&roots, &n), found = 0;

	for (size_t i = 0; !err && i < n; i++) {
		if (strcmp(roots[i].view, view) ||
		    (rel && strcmp(roots[i].rel, rel)))
			continue;
		roots[i].view[0] = '\0';
		found = 1;
	}
	if (found)
		err = inherit_store(roots, n, NULL);
	free(roots);
	return err ? err : found;
}

/* The root of VIEW whose subtree holds REL, if any. */
const struct inherit_root *inherit_covering(const struct inherit_root *roots,
					    size_t n, const char *view,
					    const char *rel)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(roots[i].rel);

		if (strcmp(roots[i].view, view))
			continue;
		if (!len || (!strncmp(rel, roots[i].rel, len) &&
			     (!rel[len] || rel[len] == '/')))
			return &roots[i];
	}
	return NULL;
}

static bool is_cgview(int pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, "cgview", 6);
}

/* The pid of a running `cgview watch`, or 0. */
int watch_pid(void)
{
	FILE *f = fopen(WATCH_PID_FILE, "r");
	int pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) != 1 || pid <= 0 || !is_cgview(pid))
		pid = 0;
	fclose(f);
	return pid;
}
