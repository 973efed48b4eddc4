// SPDX-License-Identifier: GPL-2.0
/* cgview: per-cgroup statistics from BPF views, as plain files. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "cgview.h"

static const char usage[] =
	"usage: cgview COMMAND [ARGS] [OPTIONS]\n"
	"\n"
	"Views are BPF programs that print one cgroup's state as text. Exposing\n"
	"a view at a cgroup makes a file that runs the view when it is read:\n"
	"  <cgroup directory>/bpf.<view>      kernels with the bpf_view series\n"
	"  " CGVIEW_MIRROR "/<cgroup>/bpf.<view>   other kernels\n"
	"\n"
	"commands:\n"
	"  load VIEW...|--all     load views and pin them under " CGVIEW_PIN_ROOT
	"/views\n"
	"                         (all or none: a view that fails to load\n"
	"                         unloads those loaded before it)\n"
	"  unload VIEW...|--all   remove the views (--all: those loaded) and every\n"
	"                         exposure of them\n"
	"  expose VIEW CGROUP     make bpf.VIEW for CGROUP; prints the file's path\n"
	"      --inherit          and for every descendant, now and later (other\n"
	"                         kernels: while 'cgview watch' runs)\n"
	"      --mode MODE        the file's mode: read permissions, octal\n"
	"                         (e.g. 0440, 0400)\n"
	"  unexpose VIEW CGROUP   remove that file (with --inherit: all of them)\n"
	"  cat CGROUP VIEW        print VIEW for CGROUP (exposed or not)\n"
	"  ls [CGROUP]            loaded views and where they are exposed\n"
	"  status [VIEW CGROUP]   kernel mode and why, BTF, bpffs; with VIEW and\n"
	"                         CGROUP: whether its file is there, and if not why\n"
	"  watch                  other kernels: keep --inherit exposures in step\n"
	"                         as cgroups come and go (runs until killed)\n"
	"  dump [CGROUP]          every cgroup below CGROUP (default /) with its\n"
	"                         statistics and views, in one read where the\n"
	"                         kernel allows (cgview-exporter's bulk read), in\n"
	"                         the Prometheus text format\n"
	"  help                   this text\n"
	"\n"
	"  -j, --json             cat, ls, status: print JSON\n"
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

struct opts {
	bool json, all;
	struct expose_opts expose;
};

/*
 * The views a load or unload names: each argument, or --all built-in ones
 * (for unload, those that are loaded). NULL when an argument names no
 * view (lookup() said which) or there is no memory; *N is their number.
 */
static const struct view **views_named(int argc, char **argv, bool all,
				       bool loaded_only, size_t *n)
{
	size_t max = all ? view_builtin_count() : (size_t)argc;
	const struct view **vs = calloc(max ? max : 1, sizeof(*vs));

	*n = 0;
	if (!vs) {
		err_msg(ENOMEM, "cannot list the views");
		return NULL;
	}
	for (size_t i = 0; i < max; i++) {
		const struct view *v = all ? view_builtin(i) : lookup(argv[i]);

		if (!v) {
			free(vs);
			return NULL;
		}
		if (!loaded_only || view_is_loaded(v))
			vs[(*n)++] = v;
	}
	return vs;
}

/* load: every view or none; unload: each view, as far as it goes. */
static int load_or_unload(const char *cmd, int argc, char **argv,
			  const struct opts *o)
{
	bool unload = !strcmp(cmd, "unload");
	const struct view **vs;
	int ret = EXIT_OK;
	size_t n;

	if (o->all && argc)
		return usage_error("%s takes VIEW... or --all, not both", cmd);
	if (!o->all && argc < 1)
		return usage_error("%s needs at least one VIEW (or --all)",
				   cmd);
	vs = views_named(argc, argv, o->all, unload && o->all, &n);
	if (!vs)
		return EXIT_FAIL;
	if (!unload) {
		if (views_load(vs, n, kernel_mode()->load))
			ret = EXIT_FAIL;
	} else {
		for (size_t i = 0; i < n; i++)
			if (view_unload(vs[i]))
				ret = EXIT_FAIL;
	}
	free(vs);
	return ret;
}

/* expose/unexpose/cat: a view and a cgroup. */
static int view_and_cgroup(const char *cmd, const char *vname,
			   const char *cgname, const struct opts *o)
{
	const struct view *v = lookup(vname);
	const struct mode *m;
	struct cgroup_ref cg;
	int err;

	if (!v || cgroup_resolve(cgname, &cg))
		return EXIT_FAIL;
	m = kernel_mode();
	if (!strcmp(cmd, "expose"))
		err = m->expose(v, &cg, &o->expose);
	else if (!strcmp(cmd, "unexpose"))
		err = m->unexpose(v, &cg);
	else
		err = view_cat(m, v, &cg, o->json);
	return err ? EXIT_FAIL : EXIT_OK;
}

static int check_opts(const char *cmd, const struct opts *o)
{
	bool expose = !strcmp(cmd, "expose");
	bool load = !strcmp(cmd, "load") || !strcmp(cmd, "unload");
	bool read = !strcmp(cmd, "cat") || !strcmp(cmd, "ls") ||
		    !strcmp(cmd, "status");

	if ((o->expose.inherit || o->expose.mode >= 0) && !expose)
		return usage_error(
			"--inherit and --mode go with expose, not %s", cmd);
	if (o->all && !load)
		return usage_error("--all goes with load and unload, not %s",
				   cmd);
	if (o->json && !read)
		return usage_error(
			"--json goes with cat, ls and status, not %s", cmd);
	return 0;
}

static bool takes_view_and_cgroup(const char *cmd)
{
	return !strcmp(cmd, "expose") || !strcmp(cmd, "unexpose") ||
	       !strcmp(cmd, "cat");
}

/* Usage errors in the number of arguments, for commands with a fixed one */
static int check_args(const char *cmd, int argc)
{
	if ((!strcmp(cmd, "ls") || !strcmp(cmd, "dump")) && argc > 1)
		return usage_error("%s takes at most one CGROUP", cmd);
	if (!strcmp(cmd, "status") && argc != 0 && argc != 2)
		return usage_error("%s takes no arguments, or VIEW CGROUP",
				   cmd);
	if (!strcmp(cmd, "watch") && argc)
		return usage_error("%s takes no arguments", cmd);
	if (takes_view_and_cgroup(cmd) && argc != 2)
		return usage_error("%s takes two arguments", cmd);
	return 0;
}

static int run(const char *cmd, int argc, char **argv, const struct opts *o)
{
	if (strcmp(cmd, "load") && strcmp(cmd, "unload") && strcmp(cmd, "ls") &&
	    strcmp(cmd, "status") && strcmp(cmd, "watch") &&
	    strcmp(cmd, "dump") && !takes_view_and_cgroup(cmd))
		return usage_error("unknown command '%s'", cmd);
	if (check_opts(cmd, o) || check_args(cmd, argc))
		return EXIT_USAGE;
	if (!strcmp(cmd, "load") || !strcmp(cmd, "unload"))
		return load_or_unload(cmd, argc, argv, o);
	if (!strcmp(cmd, "ls"))
		return cmd_ls(argc ? argv[0] : NULL, o->json);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc ? argv[0] : NULL, argc ? argv[1] : NULL,
				  o->json);
	if (!strcmp(cmd, "watch"))
		return cmd_watch();
	if (!strcmp(cmd, "dump"))
		return cmd_dump(argc ? argv[0] : NULL);
	if (!strcmp(cmd, "cat"))
		return view_and_cgroup(cmd, argv[1], argv[0], o);
	return view_and_cgroup(cmd, argv[0], argv[1], o);
}

/* --mode: an octal file mode of read permissions only (0444 at most) */
static int parse_mode(const char *arg, int *mode)
{
	char *end;
	long m = strtol(arg, &end, 8);

	if (!*arg || *end || m < 0 || m > 0777)
		return usage_error(
			"--mode takes an octal file mode such as 0440, not '%s'",
			arg);
	if (m & ~0444)
		return usage_error(
			"--mode %s: a view file can only be read; give read permissions only, such as 0444, 0440 or 0400",
			arg);
	*mode = (int)m;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "inherit", no_argument, NULL, 'i' },
		{ "mode", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		if (c == 'j')
			o->json = true;
		else if (c == 'a')
			o->all = true;
		else if (c == 'i')
			o->expose.inherit = true;
		else if (c == 'm' && parse_mode(optarg, &o->expose.mode))
			return -1;
		else if (c == 'h')
			return 1;
		else if (c == ':')
			return usage_error("%s needs an argument",
					   argv[optind - 1]),
			       -1;
		else if (c == '?')
			return usage_error("unknown option '%s'",
					   argv[optind - 1]),
			       -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .expose.mode = -1 };
	int err = parse_opts(argc, argv, &o);

	if (err < 0)
		return EXIT_USAGE;
	if (err > 0 || (optind < argc && !strcmp(argv[optind], "help"))) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (optind >= argc)
		return usage_error("%s", "no command given");
	libbpf_set_print(libbpf_print);
	if (register_view_sections())
		return EXIT_FAIL;
	return run(argv[optind], argc - optind - 1, argv + optind + 1, &o);
}
