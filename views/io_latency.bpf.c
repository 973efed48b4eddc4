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
 * when the request starts, in the submitter's context, a reference to
 * its cgroup is taken and kept in a slot of the table of requests in
 * flight (below), where the completion finds it, and a bio merged into a
 * request later counts with it. The bytes count as they complete. The
 * statistics are kept in the cgroup's local storage, freed with the
 * cgroup, like every view's: no cgroup's state outlives it, and no table
 * of cgroups can be filled, by a tenant with many cgroups or otherwise,
 * so that another cgroup's I/O goes uncounted. The completion, in
 * interrupt context, reaches the storage through the reference, which it
 * drops when the request is done.
 *
 * Not counted: a request that started when its window of that table was
 * full of requests in flight; a request whose completion the programs
 * did not see; what completed after its cgroup was removed (counted in
 * its storage, which nobody reads then); a cgroup's requests before its
 * storage could be made (out of memory). The storage is made by a
 * start, in the submitter's context, and else by a completion: one in
 * interrupt context that interrupted another use of cgroup local
 * storage on its CPU can find storage but not make it.
 */
#include "view.bpf.h"
#include "hist.bpf.h"

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

/* The statistics of each cgroup that did block I/O */
struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct io_stats);
} io_by_cgroup SEC(".maps");

/*
 * Requests in flight, in a fixed table of slots: no map update and no
 * hash walk on the I/O path. A request's first slot is its tag's in a run
 * of slots that starts where a hash of its queue and hardware queue puts
 * it, so that the tags of one queue never share a first slot. A queue
 * hands its tags out in turn, and its requests take neighbouring slots,
 * two to a cache line (the table is BPF_F_MMAPABLE, whose values start on
 * a page: no slot straddles two lines), a page for 128 tags: on a device
 * with an I/O now and then, the slot's line and page are as a rule still
 * cached from the requests before. (A hash of the whole identity put each
 * tag on a line and page of its own, among 512 KiB: a cache and TLB miss
 * at the start and at the completion, about 150 ns each on a KVM guest.)
 *
 * The runs of different queues overlap, so a request may find its first
 * slot taken by another queue's request. It then takes the first free
 * slot of its window: the INFLIGHT_WINDOW (4) slots of the aligned 128
 * bytes that hold its first slot (two lines, one page), in the order
 * first, first ^ 1 (the same line), first ^ 2, first ^ 3. A slot holds
 * the address of the request's struct (no two requests in flight share
 * one: a struct is freed before it serves another), and a reference to
 * the submitter's cgroup. The start claims a slot with a compare-and-swap
 * of 0 for that address, so that two starts on two CPUs never take the
 * same slot; a start whose first slot is free, the rule, touches no
 * other. The completion looks for its request in the same order, frees
 * the slot (0) and drops the reference. So two requests in flight never
 * take each other's slot while their window has one free.
 *
 * A slot whose completion was never seen stays taken (a request freed
 * without one; or a completion whose programs the kernel did not run:
 * on the tests' 6.18 host kernel, one in 50,000 to 200,000 of a loop
 * device's, those whose softirq ran inside another task that had
 * preemption off). A start takes it again when it meets its own address
 * in the window before a free slot (the request that slot was taken for
 * is done: its struct was freed and taken again), and, when no slot of
 * the window is free, when the request it was taken for is done: no
 * reference left to it (request->ref 0, or unreadable). Requests in
 * flight are never taken over: a start whose window holds four of them
 * is not counted. (A slot of a device removed while it was stale stays
 * taken unless its struct's memory reads as free.) A stale slot holds
 * its cgroup's reference until it is taken again, when the reference is
 * dropped: a cgroup removed meanwhile stays a dying cgroup until then,
 * at most one per stale slot; unloading the view drops them all.
 */
#ifndef INFLIGHT_SHIFT /* test builds make it small, to share windows */
#define INFLIGHT_SHIFT 14
#endif
#define INFLIGHT_WINDOW 4

_Static_assert(INFLIGHT_SHIFT >= 2, "a table of at least one window");

struct rq_start {
	__u64 rq; /* the request's address, 0 when free */
	struct cgroup __kptr *cgrp; /* the submitter's, referenced */
	__u64 start_ns; /* when the queue keeps no start time */
	__u64 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE); /* values from a page boundary */
	__uint(max_entries, 1 << INFLIGHT_SHIFT);
	__type(key, __u32);
	__type(value, struct rq_start);
} inflight SEC(".maps");

/*
 * Test builds only: with INFLIGHT_ONLY_MAJOR, the requests of that block
 * major alone, so that a small table holds the test's devices' requests
 * and not the host disk's.
 */
static __always_inline bool recorded(const struct request *rq)
{
#ifdef INFLIGHT_ONLY_MAJOR
	return rq->q->disk && rq->q->disk->major == INFLIGHT_ONLY_MAJOR;
#else
	return true;
#endif
}

/* The request's first slot, by its queue, hardware queue and tag. */
static __always_inline __u32 first_slot(const struct request *rq)
{
	int tag = rq->internal_tag >= 0 ? rq->internal_tag : rq->tag;
	__u64 queue = (__u64)rq->q->id << 16 | (__u16)rq->mq_hctx->queue_num;
	__u32 run = (queue * 0x9E3779B97F4A7C15ULL) >> (64 - INFLIGHT_SHIFT);

	return (run + (__u16)tag) & ((1 << INFLIGHT_SHIFT) - 1);
}

/* Whether the request at ADDR is done: no reference left to it. */
static __always_inline bool rq_done(__u64 addr)
{
	const struct request *rq = (const struct request *)addr;

	return !BPF_CORE_READ(rq, ref.counter);
}

/*
 * The first slot of request ADDR's window, in the order of probes, that
 * holds ADDR or, with CLAIM, is free: claimed then. SEEN gets what the
 * slots passed held.
 */
static __always_inline struct rq_start *probe(__u32 first, __u64 addr,
					      bool claim, __u64 *seen)
{
	struct rq_start *s;
	__u64 old;

	for (__u32 k = 0; k < INFLIGHT_WINDOW; k++) {
		__u32 i = first ^ k;

		s = bpf_map_lookup_elem(&inflight, &i);
		if (!s)
			return NULL;
		old = claim ? __sync_val_compare_and_swap(&s->rq, 0, addr) :
			      s->rq;
		if (old == addr || (claim && !old))
			return s;
		if (seen)
			seen[k] = old;
	}
	return NULL;
}

/*
 * The slot of a request that starts, claimed: the first of its window
 * that is free or holds its own address (stale); else the first whose
 * request is done (stale), taken over unless it changed meanwhile.
 */
static __always_inline struct rq_start *claim_slot(const struct request *rq)
{
	__u64 addr = (__u64)rq, seen[INFLIGHT_WINDOW] = {};
	__u32 first = first_slot(rq);
	struct rq_start *s = probe(first, addr, true, seen);

	if (s)
		return s;
	for (__u32 k = 0; k < INFLIGHT_WINDOW; k++) {
		__u32 i = first ^ k;

		if (!rq_done(seen[k]))
			continue;
		s = bpf_map_lookup_elem(&inflight, &i);
		if (s && __sync_val_compare_and_swap(&s->rq, seen[k], addr) ==
				 seen[k])
			return s;
	}
	return NULL;
}

/* The slot of a request that completes, if its start was noted. */
static __always_inline struct rq_start *find_slot(const struct request *rq)
{
	return probe(first_slot(rq), (__u64)rq, false, NULL);
}

/* This CPU's note of the last cgroup whose storage its starts made */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64); /* the cgroup's address */
} io_made SEC(".maps");

/*
 * CGRP's storage made, in the submitter's context, unless this CPU's
 * last start made it: not looked up at every start (its line is the
 * completions', often on another CPU). A cgroup at the address of one
 * freed since finds the note wrong; its first completion makes it then.
 */
static __always_inline void made_storage(struct cgroup *cgrp)
{
	__u32 zero = 0;
	__u64 *last = bpf_map_lookup_elem(&io_made, &zero);

	if (!last || *last == (__u64)cgrp)
		return;
	if (cgrp_storage(&io_by_cgroup, cgrp))
		*last = (__u64)cgrp;
}

/* A request starts in the context of the task that submitted it. */
SEC("tp_btf/block_io_start")
int BPF_PROG(io_start, struct request *rq)
{
	struct cgroup *cgrp;
	struct rq_start *s;

	if (!recorded(rq))
		return 0;
	s = claim_slot(rq);
	if (!s)
		return 0;
	s->start_ns = rq->start_time_ns ? 0 : bpf_ktime_get_ns();
	cgrp = bpf_cgroup_acquire(task_dfl_cgroup(bpf_get_current_task_btf()));
	if (cgrp)
		made_storage(cgrp);
	if (cgrp)
		cgrp = bpf_kptr_xchg(&s->cgrp, cgrp);
	else /* none: not counted, not in a stale cgroup either */
		cgrp = bpf_kptr_xchg(&s->cgrp, NULL);
	if (cgrp) /* a stale slot's */
		bpf_cgroup_release(cgrp);
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
 * request is done with the part that completes the rest: then the slot
 * is freed and the reference dropped. A cgroup removed before its
 * request completed is not counted: what its storage has is not read
 * any more.
 */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(io_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	__u32 op = rq->cmd_flags & REQ_OP_MASK;
	struct io_stats *st = NULL;
	struct cgroup *cgrp;
	struct rq_start *s;
	__u64 start;

	if (!recorded(rq))
		return 0;
#ifdef CGVIEW_TEST_LOSE_READS /* test builds: as if unseen, stale slots */
	if (op == REQ_OP_READ)
		return 0;
#endif
	s = find_slot(rq);
	if (!s)
		return 0;
	cgrp = s->cgrp;
	if (cgrp)
		st = cgrp_storage(&io_by_cgroup, cgrp);
	if (st)
		account_bytes(st, op, nr_bytes);
	if (nr_bytes < rq->__data_len)
		return 0; /* more parts to come */
	start = rq->start_time_ns ?: s->start_ns;
	cgrp = bpf_kptr_xchg(&s->cgrp, NULL);
	barrier(); /* the slot read before it is freed */
	s->rq = 0;
	if (st)
		account_done(st, op, bpf_ktime_get_ns() - start);
	if (cgrp)
		bpf_cgroup_release(cgrp);
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
	const struct io_stats *st;

	st = bpf_cgrp_storage_get(&io_by_cgroup, cgrp, 0, 0);
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
