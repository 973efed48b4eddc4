// SPDX-License-Identifier: GPL-2.0
/* cgview top on a terminal (ncurses): a status line, a line for keys or
 * the exporter's last message, the column titles, then as many rows as
 * fit, scrolled with the arrow and page keys. It waits in poll() on the
 * keyboard and the exporter's pipes, so it costs nothing between
 * snapshots.
 */
#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgview.h"
#include "top.h"

#define MIN_DELAY_MS 100
#define MAX_DELAY_MS 3600000
#define TOP_LINES 3 /* status, keys or message, titles */

struct tui {
	struct top_run *t;
	struct feed feed;
	struct model model;
	bool ready, paused, editing, quit;
	char filter[128], edit[128];
	size_t scroll;
	const char *failed; /* why the exporter stopped, NULL while it runs */
};

static int restart(struct tui *u)
{
	model_free(&u->model);
	u->model = (struct model){ 0 };
	u->ready = false;
	feed_stop(&u->feed);
	return feed_start(&u->feed, u->t->exporter, u->t->root, u->t->delay_ms,
			  0, true);
}

static void status(struct tui *u, size_t shown)
{
	const struct view_opts *o = &u->t->view;

	mvprintw(
		0, 0,
		"cgview top  %s  %zu/%zu cgroups  every %.1fs  sort %s%s  %s%s%s%s",
		u->t->rootname, shown, u->model.nrows, u->t->delay_ms / 1000.0,
		o->sort == NCOLS ? "path" : columns[o->sort].title,
		o->reverse ? " (reversed)" : "", o->tree ? "tree" : "flat",
		u->paused ? "  PAUSED" : "", *u->filter ? "  filter: " : "",
		u->filter);
	clrtoeol();
	if (u->editing)
		mvprintw(1, 0, "filter: %s_", u->edit);
	else if (*u->feed.err)
		mvprintw(1, 0, "cgview-exporter: %s", u->feed.err);
	else
		mvprintw(
			1, 0,
			"q quit  space pause  t tree  c w m i n o p sort  < > column  R reverse  / filter  + - interval");
	clrtoeol();
}

static void draw(struct tui *u)
{
	struct view_opts *o = &u->t->view;
	size_t n, width = COLS > 0 ? (size_t)COLS : 80, rows;
	size_t *order;
	unsigned cols = view_columns(&u->model);
	char buf[4096];

	o->filter = u->filter;
	order = view_order(&u->model, o, &n);
	rows = LINES > TOP_LINES ? (size_t)LINES - TOP_LINES : 0;
	if (u->scroll + rows > n)
		u->scroll = n > rows ? n - rows : 0;
	o->pathw = view_path_width(&u->model, order, n, o);
	if (o->pathw + 8 * (size_t)__builtin_popcount(cols) > width)
		o->pathw = width > 8 * (size_t)__builtin_popcount(cols) + 16 ?
				   width - 8 * __builtin_popcount(cols) :
				   16;
	erase();
	status(u, n);
	view_header(buf, sizeof(buf), cols, o, width);
	attron(A_REVERSE);
	mvprintw(2, 0, "%-*s", (int)width, buf);
	attroff(A_REVERSE);
	if (!u->ready)
		mvprintw(3, 0, "(the first rates after %.1fs)",
			 u->t->delay_ms / 1000.0);
	for (size_t i = 0; u->ready && i < rows && u->scroll + i < n; i++) {
		view_row(buf, sizeof(buf), cols, o,
			 &u->model.rows[order[u->scroll + i]], width);
		mvprintw(TOP_LINES + (int)i, 0, "%s", buf);
	}
	free(order);
	refresh();
}

static void edit_key(struct tui *u, int ch)
{
	size_t len = strlen(u->edit);

	if (ch == '\n' || ch == KEY_ENTER) {
		snprintf(u->filter, sizeof(u->filter), "%s", u->edit);
		u->editing = false;
	} else if (ch == 27) { /* Esc: no filter */
		u->filter[0] = u->edit[0] = '\0';
		u->editing = false;
	} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len) {
		u->edit[len - 1] = '\0';
	} else if (ch >= 32 && ch < 127 && len + 1 < sizeof(u->edit)) {
		u->edit[len] = (char)ch;
		u->edit[len + 1] = '\0';
	}
}

/* < and >: the sort column before or after this one, among those shown
 * (the path after the last)
 */
static void step_sort(struct tui *u, int dir)
{
	unsigned cols = view_columns(&u->model);
	int c = u->t->view.sort;

	do
		c = (c + dir + NCOLS + 1) % (NCOLS + 1);
	while (c != NCOLS && !(cols & 1U << c));
	u->t->view.sort = c;
}

static void delay_key(struct tui *u, int ch)
{
	unsigned d = u->t->delay_ms;

	d = ch == '+' ? d * 2 : d / 2;
	if (d < MIN_DELAY_MS)
		d = MIN_DELAY_MS;
	if (d > MAX_DELAY_MS)
		d = MAX_DELAY_MS;
	u->t->delay_ms = d;
	restart(u);
}

static void scroll_key(struct tui *u, int ch)
{
	size_t page = LINES > TOP_LINES + 1 ? LINES - TOP_LINES - 1 : 1;

	if (ch == KEY_DOWN)
		u->scroll++;
	else if (ch == KEY_UP && u->scroll)
		u->scroll--;
	else if (ch == KEY_NPAGE || ch == KEY_END)
		u->scroll += ch == KEY_END ? u->model.nrows : page;
	else if (ch == KEY_PPAGE)
		u->scroll = u->scroll > page ? u->scroll - page : 0;
	else if (ch == KEY_HOME)
		u->scroll = 0;
}

static void key(struct tui *u, int ch)
{
	int c = ch > 0 && ch < 128 ? view_sort_key((char)ch) : -1;

	if (u->editing)
		return edit_key(u, ch);
	if (c >= 0)
		u->t->view.sort = c;
	else if (ch == 'q' || ch == 'Q')
		u->quit = true;
	else if (ch == ' ')
		u->paused = !u->paused;
	else if (ch == 't')
		u->t->view.tree = !u->t->view.tree;
	else if (ch == 'R')
		u->t->view.reverse = !u->t->view.reverse;
	else if (ch == '<' || ch == '>')
		step_sort(u, ch == '<' ? -1 : 1);
	else if (ch == '+' || ch == '-')
		delay_key(u, ch);
	else if (ch == '/') {
		u->editing = true;
		snprintf(u->edit, sizeof(u->edit), "%s", u->filter);
	} else
		scroll_key(u, ch);
}

/* The snapshots that came in: the model takes each, the screen the last
 * unless paused
 */
static void snapshots(struct tui *u)
{
	Cgview__Snapshot *s;
	int r;

	while ((r = feed_read(&u->feed, &s)) == 1) {
		if (u->paused) {
			cgview__snapshot__free_unpacked(s, NULL);
			continue;
		}
		r = model_update(&u->model, s);
		cgview__snapshot__free_unpacked(s, NULL);
		if (r < 0)
			break;
		u->ready |= r == 1;
	}
	if (r < 0) {
		feed_read_err(&u->feed);
		u->failed = r == -EPIPE ? "cgview-exporter stopped" :
			    r == -EBADMSG ?
					  "cgview-exporter's stream is broken" :
					  strerror(-r);
		u->quit = true;
	}
}

static void loop(struct tui *u)
{
	struct pollfd p[3];
	int ch;

	while (!u->quit) {
		draw(u);
		p[0] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = u->failed ? -1 : u->feed.fd,
					.events = POLLIN };
		p[2] = (struct pollfd){ .fd = u->feed.errfd, .events = POLLIN };
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[2].revents)
			feed_read_err(&u->feed);
		if (p[1].revents)
			snapshots(u);
		while ((ch = getch()) != ERR)
			key(u, ch);
	}
}

int top_tui(struct top_run *t)
{
	struct tui u = { .t = t };
	char why[sizeof(u.feed.err)];
	int err;

	err = feed_start(&u.feed, t->exporter, t->root, t->delay_ms, 0, true);
	if (err) {
		err_msg(-err, "cannot start %s", t->exporter);
		return EXIT_FAIL;
	}
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	loop(&u);
	endwin();
	feed_read_err(&u.feed);
	snprintf(why, sizeof(why), "%s", u.feed.err);
	feed_stop(&u.feed);
	model_free(&u.model);
	if (u.failed) {
		err_msg(0, "%s%s%s", u.failed, *why ? ": " : "", why);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
