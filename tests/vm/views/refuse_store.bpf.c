// SPDX-License-Identifier: GPL-2.0
/* A view that stores into a map value it looked up (a read-and-clear
 * counter, say): two readers would see different things.
 */
#include "refused.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

REFUSED_VIEW(refuse_store)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&counts, &zero);

	if (n) {
		BPF_SEQ_PRINTF(ctx->seq, "count %llu\n", *n);
		*n = 0;
	}
	return 0;
}
