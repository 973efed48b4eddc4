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
 * with `seq` (struct seq_file *) and `cgrp` (struct cgroup *) in scope, and
 * this header turns it into two programs: SEC("view/cgroup"), the view that
 * kernels with the bpf_view series show as bpf.<name> in cgroupfs, and
 * SEC("iter/cgroup"), run by one cgroup_iter (order SELF_ONLY) per cgroup on
 * other kernels. cgview loads what the running kernel supports.
 */
#ifndef CGVIEW_VIEW_BPF_H
#define CGVIEW_VIEW_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* The view context (not in the BTF of stock kernels) */
struct bpf_view__cgroup {
	struct seq_file *seq;
	struct cgroup *cgroup;
};

#define CGVIEW(name)                                                          \
	static __always_inline int name##_show(struct seq_file *seq,          \
					       struct cgroup *cgrp);          \
	SEC("iter/cgroup")                                                    \
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
	SEC("view/cgroup")                                                    \
	int name##_view(struct bpf_view__cgroup *ctx)                         \
	{                                                                     \
		name##_show(ctx->seq, ctx->cgroup);                           \
		return 0;                                                     \
	}                                                                     \
	static __always_inline int name##_show(struct seq_file *seq,          \
					       struct cgroup *cgrp)

char LICENSE[] SEC("license") = "GPL";

#endif
