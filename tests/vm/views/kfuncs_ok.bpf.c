// SPDX-License-Identifier: GPL-2.0
/* A test view that calls only kfuncs views are allowed: a cgroup lookup
 * with its release, and rstat flushing (sleepable).
 *
 *   parent_id N   the id of the cgroup's parent (0 for the root)
 */
#include "view.bpf.h"

struct cgroup *bpf_cgroup_ancestor(struct cgroup *cgrp, int level) __ksym;
void bpf_cgroup_release(struct cgroup *cgrp) __ksym;
void cgroup_rstat_flush(struct cgroup *cgrp) __ksym;

CGVIEW_SLEEPABLE(kfuncs_ok)
{
	struct cgroup *parent = NULL;
	__u64 id = 0;

	cgroup_rstat_flush(cgrp);
	if (cgrp->level > 0)
		parent = bpf_cgroup_ancestor(cgrp, cgrp->level - 1);
	if (parent) {
		id = parent->kn->id;
		bpf_cgroup_release(parent);
	}
	BPF_SEQ_PRINTF(seq, "parent_id %llu\n", id);
	return 0;
}
