// SPDX-License-Identifier: GPL-2.0
/* A test view that calls a kfunc views may not: cgroup_rstat_updated()
 * changes rstat state. Only the view program calls it; the same call in
 * a cgroup_iter program is allowed, as in any other tracing program.
 */
#include "view.bpf.h"

void cgroup_rstat_updated(struct cgroup *cgrp, int cpu) __ksym;

SEC("iter/cgroup")
int kfuncs_bad_iter(struct bpf_iter__cgroup *ctx)
{
	struct cgroup *cgrp = ctx->cgroup;

	if (cgrp)
		cgroup_rstat_updated(cgrp, 0);
	return 0;
}

SEC("view/cgroup")
int kfuncs_bad_view(struct bpf_view__cgroup *ctx)
{
	cgroup_rstat_updated(ctx->cgroup, 0);
	BPF_SEQ_PRINTF(ctx->seq, "level %d\n", ctx->cgroup->level);
	return 0;
}
