// SPDX-License-Identifier: GPL-2.0
/* Views' records into the snapshot, as their text would give it. What a
 * view's file holds (its keys, in order, and the bounds of its histograms)
 * is learned from the first read of its text: each sample the text made
 * takes its value from the record's member of the same name (a
 * histogram's buckets from the array of that name, its sum from the
 * KEY_sum member). A view whose text has a key its schema does not
 * declare, a label, a malformed line, or a key the record lacks stays
 * read per file.
 */
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

struct ventry {
	const struct smetric *m; /* NULL: a histogram's sum, consumed */
	const struct vfield *f, *sum; /* sum: a histogram's, or NULL */
	size_t le; /* a histogram: its first bound in vlayout.le */
};

struct vlayout {
	bool bad;
	const struct schema *s;
	struct ventry *e;
	size_t n;
	double *le;
	size_t nle;
};

static const struct vfield *field(const struct vview *v, const char *key)
{
	for (size_t i = 0; i < v->nf; i++)
		if (!strcmp(v->f[i].name, key))
			return &v->f[i];
	return NULL;
}

/* Element I of field F of record REC: a load of the field's size (a
 * memcpy() of a size not known at compile time is a call)
 */
static double value(const uint8_t *rec, const struct vfield *f, uint32_t i)
{
	const uint8_t *p = rec + f->off + (size_t)i * f->size;
	uint64_t u64;
	uint32_t u32;
	uint16_t u16;

	switch (f->size) {
	case 1:
		return f->sign ? (double)(int8_t)*p : *p;
	case 2:
		memcpy(&u16, p, sizeof(u16));
		return f->sign ? (double)(int16_t)u16 : u16;
	case 4:
		memcpy(&u32, p, sizeof(u32));
		return f->sign ? (double)(int32_t)u32 : u32;
	default:
		memcpy(&u64, p, sizeof(u64));
		return f->sign ? (double)(int64_t)u64 : (double)u64;
	}
}

/* The entry of sample S of the learned text; false: no record has it */
static bool learn_sample(struct vlayout *l, const struct vview *v,
			 const struct snapshot *snap, const struct sample *s)
{
	struct ventry *e = &l->e[l->n++];
	const struct hist *h;

	*e = (struct ventry){ .m = sample_metric(snap, s) };
	if (!e->m)
		return true;
	e->f = field(v, e->m->key);
	if (!e->m->known || !e->f)
		return false;
	if (e->m->type != MT_HISTOGRAM)
		return !s->label && e->f->n == 1;
	h = &snap->hists[s->label];
	if (e->f->n != h->nbuckets)
		return false;
	e->sum = h->has_sum ? field(v, e->m->sum->key) : NULL;
	if (h->has_sum && (!e->sum || e->sum->n != 1))
		return false;
	e->le = l->nle;
	l->le = realloc(l->le, (l->nle + h->nbuckets) * sizeof(*l->le));
	if (!l->le)
		return false;
	for (uint32_t i = 0; i < h->nbuckets; i++)
		l->le[l->nle++] = snap->bounds[h->bound + i];
	return true;
}

/* View V's text, just read into the snapshot as file FREC (CLEAN: with
 * no malformed line and no undeclared key): learn how its view's records
 * give the same samples
 */
void viewrec_learn(struct cgreader *r, struct vview *v, size_t frec, bool clean)
{
	const struct frec *f = &r->snap->files[frec];
	struct vlayout *l;

	if (v->lay)
		return;
	l = v->lay = xcalloc(1, sizeof(*l));
	l->s = f->s;
	l->e = xcalloc(f->nsamples ? f->nsamples : 1, sizeof(*l->e));
	l->bad = !clean;
	for (uint32_t i = 0; !l->bad && i < f->nsamples; i++)
		l->bad = !learn_sample(l, v, r->snap,
				       &r->snap->samples[f->sample + i]);
	if (l->bad)
		warn_once(v->file,
			  "bulk read: %s's text is not what its records hold "
			  "(a key its schema or its record lacks, or a "
			  "malformed line): it is read per file",
			  v->file);
}

static void emit_hist(struct snapshot *snap, const struct vlayout *l,
		      const struct ventry *e, const uint8_t *rec)
{
	struct sample *s = PUSH(snap, samples);
	struct hist *h;
	double count;

	*s = (struct sample){ .metric = metric_ref(e->m),
			      .label = snap->n_hists };
	h = PUSH(snap, hists);
	*h = (struct hist){ .bound = snap->n_bounds,
			    .nbuckets = e->f->n,
			    .count = snap->n_counts,
			    .ncounts = e->f->n,
			    .has_sum = e->sum != NULL };
	if (e->sum)
		h->sum = value(rec, e->sum, 0) / e->m->sum->div;
	for (uint32_t i = 0; i < e->f->n; i++) {
		*PUSH(snap, bounds) = l->le[e->le + i];
		count = value(rec, e->f, i);
		*PUSH(snap, counts) = count;
		snap->samples[snap->n_samples - 1].value += count;
	}
	hist_end(snap, h, metric_ref(e->m));
}

/* View V's file of the cgroup from its record REC, as its text would
 * give it: false when the caller must read the file
 */
bool viewrec_emit(struct cgreader *r, const struct vview *v, const uint8_t *rec)
{
	const struct vlayout *l = v->lay;
	struct snapshot *snap = r->snap;
	struct frec *f;

	if (!l || l->bad)
		return false;
	f = PUSH(snap, files);
	*f = (struct frec){ .s = l->s, .sample = snap->n_samples };
	for (size_t i = 0; i < l->n; i++) {
		const struct ventry *e = &l->e[i];

		if (e->m && e->m->type == MT_HISTOGRAM)
			emit_hist(snap, l, e, rec);
		else
			*PUSH(snap, samples) = (struct sample){
				.metric = metric_ref(e->m),
				.value =
					e->f ? value(rec, e->f, 0) / e->m->div :
					       0,
			};
	}
	snap->files[snap->n_files - 1].nsamples =
		snap->n_samples - snap->files[snap->n_files - 1].sample;
	r->st->files++;
	r->st->files_bulk++;
	return true;
}

void viewrec_forget(struct vlayout *l)
{
	if (!l)
		return;
	free(l->e);
	free(l->le);
	free(l);
}
