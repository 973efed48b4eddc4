// SPDX-License-Identifier: GPL-2.0
/* A view that uses an arena map, whose memory is stored to through
 * pointers no map check sees (and which user space maps).
 */
#include "refused.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
} arena SEC(".maps");

REFUSED_VIEW(refuse_arena)
{
	void *a = &arena;

	asm volatile("" : : "r"(a));
	return 0;
}
