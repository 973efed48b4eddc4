/* SPDX-License-Identifier: GPL-2.0 */
/* The record exporter/bulk.bpf.c writes for each cgroup of a walk, and
 * exporter/bulk.c reads: the kernel's own numbers, before the formatting
 * that the cgroup files apply (bulk_model.c applies it).
 */
#ifndef CGVIEW_BULK_REC_H
#define CGVIEW_BULK_REC_H

#define BULK_NAME_MAX 256 /* NAME_MAX and its NUL */
#define BULK_SUBSYS 16 /* CGROUP_SUBSYS_COUNT is 14 on 6.12 and 6.18 */
#define BULK_MSTATE 64 /* memcg_vmstats.state[]: 40 on 6.18 */
#define BULK_MEVENTS 64 /* memcg_vmstats.events[]: 31 on 6.18 */
#define BULK_INDEX 256 /* the kernel's u8 index tables of those arrays */
#define BULK_DEVS 4 /* io.stat lines (devices) */

/* flags */
#define BULK_ROOT 1 /* the hierarchy's root: no cpu.stat in the record */
#define BULK_VIEWS 2 /* the cgroup's directory has bpf.* files */
#define BULK_PSI_OFF 4 /* cgroup.pressure is 0: no *.pressure files */
#define BULK_IO_MORE \
	8 /* io.stat has more than the record holds: more
			* devices, or an I/O policy's own statistics */
/* the kernel's averaging work is idle (not queued) while that resource's
 * averages are not 0.00: they are where it last left them, and reading the
 * file would decay them first, so that file is read per file
 */
#define BULK_PSI_STALE_IO 16
#define BULK_PSI_STALE_MEM 32
#define BULK_PSI_STALE_CPU 64

/* The pressure states, in this order (enum psi_states without IRQ) */
enum bulk_psi {
	BULK_PSI_IO_SOME,
	BULK_PSI_IO_FULL,
	BULK_PSI_MEM_SOME,
	BULK_PSI_MEM_FULL,
	BULK_PSI_CPU_SOME,
	BULK_PSI_CPU_FULL,
	BULK_PSI_N
};

/* memory.events and memory.swap.events, in this order */
enum bulk_mev {
	BULK_MEV_LOW,
	BULK_MEV_HIGH,
	BULK_MEV_MAX,
	BULK_MEV_OOM,
	BULK_MEV_OOM_KILL,
	BULK_MEV_OOM_GROUP_KILL,
	BULK_MEV_SWAP_HIGH,
	BULK_MEV_SWAP_MAX,
	BULK_MEV_SWAP_FAIL,
	BULK_MEV_N
};

struct bulk_rec {
	__u64 id, parent; /* cgroup ids (kernfs node ids) */
	__u32 css; /* bit N: the cgroup has its own css of subsystem N */
	__u32 flags;
	/* cgroup.stat */
	__s32 nr_descendants, nr_dying_descendants;
	__s32 subsys[BULK_SUBSYS], dying_subsys[BULK_SUBSYS];
	/* cpu.stat: cgroup_base_stat after an rstat flush (ns) */
	__u64 sum_exec, utime, stime, ntime, forceidle;
	__u64 prev_utime, prev_stime; /* cputime_adjust()'s floor */
	/* cpu.stat with the cpu controller: its cfs_bandwidth */
	__u64 nr_periods, nr_throttled, throttled_ns, nr_bursts, burst_ns;
	__u64 throttled_self_ns; /* cpu.stat.local */
	/* *.pressure: stall time (ns) and averages (fixed point, FSHIFT 11) */
	__u64 psi_total[BULK_PSI_N];
	__u64 psi_avg[BULK_PSI_N][3];
	/* memory: page counters (pages) and events */
	__u64 mem, mem_max, mem_peak, swap, swap_max, swap_peak;
	__u64 mev[BULK_MEV_N];
	/* pids */
	__s64 pids, pids_max, pids_peak;
	__s64 pids_ev_max, pids_ev_local_forkfail;
	__u32 ndev; /* of dev[] */
	/* Up to here the program zeroes each record first; what follows is
	 * read only where the fields above say it was written.
	 *
	 * memory.stat (for a cgroup with the memory controller): memcg->vmstats, as the kernel's index tables map
	 * stat items to slots (struct bulk_index)
	 */
	__s64 mstate[BULK_MSTATE];
	__u64 mevents[BULK_MEVENTS];
	/* io.stat: the blkgs of the cgroup, in the file's order */
	struct {
		char name[16]; /* MAJ:MIN */
		__u64 bytes[3], ios[3]; /* read, write, discard */
	} dev[BULK_DEVS];
	__u32 name_len;
	char name[BULK_NAME_MAX];
};

/* mem_cgroup_stats_index[] and mem_cgroup_events_index[] (static in
 * mm/memcontrol.c: from kallsyms, with CONFIG_KALLSYMS_ALL), read once per
 * walk; n_* is 0 where the kernel has no such table
 */
struct bulk_index {
	__u32 n_stats, n_events;
	__u8 stats[BULK_INDEX], events[BULK_INDEX];
};

#endif
