// SPDX-License-Identifier: GPL-2.0
/* Prometheus remote write 1.0 (proto/remote_write.proto): WriteRequests
 * of at most max_points series, snappy block compressed. A log2 histogram
 * is one native histogram series (schema 0), unless CLASSIC; any other is
 * its _bucket{le=...} (cumulative), _sum and _count series, as Prometheus
 * itself stores one; labels and buckets come from series.c. Each series
 * of the last snapshot that is gone (its cgroup removed, its view no
 * longer exposed there, or the series no longer in a file that stays)
 * gets Prometheus' staleness marker, so
 * that queries stop returning it at once rather than 5 minutes later.
 */
#include <math.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"
#include "remote_write.pb-c.h"

typedef Prometheus__TimeSeries Series;
typedef Prometheus__Label Label;

/* a point's, and __name__, instance, le */
#define LABELS (POINT_LABELS + 3)

/* Prometheus' staleness marker: a NaN no computation yields */
#define STALE_NAN 0x7ff0000000000002ULL

/* A point's labels (point_labels()) */
struct labels {
	struct label l[POINT_LABELS];
	size_t n;
	const char *instance; /* the default one; NULL: --label's or none */
};

struct req {
	Series *series, **pseries;
	Label *labels, **plabels;
	Prometheus__Sample *samples, **psamples;
	Prometheus__MetricMetadata *meta, **pmeta;
	Prometheus__Histogram *hists, **phists;
	Prometheus__BucketSpan *spans, **pspans;
	int64_t *deltas;
	char (*names)[160], (*les)[32];
	size_t nseries, nlabels, nmeta, ndeltas;
	int64_t ts_ms;
	size_t max_points;
	bool classic; /* log2 histograms as classic series too */
	body_fn emit;
	void *ctx;
	/* the point being laid out */
	struct labels pl;
	struct hseries h;
	bool stale; /* its file is gone: every value is STALE_NAN */
	const struct smetric *cur; /* the metric whose metadata was sent */
};

static void req_alloc(struct req *r, size_t max, size_t buckets)
{
	r->hists = xcalloc(max, sizeof(*r->hists));
	r->phists = xcalloc(max, sizeof(*r->phists));
	r->spans = xcalloc(max, sizeof(*r->spans));
	r->pspans = xcalloc(max, sizeof(*r->pspans));
	r->deltas = xcalloc(buckets + max, sizeof(*r->deltas));
	r->series = xcalloc(max, sizeof(*r->series));
	r->pseries = xcalloc(max, sizeof(*r->pseries));
	r->labels = xcalloc(max * LABELS, sizeof(*r->labels));
	r->plabels = xcalloc(max * LABELS, sizeof(*r->plabels));
	r->samples = xcalloc(max, sizeof(*r->samples));
	r->psamples = xcalloc(max, sizeof(*r->psamples));
	r->meta = xcalloc(max, sizeof(*r->meta));
	r->pmeta = xcalloc(max, sizeof(*r->pmeta));
	r->names = xcalloc(max, sizeof(*r->names));
	r->les = xcalloc(max, sizeof(*r->les));
}

static void req_free(struct req *r)
{
	free(r->series), free(r->pseries), free(r->labels), free(r->plabels);
	free(r->samples), free(r->psamples), free(r->meta), free(r->pmeta);
	free(r->names), free(r->les), free(r->hists), free(r->phists);
	free(r->spans), free(r->pspans), free(r->deltas);
	hseries_free(&r->h);
}

static void label(struct req *r, Series *ts, const char *name,
		  const char *value)
{
	Label *l = &r->labels[r->nlabels];

	*l = (Label)PROMETHEUS__LABEL__INIT;
	l->name = (char *)name;
	l->value = (char *)value;
	r->plabels[r->nlabels++] = l;
	ts->n_labels++;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(Label *const *)a)->name, (*(Label *const *)b)->name);
}

static double stale_nan(void)
{
	union {
		uint64_t u;
		double d;
	} stale = { STALE_NAN };

	return stale.d;
}

/* A series NAME SUFFIX {labels, le} without its value */
static Series *new_series(struct req *r, const struct smetric *m,
			  const char *suffix, const char *le)
{
	const struct labels *pl = &r->pl;
	Series *ts = &r->series[r->nseries];

	*ts = (Series)PROMETHEUS__TIME_SERIES__INIT;
	ts->labels = &r->plabels[r->nlabels];
	snprintf(r->names[r->nseries], sizeof(r->names[0]), "%s%s", m->name,
		 suffix);
	label(r, ts, "__name__", r->names[r->nseries]);
	for (size_t i = 0; i < pl->n; i++)
		label(r, ts, pl->l[i].name, pl->l[i].value);
	if (pl->instance)
		label(r, ts, "instance", pl->instance);
	if (le)
		label(r, ts, "le", le);
	qsort(ts->labels, ts->n_labels, sizeof(*ts->labels), by_name);
	r->pseries[r->nseries] = ts;
	return ts;
}

/* One series: NAME SUFFIX {labels, le} = V */
static void series(struct req *r, const struct smetric *m, const char *suffix,
		   const char *le, double v)
{
	Series *ts = new_series(r, m, suffix, le);
	Prometheus__Sample *smp = &r->samples[r->nseries];

	*smp = (Prometheus__Sample)PROMETHEUS__SAMPLE__INIT;
	smp->value = r->stale ? stale_nan() : v;
	smp->timestamp = r->ts_ms;
	r->psamples[r->nseries] = smp;
	ts->samples = &r->psamples[r->nseries++];
	ts->n_samples = 1;
}

static void metadata(struct req *r, const struct smetric *m)
{
	Prometheus__MetricMetadata *md = &r->meta[r->nmeta];

	*md = (Prometheus__MetricMetadata)PROMETHEUS__METRIC_METADATA__INIT;
	md->type = (Prometheus__MetricMetadata__MetricType)m->type;
	md->metric_family_name = m->name;
	md->help = m->help;
	md->unit = strcmp(m->unit, "1") ? m->unit : "";
	r->pmeta[r->nmeta++] = md;
}

static void flush(struct req *r)
{
	Prometheus__WriteRequest msg = PROMETHEUS__WRITE_REQUEST__INIT;
	size_t len, zlen;
	char *raw, *z;

	msg.timeseries = r->pseries;
	msg.n_timeseries = r->nseries;
	msg.metadata = r->pmeta;
	msg.n_metadata = r->nmeta;
	len = prometheus__write_request__get_packed_size(&msg);
	raw = xcalloc(len, 1);
	prometheus__write_request__pack(&msg, (uint8_t *)raw);
	zlen = snappy_max_compressed_length(len);
	z = xcalloc(zlen, 1);
	if (snappy_compress(raw, len, z, &zlen) != SNAPPY_OK)
		exit(EXIT_RUNTIME);
	free(raw);
	r->emit(r->ctx, z, zlen, r->nseries);
	r->nseries = r->nlabels = r->nmeta = r->ndeltas = 0;
}

/* How many series a sample becomes */
static size_t nseries(const struct snapshot *snap, const struct sample *s,
		      struct hseries *h, bool classic)
{
	if (sample_metric(snap, s)->type != MT_HISTOGRAM)
		return 1;
	hist_series(snap, s, h);
	if (h->log2 && !classic)
		return 1;
	return h->n + 1 + h->has_sum;
}

/* At most how many series a sample becomes (a histogram's classic
 * form), without working its series out: what a request must hold
 */
static size_t nseries_max(const struct snapshot *snap, const struct sample *s)
{
	const struct hist *hi;

	if (sample_metric(snap, s)->type != MT_HISTOGRAM)
		return 1;
	hi = sample_hist(snap, s);
	return hist_nbounds(snap, hi) + 1 + hi->has_sum;
}

/* The native histogram's buckets (series.c): one span, deltas */
static void native_buckets(struct req *r, Prometheus__Histogram *nh)
{
	const struct hseries *h = &r->h;
	Prometheus__BucketSpan *sp = &r->spans[r->nseries];
	int64_t *d = &r->deltas[r->ndeltas];

	nh->zero_threshold = h->b[0].le;
	nh->zero_count_case = PROMETHEUS__HISTOGRAM__ZERO_COUNT_ZERO_COUNT_INT;
	nh->zero_count_int = (uint64_t)h->b[0].own;
	*sp = (Prometheus__BucketSpan)PROMETHEUS__BUCKET_SPAN__INIT;
	sp->offset = h->native_first;
	sp->length = (uint32_t)(h->n - 1);
	r->pspans[r->nseries] = sp;
	nh->positive_spans = &r->pspans[r->nseries];
	nh->n_positive_spans = 1;
	memcpy(d, h->delta, (h->n - 1) * sizeof(*d));
	nh->positive_deltas = d;
	nh->n_positive_deltas = h->n - 1;
	r->ndeltas += h->n - 1;
}

/* The scale-0 form (series.c) as one native histogram; gone: the marker
 * Prometheus itself stores, an empty histogram whose sum is STALE_NAN
 */
static void native(struct req *r, const struct smetric *m)
{
	Series *ts = new_series(r, m, "", NULL);
	Prometheus__Histogram *nh = &r->hists[r->nseries];

	*nh = (Prometheus__Histogram)PROMETHEUS__HISTOGRAM__INIT;
	nh->count_case = PROMETHEUS__HISTOGRAM__COUNT_COUNT_INT;
	if (r->stale) {
		nh->sum = stale_nan();
	} else {
		nh->count_int = (uint64_t)r->h.count;
		nh->sum = r->h.has_sum ? r->h.sum : NAN; /* unknown */
		native_buckets(r, nh);
	}
	nh->timestamp = r->ts_ms;
	r->phists[r->nseries] = nh;
	ts->histograms = &r->phists[r->nseries++];
	ts->n_histograms = 1;
}

static void histogram(struct req *r, const struct smetric *m)
{
	const struct hseries *h = &r->h;

	if (h->log2 && !r->classic) {
		native(r, m);
		return;
	}
	for (size_t i = 0; i < h->n; i++) {
		char *le = r->les[r->nseries];

		fmt_double(le, sizeof(r->les[0]), h->b[i].le);
		series(r, m, "_bucket", le, h->b[i].cum);
	}
	if (h->has_sum)
		series(r, m, "_sum", NULL, h->sum);
	series(r, m, "_count", NULL, h->count);
}

/* Point PT of SNAP: this snapshot's, or (STALE) the last one's */
static void point(struct req *r, const struct snapshot *snap,
		  const struct point *pt, bool stale)
{
	const struct sample *s = &snap->samples[pt->sample];
	const struct smetric *m = sample_metric(snap, s);
	size_t k = nseries(snap, s, &r->h, r->classic);

	if (r->nseries && r->nseries + k > r->max_points) {
		flush(r);
		r->cur = NULL;
	}
	if (!stale && m != r->cur)
		metadata(r, r->cur = m);
	r->pl.n = point_labels(snap, pt, true, r->pl.l);
	r->stale = stale;
	if (m->type == MT_HISTOGRAM)
		histogram(r, m);
	else
		series(r, m, "", NULL, s->value);
}

/* Each sample of the last snapshot that is gone: all those of a file
 * gone, or one gone from its file
 */
static void gone(struct req *r, const struct snapshot *snap, bool lay_out,
		 size_t *max)
{
	const struct snapshot *prev = snap->prev;
	size_t k;

	for (size_t i = 0; i < snap->n_gone; i++) {
		const struct gone *g = &snap->gone[i];
		const struct frec *f = &prev->files[g->file];
		uint32_t first = g->sample == GONE_FILE ? f->sample : g->sample;
		uint32_t end = g->sample == GONE_FILE ?
				       f->sample + f->nsamples :
				       g->sample + 1;

		for (uint32_t x = first; x < end; x++) {
			struct point pt = { x, g->cgroup, g->file };

			if (!prev->samples[x].metric)
				continue;
			if (lay_out)
				point(r, prev, &pt, true);
			else if ((k = nseries_max(prev, &prev->samples[x])) >
				 *max)
				*max = k;
		}
	}
}

void encode_remote_write(const struct snapshot *snap, const struct schemas *ss,
			 size_t max_points, bool classic, body_fn emit,
			 void *ctx)
{
	struct req r = { .ts_ms = snap->time_ns / 1000000,
			 .max_points = max_points,
			 .classic = classic,
			 .emit = emit,
			 .ctx = ctx,
			 .pl.instance = snap->instance };
	size_t n, k, max = max_points;
	struct point *pts = snapshot_by_metric(snap, ss->nids, &n);

	for (size_t i = 0; i < n; i++) /* a histogram is never split */
		if ((k = nseries_max(snap, &snap->samples[pts[i].sample])) >
		    max)
			max = k;
	gone(&r, snap, false, &max);
	req_alloc(&r, max + max_points,
		  snapshot_buckets(snap) +
			  (snap->prev ? snapshot_buckets(snap->prev) : 0));
	for (size_t i = 0; i < n; i++)
		point(&r, snap, &pts[i], false);
	gone(&r, snap, true, NULL);
	if (r.nseries)
		flush(&r);
	req_free(&r);
	free(pts);
}
