// SPDX-License-Identifier: GPL-2.0
/* The views compiled into cgview, from the skeletons bpftool generates. */
#include <stdio.h>
#include <string.h>

#include "cgview.h"
#include "id.skel.h"
#include "sched_wait.skel.h"

static const struct view views[] = {
	{ "id", id__elf_bytes },
	{ "sched_wait", sched_wait__elf_bytes },
};

#define NR_VIEWS (sizeof(views) / sizeof(views[0]))

const struct view *view_find(const char *name)
{
	for (size_t i = 0; i < NR_VIEWS; i++)
		if (!strcmp(views[i].name, name))
			return &views[i];
	return NULL;
}

void view_list_names(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NR_VIEWS && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? " " : "",
				views[i].name);
}
