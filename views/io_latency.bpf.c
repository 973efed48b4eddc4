// SPDX-License-Identifier: GPL-2.0
/* The "io_latency" view: block I/O of this cgroup's tasks, in the style of
 * io.stat plus a latency histogram.
 *
 *   rbytes N  wbytes N              bytes of requests read, written
 *   rios N  wios N                  requests completed
 *   latency_hist_ns 953=N ... inf=N
 *                                   request latency, from the request's
 *                                   start to its completion (log2 s)
 *   latency_hist_ns_sum N           the sum of those latencies
 *
 * I/O counts in the cgroup of the task that submitted the request (hosts
 * without the io controller on cgroup v2 have no bio->bi_blkg to go by):
 * its cgroup id is noted when the request starts, in the submitter's
 * context, and a bio merged into a request later counts with it. The
 * bytes count as they complete. Completions run in interrupt context,
 * often after the submitter's cgroup is gone, so the statistics are kept
 * by cgroup id (cgid_stats.bpf.h), made only in the submitter's context
 * and deleted when the cgroup is removed: no state outlives its cgroup.
 * The request's start notes the slot of its cgroup's statistics too (as
 * a rule without a hash lookup: through the CPU's note of the last
 * cgroup), so that the completion finds them without a hash lookup (nor
 * a reference to take and drop). The start takes the note on trust and
 * the completion checks that the slot is still the cgroup's: the start
 * does not read the slot, whose cache line the completion writes, often
 * on another CPU (a read there cost about 70 ns per start on a KVM guest
 * whose completions ran on the other CPU).
 */
#include "view.bpf.h"
#include "hist.bpf.h"
#include "cgid_stats.bpf.h"

#define REQ_OP_MASK 0xff
#define REQ_OP_READ 0
#define REQ_OP_WRITE 1

struct io_stats {
	__u64 rbytes;
	__u64 wbytes;
	__u64 rios;
	__u64 wios;
	__u64 latency_sum_ns;
	struct log2_hist latency;
};

/* Statistics by cgroup id, for the cgroups that did block I/O. */
CGID_STATS(io_by_cgroup, struct io_stats);

/*
 * Requests in flight, in a fixed table of slots: no map update and no
 * hash walk on the I/O path. A request's slot is its tag's in a run of
 * slots that starts where a hash of its queue and hardware queue puts
 * it, so that the tags of one queue never share a slot. A queue hands
 * its tags out in turn, and its requests take neighbouring slots, two to
 * a cache line, a page for 128 tags: on a device with an I/O now and
 * then, the slot's line and page are as a rule still cached from the
 * requests before. (A hash of the whole identity put each tag on a line
 * and page of its own, among 512 KiB: a cache and TLB miss at the start
 * and at the completion, about 150 ns each on a KVM guest.) Requests of
 * different queues may share a slot, and then the older one's
 * completion is not counted. A slot whose completion was never seen is
 * taken by the next request that lands on it.
 */
#define INFLIGHT_SHIFT 14

struct rq_start {
	__u64 rq; /* rq_ident(), 0 when free */
	__u64 cgroup_id;
	__u64 start_ns; /* when the queue keeps no start time */
	__u32 stats; /* the slot of the cgroup's statistics */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << INFLIGHT_SHIFT);
	__type(key, __u32);
	__type(value, struct rq_start);
} inflight SEC(".maps");

static __always_inline __u64 rq_ident(const struct request *rq)
{
	int tag = rq->internal_tag >= 0 ? rq->internal_tag : rq->tag;

	return (__u64)rq->q->id << 32 | (__u64)rq->mq_hctx->queue_num << 16 |
	       (__u16)tag | 1ULL << 63;
}

static __always_inline struct rq_start *slot_of(__u64 ident)
{
	__u64 queue = ident >> 16; /* the queue and hardware queue */
	__u32 run = (queue * 0x9E3779B97F4A7C15ULL) >> (64 - INFLIGHT_SHIFT);
	__u32 i = (run + (__u16)ident) & ((1 << INFLIGHT_SHIFT) - 1);

	return bpf_map_lookup_elem(&inflight, &i);
}

/* A request starts in the context of the task that submitted it. */
SEC("tp_btf/block_io_start")
int BPF_PROG(io_start, struct request *rq)
{
	struct cgroup *cgrp = task_dfl_cgroup(bpf_get_current_task_btf());
	__u64 id = rq_ident(rq), cgid = cgrp->kn->id;
	struct rq_start *s;
	__u32 stats;

	if (!io_by_cgroup_slot_of(cgrp, cgid, &stats))
		return 0;
	s = slot_of(id);
	if (!s)
		return 0;
	s->rq = id;
	s->cgroup_id = cgid;
	s->stats = stats;
	s->start_ns = rq->start_time_ns ? 0 : bpf_ktime_get_ns();
	return 0;
}

static __always_inline void account_bytes(struct io_stats *st, __u32 op,
					  __u32 bytes)
{
	if (op == REQ_OP_READ)
		__sync_fetch_and_add(&st->rbytes, bytes);
	else if (op == REQ_OP_WRITE)
		__sync_fetch_and_add(&st->wbytes, bytes);
}

static __always_inline void account_done(struct io_stats *st, __u32 op,
					 __u64 ns)
{
	if (op == REQ_OP_READ)
		__sync_fetch_and_add(&st->rios, 1);
	else if (op == REQ_OP_WRITE)
		__sync_fetch_and_add(&st->wios, 1);
	else
		return;
	__sync_fetch_and_add(&st->latency_sum_ns, ns);
	hist_add(&st->latency, ns);
}

/*
 * Runs once per completion, in interrupt context; a driver may complete
 * a request in parts (nr_bytes less than what it has left), and the
 * request is done with the part that completes the rest. A cgroup
 * removed before its request completed has no statistics: not counted.
 */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(io_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	__u64 id = rq_ident(rq), start;
	__u32 op = rq->cmd_flags & REQ_OP_MASK;
	struct rq_start *s = slot_of(id);
	struct io_stats *st;

	if (!s || s->rq != id)
		return 0;
	st = io_by_cgroup_at(s->stats, s->cgroup_id);
	if (st)
		account_bytes(st, op, nr_bytes);
	if (nr_bytes < rq->__data_len)
		return 0; /* more parts to come */
	s->rq = 0;
	start = rq->start_time_ns ?: s->start_ns;
	if (st)
		account_done(st, op, bpf_ktime_get_ns() - start);
	return 0;
}

struct io_latency_record {
	__u64 rbytes;
	__u64 wbytes;
	__u64 rios;
	__u64 wios;
	__u64 latency_hist_ns[HIST_BUCKETS];
	__u64 latency_hist_ns_sum;
};

static __always_inline void
io_latency_fill(struct cgroup *cgrp, struct io_latency_record *r, bool walk)
{
	const struct io_stats *st = io_by_cgroup_read(cgrp);

	if (!st)
		return;
	r->rbytes = st->rbytes;
	r->wbytes = st->wbytes;
	r->rios = st->rios;
	r->wios = st->wios;
	hist_copy(r->latency_hist_ns, &st->latency);
	r->latency_hist_ns_sum = st->latency_sum_ns;
}

static __always_inline void io_latency_print(struct seq_file *seq,
					     const struct io_latency_record *r)
{
	struct text t = {};

	text_line(seq, &t, "rbytes", r->rbytes);
	text_line(seq, &t, "wbytes", r->wbytes);
	text_line(seq, &t, "rios", r->rios);
	text_line(seq, &t, "wios", r->wios);
	text_str(seq, &t, "latency_hist_ns");
	hist_text(seq, &t, r->latency_hist_ns);
	text_line(seq, &t, "latency_hist_ns_sum", r->latency_hist_ns_sum);
	text_flush(seq, &t);
}

CGVIEW_RECORD(io_latency);
