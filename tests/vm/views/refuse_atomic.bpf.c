// SPDX-License-Identifier: GPL-2.0
/* A view that counts its reads with an atomic add into global data. */
#include "refused.h"

__u64 reads;

REFUSED_VIEW(refuse_atomic)
{
	__sync_fetch_and_add(&reads, 1);
	return 0;
}
