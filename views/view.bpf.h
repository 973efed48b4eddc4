/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One source per view. A view file defines its body once:
 *
 *	CGVIEW(name)
 *	{
 *		BPF_SEQ_PRINTF(seq, "key %llu\n", value);
 *		return 0;
 *	}
 *
 * with `seq` (struct seq_file *) and `cgrp` (struct cgroup *) in scope
 * (text.bpf.h prints the same lines for less than BPF_SEQ_PRINTF), and
 * this header turns it into two programs: SEC("view/cgroup"), the view that
 * kernels with the bpf_view series show as bpf.<name> in cgroupfs, and
 * SEC("iter/cgroup"), run by one cgroup_iter (order SELF_ONLY) per cgroup on
 * other kernels. cgview loads what the running kernel supports.
 * CGVIEW_SLEEPABLE(name) makes the sleepable variants of both.
 */
#ifndef CGVIEW_VIEW_BPF_H
#define CGVIEW_VIEW_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* The view context (not in the BTF of stock kernels) */
struct bpf_view__cgroup {
	struct seq_file *seq;
	struct cgroup *cgroup;
};

#define __CGVIEW(name, iter_sec, view_sec)                                    \
	static __always_inline int name##_show(struct seq_file *seq,          \
					       struct cgroup *cgrp);          \
	SEC(iter_sec)                                                         \
	int name##_iter(struct bpf_iter__cgroup *ctx)                         \
	{                                                                     \
		struct cgroup *cgrp = ctx->cgroup;                            \
                                                                              \
		/* The iterator calls once more with no cgroup at the end. */ \
		if (!cgrp)                                                    \
			return 0;                                             \
		name##_show(ctx->meta->seq, cgrp);                            \
		return 0;                                                     \
	}                                                                     \
	SEC(view_sec)                                                         \
	int name##_view(struct bpf_view__cgroup *ctx)                         \
	{                                                                     \
		name##_show(ctx->seq, ctx->cgroup);                           \
		return 0;                                                     \
	}                                                                     \
	static __always_inline int name##_show(struct seq_file *seq,          \
					       struct cgroup *cgrp)

#define CGVIEW(name) __CGVIEW(name, "iter/cgroup", "view/cgroup")

/*
 * A view whose body may sleep, e.g. to call cgroup_rstat_flush() (a
 * sleepable kfunc): SEC("iter.s/cgroup") and SEC("view.s/cgroup").
 */
#define CGVIEW_SLEEPABLE(name) __CGVIEW(name, "iter.s/cgroup", "view.s/cgroup")

/*
 * CGRP's entry in cgroup local storage MAP, made if there is none. Two
 * CPUs making it at once: one loses (-EEXIST) and finds the other's.
 */
static __always_inline void *cgrp_storage(void *map, struct cgroup *cgrp)
{
	void *v = bpf_cgrp_storage_get(map, cgrp, 0,
				       BPF_LOCAL_STORAGE_GET_F_CREATE);

	return v ? v : bpf_cgrp_storage_get(map, cgrp, 0, 0);
}

/* The cgroup v2 cgroup of task P, where its events are counted. */
static __always_inline struct cgroup *task_dfl_cgroup(struct task_struct *p)
{
	return p->cgroups->dfl_cgrp;
}

char LICENSE[] SEC("license") = "GPL";

#endif
