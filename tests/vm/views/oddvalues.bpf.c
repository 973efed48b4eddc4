// SPDX-License-Identifier: GPL-2.0
/* A test view whose values are not all JSON numbers: cgview cat -j must
 * write those as strings and stay valid JSON.
 */
#include "view.bpf.h"

CGVIEW(oddvalues)
{
	BPF_SEQ_PRINTF(seq, "zero 0\nneg -5\nlead 007\nhex 0x10\n");
	BPF_SEQ_PRINTF(seq, "minus -\nquote \"q\\\nmax max\n");
	BPF_SEQ_PRINTF(seq, "nested a=1 b=01 c=-0 d=x\n");
	return 0;
}
