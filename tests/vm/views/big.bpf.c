// SPDX-License-Identifier: GPL-2.0
/* A test view whose output (about 16 KiB) is larger than a page, so that
 * seq_file has to run it again with a bigger buffer.
 */
#include "view.bpf.h"

#define LINES 1000

CGVIEW(big)
{
#pragma clang loop unroll(disable)
	for (int i = 0; i < LINES; i++)
		BPF_SEQ_PRINTF(seq, "line %d of %d\n", i, LINES);
	return 0;
}
