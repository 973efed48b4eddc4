// SPDX-License-Identifier: GPL-2.0
/* The "id" view: who this cgroup is. The id is the inode number of the
 * cgroup's directory, the same number the exporter and bpf_get_current_
 * cgroup_id() use; level is its depth below the root (0).
 */
#include "view.bpf.h"

CGVIEW(id)
{
	BPF_SEQ_PRINTF(seq, "id %llu\n", cgrp->kn->id);
	BPF_SEQ_PRINTF(seq, "level %d\n", cgrp->level);
	return 0;
}
