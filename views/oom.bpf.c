// SPDX-License-Identifier: GPL-2.0
/* The "oom" view: OOM kills, where they happened and whom they hit.
 *
 *   oom_kill N             kills by the OOM killer run on behalf of a task
 *                          in this cgroup (its allocation found no memory)
 *   oom_victim N           tasks of this cgroup that the OOM killer killed
 *   last_victim_cgroup ID  cgroup id of the latest victim of a kill counted
 *                          in oom_kill here (0: none yet)
 *   last_victim_pid N      and its pid
 *
 * The OOM killer runs in the context of the task whose allocation failed
 * and marks its victim (tracepoint mark_victim); the victim may live in
 * another cgroup, e.g. a sibling under the same memory limit.
 */
#include "view.bpf.h"
#include "text.bpf.h"

struct oom_stats {
	__u64 kills;
	__u64 victims;
	__u64 last_victim_cgroup;
	__u64 last_victim_pid;
};

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct oom_stats);
} ooms SEC(".maps");

SEC("tp_btf/mark_victim")
int BPF_PROG(oom_mark_victim, struct task_struct *victim)
{
	struct task_struct *killer = bpf_get_current_task_btf();
	struct cgroup *vcg = task_dfl_cgroup(victim);
	struct oom_stats *st;

	st = cgrp_storage(&ooms, vcg);
	if (st)
		__sync_fetch_and_add(&st->victims, 1);
	st = cgrp_storage(&ooms, task_dfl_cgroup(killer));
	if (!st)
		return 0;
	__sync_fetch_and_add(&st->kills, 1);
	st->last_victim_cgroup = vcg->kn->id;
	st->last_victim_pid = victim->pid;
	return 0;
}

struct oom_record {
	__u64 oom_kill;
	__u64 oom_victim;
	__u64 last_victim_cgroup;
	__u64 last_victim_pid;
};

static __always_inline void oom_fill(struct cgroup *cgrp, struct oom_record *r,
				     bool walk)
{
	struct oom_stats *st = bpf_cgrp_storage_get(&ooms, cgrp, 0, 0);

	if (!st)
		return;
	r->oom_kill = st->kills;
	r->oom_victim = st->victims;
	r->last_victim_cgroup = st->last_victim_cgroup;
	r->last_victim_pid = st->last_victim_pid;
}

static __always_inline void oom_print(struct seq_file *seq,
				      const struct oom_record *r)
{
	struct text t = {};

	text_line(seq, &t, "oom_kill", r->oom_kill);
	text_line(seq, &t, "oom_victim", r->oom_victim);
	text_line(seq, &t, "last_victim_cgroup", r->last_victim_cgroup);
	text_line(seq, &t, "last_victim_pid", r->last_victim_pid);
	text_flush(seq, &t);
}

CGVIEW_RECORD(oom);
