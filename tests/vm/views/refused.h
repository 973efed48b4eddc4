/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test views that each do one thing a view may not: reading a view must
 * not change kernel state. REFUSED_VIEW(name) { body } makes the view
 * program; its cgroup_iter twin, which cgview loads too, does nothing.
 */
#ifndef CGVIEW_TEST_REFUSED_H
#define CGVIEW_TEST_REFUSED_H

#include "view.bpf.h"

#define REFUSED_VIEW(name)                                                    \
	SEC("iter/cgroup")                                                    \
	int name##_iter(struct bpf_iter__cgroup *ctx)                         \
	{                                                                     \
		return 0;                                                     \
	}                                                                     \
	SEC("view/cgroup")                                                    \
	int name##_view(struct bpf_view__cgroup *ctx)

#endif
