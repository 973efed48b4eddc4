// SPDX-License-Identifier: GPL-2.0
/* A view that makes cgroup local storage for every cgroup it is read in. */
#include "refused.h"

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} seen SEC(".maps");

REFUSED_VIEW(refuse_storage)
{
	bpf_cgrp_storage_get(&seen, ctx->cgroup, 0,
			     BPF_LOCAL_STORAGE_GET_F_CREATE);
	return 0;
}
