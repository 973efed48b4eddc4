// SPDX-License-Identifier: GPL-2.0
/* BPF_PROG_QUERY of the views shown in one cgroup (patched kernels): the
 * link, flags, origin and file name of each bpf.* file there. The link's
 * fdinfo lists only its first files, so this is how every file is found.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgview.h"

static void bufs_free(struct view_query *b)
{
	free(b->link_ids);
	free(b->flags);
	free(b->origins);
	free(b->names);
}

static int bufs_alloc(struct view_query *b, __u32 count, __u32 names)
{
	bufs_free(b);
	*b = (struct view_query){ .count = count, .names_len = names };
	b->link_ids = calloc(count + 1, sizeof(*b->link_ids));
	b->flags = calloc(count + 1, sizeof(*b->flags));
	b->origins = calloc(count + 1, sizeof(*b->origins));
	b->names = calloc(names + 1, 1);
	return b->link_ids && b->flags && b->origins && b->names ? 0 : -ENOMEM;
}

static int to_views(const struct view_query *b, __u32 n,
		    struct cgroup_view **out)
{
	const char *name = b->names;

	*out = calloc(n + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (__u32 i = 0; i < n; i++) {
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
	struct view_query b = {};
	__u32 count = 8, names_len = 8 * 64;
	int err;

	do {
		err = bufs_alloc(&b, count, names_len);
		if (!err)
			err = view_query(dir_fd, &b);
		count = b.count;
		names_len = b.names_len;
	} while (err == -ENOSPC);
	if (!err)
		err = to_views(&b, count, out);
	*n = err ? 0 : count;
	bufs_free(&b);
	return err;
}
