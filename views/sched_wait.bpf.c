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
 *   wait_hist_ns 953=N ... inf=N    how many waits took how long (log2 s)
 *
 * The scheduler already notes when a task was queued (sched_info, with
 * CONFIG_SCHED_INFO: schedstats or delay accounting) and reads the
 * runqueue's clock when it switches: one sched_switch program reads both,
 * before the scheduler itself accounts the wait, and needs no wakeup hook
 * and no per-task state of its own. A wait that a migration splits counts
 * from the move (the scheduler accounts the part before it on dequeue).
 */
#include "view.bpf.h"
#include "hist.bpf.h"

/* The count of waits is the sum of the histogram's buckets. */
struct wait_stats {
	__u64 total_ns;
	__u64 max_ns;
	struct log2_hist hist;
};

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct wait_stats);
} waits SEC(".maps");

static __always_inline void account_wait(struct task_struct *p, __u64 delta)
{
	struct wait_stats *st = cgrp_storage(&waits, task_dfl_cgroup(p));

	if (!st)
		return;
	__sync_fetch_and_add(&st->total_ns, delta);
	if (delta > st->max_ns)
		st->max_ns = delta;
	hist_add(&st->hist, delta);
}

/*
 * The tracepoint fires before sched_info_arrive(): NEXT's last_queued is
 * still the rq clock when it was queued (0: not queued, e.g. the idle
 * task), and __schedule() has just updated this runqueue's clock. The
 * runqueue is PREV's: its cfs_rq (every task has one with group
 * scheduling) points to it. Kernels without CONFIG_SCHED_INFO or
 * CONFIG_FAIR_GROUP_SCHED load the view and count nothing.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(sched_wait_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	__u64 queued, now;

	if (!bpf_core_field_exists(next->sched_info) ||
	    !bpf_core_field_exists(prev->se.cfs_rq->rq))
		return 0;
	queued = next->sched_info.last_queued;
	if (!queued)
		return 0;
	now = prev->se.cfs_rq->rq->clock;
	if (now > queued)
		account_wait(next, now - queued);
	return 0;
}

struct sched_wait_record {
	__u64 wait_count;
	__u64 wait_total_ns;
	__u64 wait_max_ns;
	__u64 wait_hist_ns[HIST_BUCKETS];
};

static __always_inline void
sched_wait_fill(struct cgroup *cgrp, struct sched_wait_record *r, bool walk)
{
	const struct wait_stats *st = bpf_cgrp_storage_get(&waits, cgrp, 0, 0);

	if (!st)
		return;
	r->wait_count = hist_count(&st->hist);
	r->wait_total_ns = st->total_ns;
	r->wait_max_ns = st->max_ns;
	hist_copy(r->wait_hist_ns, &st->hist);
}

static __always_inline void sched_wait_print(struct seq_file *seq,
					     const struct sched_wait_record *r)
{
	struct text t = {};

	text_line(seq, &t, "wait_count", r->wait_count);
	text_line(seq, &t, "wait_total_ns", r->wait_total_ns);
	text_line(seq, &t, "wait_max_ns", r->wait_max_ns);
	text_str(seq, &t, "wait_hist_ns");
	hist_text(seq, &t, r->wait_hist_ns);
	text_flush(seq, &t);
}

CGVIEW_RECORD(sched_wait);
