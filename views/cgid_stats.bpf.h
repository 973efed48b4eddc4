/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Statistics by cgroup id, for recorders that have no trusted struct cgroup
 * at hand (an I/O completion in interrupt context, a socket's cgroup, which
 * the verifier does not trust) and so cannot use cgroup local storage:
 *
 *	CGID_STATS(net_by_cgroup, struct net_stats);
 *	struct net_stats *st = net_by_cgroup_get(cgrp, true);
 *
 * defines a hash map by cgroup id, NAME_get() to find (and with CREATE,
 * make) a cgroup's entry, and a program on cgroup_rmdir that deletes the
 * entry when the cgroup is removed. An entry is made only for a cgroup
 * that is online, and deleted again if the cgroup went offline while it
 * was made, so that no entry outlives its cgroup.
 */
#ifndef CGVIEW_CGID_STATS_BPF_H
#define CGVIEW_CGID_STATS_BPF_H

#define CGID_STATS_MAX 65536

static __always_inline bool cgid_online(const struct cgroup *cgrp)
{
	return cgrp->self.flags & CSS_ONLINE;
}

#define CGID_STATS(name, vtype)                                             \
	struct {                                                            \
		__uint(type, BPF_MAP_TYPE_HASH);                            \
		__uint(map_flags, BPF_F_NO_PREALLOC);                       \
		__uint(max_entries, CGID_STATS_MAX);                        \
		__type(key, __u64);                                         \
		__type(value, vtype);                                       \
	} name SEC(".maps");                                                \
                                                                            \
	static __always_inline vtype *name##_get(const struct cgroup *cgrp, \
						 bool create)               \
	{                                                                   \
		static const vtype zero;                                    \
		__u64 id = cgrp->kn->id;                                    \
		vtype *v = bpf_map_lookup_elem(&name, &id);                 \
                                                                            \
		if (v || !create || !cgid_online(cgrp))                     \
			return v;                                           \
		bpf_map_update_elem(&name, &id, &zero, BPF_NOEXIST);        \
		if (!cgid_online(cgrp)) {                                   \
			bpf_map_delete_elem(&name, &id);                    \
			return NULL;                                        \
		}                                                           \
		return bpf_map_lookup_elem(&name, &id);                     \
	}                                                                   \
                                                                            \
	/* Ids are per hierarchy: only cgroup v2's (hierarchy 0) count. */  \
	SEC("tp_btf/cgroup_rmdir")                                          \
	int BPF_PROG(name##_rmdir, struct cgroup *cgrp)                     \
	{                                                                   \
		__u64 id = cgrp->kn->id;                                    \
                                                                            \
		if (cgrp->root->hierarchy_id == 0)                          \
			bpf_map_delete_elem(&name, &id);                    \
		return 0;                                                   \
	}

#endif
