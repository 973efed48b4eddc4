// SPDX-License-Identifier: GPL-2.0
/* Every metric has names of its own (README.md, "Name collisions").
 * Cleaning a file name or key for Prometheus (every character but a-z,
 * A-Z, 0-9 becomes _, unit suffixes change) can give two metrics one name:
 * bpf.my-view and bpf.my_view, keys a-b and a_b. The names of a metric
 * are the series names it is exported under: NAME, and for a histogram
 * NAME_bucket, NAME_sum and NAME_count too. schema.c refuses a schema
 * whose metric would share one; a metric made at run time for a key no
 * schema declares (a gauge) takes the first of NAME_2, NAME_3, ... that
 * is free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

static const char *const hist_suffixes[] = { "", "_bucket", "_sum", "_count",
					     NULL };
static const char *const no_suffix[] = { "", NULL };

static const char *const *suffixes(const struct smetric *m)
{
	return m->type == MT_HISTOGRAM ? hist_suffixes : no_suffix;
}

static size_t hash(const char *name, const char *suffix)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ULL;
	for (; *suffix; suffix++)
		h = (h ^ (unsigned char)*suffix) * 0x100000001b3ULL;
	return h;
}

/* NAME SUFFIX's slot, or the empty one where it would go */
static struct name_slot *slot(const struct schemas *ss, const char *name,
			      const char *suffix)
{
	size_t mask = ss->cap_names - 1, i = hash(name, suffix) & mask;
	size_t n = strlen(name);
	struct name_slot *sl;

	for (;; i = (i + 1) & mask) {
		sl = &ss->names[i];
		if (!sl->name || (!strncmp(sl->name, name, n) &&
				  !strcmp(sl->name + n, suffix)))
			return sl;
	}
}

/* Keep the table at most half full; released names are forgotten */
static void reserve(struct schemas *ss)
{
	struct name_slot *old = ss->names;
	size_t cap = ss->cap_names;

	if (2 * (ss->nnames + 1) <= cap)
		return;
	ss->cap_names = cap ? 2 * cap : 256;
	ss->names = xcalloc(ss->cap_names, sizeof(*ss->names));
	ss->nnames = 0;
	for (size_t i = 0; i < cap; i++) {
		if (old[i].m) {
			*slot(ss, old[i].name, "") = old[i];
			ss->nnames++;
		} else {
			free(old[i].name);
		}
	}
	free(old);
}

struct smetric *name_owner(const struct schemas *ss, const struct smetric *m)
{
	const struct name_slot *sl;

	for (const char *const *sfx = suffixes(m); ss->cap_names && *sfx;
	     sfx++) {
		sl = slot(ss, m->name, *sfx);
		if (sl->name && sl->m && sl->m != m)
			return sl->m;
	}
	return NULL;
}

void name_claim(struct schemas *ss, struct smetric *m)
{
	struct name_slot *sl;

	for (const char *const *sfx = suffixes(m); *sfx; sfx++) {
		reserve(ss);
		sl = slot(ss, m->name, *sfx);
		if (!sl->name) {
			sl->name =
				xcalloc(strlen(m->name) + strlen(*sfx) + 1, 1);
			sprintf(sl->name, "%s%s", m->name, *sfx);
			ss->nnames++;
		}
		sl->m = m;
	}
}

void name_release(struct schemas *ss, const struct smetric *m)
{
	struct name_slot *sl;

	for (const char *const *sfx = suffixes(m); ss->cap_names && *sfx;
	     sfx++) {
		sl = slot(ss, m->name, *sfx);
		if (sl->m == m)
			sl->m = NULL;
	}
}

/* M's name is taken: M gets the first free of NAME_2, NAME_3, ... to
 * claim (M is an undeclared key's gauge: no _total to keep last)
 */
void name_rename(struct schemas *ss, struct smetric *m)
{
	char *base = m->name;
	unsigned k = 2;

	m->name = xcalloc(strlen(base) + 16, 1);
	do
		sprintf(m->name, "%s_%u", base, k++);
	while (name_owner(ss, m));
	free(base);
}
