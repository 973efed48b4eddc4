// SPDX-License-Identifier: GPL-2.0
/* Empty programs on the hooks the views' recorders use, one per hook: what
 * any program there costs before it does anything (the tracepoint's and
 * trampoline's dispatch). bench/recorders attaches those of a view's
 * tp_btf hooks, as its source names them (bench/empty.c), in rounds of
 * their own, next to the view's: a view with a new hook needs its program
 * here. cpu's fentry on bpf_rstat_flush has none: rstat flushes on reads
 * of cpu.stat, not in the workloads, and some kernels refuse fentry.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#define EMPTY(hook)                                     \
	SEC("tp_btf/" #hook) int BPF_PROG(empty_##hook) \
	{                                               \
		return 0;                               \
	}

EMPTY(sched_switch)
EMPTY(sched_stat_runtime)
EMPTY(sched_process_fork)
EMPTY(sched_process_exit)
EMPTY(mm_vmscan_direct_reclaim_begin)
EMPTY(mm_vmscan_direct_reclaim_end)
EMPTY(mm_vmscan_memcg_reclaim_begin)
EMPTY(mm_vmscan_memcg_reclaim_end)
EMPTY(sock_recv_length)
EMPTY(sock_send_length)
EMPTY(tcp_retransmit_skb)
EMPTY(block_io_start)
EMPTY(block_rq_complete)
EMPTY(mark_victim)
