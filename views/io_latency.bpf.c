// SPDX-License-Identifier: GPL-2.0
/* The "io_latency" view: block I/O of this cgroup's tasks, in the style of
 * io.stat plus a latency histogram.
 *
 *   rbytes N  wbytes N              bytes submitted for reading, writing
 *   rios N  wios N                  requests completed
 *   latency_hist_ns 1024=N ... inf=N
 *                                   request latency, from the request's
 *                                   start to its completion (log2 buckets)
 *   latency_hist_ns_sum N           the sum of those latencies
 *
 * I/O counts in the cgroup of the task that submitted it (hosts without
 * the io controller on cgroup v2 have no bio->bi_blkg to go by); a
 * request's cgroup id is noted when it starts, in the submitter's
 * context. Completions run in interrupt context, often after the
 * submitter's cgroup is gone, so the statistics are kept in a hash by
 * cgroup id (one lookup at completion, no reference to take and drop),
 * made only in the submitter's context and deleted when the cgroup is
 * removed (cgid_stats.bpf.h): no state outlives its cgroup.
 */
#include "view.bpf.h"
#include "hist.bpf.h"
#include "cgid_stats.bpf.h"

#define REQ_OP_MASK 0xff
#define REQ_OP_READ 0
#define REQ_OP_WRITE 1
#define MAX_INFLIGHT 8192

struct io_stats {
	__u64 rbytes;
	__u64 wbytes;
	__u64 rios;
	__u64 wios;
	__u64 latency_sum_ns;
	struct log2_hist latency;
};

struct rq_start {
	__u64 cgroup_id;
	__u64 start_ns;
};

/* Statistics by cgroup id, for the cgroups that did block I/O. */
CGID_STATS(io_by_cgroup, struct io_stats);

/*
 * Requests in flight, by the address of their struct request. Requests
 * come from a driver's fixed set (one per tag), so the keys are few and
 * come back: an entry is reused, not deleted, and one whose completion
 * was never seen is overwritten when its request starts again.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct rq_start);
} inflight SEC(".maps");

static __always_inline struct cgroup *current_cgroup(void)
{
	return task_dfl_cgroup(bpf_get_current_task_btf());
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(io_bio_queue, struct bio *bio)
{
	__u32 op = bio->bi_opf & REQ_OP_MASK;
	struct io_stats *st;

	if (op != REQ_OP_READ && op != REQ_OP_WRITE)
		return 0;
	st = io_by_cgroup_get(current_cgroup(), true);
	if (!st)
		return 0;
	if (op == REQ_OP_READ)
		__sync_fetch_and_add(&st->rbytes, bio->bi_iter.bi_size);
	else
		__sync_fetch_and_add(&st->wbytes, bio->bi_iter.bi_size);
	return 0;
}

/* A request seen before is updated in place: no new hash element. */
SEC("tp_btf/block_io_start")
int BPF_PROG(io_start, struct request *rq)
{
	struct rq_start now = {
		.cgroup_id = current_cgroup()->kn->id,
		.start_ns = bpf_ktime_get_ns(),
	};
	__u64 key = (__u64)rq;
	struct rq_start *s = bpf_map_lookup_elem(&inflight, &key);

	if (s)
		*s = now;
	else
		bpf_map_update_elem(&inflight, &key, &now, BPF_ANY);
	return 0;
}

static __always_inline void account_done(struct io_stats *st, __u32 op,
					 __u64 ns)
{
	if (op == REQ_OP_READ)
		__sync_fetch_and_add(&st->rios, 1);
	else if (op == REQ_OP_WRITE)
		__sync_fetch_and_add(&st->wios, 1);
	__sync_fetch_and_add(&st->latency_sum_ns, ns);
	hist_add(&st->latency, ns);
}

/* A cgroup removed before its request completed: the I/O is not counted. */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(io_complete, struct request *rq)
{
	__u64 key = (__u64)rq, ns;
	struct rq_start *s = bpf_map_lookup_elem(&inflight, &key);
	struct io_stats *st;

	if (!s || !s->start_ns)
		return 0;
	ns = bpf_ktime_get_ns() - s->start_ns;
	s->start_ns = 0;
	st = bpf_map_lookup_elem(&io_by_cgroup, &s->cgroup_id);
	if (st)
		account_done(st, rq->cmd_flags & REQ_OP_MASK, ns);
	return 0;
}

CGVIEW(io_latency)
{
	struct io_stats *st = io_by_cgroup_get(cgrp, false);

	if (st) {
		BPF_SEQ_PRINTF(seq, "rbytes %llu\nwbytes %llu\n", st->rbytes,
			       st->wbytes);
		BPF_SEQ_PRINTF(seq, "rios %llu\nwios %llu\n", st->rios,
			       st->wios);
	} else {
		BPF_SEQ_PRINTF(seq, "rbytes 0\nwbytes 0\nrios 0\nwios 0\n");
	}
	BPF_SEQ_PRINTF(seq, "latency_hist_ns");
	hist_print(seq, st ? &st->latency : NULL);
	BPF_SEQ_PRINTF(seq, "latency_hist_ns_sum %llu\n",
		       st ? st->latency_sum_ns : 0);
	return 0;
}
