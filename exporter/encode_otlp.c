// SPDX-License-Identifier: GPL-2.0
/* OTLP/HTTP protobuf (proto/otlp.proto): ExportMetricsServiceRequests of
 * at most max_points data points each. Counters are cumulative monotonic
 * sums, gauges gauges, histograms exponential histograms at scale 0 when
 * all points of the metric are log2 (unless CLASSIC), explicit-bucket
 * histograms otherwise. The
 * resource is this exporter on this host (service, host and os attributes
 * of the semantic conventions); a point's attributes are its labels.
 */
#include <stdlib.h>
#include <string.h>

#include "exporter.h"
#include "otlp.pb-c.h"

typedef Opentelemetry__Proto__KeyValue KeyValue;
typedef Opentelemetry__Proto__AnyValue AnyValue;
typedef Opentelemetry__Proto__Metric Metric;
typedef Opentelemetry__Proto__NumberDataPoint NumberPoint;
typedef Opentelemetry__Proto__HistogramDataPoint HistPoint;
typedef Opentelemetry__Proto__ExponentialHistogramDataPoint ExpPoint;
typedef Opentelemetry__Proto__ExponentialHistogramDataPoint__Buckets ExpBuckets;

#define ATTRS POINT_LABELS /* a point's: point_labels() */
#define RES_ATTRS 6 /* the resource's: resource() */

/* One request's message trees; sized for max_points once */
struct req {
	Metric *metrics, **pmetrics;
	Opentelemetry__Proto__Gauge *gauges;
	Opentelemetry__Proto__Sum *sums;
	Opentelemetry__Proto__Histogram *hists;
	Opentelemetry__Proto__ExponentialHistogram *ehists;
	NumberPoint *npoints, **pnpoints;
	HistPoint *hpoints, **phpoints;
	ExpPoint *epoints, **pepoints;
	ExpBuckets *ebuckets;
	KeyValue *kv, **pkv;
	AnyValue *av;
	uint64_t *counts;
	double *bounds;
	size_t nmetrics, npts, nkv, nbuckets;
	struct hseries h; /* hist_point()'s */
	bool classic;
};

static void req_alloc(struct req *r, size_t max, size_t buckets)
{
	r->metrics = xcalloc(max, sizeof(*r->metrics));
	r->pmetrics = xcalloc(max, sizeof(*r->pmetrics));
	r->gauges = xcalloc(max, sizeof(*r->gauges));
	r->sums = xcalloc(max, sizeof(*r->sums));
	r->hists = xcalloc(max, sizeof(*r->hists));
	r->npoints = xcalloc(max, sizeof(*r->npoints));
	r->pnpoints = xcalloc(max, sizeof(*r->pnpoints));
	r->hpoints = xcalloc(max, sizeof(*r->hpoints));
	r->phpoints = xcalloc(max, sizeof(*r->phpoints));
	r->ehists = xcalloc(max, sizeof(*r->ehists));
	r->epoints = xcalloc(max, sizeof(*r->epoints));
	r->pepoints = xcalloc(max, sizeof(*r->pepoints));
	r->ebuckets = xcalloc(max, sizeof(*r->ebuckets));
	r->kv = xcalloc(max * ATTRS + RES_ATTRS, sizeof(*r->kv));
	r->pkv = xcalloc(max * ATTRS + RES_ATTRS, sizeof(*r->pkv));
	r->av = xcalloc(max * ATTRS + RES_ATTRS, sizeof(*r->av));
	r->counts = xcalloc(buckets + max, sizeof(*r->counts));
	r->bounds = xcalloc(buckets + max, sizeof(*r->bounds));
}

static void req_free(struct req *r)
{
	free(r->metrics), free(r->pmetrics), free(r->gauges), free(r->sums);
	free(r->hists), free(r->npoints), free(r->pnpoints);
	free(r->hpoints), free(r->phpoints), free(r->kv), free(r->pkv);
	free(r->av), free(r->counts), free(r->bounds), free(r->ehists);
	free(r->epoints), free(r->pepoints), free(r->ebuckets);
	hseries_free(&r->h);
}

static KeyValue *attr(struct req *r, const char *key, const char *value)
{
	KeyValue *kv = &r->kv[r->nkv];
	AnyValue *av = &r->av[r->nkv];

	*av = (AnyValue)OPENTELEMETRY__PROTO__ANY_VALUE__INIT;
	av->value_case = OPENTELEMETRY__PROTO__ANY_VALUE__VALUE_STRING_VALUE;
	av->string_value = (char *)value;
	*kv = (KeyValue)OPENTELEMETRY__PROTO__KEY_VALUE__INIT;
	kv->key = (char *)key;
	kv->value = av;
	r->pkv[r->nkv++] = kv;
	return kv;
}

/* The point's attributes (point_labels()); returns the first */
static KeyValue **attrs(struct req *r, const struct snapshot *snap,
			const struct point *pt, size_t *n)
{
	KeyValue **first = &r->pkv[r->nkv];
	struct label l[POINT_LABELS];

	*n = point_labels(snap, pt, true, l);
	for (size_t i = 0; i < *n; i++)
		attr(r, l[i].name, l[i].value);
	return first;
}

static const char *otel_unit(const char *unit)
{
	if (!strcmp(unit, "seconds"))
		return "s";
	if (!strcmp(unit, "bytes"))
		return "By";
	if (!strcmp(unit, "pages"))
		return "{page}";
	return "1";
}

static void histogram_metric(struct req *r, Metric *pm, bool exp)
{
	if (exp) {
		pm->data_case =
			OPENTELEMETRY__PROTO__METRIC__DATA_EXPONENTIAL_HISTOGRAM;
		pm->exponential_histogram = &r->ehists[r->nmetrics];
		*pm->exponential_histogram =
			(Opentelemetry__Proto__ExponentialHistogram)
				OPENTELEMETRY__PROTO__EXPONENTIAL_HISTOGRAM__INIT;
		pm->exponential_histogram->aggregation_temporality =
			OPENTELEMETRY__PROTO__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE;
		pm->exponential_histogram->data_points = &r->pepoints[r->npts];
		return;
	}
	pm->data_case = OPENTELEMETRY__PROTO__METRIC__DATA_HISTOGRAM;
	pm->histogram = &r->hists[r->nmetrics];
	*pm->histogram = (Opentelemetry__Proto__Histogram)
		OPENTELEMETRY__PROTO__HISTOGRAM__INIT;
	pm->histogram->aggregation_temporality =
		OPENTELEMETRY__PROTO__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE;
	pm->histogram->data_points = &r->phpoints[r->npts];
}

/* A metric for M; a histogram's kind is that of its first point (EXP) */
static Metric *new_metric(struct req *r, const struct smetric *m, bool exp)
{
	Metric *pm = &r->metrics[r->nmetrics];

	*pm = (Metric)OPENTELEMETRY__PROTO__METRIC__INIT;
	pm->name = m->name;
	pm->description = m->help;
	pm->unit = (char *)otel_unit(m->unit);
	r->pmetrics[r->nmetrics] = pm;
	if (m->type == MT_HISTOGRAM) {
		histogram_metric(r, pm, exp);
	} else if (m->type == MT_COUNTER) {
		pm->data_case = OPENTELEMETRY__PROTO__METRIC__DATA_SUM;
		pm->sum = &r->sums[r->nmetrics];
		*pm->sum = (Opentelemetry__Proto__Sum)
			OPENTELEMETRY__PROTO__SUM__INIT;
		pm->sum->aggregation_temporality =
			OPENTELEMETRY__PROTO__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE;
		pm->sum->is_monotonic = 1;
		pm->sum->data_points = &r->pnpoints[r->npts];
	} else {
		pm->data_case = OPENTELEMETRY__PROTO__METRIC__DATA_GAUGE;
		pm->gauge = &r->gauges[r->nmetrics];
		*pm->gauge = (Opentelemetry__Proto__Gauge)
			OPENTELEMETRY__PROTO__GAUGE__INIT;
		pm->gauge->data_points = &r->pnpoints[r->npts];
	}
	r->nmetrics++;
	return pm;
}

static void hist_point(struct req *r, HistPoint *hp)
{
	hp->count = r->h.count;
	hp->sum = r->h.sum;
	hp->bucket_counts = &r->counts[r->nbuckets];
	hp->explicit_bounds = &r->bounds[r->nbuckets];
	hp->n_bucket_counts = r->h.n;
	hp->n_explicit_bounds = r->h.n - 1; /* the +Inf bucket has none */
	for (size_t i = 0; i < r->h.n; i++) {
		hp->bucket_counts[i] = r->h.b[i].own;
		hp->explicit_bounds[i] = r->h.b[i].le;
	}
	r->nbuckets += r->h.n;
}

/* The scale-0 form (series.c): OTLP's bucket i is (2^i, 2^(i+1)] */
static void exp_point(struct req *r, ExpPoint *ep)
{
	ExpBuckets *pos = &r->ebuckets[r->npts];

	ep->count = r->h.count;
	ep->sum = r->h.sum;
	ep->scale = 0;
	ep->zero_count = r->h.b[0].own;
	ep->zero_threshold = r->h.b[0].le;
	*pos = (ExpBuckets)
		OPENTELEMETRY__PROTO__EXPONENTIAL_HISTOGRAM_DATA_POINT__BUCKETS__INIT;
	pos->offset = r->h.exp_min;
	pos->bucket_counts = &r->counts[r->nbuckets];
	pos->n_bucket_counts = r->h.n - 1;
	for (size_t i = 1; i < r->h.n; i++)
		pos->bucket_counts[i - 1] = r->h.b[i].own;
	r->nbuckets += r->h.n - 1;
	ep->positive = pos;
}

/* Whether the metric of PTS[I] goes out as exponential histograms: it is
 * a histogram and all its points (PTS[I..]) are log2. One kind for all,
 * as OTLP wants one type per metric name.
 */
static bool exponential(struct req *r, const struct snapshot *snap,
			const struct point *pts, size_t n, size_t i)
{
	const struct smetric *m = point_metric(snap, &pts[i]);

	if (m->type != MT_HISTOGRAM || r->classic)
		return false;
	for (; i < n && point_metric(snap, &pts[i]) == m; i++) {
		hist_series(snap, &snap->samples[pts[i].sample], &r->h);
		if (!r->h.log2)
			return false;
	}
	return true;
}

/* Sample S as a histogram point of PM */
static void add_hist(struct req *r, const struct snapshot *snap,
		     const struct sample *s, Metric *pm, KeyValue **a,
		     size_t nattrs, uint64_t start)
{
	HistPoint *hp = &r->hpoints[r->npts];
	ExpPoint *ep = &r->epoints[r->npts];
	uint64_t now = snap->time_ns;

	hist_series(snap, s, &r->h);
	if (pm->data_case ==
	    OPENTELEMETRY__PROTO__METRIC__DATA_EXPONENTIAL_HISTOGRAM) {
		*ep = (ExpPoint)
			OPENTELEMETRY__PROTO__EXPONENTIAL_HISTOGRAM_DATA_POINT__INIT;
		ep->attributes = a;
		ep->n_attributes = nattrs;
		ep->start_time_unix_nano = start;
		ep->time_unix_nano = now;
		exp_point(r, ep);
		r->pepoints[r->npts++] = ep;
		pm->exponential_histogram->n_data_points++;
		return;
	}
	*hp = (HistPoint)OPENTELEMETRY__PROTO__HISTOGRAM_DATA_POINT__INIT;
	hp->attributes = a;
	hp->n_attributes = nattrs;
	hp->start_time_unix_nano = start;
	hp->time_unix_nano = now;
	hist_point(r, hp);
	r->phpoints[r->npts++] = hp;
	pm->histogram->n_data_points++;
}

static void add_point(struct req *r, const struct snapshot *snap,
		      const struct point *pt, Metric *pm)
{
	const struct sample *s = &snap->samples[pt->sample];
	enum mtype type = sample_metric(snap, s)->type;
	NumberPoint *np = &r->npoints[r->npts];
	size_t nattrs;
	KeyValue **a = attrs(r, snap, pt, &nattrs);

	if (type == MT_HISTOGRAM) {
		add_hist(r, snap, s, pm, a, nattrs, point_start(snap, pt));
		return;
	}
	*np = (NumberPoint)OPENTELEMETRY__PROTO__NUMBER_DATA_POINT__INIT;
	np->attributes = a;
	np->n_attributes = nattrs;
	np->time_unix_nano = snap->time_ns;
	np->value_case =
		OPENTELEMETRY__PROTO__NUMBER_DATA_POINT__VALUE_AS_DOUBLE;
	np->as_double = s->value;
	r->pnpoints[r->npts++] = np;
	if (type == MT_COUNTER) {
		np->start_time_unix_nano = point_start(snap, pt);
		pm->sum->n_data_points++;
	} else {
		pm->gauge->n_data_points++;
	}
}

/* The machine id as a UUID (8-4-4-4-12), for service.instance.id */
static void uuid(char out[37], const char *id)
{
	for (int i = 0, o = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[o++] = '-';
		out[o++] = id[i];
	}
	out[36] = '\0';
}

/* The OpenTelemetry semantic conventions' service, host and os */
static void resource(struct req *r, const struct snapshot *snap,
		     Opentelemetry__Proto__Resource *res)
{
	static char instance[37];

	if (*snap->host_id)
		uuid(instance, snap->host_id);
	res->attributes = &r->pkv[r->nkv];
	attr(r, "service.name", "cgview-exporter");
	attr(r, "service.instance.id", *snap->host_id ? instance : snap->host);
	attr(r, "host.name", snap->host);
	attr(r, "os.type", "linux");
	attr(r, "os.version", snap->kernel);
	res->n_attributes = 5;
	if (*snap->host_id) {
		attr(r, "host.id", snap->host_id);
		res->n_attributes++;
	}
}

static void flush(struct req *r, const struct snapshot *snap, body_fn emit,
		  void *ctx)
{
	Opentelemetry__Proto__ExportMetricsServiceRequest msg =
		OPENTELEMETRY__PROTO__EXPORT_METRICS_SERVICE_REQUEST__INIT;
	Opentelemetry__Proto__ResourceMetrics
		rm = OPENTELEMETRY__PROTO__RESOURCE_METRICS__INIT,
		*prm = &rm;
	Opentelemetry__Proto__Resource res =
		OPENTELEMETRY__PROTO__RESOURCE__INIT;
	Opentelemetry__Proto__ScopeMetrics
		sm = OPENTELEMETRY__PROTO__SCOPE_METRICS__INIT,
		*psm = &sm;
	Opentelemetry__Proto__InstrumentationScope scope =
		OPENTELEMETRY__PROTO__INSTRUMENTATION_SCOPE__INIT;
	char *body;
	size_t len;

	resource(r, snap, &res);
	scope.name = "cgview-exporter";
	scope.version = CGVIEW_VERSION;
	sm.scope = &scope;
	sm.metrics = r->pmetrics;
	sm.n_metrics = r->nmetrics;
	rm.resource = &res;
	rm.scope_metrics = &psm;
	rm.n_scope_metrics = 1;
	msg.resource_metrics = &prm;
	msg.n_resource_metrics = 1;
	len = opentelemetry__proto__export_metrics_service_request__get_packed_size(
		&msg);
	body = xcalloc(len, 1);
	opentelemetry__proto__export_metrics_service_request__pack(
		&msg, (uint8_t *)body);
	emit(ctx, body, len, r->npts);
	r->nmetrics = r->npts = r->nkv = r->nbuckets = 0;
}

void encode_otlp(const struct snapshot *snap, const struct schemas *ss,
		 size_t max_points, bool classic, body_fn emit, void *ctx)
{
	struct req r = { .classic = classic };
	size_t n;
	struct point *pts = snapshot_by_metric(snap, ss->nids, &n);
	const struct smetric *cur = NULL, *m;
	Metric *pm = NULL;
	bool exp = false;

	req_alloc(&r, max_points, snapshot_buckets(snap));
	for (size_t i = 0; i < n; i++) {
		m = point_metric(snap, &pts[i]);
		if (m != cur)
			exp = exponential(&r, snap, pts, n, i);
		if (r.npts == max_points) {
			flush(&r, snap, emit, ctx);
			cur = NULL;
		}
		if (m != cur) {
			cur = m;
			pm = new_metric(&r, m, exp);
		}
		add_point(&r, snap, &pts[i], pm);
	}
	if (r.npts)
		flush(&r, snap, emit, ctx);
	req_free(&r);
	free(pts);
}
