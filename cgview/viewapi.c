// SPDX-License-Identifier: GPL-2.0
/* The series' two additions to bpf(2) that cgview uses, BPF_OBJ_PIN with
 * BPF_F_VIEW_INHERIT and BPF_PROG_QUERY's view fields, and the name of a
 * view's attach target as libbpf wants it. Built against the series'
 * libbpf (the Makefile probes its bpf/bpf.h for
 * bpf_obj_pin_opts.expected_view_revision and defines CGVIEW_LIBBPF_VIEWS),
 * cgview makes the calls through bpf_obj_pin_opts() and
 * bpf_prog_query_opts(); Debian's libbpf 1.1 has neither the opts nor the
 * fields, so cgview makes them with bpf(2) and the series' attr layout.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgview.h"

#ifdef CGVIEW_LIBBPF_VIEWS

const char *view_api(void)
{
	return "the series' view API (bpf_obj_pin_opts, bpf_prog_query_opts)";
}

bool view_api_libbpf(void)
{
	return true;
}

/* It finds bpf_view_<target> itself, as it finds bpf_iter_<target> */
const char *view_attach_prefix(void)
{
	return "";
}

int view_pin(int fd, const char *path, __u32 flags)
{
	LIBBPF_OPTS(bpf_obj_pin_opts, opts, .file_flags = flags);

	return bpf_obj_pin_opts(fd, path, &opts);
}

int view_query(int dir_fd, struct view_query *q)
{
	LIBBPF_OPTS(bpf_prog_query_opts, opts, .count = q->count,
		    .link_ids = q->link_ids, .link_attach_flags = q->flags,
		    .view_cgroup_ids = q->origins, .view_names = q->names,
		    .view_names_len = q->names_len);
	int err = bpf_prog_query_opts(dir_fd, CGVIEW_BPF_TRACE_VIEW, &opts);

	q->count = opts.count;
	q->names_len = opts.view_names_len;
	return err;
}

#else

const char *view_api(void)
{
	return "bpf(2) for view pins and queries (this libbpf has no view fields)";
}

bool view_api_libbpf(void)
{
	return false;
}

/* The target's BTF function, which libbpf 1.1 takes by its whole name */
const char *view_attach_prefix(void)
{
	return "bpf_view_";
}

int view_pin(int fd, const char *path, __u32 flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = (__u64)(uintptr_t)path;
	attr.bpf_fd = fd;
	attr.file_flags = flags;
	return syscall(__NR_bpf, BPF_OBJ_PIN, &attr, sizeof(attr)) ? -errno : 0;
}

/* union bpf_attr's query as the series extends it */
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

int view_query(int dir_fd, struct view_query *q)
{
	struct view_query_attr a = {
		.target_fd = dir_fd,
		.attach_type = CGVIEW_BPF_TRACE_VIEW,
		.count = q->count,
		.link_ids = (uintptr_t)q->link_ids,
		.link_attach_flags = (uintptr_t)q->flags,
		.view_cgroup_ids = (uintptr_t)q->origins,
		.view_names = (uintptr_t)q->names,
		.view_names_len = q->names_len,
	};
	long ret = syscall(__NR_bpf, BPF_PROG_QUERY, &a, sizeof(a));

	q->count = a.count;
	q->names_len = a.view_names_len;
	return ret < 0 ? -errno : 0;
}

#endif
