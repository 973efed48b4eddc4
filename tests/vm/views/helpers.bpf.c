// SPDX-License-Identifier: GPL-2.0
/* A test view that uses each seq_file helper a view may call. */
#include "view.bpf.h"

CGVIEW(helpers)
{
	struct btf_ptr ptr = {
		.ptr = &cgrp->level,
		.type_id = bpf_core_type_id_kernel(int),
	};

	BPF_SEQ_PRINTF(seq, "printf %d\n", cgrp->level);
	bpf_seq_write(seq, "write\n", 6);
	bpf_seq_printf_btf(seq, &ptr, sizeof(ptr), 1 /* BTF_F_COMPACT */);
	bpf_seq_write(seq, "\n", 1);
	return 0;
}
