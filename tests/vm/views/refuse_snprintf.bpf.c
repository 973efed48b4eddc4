// SPDX-License-Identifier: GPL-2.0
/* A view that formats into global data (a map value): bpf_snprintf()'s
 * output buffer is checked as read, so it is not a view's helper.
 */
#include "refused.h"

char last[32];

REFUSED_VIEW(refuse_snprintf)
{
	__u64 id = ctx->cgroup->kn->id;

	bpf_snprintf(last, sizeof(last), "%llu", &id, sizeof(id));
	return 0;
}
