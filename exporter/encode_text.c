// SPDX-License-Identifier: GPL-2.0
/* Prometheus text exposition format 0.0.4, for --listen's /metrics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

static const char *const type_names[] = {
	[MT_COUNTER] = "counter",
	[MT_GAUGE] = "gauge",
	[MT_HISTOGRAM] = "histogram",
};

static void put_escaped(struct buf *out, const char *s, bool help)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_put(out, "\\\\", 2);
		else if (*s == '\n')
			buf_put(out, "\\n", 2);
		else if (*s == '"' && !help)
			buf_put(out, "\\\"", 2);
		else
			buf_put(out, s, 1);
	}
}

static void put_value(struct buf *out, double v)
{
	char num[32];

	fmt_double(num, sizeof(num), v);
	buf_printf(out, " %s\n", num);
}

/* NAME{cgroup="...",label="...",le="..."} */
static void put_series(struct buf *out, const struct snapshot *snap,
		       const struct point *pt, const char *suffix,
		       const char *le)
{
	const struct sample *s = &snap->samples[pt->sample];
	const char *sep = "{";

	buf_printf(out, "%s%s", s->m->name, suffix);
	if (pt->cgroup != UINT32_MAX) {
		buf_put(out, "{cgroup=\"", 9);
		put_escaped(out, snap_str(snap, snap->cgroups[pt->cgroup].path),
			    false);
		buf_put(out, "\"", 1);
		sep = ",";
	}
	if (sample_label(snap, s)) {
		buf_printf(out, "%s%s=\"", sep, s->m->label);
		put_escaped(out, sample_label(snap, s), false);
		buf_put(out, "\"", 1);
		sep = ",";
	}
	if (le)
		buf_printf(out, "%sle=\"%s\"", sep, le);
	if (*sep == ',')
		buf_put(out, "}", 1);
}

static void put_histogram(struct buf *out, const struct snapshot *snap,
			  const struct point *pt)
{
	const struct sample *s = &snap->samples[pt->sample];
	const struct hist *h = sample_hist(snap, s);
	double cum = 0;
	char le[32];

	for (uint32_t i = 0; i < h->nbuckets; i++) {
		const struct bucket *b = &snap->buckets[h->bucket + i];

		cum += b->count;
		fmt_double(le, sizeof(le), b->le);
		put_series(out, snap, pt, "_bucket", le);
		put_value(out, cum);
	}
	if (!h->nbuckets ||
	    !isinf(snap->buckets[h->bucket + h->nbuckets - 1].le)) {
		put_series(out, snap, pt, "_bucket", "+Inf");
		put_value(out, cum);
	}
	if (h->has_sum) {
		put_series(out, snap, pt, "_sum", NULL);
		put_value(out, h->sum);
	}
	put_series(out, snap, pt, "_count", NULL);
	put_value(out, cum);
}

void encode_text(const struct snapshot *snap, const struct schemas *ss,
		 struct buf *out)
{
	size_t n;
	struct point *pts = snapshot_by_metric(snap, ss->nids, &n);
	const struct smetric *fam = NULL, *m;

	for (size_t i = 0; i < n; i++) {
		m = snap->samples[pts[i].sample].m;
		if (m != fam) {
			fam = m;
			buf_printf(out, "# HELP %s ", m->name);
			put_escaped(out, m->help, true);
			buf_printf(out, "\n# TYPE %s %s\n", m->name,
				   type_names[m->type]);
		}
		if (m->type == MT_HISTOGRAM) {
			put_histogram(out, snap, &pts[i]);
		} else {
			put_series(out, snap, &pts[i], "", NULL);
			put_value(out, snap->samples[pts[i].sample].value);
		}
	}
	free(pts);
}
