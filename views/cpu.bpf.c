// SPDX-License-Identifier: GPL-2.0
/* The "cpu" view: time this cgroup's tasks ran on a CPU, its own and with
 * all its descendants, the way cpu.stat's usage_usec adds up a subtree.
 *
 *   usage_ns N        on-CPU time of the cgroup and its descendants
 *   self_usage_ns N   on-CPU time of tasks in this cgroup itself
 *
 * The recorder adds each stretch of runtime (sched_stat_runtime) to a
 * per-CPU slot of the task's cgroup and tells rstat the cgroup changed on
 * this CPU. Reading the view flushes rstat, which calls bpf_rstat_flush()
 * for each updated cgroup and CPU, children before parents; the flush
 * program moves the CPU's new time into the cgroup's total and into its
 * parent's pending time (the upstream selftest cgroup_hierarchical_stats).
 * Flushing may sleep, so the view is sleepable. State lives in cgroup
 * local storage, freed with the cgroup.
 *
 * Where the kernel refuses fentry programs (cgview_fentry is false), the
 * view adds up the subtree itself when it is read, walking the cgroup's
 * descendants with the css iterator (bpf_iter_css, 6.7+).
 */
#include "view.bpf.h"
#include "text.bpf.h"

#define MAX_CPUS 128 /* more CPUs share slots; sums stay exact */

const volatile bool cgview_fentry = true;

struct cpu_stats {
	__u64 cpu_ns[MAX_CPUS]; /* runtime per CPU, ever */
	__u64 flushed_ns[MAX_CPUS]; /* of which rstat flushed */
	__u64 total_ns; /* the subtree, as of the last flush */
	__u64 pending_ns; /* flushed from children, not yet added */
	__u64 self_ns; /* runtime of this cgroup's tasks, all CPUs */
};

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct cpu_stats);
} cpu_usage SEC(".maps");

/* rstat's kfuncs: cgroup_* up to 6.15, css_* (on cgrp->self) since 6.16 */
extern void cgroup_rstat_updated(struct cgroup *cgrp, int cpu) __ksym __weak;
extern void cgroup_rstat_flush(struct cgroup *cgrp) __ksym __weak;
extern void css_rstat_updated(struct cgroup_subsys_state *css,
			      int cpu) __ksym __weak;
extern void css_rstat_flush(struct cgroup_subsys_state *css) __ksym __weak;

static __always_inline void rstat_updated(struct cgroup *cgrp, int cpu)
{
	if (css_rstat_updated)
		css_rstat_updated(&cgrp->self, cpu);
	else if (cgroup_rstat_updated)
		cgroup_rstat_updated(cgrp, cpu);
}

static __always_inline void rstat_flush(struct cgroup *cgrp)
{
	if (css_rstat_flush)
		css_rstat_flush(&cgrp->self);
	else if (cgroup_rstat_flush)
		cgroup_rstat_flush(cgrp);
}

static __always_inline struct cpu_stats *stats_of(struct cgroup *cgrp)
{
	return cgrp_storage(&cpu_usage, cgrp);
}

SEC("tp_btf/sched_stat_runtime")
int BPF_PROG(cpu_runtime, struct task_struct *p, __u64 runtime)
{
	struct cgroup *cgrp = task_dfl_cgroup(p);
	int cpu = bpf_get_smp_processor_id();
	struct cpu_stats *st = stats_of(cgrp);

	if (!st)
		return 0;
	__sync_fetch_and_add(&st->self_ns, runtime);
	if (cgview_fentry) {
		__sync_fetch_and_add(&st->cpu_ns[cpu & (MAX_CPUS - 1)],
				     runtime);
		rstat_updated(cgrp, cpu);
	}
	return 0;
}

SEC("fentry/bpf_rstat_flush")
int BPF_PROG(cpu_flush, struct cgroup *cgrp, struct cgroup *parent, int cpu)
{
	struct cpu_stats *st, *up;
	__u32 slot = cpu & (MAX_CPUS - 1);
	__u64 now, delta;

	st = bpf_cgrp_storage_get(&cpu_usage, cgrp, 0, 0);
	if (!st)
		return 0;
	now = st->cpu_ns[slot];
	delta = now - st->flushed_ns[slot] + st->pending_ns;
	st->flushed_ns[slot] = now;
	st->pending_ns = 0;
	st->total_ns += delta;
	if (!delta || !parent)
		return 0;
	up = stats_of(parent);
	if (up)
		__sync_fetch_and_add(&up->pending_ns, delta);
	return 0;
}

/* Without rstat: the self time of every cgroup in the subtree, in an RCU
 * read section
 */
static __always_inline __u64 subtree_sum(struct cgroup *cgrp)
{
	struct cgroup_subsys_state *pos;
	struct bpf_iter_css it;
	struct cpu_stats *st;
	__u64 sum = 0;

	bpf_iter_css_new(&it, &cgrp->self, BPF_CGROUP_ITER_DESCENDANTS_PRE);
	while ((pos = bpf_iter_css_next(&it))) {
		st = bpf_cgrp_storage_get(&cpu_usage, pos->cgroup, 0, 0);
		if (st)
			sum += st->self_ns;
	}
	bpf_iter_css_destroy(&it);
	return sum;
}

extern struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp) __ksym __weak;

/* The same from the bulk walk (in its RCU read section), where CGRP is
 * an RCU pointer, which the css iterator does not start from: through a
 * reference. A cgroup without descendants, live or dying (most, in a tree
 * of services), is its own subtree: no iterator, no reference.
 */
static __always_inline __u64 subtree_ref_sum(struct cgroup *cgrp)
{
	struct cgroup *ref;
	struct cpu_stats *st;
	__u64 sum;

	if (!cgrp->nr_descendants && !cgrp->nr_dying_descendants) {
		st = bpf_cgrp_storage_get(&cpu_usage, cgrp, 0, 0);
		return st ? st->self_ns : 0;
	}
	ref = bpf_cgroup_acquire(cgrp);
	if (!ref)
		return 0;
	sum = subtree_sum(ref);
	bpf_cgroup_release(ref);
	return sum;
}

static __always_inline __u64 subtree_ns(struct cgroup *cgrp)
{
	__u64 sum;

	bpf_rcu_read_lock();
	sum = subtree_sum(cgrp);
	bpf_rcu_read_unlock();
	return sum;
}

struct cpu_record {
	__u64 usage_ns;
	__u64 self_usage_ns;
};

/* Read, the subtree is flushed first (rstat); in the bulk walk the
 * exporter's own walk has just flushed it at the root
 */
static __always_inline void cpu_fill(struct cgroup *cgrp, struct cpu_record *r,
				     bool walk)
{
	struct cpu_stats *st;

	if (cgview_fentry) {
		if (!walk)
			rstat_flush(cgrp);
		st = bpf_cgrp_storage_get(&cpu_usage, cgrp, 0, 0);
		r->usage_ns = st ? st->total_ns : 0;
	} else {
		r->usage_ns = walk ? subtree_ref_sum(cgrp) : subtree_ns(cgrp);
		st = bpf_cgrp_storage_get(&cpu_usage, cgrp, 0, 0);
	}
	r->self_usage_ns = st ? st->self_ns : 0;
}

static __always_inline void cpu_print(struct seq_file *seq,
				      const struct cpu_record *r)
{
	struct text t = {};

	text_line(seq, &t, "usage_ns", r->usage_ns);
	text_line(seq, &t, "self_usage_ns", r->self_usage_ns);
	text_flush(seq, &t);
}

CGVIEW_RECORD_SLEEPABLE(cpu);
