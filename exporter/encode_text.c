// SPDX-License-Identifier: GPL-2.0
/* The Prometheus text exposition format 0.0.4 (text: outputs, /metrics),
 * and OpenMetrics 1.0 text for /metrics clients that ask for it. They
 * differ in the family lines: OpenMetrics names a counter's family without
 * its _total, has a UNIT line where the name ends with the unit, escapes
 * quotes in HELP too, and ends with # EOF.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

static const char *const type_names[] = {
	[MT_COUNTER] = "counter",
	[MT_GAUGE] = "gauge",
	[MT_HISTOGRAM] = "histogram",
};

/* A label value, or (HELP) help text: 0.0.4 leaves its quotes as they are */
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

/* NAME without SUFFIX, its length */
static size_t stem(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && !strcmp(name + n - k, suffix) ? n - k : n;
}

static void put_family(struct buf *out, const struct smetric *m, bool om)
{
	int n = strlen(m->name);
	char unit[64];

	if (!om) {
		buf_printf(out, "# HELP %s ", m->name);
		put_escaped(out, m->help, true);
		buf_printf(out, "\n# TYPE %s %s\n", m->name,
			   type_names[m->type]);
		return;
	}
	if (m->type == MT_COUNTER)
		n = stem(m->name, "_total");
	buf_printf(out, "# TYPE %.*s %s\n", n, m->name, type_names[m->type]);
	snprintf(unit, sizeof(unit), "_%s", m->unit);
	if (strcmp(m->unit, "1") && (size_t)n > strlen(unit) &&
	    !strncmp(m->name + n - strlen(unit), unit, strlen(unit)))
		buf_printf(out, "# UNIT %.*s %s\n", n, m->name, m->unit);
	buf_printf(out, "# HELP %.*s ", n, m->name);
	put_escaped(out, m->help, false);
	buf_put(out, "\n", 1);
}

void encode_text(const struct snapshot *snap, const struct schemas *ss,
		 struct buf *out, bool om)
{
	size_t n, nl;
	struct point *pts = snapshot_by_metric(snap, ss->nids, &n);
	const struct smetric *fam = NULL, *m;
	const struct sample *s;
	struct label l[POINT_LABELS];
	struct hseries h = { 0 };

	for (size_t i = 0; i < n; i++) {
		s = &snap->samples[pts[i].sample];
		m = sample_metric(snap, s);
		if (m != fam)
			put_family(out, fam = m, om);
		nl = point_labels(snap, &pts[i], true, l);
		if (m->type == MT_HISTOGRAM) {
			hist_series(snap, s, &h);
			put_histogram(out, m, &h, l, nl);
		} else {
			put_series(out, m, "", l, nl, NULL);
			put_value(out, s->value);
		}
	}
	if (om)
		buf_put(out, "# EOF\n", 6);
	hseries_free(&h);
	free(pts);
}
