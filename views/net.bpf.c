// SPDX-License-Identifier: GPL-2.0
/* The "net" view: TCP traffic of this cgroup's sockets.
 *
 *   tcp_rx_bytes N       bytes received (read by the application)
 *   tcp_tx_bytes N       bytes sent (accepted by sendmsg)
 *   tcp_retransmits N    segments retransmitted, SYNs included
 *
 * Each socket belongs to the cgroup of the task that created it (accepted
 * sockets: of the listener), the cgroup socket filters use too; that is
 * where its events count, also those in softirq or timer context, where
 * the current task is unrelated. The statistics are kept in the cgroup's
 * local storage, freed with the cgroup, like every view's: no table of
 * cgroups that a tenant with many cgroups could fill. Local storage needs
 * a cgroup the verifier trusts, which a socket's cgroup pointer is not:
 * as a rule the socket's cgroup is the current task's, which is trusted;
 * otherwise the program takes a reference to it by its id, and a socket
 * whose sends and receives are made by tasks of another cgroup (a socket
 * handed to another service, an accepted socket of a listener in another
 * cgroup) keeps that reference in its local storage, where later events
 * find it, until the socket is freed.
 */
#include "view.bpf.h"
#include "text.bpf.h"

#define IPPROTO_TCP 6

struct net_stats {
	__u64 rx_bytes;
	__u64 tx_bytes;
	__u64 retransmits;
};

/* The statistics of each cgroup whose TCP sockets had traffic */
struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct net_stats);
} net_by_cgroup SEC(".maps");

/* The cgroup of a socket used by tasks of another cgroup, referenced */
struct sock_cgroup {
	struct cgroup __kptr *cgrp;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_cgroup);
} sock_cgroups SEC(".maps");

enum net_counter { RX_BYTES, TX_BYTES, RETRANSMITS };

/* N more to counter C of cgroup CGRP (trusted) */
static __always_inline void add(struct cgroup *cgrp, enum net_counter c,
				__u64 n)
{
	struct net_stats *st = cgrp_storage(&net_by_cgroup, cgrp);

	if (!st)
		return;
	if (c == RX_BYTES)
		__sync_fetch_and_add(&st->rx_bytes, n);
	else if (c == TX_BYTES)
		__sync_fetch_and_add(&st->tx_bytes, n);
	else
		__sync_fetch_and_add(&st->retransmits, n);
}

/*
 * N more to counter C of TCP socket SK's cgroup; IN_TASK: in process
 * context, where a reference taken by id is kept in the socket's storage.
 * The lookup by id takes and drops a reference to the cgroup's kernfs
 * node, never the last one (the socket holds its cgroup, which holds its
 * node), so it never frees the node, which takes a lock that softirqs must
 * not take.
 */
static __always_inline void count(const struct sock *sk, enum net_counter c,
				  __u64 n, bool in_task)
{
	struct cgroup *cur = task_dfl_cgroup(bpf_get_current_task_btf());
	struct cgroup *cgrp = sk->sk_cgrp_data.cgroup;
	struct sock_cgroup *noted;

	if (!cgrp || sk->sk_protocol != IPPROTO_TCP)
		return;
	if ((__u64)cgrp == (__u64)cur) {
		add(cur, c, n);
		return;
	}
	noted = bpf_sk_storage_get(&sock_cgroups, (struct sock *)sk, 0, 0);
	if (noted) {
		cgrp = noted->cgrp;
		if (cgrp) {
			add(cgrp, c, n);
			return;
		}
	}
	cgrp = bpf_cgroup_from_id(sk->sk_cgrp_data.cgroup->kn->id);
	if (!cgrp)
		return; /* removed */
	add(cgrp, c, n);
	if (in_task)
		noted = bpf_sk_storage_get(&sock_cgroups, (struct sock *)sk, 0,
					   BPF_SK_STORAGE_GET_F_CREATE);
	if (in_task && noted)
		cgrp = bpf_kptr_xchg(&noted->cgrp, cgrp);
	if (cgrp)
		bpf_cgroup_release(cgrp);
}

/* Sends and receives run in process context */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(net_recv, struct sock *sk, int ret)
{
	if (ret > 0)
		count(sk, RX_BYTES, ret, true);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(net_send, struct sock *sk, int ret)
{
	if (ret > 0)
		count(sk, TX_BYTES, ret, true);
	return 0;
}

/* In softirq or timer context as a rule */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(net_retransmit, const struct sock *sk)
{
	count(sk, RETRANSMITS, 1, false);
	return 0;
}

struct net_record {
	__u64 tcp_rx_bytes;
	__u64 tcp_tx_bytes;
	__u64 tcp_retransmits;
};

static __always_inline void net_fill(struct cgroup *cgrp, struct net_record *r,
				     bool walk)
{
	struct net_stats *st;

	st = bpf_cgrp_storage_get(&net_by_cgroup, cgrp, 0, 0);
	if (!st)
		return;
	r->tcp_rx_bytes = st->rx_bytes;
	r->tcp_tx_bytes = st->tx_bytes;
	r->tcp_retransmits = st->retransmits;
}

static __always_inline void net_print(struct seq_file *seq,
				      const struct net_record *r)
{
	struct text t = {};

	text_line(seq, &t, "tcp_rx_bytes", r->tcp_rx_bytes);
	text_line(seq, &t, "tcp_tx_bytes", r->tcp_tx_bytes);
	text_line(seq, &t, "tcp_retransmits", r->tcp_retransmits);
	text_flush(seq, &t);
}

CGVIEW_RECORD(net);
