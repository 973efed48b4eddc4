// SPDX-License-Identifier: GPL-2.0
/* Prometheus text exposition format 0.0.4, for --listen's /metrics. */
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

/* NAME SUFFIX{labels...,le="..."} */
static void put_series(struct buf *out, const struct smetric *m,
		       const char *suffix, const struct label *l, size_t n,
		       const char *le)
{
	buf_printf(out, "%s%s", m->name, suffix);
	for (size_t i = 0; i < n; i++) {
		buf_printf(out, "%s%s=\"", i ? "," : "{", l[i].name);
		put_escaped(out, l[i].value, false);
		buf_put(out, "\"", 1);
	}
	if (le)
		buf_printf(out, "%sle=\"%s\"", n ? "," : "{", le);
	if (n || le)
		buf_put(out, "}", 1);
}

static void put_histogram(struct buf *out, const struct smetric *m,
			  const struct hseries *h, const struct label *l,
			  size_t n)
{
	char le[32];

	for (size_t i = 0; i < h->n; i++) {
		fmt_double(le, sizeof(le), h->b[i].le);
		put_series(out, m, "_bucket", l, n, le);
		put_value(out, h->b[i].cum);
	}
	if (h->has_sum) {
		put_series(out, m, "_sum", l, n, NULL);
		put_value(out, h->sum);
	}
	put_series(out, m, "_count", l, n, NULL);
	put_value(out, h->count);
}

static void put_family(struct buf *out, const struct smetric *m)
{
	buf_printf(out, "# HELP %s ", m->name);
	put_escaped(out, m->help, true);
	buf_printf(out, "\n# TYPE %s %s\n", m->name, type_names[m->type]);
}

void encode_text(const struct snapshot *snap, const struct schemas *ss,
		 struct buf *out)
{
	size_t n, nl;
	struct point *pts = snapshot_by_metric(snap, ss->nids, &n);
	const struct smetric *fam = NULL, *m;
	const struct sample *s;
	struct label l[MAX_LABELS + 2];
	struct hseries h = { 0 };

	for (size_t i = 0; i < n; i++) {
		s = &snap->samples[pts[i].sample];
		m = s->m;
		if (m != fam)
			put_family(out, fam = m);
		nl = point_labels(snap, &pts[i], true, l);
		if (m->type == MT_HISTOGRAM) {
			hist_series(snap, s, &h);
			put_histogram(out, m, &h, l, nl);
		} else {
			put_series(out, m, "", l, nl, NULL);
			put_value(out, s->value);
		}
	}
	hseries_free(&h);
	free(pts);
}
