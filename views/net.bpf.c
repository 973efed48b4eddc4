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
 * the current task is unrelated. The verifier does not trust a socket's
 * cgroup pointer for cgroup local storage, so the statistics are kept by
 * cgroup id (cgid_stats.bpf.h) and deleted when the cgroup is removed.
 */
#include "view.bpf.h"
#include "text.bpf.h"
#include "cgid_stats.bpf.h"

#define IPPROTO_TCP 6

struct net_stats {
	__u64 rx_bytes;
	__u64 tx_bytes;
	__u64 retransmits;
};

CGID_STATS(net_by_cgroup, struct net_stats);

static __always_inline struct net_stats *stats_of(const struct sock *sk)
{
	struct cgroup *cgrp = sk->sk_cgrp_data.cgroup;

	if (!cgrp || sk->sk_protocol != IPPROTO_TCP)
		return NULL;
	return net_by_cgroup_get(cgrp, true);
}

static __always_inline void count_bytes(struct sock *sk, int ret, bool tx)
{
	struct net_stats *st;

	if (ret <= 0)
		return;
	st = stats_of(sk);
	if (st && tx)
		__sync_fetch_and_add(&st->tx_bytes, ret);
	else if (st)
		__sync_fetch_and_add(&st->rx_bytes, ret);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(net_recv, struct sock *sk, int ret)
{
	count_bytes(sk, ret, false);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(net_send, struct sock *sk, int ret)
{
	count_bytes(sk, ret, true);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(net_retransmit, const struct sock *sk)
{
	struct net_stats *st = stats_of(sk);

	if (st)
		__sync_fetch_and_add(&st->retransmits, 1);
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
	struct net_stats *st = net_by_cgroup_read(cgrp);

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
