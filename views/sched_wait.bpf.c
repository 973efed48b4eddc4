// SPDX-License-Identifier: GPL-2.0
/* The "sched_wait" view: how long this cgroup's tasks waited on a runqueue
 * before they ran. A task is queued when it is woken or preempted, and its
 * wait ends when it is switched in; each wait is added to the cgroup the
 * task is in then. State lives in cgroup local storage, so it goes away
 * with the cgroup.
 *
 *   wait_count N      waits ended
 *   wait_total_ns N   their total
 *   wait_max_ns N     the longest one
 *   wait_hist_ns 1024=N ... inf=N   how many waits took how long (log2)
 */
#include "view.bpf.h"
#include "hist.bpf.h"

#define TASK_RUNNING 0

/* The count of waits is the sum of the histogram's buckets. */
struct wait_stats {
	__u64 total_ns;
	__u64 max_ns;
	struct log2_hist hist;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} queued_at SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct wait_stats);
} waits SEC(".maps");

static void mark_queued(struct task_struct *p, __u64 now)
{
	__u64 *ts = bpf_task_storage_get(&queued_at, p, 0,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (ts)
		*ts = now;
}

static void account_wait(struct task_struct *p, __u64 now)
{
	__u64 *ts = bpf_task_storage_get(&queued_at, p, 0, 0);
	struct wait_stats *st;
	__u64 delta;

	if (!ts || !*ts)
		return;
	delta = now - *ts;
	*ts = 0;
	st = cgrp_storage(&waits, task_dfl_cgroup(p));
	if (!st)
		return;
	__sync_fetch_and_add(&st->total_ns, delta);
	if (delta > st->max_ns)
		st->max_ns = delta;
	hist_add(&st->hist, delta);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wait_wakeup, struct task_struct *p)
{
	mark_queued(p, bpf_ktime_get_ns());
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wait_wakeup_new, struct task_struct *p)
{
	mark_queued(p, bpf_ktime_get_ns());
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_wait_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	__u64 now = bpf_ktime_get_ns();

	if (prev_state == TASK_RUNNING)
		mark_queued(prev, now);
	account_wait(next, now);
	return 0;
}

CGVIEW(sched_wait)
{
	struct wait_stats *st = bpf_cgrp_storage_get(&waits, cgrp, 0, 0);
	__u64 count = 0, total = 0, max = 0;

	if (st) {
		total = st->total_ns;
		max = st->max_ns;
		count = hist_count(&st->hist);
	}
	BPF_SEQ_PRINTF(seq, "wait_count %llu\n", count);
	BPF_SEQ_PRINTF(seq, "wait_total_ns %llu\n", total);
	BPF_SEQ_PRINTF(seq, "wait_max_ns %llu\n", max);
	BPF_SEQ_PRINTF(seq, "wait_hist_ns");
	hist_print(seq, st ? &st->hist : NULL);
	return 0;
}
