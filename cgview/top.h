/* SPDX-License-Identifier: GPL-2.0 */
/* cgview top: cgview-exporter's snapshot stream (top_feed.c) made into
 * rows of rates and values per cgroup (top_model.c), ordered and drawn as
 * lines of text (top_view.c), printed (top.c, batch mode) or shown in a
 * terminal (top_tui.c).
 */
#ifndef CGVIEW_TOP_H
#define CGVIEW_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgview.pb-c.h"

/* top_feed.c: a cgview-exporter writing snapshots into a pipe */
struct feed {
	pid_t pid;
	int fd; /* its stdout: length-delimited Snapshots */
	int errfd; /* its stderr, or -1 when it is ours */
	uint8_t *buf;
	size_t len, cap;
	char err[256]; /* the last line it wrote on errfd */
};
/* Start one on ROOT, a snapshot every DELAY_MS, COUNT of them (0: until
 * stopped); its stderr is ours unless CAPTURE_ERR
 */
int feed_start(struct feed *f, const char *exporter, const char *root,
	       unsigned delay_ms, unsigned long count, bool capture_err);
/* 1: *SNAP is the next snapshot (free it with cgview__snapshot__free_
 * unpacked); 0: none complete yet (reading does not block); -EPIPE: the
 * stream ended; -EBADMSG: a snapshot did not decode
 */
int feed_read(struct feed *f, Cgview__Snapshot **snap);
/* Wait until there is something to read */
int feed_wait(struct feed *f);
/* Read what the exporter wrote on errfd into f->err */
void feed_read_err(struct feed *f);
/* Stop it (SIGTERM), wait; its exit status (-1: killed by a signal) */
int feed_stop(struct feed *f);

/* top_model.c: the columns, and a snapshot's values made into rows */
enum col_id {
	COL_CPU,
	COL_WAIT,
	COL_WAIT99,
	COL_MEM,
	COL_IO,
	COL_IO99,
	COL_NET,
	COL_RETX,
	COL_OOM,
	COL_PSI_CPU,
	COL_PSI_MEM,
	COL_PSI_IO,
	NCOLS
};
enum col_how { HOW_RATE, HOW_VALUE, HOW_P99 };
enum col_fmt { FMT_PCT, FMT_SECS, FMT_BYTES, FMT_COUNT, FMT_RATE };
struct column {
	const char *title;
	char sort_key; /* the key that sorts by it; 0: none */
	const char *file;
	const char *keys[2]; /* schema keys it sums (Metric.key) */
	enum col_how how;
	double scale;
	enum col_fmt fmt;
	const char *help;
	double max; /* the most it can be, 0: no bound */
};
extern const struct column columns[NCOLS];

struct row {
	uint64_t id;
	char *path; /* in the cgroup2 hierarchy */
	int depth; /* below the first row's */
	unsigned has; /* bit per column with a value */
	double v[NCOLS];
};
struct model {
	struct cgstate *prev; /* the last snapshot's, by id */
	size_t nprev;
	uint64_t prev_ns;
	struct row *rows;
	size_t nrows;
	unsigned has; /* bit per column some row has */
	double dt; /* seconds between the two snapshots */
};
/* Take snapshot S: 1 when rows hold rates over the time since the one
 * before, 0 for the first one (nothing to compare yet)
 */
int model_update(struct model *m, const Cgview__Snapshot *s);
void model_free(struct model *m);

/* top_view.c: which rows in which order, and each as a line */
struct view_opts {
	enum col_id sort; /* NCOLS: by path */
	bool reverse; /* ascending (paths: descending) */
	bool tree; /* each cgroup under its parent, siblings sorted */
	const char *filter; /* only paths containing it; NULL: all */
	size_t pathw; /* the path column's width */
};
/* The indexes of M's rows to show, in order; their count in *N */
size_t *view_order(const struct model *m, const struct view_opts *o, size_t *n);
/* The columns to show: those some row has */
unsigned view_columns(const struct model *m);
/* The header line and row R's line, at most WIDTH wide */
void view_header(char *buf, size_t size, unsigned cols,
		 const struct view_opts *o, size_t width);
void view_row(char *buf, size_t size, unsigned cols, const struct view_opts *o,
	      const struct row *r, size_t width);
/* The path column's width that fits every row of ORDER */
size_t view_path_width(const struct model *m, const size_t *order, size_t n,
		       const struct view_opts *o);
/* The column for sort key K, NCOLS for path, -1 for none */
int view_sort_key(char k);

/* top_tui.c: the interactive screen; returns an exit status */
struct top_run {
	const char *exporter, *root, *rootname;
	unsigned delay_ms;
	struct view_opts view;
};
int top_tui(struct top_run *t);

#endif
