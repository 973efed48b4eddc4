/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A walk of a subtree in pre-order, in runs (BPF_PROG_RUN of a
 * SEC("syscall") program), each one RCU read section that stops after at
 * most LIMIT cgroups; the next run starts where the one before stopped:
 *
 *	struct cgview_walk w = { .root = ID, .limit = 1000 };
 *	do { run; } while (!error && w.next);
 *
 * with, in the program, cgview_walk(&w, emit, ctx), which calls
 * emit(pos, i, ctx) for the I-th online cgroup of the run, POS trusted
 * (the css iterator's).
 *
 * A run resumes by the id of the cgroup it starts at, not by passing over
 * the cgroups the runs before it wrote again (runs that did that cost the
 * square of the tree's size over the run's: 45,000 cgroups passed over per
 * walk of 10,000 in runs of 1,000, and their read sections grew with the
 * tree): it walks the start's subtree with the css iterator, then the
 * subtrees that follow it in pre-order, the start's next sibling's, its
 * parent's next sibling's and so on up to ROOT, each by the id the
 * sibling list gives (bpf_cgroup_from_id(): a trusted cgroup to walk). The
 * lists are read as the kernel's css_next_descendant_pre() reads them,
 * under RCU: a cgroup removed meanwhile still leads to its next sibling.
 * A run that stops notes where the next one starts twice: the cgroup
 * past its limit (NEXT) and, should that one be removed before the next
 * run (its subtree with it), the first cgroup after its subtree (AFTER).
 * Both removed: -ESTALE (the caller walks again from ROOT: the
 * exporter's own walk in one run, a view's in runs, once). A run that
 * stops deeper than CGVIEW_WALK_DEPTH below the cgroup with its next
 * subtree (a tenant's chain of cgroups): -E2BIG. The tree
 * changing between runs otherwise: a run may miss a cgroup made since (it
 * is in the next walk), and never writes one twice.
 */
#ifndef CGVIEW_WALK_BPF_H
#define CGVIEW_WALK_BPF_H

#define CGVIEW_ENOENT 2
#define CGVIEW_E2BIG 7
#define CGVIEW_ESTALE 116
/* Subtree starts found removed that a run passes over before it stops */
#define CGVIEW_WALK_GONE 64
/* Levels a run climbs from a cgroup to find the next subtree, at most: a
 * cgroup nested deeper below ROOT, where a run stops, ends the runs with
 * -E2BIG (and the caller walks in one run, which climbs nothing)
 */
#define CGVIEW_WALK_DEPTH 4096
#define CGVIEW_WALK_DEEP 1 /* cgview_after_subtree(): climbed too far */
/* Subtrees a run walks at most (a numbers iterator's bound is 8M) */
#define CGVIEW_WALK_SUBTREES (1 << 22)

/* A run's count of cgroups so far, in a global: the verifier does not
 * know a global's value, so the states of the walk's loops converge (a
 * count in a register it told apart by value: "too complex")
 */
__u32 cgview_walk_n;

struct cgview_walk {
	__u64 root; /* the subtree's root, a cgroup id */
	/* in: the cgroup to start at, 0 for ROOT; out: where the next run
	 * starts, 0 when the walk is done
	 */
	__u64 next;
	__u64 after; /* in, out: where, if NEXT was removed; 0: nowhere */
	__u32 limit; /* in: cgroups a run writes at most (at least 1) */
	__u32 nrec; /* out: cgroups the run wrote */
};

extern struct cgroup *bpf_cgroup_from_id(u64 cgid) __ksym __weak;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym __weak;
extern int bpf_iter_css_new(struct bpf_iter_css *it,
			    struct cgroup_subsys_state *start,
			    unsigned int flags) __ksym __weak;
extern struct cgroup_subsys_state *
bpf_iter_css_next(struct bpf_iter_css *it) __ksym __weak;
extern void bpf_iter_css_destroy(struct bpf_iter_css *it) __ksym __weak;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start,
			    int end) __ksym __weak;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym __weak;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym __weak;
extern void bpf_rcu_read_lock(void) __ksym __weak;
extern void bpf_rcu_read_unlock(void) __ksym __weak;
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* The css at ADDR, for loads that may fault (as probe reads) */
static __always_inline struct cgroup_subsys_state *css_at(__u64 addr)
{
	return bpf_rdonly_cast(
		(void *)addr,
		bpf_core_type_id_kernel(struct cgroup_subsys_state));
}

/* The cgroup id of the css at ADDR */
__noinline __u64 cgview_css_id(__u64 addr)
{
	struct cgroup_subsys_state *css = css_at(addr);

	return css ? css->cgroup->kn->id : 0;
}

/*
 * The css after the subtree of the css at ADDR in pre-order below cgroup
 * ROOT: its next sibling, else its parent's, and so on; 0 when there is
 * none (the walk is done), CGVIEW_WALK_DEEP when ADDR is more than
 * CGVIEW_WALK_DEPTH levels below the one that has it. Addresses as
 * numbers, list pointers read as numbers too, for the comparison with the
 * list's head.
 */
__noinline __u64 cgview_after_subtree(__u64 addr, __u64 root)
{
	struct bpf_iter_num depth;
	__u64 parent, next, found = 0;

	bpf_iter_num_new(&depth, 0, CGVIEW_WALK_DEPTH);
	while (addr && bpf_iter_num_next(&depth)) {
		struct cgroup_subsys_state *css = css_at(addr);

		addr = 0;
		if (!css || css->cgroup->kn->id == root ||
		    bpf_probe_read_kernel(&parent, sizeof(parent),
					  &css->parent) ||
		    !parent ||
		    bpf_probe_read_kernel(&next, sizeof(next),
					  &css->sibling.next))
			break;
		if (next !=
		    parent + bpf_core_field_offset(struct cgroup_subsys_state,
						   children)) {
			found = next -
				bpf_core_field_offset(
					struct cgroup_subsys_state, sibling);
			break;
		}
		addr = parent;
	}
	bpf_iter_num_destroy(&depth);
	return addr ? CGVIEW_WALK_DEEP : found;
}

/* The id of the first cgroup after the subtree of POS (0: none) */
static __always_inline __u64 cgview_walk_after(struct cgroup_subsys_state *pos,
					       __u64 root)
{
	__u64 addr;

	bpf_probe_read_kernel(&addr, sizeof(addr), &pos->cgroup);
	addr = cgview_after_subtree(addr, root);
	return addr > CGVIEW_WALK_DEEP ? cgview_css_id(addr) : 0;
}

/*
 * One run of W's walk: EMIT for each online cgroup, in pre-order, from
 * W->next (or W->root) on, at most W->limit of them; W->next, W->after
 * and W->nrec for the next run. 0, -ENOENT (ROOT is gone), -ESTALE (the
 * run's start is gone) or -E2BIG (nested too deep to go on from).
 */
static __always_inline int
cgview_walk(struct cgview_walk *w,
	    void (*emit)(struct cgroup_subsys_state *pos, __u32 i, void *ctx),
	    void *ctx)
{
	__u64 after = w->after, id = w->next ? w->next : w->root, at = 0;
	struct cgroup_subsys_state *pos;
	struct bpf_iter_num steps;
	struct bpf_iter_css it;
	struct cgroup *start;
	__u32 limit = w->limit;
	int err = 0;

	w->next = w->after = 0;
	cgview_walk_n = 0;
	bpf_rcu_read_lock();
	bpf_iter_num_new(&steps, 0,
			 (limit < CGVIEW_WALK_SUBTREES ? limit :
							 CGVIEW_WALK_SUBTREES) +
				 CGVIEW_WALK_GONE);
	while (id && bpf_iter_num_next(&steps)) {
		start = bpf_cgroup_from_id(id);
		if (!start && !at) {
			/* the run's start is gone: the cgroup after it */
			if (id != w->root && after) {
				id = after;
				after = 0;
				continue;
			}
			err = id == w->root ? -CGVIEW_ENOENT : -CGVIEW_ESTALE;
			id = 0;
			break;
		}
		if (start) {
			bpf_iter_css_new(&it, &start->self,
					 BPF_CGROUP_ITER_DESCENDANTS_PRE);
			while ((pos = bpf_iter_css_next(&it))) {
				if (!(pos->flags & CSS_ONLINE))
					continue; /* removed, still listed */
				if (cgview_walk_n >= limit) {
					w->next = pos->cgroup->kn->id;
					w->after =
						cgview_walk_after(pos, w->root);
					break;
				}
				emit(pos, cgview_walk_n++, ctx);
			}
			bpf_iter_css_destroy(&it);
			/* its address as a number (self.cgroup is itself) */
			bpf_probe_read_kernel(&at, sizeof(at),
					      &start->self.cgroup);
			bpf_cgroup_release(start);
			if (w->next)
				break;
		}
		/* else removed since the list gave it: the one after it */
		at = cgview_after_subtree(at, w->root);
		if (at == CGVIEW_WALK_DEEP) {
			err = -CGVIEW_E2BIG;
			at = 0;
		}
		id = at ? cgview_css_id(at) : 0;
	}
	bpf_iter_num_destroy(&steps);
	bpf_rcu_read_unlock();
	if (!w->next)
		w->next = id; /* out of steps: the next run starts there */
	w->nrec = cgview_walk_n;
	return err;
}

#endif
