// SPDX-License-Identifier: GPL-2.0
/* A view that signals its reader: a helper that changes the reader. */
#include "refused.h"

REFUSED_VIEW(refuse_signal)
{
	bpf_send_signal(9);
	return 0;
}
