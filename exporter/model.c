// SPDX-License-Identifier: GPL-2.0
/* The typed model: a parsed file becomes samples of its schema's metrics
 * (values converted to base units, histogram buckets collected, the label
 * of a `*` key kept); keys the schema lacks become gauges and are counted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

/* Offset 0 stands for "no string", so the first byte is never used */
uint32_t snapshot_str(struct snapshot *snap, const char *s, size_t len)
{
	size_t off = snap->n_strs ? snap->n_strs : 1;

	snap->strs = grow(snap->strs, &snap->cap_strs, off + len + 1, 1);
	memcpy(snap->strs + off, s, len);
	snap->strs[off + len] = '\0';
	snap->n_strs = off + len + 1;
	return off;
}

/* S escaped (escape.c): what every output shows of a name */
uint32_t snapshot_name(struct snapshot *snap, const char *s, size_t len)
{
	size_t off = snap->n_strs ? snap->n_strs : 1;

	snap->strs = grow(snap->strs, &snap->cap_strs,
			  off + NAME_ESCAPED_MAX(len), 1);
	snap->n_strs = off + name_escape(snap->strs + off, s, len) + 1;
	return off;
}

void snapshot_reset(struct snapshot *snap)
{
	snap->n_cgroups = snap->n_files = snap->n_samples = 0;
	snap->n_hists = snap->n_bounds = snap->n_counts = snap->n_strs = 0;
	snap->self.nsamples = 0;
}

/* Where the snapshot ends now, to cut it back to (a cgroup that vanished) */
void snapshot_mark(const struct snapshot *s, struct snapshot_mark *m)
{
	*m = (struct snapshot_mark){ s->n_cgroups, s->n_files,	s->n_samples,
				     s->n_hists,   s->n_bounds, s->n_counts,
				     s->n_strs };
}

void snapshot_rollback(struct snapshot *s, const struct snapshot_mark *m)
{
	s->n_cgroups = m->cgroups;
	s->n_files = m->files;
	s->n_samples = m->samples;
	s->n_hists = m->hists;
	s->n_bounds = m->bounds;
	s->n_counts = m->counts;
	s->n_strs = m->strs;
}

void snapshot_free(struct snapshot *snap)
{
	free(snap->cgroups);
	free(snap->files);
	free(snap->samples);
	free(snap->hists);
	free(snap->bounds);
	free(snap->counts);
	free(snap->strs);
	free(snap->bsets);
	free(snap->gone);
}

static bool same_bounds(const double *a, const double *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Histogram H of sample METRIC (metric_ref()) is whole, its bounds and
 * counts the last in SNAP: it takes the bounds of the metric's histogram
 * before it if they are the same (or its first ones), and its counts
 * after the last that is not 0 are dropped
 */
void hist_end(struct snapshot *snap, struct hist *h, uint32_t metric)
{
	struct bset *b;
	size_t had = snap->n_bsets;

	while (h->ncounts && !snap->counts[h->count + h->ncounts - 1])
		h->ncounts--;
	snap->n_counts = h->count + h->ncounts;
	if (!metric)
		return;
	if (metric > had) {
		snap->bsets = grow(snap->bsets, &snap->cap_bsets, metric,
				   sizeof(*snap->bsets));
		memset(snap->bsets + had, 0,
		       (metric - had) * sizeof(*snap->bsets));
		snap->n_bsets = metric;
	}
	/* a set from a scrape before, or cut off since, is compared too */
	b = &snap->bsets[metric - 1];
	if (b->len >= h->nbuckets && b->off + b->len <= h->bound &&
	    same_bounds(snap->bounds + b->off, snap->bounds + h->bound,
			h->nbuckets)) {
		snap->n_bounds = h->bound;
		h->bound = b->off;
	} else {
		*b = (struct bset){ h->bound, h->nbuckets };
	}
}

/* The buckets of all its histograms */
size_t snapshot_buckets(const struct snapshot *snap)
{
	size_t n = 0;

	for (size_t i = 0; i < snap->n_hists; i++)
		n += snap->hists[i].nbuckets;
	return n;
}

struct mctx {
	struct snapshot *snap;
	struct schemas *ss;
	struct schema *s;
	const char *dir, *file; /* for messages: DIR/FILE, or FILE if no DIR */
	struct stats *st;
	const char *line_key; /* the label of the current line, interned */
	uint32_t label;
	struct hist *hist; /* the histogram the current line fills, NULL
			    * when the line's histogram was dropped */
	const char *hist_line;
	size_t sample; /* the histogram's sample */
	size_t first; /* the file's first sample */
};

/* The file and line, its name shown as in the outputs (escape.c) */
static void on_error(void *ctx, int line, const char *why)
{
	struct mctx *c = ctx;
	char raw[4200], key[NAME_ESCAPED_MAX(sizeof(raw))];
	int n;

	c->st->parse_errors++;
	n = snprintf(raw, sizeof(raw), "%s%s%s:%d", c->dir ? c->dir : "",
		     c->dir && c->dir[1] ? "/" : "", c->file, line);
	name_escape(key, raw,
		    n < (int)sizeof(raw) ? (size_t)n : sizeof(raw) - 1);
	warn_once(key, "%s: malformed line skipped: %s", key, why);
}

/* A histogram is exported whole or not at all: what is wrong with this
 * bucket (NULL: nothing), its bound in the unit into LE
 */
static const char *bad_bucket(struct mctx *c, const struct smetric *m,
			      const struct item *it, double *le)
{
	const struct snapshot *snap = c->snap;

	if (it->sublen == 3 && !memcmp(it->sub, "inf", 3))
		*le = INFINITY;
	else if (!parse_number(it->sub, it->sublen, le))
		return "a bucket bound is not a number";
	else
		*le /= m->div;
	if (c->hist->nbuckets && snap->bounds[snap->n_bounds - 1] >= *le)
		return "bucket bounds are not increasing";
	if (!isfinite(it->value) || it->value < 0 ||
	    it->value != floor(it->value))
		return "a bucket count is not a whole number";
	/* every count and their sum exact in a double and in a uint64_t */
	if (snap->samples[c->sample].value + it->value > 0x1p53)
		return "the bucket counts add up to more than 2^53";
	return NULL;
}

/* Drop the histogram of the current line (what it has so far, the rest
 * of the line), count it and report the line
 */
static void drop_hist(struct mctx *c, const struct item *it, const char *why)
{
	struct snapshot *snap = c->snap;

	if (c->hist && c->hist_line == it->key) {
		snap->n_samples = c->sample;
		snap->n_bounds = c->hist->bound;
		snap->n_counts = c->hist->count;
		snap->n_hists--;
	} else if (c->hist) {
		hist_end(snap, c->hist, snap->samples[c->sample].metric);
	}
	c->hist = NULL;
	c->hist_line = it->key;
	c->st->hists_dropped++;
	on_error(c, it->line, why);
}

/* Has this file given M a sample already? */
static bool seen(const struct mctx *c, const struct smetric *m)
{
	for (size_t i = c->first; i < c->snap->n_samples; i++)
		if (c->snap->samples[i].metric == metric_ref(m))
			return true;
	return false;
}

static void new_hist(struct mctx *c, struct smetric *m, const struct item *it)
{
	struct snapshot *snap = c->snap;

	if (c->hist)
		hist_end(snap, c->hist, snap->samples[c->sample].metric);
	c->hist_line = it->key;
	c->sample = snap->n_samples;
	*PUSH(snap, samples) = (struct sample){ .metric = metric_ref(m),
						.label = snap->n_hists };
	c->hist = PUSH(snap, hists);
	*c->hist = (struct hist){ .bound = snap->n_bounds,
				  .count = snap->n_counts };
}

static void add_bucket(struct mctx *c, struct smetric *m, const struct item *it)
{
	struct snapshot *snap = c->snap;
	const char *why;
	double le;

	if (c->hist_line == it->key && !c->hist)
		return; /* the rest of a dropped line */
	if (c->hist_line != it->key) {
		if (seen(c, m))
			return drop_hist(c, it,
					 "a second line for a histogram");
		new_hist(c, m, it);
	}
	why = bad_bucket(c, m, it, &le);
	if (why)
		return drop_hist(c, it, why);
	*PUSH(snap, bounds) = le;
	*PUSH(snap, counts) = it->value;
	c->hist->nbuckets++;
	c->hist->ncounts++;
	snap->samples[c->sample].value += it->value;
}

/* "key.sub", "*.sub" (with the key as label) or "key" */
static struct smetric *metric_of(struct mctx *c, const struct item *it)
{
	char key[256];
	size_t len;
	bool added;
	struct smetric *m;

	if (!it->sub) {
		m = schema_lookup(c->ss, c->s, it->key, it->keylen, &added);
	} else {
		if (it->sublen + it->keylen + 2 > sizeof(key))
			return NULL;
		len = c->s->label ? 1 : it->keylen;
		memcpy(key, c->s->label ? "*" : it->key, len);
		key[len++] = '.';
		memcpy(key + len, it->sub, it->sublen);
		len += it->sublen;
		m = schema_lookup(c->ss, c->s, key, len, &added);
	}
	if (added || !m)
		c->st->unknown_keys++;
	if (added && m->clash)
		warn_once(m->name,
			  "%s: key '%s' is exported as %s: key '%s' of %s has "
			  "its name (%s; reported once)",
			  m->file, m->key_out, m->name, m->clash->key_out,
			  m->clash->file, m->clash->name);
	return m;
}

static void on_item(void *ctx, const struct item *it)
{
	struct mctx *c = ctx;
	struct smetric *m;
	struct sample *smp;

	if (it->sub && c->s->has_hist) {
		m = schema_get(c->s, it->key, it->keylen);
		if (m && m->type == MT_HISTOGRAM)
			return add_bucket(c, m, it);
	}
	m = metric_of(c, it);
	if (m && m->type == MT_HISTOGRAM)
		return drop_hist(c, it, "a histogram wants BOUND=COUNT pairs");
	if (!m)
		return;
	if (it->sub && c->s->label && c->line_key != it->key) {
		c->line_key = it->key;
		c->label = snapshot_name(c->snap, it->key, it->keylen);
	}
	smp = PUSH(c->snap, samples);
	*smp = (struct sample){ .metric = metric_ref(m),
				.value = it->value / m->div };
	if (it->sub && c->s->label)
		smp->label = c->label;
}

/* A histogram's KEY_sum counter becomes its sum; without its histogram
 * (dropped) it is dropped too
 */
static void attach_sums(struct snapshot *snap, struct frec *f)
{
	struct sample *s, *end;
	struct hist *hist;

	if (!f->nsamples || !f->s->has_hist)
		return;
	s = snap->samples + f->sample;
	end = s + f->nsamples;
	for (struct sample *x = s; x < end; x++) {
		const struct smetric *m = sample_metric(snap, x);

		if (!m || !m->sum_of)
			continue;
		for (struct sample *h = s; h < end; h++) {
			if (h->metric == metric_ref(m->sum_of)) {
				hist = &snap->hists[h->label];
				hist->sum = x->value;
				hist->has_sum = true;
			}
		}
		x->metric = 0;
	}
}

void model_file(struct snapshot *snap, struct schemas *ss, struct schema *s,
		const char *buf, size_t len, const char *dir, const char *file,
		struct stats *st)
{
	size_t first = snap->n_samples;
	struct mctx c = { .snap = snap,
			  .ss = ss,
			  .s = s,
			  .dir = dir,
			  .file = file,
			  .st = st,
			  .first = first };
	struct frec *f = PUSH(snap, files);

	f->s = s;
	f->sample = first;
	parse_text(buf, len, on_item, on_error, &c);
	if (c.hist)
		hist_end(snap, c.hist, snap->samples[c.sample].metric);
	f = &snap->files[snap->n_files - 1];
	f->nsamples = snap->n_samples - first;
	attach_sums(snap, f);
}

static void place(struct point *pts, size_t *next, const struct sample *s,
		  size_t i, uint32_t cg, uint32_t f)
{
	if (s->metric)
		pts[next[s->metric - 1]++] = (struct point){ i, cg, f };
}

/* Every sample, grouped by metric (a counting sort over smetric ids) */
struct point *snapshot_by_metric(const struct snapshot *snap, unsigned nids,
				 size_t *n)
{
	size_t *next = calloc(nids + 1, sizeof(*next)), sum = 0, c;
	struct point *pts = malloc((snap->n_samples + 1) * sizeof(*pts));

	if (!next || !pts)
		exit(EXIT_RUNTIME);
	for (size_t i = 0; i < snap->n_samples; i++)
		if (snap->samples[i].metric)
			next[snap->samples[i].metric - 1]++;
	for (unsigned id = 0; id < nids; id++) {
		c = next[id];
		next[id] = sum;
		sum += c;
	}
	for (size_t g = 0; g < snap->n_cgroups; g++) {
		const struct cgrec *cg = &snap->cgroups[g];

		for (size_t f = cg->file; f < cg->file + cg->nfiles; f++)
			for (size_t i = snap->files[f].sample;
			     i <
			     snap->files[f].sample + snap->files[f].nsamples;
			     i++)
				place(pts, next, &snap->samples[i], i, g, f);
	}
	for (size_t i = snap->self.sample;
	     i < snap->self.sample + snap->self.nsamples; i++)
		place(pts, next, &snap->samples[i], i, UINT32_MAX, UINT32_MAX);
	*n = sum;
	free(next);
	return pts;
}
