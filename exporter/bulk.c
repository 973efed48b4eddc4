// SPDX-License-Identifier: GPL-2.0
/* The bulk read's kernel side (bulk.bpf.c): load the walk program once,
 * attach it to --root as a cgroup_iter (order DESCENDANTS_PRE), and per
 * scrape walk the subtree in one read() and hand the records out in
 * batches. The array of records grows (a reload) when a walk finds more
 * cgroups than it has slots.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "exporter.h"
#include "bulk.skel.h"

#define BATCH 256 /* records per map lookup */

struct bulk {
	struct bulk_bpf *skel;
	struct bpf_link *link;
	int rootfd;
	__u32 slots;
	__u32 keys[BATCH];
	struct bulk_rec recs[BATCH];
};

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
			    .order = BPF_CGROUP_ITER_DESCENDANTS_PRE },
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
		b->link = bpf_program__attach_iter(b->skel->progs.bulk, &opts);
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

/* The bulk read of the subtree at ROOT, or NULL with WHY set */
struct bulk *bulk_open(const char *root, char *why, size_t n)
{
	struct bulk *b = xcalloc(1, sizeof(*b));

	if (!getenv("CGVIEW_LIBBPF_DEBUG"))
		libbpf_set_print(quiet);
	b->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->rootfd < 0) {
		snprintf(why, n, "%s: %s", root, strerror(errno));
		free(b);
		return NULL;
	}
	if (load(b, slots_for(1024), why, n)) {
		bulk_close(b);
		return NULL;
	}
	return b;
}

void bulk_close(struct bulk *b)
{
	if (!b)
		return;
	unload(b);
	close(b->rootfd);
	free(b);
}

/* One walk into the array: the records written, or -errno */
static int walk(struct bulk *b, __u32 *overflow)
{
	char buf[64];
	ssize_t r;
	int fd;

	b->skel->bss->nrec = 0;
	b->skel->bss->overflow = 0;
	fd = bpf_iter_create(bpf_link__fd(b->link));
	if (fd < 0)
		return -errno;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	if (r < 0)
		return -errno;
	*overflow = b->skel->bss->overflow;
	return b->skel->bss->nrec;
}

/* COUNT records into b->recs, from the first slot (FIRST) or from the one
 * after slot *LAST; *LAST becomes the last one read. 0, or -errno
 */
static int lookup(struct bulk *b, bool first, __u32 *last, __u32 count)
{
	__u32 want = count, out;
	int err;

	err = bpf_map_lookup_batch(bpf_map__fd(b->skel->maps.recs),
				   first ? NULL : last, &out, b->keys, b->recs,
				   &count, NULL);
	if ((err && errno != ENOENT) || count != want)
		return -(err ? errno : EIO);
	*last = out;
	return 0;
}

/* Walk the subtree and call FN with the records, in walk order (a
 * cgroup after its parent); 0, or -errno
 */
int bulk_walk(struct bulk *b, bulk_fn fn, void *ctx)
{
	char why[256];
	__u32 overflow, got, count, last = 0;
	int n = walk(b, &overflow), err;

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
	for (got = 0; got < (__u32)n; got += count) {
		count = (__u32)n - got < BATCH ? (__u32)n - got : BATCH;
		err = lookup(b, !got, &last, count);
		if (err)
			return err;
		fn(ctx, b->recs, count, &b->skel->bss->mindex);
	}
	return 0;
}
