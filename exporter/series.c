// SPDX-License-Identifier: GPL-2.0
/* What every output shows of a sample, made here once for all encoders:
 * its labels as one list sorted by name (the --label ones, cgroup and
 * those of its path, the file's own such as device), when its cumulative
 * series began, and a histogram as buckets with their own and cumulative
 * counts, the +Inf bucket last, its count and sum, and for log2 buckets
 * their scale-0 exponential form. An encoder only lays these out in its
 * format.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

/* Insert NAME=VALUE into OUT[*N], kept sorted by name */
static void put(struct label *out, size_t *n, const char *name,
		const char *value)
{
	size_t i = (*n)++;

	for (; i && strcmp(out[i - 1].name, name) > 0; i--)
		out[i] = out[i - 1];
	out[i] = (struct label){ name, value };
}

size_t point_labels(const struct snapshot *snap, const struct point *pt,
		    bool ext, struct label *out)
{
	const struct sample *s = &snap->samples[pt->sample];
	size_t n = 0;

	for (size_t i = 0; ext && i < snap->nlabels; i++)
		put(out, &n, snap->labels[i].name, snap->labels[i].value);
	if (pt->cgroup != UINT32_MAX) {
		const struct cgrec *cg = &snap->cgroups[pt->cgroup];

		put(out, &n, "cgroup", snap_str(snap, cg->path));
		for (size_t i = 0; cg->labels && i < cg->labels->n; i++)
			put(out, &n, cg->labels->l[i].name,
			    cg->labels->l[i].value);
	}
	if (sample_label(snap, s))
		put(out, &n, sample_metric(snap, s)->label,
		    sample_label(snap, s));
	return n;
}

/* The cgroup's start, or the view's load if that came later (a view
 * loaded again starts its counters again)
 */
uint64_t file_start(const struct cgrec *cg, const struct frec *f)
{
	uint64_t view = f->s->start_ns;

	return view > cg->start_ns ? view : cg->start_ns;
}

uint64_t point_start(const struct snapshot *snap, const struct point *pt)
{
	if (pt->cgroup == UINT32_MAX)
		return snap->start_ns;
	return file_start(&snap->cgroups[pt->cgroup], &snap->files[pt->file]);
}

/* Whether bound LE (in the unit; DIV raw units in one) stands for P, a
 * power of two: is it, or is it P's floor in whole raw units (views count
 * whole ns, so v <= floor(2^e s in ns) is v <= 2^e s: views/hist.bpf.h)
 */
static bool is_pow2_bound(double le, double div, double p)
{
	double raw = floor(p * div);

	if (!isfinite(raw))
		return false;
	return le == p || (raw >= 1 && raw == round(le * div));
}

/* Prometheus' form of the buckets above the zero bucket: their first
 * index (bucket i is (2^(i-1), 2^i]), each count less the one before
 */
static void native_deltas(struct hseries *h)
{
	int64_t last = 0;

	h->native_first = h->exp_min + 1;
	h->delta = grow(h->delta, &h->cap_delta, h->n - 1, sizeof(*h->delta));
	for (size_t i = 1; i < h->n; i++) {
		h->delta[i - 1] = (int64_t)h->b[i].own - last;
		last = (int64_t)h->b[i].own;
	}
}

/* Whether bounds LE[N] (+Inf last; DIV raw units in one) are those of L */
static bool same_bounds(const struct hbounds *l, const double *le, size_t n,
			double div)
{
	if (n != l->n || div != l->div)
		return false;
	for (size_t i = 0; i + 1 < n; i++)
		if (le[i] != l->le[i])
			return false;
	return true;
}

/* L learns bounds LE[N] (+Inf last): as given, and as shown: if they
 * are consecutive powers of two, the exact powers
 */
static void learn_bounds(struct hbounds *l, const double *le, size_t n,
			 double div)
{
	int first;

	l->le = grow(l->le, &l->cap, n, sizeof(*l->le));
	l->shown = realloc(l->shown, l->cap * sizeof(*l->shown));
	if (!l->shown)
		exit(EXIT_RUNTIME);
	l->n = n;
	l->div = div;
	for (size_t i = 0; i + 1 < n; i++)
		l->le[i] = l->shown[i] = le[i];
	l->le[n - 1] = l->shown[n - 1] = INFINITY;
	l->log2 = n >= 3 && le[0] > 0;
	first = l->log2 ? (int)lround(log2(le[0])) : 0;
	for (size_t i = 0; i + 1 < n && l->log2; i++) {
		l->shown[i] = ldexp(1, first + (int)i);
		l->log2 = is_pow2_bound(le[i], div, l->shown[i]);
	}
	if (!l->log2)
		memcpy(l->shown, l->le, n * sizeof(*l->shown));
	l->first = first;
}

/* How many bounds histogram HI has as the outputs show it: its
 * buckets', and +Inf if the last is not
 */
size_t hist_nbounds(const struct snapshot *snap, const struct hist *hi)
{
	const double *le = &snap->bounds[hi->bound];
	uint32_t nb = hi->nbuckets;

	return nb + !(nb && isinf(le[nb - 1]));
}

/* The bounds of histogram HI (of a metric of DIV raw units in one) as the
 * outputs show them, +Inf last, N of them: log2 ones as the exact powers
 * while its count, COUNT, is a whole number in a double. L keeps them
 * while the histograms it is given have the same bounds.
 */
const double *hist_bounds(const struct snapshot *snap, const struct hist *hi,
			  double div, double count, struct hbounds *l)
{
	const double *le = &snap->bounds[hi->bound];
	size_t n = hist_nbounds(snap, hi);

	if (!same_bounds(l, le, n, div))
		learn_bounds(l, le, n, div);
	return l->log2 && count <= 0x1p53 ? l->shown : l->le;
}

void hist_series(const struct snapshot *snap, const struct sample *s,
		 struct hseries *h)
{
	const struct hist *hi = sample_hist(snap, s);
	const double *own = &snap->counts[hi->count];
	/* a histogram's value is its count */
	const double *le = hist_bounds(snap, hi, sample_metric(snap, s)->div,
				       s->value, &h->last);
	double cum = 0;

	h->n = h->last.n;
	h->b = grow(h->b, &h->cap, h->n, sizeof(*h->b));
	for (size_t i = 0; i < h->n; i++) {
		h->b[i].le = le[i];
		h->b[i].own = i < hi->ncounts ? own[i] : 0;
		cum += h->b[i].own;
		h->b[i].cum = cum;
	}
	h->count = cum;
	h->sum = hi->sum;
	h->has_sum = hi->has_sum;
	h->log2 = h->last.log2 && h->count <= 0x1p53;
	if (h->log2) {
		h->exp_min = h->last.first;
		native_deltas(h);
	}
}

void hseries_free(struct hseries *h)
{
	free(h->b);
	free(h->delta);
	free(h->last.le);
	free(h->last.shown);
	*h = (struct hseries){ 0 };
}
