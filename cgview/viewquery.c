// SPDX-License-Identifier: GPL-2.0
/* BPF_PROG_QUERY of the views shown in one cgroup (patched kernels): the
 * link, flags, origin and file name of each bpf.* file there. The link's
 * fdinfo lists only its first files, so this is how every file is found.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

#include "cgview.h"

/* union bpf_attr's query as the series extends it: Debian's headers
 * predate view_cgroup_ids, view_names and view_names_len.
 */
struct view_query_attr {
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t query_flags;
	uint32_t attach_flags;
	uint64_t prog_ids;
	uint32_t count;
	uint32_t pad;
	uint64_t prog_attach_flags;
	uint64_t link_ids;
	uint64_t link_attach_flags;
	uint64_t revision;
	uint64_t view_cgroup_ids;
	uint64_t view_names;
	uint32_t view_names_len;
};

struct query_bufs {
	uint32_t *link_ids, *flags;
	uint64_t *origins;
	char *names;
	uint32_t count, names_len;
};

static void bufs_free(struct query_bufs *b)
{
	free(b->link_ids);
	free(b->flags);
	free(b->origins);
	free(b->names);
}

static int bufs_alloc(struct query_bufs *b, uint32_t count, uint32_t names)
{
	bufs_free(b);
	*b = (struct query_bufs){ .count = count, .names_len = names };
	b->link_ids = calloc(count + 1, sizeof(*b->link_ids));
	b->flags = calloc(count + 1, sizeof(*b->flags));
	b->origins = calloc(count + 1, sizeof(*b->origins));
	b->names = calloc(names + 1, 1);
	return b->link_ids && b->flags && b->origins && b->names ? 0 : -ENOMEM;
}

/* One query into B; the sizes it needs in *COUNT and *NAMES_LEN */
static int query_once(int dir_fd, struct query_bufs *b, uint32_t *count,
		      uint32_t *names_len)
{
	struct view_query_attr q = {
		.target_fd = dir_fd,
		.attach_type = CGVIEW_BPF_TRACE_VIEW,
		.count = b->count,
		.link_ids = (uintptr_t)b->link_ids,
		.link_attach_flags = (uintptr_t)b->flags,
		.view_cgroup_ids = (uintptr_t)b->origins,
		.view_names = (uintptr_t)b->names,
		.view_names_len = b->names_len,
	};
	long ret = syscall(__NR_bpf, BPF_PROG_QUERY, &q, sizeof(q));

	*count = q.count;
	*names_len = q.view_names_len;
	return ret < 0 ? -errno : 0;
}

static int to_views(const struct query_bufs *b, uint32_t n,
		    struct cgroup_view **out)
{
	const char *name = b->names;

	*out = calloc(n + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		(*out)[i] = (struct cgroup_view){ .link_id = b->link_ids[i],
						  .flags = b->flags[i],
						  .origin = b->origins[i] };
		snprintf((*out)[i].name, sizeof((*out)[i].name), "%s", name);
		name += strlen(name) + 1;
	}
	return 0;
}

int cgroup_views(int dir_fd, struct cgroup_view **out, size_t *n)
{
	struct query_bufs b = {};
	uint32_t count = 8, names_len = 8 * 64;
	int err;

	do {
		err = bufs_alloc(&b, count, names_len);
		if (!err)
			err = query_once(dir_fd, &b, &count, &names_len);
	} while (err == -ENOSPC);
	if (!err)
		err = to_views(&b, count, out);
	*n = err ? 0 : count;
	bufs_free(&b);
	return err;
}
