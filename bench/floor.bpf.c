// SPDX-License-Identifier: GPL-2.0
/* The least any recorder of io_latency's and of oom's statistics does, on
 * their hooks: what bench/recorders measures as those views' floors,
 * beside the empty programs (bench/empty.bpf.c), in the same calibration
 * pairs: a view's own in-program time cannot be less than its floor's.
 *
 * io_latency (block_io_start, block_rq_complete). A request's latency needs the clock at its completion; its cgroup is
 * the submitter's, known only at its start, in the submitter's context
 * (hosts without the io controller on cgroup v2 have no bio->bi_blkg to
 * go by); and what the start notes reaches the completion, often on
 * another CPU, through a line of memory. So the start reads the current
 * task's cgroup id and stores it in the request's slot (here simply its
 * queue and tag, which may collide: no claim, no check), and the
 * completion reads the slot, the clock and the request's start time, and
 * adds the latency to one counter (not the submitter's statistics: no
 * lookup, no histogram).
 *
 * oom (mark_victim). A kill counts for the cgroup of the task whose
 * allocation failed (current) and a victim for the victim's cgroup: the
 * program finds both cgroups' state, cgroup local storage, and adds one to
 * each (the view also notes the victim's cgroup id and pid).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#define SLOTS_SHIFT 14

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << SLOTS_SHIFT);
	__type(key, __u32);
	__type(value, __u64); /* the submitter's cgroup id */
} floor_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64); /* the latencies' sum */
} floor_sum SEC(".maps");

/* A queue's tags in consecutive slots, 128 to a queue */
static __always_inline __u32 slot_of(const struct request *rq)
{
	int tag = rq->internal_tag >= 0 ? rq->internal_tag : rq->tag;

	return ((__u32)rq->q->id * 128 + tag) & ((1 << SLOTS_SHIFT) - 1);
}

SEC("tp_btf/block_io_start")
int BPF_PROG(floor_block_io_start, struct request *rq)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 i = slot_of(rq);
	__u64 *cgid = bpf_map_lookup_elem(&floor_slots, &i);

	if (cgid)
		*cgid = task->cgroups->dfl_cgrp->kn->id;
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(floor_block_rq_complete, struct request *rq, int error,
	     unsigned int nr_bytes)
{
	__u32 i = slot_of(rq), zero = 0;
	__u64 *cgid = bpf_map_lookup_elem(&floor_slots, &i);
	__u64 *sum = bpf_map_lookup_elem(&floor_sum, &zero);

	if (cgid && sum && *cgid)
		__sync_fetch_and_add(sum,
				     bpf_ktime_get_ns() - rq->start_time_ns);
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64); /* kills and victims, one count */
} floor_ooms SEC(".maps");

/* One to the count of cgroup CGRP */
static __always_inline void count(struct cgroup *cgrp)
{
	__u64 *n = bpf_cgrp_storage_get(&floor_ooms, cgrp, 0,
					BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("tp_btf/mark_victim")
int BPF_PROG(floor_mark_victim, struct task_struct *victim)
{
	struct task_struct *killer = bpf_get_current_task_btf();

	count(victim->cgroups->dfl_cgrp);
	count(killer->cgroups->dfl_cgrp);
	return 0;
}
