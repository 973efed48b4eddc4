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

static const char usage_head[] =
	"usage: cgview COMMAND [ARGS] [OPTIONS]\n"
	"\n"
	"Views are BPF programs that print one cgroup's state as text. Exposing\n"
	"a view at a cgroup makes a file that runs the view when it is read:\n"
	"  <cgroup directory>/bpf.<view>      kernels with the bpf_view series\n"
	"  " CGVIEW_MIRROR "/<cgroup>/bpf.<view>   other kernels\n"
	"\n"
	"commands:\n";

static const char usage_tail[] =
	"  help                   this text\n"
	"\n"
	"  -j, --json             cat, ls, status: print JSON\n"
	"\n"
	"VIEW is a view compiled into cgview, the path of an object file built\n"
	"with views/view.bpf.h (DIR/NAME.bpf.o loads as NAME), or the name of\n"
	"a view loaded from a file before.\n"
	"\n"
	"CGROUP is a path below the cgroup2 root (e.g. system.slice/nginx.service,\n"
	"or /system.slice/nginx.service as top and dump show it; / for the root)\n"
	"or an absolute path inside the cgroup2 mount, its bytes as they are (a\n"
	"name shown with \\xHH escapes: in bash, $'...' turns them into bytes).\n"
	"\n"
	"environment: CGVIEW_MODE=stock uses cgroup iterators in bpffs even on\n"
	"a kernel with the bpf_view series.\n"
	"\n"
	"exit status: 0 done, 1 failed (the message says why), 2 bad usage\n";

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("CGVIEW_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("cgview: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nrun 'cgview help' for usage\n", stderr);
	return EXIT_USAGE;
}

/* Options besides a command's arguments: which commands take them */
enum { OPT_JSON = 1, OPT_ALL = 2, OPT_EXPOSE = 4, OPT_TOP = 8 };
#define ANY_ARGS (~0U)

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv, const struct cmd_opts *o);
	unsigned nargs; /* bit N: takes N arguments */
	const char *nargs_error; /* what other counts are told */
	unsigned opts; /* OPT_* */
	const char *help; /* its lines of cgview help */
} commands[] = {
	{ .name = "load",
	  .run = cmd_load,
	  .nargs = ANY_ARGS,
	  .nargs_error = NULL,
	  .opts = OPT_ALL,
	  .help = "  load VIEW...|--all     load views and pin them under " CGVIEW_VIEWS
		  "\n"
		  "                         (all or none: a view that fails to load\n"
		  "                         unloads those loaded before it)\n" },
	{ .name = "unload",
	  .run = cmd_unload,
	  .nargs = ANY_ARGS,
	  .nargs_error = NULL,
	  .opts = OPT_ALL,
	  .help = "  unload VIEW...|--all   remove the views (--all: those loaded) and every\n"
		  "                         exposure of them\n" },
	{ .name = "expose",
	  .run = cmd_expose,
	  .nargs = 1 << 2,
	  .nargs_error = "takes two arguments",
	  .opts = OPT_EXPOSE,
	  .help = "  expose VIEW CGROUP     make bpf.VIEW for CGROUP; prints the file's path\n"
		  "      --inherit          and for every descendant, now and later (other\n"
		  "                         kernels: while 'cgview watch' runs)\n"
		  "      --mode MODE        the file's mode: read permissions, octal\n"
		  "                         (e.g. 0440, 0400)\n" },
	{ .name = "unexpose",
	  .run = cmd_unexpose,
	  .nargs = 1 << 2,
	  .nargs_error = "takes two arguments",
	  .opts = 0,
	  .help = "  unexpose VIEW CGROUP   remove that file (with --inherit: all of them)\n" },
	{ .name = "cat",
	  .run = cmd_cat,
	  .nargs = 1 << 2,
	  .nargs_error = "takes two arguments",
	  .opts = OPT_JSON,
	  .help = "  cat CGROUP VIEW        print VIEW for CGROUP (exposed or not)\n" },
	{ .name = "ls",
	  .run = cmd_ls,
	  .nargs = 1 << 0 | 1 << 1,
	  .nargs_error = "takes at most one CGROUP",
	  .opts = OPT_JSON,
	  .help = "  ls [CGROUP]            loaded views and where they are exposed\n" },
	{ .name = "status",
	  .run = cmd_status,
	  .nargs = 1 << 0 | 1 << 2,
	  .nargs_error = "takes no arguments, or VIEW CGROUP",
	  .opts = OPT_JSON,
	  .help = "  status [VIEW CGROUP]   kernel mode and why, BTF, bpffs; with VIEW and\n"
		  "                         CGROUP: whether its file is there, and if not why\n" },
	{ .name = "watch",
	  .run = cmd_watch,
	  .nargs = 1 << 0,
	  .nargs_error = "takes no arguments",
	  .opts = 0,
	  .help = "  watch                  other kernels: keep --inherit exposures in step\n"
		  "                         as cgroups come and go (runs until killed)\n" },
	{ .name = "dump",
	  .run = cmd_dump,
	  .nargs = 1 << 0 | 1 << 1,
	  .nargs_error = "takes at most one CGROUP",
	  .opts = 0,
	  .help = "  dump [CGROUP]          every cgroup below CGROUP (default /) with its\n"
		  "                         statistics and views, in one read where the\n"
		  "                         kernel allows (cgview-exporter's bulk read), in\n"
		  "                         the Prometheus text format\n" },
	{ .name = "top",
	  .run = cmd_top,
	  .nargs = 1 << 0 | 1 << 1,
	  .nargs_error = "takes at most one CGROUP",
	  .opts = OPT_TOP,
	  .help = "  top [CGROUP]           every cgroup below CGROUP (default /), live: CPU,\n"
		  "                         runqueue wait and its p99, memory, I/O and its\n"
		  "                         latency p99, TCP, OOM kills, pressure (the\n"
		  "                         columns the loaded views and controllers give)\n"
		  "      -b, --batch        plain text, a table per refresh, for scripts\n"
		  "      -n, --iterations N with -b: N tables, then exit\n"
		  "      -d, --delay SECS   time between refreshes (default 1, at least 0.1)\n"
		  "      -s, --sort COLUMN  cpu (default), wait, mem, io, net, oom or path\n"
		  "      --reverse          the other way round\n"
		  "      --tree             each cgroup under its parent\n"
		  "      --filter TEXT      only the cgroups whose path contains TEXT\n"
		  "                         keys: q quit, space pause, t tree, c w m i n o p\n"
		  "                         sort, < > sort column, R reverse, / filter,\n"
		  "                         + - interval, arrows and pages scroll\n" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* "cat, ls and status": the commands that take option OPT */
static void takers(unsigned opt, char *buf, size_t size)
{
	size_t n = 0, k = 0, len = 0;

	for (size_t i = 0; i < NCOMMANDS; i++)
		n += !!(commands[i].opts & opt);
	buf[0] = '\0';
	for (size_t i = 0; i < NCOMMANDS && len < size; i++) {
		if (!(commands[i].opts & opt))
			continue;
		k++;
		len += snprintf(buf + len, size - len, "%s%s",
				k == 1 ? "" :
				k == n ? " and " :
					 ", ",
				commands[i].name);
	}
}

static int option_error(const char *what, unsigned opt, const char *cmd)
{
	char names[128];

	takers(opt, names, sizeof(names));
	fprintf(stderr, "cgview: %s with %s, not %s\n", what, names, cmd);
	fputs("run 'cgview help' for usage\n", stderr);
	return EXIT_USAGE;
}

/* Usage errors: options the command does not take, a wrong number of
 * arguments, load and unload's VIEW... or --all
 */
static int check(const struct command *c, int argc, const struct cmd_opts *o)
{
	if ((o->expose.inherit || o->expose.mode >= 0) &&
	    !(c->opts & OPT_EXPOSE))
		return option_error("--inherit and --mode go", OPT_EXPOSE,
				    c->name);
	if (o->all && !(c->opts & OPT_ALL))
		return option_error("--all goes", OPT_ALL, c->name);
	if (o->json && !(c->opts & OPT_JSON))
		return option_error("--json goes", OPT_JSON, c->name);
	if (o->top.given && !(c->opts & OPT_TOP))
		return option_error(
			"-b, -n, -d, -s, --reverse, --tree and --filter go",
			OPT_TOP, c->name);
	if (argc >= 32 ? c->nargs != ANY_ARGS : !(c->nargs & 1U << argc)) {
		fprintf(stderr, "cgview: %s %s\n", c->name, c->nargs_error);
		fputs("run 'cgview help' for usage\n", stderr);
		return EXIT_USAGE;
	}
	if ((c->opts & OPT_ALL) && o->all && argc)
		return usage_error("%s takes VIEW... or --all, not both",
				   c->name);
	if ((c->opts & OPT_ALL) && !o->all && !argc)
		return usage_error("%s needs at least one VIEW (or --all)",
				   c->name);
	return 0;
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

/* cgview help: the head, each command's lines, the options */
static void usage(void)
{
	fputs(usage_head, stdout);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fputs(commands[i].help, stdout);
	fputs(usage_tail, stdout);
}

/* cgview top's options, checked by top itself */
static void top_opt(struct top_opts *t, int c, const char *arg)
{
	t->given = true;
	if (c == 'b')
		t->batch = true;
	else if (c == 'R')
		t->reverse = true;
	else if (c == 'T')
		t->tree = true;
	else if (c == 'n')
		t->iterations = arg;
	else if (c == 'd')
		t->delay = arg;
	else if (c == 's')
		t->sort = arg;
	else
		t->filter = arg;
}

static int parse_opts(int argc, char **argv, struct cmd_opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "inherit", no_argument, NULL, 'i' },
		{ "mode", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "sort", required_argument, NULL, 's' },
		{ "reverse", no_argument, NULL, 'R' },
		{ "tree", no_argument, NULL, 'T' },
		{ "filter", required_argument, NULL, 'F' },
		{}
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jhbn:d:s:", longopts, NULL)) !=
	       -1) {
		if (strchr("bndsRTF", c))
			top_opt(&o->top, c, optarg);
		else if (c == 'j')
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
	const struct command *c;
	struct cmd_opts o = { .expose.mode = -1 };
	int err = parse_opts(argc, argv, &o);

	if (err < 0)
		return EXIT_USAGE;
	if (err > 0 || (optind < argc && !strcmp(argv[optind], "help"))) {
		usage();
		return EXIT_OK;
	}
	if (optind >= argc)
		return usage_error("%s", "no command given");
	libbpf_set_print(libbpf_print);
	if (register_view_sections())
		return EXIT_FAIL;
	c = command(argv[optind]);
	if (!c)
		return usage_error("unknown command '%s'", argv[optind]);
	argc -= optind + 1;
	argv += optind + 1;
	if (check(c, argc, &o))
		return EXIT_USAGE;
	err_json(o.json);
	return c->run(argc, argv, &o);
}
