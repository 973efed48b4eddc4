// SPDX-License-Identifier: GPL-2.0
/* cgview: per-cgroup statistics from BPF views, as plain files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "cgview.h"

static const char usage[] =
	"usage: cgview COMMAND [ARGS]\n"
	"\n"
	"Views are BPF programs that print one cgroup's state as text. Exposing\n"
	"a view at a cgroup makes a file that runs the view when it is read:\n"
	"  <cgroup directory>/bpf.<view>      kernels with the bpf_view series\n"
	"  " CGVIEW_PIN_ROOT "/cgroups/<cgroup>/bpf.<view>   other kernels\n"
	"\n"
	"commands:\n"
	"  load VIEW...           load views and pin them under " CGVIEW_PIN_ROOT
	"/views\n"
	"  unload VIEW...         remove the views and every exposure of them\n"
	"  expose VIEW CGROUP     make bpf.VIEW for CGROUP; prints the file's path\n"
	"  unexpose VIEW CGROUP   remove that file\n"
	"  cat CGROUP VIEW        print VIEW for CGROUP (exposed or not)\n"
	"  help                   this text\n"
	"\n"
	"VIEW is a view compiled into cgview, the path of an object file built\n"
	"with views/view.bpf.h (DIR/NAME.bpf.o loads as NAME), or the name of\n"
	"a view loaded from a file before.\n"
	"\n"
	"CGROUP is a path below the cgroup2 root (e.g. system.slice/nginx.service,\n"
	"or / for the root) or an absolute path inside the cgroup2 mount.\n"
	"\n"
	"environment: CGVIEW_MODE=stock uses cgroup iterators in bpffs even on\n"
	"a kernel with the bpf_view series.\n"
	"\n"
	"exit status: 0 done, 1 failed (the message says why), 2 bad usage\n";

void err_msg(int err, const char *fmt, ...)
{
	va_list ap;

	fputs("cgview: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("CGVIEW_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static const struct view *lookup(const char *name)
{
	const struct view *v = view_find(name);
	char names[256];

	if (!v && !strchr(name, '/')) {
		view_list_names(names, sizeof(names));
		err_msg(0, "unknown view '%s' (known views: %s)", name, names);
	}
	return v;
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("cgview: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nrun 'cgview help' for usage\n", stderr);
	return EXIT_USAGE;
}

/* load/unload: each argument is a view. */
static int for_each_view(int argc, char **argv, int (*fn)(const struct view *))
{
	int ret = EXIT_OK;

	if (argc < 1)
		return usage_error("%s needs at least one VIEW", argv[-1]);
	for (int i = 0; i < argc; i++) {
		const struct view *v = lookup(argv[i]);

		if (!v || fn(v))
			ret = EXIT_FAIL;
	}
	return ret;
}

/* expose/unexpose/cat: a view and a cgroup. */
static int view_and_cgroup(const struct mode *m, const char *cmd,
			   const char *vname, const char *cgname)
{
	const struct view *v = lookup(vname);
	struct cgroup_ref cg;
	int err;

	if (!v || cgroup_resolve(cgname, &cg))
		return EXIT_FAIL;
	if (!strcmp(cmd, "expose"))
		err = m->expose(v, &cg);
	else if (!strcmp(cmd, "unexpose"))
		err = m->unexpose(v, &cg);
	else
		err = view_cat(m, v, &cg);
	return err ? EXIT_FAIL : EXIT_OK;
}

static int run(const char *cmd, int argc, char **argv)
{
	const struct mode *m;

	if (!strcmp(cmd, "load"))
		return for_each_view(argc, argv, kernel_mode()->load);
	if (!strcmp(cmd, "unload"))
		return for_each_view(argc, argv, kernel_mode()->unload);
	if (strcmp(cmd, "expose") && strcmp(cmd, "unexpose") &&
	    strcmp(cmd, "cat"))
		return usage_error("unknown command '%s'", cmd);
	if (argc != 2)
		return usage_error("%s takes two arguments", cmd);
	m = kernel_mode();
	if (!strcmp(cmd, "cat"))
		return view_and_cgroup(m, cmd, argv[1], argv[0]);
	return view_and_cgroup(m, cmd, argv[0], argv[1]);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("%s", "no command given");
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	libbpf_set_print(libbpf_print);
	if (register_view_sections())
		return EXIT_FAIL;
	return run(argv[1], argc - 2, argv + 2);
}
