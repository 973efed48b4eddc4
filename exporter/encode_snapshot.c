// SPDX-License-Identifier: GPL-2.0
/* proto/cgview.proto: a snapshot as one length-delimited Snapshot message
 * (varint size, then the message, as protobuf's writeDelimitedTo). Each
 * cgroup is packed on its own with protobuf-c and appended as field 4, so
 * that only one cgroup's message tree is in memory at a time.
 */
#include <math.h>
#include <stdlib.h>

#include "exporter.h"
#include "cgview.pb-c.h"

#define SNAPSHOT_CGROUPS_FIELD 4 /* Snapshot.cgroups in proto/cgview.proto */
#define WIRE_LEN 2

/* Reused between cgroups: the message trees of one cgroup */
struct scratch {
	ARRAY(Cgview__File, files);
	ARRAY(Cgview__File *, pfiles);
	ARRAY(Cgview__Sample, samples);
	ARRAY(Cgview__Sample *, psamples);
	ARRAY(Cgview__Bucket, buckets);
	ARRAY(Cgview__Bucket *, pbuckets);
	ARRAY(Cgview__Metric, metrics);
	ARRAY(Cgview__Metric *, pmetrics);
	ARRAY(Cgview__Label, labels);
	ARRAY(Cgview__Label *, plabels);
	struct hseries h; /* fill_buckets()'s */
};

static void varint(struct buf *out, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;

	do {
		b[n] = v & 0x7f;
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	buf_put(out, b, n);
}

static void fill_buckets(struct scratch *sc, const struct snapshot *snap,
			 const struct sample *s, Cgview__Sample *m)
{
	hist_series(snap, s, &sc->h);
	m->buckets = sc->pbuckets + sc->n_pbuckets;
	m->n_buckets = sc->h.n;
	m->sum = sc->h.sum;
	m->has_sum = sc->h.has_sum;
	for (size_t i = 0; i < sc->h.n; i++) {
		Cgview__Bucket *pb = PUSH(sc, buckets);

		*pb = (Cgview__Bucket)CGVIEW__BUCKET__INIT;
		pb->le = sc->h.b[i].le;
		pb->count = sc->h.b[i].cum;
		*PUSH(sc, pbuckets) = pb;
	}
}

static Cgview__Sample *fill_sample(struct scratch *sc,
				   const struct snapshot *snap,
				   const struct sample *s)
{
	Cgview__Sample *m = PUSH(sc, samples);
	const char *label = sample_label(snap, s);

	*m = (Cgview__Sample)CGVIEW__SAMPLE__INIT;
	m->metric = s->m->id;
	m->value = s->value;
	if (label)
		m->label = (char *)label;
	if (s->m->type == MT_HISTOGRAM)
		fill_buckets(sc, snap, s, m);
	return m;
}

/* Pointers into the arrays are taken only once they stop growing */
static void reserve(struct scratch *sc, const struct snapshot *snap,
		    size_t nfiles, size_t nsamples, size_t nmetrics)
{
	size_t nb = snap->n_buckets + snap->n_hists; /* and +Inf buckets */

	sc->files = grow(sc->files, &sc->cap_files, nfiles, sizeof(*sc->files));
	sc->pfiles = grow(sc->pfiles, &sc->cap_pfiles, nfiles, sizeof(void *));
	sc->samples = grow(sc->samples, &sc->cap_samples, nsamples,
			   sizeof(*sc->samples));
	sc->psamples =
		grow(sc->psamples, &sc->cap_psamples, nsamples, sizeof(void *));
	sc->buckets =
		grow(sc->buckets, &sc->cap_buckets, nb, sizeof(*sc->buckets));
	sc->pbuckets =
		grow(sc->pbuckets, &sc->cap_pbuckets, nb, sizeof(void *));
	sc->metrics = grow(sc->metrics, &sc->cap_metrics, nmetrics,
			   sizeof(*sc->metrics));
	sc->pmetrics =
		grow(sc->pmetrics, &sc->cap_pmetrics, nmetrics, sizeof(void *));
	sc->n_files = sc->n_pfiles = sc->n_samples = sc->n_psamples = 0;
	sc->n_buckets = sc->n_pbuckets = sc->n_metrics = sc->n_pmetrics = 0;
}

static void fill_file(struct scratch *sc, const struct snapshot *snap,
		      const struct cgrec *cg, const struct frec *f,
		      Cgview__File *pf)
{
	*pf = (Cgview__File)CGVIEW__FILE__INIT;
	pf->name = f->s->file;
	if (file_start(cg, f) != cg->start_ns)
		pf->start_time_unix_nano = file_start(cg, f);
	pf->samples = sc->psamples + sc->n_psamples;
	for (uint32_t i = f->sample; i < f->sample + f->nsamples; i++) {
		if (!snap->samples[i].m)
			continue;
		*PUSH(sc, psamples) = fill_sample(sc, snap, &snap->samples[i]);
		pf->n_samples++;
	}
}

/* Labels L[N] as messages (valid until the next call) */
static Cgview__Label **fill_labels(struct scratch *sc, const struct label *l,
				   size_t n)
{
	sc->labels = grow(sc->labels, &sc->cap_labels, n, sizeof(*sc->labels));
	sc->plabels = grow(sc->plabels, &sc->cap_plabels, n, sizeof(void *));
	for (size_t i = 0; i < n; i++) {
		sc->labels[i] = (Cgview__Label)CGVIEW__LABEL__INIT;
		sc->labels[i].name = (char *)l[i].name;
		sc->labels[i].value = (char *)l[i].value;
		sc->plabels[i] = &sc->labels[i];
	}
	return sc->plabels;
}

static void pack_cgroup(struct scratch *sc, const struct snapshot *snap,
			const struct cgrec *cg, struct buf *body)
{
	Cgview__Cgroup msg = CGVIEW__CGROUP__INIT;
	const struct frec *f = &snap->files[cg->file];
	size_t nsamples = 0, len;

	for (uint32_t i = 0; i < cg->nfiles; i++)
		nsamples += f[i].nsamples;
	reserve(sc, snap, cg->nfiles, nsamples, 0);
	msg.id = cg->id;
	msg.start_time_unix_nano = cg->start_ns;
	msg.path = (char *)snap_str(snap, cg->path);
	if (cg->labels) {
		msg.labels = fill_labels(sc, cg->labels->l, cg->labels->n);
		msg.n_labels = cg->labels->n;
	}
	msg.files = sc->pfiles;
	msg.n_files = cg->nfiles;
	for (uint32_t i = 0; i < cg->nfiles; i++) {
		fill_file(sc, snap, cg, &f[i], PUSH(sc, files));
		sc->pfiles[i] = &sc->files[i];
	}
	len = cgview__cgroup__get_packed_size(&msg);
	varint(body, SNAPSHOT_CGROUPS_FIELD << 3 | WIRE_LEN);
	varint(body, len);
	body->p = grow(body->p, &body->cap, body->len + len, 1);
	body->len += cgview__cgroup__pack(&msg, (uint8_t *)body->p + body->len);
}

/* The description of every metric; a replaced schema's leave a hole */
static void fill_metrics(struct scratch *sc, const struct schemas *ss,
			 Cgview__Snapshot *msg)
{
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

/* Snapshot without its cgroups: time, host, kernel, labels, self, metrics */
static void pack_header(struct scratch *sc, const struct snapshot *snap,
			const struct schemas *ss, struct buf *head)
{
	Cgview__Snapshot msg = CGVIEW__SNAPSHOT__INIT;
	size_t len;

	msg.time_unix_nano = snap->time_ns;
	msg.host = (char *)snap->host;
	msg.kernel = (char *)snap->kernel;
	msg.host_id = (char *)snap->host_id;
	msg.labels = fill_labels(sc, snap->labels, snap->nlabels);
	msg.n_labels = snap->nlabels;
	reserve(sc, snap, 0, snap->self.nsamples, ss->nids);
	msg.self = sc->psamples;
	for (uint32_t i = 0; i < snap->self.nsamples; i++)
		*PUSH(sc, psamples) = fill_sample(
			sc, snap, &snap->samples[snap->self.sample + i]);
	msg.n_self = snap->self.nsamples;
	fill_metrics(sc, ss, &msg);
	len = cgview__snapshot__get_packed_size(&msg);
	head->p = grow(head->p, &head->cap, head->len + len + 10, 1);
	head->len +=
		cgview__snapshot__pack(&msg, (uint8_t *)head->p + head->len);
}

/* HEAD gets the size and the header, BODY the cgroups: write both */
void encode_snapshot(const struct snapshot *snap, const struct schemas *ss,
		     struct buf *head, struct buf *body)
{
	static struct scratch sc;
	static struct buf hdr;

	body->len = head->len = hdr.len = 0;
	for (size_t i = 0; i < snap->n_cgroups; i++)
		pack_cgroup(&sc, snap, &snap->cgroups[i], body);
	pack_header(&sc, snap, ss, &hdr);
	varint(head, hdr.len + body->len);
	buf_put(head, hdr.p, hdr.len);
}
