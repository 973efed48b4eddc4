// SPDX-License-Identifier: GPL-2.0
/* A view that sends records out through a ring buffer. */
#include "refused.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} out SEC(".maps");

REFUSED_VIEW(refuse_ringbuf)
{
	__u64 id = ctx->cgroup->kn->id;

	bpf_ringbuf_output(&out, &id, sizeof(id), 0);
	return 0;
}
