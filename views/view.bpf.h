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
 *					      bool walk) { ... }
 *	static __always_inline void NAME_print(struct seq_file *seq,
 *					       const struct NAME_record *r)
 *	{ ... }
 *	CGVIEW_RECORD(NAME);
 *
 * fill() writes the members for CGRP into a record that is zeroed first
 * (those it leaves alone read 0). WALK false: for the text programs
 * (as CGVIEW() makes them), which print what fill() made; fill() may
 * first bring CGRP's subtree up to date (an rstat flush, which may sleep
 * in a sleepable view). WALK true: called from NAME_bulk, inside an RCU
 * read section: nothing that sleeps, no bpf_rcu_read_lock() of its own.
 *
 * NAME_bulk, SEC("syscall"), is run by BPF_PROG_RUN with a struct
 * cgview_bulk_args: it walks the subtree of cgroup ROOT in pre-order
 * (walk.bpf.h: under RCU only, not the cgroup mutex a cgroup_iter holds:
 * mkdir, rmdir and migrations never wait for it), from cgroup NEXT on (0:
 * ROOT), writes one struct cgview_bulk_NAME per cgroup into the array
 * cgview_bulk (slot 0 on), at most LIMIT (and the array's size), and says
 * how many it wrote (NREC) and where the next run starts (NEXT, 0 when
 * the walk is done; AFTER, should NEXT be removed meanwhile). It flushes
 * nothing: cgview-exporter runs it right after its own walk flushed rstat
 * at the same root. cgview pins the program and the array next to the
 * view (bulk, bulk_records); the exporter reads the records by the
 * array's BTF, member by name, one reader at a time (flock(2) on the
 * view's pin directory), copying each run's out of the array mapped
 * (BPF_F_MMAPABLE: no copy by the kernel element by element).
 */
#include "walk.bpf.h"

#define CGVIEW_BULK_SLOTS 1024
/* The text programs hold the record on the stack, beside text.bpf.h's
 * buffer (260 bytes): within the verifier's 512 bytes
 */
#define CGVIEW_RECORD_MAX 224

/* SKIP and SEEN are those of the views built before the walk resumed
 * by NEXT: they passed over SKIP cgroups and said how many they visited.
 * These ones leave SEEN 0, which is how the exporter tells them apart.
 */
struct cgview_bulk_args {
	__u64 root;
	__u32 skip;
	__u32 limit;
	__u32 seen;
	__u32 nrec;
	__u64 next;
	__u64 after;
};

/* Test builds only (-DCGVIEW_TEST_OLD_BULK): say SEEN as those views did,
 * so that a test sees what cgview-exporter does with one.
 */
#ifdef CGVIEW_TEST_OLD_BULK
#define CGVIEW_BULK_SEEN(a, w) ((a)->seen = (w).nrec + 1)
#else
#define CGVIEW_BULK_SEEN(a, w) ((void)0)
#endif

#define __CGVIEW_RECORD(name, iter_sec, view_sec)                         \
	__CGVIEW(name, iter_sec, view_sec)                                \
	{                                                                 \
		struct name##_record r = {};                              \
                                                                          \
		_Static_assert(sizeof(r) <= CGVIEW_RECORD_MAX,            \
			       "a record beside the text: 512 bytes");    \
		name##_fill(cgrp, &r, false);                             \
		name##_print(seq, &r);                                    \
		return 0;                                                 \
	}                                                                 \
	struct cgview_bulk_##name {                                       \
		__u64 cgroup_id;                                          \
		struct name##_record record;                              \
	};                                                                \
	struct {                                                          \
		__uint(type, BPF_MAP_TYPE_ARRAY);                         \
		__uint(map_flags, BPF_F_MMAPABLE);                        \
		__uint(max_entries, CGVIEW_BULK_SLOTS);                   \
		__type(key, __u32);                                       \
		__type(value, struct cgview_bulk_##name);                 \
	} cgview_bulk SEC(".maps");                                       \
	static __always_inline void name##_emit(                          \
		struct cgroup_subsys_state *pos, __u32 i, void *ctx)      \
	{                                                                 \
		struct cgview_bulk_##name *slot =                         \
			bpf_map_lookup_elem(&cgview_bulk, &i);            \
                                                                          \
		if (!slot)                                                \
			return; /* not past LIMIT: bulk() bounds it */    \
		slot->cgroup_id = pos->cgroup->kn->id;                    \
		__builtin_memset(&slot->record, 0, sizeof(slot->record)); \
		name##_fill(pos->cgroup, &slot->record, true);            \
	}                                                                 \
	SEC("syscall")                                                    \
	int name##_bulk(struct cgview_bulk_args *a)                       \
	{                                                                 \
		struct cgview_walk w = { .root = a->root,                 \
					 .next = a->next,                 \
					 .after = a->after,               \
					 .limit = a->limit };             \
		int err;                                                  \
                                                                          \
		if (w.limit > CGVIEW_BULK_SLOTS)                          \
			w.limit = CGVIEW_BULK_SLOTS;                      \
		if (!w.limit)                                             \
			return -22; /* -EINVAL */                         \
		err = cgview_walk(&w, name##_emit, NULL);                 \
		a->next = w.next;                                         \
		a->after = w.after;                                       \
		a->nrec = w.nrec;                                         \
		CGVIEW_BULK_SEEN(a, w);                                   \
		return err;                                               \
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

/*
 * Recorders that meet an event where no cgroup is at hand (an I/O
 * completion, a socket's event in softirq) keep a reference to the
 * cgroup, a kptr, taken where it was.
 */
extern struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp) __ksym;
extern struct cgroup *bpf_cgroup_from_id(__u64 cgid) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;

/* The cgroup v2 cgroup of task P, where its events are counted. */
static __always_inline struct cgroup *task_dfl_cgroup(struct task_struct *p)
{
	return p->cgroups->dfl_cgrp;
}

char LICENSE[] SEC("license") = "GPL";

#endif
