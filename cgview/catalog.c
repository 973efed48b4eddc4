// SPDX-License-Identifier: GPL-2.0
/* The views cgview knows: those compiled in, from the skeletons bpftool
 * generates; views from an object file (built with view.bpf.h), named after
 * the file; and views already loaded, by the name they were loaded under.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgview.h"
#include "id.skel.h"
#include "io_latency.skel.h"
#include "mem_events.skel.h"
#include "net.skel.h"
#include "oom.skel.h"
#include "cpu.skel.h"
#include "sched_wait.skel.h"

static const struct view views[] = {
	{ "cpu", cpu__elf_bytes, NULL },
	{ "id", id__elf_bytes, NULL },
	{ "io_latency", io_latency__elf_bytes, NULL },
	{ "mem_events", mem_events__elf_bytes, NULL },
	{ "net", net__elf_bytes, NULL },
	{ "oom", oom__elf_bytes, NULL },
	{ "sched_wait", sched_wait__elf_bytes, NULL },
};

#define NR_VIEWS (sizeof(views) / sizeof(views[0]))

/* A view name becomes part of file names: bpf.<name>, and a bpffs
 * directory, where dots are not allowed.
 */
static int name_ok(const char *name, size_t len)
{
	if (!len || len > NAME_MAX - 8)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(name[i] == '_' || (name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9')))
			return 0;
	return 1;
}

/* "DIR/NAME.bpf.o" (or any path with a slash) names a view in a file. */
static const struct view *from_file(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strlen(base);
	struct view *v;

	if (len > 6 && !strcmp(base + len - 6, ".bpf.o"))
		len -= 6;
	else if (len > 2 && !strcmp(base + len - 2, ".o"))
		len -= 2;
	if (!name_ok(base, len)) {
		err_msg(0, "view file %s: its name must be [a-z0-9_]+.bpf.o",
			path);
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (v) {
		v->name = strndup(base, len);
		v->path = path;
	}
	return v && v->name ? v : NULL;
}

static const struct view *loaded(const char *name)
{
	char dir[PATH_MAX];
	struct view *v;

	if (!name_ok(name, strlen(name)) ||
	    view_pin_path(dir, sizeof(dir), name, "") || access(dir, F_OK))
		return NULL;
	v = calloc(1, sizeof(*v));
	if (v)
		v->name = name;
	return v;
}

const struct view *view_find(const char *name)
{
	for (size_t i = 0; i < NR_VIEWS; i++)
		if (!strcmp(views[i].name, name))
			return &views[i];
	if (strchr(name, '/') || strstr(name, ".o"))
		return from_file(name);
	return loaded(name);
}

void view_list_names(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NR_VIEWS && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? " " : "",
				views[i].name);
}

size_t view_builtin_count(void)
{
	return NR_VIEWS;
}

const struct view *view_builtin(size_t i)
{
	return i < NR_VIEWS ? &views[i] : NULL;
}
