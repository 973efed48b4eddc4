// SPDX-License-Identifier: GPL-2.0
/* The "id" view: who this cgroup is. The id is the inode number of the
 * cgroup's directory, the same number the exporter and bpf_get_current_
 * cgroup_id() use; level is its depth below the root (0).
 */
#include "view.bpf.h"
#include "text.bpf.h"

CGVIEW(id)
{
	struct text t = {};

	text_line(seq, &t, "id", cgrp->kn->id);
	text_line(seq, &t, "level", cgrp->level); /* 0 or more */
	text_flush(seq, &t);
	return 0;
}
