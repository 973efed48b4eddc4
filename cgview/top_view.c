// SPDX-License-Identifier: GPL-2.0
/* What cgview top shows of its rows: which (a filter on the path), in
 * which order (sorted by a column, or as a tree whose siblings are
 * sorted), and each as one line of text, cells right-aligned under
 * their titles; a value a row lacks is "-".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgview.h"
#include "top.h"

#define CELL 8 /* each value column's width, its space included */

int view_sort_key(char k)
{
	if (k == 'p')
		return NCOLS;
	for (int c = 0; c < NCOLS; c++)
		if (columns[c].sort_key == k)
			return c;
	return -1;
}

unsigned view_columns(const struct model *m)
{
	return m->has;
}

/* A ordered before B (descending values, rows without one last) */
static int compare(const struct row *a, const struct row *b,
		   const struct view_opts *o)
{
	bool ha, hb;
	int d;

	if (o->sort == NCOLS) {
		d = strcmp(a->path, b->path);
		return o->reverse ? -d : d;
	}
	ha = a->has & 1U << o->sort;
	hb = b->has & 1U << o->sort;
	if (ha != hb)
		return ha ? -1 : 1;
	if (ha && a->v[o->sort] != b->v[o->sort])
		d = a->v[o->sort] > b->v[o->sort] ? -1 : 1;
	else
		d = strcmp(a->path, b->path);
	return o->reverse ? -d : d;
}

/* qsort has no context argument: the rows and options travel with each
 * index
 */
struct ref {
	const struct row *r;
	const struct view_opts *o;
	size_t i, parent; /* parent: its index in the model, SIZE_MAX: none */
};

static int by_order(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;

	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return compare(x->r, y->r, x->o);
}

static int by_path(const void *a, const void *b)
{
	return strcmp((*(const struct ref *const *)a)->r->path,
		      (*(const struct ref *const *)b)->r->path);
}

/* PATH's parent in BUF ("/a/b": "/a", "/a": "/"); false for "/" */
static bool parent_path(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash || !strcmp(path, "/"))
		return false;
	snprintf(buf, size, "%.*s", slash == path ? 1 : (int)(slash - path),
		 path);
	return true;
}

/* Each ref's parent: the row of its parent path, if there is one */
static void parents(struct ref *refs, size_t n)
{
	struct ref **sorted = calloc(n + 1, sizeof(*sorted)), key, *kp = &key,
		   **p;
	struct row probe = { 0 };
	char buf[PATH_MAX];

	if (!sorted)
		return;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &refs[i];
	qsort(sorted, n, sizeof(*sorted), by_path);
	probe.path = buf;
	key.r = &probe;
	for (size_t i = 0; i < n; i++) {
		p = NULL;
		if (parent_path(refs[i].r->path, buf, sizeof(buf)))
			p = bsearch(&kp, sorted, n, sizeof(*sorted), by_path);
		refs[i].parent = p ? (*p)->i : SIZE_MAX;
	}
	free(sorted);
}

static bool shown(const struct row *r, const struct view_opts *o)
{
	return !o->filter || !*o->filter || strstr(r->path, o->filter);
}

/* Depth first from each root (a row without a parent), children in the
 * order REFS has them (sorted within their parent)
 */
static size_t walk(const struct ref *refs, size_t n, const size_t *first,
		   size_t at, size_t *out, size_t k)
{
	size_t i = refs[at].i;

	out[k++] = i;
	for (size_t j = first[i]; j < n && refs[j].parent == i; j++)
		k = walk(refs, n, first, j, out, k);
	return k;
}

static size_t tree(struct ref *refs, size_t n, size_t *out)
{
	size_t *first = malloc((n + 1) * sizeof(*first)), k = 0;

	if (!first)
		return 0;
	for (size_t i = 0; i < n; i++)
		first[i] = n;
	for (size_t j = n; j-- > 0;)
		if (refs[j].parent != SIZE_MAX)
			first[refs[j].parent] = j;
	for (size_t j = 0; j < n; j++)
		if (refs[j].parent == SIZE_MAX)
			k = walk(refs, n, first, j, out, k);
	free(first);
	return k;
}

size_t *view_order(const struct model *m, const struct view_opts *o, size_t *n)
{
	struct ref *refs = calloc(m->nrows + 1, sizeof(*refs));
	size_t *out = calloc(m->nrows + 1, sizeof(*out)), k = 0;

	*n = 0;
	if (!refs || !out) {
		free(refs);
		free(out);
		return NULL;
	}
	for (size_t i = 0; i < m->nrows; i++)
		refs[i] = (struct ref){ &m->rows[i], o, i, SIZE_MAX };
	if (o->tree)
		parents(refs, m->nrows);
	qsort(refs, m->nrows, sizeof(*refs), by_order);
	if (o->tree)
		k = tree(refs, m->nrows, out);
	else
		for (size_t i = 0; i < m->nrows; i++)
			out[k++] = refs[i].i;
	for (size_t i = 0; i < k; i++)
		if (shown(&m->rows[out[i]], o))
			out[(*n)++] = out[i];
	free(refs);
	return out;
}

/* V in BUF, at most 7 characters whatever V: 1.5K 12.3M, 850us 12.5ms
 * 1.25s 12.5s 125s, 99.5 1250 1.2e+06; a unit is picked after rounding
 * (0.99996 s is 1.00s, not 1000.0ms; 1023.6 bytes 1.0K, not 1024B)
 */
static void cell(char *buf, size_t size, enum col_fmt fmt, double v)
{
	static const char units[] = "BKMGTPE";
	double orig = v;
	int u = 0;

	if (fmt == FMT_BYTES) {
		/* bytes as a whole number, larger units with one decimal */
		while (v >= (u ? 1023.95 : 1023.5) && u < 6)
			v /= 1024, u++;
		snprintf(buf, size, u ? "%.1f%c" : "%.0f%c", v, units[u]);
	} else if (fmt == FMT_SECS) {
		if (v < 999.5e-6)
			snprintf(buf, size, "%.0fus", v * 1e6);
		else if (v < 0.99995)
			snprintf(buf, size, "%.1fms", v * 1e3);
		else if (v < 9.995)
			snprintf(buf, size, "%.2fs", v);
		else if (v < 99.95)
			snprintf(buf, size, "%.1fs", v);
		else
			snprintf(buf, size, v < 99999.5 ? "%.0fs" : "%.0es", v);
	} else if (fmt == FMT_COUNT || v >= 999.95) {
		snprintf(buf, size, v < 999999.5 ? "%.0f" : "%.1e", v);
	} else {
		snprintf(buf, size, "%.1f", v);
	}
	if (strlen(buf) > CELL - 1) /* beyond every unit: exabytes of I/O */
		snprintf(buf, size, "%.0e", orig);
}

/* The path cell: the whole path, or in a tree the last part indented */
static const char *path_cell(const struct row *r, const struct view_opts *o,
			     char *buf, size_t size)
{
	const char *name = strrchr(r->path, '/');

	if (!o->tree || r->depth == 0 || !name)
		return r->path;
	snprintf(buf, size, "%*s%s", 2 * r->depth, "", name + 1);
	return buf;
}

size_t view_path_width(const struct model *m, const size_t *order, size_t n,
		       const struct view_opts *o)
{
	char buf[PATH_MAX + 64];
	size_t w = strlen("CGROUP");

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(
			path_cell(&m->rows[order[i]], o, buf, sizeof(buf)));
		if (l > w)
			w = l;
	}
	return w;
}

/* TEXT left-aligned in o->pathw, then the cells; cut at WIDTH */
static void line(char *buf, size_t size, const struct view_opts *o,
		 const char *text, const char *cells, size_t width)
{
	int len = snprintf(buf, size, "%-*.*s%s", (int)o->pathw, (int)o->pathw,
			   text, cells);

	if (len > 0 && (size_t)len > width && width < size)
		buf[width] = '\0';
}

void view_header(char *buf, size_t size, unsigned cols,
		 const struct view_opts *o, size_t width)
{
	char cells[NCOLS * (CELL + 1) + 1] = "";
	size_t len = 0;

	for (int c = 0; c < NCOLS; c++)
		if (cols & 1U << c)
			len += snprintf(cells + len, sizeof(cells) - len, "%*s",
					CELL, columns[c].title);
	line(buf, size, o, "CGROUP", cells, width);
}

void view_row(char *buf, size_t size, unsigned cols, const struct view_opts *o,
	      const struct row *r, size_t width)
{
	char cells[NCOLS * (CELL + 1) + 1] = "", v[32], pb[PATH_MAX + 64];
	size_t len = 0;

	for (int c = 0; c < NCOLS; c++) {
		if (!(cols & 1U << c))
			continue;
		if (r->has & 1U << c)
			cell(v, sizeof(v), columns[c].fmt, r->v[c]);
		else
			snprintf(v, sizeof(v), "-");
		len += snprintf(cells + len, sizeof(cells) - len, "%*.*s", CELL,
				CELL - 1, v);
	}
	line(buf, size, o, path_cell(r, o, pb, sizeof(pb)), cells, width);
}
