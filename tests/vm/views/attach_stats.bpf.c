// SPDX-License-Identifier: GPL-2.0
/* A sleepable test view with hierarchical statistics through rstat, the
 * pattern of the kernel's cgroup_hierarchical_stats selftest: a recorder
 * counts tasks moved into each cgroup per CPU and marks the cgroup updated;
 * fentry on bpf_rstat_flush() adds each cgroup's changes to its total and
 * its parent's pending; the view flushes its cgroup, so the total covers
 * the whole subtree.
 *
 *   attaches N   tasks moved into this cgroup or any below it
 */
#include "view.bpf.h"

struct percpu_count {
	__u64 state;
	__u64 prev;
};

struct total {
	__u64 state;
	__u64 pending;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct percpu_count);
} percpu_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct total);
} totals SEC(".maps");

void cgroup_rstat_updated(struct cgroup *cgrp, int cpu) __ksym;
void cgroup_rstat_flush(struct cgroup *cgrp) __ksym;

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(attach_stats_count, struct cgroup *dst_cgrp, const char *path,
	     struct task_struct *task, bool threadgroup)
{
	__u64 id = dst_cgrp->kn->id;
	struct percpu_count *c, zero = {};
	struct total t = {};

	c = bpf_map_lookup_elem(&percpu_counts, &id);
	if (!c) {
		bpf_map_update_elem(&percpu_counts, &id, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&percpu_counts, &id);
		if (!c)
			return 0;
	}
	c->state++;
	bpf_map_update_elem(&totals, &id, &t, BPF_NOEXIST);
	cgroup_rstat_updated(dst_cgrp, bpf_get_smp_processor_id());
	return 0;
}

SEC("fentry/bpf_rstat_flush")
int BPF_PROG(attach_stats_flush, struct cgroup *cgrp, struct cgroup *parent,
	     int cpu)
{
	__u64 id = cgrp->kn->id, parent_id = parent ? parent->kn->id : 0;
	struct percpu_count *c;
	struct total *t, *pt, init = {};
	__u64 delta = 0;

	c = bpf_map_lookup_percpu_elem(&percpu_counts, &id, cpu);
	if (c) {
		delta += c->state - c->prev;
		c->prev = c->state;
	}
	t = bpf_map_lookup_elem(&totals, &id);
	if (!t)
		return 0;
	delta += t->pending;
	t->pending = 0;
	t->state += delta;
	if (!delta || !parent_id)
		return 0;
	pt = bpf_map_lookup_elem(&totals, &parent_id);
	if (pt) {
		__sync_fetch_and_add(&pt->pending, delta);
	} else {
		init.pending = delta;
		bpf_map_update_elem(&totals, &parent_id, &init, BPF_NOEXIST);
	}
	return 0;
}

CGVIEW_SLEEPABLE(attach_stats)
{
	__u64 id = cgrp->kn->id;
	struct total *t;

	cgroup_rstat_flush(cgrp);
	t = bpf_map_lookup_elem(&totals, &id);
	BPF_SEQ_PRINTF(seq, "attaches %llu\n", t ? t->state : 0);
	return 0;
}
