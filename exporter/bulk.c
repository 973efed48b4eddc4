// SPDX-License-Identifier: GPL-2.0
/* The bulk read's kernel side (bulk.bpf.c): load the programs once,
 * attach the flush to --root as a cgroup_iter (order SELF_ONLY), and per
 * scrape flush, walk the subtree in runs (BPF_PROG_RUN) and hand the
 * records out in batches. The array of records grows (a reload) when a
 * walk finds more cgroups than it has slots.
 */
#include <errno.h>
#include <stdint.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "exporter.h"
#include "bulk.skel.h"

#define BATCH 256 /* records mapped at a time */
#define WALK_ONE_RUN 1000000000 /* cgroups: --bulk-chunk's most */

struct bulk {
	struct bulk_bpf *skel;
	struct bpf_link *link;
	const char *root;
	int rootfd;
	ino_t ino; /* the root's, when the link was made */
	__u32 slots;
	__u32 chunk; /* cgroups per run of the walk */
	double longest; /* seconds the last walk's flush held the cgroup lock */
	struct bulk_run *runs; /* the last walk's, in order */
	size_t nruns, cap_runs;
};

/* The array's slots hold the records back to back (its element size is
 * the value's rounded up to 8 bytes)
 */
_Static_assert(sizeof(struct bulk_rec) % 8 == 0, "records back to back");

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

static void unload(struct bulk *b)
{
	bpf_link__destroy(b->link);
	bulk_bpf__destroy(b->skel);
	b->link = NULL;
	b->skel = NULL;
}

/* 0, or -errno with WHY set */
static int load(struct bulk *b, __u32 slots, char *why, size_t n)
{
	union bpf_iter_link_info info = {
		.cgroup = { .cgroup_fd = b->rootfd,
			    .order = BPF_CGROUP_ITER_SELF_ONLY },
	};
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info,
			    .link_info_len = sizeof(info));
	int err;

	b->skel = bulk_bpf__open();
	if (!b->skel)
		return snprintf(why, n, "cannot open the program"), -ENOMEM;
	bpf_map__set_max_entries(b->skel->maps.recs, slots);
	b->skel->rodata->nr_cpus = libbpf_num_possible_cpus();
	err = bulk_bpf__load(b->skel);
	if (!err) {
		b->link = bpf_program__attach_iter(b->skel->progs.flush_root,
						   &opts);
		err = b->link ? 0 : -errno;
	}
	if (err) {
		libbpf_strerror(err, why, n);
		unload(b);
		return err;
	}
	b->slots = slots;
	return 0;
}

/* Slots for N cgroups, with room to grow */
static __u32 slots_for(size_t n)
{
	return n + n / 4 + 64;
}

/* The bulk read of the subtree at ROOT, walked CHUNK cgroups at a time,
 * or NULL with WHY set
 */
struct bulk *bulk_open(const char *root, unsigned chunk, char *why, size_t n)
{
	struct bulk *b = xcalloc(1, sizeof(*b));

	struct stat sb;

	b->chunk = chunk;
	b->root = root;
	if (!getenv("CGVIEW_LIBBPF_DEBUG"))
		libbpf_set_print(quiet);
	b->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->rootfd < 0 || fstat(b->rootfd, &sb)) {
		snprintf(why, n, "%s: %s", root, strerror(errno));
		if (b->rootfd >= 0)
			close(b->rootfd);
		free(b);
		return NULL;
	}
	b->ino = sb.st_ino;
	if (load(b, slots_for(1024), why, n)) {
		bulk_close(b);
		return NULL;
	}
	return b;
}

/* How long the last walk's flush held the cgroup lock */
double bulk_longest(const struct bulk *b)
{
	return b->longest;
}

void bulk_close(struct bulk *b)
{
	if (!b)
		return;
	unload(b);
	close(b->rootfd);
	free(b->runs);
	free(b);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The flush before a walk: the cgroup_iter on the root alone, read to its
 * end, which holds the cgroup lock meanwhile (how long is kept); 0, or
 * -errno
 */
static int flush_root(struct bulk *b)
{
	char buf[64];
	ssize_t r;
	double start;
	int fd = bpf_iter_create(bpf_link__fd(b->link));

	if (fd < 0)
		return -errno;
	start = mono();
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		;
	if (mono() - start > b->longest)
		b->longest = mono() - start;
	close(fd);
	return r < 0 ? -errno : 0;
}

/* One run of the walk (BPF_PROG_RUN); 0, or -errno */
static int run(struct bulk *b)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (bpf_prog_test_run_opts(bpf_program__fd(b->skel->progs.bulk), &opts))
		return -errno;
	return (int)opts.retval < 0 ? (int)opts.retval : 0;
}

/* The walk from its first run on, in runs of at most LIMIT cgroups, each
 * starting where the one before stopped, noted in b->runs: the records
 * written, or -errno
 */
static int runs(struct bulk *b, __u32 limit, __u32 *overflow)
{
	struct bulk_bpf__bss *bss = b->skel->bss;
	struct bulk_run *r;
	int err;

	bss->nrec = bss->overflow = 0;
	bss->root_id = b->ino;
	bss->next_id = bss->after_id = 0;
	bss->limit = limit;
	b->nruns = 0;
	do {
		b->runs = grow(b->runs, &b->cap_runs, b->nruns + 1,
			       sizeof(*b->runs));
		r = &b->runs[b->nruns++];
		*r = (struct bulk_run){ .root = b->ino,
					.next = bss->next_id,
					.after = bss->after_id,
					.first = bss->nrec };
		err = run(b);
		r->count = bss->nrec - r->first;
	} while (!err && bss->next_id);
	*overflow = bss->overflow;
	return err ? err : (int)bss->nrec;
}

/* One walk into the array, after the flush, in runs of at most b->chunk
 * cgroups: the records written, or -errno. A run whose start was removed
 * since the run before, and the cgroup after it too (-ESTALE: a tenant
 * removing cgroups as fast as it can), or that stopped in a chain of
 * cgroups too deep to climb (-E2BIG), makes the walk start again, in one
 * run.
 */
static int walk(struct bulk *b, __u32 *overflow)
{
	int err, n;

	b->longest = 0;
	err = flush_root(b);
	if (err)
		return err;
	n = runs(b, b->chunk, overflow);
	if (n == -ESTALE || n == -E2BIG)
		n = runs(b, WALK_ONE_RUN, overflow);
	return n;
}

/* Records FIRST to FIRST + COUNT of the array, read where the program
 * wrote them (the pages that hold them, mapped read only; a lookup
 * copied each twice, 2 KiB a cgroup); munmap() *LEN bytes from *BASE
 * after. NULL with errno when the mapping fails.
 */
static const struct bulk_rec *map_records(struct bulk *b, __u32 first,
					  __u32 count, void **base, size_t *len)
{
	size_t page = sysconf(_SC_PAGESIZE);
	size_t from = (size_t)first * sizeof(struct bulk_rec);
	size_t to = from + (size_t)count * sizeof(struct bulk_rec);
	size_t off = from & ~(page - 1);

	*len = ((to + page - 1) & ~(page - 1)) - off;
	*base = mmap(NULL, *len, PROT_READ, MAP_SHARED,
		     bpf_map__fd(b->skel->maps.recs), off);
	if (*base == MAP_FAILED)
		return NULL;
	return (const struct bulk_rec *)((char *)*base + (from - off));
}

/* --root removed and made again (say, a service restarted): the link
 * holds the old cgroup, so attach to the new one. 0, or -errno
 */
static int follow_root(struct bulk *b)
{
	char why[256];
	struct stat sb;
	int fd;

	if (stat(b->root, &sb))
		return -errno;
	if (sb.st_ino == b->ino)
		return 0;
	fd = open(b->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb)) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(b->rootfd);
	b->rootfd = fd;
	b->ino = sb.st_ino;
	unload(b);
	if (load(b, b->slots, why, sizeof(why))) {
		fprintf(stderr, "cgview-exporter: bulk read: %s\n", why);
		return -EIO;
	}
	return 0;
}

/* Records FIRST to FIRST + N of the array to FN, BATCH at a time; 0, or
 * -errno
 */
static int records(struct bulk *b, __u32 first, __u32 n, bulk_fn fn, void *ctx)
{
	const struct bulk_rec *recs;
	__u32 got, count;
	void *base;
	size_t len;

	for (got = 0; got < n; got += count) {
		count = n - got < BATCH ? n - got : BATCH;
		recs = map_records(b, first + got, count, &base, &len);
		if (!recs)
			return -errno;
		fn(ctx, recs, count, &b->skel->bss->mindex);
		munmap(base, len);
	}
	return 0;
}

/* Walk the subtree (its rstat flushed first), then, for each run of the
 * walk, call RUN_FN with where it started and FN with its records, in
 * walk order (a cgroup after its parent); 0, or -errno
 */
int bulk_walk(struct bulk *b, bulk_run_fn run_fn, bulk_fn fn, void *ctx)
{
	char why[256];
	__u32 overflow;
	int n = follow_root(b), err = 0;

	if (n)
		return n;
	n = walk(b, &overflow);

	if (n >= 0 && overflow) {
		unload(b);
		err = load(b, slots_for(n + overflow), why, sizeof(why));
		if (err) {
			fprintf(stderr, "cgview-exporter: bulk read: %s\n",
				why);
			return err;
		}
		n = walk(b, &overflow);
	}
	if (n < 0)
		return n;
	for (size_t i = 0; i < b->nruns && !err; i++) {
		run_fn(ctx, &b->runs[i]);
		err = records(b, b->runs[i].first, b->runs[i].count, fn, ctx);
	}
	return err;
}
