// SPDX-License-Identifier: GPL-2.0
/* The bulk read's records into the snapshot. Each cgroup's path is its
 * parent's and its name. A standard file whose keys the records hold
 * becomes samples without a read: what the file prints (its keys, in its
 * order, and whether a cgroup has it at all) is learned by reading it once
 * per kind of cgroup (the root or not, and which controllers it has), so
 * the snapshot is the one the per-file walk makes. Other files, and bpf.*
 * files (a cgroup's own, the kernel says which have them; or in the bpffs
 * mirror), are read per file.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "exporter.h"

/* What a key's value is computed from (struct bulk_rec) */
enum field {
	F_NR_DESC,
	F_NR_DYING,
	F_USAGE,
	F_USER,
	F_SYSTEM,
	F_NICE,
	F_FORCEIDLE,
	F_PERIODS,
	F_THROTTLED,
	F_THROTTLED_USEC,
	F_BURSTS,
	F_BURST_USEC,
	F_MEM,
	F_MEM_MAX,
	F_MEM_PEAK,
	F_SWAP,
	F_SWAP_MAX,
	F_SWAP_PEAK,
	F_PIDS,
	F_PIDS_MAX,
	F_PIDS_PEAK,
	F_PIDS_EV_MAX,
	F_THROTTLED_SELF,
	F_MEV,
	F_PSI = F_MEV +
		BULK_MEV_N, /* + state * 4 + avg10, avg60, avg300, total */
	F_MSTAT = F_PSI + BULK_PSI_N * 4, /* + mstat_key() */
	F_SUBSYS = F_MSTAT + MSTAT_MAX,
	F_DYING_SUBSYS = F_SUBSYS + BULK_SUBSYS,
};

struct fkey {
	const char *key;
	int field;
};

/* The files the records hold, and their keys */
static const struct fkey cpu_stat[] = {
	{ "usage_usec", F_USAGE },
	{ "user_usec", F_USER },
	{ "system_usec", F_SYSTEM },
	{ "nice_usec", F_NICE },
	{ "core_sched.force_idle_usec", F_FORCEIDLE },
	{ "nr_periods", F_PERIODS },
	{ "nr_throttled", F_THROTTLED },
	{ "throttled_usec", F_THROTTLED_USEC },
	{ "nr_bursts", F_BURSTS },
	{ "burst_usec", F_BURST_USEC },
	{ NULL },
};

static const struct fkey memory_events[] = {
	{ "low", F_MEV + BULK_MEV_LOW },
	{ "high", F_MEV + BULK_MEV_HIGH },
	{ "max", F_MEV + BULK_MEV_MAX },
	{ "oom", F_MEV + BULK_MEV_OOM },
	{ "oom_kill", F_MEV + BULK_MEV_OOM_KILL },
	{ "oom_group_kill", F_MEV + BULK_MEV_OOM_GROUP_KILL },
	{ NULL },
};

static const struct fkey swap_events[] = {
	{ "high", F_MEV + BULK_MEV_SWAP_HIGH },
	{ "max", F_MEV + BULK_MEV_SWAP_MAX },
	{ "fail", F_MEV + BULK_MEV_SWAP_FAIL },
	{ NULL },
};

static const struct fkey pids_events[] = { { "max", F_PIDS_EV_MAX }, { NULL } };

static const struct fkey cpu_stat_local[] = {
	{ "throttled_usec", F_THROTTLED_SELF },
	{ NULL },
};

#define PSI_KEYS(res)                                                     \
	((const struct fkey[]){                                           \
		{ "some.avg10", F_PSI + BULK_PSI_##res##_SOME * 4 },      \
		{ "some.avg60", F_PSI + BULK_PSI_##res##_SOME * 4 + 1 },  \
		{ "some.avg300", F_PSI + BULK_PSI_##res##_SOME * 4 + 2 }, \
		{ "some.total", F_PSI + BULK_PSI_##res##_SOME * 4 + 3 },  \
		{ "full.avg10", F_PSI + BULK_PSI_##res##_FULL * 4 },      \
		{ "full.avg60", F_PSI + BULK_PSI_##res##_FULL * 4 + 1 },  \
		{ "full.avg300", F_PSI + BULK_PSI_##res##_FULL * 4 + 2 }, \
		{ "full.total", F_PSI + BULK_PSI_##res##_FULL * 4 + 3 },  \
		{ NULL } })

#define VALUE(f) ((const struct fkey[]){ { ".", f }, { NULL } })

/* io.stat's subkeys, in its order: fields are indices in io_value() */
#define IO_KEYS                                    \
	((const struct fkey[]){ { "*.rbytes", 0 }, \
				{ "*.wbytes", 1 }, \
				{ "*.rios", 2 },   \
				{ "*.wios", 3 },   \
				{ "*.dbytes", 4 }, \
				{ "*.dios", 5 },   \
				{ NULL } })

static const struct {
	const char *file;
	const struct fkey *keys; /* NULL: cgroup.stat's, by subsystem name */
} covered[] = {
	{ "cgroup.stat", NULL },
	{ "cpu.stat", cpu_stat },
	{ "cpu.stat.local", cpu_stat_local },
	{ "cpu.pressure", PSI_KEYS(CPU) },
	{ "memory.pressure", PSI_KEYS(MEM) },
	{ "io.pressure", PSI_KEYS(IO) },
	{ "memory.stat", (const struct fkey[]){ { NULL } } },
	{ "io.stat", IO_KEYS },
	{ "memory.current", VALUE(F_MEM) },
	{ "memory.max", VALUE(F_MEM_MAX) },
	{ "memory.peak", VALUE(F_MEM_PEAK) },
	{ "memory.swap.current", VALUE(F_SWAP) },
	{ "memory.swap.max", VALUE(F_SWAP_MAX) },
	{ "memory.swap.peak", VALUE(F_SWAP_PEAK) },
	{ "memory.events", memory_events },
	{ "memory.swap.events", swap_events },
	{ "pids.current", VALUE(F_PIDS) },
	{ "pids.max", VALUE(F_PIDS_MAX) },
	{ "pids.peak", VALUE(F_PIDS_PEAK) },
	{ "pids.events", pids_events },
};

/* What a kind of cgroup shows of one file */
enum lstate { L_ABSENT, L_BULK, L_FILE };
#define LKEYS 64
struct layout {
	uint32_t kind; /* the root or not, and its controllers */
	enum lstate state;
	size_t n;
	struct {
		struct smetric *m;
		int field;
	} k[LKEYS];
};

struct wfile {
	const char *name;
	struct schema *s;
	const struct fkey *keys; /* NULL: not in the records */
	bool cgstat; /* cgroup.stat */
	bool mstat; /* memory.stat */
	bool io; /* io.stat: a line per device */
	/* a *.pressure file (the root's is system-wide): the flag that
	 * says the record's averages for it are stale, BULK_PSI_STALE_*
	 */
	uint32_t psi;
	struct layout *lay;
	size_t nlay, cap_lay;
};

/* struct wfile's psi for file NAME */
static uint32_t psi_flag(const char *name)
{
	if (!strcmp(name, "cpu.pressure"))
		return BULK_PSI_STALE_CPU;
	if (!strcmp(name, "memory.pressure"))
		return BULK_PSI_STALE_MEM;
	return !strcmp(name, "io.pressure") ? BULK_PSI_STALE_IO : 0;
}

struct pathent {
	uint64_t id;
	uint32_t rel, len; /* in paths: relative to --root, "" for it */
	bool skip; /* path too long: the subtree is not exported */
};

struct model {
	struct wfile f[MAX_FILES];
	size_t nf;
	int ssid[BULK_SUBSYS + 1]; /* by subsystem name: see ssid_of() */
	char ssname[BULK_SUBSYS][32];
	long page;
	bool pids_local; /* mounted with pids_localevents */
	struct mstat_keys *mstat; /* memory.stat's keys (bulk_mstat.c) */
	const struct bulk_index *index; /* this walk's */
	/* per scrape */
	struct cgreader r;
	const char *prefix;
	int rootfd, mirrorfd;
	struct pathent *ids;
	size_t cap_ids, nids;
	char *paths;
	size_t n_paths, cap_paths;
	struct mirrorlist *mirror; /* the bpf.* names of the mirror's dirs */
	bool failed;
};

/* Subsystem ids by name, from the kernel's enum cgroup_subsys_id */
static void subsystems(struct model *mo)
{
	struct btf *btf = btf__load_vmlinux_btf(); /* megabytes: not kept */
	const struct btf_type *t;
	const struct btf_enum *e;
	const char *n;
	int id;

	id = btf ? btf__find_by_name_kind(btf, "cgroup_subsys_id",
					  BTF_KIND_ENUM) :
		   -1;
	if (id < 0) {
		btf__free(btf);
		return;
	}
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++) {
		n = btf__name_by_offset(btf, e->name_off);
		if (e->val < 0 || e->val >= BULK_SUBSYS ||
		    !strstr(n, "_cgrp_id"))
			continue;
		snprintf(mo->ssname[e->val], sizeof(mo->ssname[0]), "%.*s",
			 (int)(strstr(n, "_cgrp_id") - n), n);
	}
	btf__free(btf);
}

/* The subsystem N names (nr_subsys_N in cgroup.stat), or -1 */
static int ssid_of(const struct model *mo, const char *n, size_t len)
{
	for (int i = 0; i < BULK_SUBSYS; i++)
		if (strlen(mo->ssname[i]) == len &&
		    !memcmp(mo->ssname[i], n, len))
			return i;
	return -1;
}

static bool pids_localevents(const char *root)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mounts", "r");
	bool local = false;

	(void)root;
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " cgroup2 ") &&
		    strstr(line, "pids_localevents"))
			local = true;
	if (f)
		fclose(f);
	return local;
}

static void model_init(struct model *mo, const struct walk_opts *o,
		       struct schemas *ss)
{
	mo->nf = 0;
	for (size_t i = 0; i < o->nfiles; i++) {
		struct wfile *w = &mo->f[mo->nf++];

		*w = (struct wfile){ .name = o->files[i],
				     .s = schema_for_unknown_file(
					     ss, o->files[i]) };
		for (size_t c = 0; c < sizeof(covered) / sizeof(covered[0]);
		     c++) {
			if (strcmp(covered[c].file, w->name))
				continue;
			w->keys = covered[c].keys;
			w->cgstat = !covered[c].keys;
			w->psi = psi_flag(w->name);
			w->mstat = !strcmp(w->name, "memory.stat");
			w->io = !strcmp(w->name, "io.stat");
		}
	}
	subsystems(mo);
	mo->page = sysconf(_SC_PAGESIZE);
	mo->mstat = mstat_new(mo->page);
	mo->pids_local = pids_localevents(o->root);
	mo->r.vr = o->views ? viewrecs_new(o->views) : NULL;
	mo->mirror = mirror_new();
}

/* The field of KEY in file W, or -1 */
static int field_of(struct model *mo, const struct wfile *w, const char *key,
		    size_t len)
{
	static const struct {
		const char *prefix;
		int base;
	} per_ss[] = { { "nr_subsys_", F_SUBSYS },
		       { "nr_dying_subsys_", F_DYING_SUBSYS } };
	size_t n;
	int ss;

	if (w->mstat) {
		int i = mstat_key(mo->mstat, key, len, mo->index);

		return i < 0 ? -1 : F_MSTAT + i;
	}
	if (!w->cgstat) {
		for (const struct fkey *k = w->keys; k && k->key; k++)
			if (strlen(k->key) == len && !memcmp(k->key, key, len))
				return k->field;
		return -1;
	}
	if (len == 14 && !memcmp(key, "nr_descendants", len))
		return F_NR_DESC;
	if (len == 20 && !memcmp(key, "nr_dying_descendants", len))
		return F_NR_DYING;
	for (size_t i = 0; i < 2; i++) {
		n = strlen(per_ss[i].prefix);
		if (len > n && !memcmp(key, per_ss[i].prefix, n) &&
		    (ss = ssid_of(mo, key + n, len - n)) >= 0)
			return per_ss[i].base + ss;
	}
	return -1;
}

/* cputime_adjust(): user and system time scaled to the runtime, never
 * below what the cgroup's cpu.stat showed last (prev_cputime)
 */
static void adjust(const struct bulk_rec *r, uint64_t *ut, uint64_t *st)
{
	uint64_t rtime = r->sum_exec, stime = r->stime, utime = r->utime;

	if (r->prev_stime + r->prev_utime >= rtime) {
		*ut = r->prev_utime;
		*st = r->prev_stime;
		return;
	}
	if (stime == 0)
		stime = 0;
	else if (utime == 0)
		stime = rtime;
	else
		stime = (unsigned __int128)stime * rtime / (stime + utime);
	if (stime > rtime)
		stime = rtime;
	if (stime < r->prev_stime)
		stime = r->prev_stime;
	utime = rtime - stime;
	if (utime < r->prev_utime) {
		utime = r->prev_utime;
		stime = rtime - utime;
	}
	*ut = utime;
	*st = stime;
}

/* A page counter's limit as memory.max prints it: "max" is none */
static double pages(const struct model *mo, uint64_t v, bool limit)
{
	if (limit && v == (uint64_t)(INT64_MAX / mo->page))
		return INFINITY;
	return (double)(v * mo->page);
}

static double pids_limit(int64_t v)
{
	return v >= 4 * 1024 * 1024 + 1 ? INFINITY : (double)v; /* PIDS_MAX */
}

/* psi_show(): a total in us; an average with two decimals, I.FF, which
 * parse_number() turns into (I * 100 + FF) * (1 / 10 / 10)
 */
static double psi(const struct bulk_rec *r, int i)
{
	static const double centi = 1.0 / 10 / 10;
	uint64_t avg = r->psi_avg[i / 4][i % 4 % 3];

	if (i % 4 == 3)
		return r->psi_total[i / 4] / 1000;
	return (double)((avg >> 11) * 100 + (((avg & 2047) * 100) >> 11)) *
	       centi;
}

/* The value FIELD has in the file's text */
static double value(const struct model *mo, const struct bulk_rec *r, int field,
		    const uint64_t *ut, const uint64_t *st)
{
	switch (field) {
	case F_NR_DESC:
		return r->nr_descendants;
	case F_NR_DYING:
		return r->nr_dying_descendants;
	case F_USAGE:
		return r->sum_exec / 1000;
	case F_USER:
		return *ut / 1000;
	case F_SYSTEM:
		return *st / 1000;
	case F_NICE:
		return r->ntime / 1000;
	case F_FORCEIDLE:
		return r->forceidle / 1000;
	case F_PERIODS:
		return (int)r->nr_periods;
	case F_THROTTLED:
		return (int)r->nr_throttled;
	case F_BURSTS:
		return (int)r->nr_bursts;
	case F_THROTTLED_USEC:
		return r->throttled_ns / 1000;
	case F_BURST_USEC:
		return r->burst_ns / 1000;
	case F_MEM:
		return pages(mo, r->mem, false);
	case F_MEM_MAX:
		return pages(mo, r->mem_max, true);
	case F_MEM_PEAK:
		return pages(mo, r->mem_peak, false);
	case F_SWAP:
		return pages(mo, r->swap, false);
	case F_SWAP_MAX:
		return pages(mo, r->swap_max, true);
	case F_SWAP_PEAK:
		return pages(mo, r->swap_peak, false);
	case F_PIDS:
		return r->pids;
	case F_PIDS_MAX:
		return pids_limit(r->pids_max);
	case F_PIDS_PEAK:
		return r->pids_peak;
	case F_PIDS_EV_MAX:
		return mo->pids_local ? r->pids_ev_local_forkfail :
					r->pids_ev_max;
	case F_THROTTLED_SELF:
		return r->throttled_self_ns / 1000;
	}
	if (field >= F_PSI && field < F_MSTAT)
		return psi(r, field - F_PSI);
	if (field >= F_MSTAT && field < F_SUBSYS)
		return mstat_value(mo->mstat, field - F_MSTAT, r, mo->index);
	if (field < F_PSI)
		return r->mev[field - F_MEV];
	if (field < F_DYING_SUBSYS)
		return r->subsys[field - F_SUBSYS];
	return r->dying_subsys[field - F_DYING_SUBSYS];
}

static struct layout *layout_find(struct wfile *w, uint32_t kind)
{
	for (size_t i = 0; i < w->nlay; i++)
		if (w->lay[i].kind == kind)
			return &w->lay[i];
	return NULL;
}

static struct layout *layout_add(struct wfile *w, uint32_t kind,
				 enum lstate state)
{
	struct layout *l;

	w->lay = grow(w->lay, &w->cap_lay, w->nlay + 1, sizeof(*w->lay));
	l = &w->lay[w->nlay++];
	*l = (struct layout){ .kind = kind, .state = state };
	return l;
}

struct learning {
	struct model *mo;
	struct wfile *w;
	struct layout *l;
	const char *bad; /* a key the records lack */
	size_t badlen;
};

/* An io.stat subkey: its metric, once for every line; true when known */
static bool io_learn(struct learning *c, const char *key, size_t len, int field)
{
	struct layout *l = c->l;
	bool added;

	if (l->k[field].m)
		return true;
	l->k[field].m = schema_lookup(c->mo->r.ss, c->w->s, key, len, &added);
	l->k[field].field = field;
	if (added)
		c->mo->r.st->unknown_keys++;
	if (l->n < (size_t)field + 1)
		l->n = field + 1;
	return l->k[field].m && l->k[field].m->type != MT_HISTOGRAM;
}

static void learn_item(void *ctx, const struct item *it)
{
	struct learning *c = ctx;
	struct layout *l = c->l;
	char key[256];
	struct smetric *m;
	int field = -1;
	size_t len;
	bool added;

	if (c->bad)
		return;
	if (c->w->io && it->sub && c->w->s->label) { /* "*.rbytes" */
		len = snprintf(key, sizeof(key), "*.%.*s", (int)it->sublen,
			       it->sub);
		field = len < sizeof(key) ? field_of(c->mo, c->w, key, len) :
					    -1;
		if (field >= 0 && io_learn(c, key, len, field))
			return;
	} else if (it->keylen + it->sublen + 2 <= sizeof(key)) {
		len = snprintf(key, sizeof(key), "%.*s%s%.*s", (int)it->keylen,
			       it->key, it->sub ? "." : "", (int)it->sublen,
			       it->sub ? it->sub : "");
		field = field_of(c->mo, c->w, key, len);
	}
	if (field < 0 || c->w->io || c->w->s->label || l->n == LKEYS) {
		c->bad = it->key;
		c->badlen = it->keylen;
		return;
	}
	m = schema_lookup(c->mo->r.ss, c->w->s, key, len, &added);
	if (added)
		c->mo->r.st->unknown_keys++;
	if (!m || m->type == MT_HISTOGRAM) {
		c->bad = it->key;
		c->badlen = it->keylen;
		return;
	}
	l->k[l->n].m = m;
	l->k[l->n++].field = field;
}

static void learn_error(void *ctx, int line, const char *why)
{
	struct learning *c = ctx;

	(void)line, (void)why;
	c->bad = c->bad ? c->bad : "(a malformed line)";
	c->badlen = strlen(c->bad);
}

/* io.stat's subkey K of device D as the file prints it */
static double io_value(const struct bulk_rec *r, unsigned d, int k)
{
	static const int which[] = { 0, 1, 0, 1, 2, 2 };

	return k == 0 || k == 1 || k == 4 ? r->dev[d].bytes[which[k]] :
					    r->dev[d].ios[which[k]];
}

/* blkcg_print_one_stat(): a device's line has values once it did I/O */
static void emit_io(struct model *mo, const struct layout *l,
		    const struct bulk_rec *r)
{
	struct snapshot *snap = mo->r.snap;
	uint32_t label;

	for (unsigned d = 0; d < r->ndev && d < BULK_DEVS; d++) {
		if (!r->dev[d].bytes[0] && !r->dev[d].bytes[1] &&
		    !r->dev[d].ios[0] && !r->dev[d].ios[1])
			continue;
		label = snapshot_name(snap, r->dev[d].name,
				      strnlen(r->dev[d].name,
					      sizeof(r->dev[d].name)));
		for (int k = 0; k < 6; k++)
			*PUSH(snap, samples) = (struct sample){
				.metric = metric_ref(l->k[k].m),
				.value = io_value(r, d, k) / l->k[k].m->div,
				.label = label,
			};
	}
}

/* File W from the record: its samples, as the file would give them */
static void emit(struct model *mo, const struct layout *l,
		 const struct wfile *w, const struct bulk_rec *r)
{
	struct snapshot *snap = mo->r.snap;
	struct frec *f = PUSH(snap, files);
	uint64_t ut, st;

	*f = (struct frec){ .s = w->s,
			    .sample = snap->n_samples,
			    .nsamples = w->io ? 0 : l->n };
	if (w->io) {
		emit_io(mo, l, r);
		snap->files[snap->n_files - 1].nsamples =
			snap->n_samples - snap->files[snap->n_files - 1].sample;
		mo->r.st->files++;
		mo->r.st->files_bulk++;
		return;
	}
	adjust(r, &ut, &st);
	for (size_t i = 0; i < l->n; i++)
		*PUSH(snap, samples) = (struct sample){
			.metric = metric_ref(l->k[i].m),
			.value = value(mo, r, l->k[i].field, &ut, &st) /
				 l->k[i].m->div
		};
	mo->r.st->files++;
	mo->r.st->files_bulk++;
}

/* Is the cgroup of directory DFD still there? */
static bool alive(int dfd)
{
	return !faccessat(dfd, "cgroup.controllers", F_OK, 0);
}

/* First sight of file W in a cgroup of this KIND: read it, learn whether
 * the kind has it and whether the record holds its keys. -1: vanished
 */
static int learn(struct model *mo, struct wfile *w, const struct bulk_rec *r,
		 uint32_t kind, int dfd, bool per_file)
{
	struct learning c = { .mo = mo, .w = w };
	size_t len;
	int err = read_file_at(dfd, w->name, &mo->r.buf, &mo->r.cap, &len);

	if (err == -ENOENT || err == -ENODEV) {
		if (!alive(dfd))
			return -1;
		layout_add(w, kind, L_ABSENT);
		return 0;
	}
	if (err)
		return reader_file(&mo->r, dfd, w->name, w->s);
	c.l = layout_add(w, kind, L_BULK);
	if ((w->keys || w->cgstat) && !per_file)
		parse_text(mo->r.buf, len, learn_item, learn_error, &c);
	else
		c.bad = "";
	for (int k = 0; w->io && !c.bad && k < 6; k++) { /* lines to come */
		if (io_learn(&c, w->keys[k].key, strlen(w->keys[k].key), k))
			continue;
		c.bad = w->keys[k].key;
		c.badlen = strlen(c.bad);
	}
	if (!c.bad)
		return emit(mo, c.l, w, r), 0;
	c.l->state = L_FILE;
	if (*c.bad)
		warn_once(w->name,
			  "bulk read: %s has '%.*s', which the bulk records "
			  "lack: it is read per file",
			  w->name, (int)c.badlen, c.bad);
	model_file(mo->r.snap, mo->r.ss, w->s, mo->r.buf, len, mo->r.path,
		   w->name, mo->r.st);
	mo->r.st->files++;
	return 0;
}

/* The entry of cgroup ID in this scrape's table (open addressing) */
static struct pathent *slot(struct model *mo, uint64_t id)
{
	size_t i = (id * 0x9e3779b97f4a7c15ull) & (mo->cap_ids - 1);

	while (mo->ids[i].id && mo->ids[i].id != id)
		i = (i + 1) & (mo->cap_ids - 1);
	return &mo->ids[i];
}

static void ids_grow(struct model *mo)
{
	struct pathent *old = mo->ids;
	size_t cap = mo->cap_ids;

	mo->cap_ids = cap ? cap * 2 : 4096;
	mo->ids = xcalloc(mo->cap_ids, sizeof(*mo->ids));
	for (size_t i = 0; i < cap; i++)
		if (old[i].id)
			*slot(mo, old[i].id) = old[i];
	free(old);
}

static const char *rel(const struct model *mo, const struct pathent *p)
{
	return p->len ? mo->paths + p->rel : ".";
}

/* Record R's path, from its parent's; NULL when it is not exported (its
 * path is longer than PATH_MAX, or its parent's was)
 */
static struct pathent *path_of(struct model *mo, const struct bulk_rec *r)
{
	struct pathent *parent = NULL, *p;
	size_t len = 0, plen = strlen(mo->prefix);

	if (mo->nids) {
		parent = slot(mo, r->parent);
		if (!parent->id || parent->skip)
			return NULL;
		len = parent->len + !!parent->len + r->name_len;
	}
	if ((mo->nids + 1) * 2 > mo->cap_ids)
		ids_grow(mo);
	if (parent)
		parent = slot(mo, r->parent);
	p = slot(mo, r->id);
	*p = (struct pathent){ .id = r->id, .skip = plen + len + 2 > 4096 };
	mo->nids++;
	if (p->skip)
		return NULL;
	mo->paths = grow(mo->paths, &mo->cap_paths, mo->n_paths + len + 1, 1);
	p->rel = mo->n_paths;
	p->len = len;
	if (parent && parent->len) {
		memcpy(mo->paths + p->rel, mo->paths + parent->rel,
		       parent->len);
		mo->paths[p->rel + parent->len] = '/';
	}
	if (parent)
		memcpy(mo->paths + p->rel + len - r->name_len, r->name,
		       r->name_len);
	mo->paths[p->rel + len] = '\0';
	mo->n_paths += len + 1;
	return p;
}

/* The cgroup's directory, opened when first needed; -1: vanished */
static int dir_of(struct model *mo, const struct pathent *p, int *dfd)
{
	if (*dfd < 0)
		*dfd = openat(mo->rootfd, rel(mo, p),
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return *dfd < 0 ? -1 : 0;
}

/* File W of the cgroup of R; -1: vanished */
static int one_file(struct model *mo, struct wfile *w, const struct bulk_rec *r,
		    const struct pathent *p, int *dfd)
{
	uint32_t kind = r->flags << 16 | (r->css & 0xffff);
	struct layout *l = layout_find(w, kind);
	/* what the record lacks: the root's system-wide numbers, more
	 * devices than it holds (kinds of their own: the flags are in KIND)
	 */
	bool per_file = ((r->flags & BULK_ROOT) &&
			 (w->keys == cpu_stat || w->psi || w->io)) ||
			(w->io && (r->flags & BULK_IO_MORE)) ||
			(w->psi & r->flags);

	if (l && l->state == L_ABSENT)
		return 0;
	if (l && l->state == L_BULK)
		return emit(mo, l, w, r), 0;
	if (dir_of(mo, p, dfd))
		return -1;
	if (l)
		return reader_file(&mo->r, *dfd, w->name, w->s);
	return learn(mo, w, r, kind, *dfd, per_file);
}

/* The bpf.* files of the cgroup, in its directory and in the mirror (its
 * names from mirror_scan())
 */
static int view_files(struct model *mo, const struct bulk_rec *r,
		      const struct pathent *p, int *dfd)
{
	const char *names;
	int mfd = -1;

	if ((r->flags & BULK_VIEWS) &&
	    (dir_of(mo, p, dfd) || reader_views(&mo->r, *dfd)))
		return -1;
	names = mo->mirrorfd < 0 ? NULL : mirror_names(mo->mirror, rel(mo, p));
	for (; names && *names; names += strlen(names) + 1) {
		if (reader_view_record(&mo->r, names))
			continue;
		if (mfd < 0)
			mfd = openat(mo->mirrorfd, rel(mo, p),
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (mfd < 0)
			break;
		/* a pin gone since the scan: the exposure, not the cgroup */
		reader_view_text(&mo->r, mfd, names);
	}
	if (mfd >= 0)
		close(mfd);
	return 0;
}

/* The cgroup's path in the hierarchy, for the snapshot and messages (its
 * length was checked in path_of())
 */
static void set_path(struct model *mo, const struct pathent *p)
{
	size_t n = strlen(mo->prefix);

	memcpy(mo->r.path, mo->prefix, n);
	if (p->len)
		mo->r.path[n++] = '/';
	memcpy(mo->r.path + n, mo->paths + p->rel, p->len);
	n += p->len;
	if (!n)
		mo->r.path[n++] = '/';
	mo->r.path[n] = '\0';
	mo->r.plen = n;
}

static void one_cgroup(struct model *mo, const struct bulk_rec *r)
{
	struct snapshot *snap = mo->r.snap;
	struct pathent *p = path_of(mo, r);
	struct snapshot_mark m;
	int dfd = -1, ret = 0;
	size_t i;

	if (!p)
		return;
	set_path(mo, p);
	mo->r.id = r->id;
	snapshot_mark(snap, &m);
	i = snap->n_cgroups;
	*PUSH(snap, cgroups) = (struct cgrec){
		.id = r->id,
		.path = snapshot_name(snap, mo->r.path, mo->r.plen),
		.file = snap->n_files,
	};
	for (size_t f = 0; f < mo->nf && !ret; f++)
		ret = one_file(mo, &mo->f[f], r, p, &dfd);
	if (!ret)
		ret = view_files(mo, r, p, &dfd);
	if (dfd >= 0)
		close(dfd);
	if (ret) {
		snapshot_rollback(snap, &m);
		mo->r.st->vanished++;
		return;
	}
	snap->cgroups[i].nfiles = snap->n_files - snap->cgroups[i].file;
	mo->r.st->cgroups++;
}

/* The views' records of the cgroups of the walk's next run */
static void views_run(void *ctx, const struct bulk_run *run)
{
	struct model *mo = ctx;

	if (mo->r.vr)
		viewrecs_run(mo->r.vr, run);
}

static void on_batch(void *ctx, const struct bulk_rec *recs, size_t n,
		     const struct bulk_index *index)
{
	struct model *mo = ctx;

	mo->index = index;
	for (size_t i = 0; i < n; i++)
		one_cgroup(mo, &recs[i]);
}

/* This scrape's state: root, mirror, path table */
static void scrape_start(struct model *mo, const struct walk_opts *o,
			 struct snapshot *snap, struct stats *st)
{
	mo->r.snap = snap;
	mo->r.st = st;
	mo->prefix = hierarchy_prefix(o->root);
	mo->rootfd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mo->mirrorfd = open_mirror(o->mirror, mo->prefix);
	if (mo->cap_ids)
		memset(mo->ids, 0, mo->cap_ids * sizeof(*mo->ids));
	mo->nids = mo->n_paths = 0;
	if (mo->r.vr)
		viewrecs_scan(mo->r.vr);
	if (mo->mirrorfd >= 0)
		mirror_update(mo->mirror, o->mirror, mo->mirrorfd);
}

/* One scrape through the bulk read into SNAP; -1 when it failed (the
 * caller falls back to the per-file walk)
 */
int bulk_collect(struct bulk *b, const struct walk_opts *o, struct schemas *ss,
		 struct snapshot *snap, struct stats *st)
{
	static struct model mo;
	double start = scrape_begin(snap, st);
	int err;

	if (!mo.r.ss) {
		mo.r.ss = ss;
		model_init(&mo, o, ss);
	}
	scrape_start(&mo, o, snap, st);
	if (mo.rootfd < 0) {
		fprintf(stderr, "cgview-exporter: --root %s: %s\n", o->root,
			strerror(errno));
		return -1;
	}
	err = bulk_walk(b, views_run, on_batch, &mo);
	mstat_forget_btf(mo.mstat);
	close(mo.rootfd);
	if (mo.mirrorfd >= 0)
		close(mo.mirrorfd);
	if (err) {
		fprintf(stderr, "cgview-exporter: bulk read: %s\n",
			strerror(-err));
		return -1;
	}
	st->bulk_lock_seconds = bulk_longest(b);
	scrape_end(st, start);
	return 0;
}
