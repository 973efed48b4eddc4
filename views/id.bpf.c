// SPDX-License-Identifier: GPL-2.0
/* The "id" view: who this cgroup is. The id is the inode number of the
 * cgroup's directory, the same number the exporter and bpf_get_current_
 * cgroup_id() use; level is its depth below the root (0).
 */
#include "view.bpf.h"
#include "text.bpf.h"

struct id_record {
	__u64 id;
	__u64 level;
};

static __always_inline void id_fill(struct cgroup *cgrp, struct id_record *r,
				    bool walk)
{
	r->id = cgrp->kn->id;
	r->level = cgrp->level; /* 0 or more */
}

static __always_inline void id_print(struct seq_file *seq,
				     const struct id_record *r)
{
	struct text t = {};

	text_line(seq, &t, "id", r->id);
	text_line(seq, &t, "level", r->level);
	text_flush(seq, &t);
}

CGVIEW_RECORD(id);
