// SPDX-License-Identifier: GPL-2.0
/* proto/cgview.proto: a snapshot as one length-delimited Snapshot message
 * (varint size, then the message, as protobuf's writeDelimitedTo).
 *
 * protobuf-c packs the header's fields and the metrics' descriptions. The
 * part that grows with the tree (cgroups, their files, samples and
 * labels, histograms' buckets) is written here from the model, as
 * protobuf-c writes it: fields in the order of their numbers, proto3's
 * zero values left out. Each cgroup is sized once, for the snapshot's
 * size that the stream gives first, and written once, from its last byte
 * back to its first: a message's length is known when its fields are
 * written, before its tag and length.
 * Through protobuf-c's structs that part cost a third of a bulk scrape's
 * CPU at 10,000 cgroups with seven views: protobuf-c sizes a message
 * again for each message it is nested in (a bucket four times) and walks
 * every field's descriptor each time. Protobuf allows a message's fields
 * in any order and a repeated field's elements apart, so the cgroups
 * (field 4), the exporter's own samples (5) and the labels (7) follow the
 * header's other fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"
#include "cgview.pb-c.h"

/* Field numbers in proto/cgview.proto (each below 16: a one-byte tag) */
enum {
	SNAPSHOT_CGROUPS = 4,
	SNAPSHOT_SELF = 5,
	SNAPSHOT_LABELS = 7,
	LABEL_NAME = 1,
	LABEL_VALUE = 2,
	CGROUP_ID = 1,
	CGROUP_PATH = 2,
	CGROUP_FILES = 3,
	CGROUP_START = 4,
	CGROUP_LABELS = 5,
	FILE_NAME = 1,
	FILE_SAMPLES = 2,
	FILE_START = 3,
	SAMPLE_METRIC = 1,
	SAMPLE_LABEL = 2,
	SAMPLE_VALUE = 3,
	SAMPLE_BUCKETS = 4,
	SAMPLE_SUM = 5,
	SAMPLE_HAS_SUM = 6,
	BUCKET_LE = 1,
	BUCKET_COUNT = 2,
};

#define WIRE_VARINT 0
#define WIRE_I64 1
#define WIRE_LEN 2

/* Reused between snapshots */
struct scratch {
	ARRAY(size_t, cgsize); /* each cgroup's, by index */
	/* by metric id: the bounds of its last histogram (hist_bounds()) */
	ARRAY(struct hbounds, hb);
	ARRAY(double, cum); /* a histogram's cumulative counts */
	ARRAY(Cgview__Metric, metrics);
	ARRAY(Cgview__Metric *, pmetrics);
};

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >>= 7)
		n++;
	return n;
}

/* A length-delimited field of LEN bytes, whole */
static size_t len_size(size_t len)
{
	return 1 + varint_len(len) + len;
}

/* A string field of N bytes, left out when empty */
static size_t strn_size(size_t n)
{
	return n ? len_size(n) : 0;
}

static size_t str_size(const char *s)
{
	return strn_size(strlen(s));
}

/* A uint64 (or bool) field, left out when 0 */
static size_t u64_size(uint64_t v)
{
	return v ? 1 + varint_len(v) : 0;
}

/* A double field, left out when +0 (protobuf-c's test: every bit 0) */
static size_t dbl_size(double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	return u ? 1 + sizeof(u) : 0;
}

/* The writers below write what they are given so that it ends at P, and
 * return where it starts: a message's fields are written last first.
 */
static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	uint8_t *at = p - varint_len(v);

	for (p = at; v >= 0x80; v >>= 7)
		*p++ = (v & 0x7f) | 0x80;
	*p = v;
	return at;
}

/* The tag and length of field FIELD, whose LEN bytes are from P on */
static uint8_t *put_head(uint8_t *p, unsigned field, size_t len)
{
	p = put_varint(p, len);
	*--p = field << 3 | WIRE_LEN;
	return p;
}

/* Message field FIELD, whose fields are from P to END */
static uint8_t *put_msg(uint8_t *p, unsigned field, const uint8_t *end)
{
	return put_head(p, field, end - p);
}

static uint8_t *put_u64(uint8_t *p, unsigned field, uint64_t v)
{
	if (!v)
		return p;
	p = put_varint(p, v);
	*--p = field << 3 | WIRE_VARINT;
	return p;
}

static uint8_t *put_strn(uint8_t *p, unsigned field, const char *s, size_t n)
{
	if (!n)
		return p;
	p -= n;
	memcpy(p, s, n);
	return put_head(p, field, n);
}

static uint8_t *put_str(uint8_t *p, unsigned field, const char *s)
{
	return put_strn(p, field, s, strlen(s));
}

/* Little-endian, as protobuf's fixed64 */
static uint8_t *put_dbl(uint8_t *p, unsigned field, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	if (!u)
		return p;
	p -= sizeof(u);
	for (size_t i = 0; i < sizeof(u); i++)
		p[i] = u >> (8 * i);
	*--p = field << 3 | WIRE_I64;
	return p;
}

/* What was written back from the end of WHAT's bytes stopped at P, which
 * its size says is START: else the stream would be corrupt
 */
static void check_sized(const uint8_t *p, const uint8_t *start,
			const char *what)
{
	if (p == start)
		return;
	fprintf(stderr,
		"cgview-exporter: snapshot stream: %s: %td bytes written "
		"other than sized; please report this\n",
		what, start - p);
	exit(EXIT_RUNTIME);
}

/* Labels L[N] as fields */
static size_t labels_size(const struct label *l, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		len += len_size(str_size(l[i].name) + str_size(l[i].value));
	return len;
}

/* The same labels as field FIELD */
static uint8_t *put_labels(uint8_t *p, unsigned field, const struct label *l,
			   size_t n)
{
	for (size_t i = n; i-- > 0;) {
		uint8_t *end = p;

		p = put_str(p, LABEL_VALUE, l[i].value);
		p = put_str(p, LABEL_NAME, l[i].name);
		p = put_msg(p, field, end);
	}
	return p;
}

/* A histogram's buckets as written: their bounds as hist_series() gives
 * them (+Inf last, log2 ones exact powers of two), N of them, and their
 * own counts, NOWN of them (the others 0)
 */
struct hview {
	const double *le, *own;
	uint32_t n, nown;
};

static void hist_view(struct scratch *sc, const struct snapshot *snap,
		      const struct sample *s, struct hview *v)
{
	const struct hist *hi = sample_hist(snap, s);
	const struct smetric *m = sample_metric(snap, s);
	size_t had = sc->n_hb;

	if (m->id >= had) {
		sc->hb = grow(sc->hb, &sc->cap_hb, m->id + 1, sizeof(*sc->hb));
		memset(sc->hb + had, 0, (m->id + 1 - had) * sizeof(*sc->hb));
		sc->n_hb = m->id + 1;
	}
	v->own = &snap->counts[hi->count];
	v->nown = hi->ncounts;
	/* a histogram's value is its count */
	v->le = hist_bounds(snap, hi, m->div, s->value, &sc->hb[m->id]);
	v->n = sc->hb[m->id].n;
}

/* Bucket I of V, whose count with those below it is CUM */
static size_t bucket_size(const struct hview *v, uint32_t i, double cum)
{
	return dbl_size(v->le[i]) + u64_size((uint64_t)cum);
}

static size_t buckets_size(const struct hview *v)
{
	size_t len = 0;
	double cum = 0;

	for (uint32_t i = 0; i < v->n; i++) {
		cum += i < v->nown ? v->own[i] : 0;
		len += len_size(bucket_size(v, i, cum));
	}
	return len;
}

/* V's buckets, the last (+Inf) first */
static uint8_t *put_buckets(uint8_t *p, struct scratch *sc,
			    const struct hview *v)
{
	double cum = 0;

	sc->cum = grow(sc->cum, &sc->cap_cum, v->n, sizeof(*sc->cum));
	for (uint32_t i = 0; i < v->n; i++)
		sc->cum[i] = cum += i < v->nown ? v->own[i] : 0;
	for (uint32_t i = v->n; i-- > 0;) {
		uint8_t *end = p;

		p = put_u64(p, BUCKET_COUNT, (uint64_t)sc->cum[i]);
		p = put_dbl(p, BUCKET_LE, v->le[i]);
		p = put_msg(p, SAMPLE_BUCKETS, end);
	}
	return p;
}

/* Sample S's fields */
static size_t sample_size(struct scratch *sc, const struct snapshot *snap,
			  const struct sample *s)
{
	const char *label = sample_label(snap, s);
	const struct smetric *m = sample_metric(snap, s);
	size_t len = u64_size(m->id) + (label ? str_size(label) : 0) +
		     dbl_size(s->value);
	const struct hist *hi;
	struct hview v;

	if (m->type != MT_HISTOGRAM)
		return len;
	hi = sample_hist(snap, s);
	hist_view(sc, snap, s, &v);
	return len + buckets_size(&v) + dbl_size(hi->sum) +
	       u64_size(hi->has_sum);
}

/* Sample S as field FIELD */
static uint8_t *put_sample(uint8_t *p, struct scratch *sc,
			   const struct snapshot *snap, const struct sample *s,
			   unsigned field)
{
	const struct smetric *m = sample_metric(snap, s);
	const char *label = sample_label(snap, s);
	uint8_t *end = p;

	if (m->type == MT_HISTOGRAM) {
		const struct hist *hi = sample_hist(snap, s);
		struct hview v;

		p = put_u64(p, SAMPLE_HAS_SUM, hi->has_sum);
		p = put_dbl(p, SAMPLE_SUM, hi->sum);
		hist_view(sc, snap, s, &v);
		p = put_buckets(p, sc, &v);
	}
	p = put_dbl(p, SAMPLE_VALUE, s->value);
	if (label)
		p = put_str(p, SAMPLE_LABEL, label);
	p = put_u64(p, SAMPLE_METRIC, m->id);
	return put_msg(p, field, end);
}

/* The N samples from FIRST on that have a metric, as fields */
static size_t samples_size(struct scratch *sc, const struct snapshot *snap,
			   uint32_t first, uint32_t n)
{
	size_t len = 0;

	for (uint32_t i = first; i < first + n; i++)
		if (snap->samples[i].metric)
			len += len_size(
				sample_size(sc, snap, &snap->samples[i]));
	return len;
}

/* The same samples as field FIELD */
static uint8_t *put_samples(uint8_t *p, struct scratch *sc, unsigned field,
			    const struct snapshot *snap, uint32_t first,
			    uint32_t n)
{
	for (uint32_t i = first + n; i-- > first;)
		if (snap->samples[i].metric)
			p = put_sample(p, sc, snap, &snap->samples[i], field);
	return p;
}

/* When F's counters began, if not when its cgroup's did (else 0) */
static uint64_t own_start(const struct cgrec *cg, const struct frec *f)
{
	uint64_t start = file_start(cg, f);

	return start != cg->start_ns ? start : 0;
}

/* File F of CG's fields */
static size_t file_size(struct scratch *sc, const struct snapshot *snap,
			const struct cgrec *cg, const struct frec *f)
{
	return strn_size(f->s->filelen) + u64_size(own_start(cg, f)) +
	       samples_size(sc, snap, f->sample, f->nsamples);
}

/* CG's fields */
static size_t cgroup_size(struct scratch *sc, const struct snapshot *snap,
			  const struct cgrec *cg)
{
	size_t len = u64_size(cg->id) + str_size(snap_str(snap, cg->path)) +
		     u64_size(cg->start_ns);

	for (uint32_t i = 0; i < cg->nfiles; i++)
		len += len_size(
			file_size(sc, snap, cg, &snap->files[cg->file + i]));
	if (cg->labels)
		len += labels_size(cg->labels->l, cg->labels->n);
	return len;
}

/* File F of CG */
static uint8_t *put_file(uint8_t *p, struct scratch *sc,
			 const struct snapshot *snap, const struct cgrec *cg,
			 const struct frec *f)
{
	uint8_t *end = p;

	p = put_u64(p, FILE_START, own_start(cg, f));
	p = put_samples(p, sc, FILE_SAMPLES, snap, f->sample, f->nsamples);
	p = put_strn(p, FILE_NAME, f->s->file, f->s->filelen);
	return put_msg(p, CGROUP_FILES, end);
}

/* Cgroup CG, its fields LEN bytes (cgroup_size()), as field 4 of the
 * Snapshot, appended to OUT
 */
static void put_cgroup(struct scratch *sc, const struct snapshot *snap,
		       const struct cgrec *cg, size_t len, struct buf *out)
{
	uint8_t *start = buf_room(out, len_size(len));
	uint8_t *p = start + len_size(len);

	if (cg->labels)
		p = put_labels(p, CGROUP_LABELS, cg->labels->l, cg->labels->n);
	p = put_u64(p, CGROUP_START, cg->start_ns);
	for (uint32_t i = cg->nfiles; i-- > 0;)
		p = put_file(p, sc, snap, cg, &snap->files[cg->file + i]);
	p = put_str(p, CGROUP_PATH, snap_str(snap, cg->path));
	p = put_u64(p, CGROUP_ID, cg->id);
	p = put_head(p, SNAPSHOT_CGROUPS, len);
	check_sized(p, start, snap_str(snap, cg->path));
	buf_wrote(out, len_size(len));
}

/* The description of every metric; a replaced schema's leave a hole */
static void fill_metrics(struct scratch *sc, const struct schemas *ss,
			 Cgview__Snapshot *msg)
{
	sc->n_metrics = sc->n_pmetrics = 0;
	sc->metrics = grow(sc->metrics, &sc->cap_metrics, ss->nids,
			   sizeof(*sc->metrics));
	sc->pmetrics =
		grow(sc->pmetrics, &sc->cap_pmetrics, ss->nids, sizeof(void *));
	msg->metrics = sc->pmetrics;
	msg->n_metrics = ss->nids;
	for (unsigned id = 0; id < ss->nids; id++) {
		const struct smetric *m = ss->byid[id];
		Cgview__Metric *pm = PUSH(sc, metrics);

		*pm = (Cgview__Metric)CGVIEW__METRIC__INIT;
		*PUSH(sc, pmetrics) = pm;
		if (!m)
			continue;
		pm->name = m->name;
		pm->key = m->key_out;
		pm->type = (Cgview__Type)m->type;
		pm->unit = m->unit;
		pm->help = m->help;
		pm->label = m->label ? m->label : "";
		pm->known = m->known;
		pm->file = m->file;
	}
}

/* The Snapshot but its cgroups: time, host, kernel, metrics and host id
 * by protobuf-c, then the exporter's own samples and the labels
 */
static void pack_header(struct scratch *sc, const struct snapshot *snap,
			const struct schemas *ss, struct buf *head)
{
	Cgview__Snapshot msg = CGVIEW__SNAPSHOT__INIT;
	size_t len, self;
	uint8_t *p;

	msg.time_unix_nano = snap->time_ns;
	msg.host = (char *)snap->host;
	msg.kernel = (char *)snap->kernel;
	msg.host_id = (char *)snap->host_id;
	fill_metrics(sc, ss, &msg);
	len = cgview__snapshot__get_packed_size(&msg);
	self = samples_size(sc, snap, snap->self.sample, snap->self.nsamples) +
	       labels_size(snap->labels, snap->nlabels);
	head->p = grow(head->p, &head->cap, head->len + len + self, 1);
	p = (uint8_t *)head->p + head->len;
	cgview__snapshot__pack(&msg, p);
	p += len + self;
	p = put_labels(p, SNAPSHOT_LABELS, snap->labels, snap->nlabels);
	p = put_samples(p, sc, SNAPSHOT_SELF, snap, snap->self.sample,
			snap->self.nsamples);
	check_sized(p, (uint8_t *)head->p + head->len + len, "header");
	head->len += len + self;
}

/* OUT gets the size, the header, then the cgroups one at a time, so that
 * OUT's drain can write the stream as it is made: the cgroups are sized
 * first (to give the size first) and their bytes never held together
 */
void encode_snapshot(const struct snapshot *snap, const struct schemas *ss,
		     struct buf *out)
{
	static struct scratch sc;
	static struct buf hdr;
	size_t body = 0;
	uint8_t size[10], *p;

	sc.cgsize = grow(sc.cgsize, &sc.cap_cgsize, snap->n_cgroups,
			 sizeof(*sc.cgsize));
	for (size_t i = 0; i < snap->n_cgroups; i++) {
		sc.cgsize[i] = cgroup_size(&sc, snap, &snap->cgroups[i]);
		body += len_size(sc.cgsize[i]);
	}
	hdr.len = 0;
	pack_header(&sc, snap, ss, &hdr);
	p = put_varint(size + sizeof(size), hdr.len + body);
	buf_put(out, p, size + sizeof(size) - p);
	buf_put(out, hdr.p, hdr.len);
	for (size_t i = 0; i < snap->n_cgroups; i++)
		put_cgroup(&sc, snap, &snap->cgroups[i], sc.cgsize[i], out);
}
