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
	ARRAY(Cgview__Metric, metrics);
	ARRAY(Cgview__Metric *, pmetrics);
	ARRAY(Cgview__Label, labels);
	ARRAY(Cgview__Label *, plabels);
	ARRAY(Cgview__Bucket, buckets);
	ARRAY(Cgview__Bucket *, pbuckets);
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
			 const struct sample *s, Cgview__Metric *m)
{
	double cum = 0;

	m->buckets = sc->pbuckets + sc->n_pbuckets;
	m->n_buckets = s->nbuckets;
	for (uint32_t i = 0; i < s->nbuckets; i++) {
		const struct bucket *b = &snap->buckets[s->bucket + i];
		Cgview__Bucket *pb = PUSH(sc, buckets);

		cum += b->count;
		*pb = (Cgview__Bucket)CGVIEW__BUCKET__INIT;
		pb->le = b->le;
		pb->count = cum;
		*PUSH(sc, pbuckets) = pb;
	}
}

static Cgview__Metric *fill_metric(struct scratch *sc,
				   const struct snapshot *snap,
				   const struct sample *s)
{
	Cgview__Metric *m = PUSH(sc, metrics);
	Cgview__Label *l;

	*m = (Cgview__Metric)CGVIEW__METRIC__INIT;
	m->name = s->m->name;
	m->key = s->m->key;
	m->type = (Cgview__Type)s->m->type;
	m->unit = s->m->unit;
	m->value = s->value;
	m->known = s->m->known;
	m->sum = s->sum;
	m->has_sum = s->has_sum;
	if (s->label) {
		l = PUSH(sc, labels);
		*l = (Cgview__Label)CGVIEW__LABEL__INIT;
		l->name = s->m->label;
		l->value = (char *)snap_str(snap, s->label);
		m->labels = sc->plabels + sc->n_plabels;
		m->n_labels = 1;
		*PUSH(sc, plabels) = l;
	}
	if (s->m->type == MT_HISTOGRAM)
		fill_buckets(sc, snap, s, m);
	return m;
}

/* Pointers into the arrays are taken only once they stop growing */
static void reserve(struct scratch *sc, const struct snapshot *snap,
		    size_t nfiles, size_t nsamples)
{
	size_t nb = snap->n_buckets;

	sc->files = grow(sc->files, &sc->cap_files, nfiles, sizeof(*sc->files));
	sc->pfiles = grow(sc->pfiles, &sc->cap_pfiles, nfiles, sizeof(void *));
	sc->metrics = grow(sc->metrics, &sc->cap_metrics, nsamples,
			   sizeof(*sc->metrics));
	sc->pmetrics =
		grow(sc->pmetrics, &sc->cap_pmetrics, nsamples, sizeof(void *));
	sc->labels = grow(sc->labels, &sc->cap_labels, nsamples,
			  sizeof(*sc->labels));
	sc->plabels =
		grow(sc->plabels, &sc->cap_plabels, nsamples, sizeof(void *));
	sc->buckets =
		grow(sc->buckets, &sc->cap_buckets, nb, sizeof(*sc->buckets));
	sc->pbuckets =
		grow(sc->pbuckets, &sc->cap_pbuckets, nb, sizeof(void *));
	sc->n_files = sc->n_pfiles = sc->n_metrics = sc->n_pmetrics = 0;
	sc->n_labels = sc->n_plabels = sc->n_buckets = sc->n_pbuckets = 0;
}

static void fill_file(struct scratch *sc, const struct snapshot *snap,
		      const struct frec *f, Cgview__File *pf)
{
	*pf = (Cgview__File)CGVIEW__FILE__INIT;
	pf->name = f->s->file;
	pf->metrics = sc->pmetrics + sc->n_pmetrics;
	for (uint32_t i = f->sample; i < f->sample + f->nsamples; i++) {
		if (!snap->samples[i].m)
			continue;
		*PUSH(sc, pmetrics) = fill_metric(sc, snap, &snap->samples[i]);
		pf->n_metrics++;
	}
}

static void pack_cgroup(struct scratch *sc, const struct snapshot *snap,
			const struct cgrec *cg, struct buf *body)
{
	Cgview__Cgroup msg = CGVIEW__CGROUP__INIT;
	const struct frec *f = &snap->files[cg->file];
	size_t nsamples = 0, len;

	for (uint32_t i = 0; i < cg->nfiles; i++)
		nsamples += f[i].nsamples;
	reserve(sc, snap, cg->nfiles, nsamples);
	msg.id = cg->id;
	msg.path = (char *)snap_str(snap, cg->path);
	msg.files = sc->pfiles;
	msg.n_files = cg->nfiles;
	for (uint32_t i = 0; i < cg->nfiles; i++) {
		fill_file(sc, snap, &f[i], PUSH(sc, files));
		sc->pfiles[i] = &sc->files[i];
	}
	len = cgview__cgroup__get_packed_size(&msg);
	varint(body, SNAPSHOT_CGROUPS_FIELD << 3 | WIRE_LEN);
	varint(body, len);
	body->p = grow(body->p, &body->cap, body->len + len, 1);
	body->len += cgview__cgroup__pack(&msg, (uint8_t *)body->p + body->len);
}

/* Snapshot without its cgroups: time, host, kernel, self metrics */
static void pack_header(struct scratch *sc, const struct snapshot *snap,
			struct buf *head)
{
	Cgview__Snapshot msg = CGVIEW__SNAPSHOT__INIT;
	size_t len;

	msg.time_unix_nano = snap->time_ns;
	msg.host = (char *)snap->host;
	msg.kernel = (char *)snap->kernel;
	reserve(sc, snap, 0, snap->self.nsamples);
	msg.self = sc->pmetrics;
	for (uint32_t i = 0; i < snap->self.nsamples; i++)
		*PUSH(sc, pmetrics) = fill_metric(
			sc, snap, &snap->samples[snap->self.sample + i]);
	msg.n_self = snap->self.nsamples;
	len = cgview__snapshot__get_packed_size(&msg);
	head->p = grow(head->p, &head->cap, len, 1);
	head->len = cgview__snapshot__pack(&msg, (uint8_t *)head->p);
}

void encode_snapshot(const struct snapshot *snap, struct buf *out)
{
	static struct scratch sc;
	static struct buf head, body;

	body.len = 0;
	for (size_t i = 0; i < snap->n_cgroups; i++)
		pack_cgroup(&sc, snap, &snap->cgroups[i], &body);
	pack_header(&sc, snap, &head);
	varint(out, head.len + body.len);
	buf_put(out, head.p, head.len);
	buf_put(out, body.p, body.len);
}
