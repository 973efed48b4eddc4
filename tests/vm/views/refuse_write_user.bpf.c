// SPDX-License-Identifier: GPL-2.0
/* A view that writes into its reader's memory. */
#include "refused.h"

REFUSED_VIEW(refuse_write_user)
{
	__u64 zero = 0;

	bpf_probe_write_user((void *)0x10000, &zero, sizeof(zero));
	return 0;
}
