// SPDX-License-Identifier: GPL-2.0
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

SEC("view/cgroup")
int show_hello(struct bpf_view__cgroup *ctx)
{
	BPF_SEQ_PRINTF(ctx->seq, "hello\n");
	return 0;
}

/* Not autoloaded: the verifier must refuse a view returning 1. */
SEC("?view/cgroup")
int bad_return(struct bpf_view__cgroup *ctx)
{
	return 1;
}
