// SPDX-License-Identifier: GPL-2.0
/* Which kernel is this: one with the bpf_view series (view programs show
 * as bpf.* files in cgroupfs) or a stock one (cgroup_iter pins in bpffs)?
 * The series adds the BTF function bpf_view_cgroup, the target that
 * SEC("view/cgroup") programs attach to.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cgview.h"

/* The kernel describes itself in BTF (CONFIG_DEBUG_INFO_BTF=y). */
bool kernel_has_btf(void)
{
	struct stat st;

	return !stat(VMLINUX_BTF, &st) && st.st_size > 0 &&
	       !access(VMLINUX_BTF, R_OK);
}

static bool kernel_has_views(void)
{
	static int has = -1;
	struct btf *btf;

	if (has >= 0)
		return has;
	if (!kernel_has_btf())
		return (has = false);
	btf = btf__load_vmlinux_btf();
	has = btf &&
	      btf__find_by_name_kind(btf, "bpf_view_cgroup", BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return has;
}

/* CGVIEW_MODE=stock uses cgroup_iter pins even where the series is. */
const struct backend *kernel_backend(void)
{
	const char *force = getenv("CGVIEW_MODE");

	if (force && !strcmp(force, "stock"))
		return &stock_backend;
	return kernel_has_views() ? &patched_backend : &stock_backend;
}

/* Why kernel_backend() chose what it did, for cgview status. */
const char *kernel_mode_reason(void)
{
	const char *force = getenv("CGVIEW_MODE");

	if (force && !strcmp(force, "stock"))
		return "CGVIEW_MODE=stock";
	if (kernel_has_views())
		return "the kernel has the bpf_view series (bpf_view_cgroup is in its BTF)";
	return "the kernel has no bpf_view series (no bpf_view_cgroup in its BTF): views run as cgroup iterators pinned in bpffs";
}

/* SEC("view/<target>"): attach to bpf_view_<target>; not loaded on stock
 * kernels, which have no such target.
 */
static int view_prog_setup(struct bpf_program *prog, long sleepable)
{
	const char *sec = bpf_program__section_name(prog);
	char func[128];

	if (!kernel_backend()->view_programs)
		return bpf_program__set_autoload(prog, false);
	snprintf(func, sizeof(func), "%s%s", view_attach_prefix(),
		 strchr(sec, '/') + 1);
	if (sleepable)
		bpf_program__set_flags(prog, BPF_F_SLEEPABLE);
	return bpf_program__set_attach_target(prog, 0, func);
}

/* Debian's libbpf (1.1) knows nothing of view programs. */
int register_view_sections(void)
{
	LIBBPF_OPTS(libbpf_prog_handler_opts, opts,
		    .prog_setup_fn = view_prog_setup);
	int err;

	err = libbpf_register_prog_handler("view/", BPF_PROG_TYPE_TRACING,
					   CGVIEW_BPF_TRACE_VIEW, &opts);
	if (err >= 0) {
		opts.cookie = 1;
		err = libbpf_register_prog_handler("view.s/",
						   BPF_PROG_TYPE_TRACING,
						   CGVIEW_BPF_TRACE_VIEW,
						   &opts);
	}
	if (err < 0)
		err_msg(-err, "cannot register view sections with libbpf");
	return err < 0 ? -1 : 0;
}
