// SPDX-License-Identifier: GPL-2.0
/* Kernels (or sandboxes) that refuse fentry/fexit programs. A view may
 * declare
 *
 *	const volatile bool cgview_fentry = true;
 *
 * and keep a way to work without them: where the kernel refuses them,
 * cgview does not load the view's fentry/fexit programs and sets
 * cgview_fentry to false before loading, so the verifier drops the code
 * that depends on them.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cgview.h"

#define FENTRY_VAR "cgview_fentry"
#define PROBE_FUNC "bpf_rstat_flush"

/* Load "return 0" as fentry on a kernel function, once. */
bool kernel_allows_fentry(void)
{
	static int ok = -1;
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY);
	struct btf *btf;
	int id, fd;

	if (ok >= 0)
		return ok;
	if (!kernel_has_btf())
		return (ok = false);
	btf = btf__load_vmlinux_btf();
	id = btf ? btf__find_by_name_kind(btf, PROBE_FUNC, BTF_KIND_FUNC) : -1;
	btf__free(btf);
	opts.attach_btf_id = id > 0 ? id : 0;
	fd = id > 0 ? bpf_prog_load(BPF_PROG_TYPE_TRACING, "cgview_probe",
				    "GPL", insns, 2, &opts) :
		      -1;
	ok = fd >= 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Where the .rodata variable NAME of OBJ is; NULL if it has none. */
static void *rodata_var(struct bpf_object *obj, const char *name)
{
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *map = NULL, *m;
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	size_t size;
	int id;

	bpf_object__for_each_map(m, obj)
		if (strstr(bpf_map__name(m), ".rodata"))
			map = m;
	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) :
		   -1;
	if (!map || id <= 0)
		return NULL;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, var->name_off), name))
			return (char *)bpf_map__initial_value(map, &size) +
			       vs->offset;
	}
	return NULL;
}

/* Before loading OBJ: leave out what this kernel refuses. */
void fentry_fallback(struct bpf_object *obj)
{
	struct bpf_program *p;
	bool *var;

	if (kernel_allows_fentry())
		return;
	bpf_object__for_each_program(p, obj) {
		const char *sec = bpf_program__section_name(p);

		if (!strncmp(sec, "fentry", 6) || !strncmp(sec, "fexit", 5))
			bpf_program__set_autoload(p, false);
	}
	var = rodata_var(obj, FENTRY_VAR);
	if (var)
		*var = false;
}
