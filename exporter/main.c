// SPDX-License-Identifier: GPL-2.0
/* cgview-exporter: one snapshot per --interval on a fixed schedule (or one
 * with --once, N with --count), each encoded for every output. SIGTERM and
 * SIGINT end the loop after the current cycle; queued pushes are then
 * flushed until --flush-timeout. --once/--count exit 3 when a push output
 * did not get everything.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exporter.h"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

struct sinks {
	int fd[MAX_OUTPUTS];
	struct push *push[MAX_OUTPUTS];
	struct listener *listener;
	struct buf buf;
};

static void die(const char *what, const char *why)
{
	fprintf(stderr, "cgview-exporter: %s: %s\n", what, why);
	exit(EXIT_RUNTIME);
}

static void open_sinks(const struct opts *o, struct sinks *s, struct stats *st)
{
	for (size_t i = 0; i < o->nout; i++) {
		const struct output *out = &o->out[i];

		s->fd[i] = -1;
		if (!sink_is_file(out->kind))
			s->push[i] = push_start(out->kind, out->target,
						&o->push, st);
		else if (!strcmp(out->target, "-"))
			s->fd[i] = STDOUT_FILENO;
		else
			s->fd[i] = open(
				out->target,
				O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (sink_is_file(out->kind) && s->fd[i] < 0)
			die(out->target, strerror(errno));
	}
	if (o->listen && !(s->listener = listen_start(o->listen, &o->limits)))
		exit(EXIT_RUNTIME);
}

static void write_all(int fd, const char *p, size_t len, const char *what)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(what, strerror(errno));
		p += n;
		len -= n;
	}
}

/* The snapshot in each format a /metrics client asked for */
static void serve(const struct opts *o, struct listener *l,
		  const struct snapshot *snap, const struct schemas *ss)
{
	encode_text(snap, ss, listen_text(l, FMT_TEXT), false);
	if (listen_wants(l, FMT_OPENMETRICS))
		encode_text(snap, ss, listen_text(l, FMT_OPENMETRICS), true);
	if (listen_wants(l, FMT_PROTOBUF))
		encode_protobuf(snap, ss, o->classic_hist,
				listen_text(l, FMT_PROTOBUF));
	listen_publish(l);
}

struct file_out {
	int fd;
	const char *target;
};

/* What B holds, to the file output CTX */
static void to_file(struct buf *b, void *ctx)
{
	const struct file_out *f = ctx;

	write_all(f->fd, b->p, b->len, f->target);
	b->len = 0;
}

/* The snapshot stream or the text to file output OUT on FD, written as
 * it is encoded (B holds 64 KiB of it at a time)
 */
static void write_file(const struct output *out, int fd, struct buf *b,
		       const struct snapshot *snap, const struct schemas *ss)
{
	struct file_out f = { fd, out->target };

	*b = (struct buf){
		.p = b->p, .cap = b->cap, .drain = to_file, .ctx = &f
	};
	if (out->kind == SINK_TEXT)
		encode_text(snap, ss, b, false);
	else
		encode_snapshot(snap, ss, b);
	to_file(b, &f);
	b->drain = NULL;
	b->ctx = NULL;
}

static void deliver(const struct opts *o, struct sinks *s,
		    const struct snapshot *snap, const struct schemas *ss)
{
	for (size_t i = 0; i < o->nout; i++) {
		if (o->out[i].kind == SINK_OTLP)
			encode_otlp(snap, ss, o->batch, o->classic_hist,
				    push_body, s->push[i]);
		if (o->out[i].kind == SINK_REMOTE_WRITE)
			encode_remote_write(snap, ss, o->batch, o->classic_hist,
					    push_body, s->push[i]);
		if (sink_is_file(o->out[i].kind))
			write_file(&o->out[i], s->fd[i], &s->buf, snap, ss);
	}
	if (s->listener)
		serve(o, s->listener, snap, ss);
}

/* The number of push requests not delivered */
static uint64_t close_sinks(const struct opts *o, struct sinks *s)
{
	struct push *push[MAX_OUTPUTS];
	size_t npush = 0;
	uint64_t lost;

	for (size_t i = 0; i < o->nout; i++) {
		if (s->push[i])
			push[npush++] = s->push[i];
		else if (s->fd[i] != STDOUT_FILENO && close(s->fd[i]))
			die(o->out[i].target, strerror(errno));
	}
	lost = push_stop(push, npush, o->flush_seconds);
	if (s->listener)
		listen_stop(s->listener);
	free(s->buf.p);
	return lost;
}

/* Sleep until the next slot of the schedule that is still ahead */
static void wait_slot(struct timespec *next, double interval)
{
	struct timespec now;
	long long step = interval * 1e9, t, n;

	clock_gettime(CLOCK_MONOTONIC, &now);
	t = next->tv_sec * 1000000000LL + next->tv_nsec;
	n = now.tv_sec * 1000000000LL + now.tv_nsec;
	t += step;
	if (t <= n) /* a scrape overran: skip the slots it missed */
		t += ((n - t) / step + 1) * step;
	next->tv_sec = t / 1000000000LL;
	next->tv_nsec = t % 1000000000LL;
	while (!stopping && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
					    next, NULL) == EINTR)
		;
}

static void signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void load_schemas(struct schemas *ss, int argc, char **argv,
			 struct opts *o)
{
	if (schemas_builtin(ss))
		exit(EXIT_RUNTIME);
	parse_options(argc, argv, o, ss);
	for (size_t i = 0; i < o->nschema_dirs; i++)
		if (schemas_load_dir(ss, o->schema_dirs[i]))
			exit(EXIT_RUNTIME);
	check_files(o, ss);
	check_labels(o, ss);
}

/* Open the sinks with SIGTERM/SIGINT blocked, so that their threads
 * never take them: only main does
 */
static void start_sinks(const struct opts *o, struct sinks *s, struct stats *st)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	open_sinks(o, s, st);
	signals();
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The bulk read for --read bulk or auto, NULL for the per-file walk */
static struct bulk *open_bulk(const struct opts *o)
{
	struct bulk *b;
	char why[256];

	if (o->read == READ_FILES)
		return NULL;
	b = bulk_open(o->walk.root, o->bulk_chunk, why, sizeof(why));
	if (b)
		return b;
	fprintf(stderr,
		"cgview-exporter: the bulk read does not load (%s); %s\n", why,
		o->read == READ_BULK ? "it needs CAP_BPF and BTF "
				       "(/sys/kernel/btf/vmlinux), or use "
				       "--read files" :
				       "reading each file instead");
	if (o->read == READ_BULK)
		exit(EXIT_RUNTIME);
	return NULL;
}

/* One scrape; a bulk read that fails gives way to the per-file walk */
static void scrape(const struct opts *o, struct bulk **b, struct schemas *ss,
		   struct snapshot *snap, struct stats *st)
{
	if (*b && bulk_collect(*b, &o->walk, ss, snap, st)) {
		fputs("cgview-exporter: reading each file from now on\n",
		      stderr);
		bulk_close(*b);
		*b = NULL;
	}
	if (!*b && collect(&o->walk, ss, snap, st))
		exit(EXIT_RUNTIME);
}

/* Remote write's staleness markers need the last snapshot */
static bool keeps_prev(const struct opts *o)
{
	for (size_t i = 0; i < o->nout; i++)
		if (o->out[i].kind == SINK_REMOTE_WRITE)
			return true;
	return false;
}

/* Scrape and deliver on the schedule until --count or a signal; SNAPS[1]
 * holds the last snapshot while SNAPS[0] is taken, and the other way round
 */
static void run(const struct opts *o, struct schemas *ss,
		struct snapshot snaps[2], struct stats *st, struct sinks *sinks)
{
	struct bulk *b = open_bulk(o);
	struct lifetimes *lt = lifetimes_new(o->path_labels);
	struct snapshot *snap = &snaps[0], *prev = NULL;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (size_t n = 1;; n++) {
		scrape(o, &b, ss, snap, st);
		if (!snap->start_ns)
			snaps[0].start_ns = snaps[1].start_ns = snap->time_ns;
		lifetimes_update(lt, snap, prev);
		self_model(snap, ss, st);
		deliver(o, sinks, snap, ss);
		if (stopping || n == o->count)
			break;
		if (keeps_prev(o)) {
			prev = snap;
			snap = &snaps[snap == &snaps[0]];
		}
		wait_slot(&next, o->interval);
		if (stopping)
			break;
	}
	lifetimes_free(lt);
	bulk_close(b);
}

int main(int argc, char **argv)
{
	static struct schemas ss;
	static struct snapshot snaps[2];
	static struct stats st;
	static struct sinks sinks;
	struct opts o;
	int pushing = 0;
	uint64_t lost;

	/* The model's arrays grow by realloc() and are kept from one scrape
	 * to the next. Above 1 MiB glibc maps each apart and grows it with
	 * mremap(); below its default threshold, which rises to the largest
	 * block freed, each growth left the copy before it in the heap
	 * (9 MB of the RSS at 10,000 cgroups with seven views)
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	load_schemas(&ss, argc, argv, &o);
	for (size_t i = 0; i < o.nout; i++)
		if (!sink_is_file(o.out[i].kind) && !pushing++)
			curl_global_init(CURL_GLOBAL_DEFAULT);
	identity(&o, &snaps[0]);
	snaps[0].ss = &ss;
	snaps[1] = snaps[0];
	start_sinks(&o, &sinks, &st);
	run(&o, &ss, snaps, &st, &sinks);
	lost = close_sinks(&o, &sinks);
	snapshot_free(&snaps[0]);
	snapshot_free(&snaps[1]);
	if (pushing)
		curl_global_cleanup();
	/* a fixed number of snapshots: say whether each reached every output */
	return o.count && lost ? EXIT_UNDELIVERED : 0;
}
