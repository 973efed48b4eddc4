// SPDX-License-Identifier: GPL-2.0
/* Load bench/empty.bpf.o (or floor.bpf.o) with only the programs of the
 * given hooks and attach them; they stay attached until the process exits.
 * A program's hook is its name after the first '_' (empty_sched_switch,
 * floor_block_io_start). With kernel.bpf_stats_enabled, empty_stats()
 * tells how often they ran and for how long.
 */
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "empty.h"

/* Whether PROG is the program of one of HOOKS */
static int wanted(const struct bpf_program *prog, char **hooks, int n)
{
	const char *name = strchr(bpf_program__name(prog), '_');

	if (!name)
		return 0;
	name++;
	for (int i = 0; i < n; i++)
		if (!strcmp(name, hooks[i]))
			return 1;
	return 0;
}

/* Attach the autoloaded programs of OBJ; 0 or -1 with a message. */
static int attach_all(struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog))
			continue;
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "recorders: cannot attach %s\n",
				bpf_program__name(prog));
			return -1;
		}
	}
	return 0;
}

struct bpf_object *empty_attach(const char *obj_path, char **hooks, int n)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	int found = 0;

	obj = obj_path ? bpf_object__open_file(obj_path, NULL) : NULL;
	if (!obj) {
		fprintf(stderr,
			"recorders: cannot open %s (RECORDERS_EMPTY_OBJ)\n",
			obj_path ? obj_path : "nothing");
		return NULL;
	}
	bpf_object__for_each_program(prog, obj) {
		int on = wanted(prog, hooks, n);

		bpf_program__set_autoload(prog, on);
		found += on;
	}
	if (found != n)
		fprintf(stderr,
			"recorders: %s has no program for a hook asked for\n",
			obj_path);
	else if (bpf_object__load(obj))
		fprintf(stderr, "recorders: cannot load %s\n", obj_path);
	else if (!attach_all(obj))
		return obj;
	bpf_object__close(obj);
	return NULL;
}

void empty_stats(struct bpf_object *obj, long ops)
{
	unsigned long long runs = 0, ns = 0;
	struct bpf_prog_info info;
	struct bpf_program *prog;
	__u32 len;

	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog))
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		runs += info.run_cnt;
		ns += info.run_time_ns;
	}
	printf("%.2f %.0f\n", (double)runs / ops, runs ? (double)ns / runs : 0);
}
