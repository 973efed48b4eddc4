// SPDX-License-Identifier: GPL-2.0
/* Which cgroups the stock mode's bpffs mirror has bpf.* files for, and
 * their names, for the bulk read: a scan of the mirror (a readdir of each
 * of its directories) costs as much as the rest of a scrape, so it is
 * kept until the mirror changes. cgview touches the mirror's top
 * directory whenever it pins or unpins (cgview/mirror.c); since that mtime
 * moves in coarse clock ticks, a scan within a second of the change does
 * not count as having seen it, and a scan is at most a minute old (a pin
 * made by hand).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exporter.h"

#define SETTLE_NS 1000000000LL /* a change this close to a scan: again */
#define MAX_AGE_NS (60 * 1000000000LL)

struct mirrorlist {
	char **dirs; /* sorted: "PATH\0NAME\0NAME\0\0", PATH relative */
	size_t n, cap;
	size_t hint; /* mirror_names(): the entry to look at first */
	char top[PATH_MAX]; /* the mirror's top directory */
	dev_t dev;
	ino_t ino; /* of the directory scanned */
	long long mtime_ns, scanned_ns; /* realtime */
};

struct mirrorlist *mirror_new(void)
{
	return xcalloc(1, sizeof(struct mirrorlist));
}

static long long ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append NAME to ENTRY ("PATH\0NAME\0...\0", made with PATH first) */
static void add_name(char **entry, size_t *len, size_t *cap, const char *path,
		     const char *name)
{
	size_t n;

	if (!*entry) {
		n = strlen(path) + 1;
		*entry = grow(NULL, cap, n + 1, 1);
		memcpy(*entry, path, n);
		*len = n;
	}
	n = strlen(name) + 1;
	*entry = grow(*entry, cap, *len + n + 1, 1);
	memcpy(*entry + *len, name, n);
	*len += n;
	(*entry)[*len] = '\0';
}

/* The directories below DFD (PATH, LEN bytes) that hold bpf.* files */
static void scan(struct mirrorlist *ml, int dfd, char *path, size_t len)
{
	DIR *d = fdopendir(dup(dfd));
	struct dirent *e;
	char *entry = NULL;
	size_t elen = 0, ecap = 0;
	int cfd;

	while (d && (e = readdir(d))) {
		if (e->d_type != DT_DIR) {
			if (!strncmp(e->d_name, "bpf.", 4))
				add_name(&entry, &elen, &ecap, len ? path : ".",
					 e->d_name);
			continue;
		}
		if (e->d_name[0] == '.' ||
		    len + strlen(e->d_name) + 2 > PATH_MAX)
			continue;
		cfd = openat(dfd, e->d_name,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cfd < 0)
			continue;
		snprintf(path + len, PATH_MAX - len, "%s%s", len ? "/" : "",
			 e->d_name);
		scan(ml, cfd, path, len + !!len + strlen(e->d_name));
		path[len] = '\0';
		close(cfd);
	}
	if (d)
		closedir(d);
	if (!entry)
		return;
	ml->dirs = grow(ml->dirs, &ml->cap, ml->n + 1, sizeof(*ml->dirs));
	ml->dirs[ml->n++] = entry;
}

/* Is the last scan still what mirror TOP (directory MFD below it) has? */
static bool current(const struct mirrorlist *ml, const char *top, int mfd,
		    long long now)
{
	struct stat t, m;

	if (stat(top, &t) || fstat(mfd, &m))
		return false;
	return !strcmp(ml->top, top) && m.st_dev == ml->dev &&
	       m.st_ino == ml->ino && ns(&t.st_mtim) == ml->mtime_ns &&
	       ml->scanned_ns - ml->mtime_ns > SETTLE_NS &&
	       now - ml->scanned_ns < MAX_AGE_NS;
}

/* The mirror's directory MFD (below mirror TOP) for this scrape */
void mirror_update(struct mirrorlist *ml, const char *top, int mfd)
{
	char path[PATH_MAX] = "";
	struct timespec now;
	struct stat t = { 0 }, m = { 0 };

	clock_gettime(CLOCK_REALTIME, &now);
	if (current(ml, top, mfd, ns(&now)))
		return;
	for (size_t i = 0; i < ml->n; i++)
		free(ml->dirs[i]);
	ml->n = 0;
	if (stat(top, &t) || fstat(mfd, &m))
		t.st_mtim = (struct timespec){ 0 }; /* scan again next time */
	snprintf(ml->top, sizeof(ml->top), "%s", top);
	ml->dev = m.st_dev;
	ml->ino = m.st_ino;
	ml->mtime_ns = ns(&t.st_mtim);
	ml->scanned_ns = ns(&now);
	scan(ml, mfd, path, 0);
	if (ml->n) /* an empty mirror has no dirs[] at all */
		qsort(ml->dirs, ml->n, sizeof(*ml->dirs), cmp_str);
}

/* The bpf.* names the mirror has for RELPATH, NUL separated, or NULL */
const char *mirror_names(struct mirrorlist *ml, const char *relpath)
{
	char **m = NULL;

	/* the walk's pre-order is the sorted order where the cgroups were
	 * made in the order of their names: the entry after the last found
	 */
	if (ml->hint < ml->n && !strcmp(ml->dirs[ml->hint], relpath))
		m = &ml->dirs[ml->hint];
	else if (ml->n)
		m = bsearch(&relpath, ml->dirs, ml->n, sizeof(*ml->dirs),
			    cmp_str);
	if (m)
		ml->hint = m - ml->dirs + 1;
	return m ? *m + strlen(*m) + 1 : NULL;
}
