// SPDX-License-Identifier: GPL-2.0
/* A test view whose view program returns 1: the verifier must refuse it. */
#include "view.bpf.h"

SEC("iter/cgroup")
int bad_return_iter(struct bpf_iter__cgroup *ctx)
{
	return 0;
}

SEC("view/cgroup")
int bad_return_view(struct bpf_view__cgroup *ctx)
{
	return 1;
}
