// SPDX-License-Identifier: GPL-2.0
/* What the exporter keeps of each cgroup from one snapshot to the next:
 * when its series began, and the labels of its path (pathlabels.c, read
 * once per cgroup: a cgroup's path never changes). Each cgroup's series
 * begin when the cgroup does, as far as the exporter can tell: one it saw
 * in its first scrape began by then (the exporter's start), one that
 * appeared later began after the scrape before, which is the start given.
 * A cgroup is known by its id, so one made again under the same path is a
 * new cgroup with a new start (its counters began again at 0). The
 * files of the last snapshot that are gone (their cgroup's, unless a new
 * cgroup holds its path, or the file alone) are listed for remote write's
 * staleness markers.
 */
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

struct entry {
	uint64_t id; /* 0: free */
	uint64_t start_ns;
	struct cglabels *labels;
	uint32_t cg; /* index in the snapshot's cgroups[] */
};

struct lifetimes {
	struct entry *t; /* open addressing, by cgroup id */
	size_t cap; /* a power of two, at least twice the entries */
	uint64_t last_ns; /* the last snapshot's time, 0 before the first */
	unsigned which; /* PATH_LABELS_* */
	/* the labels of cgroups gone in the last snapshot, which the one
	 * before (its prev) still points to: freed at the next
	 */
	ARRAY(struct cglabels *, dying);
};

struct lifetimes *lifetimes_new(unsigned which)
{
	struct lifetimes *lt = xcalloc(1, sizeof(struct lifetimes));

	lt->which = which;
	return lt;
}

static size_t slot(const struct entry *t, size_t cap, uint64_t id)
{
	size_t i = (id * 0x9e3779b97f4a7c15ULL) & (cap - 1);

	while (t[i].id && t[i].id != id)
		i = (i + 1) & (cap - 1);
	return i;
}

/* The last table's entry of ID, NULL if it had none */
static struct entry *known(const struct lifetimes *lt, uint64_t id)
{
	struct entry *e;

	if (!lt->cap)
		return NULL;
	e = &lt->t[slot(lt->t, lt->cap, id)];
	return e->id ? e : NULL;
}

/* The labels of the last table's cgroups that are gone, for later */
static void retire(struct lifetimes *lt)
{
	for (size_t i = 0; i < lt->n_dying; i++)
		free(lt->dying[i]);
	lt->n_dying = 0;
	for (size_t i = 0; i < lt->cap; i++)
		if (lt->t[i].labels)
			*PUSH(lt, dying) = lt->t[i].labels;
	free(lt->t);
}

/* A table of SNAP's cgroups with their starts and labels, in place of the
 * last one (whose entries are taken over, so what is left is gone)
 */
static void renew(struct lifetimes *lt, struct snapshot *snap)
{
	size_t cap = 64;
	struct entry *t, *e, *old;

	while (cap < 2 * snap->n_cgroups)
		cap *= 2;
	t = xcalloc(cap, sizeof(*t));
	for (size_t g = 0; g < snap->n_cgroups; g++) {
		struct cgrec *cg = &snap->cgroups[g];

		e = &t[slot(t, cap, cg->id)];
		old = known(lt, cg->id);
		if (old) {
			*e = *old;
			old->labels = NULL;
		} else {
			*e = (struct entry){
				.id = cg->id,
				.start_ns = lt->last_ns ? lt->last_ns :
							  snap->start_ns,
				.labels = path_labels(snap_str(snap, cg->path),
						      lt->which),
			};
		}
		e->cg = g;
		cg->start_ns = e->start_ns;
		cg->labels = e->labels;
	}
	retire(lt);
	lt->t = t;
	lt->cap = cap;
	lt->last_ns = snap->time_ns;
}

/* FNV-1a of a path */
static uint64_t path_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h ? h : 1;
}

/* SNAP's cgroups by path: open addressing, CAP slots */
struct pathslot {
	uint64_t hash; /* 0: free */
	size_t cg; /* index in snap->cgroups */
};

static struct pathslot *paths_of(const struct snapshot *snap, size_t cap)
{
	struct pathslot *t = xcalloc(cap, sizeof(*t));

	for (size_t k = 0; k < snap->n_cgroups; k++) {
		uint64_t h = path_hash(snap_str(snap, snap->cgroups[k].path));
		size_t i = h & (cap - 1);

		while (t[i].hash)
			i = (i + 1) & (cap - 1);
		t[i] = (struct pathslot){ h, k };
	}
	return t;
}

static bool has_path(const struct snapshot *snap, const struct pathslot *t,
		     size_t cap, const char *path)
{
	uint64_t h = path_hash(path);

	for (size_t i = h & (cap - 1); t[i].hash; i = (i + 1) & (cap - 1))
		if (t[i].hash == h &&
		    !strcmp(snap_str(snap, snap->cgroups[t[i].cg].path), path))
			return true;
	return false;
}

/* PREV's cgroup G, whose files are all gone */
static void all_gone(struct snapshot *snap, const struct snapshot *prev,
		     uint32_t g)
{
	const struct cgrec *cg = &prev->cgroups[g];

	for (uint32_t f = cg->file; f < cg->file + cg->nfiles; f++)
		*PUSH(snap, gone) = (struct gone){ g, f, GONE_FILE };
}

static bool same_series(const struct snapshot *a, const struct sample *x,
			const struct snapshot *b, const struct sample *y)
{
	const char *lx, *ly;

	if (x->metric != y->metric || !y->metric)
		return false;
	lx = sample_label(a, x);
	ly = sample_label(b, y);
	return lx == ly || (lx && ly && !strcmp(lx, ly));
}

/* The samples of PREV's file F (of cgroup G) that the same file NOW
 * lacks: a device gone from io.stat, keys gone from cpu.stat when the
 * cpu controller is taken away. Files with a label (`*` keys) are
 * searched always, others when their count of samples changed.
 */
static void samples_gone(struct snapshot *snap, const struct snapshot *prev,
			 uint32_t g, uint32_t f, const struct frec *now)
{
	const struct frec *pf = &prev->files[f];
	uint32_t k = 0, tries;

	if (pf->nsamples == now->nsamples && !pf->s->label)
		return;
	for (uint32_t x = pf->sample; x < pf->sample + pf->nsamples; x++) {
		if (!prev->samples[x].metric)
			continue;
		for (tries = 0; tries < now->nsamples; tries++, k++) {
			k %= now->nsamples;
			if (same_series(prev, &prev->samples[x], snap,
					&snap->samples[now->sample + k]))
				break;
		}
		if (tries == now->nsamples)
			*PUSH(snap, gone) = (struct gone){ g, f, x };
	}
}

/* The files of PREV's cgroup G that its successor NOW lacks (a view no
 * longer exposed there), and the series gone from those it has; the
 * files keep their order, so the search goes on from the last one found
 */
static void files_gone(struct snapshot *snap, const struct snapshot *prev,
		       uint32_t g, const struct cgrec *now)
{
	const struct cgrec *cg = &prev->cgroups[g];
	uint32_t k = 0, tries;

	for (uint32_t f = cg->file; f < cg->file + cg->nfiles; f++) {
		for (tries = 0; tries < now->nfiles; tries++, k++) {
			k %= now->nfiles;
			if (snap->files[now->file + k].s == prev->files[f].s)
				break;
		}
		if (tries == now->nfiles)
			*PUSH(snap, gone) = (struct gone){ g, f, GONE_FILE };
		else
			samples_gone(snap, prev, g, f,
				     &snap->files[now->file + k]);
	}
}

/* The files of PREV that SNAP lacks: those of cgroups gone by id (unless
 * a new cgroup holds the path: its series go on), and those gone from a
 * cgroup that stays
 */
static void list_gone(const struct lifetimes *lt, struct snapshot *snap,
		      const struct snapshot *prev)
{
	size_t cap = lt->cap;
	struct pathslot *paths = NULL;
	const struct entry *e;

	for (uint32_t g = 0; g < prev->n_cgroups; g++) {
		const struct cgrec *cg = &prev->cgroups[g];

		e = &lt->t[slot(lt->t, cap, cg->id)];
		if (e->id) {
			files_gone(snap, prev, g, &snap->cgroups[e->cg]);
			continue;
		}
		if (!paths) /* made once, when something is gone */
			paths = paths_of(snap, cap);
		if (!has_path(snap, paths, cap, snap_str(prev, cg->path)))
			all_gone(snap, prev, g);
	}
	free(paths);
}

void lifetimes_update(struct lifetimes *lt, struct snapshot *snap,
		      const struct snapshot *prev)
{
	renew(lt, snap);
	snap->prev = prev;
	snap->n_gone = 0;
	if (prev)
		list_gone(lt, snap, prev);
}

void lifetimes_free(struct lifetimes *lt)
{
	if (!lt)
		return;
	retire(lt);
	for (size_t i = 0; i < lt->n_dying; i++)
		free(lt->dying[i]);
	free(lt->dying);
	free(lt);
}
