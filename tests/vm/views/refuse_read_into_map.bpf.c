// SPDX-License-Identifier: GPL-2.0
/* A view that copies kernel memory into a map value with a helper. */
#include "refused.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} copies SEC(".maps");

REFUSED_VIEW(refuse_read_into_map)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&copies, &zero);

	if (v)
		bpf_probe_read_kernel(v, sizeof(*v), &ctx->cgroup->kn->id);
	return 0;
}
