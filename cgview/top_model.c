// SPDX-License-Identifier: GPL-2.0
/* cgview top's columns and their values: each snapshot's samples summed
 * per cgroup and column (a column takes keys of one file, by schema key,
 * all labels: every device of io.stat), then against the snapshot before
 * by cgroup id: counters as rates over the time between the two, gauges
 * as they are, histograms as the 99th percentile of what they counted
 * meanwhile.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cgview.h"
#include "escape.h"
#include "top.h"

const struct column columns[NCOLS] = {
	[COL_CPU] = { "CPU%",
		      'c',
		      "cpu.stat",
		      { "usage_usec" },
		      HOW_RATE,
		      100,
		      FMT_PCT,
		      "CPU time used, % of one CPU" },
	[COL_WAIT] = { "WAIT/s",
		       'w',
		       "bpf.sched_wait",
		       { "wait_total_ns" },
		       HOW_RATE,
		       1,
		       FMT_SECS,
		       "time its tasks waited on a runqueue, per second" },
	[COL_WAIT99] = { "WAIT99",
			 0,
			 "bpf.sched_wait",
			 { "wait_hist_ns" },
			 HOW_P99,
			 1,
			 FMT_SECS,
			 "99th percentile of one runqueue wait" },
	[COL_MEM] = { "MEM",
		      'm',
		      "memory.current",
		      { "." },
		      HOW_VALUE,
		      1,
		      FMT_BYTES,
		      "memory used (memory.current)" },
	[COL_IO] = { "IO/s",
		     'i',
		     "io.stat",
		     { "*.rbytes", "*.wbytes" },
		     HOW_RATE,
		     1,
		     FMT_BYTES,
		     "block I/O read and written" },
	[COL_IO99] = { "IO99",
		       0,
		       "bpf.io_latency",
		       { "latency_hist_ns" },
		       HOW_P99,
		       1,
		       FMT_SECS,
		       "99th percentile of a block request's latency" },
	[COL_NET] = { "NET/s",
		      'n',
		      "bpf.net",
		      { "tcp_rx_bytes", "tcp_tx_bytes" },
		      HOW_RATE,
		      1,
		      FMT_BYTES,
		      "TCP bytes received and sent" },
	[COL_RETX] = { "RETX/s",
		       'r',
		       "bpf.net",
		       { "tcp_retransmits" },
		       HOW_RATE,
		       1,
		       FMT_RATE,
		       "TCP segments retransmitted" },
	[COL_OOM] = { "OOM",
		      'o',
		      "memory.events",
		      { "oom_kill" },
		      HOW_VALUE,
		      1,
		      FMT_COUNT,
		      "tasks the OOM killer killed, ever" },
	[COL_PSI_CPU] = { "PSI-CPU",
			  0,
			  "cpu.pressure",
			  { "some.total" },
			  HOW_RATE,
			  100,
			  FMT_PCT,
			  "% of the time some task waited for a CPU",
			  100 },
	[COL_PSI_MEM] = { "PSI-MEM",
			  0,
			  "memory.pressure",
			  { "full.total" },
			  HOW_RATE,
			  100,
			  FMT_PCT,
			  "% of the time all tasks stalled on memory",
			  100 },
	[COL_PSI_IO] = { "PSI-IO",
			 0,
			 "io.pressure",
			 { "full.total" },
			 HOW_RATE,
			 100,
			 FMT_PCT,
			 "% of the time all tasks stalled on I/O",
			 100 },
};

/* One column's sum for one cgroup in one snapshot */
struct acc {
	double sum;
	size_t nb; /* histograms: buckets (cumulative, as the stream's) */
	double *le, *cum;
};
struct cgstate {
	uint64_t id;
	unsigned has;
	struct acc a[NCOLS];
};

static void acc_free(struct cgstate *s)
{
	for (int c = 0; c < NCOLS; c++) {
		free(s->a[c].le);
		free(s->a[c].cum);
	}
}

/* Histogram sample SM added to A (a first one sets its bounds; one with
 * other bounds makes the column unknown: nb = SIZE_MAX)
 */
static int add_hist(struct acc *a, const Cgview__Sample *sm, bool first)
{
	if (first) {
		a->nb = sm->n_buckets;
		a->le = calloc(a->nb + 1, sizeof(*a->le));
		a->cum = calloc(a->nb + 1, sizeof(*a->cum));
		if (!a->le || !a->cum)
			return -ENOMEM;
		for (size_t i = 0; i < a->nb; i++)
			a->le[i] = sm->buckets[i]->le;
	}
	if (a->nb != sm->n_buckets)
		a->nb = SIZE_MAX;
	for (size_t i = 0; a->nb != SIZE_MAX && i < a->nb; i++) {
		if (sm->buckets[i]->le != a->le[i]) {
			a->nb = SIZE_MAX;
			break;
		}
		a->cum[i] += sm->buckets[i]->count;
	}
	return 0;
}

/* The column metric M counts in, NCOLS for none */
static int column_of(const Cgview__Metric *m)
{
	for (int c = 0; c < NCOLS; c++) {
		if (strcmp(columns[c].file, m->file))
			continue;
		for (int k = 0; k < 2 && columns[c].keys[k]; k++)
			if (!strcmp(columns[c].keys[k], m->key))
				return c;
	}
	return NCOLS;
}

static int add_sample(struct cgstate *st, const Cgview__Sample *sm,
		      const int *col)
{
	int c = col[sm->metric];
	bool first = !(st->has & 1U << c);

	if (c == NCOLS)
		return 0;
	st->has |= 1U << c;
	if (columns[c].how == HOW_P99)
		return add_hist(&st->a[c], sm, first);
	st->a[c].sum += sm->value;
	return 0;
}

static int cg_state(struct cgstate *st, const Cgview__Cgroup *cg,
		    const int *col, size_t ncol)
{
	int err = 0;

	*st = (struct cgstate){ .id = cg->id };
	for (size_t f = 0; f < cg->n_files && !err; f++)
		for (size_t i = 0; i < cg->files[f]->n_samples && !err; i++)
			if (cg->files[f]->samples[i]->metric < ncol)
				err = add_sample(st, cg->files[f]->samples[i],
						 col);
	return err;
}

static int by_id(const void *a, const void *b)
{
	const struct cgstate *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The 99th percentile of what the buckets counted between P and C,
 * interpolated in its bucket as Prometheus' histogram_quantile() does
 */
static bool p99(const struct acc *p, const struct acc *c, double *v)
{
	double total, rank, below = 0, n, lo = 0;

	if (c->nb == SIZE_MAX || p->nb != c->nb || !c->nb ||
	    memcmp(p->le, c->le, c->nb * sizeof(*c->le)))
		return false;
	total = c->cum[c->nb - 1] - p->cum[c->nb - 1];
	if (total <= 0)
		return false;
	rank = 0.99 * total;
	for (size_t i = 0; i < c->nb; i++) {
		n = c->cum[i] - p->cum[i];
		if (n >= rank) {
			*v = isinf(c->le[i]) ?
				     lo :
				     lo + (c->le[i] - lo) * (rank - below) /
						     (n - below);
			return true;
		}
		below = n;
		lo = c->le[i];
	}
	return false;
}

/* Column C of row R from the states of now (S) and before (P) */
static void value(struct row *r, int c, const struct cgstate *s,
		  const struct cgstate *p, double dt)
{
	double v;

	if (!(s->has & 1U << c))
		return;
	if (columns[c].how == HOW_VALUE) {
		v = s->a[c].sum;
	} else if (!p || !(p->has & 1U << c)) {
		return;
	} else if (columns[c].how == HOW_P99) {
		if (!p99(&p->a[c], &s->a[c], &v))
			return;
	} else {
		v = (s->a[c].sum - p->a[c].sum) / dt;
		if (v < 0 || dt <= 0)
			return; /* a counter reset, a device gone */
	}
	r->v[c] = v * columns[c].scale;
	/* a share of time: the kernel's counter and the snapshot's clock
	 * are not read at one instant, so over a short interval the rate
	 * can come out above it
	 */
	if (columns[c].max && r->v[c] > columns[c].max)
		r->v[c] = columns[c].max;
	r->has |= 1U << c;
}

/* PATH (the exporter's UTF-8 form, escapes undone) as top shows it: a
 * byte outside printable ASCII or a space as \xHH, and a backslash that
 * would read as such as \x5c, so that a tenant's cgroup name can neither
 * drive the terminal (escape sequences), nor split a line or a column of
 * -b output, nor pass for another name
 */
static char *escaped(const char *path)
{
	size_t len = strlen(path);
	char *raw = malloc(len + 1), *out = malloc(NAME_SHOWN_MAX(len));

	if (!raw || !out) {
		free(raw);
		free(out);
		return NULL;
	}
	name_show(out, raw, name_unescape(raw, path, len));
	free(raw);
	return out;
}

static int make_row(struct model *m, const Cgview__Cgroup *cg,
		    const struct cgstate *s, size_t base_depth)
{
	struct row *r = &m->rows[m->nrows];
	const struct cgstate *p =
		bsearch(s, m->prev, m->nprev, sizeof(*s), by_id);
	size_t depth = 0;

	*r = (struct row){ .id = cg->id, .path = escaped(cg->path) };
	if (!r->path)
		return -ENOMEM;
	m->nrows++;
	for (const char *q = cg->path; *q; q++)
		depth += *q == '/';
	r->depth = depth > base_depth ? (int)(depth - base_depth) : 0;
	if (!strcmp(cg->path, "/"))
		r->depth = 0;
	for (int c = 0; c < NCOLS; c++)
		value(r, c, s, p, m->dt);
	m->has |= r->has;
	return 0;
}

static void rows_free(struct model *m)
{
	for (size_t i = 0; i < m->nrows; i++)
		free(m->rows[i].path);
	free(m->rows);
	m->rows = NULL;
	m->nrows = 0;
	m->has = 0;
}

static void prev_free(struct model *m)
{
	for (size_t i = 0; i < m->nprev; i++)
		acc_free(&m->prev[i]);
	free(m->prev);
	m->prev = NULL;
	m->nprev = 0;
}

/* Snapshot S's states, in rows made against the states before */
static int rows_of(struct model *m, const Cgview__Snapshot *s,
		   struct cgstate *st, const int *col)
{
	size_t base = 0;
	int err = 0;

	if (s->n_cgroups && strcmp(s->cgroups[0]->path, "/"))
		for (const char *q = s->cgroups[0]->path; *q; q++)
			base += *q == '/';
	m->rows = calloc(s->n_cgroups + 1, sizeof(*m->rows));
	if (!m->rows)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_cgroups && !err; i++) {
		err = cg_state(&st[i], s->cgroups[i], col, s->n_metrics);
		if (!err)
			err = make_row(m, s->cgroups[i], &st[i], base);
	}
	return err;
}

int model_update(struct model *m, const Cgview__Snapshot *s)
{
	struct cgstate *st = calloc(s->n_cgroups + 1, sizeof(*st));
	int *col = calloc(s->n_metrics + 1, sizeof(*col));
	int err = st && col ? 0 : -ENOMEM;
	bool first = !m->prev_ns;

	for (size_t i = 0; i < s->n_metrics; i++)
		col[i] = column_of(s->metrics[i]);
	rows_free(m);
	m->dt = (double)(s->time_unix_nano - m->prev_ns) / 1e9;
	if (!err)
		err = rows_of(m, s, st, col);
	prev_free(m);
	if (st)
		qsort(st, s->n_cgroups, sizeof(*st), by_id);
	m->prev = st;
	m->nprev = st ? s->n_cgroups : 0;
	m->prev_ns = s->time_unix_nano;
	free(col);
	return err ? err : !first;
}

void model_free(struct model *m)
{
	rows_free(m);
	prev_free(m);
}
