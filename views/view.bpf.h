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
 * A view with records: its numbers as a fixed struct as well as text. The
 * view file defines the struct, whose members are named after the keys
 * the text prints (a histogram: an array of its bucket counts, in the
 * order printed), and two functions, then names them:
 *
 *	struct NAME_record { __u64 count; __u64 hist_ns[N]; };
 *
 *	static __always_inline void NAME_fill(struct cgroup *cgrp,
 *					      struct NAME_record *r,
 *					      bool flush) { ... }
 *	static __always_inline void NAME_print(struct seq_file *seq,
 *					       const struct NAME_record *r)
 *	{ ... }
 *	CGVIEW_RECORD(NAME);
 *
 * fill() writes every member for CGRP; FLUSH says to bring CGRP's subtree
 * up to date first where the view keeps pending state (e.g. rstat). The
 * text programs (as CGVIEW() makes them) print what fill() made. The
 * third program, SEC("iter/cgroup") NAME_bulk, is for one cgroup_iter
 * over a whole subtree (order DESCENDANTS_PRE): it writes one struct
 * cgview_bulk_NAME per cgroup into the array cgview_bulk (slot 0 on) and
 * nothing to the seq_file, under the control of cgview_bulk_ctl:
 *
 *	skip	cgroups of the walk to pass over first (a session after the
 *		first starts again with the last one the one before wrote)
 *	limit	records to write at most; the walk stops there (returns 1)
 *	seen, nrec	cgroups visited and records written by the session
 *
 * and flushes once, at the first cgroup of a walk (the subtree's root).
 * cgview pins both maps and the program next to the view (bulk,
 * bulk_ctl, bulk_records); cgview-exporter reads the records from the
 * array's BTF, by member name, and one reader at a time (flock(2) on the
 * view's pin directory).
 */
#define CGVIEW_BULK_SLOTS 1024

struct cgview_bulk_ctl {
	__u32 skip;
	__u32 limit;
	__u32 seen;
	__u32 nrec;
};

#define __CGVIEW_RECORD(name, iter_sec, view_sec)                             \
	__CGVIEW(name, iter_sec, view_sec)                                    \
	{                                                                     \
		struct name##_record r = {};                                  \
                                                                              \
		name##_fill(cgrp, &r, true);                                  \
		name##_print(seq, &r);                                        \
		return 0;                                                     \
	}                                                                     \
	struct cgview_bulk_##name {                                           \
		__u64 cgroup_id;                                              \
		struct name##_record record;                                  \
	};                                                                    \
	struct {                                                              \
		__uint(type, BPF_MAP_TYPE_ARRAY);                             \
		__uint(max_entries, 1);                                       \
		__type(key, __u32);                                           \
		__type(value, struct cgview_bulk_ctl);                        \
	} cgview_bulk_ctl SEC(".maps");                                       \
	struct {                                                              \
		__uint(type, BPF_MAP_TYPE_ARRAY);                             \
		__uint(max_entries, CGVIEW_BULK_SLOTS);                       \
		__type(key, __u32);                                           \
		__type(value, struct cgview_bulk_##name);                     \
	} cgview_bulk SEC(".maps");                                           \
	SEC(iter_sec)                                                         \
	int name##_bulk(struct bpf_iter__cgroup *ctx)                         \
	{                                                                     \
		struct cgroup *cgrp = ctx->cgroup;                            \
		struct cgview_bulk_##name *slot;                              \
		struct cgview_bulk_ctl *c;                                    \
		__u32 zero = 0, i;                                            \
                                                                              \
		c = bpf_map_lookup_elem(&cgview_bulk_ctl, &zero);             \
		if (!cgrp || !c || c->seen++ < c->skip)                       \
			return 0;                                             \
		i = c->nrec;                                                  \
		slot = i < c->limit ? bpf_map_lookup_elem(&cgview_bulk, &i) : \
				      NULL;                                   \
		if (!slot)                                                    \
			return 1;                                             \
		c->nrec = i + 1;                                              \
		slot->cgroup_id = cgrp->kn->id;                               \
		__builtin_memset(&slot->record, 0, sizeof(slot->record));     \
		name##_fill(cgrp, &slot->record, !c->skip && c->seen == 1);   \
		return c->nrec >= c->limit;                                   \
	}

#define CGVIEW_RECORD(name) __CGVIEW_RECORD(name, "iter/cgroup", "view/cgroup")
#define CGVIEW_RECORD_SLEEPABLE(name) \
	__CGVIEW_RECORD(name, "iter.s/cgroup", "view.s/cgroup")

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
