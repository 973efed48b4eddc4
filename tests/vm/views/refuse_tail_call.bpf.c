// SPDX-License-Identifier: GPL-2.0
/* A view that tail-calls another program, which nothing would check. */
#include "refused.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} progs SEC(".maps");

REFUSED_VIEW(refuse_tail_call)
{
	bpf_tail_call(ctx, &progs, 0);
	return 0;
}
