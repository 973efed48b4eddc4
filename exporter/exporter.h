/* SPDX-License-Identifier: GPL-2.0 */
/* cgview-exporter: walk -> read -> parse -> typed model -> encode -> sink.
 * One stage per file; this header is what the stages share.
 */
#ifndef CGVIEW_EXPORTER_H
#define CGVIEW_EXPORTER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "escape.h"

/* Exit codes (documented in --help and README.md) */
#define EXIT_RUNTIME 1 /* a root, output or schema that cannot be used */
#define EXIT_USAGE 2 /* bad flag, value or URL */
#define EXIT_UNDELIVERED 3 /* --once/--count: a push output lost data */

/* The metric types of views/SCHEMA.md; values as in proto/cgview.proto */
enum mtype { MT_COUNTER = 1, MT_GAUGE = 2, MT_HISTOGRAM = 3 };

/* One KEY line of a schema (or a key no schema declares) */
struct smetric {
	char *key; /* usage_usec, some.avg10, *.rbytes, . */
	size_t keylen;
	char *key_out; /* the key as valid UTF-8 (escape.c), for output */
	char *name; /* Prometheus name: cgroup_cpu_usage_seconds_total */
	char *unit; /* base unit: seconds, bytes, pages, ratio, 1 */
	char *help; /* valid UTF-8 */
	char *label; /* `*` keys: the label's name (device) */
	char *file; /* the schema's file */
	double div; /* raw value / div = value in unit */
	enum mtype type;
	bool known; /* declared by the schema */
	unsigned id; /* dense over every smetric, for grouping by metric */
	struct smetric *sum; /* histograms: the KEY_sum counter, if any */
	struct smetric *sum_of; /* a KEY_sum counter: its histogram */
	const struct smetric *clash; /* undeclared keys named NAME_2...
				      * (names.c): who has NAME */
};

/* The schema of one file */
struct schema {
	char *file; /* cpu.stat, bpf.sched_wait; valid UTF-8 (escape.c) */
	size_t filelen;
	char *label; /* the name a `*` key stands for */
	char *prefix; /* cgroup_cpu, cgview_sched_wait */
	struct smetric **m;
	size_t n, cap;
	size_t hint; /* where the last lookup matched */
	size_t unknown; /* keys added because the schema lacks them */
	bool has_hist;
	uint64_t start_ns; /* a view's: when the view cgview loaded under
			    * this file's name was (CLOCK_REALTIME); 0: unknown */
};

struct name_slot {
	char *name; /* a series name: NAME, NAME_bucket, ... */
	struct smetric *m; /* its metric; NULL once released */
};

struct schemas {
	struct schema **s;
	size_t n;
	unsigned nids; /* smetric ids handed out so far */
	struct smetric **byid; /* NULL for a replaced schema's metrics */
	size_t cap_byid;
	struct name_slot *names; /* names.c: open addressing */
	size_t nnames, cap_names;
	uint64_t renamed; /* metrics made at run time that took NAME_2... */
};

/* schema.c */
int schemas_parse(struct schemas *ss, const char *text, const char *origin);
int schemas_load_dir(struct schemas *ss, const char *dir);
int schemas_builtin(struct schemas *ss);
struct schema *schema_find(struct schemas *ss, const char *file);
struct schema *schema_for_unknown_file(struct schemas *ss, const char *file);
struct smetric *schema_get(struct schema *s, const char *key, size_t len);
struct smetric *schema_lookup(struct schemas *ss, struct schema *s,
			      const char *key, size_t len, bool *added);
extern const char builtin_schemas[];

/* util.c: NAME escaped (escape.h), in memory of its own */
char *name_escape_dup(const char *name);

/* names.c: every metric's names are its own */
struct smetric *name_owner(const struct schemas *ss, const struct smetric *m);
void name_claim(struct schemas *ss, struct smetric *m);
void name_release(struct schemas *ss, const struct smetric *m);
void name_rename(struct schemas *ss, struct smetric *m);

/* parse.c: the cgroup v2 file formats (lib/keyed.c splits them) */
struct item {
	const char *key; /* the line's first field, or "." for a single value */
	size_t keylen;
	const char *sub; /* nested keyed: the subkey; else NULL */
	size_t sublen;
	double value;
	int line;
};
typedef void (*item_fn)(void *ctx, const struct item *it);
typedef void (*error_fn)(void *ctx, int line, const char *why);
void parse_text(const char *buf, size_t len, item_fn item, error_fn err,
		void *ctx);
bool parse_number(const char *s, size_t n, double *v);

/* model.c: the typed snapshot */
struct sample {
	uint32_t metric; /* its smetric's id + 1 (sample_metric()); 0:
			  * consumed (a histogram's _sum) */
	uint32_t label; /* offset in strs of the label value, 0 for none;
			 * histograms: index in hists[] */
	double value; /* counters and gauges; histograms: the count */
};

/* The metric field of a sample of M */
static inline uint32_t metric_ref(const struct smetric *m)
{
	return m ? m->id + 1 : 0;
}

/* A histogram: its buckets' upper bounds (in the metric's unit, +Inf
 * last if any) are in bounds[], shared with the one before it of the
 * same metric when they are the same (hist_end()); their own counts (not
 * cumulative) in counts[], up to the last that is not 0: the others are
 * 0. An idle cgroup's histogram takes no room but its own.
 */
struct hist {
	uint32_t bound, nbuckets; /* in bounds[] */
	uint32_t count; /* in counts[] */
	unsigned ncounts : 31;
	unsigned has_sum : 1;
	double sum;
};

/* The bounds a metric's last histogram had, in bounds[] */
struct bset {
	uint32_t off, len;
};

struct frec {
	const struct schema *s;
	uint32_t sample, nsamples;
};

struct cgrec {
	uint64_t id;
	uint64_t start_ns; /* when its series began (lifetimes.c) */
	uint32_t path; /* offset in strs */
	uint32_t file, nfiles;
	const struct cglabels *labels; /* of its path; NULL: none */
};

#define ARRAY(type, name) \
	type *name;       \
	size_t n_##name, cap_##name

/* A label of a series: NAME="VALUE" */
struct label {
	const char *name, *value;
};
#define MAX_LABELS 32 /* --label */

struct gone {
	uint32_t cgroup, file; /* indexes in prev's cgroups[], files[] */
	uint32_t sample; /* in prev's samples[]; GONE_FILE: all the file's */
};
#define GONE_FILE UINT32_MAX

struct snapshot {
	const struct schemas *ss; /* the metrics its samples name */
	uint64_t time_ns; /* CLOCK_REALTIME when the walk started */
	uint64_t start_ns; /* when the exporter started: counters' start */
	char host[65], kernel[65];
	char host_id[33]; /* /etc/machine-id; "" when there is none */
	const struct label *labels; /* --label's, on every series */
	size_t nlabels;
	const char *instance; /* remote write's instance label; NULL: none */
	ARRAY(struct cgrec, cgroups);
	ARRAY(struct frec, files);
	ARRAY(struct sample, samples);
	ARRAY(struct hist, hists);
	ARRAY(double, bounds);
	ARRAY(double, counts);
	ARRAY(char, strs);
	ARRAY(struct bset, bsets); /* by metric id (hist_end()) */
	struct frec self; /* the exporter's own metrics */
	/* lifetimes.c: the last snapshot (NULL when no output needs it) and
	 * what of it is gone: a removed cgroup's files, a file no longer
	 * exposed, or one series gone from a file that stays
	 */
	const struct snapshot *prev;
	ARRAY(struct gone, gone);
};

void *grow(void *arr, size_t *cap, size_t need, size_t size);
void *xcalloc(size_t n, size_t size);
#define PUSH(snap, name)                                                      \
	(snap->name = grow(snap->name, &snap->cap_##name, snap->n_##name + 1, \
			   sizeof(*snap->name)),                              \
	 &snap->name[snap->n_##name++])

void snapshot_reset(struct snapshot *snap);
struct snapshot_mark {
	size_t cgroups, files, samples, hists, bounds, counts, strs;
};
void snapshot_mark(const struct snapshot *s, struct snapshot_mark *m);
void snapshot_rollback(struct snapshot *s, const struct snapshot_mark *m);
void snapshot_free(struct snapshot *snap);
void hist_end(struct snapshot *snap, struct hist *h, uint32_t metric);
size_t snapshot_buckets(const struct snapshot *snap);
uint32_t snapshot_str(struct snapshot *snap, const char *s, size_t len);
uint32_t snapshot_name(struct snapshot *snap, const char *s, size_t len);
static inline const char *snap_str(const struct snapshot *snap, uint32_t off)
{
	return off ? snap->strs + off : NULL;
}

/* The metric of a sample (NULL: consumed), its label value (NULL for
 * none), and its histogram
 */
static inline const struct smetric *sample_metric(const struct snapshot *snap,
						  const struct sample *s)
{
	return s->metric ? snap->ss->byid[s->metric - 1] : NULL;
}

static inline const char *sample_label(const struct snapshot *snap,
				       const struct sample *s)
{
	return sample_metric(snap, s)->type == MT_HISTOGRAM ?
		       NULL :
		       snap_str(snap, s->label);
}

static inline const struct hist *sample_hist(const struct snapshot *snap,
					     const struct sample *s)
{
	return &snap->hists[s->label];
}

/* Errors the model meets while it turns a file into samples */
struct stats;
void model_file(struct snapshot *snap, struct schemas *ss, struct schema *s,
		const char *buf, size_t len, const char *dir, const char *file,
		struct stats *st);

/* Samples grouped by metric, for the encoders that want families */
struct point {
	uint32_t sample;
	uint32_t cgroup; /* index in cgroups[], UINT32_MAX for self metrics */
	uint32_t file; /* index in files[], UINT32_MAX for self metrics */
};
struct point *snapshot_by_metric(const struct snapshot *snap, unsigned nids,
				 size_t *n);
static inline const struct smetric *point_metric(const struct snapshot *snap,
						 const struct point *pt)
{
	return sample_metric(snap, &snap->samples[pt->sample]);
}

/* identity.c: host, kernel, machine id, --label, remote write's instance */
struct opts;
void identity(const struct opts *o, struct snapshot *snap);

/* lifetimes.c: each cgroup's start and path labels (of the sets WHICH),
 * and what is gone since PREV
 */
struct lifetimes;
struct lifetimes *lifetimes_new(unsigned which);
void lifetimes_update(struct lifetimes *lt, struct snapshot *snap,
		      const struct snapshot *prev);
void lifetimes_free(struct lifetimes *lt);

/* pathlabels.c: the labels of a cgroup's path, those of WHICH (NULL for
 * none; free() frees them)
 */
#define PATH_LABELS_SYSTEMD 1 /* systemd_unit, systemd_slice */
#define PATH_LABELS_CONTAINER 2 /* container_id, container_runtime */
#define PATH_LABELS_KUBERNETES 4 /* pod_uid, qos_class */
#define PATH_LABELS_ALL 7
#define PATH_LABELS_MAX 6 /* on one cgroup */
struct cglabels {
	size_t n;
	struct label l[PATH_LABELS_MAX];
	char values[]; /* where l[].value point */
};
struct cglabels *path_labels(const char *path, unsigned which);

/* series.c: what every encoder shows of a point. Its labels sorted by
 * name (the --label ones when EXT; cgroup and those of its path; the
 * file's own), at most POINT_LABELS; and a histogram's buckets, the +Inf
 * one last.
 */
#define POINT_LABELS (MAX_LABELS + 2 + PATH_LABELS_MAX)
size_t point_labels(const struct snapshot *snap, const struct point *pt,
		    bool ext, struct label *out);
uint64_t point_start(const struct snapshot *snap, const struct point *pt);
uint64_t file_start(const struct cgrec *cg, const struct frec *f);
struct hseries {
	struct hbucket {
		double le; /* upper bound in the unit */
		double own, cum; /* in this bucket; in it and those below */
	} * b;
	size_t n, cap;
	double count, sum;
	bool has_sum;
	/* Log2 buckets (bounds 2^e in the unit, e consecutive): the scale-0
	 * form of native and exponential histograms. b[0] is the zero bucket
	 * (0 to 2^exp_min), b[i] for i > 0 holds (2^(exp_min+i-1),
	 * 2^(exp_min+i)], the +Inf bucket counted as the next power.
	 */
	bool log2;
	int exp_min;
	/* and as Prometheus sends it: b[1..n) as one span from index
	 * native_first, each count less the one before
	 */
	int native_first;
	int64_t *delta;
	size_t cap_delta;
	/* series.c: the last bounds and what they are (a view's histograms
	 * of every cgroup have the same)
	 */
	struct hbounds {
		double *le, *shown; /* as given; log2 ones as powers of 2 */
		size_t n, cap;
		double div;
		bool log2;
		int first;
	} last;
};
void hist_series(const struct snapshot *snap, const struct sample *s,
		 struct hseries *h);
const double *hist_bounds(const struct snapshot *snap, const struct hist *hi,
			  double div, double count, struct hbounds *l);
size_t hist_nbounds(const struct snapshot *snap, const struct hist *hi);
void hseries_free(struct hseries *h);

/* self.c: the exporter's own metrics */
struct stats {
	double scrape_seconds;
	uint64_t cgroups, files; /* in the last scrape */
	uint64_t files_bulk; /* of files: from the bulk read's records */
	double bulk_lock_seconds; /* the bulk read's longest session */
	uint64_t scrapes, parse_errors, unknown_keys, vanished, read_errors;
	uint64_t hists_dropped; /* histograms with a malformed line */
	uint64_t files_skipped; /* not regular, or longer than READ_MAX */
	/* updated by the push threads */
	_Atomic uint64_t pushes_ok, pushes_failed, pushes_retried, dropped;
	_Atomic uint64_t pushes_given_up;
};
void self_model(struct snapshot *snap, struct schemas *ss,
		const struct stats *st);
void warn_once(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* walk.c + read.c: one cycle over the tree */
struct walk_opts {
	const char *root; /* the cgroup2 mount or a directory below it */
	const char *mirror; /* bpffs mirror, NULL for none */
	const char *views; /* cgview's view pins; NULL: no records */
	const char **files; /* standard files to read */
	size_t nfiles;
};
int root_check(const char *root);
int collect(const struct walk_opts *o, struct schemas *ss,
	    struct snapshot *snap, struct stats *st);
const char *hierarchy_prefix(const char *root);
int open_mirror(const char *mirror, const char *prefix);
double scrape_begin(struct snapshot *snap, struct stats *st);
void scrape_end(struct stats *st, double start);
int read_file_at(int dirfd, const char *name, char **buf, size_t *cap,
		 size_t *len);
const char *read_error(int err);
/* A cgroup's files into the model: reader_file() and reader_views() return
 * -1 when the cgroup vanished, else 0 (errors counted in st)
 */
struct cgreader {
	struct schemas *ss;
	struct snapshot *snap;
	struct stats *st;
	char path[4096]; /* the cgroup's, for the snapshot and messages */
	size_t plen;
	char *buf;
	size_t cap;
	struct viewrecs *vr; /* the views' records; NULL: read their text */
	uint64_t id; /* the cgroup's, for vr */
};
int reader_file(struct cgreader *r, int dfd, const char *name,
		struct schema *s);
int reader_views(struct cgreader *r, int dfd);
bool reader_view_record(struct cgreader *r, const char *name);
int reader_view_text(struct cgreader *r, int mfd, const char *name);
#define READ_MAX (1 << 20) /* bytes of one file at most */
#define READ_MAX_TEXT "1 MiB"
enum { READ_NOT_REGULAR = 4096, READ_TOO_LONG }; /* beside errno values */

/* bulk.c + bulk_model.c: every cgroup below --root in one read
 * (bulk.bpf.c); README.md, "The bulk read"
 */
#include <linux/types.h>
#include "bulk_rec.h"
struct bulk;
/* A run of the walk: where it started (views/walk.bpf.h), its records */
struct bulk_run {
	__u64 root, next, after;
	__u32 first, count; /* in the array */
};
typedef void (*bulk_run_fn)(void *ctx, const struct bulk_run *run);
typedef void (*bulk_fn)(void *ctx, const struct bulk_rec *recs, size_t n,
			const struct bulk_index *index);
struct bulk *bulk_open(const char *root, unsigned chunk, char *why, size_t n);
int bulk_walk(struct bulk *b, bulk_run_fn run_fn, bulk_fn fn, void *ctx);
double bulk_longest(const struct bulk *b);
void bulk_close(struct bulk *b);
/* bulk_mstat.c: memory.stat's keys in the records */
#define MSTAT_MAX 128 /* keys */
struct mstat_keys;
struct mstat_keys *mstat_new(long page);
int mstat_key(struct mstat_keys *mk, const char *key, size_t len,
	      const struct bulk_index *x);
double mstat_value(const struct mstat_keys *mk, int i, const struct bulk_rec *r,
		   const struct bulk_index *x);
void mstat_forget_btf(struct mstat_keys *mk);
int bulk_collect(struct bulk *b, const struct walk_opts *o, struct schemas *ss,
		 struct snapshot *snap, struct stats *st);
/* bulk_mirror.c: the bpf.* names of the mirror's directories */
struct mirrorlist;
struct mirrorlist *mirror_new(void);
void mirror_update(struct mirrorlist *ml, const char *top, int mfd);
const char *mirror_names(struct mirrorlist *ml, const char *relpath);

/* viewrec.c: views' records, the bulk read of views with CGVIEW_RECORD
 * (views/view.bpf.h); viewrec_model.c: records into samples
 */
struct vfield {
	char name[64]; /* the key the view's text prints */
	uint32_t off, n; /* byte offset in the value; elements (arrays) */
	uint8_t size;
	bool sign;
};
struct vlayout;
struct vview {
	char file[NAME_MAX + 1]; /* bpf.NAME */
	int dir, prog, recs; /* the pins' */
	uint32_t prog_id, vsize, slots;
	struct vfield *f; /* the record's members */
	size_t nf;
	const uint8_t *map; /* the run's values, mapped; NULL: looked up */
	size_t maplen;
	uint8_t *rec; /* the values of this run's cgroups, vsize bytes each */
	size_t nrec, cap;
	uint32_t *hash; /* by cgroup id: index in rec + 1 */
	size_t hcap;
	size_t next; /* the record after the one viewrecs_record() found */
	uint64_t load_ns; /* when its program was loaded (CLOCK_REALTIME) */
	bool ok; /* this run has records (those it lacks: per file) */
	bool walk; /* walked in this scrape's runs */
	bool wanted; /* a cgroup had the view's file in this scrape */
	bool old; /* pinned by an older cgview: no records until reloaded */
	struct vlayout *lay; /* learned from the text; NULL: not yet */
};
struct viewrecs;
struct viewrecs *viewrecs_new(const char *dir);
void viewrecs_scan(struct viewrecs *vr);
void viewrecs_run(struct viewrecs *vr, const struct bulk_run *run);
struct vview *viewrecs_view(struct viewrecs *vr, const char *file);
const uint8_t *viewrecs_record(struct vview *v, uint64_t id);
void viewrecs_free(struct viewrecs *vr);
bool viewrec_emit(struct cgreader *r, const struct vview *v,
		  const uint8_t *rec);
void viewrec_learn(struct cgreader *r, struct vview *v, size_t frec,
		   bool clean);
void viewrec_forget(struct vlayout *l);

/* encode_*.c: a snapshot in each output format */
struct buf {
	char *p;
	size_t len, cap;
	/* when set, called to empty the buffer once it holds 64 KiB */
	void (*drain)(struct buf *b, void *ctx);
	void *ctx;
};
void buf_put(struct buf *b, const void *p, size_t len);
void *buf_room(struct buf *b, size_t n);
void buf_wrote(struct buf *b, size_t n);
void fmt_double(char *out, size_t n, double v);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void encode_snapshot(const struct snapshot *snap, const struct schemas *ss,
		     struct buf *out);
void encode_text(const struct snapshot *snap, const struct schemas *ss,
		 struct buf *out, bool om);
void encode_protobuf(const struct snapshot *snap, const struct schemas *ss,
		     bool classic, struct buf *out);
/* OTLP and remote write split a snapshot into requests of at most
 * max_points data points; emit() takes each body (owned by the callee).
 */
typedef void (*body_fn)(void *ctx, char *body, size_t len, size_t npoints);
/* Log2 histograms (series.c) go out as OTLP exponential and Prometheus
 * native histograms, or with CLASSIC as explicit-bucket and le series
 */
void encode_otlp(const struct snapshot *snap, const struct schemas *ss,
		 size_t max_points, bool classic, body_fn emit, void *ctx);
void encode_remote_write(const struct snapshot *snap, const struct schemas *ss,
			 size_t max_points, bool classic, body_fn emit,
			 void *ctx);

/* sinks */
enum sink_kind { SINK_FILE, SINK_OTLP, SINK_REMOTE_WRITE, SINK_TEXT };
/* the snapshot stream or the text format, to a file or stdout */
static inline bool sink_is_file(enum sink_kind k)
{
	return k == SINK_FILE || k == SINK_TEXT;
}
struct push;
struct push_opts {
	size_t queue_bytes; /* request bodies held per target, as sent */
	double timeout; /* seconds one attempt may take */
	double retry_for; /* seconds from a request's first attempt to
			   * giving it up */
};
struct push *push_start(enum sink_kind kind, const char *url,
			const struct push_opts *o, struct stats *st);
void push_body(void *push, char *body, size_t len, size_t npoints);
uint64_t push_stop(struct push **p, size_t n, double flush_seconds);

/* listen_feed.c: a format's text, gzip compressed for --listen */
#include <pthread.h>
#include <zlib.h>
#define GZIP_WINDOW (15 + 16) /* deflate/inflate with a gzip wrapper */
struct text { /* a published text, shared by the responses sending it */
	_Atomic unsigned refs;
	size_t len;
	char *gz;
};
struct feed {
	struct text *served; /* NULL before the first; under the caller's mutex */
	struct buf next; /* gzip of the text being encoded */
	struct buf text; /* text not yet compressed */
	z_stream z;
	bool written; /* feed_text() since the last publish */
};
int feed_init(struct feed *f);
struct buf *feed_text(struct feed *f);
void feed_publish(struct feed *f, pthread_mutex_t *mu);
struct text *feed_get(struct feed *f); /* with the mutex: a reference */
void text_put(struct text *t);
void feed_end(struct feed *f);

struct listener;
struct listen_limits {
	unsigned conns, per_ip; /* connections at once, from one address */
	double timeout; /* seconds idle, or to send one response */
};
int listen_check(const char *addr);
struct listener *listen_start(const char *addr,
			      const struct listen_limits *lim);
/* /metrics formats; listen_accept.c: which one an Accept header wants */
enum fmt { FMT_TEXT, FMT_OPENMETRICS, FMT_PROTOBUF, NFMT };
enum fmt listen_accept(const char *accept);
struct buf *listen_text(struct listener *l, enum fmt f);
bool listen_wants(struct listener *l, enum fmt f);
void listen_publish(struct listener *l);
void listen_stop(struct listener *l);

/* options.c: the command line */
#define MAX_OUTPUTS 16
#define MAX_SCHEMA_DIRS 16
#define MAX_FILES 64

struct output {
	enum sink_kind kind;
	const char *target; /* a path, "-", or the http(s) URL */
};

enum read_mode { READ_AUTO, READ_BULK, READ_FILES };

struct opts {
	struct walk_opts walk;
	enum read_mode read;
	unsigned bulk_chunk; /* cgroups per bulk read session */
	struct output out[MAX_OUTPUTS];
	size_t nout;
	const char *listen;
	struct listen_limits limits;
	const char *schema_dirs[MAX_SCHEMA_DIRS];
	size_t nschema_dirs;
	const char *files[MAX_FILES];
	size_t count; /* snapshots to take, 0 for no end */
	double interval, flush_seconds;
	struct push_opts push;
	size_t batch;
	struct label labels[MAX_LABELS]; /* --label, empty values included */
	size_t nlabels;
	unsigned path_labels; /* PATH_LABELS_* */
	bool classic_hist; /* --classic-histograms */
};

void parse_options(int argc, char **argv, struct opts *o,
		   const struct schemas *builtin);
void check_files(const struct opts *o, struct schemas *ss);
void check_labels(const struct opts *o, const struct schemas *ss);

#endif
