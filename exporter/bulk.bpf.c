// SPDX-License-Identifier: GPL-2.0
/* The bulk read: for each cgroup of a subtree, a struct bulk_rec
 * (bulk_rec.h) of the numbers its standard files print, read from the
 * kernel's own structures (CO-RE: 6.12 and 6.18 alike), into the array
 * `recs`, slot by slot in pre-order. flush_root, a cgroup_iter on the
 * subtree's root alone, flushes rstat first (the cgroup lock is held for
 * that only); bulk, run with BPF_PROG_RUN, walks the subtree with the css
 * iterator under RCU, in runs of at most LIMIT cgroups, each starting
 * where the one before stopped (views/walk.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "bulk_rec.h"
#include "walk.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Mapped by bulk.c a batch at a time: no copy by the kernel */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* set by bulk.c before loading */
	__type(key, __u32);
	__type(value, struct bulk_rec);
} recs SEC(".maps");

__u32 nrec; /* records written; bulk.c zeroes it before each walk */
__u32 overflow; /* cgroups that found no free slot */
/* The walk (struct cgview_walk): its root, the cgroup the next run starts
 * at (0: the root; after a run, 0 when the walk is done) and where if that
 * one is removed meanwhile, cgroups a run visits at most
 */
__u64 root_id, next_id, after_id;
__u32 limit;
const volatile __u32 nr_cpus = 1; /* possible CPUs */
struct bulk_index mindex; /* written with the walk's first record */

extern void cgroup_rstat_flush(struct cgroup *cgrp) __ksym __weak; /* 6.12 */
extern void css_rstat_flush(struct cgroup_subsys_state *css) __ksym __weak;
extern const void mem_cgroup_stats_index __ksym __weak;
extern const void mem_cgroup_events_index __ksym __weak;

#ifndef bpf_ksym_exists /* libbpf 1.1 lacks it */
#define bpf_ksym_exists(sym) (!!(sym))
#endif

/* Kernels with CONFIG_SCHED_CORE (not the host's BTF, where vmlinux.h
 * comes from)
 */
struct cgroup_base_stat___fi {
	u64 forceidle_sum;
} __attribute__((preserve_access_index));

/* struct cgroup_bpf (cgrp->bpf) with the bpf_view series (kernel-patches/):
 * the cgroup's bpf.* files
 */
struct cgroup_bpf___view {
	struct list_head views;
} __attribute__((preserve_access_index));

/* The CSS of subsystem ID (an enum cgroup_subsys_id name), or NULL */
#define CSS(cgrp, id)                                                      \
	(bpf_core_enum_value_exists(enum cgroup_subsys_id, id) ?           \
		 (cgrp)->subsys[bpf_core_enum_value(enum cgroup_subsys_id, \
						    id)] :                 \
		 NULL)

/* CSS as the structure of its controller (TYPE), for direct loads; NULL
 * stays NULL
 */
#define AS(type, css)                                                     \
	((css) ? (type *)bpf_rdonly_cast((css),                           \
					 bpf_core_type_id_kernel(type)) : \
		 NULL)

/* 6.12 flushes every subsystem of a subtree at once. 6.16 and later flush
 * each subsystem's css on its own: there the base stats are flushed, and
 * the memory controller's are as the kernel's periodic flush (every 2 s)
 * left them, since a css read from the cgroup is no trusted pointer.
 */
static __always_inline void flush(struct cgroup *cgrp)
{
	if (bpf_ksym_exists(css_rstat_flush))
		css_rstat_flush(&cgrp->self);
	else if (bpf_ksym_exists(cgroup_rstat_flush))
		cgroup_rstat_flush(cgrp);
}

static __always_inline void read_index(void)
{
	__u32 n;

	mindex.n_stats = mindex.n_events = 0;
	if (!bpf_ksym_exists(&mem_cgroup_stats_index) ||
	    !bpf_ksym_exists(&mem_cgroup_events_index))
		return;
	n = bpf_core_enum_value(enum memcg_stat_item, MEMCG_NR_STAT);
	if (n <= BULK_INDEX && !bpf_probe_read_kernel(mindex.stats, n & 0x1ff,
						      &mem_cgroup_stats_index))
		mindex.n_stats = n;
	n = bpf_core_enum_value(enum vm_event_item, NR_VM_EVENT_ITEMS);
	if (n <= BULK_INDEX && !bpf_probe_read_kernel(mindex.events, n & 0x1ff,
						      &mem_cgroup_events_index))
		mindex.n_events = n;
}

static __always_inline void cgroup_stat(struct bulk_rec *r, struct cgroup *cgrp)
{
	struct cgroup_subsys_state *css[BULK_SUBSYS] = {};
	int dying[BULK_SUBSYS] = {};
	__u32 n = bpf_core_field_size(cgrp->subsys) / sizeof(css[0]);

	if (n > BULK_SUBSYS)
		n = BULK_SUBSYS;
	bpf_probe_read_kernel(css, n * sizeof(css[0]) & 0xff, &cgrp->subsys);
	bpf_probe_read_kernel(dying, n * sizeof(dying[0]) & 0xff,
			      &cgrp->nr_dying_subsys);
	r->nr_descendants = cgrp->nr_descendants;
	r->nr_dying_descendants = cgrp->nr_dying_descendants;
	for (int i = 0; i < BULK_SUBSYS; i++) {
		r->dying_subsys[i] = dying[i];
		if (!css[i])
			continue;
		r->css |= 1u << i;
		r->subsys[i] = BPF_CORE_READ(css[i], nr_descendants) + 1;
	}
}

static __always_inline void cpu_stat(struct bulk_rec *r, struct cgroup *cgrp)
{
	/* The root's cpu.stat sums every CPU's kcpustat (per-CPU symbols
	 * that kallsyms lacks without CONFIG_KALLSYMS_ALL): bulk_model.c
	 * reads that one file.
	 */
	if (r->flags & BULK_ROOT)
		return;
	r->sum_exec = cgrp->bstat.cputime.sum_exec_runtime;
	r->utime = cgrp->bstat.cputime.utime;
	r->stime = cgrp->bstat.cputime.stime;
	if (bpf_core_field_exists(cgrp->bstat.ntime))
		r->ntime = cgrp->bstat.ntime;
	struct cgroup_base_stat___fi *fi = (void *)&cgrp->bstat;

	if (bpf_core_field_exists(fi->forceidle_sum))
		r->forceidle = BPF_CORE_READ(fi, forceidle_sum);
	r->prev_utime = cgrp->prev_cputime.utime;
	r->prev_stime = cgrp->prev_cputime.stime;
}

static __always_inline void cpu_bandwidth(struct bulk_rec *r,
					  struct task_group *tg)
{
	if (!tg || !bpf_core_field_exists(tg->cfs_bandwidth))
		return;
	r->nr_periods = tg->cfs_bandwidth.nr_periods;
	r->nr_throttled = tg->cfs_bandwidth.nr_throttled;
	r->throttled_ns = tg->cfs_bandwidth.throttled_time;
	r->nr_bursts = tg->cfs_bandwidth.nr_burst;
	r->burst_ns = tg->cfs_bandwidth.burst_time;
}

/* throttled_time_self(): what the cgroup's own runqueues were throttled */
static __always_inline void cpu_local(struct bulk_rec *r, struct task_group *tg)
{
	struct cfs_rq **rqs, *rq;

	if (!tg ||
	    !bpf_core_field_exists(struct cfs_rq, throttled_clock_self_time))
		return;
	rqs = BPF_CORE_READ(tg, cfs_rq);
	for (__u32 i = 0; i < 1024 && i < nr_cpus; i++) {
		if (bpf_probe_read_kernel(&rq, sizeof(rq), rqs + i) || !rq)
			break;
		r->throttled_self_ns +=
			BPF_CORE_READ(rq, throttled_clock_self_time);
	}
}

#define PSI(r, total, avg, ours, theirs)                                  \
	do {                                                              \
		int i = bpf_core_enum_value(enum psi_states, theirs) & 7; \
		(r)->psi_total[ours] = total[i];                          \
		(r)->psi_avg[ours][0] = avg[i * 3];                       \
		(r)->psi_avg[ours][1] = avg[i * 3 + 1];                   \
		(r)->psi_avg[ours][2] = avg[i * 3 + 2];                   \
	} while (0)

/* An average psi_show() prints as 0.00: below FIXED_1 / 100 */
#define PSI_SHOWN(x) ((x)*100 >= 2048)

/* Whether state pair S (some, full) of R has an average the file shows */
static __always_inline bool psi_shown(const struct bulk_rec *r, int s)
{
	bool shown = false;

	for (int i = 0; i < 3; i++)
		shown |= PSI_SHOWN(r->psi_avg[s][i]) ||
			 PSI_SHOWN(r->psi_avg[s + 1][i]);
	return shown;
}

/* psi_show() without its update: the totals and averages as the kernel's
 * averaging work last left them (README.md, "The bulk read"). BTF has
 * total[NR_PSI_AGGREGATORS][NR_PSI_STATES - 1] and avg[..][3] flattened;
 * total's first row is PSI_AVGS, the one the files show. While that work
 * is queued, it updates them every 2 s; once a group goes idle it stops,
 * and only a read of the file decays what it left: a resource whose
 * averages still show is then flagged, for the exporter to read its file.
 */
static __always_inline void pressure(struct bulk_rec *r, struct cgroup *cgrp)
{
	struct psi_group *g = cgrp->psi;
	__u64 total[8], avg[8 * 3];
	bool queued;

	if (!g || (r->flags & BULK_ROOT))
		return;
	if (bpf_core_field_exists(g->enabled) && !BPF_CORE_READ(g, enabled))
		r->flags |= BULK_PSI_OFF;
	/* the first row of total[] (PSI_AVGS), and avg[], in two reads */
	bpf_probe_read_kernel(total, sizeof(total), &g->total);
	bpf_probe_read_kernel(avg, sizeof(avg), &g->avg);
	PSI(r, total, avg, BULK_PSI_IO_SOME, PSI_IO_SOME);
	PSI(r, total, avg, BULK_PSI_IO_FULL, PSI_IO_FULL);
	PSI(r, total, avg, BULK_PSI_MEM_SOME, PSI_MEM_SOME);
	PSI(r, total, avg, BULK_PSI_MEM_FULL, PSI_MEM_FULL);
	PSI(r, total, avg, BULK_PSI_CPU_SOME, PSI_CPU_SOME);
	PSI(r, total, avg, BULK_PSI_CPU_FULL, PSI_CPU_FULL);
	/* WORK_STRUCT_PENDING_BIT (0) of avgs_work: queued */
	queued = BPF_CORE_READ(g, avgs_work.work.data.counter) & 1;
	if (!queued && psi_shown(r, BULK_PSI_IO_SOME))
		r->flags |= BULK_PSI_STALE_IO;
	if (!queued && psi_shown(r, BULK_PSI_MEM_SOME))
		r->flags |= BULK_PSI_STALE_MEM;
	if (!queued && psi_shown(r, BULK_PSI_CPU_SOME))
		r->flags |= BULK_PSI_STALE_CPU;
}

/* memcg->vmstats->state[] and events[], the slots memory.stat reads */
static __always_inline void vmstats(struct bulk_rec *r, struct mem_cgroup *m)
{
	struct memcg_vmstats *v = BPF_CORE_READ(m, vmstats);
	__u32 n;

	if (!v || !mindex.n_stats)
		return;
	n = bpf_core_field_size(v->state);
	if (n > sizeof(r->mstate))
		n = sizeof(r->mstate);
	bpf_probe_read_kernel(r->mstate, n & 0x3ff, &v->state);
	n = bpf_core_field_size(v->events);
	if (n > sizeof(r->mevents))
		n = sizeof(r->mevents);
	bpf_probe_read_kernel(r->mevents, n & 0x3ff, &v->events);
}

#define MEV(r, ev, ours, theirs)                                              \
	do {                                                                  \
		if (bpf_core_enum_value_exists(enum memcg_memory_event,       \
					       theirs))                       \
			(r)->mev[ours] =                                      \
				ev[bpf_core_enum_value(                       \
					   enum memcg_memory_event, theirs) & \
				   15];                                       \
	} while (0)

static __always_inline void memory(struct bulk_rec *r, struct mem_cgroup *m)
{
	__u64 ev[16];

	if (!m)
		return;
	r->mem = m->memory.usage.counter;
	r->mem_max = m->memory.max;
	r->mem_peak = m->memory.watermark;
	r->swap = m->swap.usage.counter;
	r->swap_max = m->swap.max;
	r->swap_peak = m->swap.watermark;
	bpf_probe_read_kernel(ev, sizeof(ev), &m->memory_events);
	MEV(r, ev, BULK_MEV_LOW, MEMCG_LOW);
	MEV(r, ev, BULK_MEV_HIGH, MEMCG_HIGH);
	MEV(r, ev, BULK_MEV_MAX, MEMCG_MAX);
	MEV(r, ev, BULK_MEV_OOM, MEMCG_OOM);
	MEV(r, ev, BULK_MEV_OOM_KILL, MEMCG_OOM_KILL);
	MEV(r, ev, BULK_MEV_OOM_GROUP_KILL, MEMCG_OOM_GROUP_KILL);
	MEV(r, ev, BULK_MEV_SWAP_HIGH, MEMCG_SWAP_HIGH);
	MEV(r, ev, BULK_MEV_SWAP_MAX, MEMCG_SWAP_MAX);
	MEV(r, ev, BULK_MEV_SWAP_FAIL, MEMCG_SWAP_FAIL);
	vmstats(r, m);
}

/* blkcg_print_one_stat() of each online blkg with a disk */
static __always_inline void io_dev(struct bulk_rec *r, struct blkcg_gq *g)
{
	__u32 n = r->ndev;

	if (!BPF_CORE_READ(g, online) || !BPF_CORE_READ(g, q, disk))
		return;
	for (int i = 0; i < (int)(bpf_core_field_size(g->pd) / sizeof(void *));
	     i++)
		if (i < 8 && BPF_CORE_READ(g, pd[i]))
			r->flags |= BULK_IO_MORE;
	if (n >= BULK_DEVS) {
		r->flags |= BULK_IO_MORE;
		return;
	}
	bpf_probe_read_kernel_str(r->dev[n].name, sizeof(r->dev[n].name),
				  BPF_CORE_READ(g, q, disk, bdi, dev_name));
	BPF_CORE_READ_INTO(&r->dev[n].bytes, g, iostat.cur.bytes);
	BPF_CORE_READ_INTO(&r->dev[n].ios, g, iostat.cur.ios);
	r->ndev = n + 1;
}

static __always_inline void io(struct bulk_rec *r, struct blkcg *blkcg)
{
	struct hlist_node *node;
	struct blkcg_gq *g;

	if (!blkcg)
		return;
	node = BPF_CORE_READ(blkcg, blkg_list.first);
	for (int i = 0; i < BULK_DEVS + 1 && node; i++) {
		g = (void *)node -
		    bpf_core_field_offset(struct blkcg_gq, blkcg_node);
		io_dev(r, g);
		node = BPF_CORE_READ(node, next);
	}
	if (node)
		r->flags |= BULK_IO_MORE;
}

static __always_inline void pids(struct bulk_rec *r, struct pids_cgroup *p)
{
	if (!p)
		return;
	r->pids = p->counter.counter;
	r->pids_max = p->limit.counter;
	r->pids_peak = p->watermark;
	r->pids_ev_max = p->events[0].counter;
	r->pids_ev_local_forkfail = p->events_local[1].counter;
}

static __always_inline void views(struct bulk_rec *r, struct cgroup *cgrp)
{
	struct cgroup_bpf___view *v;

	if (!bpf_core_field_exists(cgrp->bpf)) /* no CONFIG_CGROUP_BPF */
		return;
	v = (void *)&cgrp->bpf;
	if (bpf_core_field_exists(v->views) && v->views.next != &v->views)
		r->flags |= BULK_VIEWS;
}

static __always_inline void fill(struct bulk_rec *r, struct cgroup *cgrp)
{
	struct kernfs_node *kn = cgrp->kn;
	struct cgroup_subsys_state *up = cgrp->self.parent;
	struct cgroup *parent = up ? up->cgroup : NULL;
	long n;

	/* the slot holds the last walk's: stores, not a helper's copy */
	__builtin_memset(r, 0, offsetof(struct bulk_rec, mstate));
	r->id = kn->id;
	r->parent = parent ? parent->kn->id : 0;
	if (!parent)
		r->flags |= BULK_ROOT;
	n = bpf_probe_read_kernel_str(r->name, sizeof(r->name), kn->name);
	r->name_len = n > 0 ? n - 1 : 0;
	cgroup_stat(r, cgrp);
	cpu_stat(r, cgrp);
	cpu_bandwidth(r, AS(struct task_group, CSS(cgrp, cpu_cgrp_id)));
	cpu_local(r, AS(struct task_group, CSS(cgrp, cpu_cgrp_id)));
	pressure(r, cgrp);
	memory(r, AS(struct mem_cgroup, CSS(cgrp, memory_cgrp_id)));
	pids(r, AS(struct pids_cgroup, CSS(cgrp, pids_cgrp_id)));
	io(r, AS(struct blkcg, CSS(cgrp, io_cgrp_id)));
	views(r, cgrp);
}

/* fill() as a function of its own, which the verifier checks once rather
 * than in every state of the walk's loop; the cgroup comes as an address
 * (read through bpf_rdonly_cast(), as fill() reads the controllers')
 */
__noinline int fill_cgroup(struct bulk_rec *r, __u64 addr)
{
	struct cgroup *cgrp = bpf_rdonly_cast(
		(void *)addr, bpf_core_type_id_kernel(struct cgroup));

	if (!r || !cgrp)
		return 0;
	fill(r, cgrp);
	return 0;
}

/* Before a walk, run as a cgroup_iter on its root alone (the lock it
 * holds, for this one cgroup): the flush, as reading cpu.stat does, and
 * memory.stat's tables
 */
SEC("iter.s/cgroup")
int flush_root(struct bpf_iter__cgroup *ctx)
{
	struct cgroup *cgrp = ctx->cgroup;

	if (!cgrp)
		return 0;
	flush(cgrp);
	read_index();
	return 0;
}

/* A cgroup of the walk, into the next free slot */
static __always_inline void emit(struct cgroup_subsys_state *pos, __u32 i,
				 void *ctx)
{
	__u32 slot = nrec;
	struct bulk_rec *r = bpf_map_lookup_elem(&recs, &slot);
	__u64 addr;

	if (!r) {
		overflow++;
		return;
	}
	nrec = slot + 1;
	/* its address as a number, which a global function takes */
	bpf_probe_read_kernel(&addr, sizeof(addr), &pos->cgroup);
	fill_cgroup(r, addr);
}

/* A run of the walk (BPF_PROG_RUN): records into slot NREC on */
SEC("syscall")
int bulk(void *ctx)
{
	struct cgview_walk w = { .root = root_id,
				 .next = next_id,
				 .after = after_id,
				 .limit = limit };
	int err = cgview_walk(&w, emit, NULL);

	next_id = w.next;
	after_id = w.after;
	return err;
}
