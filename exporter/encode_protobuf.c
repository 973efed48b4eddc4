// SPDX-License-Identifier: GPL-2.0
/* The Prometheus protobuf exposition format (proto/metrics.proto), for
 * /metrics clients that ask for it: one MetricFamily per metric, each
 * after its length as a varint. A histogram carries its classic buckets
 * and, when its buckets are log2 (series.c) and not CLASSIC, its native
 * form (schema 0), which is what a Prometheus with native histograms
 * stores. Labels and buckets come from series.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"
#include "metrics.pb-c.h"

typedef Io__Prometheus__Client__Metric Metric;
typedef Io__Prometheus__Client__LabelPair LabelPair;
typedef Io__Prometheus__Client__Histogram Histogram;
typedef Io__Prometheus__Client__Bucket Bucket;
typedef Io__Prometheus__Client__BucketSpan Span;

/* One family's message tree: arrays for cap_m metrics, cap_l labels and
 * cap_b buckets, made larger (fam_room()) before a family is built
 */
struct fam {
	Metric *m, **pm;
	Io__Prometheus__Client__Counter *c;
	Io__Prometheus__Client__Gauge *g;
	Histogram *h;
	Span *sp, **psp;
	LabelPair *l, **pl;
	Bucket *b, **pb;
	int64_t *d;
	size_t cap_m, cap_l, cap_b, nm, nl, nb;
	struct hseries hs;
	bool classic;
};

static const Io__Prometheus__Client__MetricType types[] = {
	[MT_COUNTER] = IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER,
	[MT_GAUGE] = IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE,
	[MT_HISTOGRAM] = IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM,
};

static void fam_free_arrays(struct fam *f)
{
	free(f->m), free(f->pm), free(f->c), free(f->g), free(f->h);
	free(f->sp), free(f->psp), free(f->l), free(f->pl), free(f->b);
	free(f->pb), free(f->d);
}

/* Room for NM metrics with NB buckets in all; the family is empty */
static void fam_room(struct fam *f, size_t nm, size_t nb)
{
	size_t nl = nm * POINT_LABELS;

	f->nm = f->nl = f->nb = 0;
	if (nm <= f->cap_m && nl <= f->cap_l && nb <= f->cap_b)
		return;
	fam_free_arrays(f);
	f->cap_m = nm > 2 * f->cap_m ? nm : 2 * f->cap_m;
	f->cap_l = f->cap_m * POINT_LABELS;
	f->cap_b = nb > 2 * f->cap_b ? nb : 2 * f->cap_b;
	f->m = xcalloc(f->cap_m, sizeof(*f->m));
	f->pm = xcalloc(f->cap_m, sizeof(*f->pm));
	f->c = xcalloc(f->cap_m, sizeof(*f->c));
	f->g = xcalloc(f->cap_m, sizeof(*f->g));
	f->h = xcalloc(f->cap_m, sizeof(*f->h));
	f->sp = xcalloc(f->cap_m, sizeof(*f->sp));
	f->psp = xcalloc(f->cap_m, sizeof(*f->psp));
	f->l = xcalloc(f->cap_l, sizeof(*f->l));
	f->pl = xcalloc(f->cap_l, sizeof(*f->pl));
	f->b = xcalloc(f->cap_b, sizeof(*f->b));
	f->pb = xcalloc(f->cap_b, sizeof(*f->pb));
	f->d = xcalloc(f->cap_b, sizeof(*f->d));
}

/* The native form of f->hs (series.c's scale 0) into H */
static void native(struct fam *f, Histogram *h, size_t k)
{
	const struct hseries *hs = &f->hs;
	Span *sp = &f->sp[k];
	int64_t *d = &f->d[f->nb];

	h->has_schema = h->has_zero_threshold = h->has_zero_count = 1;
	h->schema = 0;
	h->zero_threshold = hs->b[0].le;
	h->zero_count = (uint64_t)hs->b[0].own;
	*sp = (Span)IO__PROMETHEUS__CLIENT__BUCKET_SPAN__INIT;
	sp->has_offset = sp->has_length = 1;
	sp->offset = hs->native_first;
	sp->length = (uint32_t)(hs->n - 1);
	f->psp[k] = sp;
	h->positive_span = &f->psp[k];
	h->n_positive_span = 1;
	memcpy(d, hs->delta, (hs->n - 1) * sizeof(*d));
	h->positive_delta = d;
	h->n_positive_delta = hs->n - 1;
	f->nb += hs->n - 1;
}

/* Sample S's histogram into metric K: the classic buckets (+Inf is the
 * count), then the native form
 */
static void histogram(struct fam *f, const struct snapshot *snap,
		      const struct sample *s, size_t k)
{
	Histogram *h = &f->h[k];
	const struct hseries *hs = &f->hs;

	hist_series(snap, s, &f->hs);
	*h = (Histogram)IO__PROMETHEUS__CLIENT__HISTOGRAM__INIT;
	h->has_sample_count = h->has_sample_sum = 1;
	h->sample_count = (uint64_t)hs->count;
	h->sample_sum = hs->has_sum ? hs->sum : NAN; /* unknown */
	h->bucket = &f->pb[f->nb];
	for (size_t i = 0; i + 1 < hs->n; i++, f->nb++) {
		Bucket *b = &f->b[f->nb];

		*b = (Bucket)IO__PROMETHEUS__CLIENT__BUCKET__INIT;
		b->has_cumulative_count = b->has_upper_bound = 1;
		b->cumulative_count = (uint64_t)hs->b[i].cum;
		b->upper_bound = hs->b[i].le;
		f->pb[f->nb] = b;
	}
	h->n_bucket = hs->n - 1;
	if (hs->log2 && !f->classic)
		native(f, h, k);
	f->m[k].histogram = h;
}

/* Point PT as the family's next metric */
static void metric(struct fam *f, const struct snapshot *snap,
		   const struct point *pt)
{
	const struct sample *s = &snap->samples[pt->sample];
	enum mtype type = sample_metric(snap, s)->type;
	size_t k = f->nm++;
	Metric *m = &f->m[k];
	struct label l[POINT_LABELS];
	size_t n = point_labels(snap, pt, true, l);

	*m = (Metric)IO__PROMETHEUS__CLIENT__METRIC__INIT;
	m->label = &f->pl[f->nl];
	m->n_label = n;
	for (size_t i = 0; i < n; i++, f->nl++) {
		f->l[f->nl] =
			(LabelPair)IO__PROMETHEUS__CLIENT__LABEL_PAIR__INIT;
		f->l[f->nl].name = (char *)l[i].name;
		f->l[f->nl].value = (char *)l[i].value;
		f->pl[f->nl] = &f->l[f->nl];
	}
	if (type == MT_HISTOGRAM) {
		histogram(f, snap, s, k);
	} else if (type == MT_COUNTER) {
		f->c[k] = (Io__Prometheus__Client__Counter)
			IO__PROMETHEUS__CLIENT__COUNTER__INIT;
		f->c[k].has_value = 1;
		f->c[k].value = s->value;
		m->counter = &f->c[k];
	} else {
		f->g[k] = (Io__Prometheus__Client__Gauge)
			IO__PROMETHEUS__CLIENT__GAUGE__INIT;
		f->g[k].has_value = 1;
		f->g[k].value = s->value;
		m->gauge = &f->g[k];
	}
	f->pm[k] = m;
}

/* protobuf-c's output, into a struct buf */
struct sink {
	ProtobufCBuffer base;
	struct buf *out;
};

static void append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
	buf_put(((struct sink *)b)->out, data, len);
}

/* The family's message, after its length (a varint), into OUT */
static void put_family(struct fam *f, const struct smetric *sm, struct buf *out)
{
	Io__Prometheus__Client__MetricFamily mf =
		IO__PROMETHEUS__CLIENT__METRIC_FAMILY__INIT;
	struct sink sink = { { append }, out };
	uint8_t len[10];
	size_t n, k = 0;

	mf.name = sm->name;
	mf.help = sm->help;
	mf.has_type = 1;
	mf.type = types[sm->type];
	mf.metric = f->pm;
	mf.n_metric = f->nm;
	n = io__prometheus__client__metric_family__get_packed_size(&mf);
	for (; n >= 0x80; n >>= 7)
		len[k++] = (uint8_t)(n | 0x80);
	len[k++] = (uint8_t)n;
	buf_put(out, len, k);
	io__prometheus__client__metric_family__pack_to_buffer(&mf, &sink.base);
}

/* A histogram's buckets, its +Inf one included */
static size_t hist_buckets(const struct snapshot *snap, const struct sample *s)
{
	return sample_hist(snap, s)->nbuckets + 1;
}

/* The points PTS[0..N) of one metric: how many, and room for their
 * buckets (classic, then native: twice theirs)
 */
static size_t family_end(const struct snapshot *snap, const struct point *pts,
			 size_t n, size_t *nb)
{
	const struct smetric *m = point_metric(snap, &pts[0]);
	size_t k = 0;

	*nb = 0;
	for (; k < n && point_metric(snap, &pts[k]) == m; k++)
		if (m->type == MT_HISTOGRAM)
			*nb += 2 * hist_buckets(snap,
						&snap->samples[pts[k].sample]);
	return k;
}

void encode_protobuf(const struct snapshot *snap, const struct schemas *ss,
		     bool classic, struct buf *out)
{
	struct fam f = { .classic = classic };
	size_t n, k, nb;
	struct point *pts = snapshot_by_metric(snap, ss->nids, &n);

	for (size_t i = 0; i < n; i += k) {
		k = family_end(snap, &pts[i], n - i, &nb);
		fam_room(&f, k, nb);
		for (size_t j = i; j < i + k; j++)
			metric(&f, snap, &pts[j]);
		put_family(&f, point_metric(snap, &pts[i]), out);
	}
	fam_free_arrays(&f);
	hseries_free(&f.hs);
	free(pts);
}
