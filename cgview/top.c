// SPDX-License-Identifier: GPL-2.0
/* cgview top [CGROUP]: what cgview knows of every cgroup below CGROUP,
 * live: on a terminal (top_tui.c), or with -b as plain text, one table
 * per refresh, for scripts. The first table comes one refresh after the
 * start: rates need two snapshots.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgview.h"
#include "top.h"

/* One table: the titles, then a line per row shown */
static int print_table(const struct model *m, struct view_opts *o)
{
	size_t n, *order = view_order(m, o, &n);
	unsigned cols = view_columns(m);
	char buf[PATH_MAX + 256];

	if (!order)
		return -ENOMEM;
	o->pathw = view_path_width(m, order, n, o) + 1;
	view_header(buf, sizeof(buf), cols, o, sizeof(buf) - 1);
	printf("%s\n", buf);
	for (size_t i = 0; i < n; i++) {
		view_row(buf, sizeof(buf), cols, o, &m->rows[order[i]],
			 sizeof(buf) - 1);
		printf("%s\n", buf);
	}
	free(order);
	return 0;
}

/* -b: ITERATIONS tables (0: until killed), a blank line between them */
static int batch(struct top_run *t, unsigned long iterations)
{
	struct feed f;
	struct model m = { 0 };
	Cgview__Snapshot *s;
	unsigned long done = 0;
	int r, status,
		err = feed_start(&f, t->exporter, t->root, t->delay_ms,
				 iterations ? iterations + 1 : 0, false);

	if (err) {
		err_msg(-err, "cannot start %s", t->exporter);
		return EXIT_FAIL;
	}
	while (!err && (r = feed_read(&f, &s)) >= 0) {
		if (r == 0) {
			err = feed_wait(&f);
			continue;
		}
		r = model_update(&m, s);
		cgview__snapshot__free_unpacked(s, NULL);
		if (r == 1 && (err = print_table(&m, &t->view)) == 0) {
			fputs(++done == iterations ? "" : "\n", stdout);
			fflush(stdout);
		}
		err = r < 0 ? r : err;
	}
	if (!err && r != -EPIPE)
		err = r;
	status = feed_stop(&f);
	model_free(&m);
	if (err || status || done < iterations) {
		err_msg(err < 0 ? -err : 0,
			"cgview-exporter stopped (exit status %d) after %lu of %lu tables",
			status, done, iterations);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int usage(const char *what, const char *arg)
{
	fprintf(stderr, "cgview: top: ");
	fprintf(stderr, what, arg);
	fputs("\nrun 'cgview help' for usage\n", stderr);
	return EXIT_USAGE;
}

/* --sort's COLUMN: a name, or the key that sorts by it */
static int sort_column(const char *name)
{
	static const char *const names[] = { "cpu", "wait", "mem", "io",
					     "net", "oom",  "path" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return view_sort_key(names[i][0]);
	return -1;
}

/* The options into T and *ITERATIONS; EXIT_USAGE when one is wrong */
static int options(const struct top_opts *o, struct top_run *t,
		   unsigned long *iterations)
{
	char *end = NULL;
	double d = o->delay ? strtod(o->delay, &end) : 1;
	int sort = o->sort ? sort_column(o->sort) : COL_CPU;

	if (o->delay && (*end || end == o->delay || !(d >= 0.1 && d <= 3600)))
		return usage("-d takes seconds from 0.1 to 3600, not '%s'",
			     o->delay);
	if (sort < 0)
		return usage(
			"-s takes cpu, wait, mem, io, net, oom or path, not '%s'",
			o->sort);
	*iterations = o->iterations ? strtoul(o->iterations, &end, 10) : 0;
	if (o->iterations && (*end || end == o->iterations ||
			      *o->iterations == '-' || !*iterations))
		return usage("-n takes a count of tables from 1, not '%s'",
			     o->iterations);
	if (o->iterations && !o->batch)
		return usage("%s", "-n goes with -b");
	t->delay_ms = (unsigned)(d * 1000 + 0.5);
	t->view = (struct view_opts){ .sort = sort,
				      .reverse = o->reverse,
				      .tree = o->tree,
				      .filter = o->filter };
	return 0;
}

int cmd_top(int argc, char **argv, const struct cmd_opts *o)
{
	char exporter[PATH_MAX + 32];
	struct cgroup_ref cg;
	struct top_run t = { .exporter = exporter };
	unsigned long iterations;

	if (options(&o->top, &t, &iterations))
		return EXIT_USAGE;
	if (cgroup_resolve(argc ? argv[0] : "/", &cg))
		return EXIT_FAIL;
	exporter_path(exporter, sizeof(exporter));
	t.root = cg.path;
	t.rootname = cgroup_name(&cg);
	if (o->top.batch)
		return batch(&t, iterations);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		err_msg(0, "top wants a terminal; -b prints plain text");
		return EXIT_FAIL;
	}
	return top_tui(&t);
}
