// SPDX-License-Identifier: GPL-2.0
/* The command line. A bad flag, value or URL is a usage error (exit 2)
 * that says what is wrong and what would be right.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "exporter.h"
#include "pins.h"

static const char usage_text[] =
	"usage: cgview-exporter [OPTION]... (--output SPEC | --listen ADDR:PORT)...\n"
	"\n"
	"Walk the cgroup tree, read the bpf.* view files and the standard cgroup\n"
	"files, and ship them as typed metrics.\n"
	"\n"
	"  -o, --output SPEC      where snapshots go; repeat for several:\n"
	"                           file:PATH   cgview snapshot stream (proto/cgview.proto,\n"
	"                                       length-delimited) written to PATH\n"
	"                           -           the same stream on stdout\n"
	"                           text:PATH   the Prometheus text format, each\n"
	"                                       snapshot written to PATH (- stdout)\n"
	"                           otlp+http://HOST:PORT[/PATH]\n"
	"                                       OTLP/HTTP protobuf (https too); no PATH\n"
	"                                       or / posts to /v1/metrics\n"
	"                           remote-write+http://HOST:PORT[/PATH]\n"
	"                                       Prometheus remote write 1.0 (https too);\n"
	"                                       no PATH or / posts to /api/v1/write\n"
	"  -l, --listen ADDR:PORT serve the Prometheus text format at /metrics\n"
	"                         (ADDR is IPv4; 0.0.0.0 for every interface),\n"
	"                         OpenMetrics or the protobuf format (native\n"
	"                         histograms) to clients that ask for them\n"
	"      --listen-connections N  at most N connections to --listen at a time;\n"
	"                         more are closed as they come (default 512)\n"
	"      --listen-per-ip N  at most N of them from one client address\n"
	"                         (default 16)\n"
	"      --listen-timeout DUR  close a connection that has not sent its\n"
	"                         whole request that long after it connected (or\n"
	"                         after its last response), or whose response\n"
	"                         takes longer (default 30s)\n"
	"      --once             take one snapshot, deliver it and exit\n"
	"      --count N          take N snapshots, deliver them and exit\n"
	"  -i, --interval DUR     time between snapshots on a fixed schedule\n"
	"                         (default 10s; DUR is N, Ns, Nms, Nm or Nh)\n"
	"  -r, --root DIR         cgroup tree to walk: the cgroup2 mount or a\n"
	"                         directory below it (default: the cgroup2 mount,\n"
	"                         from /proc/self/mounts)\n"
	"      --mirror DIR       bpffs mirror whose bpf.* files belong to the\n"
	"                         cgroup at the same path (default " CGVIEW_MIRROR
	";\n"
	"                         'none' to skip it)\n"
	"      --files LIST       standard files to read, comma separated, each one\n"
	"                         with a schema (default: every file with a built-in\n"
	"                         schema); bpf.* files are always read\n"
	"      --read MODE        how to read the tree: 'bulk', every cgroup in one\n"
	"                         read by a BPF program (CAP_BPF, BTF; the files it\n"
	"                         does not hold are read per file); 'files', each\n"
	"                         file of each cgroup; 'auto' (default), bulk where\n"
	"                         it loads, else files\n"
	"      --bulk-chunk N     the bulk read walks the tree in runs of at most N\n"
	"                         cgroups (default 1000), each one RCU read section\n"
	"      --views DIR        the views cgview loaded (default " CGVIEW_VIEWS
	");\n"
	"                         the bulk read takes the numbers of a view with\n"
	"                         records from them, not from its bpf.* files;\n"
	"                         'none' to read every view's files\n"
	"      --schemas DIR      read DIR/*.schema too (views/SCHEMA.md); a schema\n"
	"                         of a file already known replaces it; repeatable\n"
	"      --queue-size SIZE  bytes of request bodies (as sent: compressed for\n"
	"                         remote write) held per push target before the\n"
	"                         oldest are dropped (default 16M; K, M, G)\n"
	"      --batch N          data points per push request (default 2000)\n"
	"      --push-timeout DUR  time one push request may take (default 10s)\n"
	"      --push-retry-for DUR  a request not delivered within DUR of its\n"
	"                         first attempt is given up (default 1m)\n"
	"      --flush-timeout DUR  after the last snapshot (--once, --count,\n"
	"                         SIGTERM/SIGINT), time left to deliver what is\n"
	"                         queued, for all push targets together; requests\n"
	"                         still in flight then are cut (default 5s)\n"
	"      --label NAME=VALUE  add the label to every series of every\n"
	"                         output (OTLP: a point attribute; the snapshot:\n"
	"                         its header); repeatable. Remote write adds\n"
	"                         instance=HOSTNAME unless --label instance=...\n"
	"                         is given; an empty VALUE adds nothing\n"
	"                         (--label instance= drops that default)\n"
	"      --path-labels LIST  labels read from cgroup paths, comma separated:\n"
	"                         systemd (systemd_unit, systemd_slice),\n"
	"                         container (container_id, container_runtime:\n"
	"                         Docker, containerd, CRI-O, podman), kubernetes\n"
	"                         (pod_uid, qos_class); default all; 'none'\n"
	"      --classic-histograms  send log2 histograms (the views') as\n"
	"                         classic le buckets (remote write) and\n"
	"                         explicit-bucket histograms (OTLP), for\n"
	"                         receivers without native histograms\n"
	"                         (Prometheus before 2.40 or without\n"
	"                         --enable-feature=native-histograms); by\n"
	"                         default they go out as native and\n"
	"                         exponential histograms (scale 0); /metrics\n"
	"                         in the protobuf format then carries only\n"
	"                         the classic buckets too\n"
	"  -h, --help             this text\n"
	"      --version          print the version and exit\n"
	"\n"
	"Exit status: 0 done (--once, --count, or stopped by SIGTERM/SIGINT);\n"
	"1 the root, an output, the listen address or a schema cannot be used;\n"
	"2 usage error (bad flag, value or URL);\n"
	"3 not delivered: with --once or --count, a push output did not get every\n"
	"snapshot (what was lost is on stderr).\n";

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("cgview-exporter: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'cgview-exporter --help'.\n", stderr);
	exit(EXIT_USAGE);
}

/* N, Ns, Nms, Nm or Nh, in seconds */
static double duration(const char *flag, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (!strcmp(end, "ms"))
		v /= 1000;
	else if (!strcmp(end, "m"))
		v *= 60;
	else if (!strcmp(end, "h"))
		v *= 3600;
	else if (*end && strcmp(end, "s"))
		v = -1;
	if (end == s || !(v >= 0.01) || v > 86400)
		usage_error("%s '%s': want a duration from 10ms to 24h, "
			    "like 10s or 500ms",
			    flag, s);
	return v;
}

static size_t size(const char *flag, const char *s)
{
	char *end;
	double v = strtod(s, &end);
	const char *units = "KMG";
	const char *u = *end ? strchr(units, *end) : NULL;

	if (u && !end[1])
		for (const char *k = units; k <= u; k++)
			v *= 1024;
	else if (*end)
		v = -1;
	if (end == s || !(v >= 1) || v > 1e12)
		usage_error("%s '%s': want a size like 16M, 512K or 1048576",
			    flag, s);
	return v;
}

static size_t whole(const char *flag, const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s || *end || *s == '-' || v < 1 || v > 1000000000)
		usage_error("%s '%s': want a whole number from 1", flag, s);
	return v;
}

/* An http(s) URL with a host, as libcurl parses it */
static bool good_url(const char *url)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL;
	bool ok;

	ok = h && !curl_url_set(h, CURLUPART_URL, url, 0) &&
	     !curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) &&
	     !curl_url_get(h, CURLUPART_HOST, &host, 0) &&
	     (!strcmp(scheme, "http") || !strcmp(scheme, "https")) && *host;
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(h);
	return ok;
}

static void add_output(struct opts *o, const char *spec)
{
	struct output *out = &o->out[o->nout];

	if (o->nout == MAX_OUTPUTS)
		usage_error("at most %d outputs", MAX_OUTPUTS);
	if (!strcmp(spec, "-")) {
		*out = (struct output){ SINK_FILE, "-" };
	} else if (!strncmp(spec, "file:", 5) && spec[5]) {
		*out = (struct output){ SINK_FILE, spec + 5 };
	} else if (!strncmp(spec, "text:", 5) && spec[5]) {
		*out = (struct output){ SINK_TEXT, spec + 5 };
	} else if (!strncmp(spec, "otlp+", 5)) {
		*out = (struct output){ SINK_OTLP, spec + 5 };
	} else if (!strncmp(spec, "remote-write+", 13)) {
		*out = (struct output){ SINK_REMOTE_WRITE, spec + 13 };
	} else {
		usage_error("--output '%s': want file:PATH, -, text:PATH, "
			    "otlp+http://HOST:PORT/v1/metrics or "
			    "remote-write+http://HOST:PORT/api/v1/write",
			    spec);
	}
	if (!sink_is_file(out->kind) && !good_url(out->target))
		usage_error("--output '%s': '%s' is not an http:// or https:// "
			    "URL with a host",
			    spec, out->target);
	o->nout++;
}

#define LABEL_VALUE_MAX 1024 /* bytes */

/* A Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*, not __reserved */
static bool label_name(const char *s, size_t n)
{
	if (!n || (*s >= '0' && *s <= '9') || (n > 1 && !strncmp(s, "__", 2)))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* --label NAME=VALUE: ARG is cut at the '=' */
static void add_label(struct opts *o, char *arg)
{
	char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : 0;

	if (!eq || !label_name(arg, n))
		usage_error(
			"--label '%s': want NAME=VALUE, NAME letters, digits "
			"and _ not starting with a digit or __, like "
			"--label region=eu-west",
			arg);
	if (strlen(eq + 1) > LABEL_VALUE_MAX ||
	    !utf8_valid(eq + 1, strlen(eq + 1)))
		usage_error(
			"--label '%.*s': the value must be UTF-8 of at most "
			"%d bytes",
			(int)n, arg, LABEL_VALUE_MAX);
	*eq = '\0';
	if (!strcmp(arg, "cgroup") || !strcmp(arg, "le"))
		usage_error("--label %s: the exporter sets that label itself; "
			    "choose another name",
			    arg);
	for (size_t i = 0; i < o->nlabels; i++)
		if (!strcmp(o->labels[i].name, arg))
			usage_error("--label %s given twice", arg);
	if (o->nlabels == MAX_LABELS)
		usage_error("at most %d --label", MAX_LABELS);
	o->labels[o->nlabels++] = (struct label){ arg, eq + 1 };
}

static const struct {
	const char *name;
	unsigned bit;
	const char *labels[2];
} path_sets[] = {
	{ "systemd", PATH_LABELS_SYSTEMD, { "systemd_unit", "systemd_slice" } },
	{ "container",
	  PATH_LABELS_CONTAINER,
	  { "container_id", "container_runtime" } },
	{ "kubernetes", PATH_LABELS_KUBERNETES, { "pod_uid", "qos_class" } },
};
#define NSETS (sizeof(path_sets) / sizeof(path_sets[0]))

/* --path-labels LIST|none */
static unsigned path_label_set(char *list)
{
	unsigned which = 0;
	char *save = NULL;
	size_t i;

	if (!strcmp(list, "none"))
		return 0;
	for (char *w = strtok_r(list, ",", &save); w;
	     w = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NSETS && strcmp(w, path_sets[i].name); i++)
			;
		if (i == NSETS)
			usage_error("--path-labels '%s': want a comma "
				    "separated list of systemd, container and "
				    "kubernetes, or none",
				    w);
		which |= path_sets[i].bit;
	}
	return which;
}

/* The set of --path-labels that adds label NAME, NULL for none */
static const char *path_set_of(unsigned which, const char *name)
{
	for (size_t k = 0; k < NSETS * 2; k++)
		if ((which & path_sets[k / 2].bit) &&
		    !strcmp(path_sets[k / 2].labels[k % 2], name))
			return path_sets[k / 2].name;
	return NULL;
}

/* A --label may not take the name of a file's own label (device), or
 * of a label --path-labels adds
 */
void check_labels(const struct opts *o, const struct schemas *ss)
{
	const char *name, *set;

	for (size_t i = 0; i < o->nlabels; i++) {
		name = o->labels[i].name;
		for (size_t k = 0; k < ss->n; k++)
			if (ss->s[k]->label && !strcmp(ss->s[k]->label, name))
				usage_error(
					"--label %s: %s has a label of that "
					"name; choose another",
					name, ss->s[k]->file);
		set = path_set_of(o->path_labels, name);
		if (set)
			usage_error("--label %s: --path-labels %s adds that "
				    "label; choose another name, or leave %s "
				    "out of --path-labels",
				    name, set, set);
	}
}

static void set_files(struct opts *o, char *list)
{
	char *save = NULL;

	o->walk.nfiles = 0;
	for (char *f = strtok_r(list, ",", &save); f;
	     f = strtok_r(NULL, ",", &save)) {
		if (strchr(f, '/') || f[0] == '.')
			usage_error("--files: '%s' is not a file name", f);
		if (o->walk.nfiles == MAX_FILES)
			usage_error("--files: at most %d files", MAX_FILES);
		o->files[o->walk.nfiles++] = f;
	}
}

/* Every standard file with a built-in schema */
static void default_files(struct opts *o, const struct schemas *ss)
{
	for (size_t i = 0; i < ss->n && o->walk.nfiles < MAX_FILES; i++) {
		const char *f = ss->s[i]->file;

		if (strncmp(f, "bpf.", 4) && strcmp(f, "exporter"))
			o->files[o->walk.nfiles++] = f;
	}
}

/* Each --files name has a schema (built in or from --schemas): a typo is
 * a usage error that lists what is accepted
 */
void check_files(const struct opts *o, struct schemas *ss)
{
	const char *f;

	for (size_t i = 0; i < o->walk.nfiles; i++) {
		f = o->files[i];
		if (strncmp(f, "bpf.", 4) && strcmp(f, "exporter") &&
		    schema_find(ss, f))
			continue;
		fprintf(stderr,
			"cgview-exporter: --files '%s': not a cgroup file with "
			"a schema; want a comma separated list of:",
			f);
		for (size_t k = 0; k < ss->n; k++)
			if (strncmp(ss->s[k]->file, "bpf.", 4) &&
			    strcmp(ss->s[k]->file, "exporter"))
				fprintf(stderr, " %s", ss->s[k]->file);
		fputs(" (bpf.* files are always read; --schemas DIR adds "
		      "schemas)\nTry 'cgview-exporter --help'.\n",
		      stderr);
		exit(EXIT_USAGE);
	}
}

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "listen", required_argument, NULL, 'l' },
	{ "listen-connections", required_argument, NULL, 'C' },
	{ "listen-per-ip", required_argument, NULL, 'P' },
	{ "listen-timeout", required_argument, NULL, 'T' },
	{ "once", no_argument, NULL, '1' },
	{ "count", required_argument, NULL, 'n' },
	{ "interval", required_argument, NULL, 'i' },
	{ "root", required_argument, NULL, 'r' },
	{ "mirror", required_argument, NULL, 'm' },
	{ "files", required_argument, NULL, 'f' },
	{ "read", required_argument, NULL, 'B' },
	{ "bulk-chunk", required_argument, NULL, 'K' },
	{ "views", required_argument, NULL, 'V' },
	{ "schemas", required_argument, NULL, 's' },
	{ "queue-size", required_argument, NULL, 'q' },
	{ "batch", required_argument, NULL, 'b' },
	{ "push-timeout", required_argument, NULL, 'D' },
	{ "push-retry-for", required_argument, NULL, 'R' },
	{ "flush-timeout", required_argument, NULL, 't' },
	{ "label", required_argument, NULL, 'L' },
	{ "path-labels", required_argument, NULL, 'p' },
	{ "classic-histograms", no_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	{ 0 },
};

static enum read_mode read_mode(const char *arg)
{
	if (!strcmp(arg, "auto"))
		return READ_AUTO;
	if (!strcmp(arg, "bulk"))
		return READ_BULK;
	if (!strcmp(arg, "files"))
		return READ_FILES;
	usage_error("--read '%s': want auto, bulk or files", arg);
}

static void option(struct opts *o, int c, char *arg)
{
	switch (c) {
	case 'o':
		add_output(o, arg);
		break;
	case 'l':
		if (listen_check(arg))
			usage_error("--listen '%s': want IPV4ADDR:PORT, like "
				    "127.0.0.1:9184",
				    arg);
		o->listen = arg;
		break;
	case 'C':
		o->limits.conns = whole("--listen-connections", arg);
		break;
	case 'P':
		o->limits.per_ip = whole("--listen-per-ip", arg);
		break;
	case 'T':
		o->limits.timeout = duration("--listen-timeout", arg);
		break;
	case '1':
		o->count = 1;
		break;
	case 'i':
		o->interval = duration("--interval", arg);
		break;
	case 'r':
		o->walk.root = arg;
		break;
	case 'm':
		o->walk.mirror = strcmp(arg, "none") ? arg : NULL;
		break;
	case 'f':
		set_files(o, arg);
		break;
	case 'B':
		o->read = read_mode(arg);
		break;
	case 'K':
		o->bulk_chunk = whole("--bulk-chunk", arg);
		break;
	case 'V':
		o->walk.views = strcmp(arg, "none") ? arg : NULL;
		break;
	case 's':
		if (o->nschema_dirs == MAX_SCHEMA_DIRS)
			usage_error("at most %d --schemas", MAX_SCHEMA_DIRS);
		o->schema_dirs[o->nschema_dirs++] = arg;
		break;
	case 'q':
		o->push.queue_bytes = size("--queue-size", arg);
		break;
	case 'D':
		o->push.timeout = duration("--push-timeout", arg);
		break;
	case 'R':
		o->push.retry_for = duration("--push-retry-for", arg);
		break;
	case 'n':
		o->count = whole("--count", arg);
		break;
	case 'b':
		o->batch = whole("--batch", arg);
		break;
	case 't':
		o->flush_seconds = duration("--flush-timeout", arg);
		break;
	case 'L':
		add_label(o, arg);
		break;
	case 'p':
		o->path_labels = path_label_set(arg);
		break;
	case 'H':
		o->classic_hist = true;
		break;
	case 'h':
		fputs(usage_text, stdout);
		exit(0);
	case 'v':
		puts("cgview-exporter " CGVIEW_VERSION);
		exit(0);
	default:
		usage_error("unknown option");
	}
}

/* --root's default: the cgroup2 mount, or NULL */
static const char *default_root(void)
{
	static char mnt[PATH_MAX];

	return cgroup2_mount(mnt, sizeof(mnt)) ? NULL : mnt;
}

void parse_options(int argc, char **argv, struct opts *o,
		   const struct schemas *builtin)
{
	int c;

	*o = (struct opts){ .interval = 10,
			    .flush_seconds = 5,
			    .push = { 16 << 20, 10, 60 },
			    .batch = 2000,
			    .bulk_chunk = 1000,
			    .path_labels = PATH_LABELS_ALL,
			    .limits = { 512, 16, 30 } };
	o->walk.mirror = CGVIEW_MIRROR;
	o->walk.views = CGVIEW_VIEWS;
	o->walk.files = o->files;
	opterr = 0;
	default_files(o, builtin);
	while ((c = getopt_long(argc, argv, ":o:l:i:r:h", longopts, NULL)) !=
	       -1) {
		if (c == '?')
			usage_error("unknown option '%s'", argv[optind - 1]);
		if (c == ':')
			usage_error("%s needs a value", argv[optind - 1]);
		option(o, c, optarg);
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->nout && !o->listen)
		usage_error("nothing to do: give --output SPEC or --listen "
			    "ADDR:PORT");
	if (o->count && o->listen && !o->nout)
		usage_error("--once or --count with only --listen would exit "
			    "before anyone scrapes");
	if (!o->walk.root && !(o->walk.root = default_root())) {
		fputs("cgview-exporter: no cgroup2 mount in /proc/self/mounts; "
		      "mount one or give --root DIR\n",
		      stderr);
		exit(EXIT_RUNTIME);
	}
	if (root_check(o->walk.root))
		exit(EXIT_RUNTIME);
}
