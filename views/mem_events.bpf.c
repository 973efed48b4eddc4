// SPDX-License-Identifier: GPL-2.0
/* The "mem_events" view: page faults of this cgroup's tasks and the time
 * they stalled in reclaim, the events behind memory.stat's pgfault and
 * memory.pressure, counted without the memory controller.
 *
 *   pgfault N            page faults (minor and major)
 *   pgmajfault N         of which major (the page had to be read in)
 *   reclaim_count N      times a task reclaimed memory itself (direct or
 *                        memory cgroup reclaim) before it could allocate
 *   reclaim_stall_ns N   time spent in it
 *
 * The kernel counts each task's faults in task->min_flt and maj_flt; the
 * recorder adds what they grew by since last time to the task's cgroup
 * when the task is switched out and when it exits. Tasks forked after the
 * view was loaded count from 0, older ones from when they are first seen. Reclaim is timed from
 * its begin to its end tracepoint.
 */
#include "view.bpf.h"
#include "text.bpf.h"

struct mem_stats {
	__u64 pgfault;
	__u64 pgmajfault;
	__u64 reclaim_count;
	__u64 reclaim_stall_ns;
};

struct task_seen {
	__u64 min_flt; /* faults already counted for the task */
	__u64 maj_flt;
	__u64 reclaim_start;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_seen);
} mem_task SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mem_stats);
} mem_cgrp SEC(".maps");

static __always_inline struct mem_stats *stats_of(struct task_struct *p)
{
	return cgrp_storage(&mem_cgrp, task_dfl_cgroup(p));
}

/* Add P's faults since the last call to its cgroup. */
static __always_inline void fold_faults(struct task_struct *p)
{
	__u64 min = p->min_flt, maj = p->maj_flt;
	struct task_seen *seen;
	struct mem_stats *st;

	if (!min && !maj)
		return;
	seen = bpf_task_storage_get(&mem_task, p, 0, 0);
	if (!seen) {
		/* a task from before the view: count from now on */
		seen = bpf_task_storage_get(&mem_task, p, 0,
					    BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (seen && !seen->min_flt && !seen->maj_flt) {
			seen->min_flt = min;
			seen->maj_flt = maj;
		}
		return;
	}
	if (seen->min_flt == min && seen->maj_flt == maj)
		return;
	st = stats_of(p);
	if (!st)
		return;
	__sync_fetch_and_add(&st->pgfault,
			     min + maj - seen->min_flt - seen->maj_flt);
	__sync_fetch_and_add(&st->pgmajfault, maj - seen->maj_flt);
	seen->min_flt = min;
	seen->maj_flt = maj;
}

/* A new task's faults all count: start its record at 0. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(mem_fork, struct task_struct *parent, struct task_struct *child)
{
	bpf_task_storage_get(&mem_task, child, 0,
			     BPF_LOCAL_STORAGE_GET_F_CREATE);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(mem_switch, bool preempt, struct task_struct *prev)
{
	fold_faults(prev);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(mem_exit, struct task_struct *p)
{
	fold_faults(p);
	return 0;
}

static __always_inline void reclaim_begin(void)
{
	struct task_struct *p = bpf_get_current_task_btf();
	struct task_seen *seen;

	seen = bpf_task_storage_get(&mem_task, p, 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (seen)
		seen->reclaim_start = bpf_ktime_get_ns();
}

static __always_inline void reclaim_end(void)
{
	struct task_struct *p = bpf_get_current_task_btf();
	struct task_seen *seen = bpf_task_storage_get(&mem_task, p, 0, 0);
	struct mem_stats *st;

	if (!seen || !seen->reclaim_start)
		return;
	st = stats_of(p);
	if (st) {
		__sync_fetch_and_add(&st->reclaim_count, 1);
		__sync_fetch_and_add(&st->reclaim_stall_ns,
				     bpf_ktime_get_ns() - seen->reclaim_start);
	}
	seen->reclaim_start = 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(mem_direct_begin)
{
	reclaim_begin();
	return 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int BPF_PROG(mem_direct_end)
{
	reclaim_end();
	return 0;
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(mem_memcg_begin)
{
	reclaim_begin();
	return 0;
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(mem_memcg_end)
{
	reclaim_end();
	return 0;
}

struct mem_events_record {
	__u64 pgfault;
	__u64 pgmajfault;
	__u64 reclaim_count;
	__u64 reclaim_stall_ns;
};

static __always_inline void
mem_events_fill(struct cgroup *cgrp, struct mem_events_record *r, bool walk)
{
	struct mem_stats *st = bpf_cgrp_storage_get(&mem_cgrp, cgrp, 0, 0);

	if (!st)
		return;
	r->pgfault = st->pgfault;
	r->pgmajfault = st->pgmajfault;
	r->reclaim_count = st->reclaim_count;
	r->reclaim_stall_ns = st->reclaim_stall_ns;
}

static __always_inline void mem_events_print(struct seq_file *seq,
					     const struct mem_events_record *r)
{
	struct text t = {};

	text_line(seq, &t, "pgfault", r->pgfault);
	text_line(seq, &t, "pgmajfault", r->pgmajfault);
	text_line(seq, &t, "reclaim_count", r->reclaim_count);
	text_line(seq, &t, "reclaim_stall_ns", r->reclaim_stall_ns);
	text_flush(seq, &t);
}

CGVIEW_RECORD(mem_events);
