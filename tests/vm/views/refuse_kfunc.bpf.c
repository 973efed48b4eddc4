// SPDX-License-Identifier: GPL-2.0
/* A view that calls a kfunc of the common hook that views may not:
 * bpf_preempt_disable() changes the reader's state (the kfunc allowlist
 * covers every hook, not only the tracing one).
 */
#include "refused.h"

void bpf_preempt_disable(void) __ksym;
void bpf_preempt_enable(void) __ksym;

REFUSED_VIEW(refuse_kfunc)
{
	bpf_preempt_disable();
	bpf_preempt_enable();
	return 0;
}
