// SPDX-License-Identifier: GPL-2.0
/* proto/cgview.proto: a snapshot as one length-delimited Snapshot message
 * (varint size, then the message, as protobuf's writeDelimitedTo).
 *
 * protobuf-c packs the header's fields and the metrics' descriptions. The
 * part that grows with the tree (cgroups, their files, samples and
 * labels, histograms' buckets) is written here from the model, as
 * protobuf-c writes it: fields in the order of their numbers, proto3's
 * zero values left out. A cgroup's messages are sized first, bottom-up,
 * the sizes kept in the order they are written, then written once.
 * Through protobuf-c's structs that part cost a third of a bulk scrape's
 * CPU at 10,000 cgroups with seven views: protobuf-c sizes a message
 * again for each message it is nested in (a bucket four times) and walks
 * every field's descriptor each time. Protobuf allows a message's fields
 * in any order and a repeated field's elements apart, so the cgroups
 * (field 4), the exporter's own samples (5) and the labels (7) follow the
 * header's other fields.
 */
#include <math.h>
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

/* Where the writing of the sized messages is: the next size, the next
 * histogram's first bucket
 */
struct cursor {
	const size_t *size;
	const struct hbucket *b;
};

/* Reused between snapshots */
struct scratch {
	/* the sizes of one cgroup's messages (or the header's), in the
	 * order they are written
	 */
	ARRAY(size_t, sizes);
	ARRAY(struct hbucket, hb); /* its histograms' buckets, in order */
	struct hseries h; /* hist_series()' */
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

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	do {
		*p = v & 0x7f;
		v >>= 7;
		if (v)
			*p |= 0x80;
		p++;
	} while (v);
	return p;
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

static uint8_t *put_head(uint8_t *p, unsigned field, size_t len)
{
	*p++ = field << 3 | WIRE_LEN;
	return put_varint(p, len);
}

static uint8_t *put_u64(uint8_t *p, unsigned field, uint64_t v)
{
	if (!v)
		return p;
	*p++ = field << 3 | WIRE_VARINT;
	return put_varint(p, v);
}

static uint8_t *put_strn(uint8_t *p, unsigned field, const char *s, size_t n)
{
	if (!n)
		return p;
	p = put_head(p, field, n);
	memcpy(p, s, n);
	return p + n;
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
	*p++ = field << 3 | WIRE_I64;
	for (size_t i = 0; i < sizeof(u); i++)
		*p++ = u >> (8 * i);
	return p;
}

/* Room for N more sizes; the index of the first */
static size_t take_sizes(struct scratch *sc, size_t n)
{
	sc->sizes = grow(sc->sizes, &sc->cap_sizes, sc->n_sizes + n,
			 sizeof(*sc->sizes));
	sc->n_sizes += n;
	return sc->n_sizes - n;
}

/* Labels L[N]: their sizes pushed; the size of them all as fields */
static size_t labels_size(struct scratch *sc, const struct label *l, size_t n)
{
	size_t len = 0, at = take_sizes(sc, n);

	for (size_t i = 0; i < n; i++) {
		sc->sizes[at + i] = str_size(l[i].name) + str_size(l[i].value);
		len += len_size(sc->sizes[at + i]);
	}
	return len;
}

/* The same labels as field FIELD */
static uint8_t *put_labels(uint8_t *p, unsigned field, const struct label *l,
			   size_t n, struct cursor *c)
{
	for (size_t i = 0; i < n; i++) {
		p = put_head(p, field, *c->size++);
		p = put_str(p, LABEL_NAME, l[i].name);
		p = put_str(p, LABEL_VALUE, l[i].value);
	}
	return p;
}

static size_t bucket_size(const struct hbucket *b)
{
	return dbl_size(b->le) + u64_size((uint64_t)b->cum);
}

/* Sample S: the buckets of a histogram as hist_series() makes them (the
 * bounds of log2 ones exact powers of two) pushed to sc->hb
 */
static size_t sample_size(struct scratch *sc, const struct snapshot *snap,
			  const struct sample *s)
{
	const char *label = sample_label(snap, s);
	const struct smetric *m = sample_metric(snap, s);
	size_t len = u64_size(m->id) + (label ? str_size(label) : 0) +
		     dbl_size(s->value);

	if (m->type != MT_HISTOGRAM)
		return len;
	hist_series(snap, s, &sc->h);
	sc->hb = grow(sc->hb, &sc->cap_hb, sc->n_hb + sc->h.n, sizeof(*sc->hb));
	for (size_t i = 0; i < sc->h.n; i++) {
		sc->hb[sc->n_hb++] = sc->h.b[i];
		len += len_size(bucket_size(&sc->h.b[i]));
	}
	return len + dbl_size(sc->h.sum) + u64_size(sc->h.has_sum);
}

/* Sample S; a histogram's buckets up to the +Inf one, which
 * hist_series() makes last
 */
static uint8_t *put_sample(uint8_t *p, const struct snapshot *snap,
			   const struct sample *s, struct cursor *c)
{
	const struct smetric *m = sample_metric(snap, s);
	const char *label = sample_label(snap, s);
	const struct hist *hi;

	p = put_u64(p, SAMPLE_METRIC, m->id);
	if (label)
		p = put_str(p, SAMPLE_LABEL, label);
	p = put_dbl(p, SAMPLE_VALUE, s->value);
	if (m->type != MT_HISTOGRAM)
		return p;
	hi = sample_hist(snap, s);
	do {
		p = put_head(p, SAMPLE_BUCKETS, bucket_size(c->b));
		p = put_dbl(p, BUCKET_LE, c->b->le);
		p = put_u64(p, BUCKET_COUNT, (uint64_t)c->b->cum);
	} while (!isinf(c->b++->le));
	p = put_dbl(p, SAMPLE_SUM, hi->sum);
	return put_u64(p, SAMPLE_HAS_SUM, hi->has_sum);
}

/* The N samples from FIRST on that have a metric: their sizes pushed;
 * the size of them all as fields
 */
static size_t samples_size(struct scratch *sc, const struct snapshot *snap,
			   uint32_t first, uint32_t n)
{
	size_t len = 0;

	for (uint32_t i = first; i < first + n; i++) {
		size_t at;

		if (!snap->samples[i].metric)
			continue;
		at = take_sizes(sc, 1);
		sc->sizes[at] = sample_size(sc, snap, &snap->samples[i]);
		len += len_size(sc->sizes[at]);
	}
	return len;
}

/* The same samples as field FIELD */
static uint8_t *put_samples(uint8_t *p, unsigned field,
			    const struct snapshot *snap, uint32_t first,
			    uint32_t n, struct cursor *c)
{
	for (uint32_t i = first; i < first + n; i++) {
		if (!snap->samples[i].metric)
			continue;
		p = put_head(p, field, *c->size++);
		p = put_sample(p, snap, &snap->samples[i], c);
	}
	return p;
}

/* When F's counters began, if not when its cgroup's did (else 0) */
static uint64_t own_start(const struct cgrec *cg, const struct frec *f)
{
	uint64_t start = file_start(cg, f);

	return start != cg->start_ns ? start : 0;
}

/* The sizes of CG's messages, in the order they are written (a file's
 * before its samples'); CG's size
 */
static size_t cgroup_size(struct scratch *sc, const struct snapshot *snap,
			  const struct cgrec *cg)
{
	size_t len = u64_size(cg->id) + str_size(snap_str(snap, cg->path)) +
		     u64_size(cg->start_ns);

	sc->n_sizes = sc->n_hb = 0;
	for (uint32_t i = 0; i < cg->nfiles; i++) {
		const struct frec *f = &snap->files[cg->file + i];
		size_t at = take_sizes(sc, 1);
		size_t flen =
			strn_size(f->s->filelen) + u64_size(own_start(cg, f));

		flen += samples_size(sc, snap, f->sample, f->nsamples);
		sc->sizes[at] = flen;
		len += len_size(flen);
	}
	if (cg->labels)
		len += labels_size(sc, cg->labels->l, cg->labels->n);
	return len;
}

/* File F of CG */
static uint8_t *put_file(uint8_t *p, const struct snapshot *snap,
			 const struct cgrec *cg, const struct frec *f,
			 struct cursor *c)
{
	p = put_head(p, CGROUP_FILES, *c->size++);
	p = put_strn(p, FILE_NAME, f->s->file, f->s->filelen);
	p = put_samples(p, FILE_SAMPLES, snap, f->sample, f->nsamples, c);
	return put_u64(p, FILE_START, own_start(cg, f));
}

/* Cgroup CG as field 4 of the Snapshot, appended to OUT */
static void put_cgroup(struct scratch *sc, const struct snapshot *snap,
		       const struct cgrec *cg, struct buf *out)
{
	size_t len = cgroup_size(sc, snap, cg);
	struct cursor c = { sc->sizes, sc->hb };
	uint8_t *p = buf_room(out, len_size(len));

	p = put_head(p, SNAPSHOT_CGROUPS, len);
	p = put_u64(p, CGROUP_ID, cg->id);
	p = put_str(p, CGROUP_PATH, snap_str(snap, cg->path));
	for (uint32_t i = 0; i < cg->nfiles; i++)
		p = put_file(p, snap, cg, &snap->files[cg->file + i], &c);
	p = put_u64(p, CGROUP_START, cg->start_ns);
	if (cg->labels)
		p = put_labels(p, CGROUP_LABELS, cg->labels->l, cg->labels->n,
			       &c);
	buf_wrote(out, (char *)p - (out->p + out->len));
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
	struct cursor c;
	uint8_t *p;

	msg.time_unix_nano = snap->time_ns;
	msg.host = (char *)snap->host;
	msg.kernel = (char *)snap->kernel;
	msg.host_id = (char *)snap->host_id;
	fill_metrics(sc, ss, &msg);
	len = cgview__snapshot__get_packed_size(&msg);
	sc->n_sizes = sc->n_hb = 0;
	self = samples_size(sc, snap, snap->self.sample, snap->self.nsamples);
	self += labels_size(sc, snap->labels, snap->nlabels);
	head->p = grow(head->p, &head->cap, head->len + len + self, 1);
	p = (uint8_t *)head->p + head->len;
	p += cgview__snapshot__pack(&msg, p);
	c = (struct cursor){ sc->sizes, sc->hb };
	p = put_samples(p, SNAPSHOT_SELF, snap, snap->self.sample,
			snap->self.nsamples, &c);
	p = put_labels(p, SNAPSHOT_LABELS, snap->labels, snap->nlabels, &c);
	head->len = (char *)p - head->p;
}

/* OUT gets the size, the header, then the cgroups one at a time, so that
 * OUT's drain can write the stream as it is made: the cgroups are sized
 * twice (to give the size first) and their bytes never held together
 */
void encode_snapshot(const struct snapshot *snap, const struct schemas *ss,
		     struct buf *out)
{
	static struct scratch sc;
	static struct buf hdr;
	size_t body = 0;
	uint8_t size[10];

	for (size_t i = 0; i < snap->n_cgroups; i++)
		body += len_size(cgroup_size(&sc, snap, &snap->cgroups[i]));
	hdr.len = 0;
	pack_header(&sc, snap, ss, &hdr);
	buf_put(out, size, put_varint(size, hdr.len + body) - size);
	buf_put(out, hdr.p, hdr.len);
	for (size_t i = 0; i < snap->n_cgroups; i++)
		put_cgroup(&sc, snap, &snap->cgroups[i], out);
}
