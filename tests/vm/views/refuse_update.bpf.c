// SPDX-License-Identifier: GPL-2.0
/* A view that updates a map: a helper that changes state. */
#include "refused.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u64);
	__type(value, __u64);
} reads SEC(".maps");

REFUSED_VIEW(refuse_update)
{
	__u64 id = ctx->cgroup->kn->id, one = 1;

	bpf_map_update_elem(&reads, &id, &one, BPF_ANY);
	return 0;
}
