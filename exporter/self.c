// SPDX-License-Identifier: GPL-2.0
/* The exporter's own metrics (schema: exporter/schemas/exporter.schema),
 * and reporting a problem once rather than at every scrape.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "exporter.h"

static void self_sample(struct snapshot *snap, struct schemas *ss,
			struct schema *s, const char *key, double v)
{
	bool added;
	struct smetric *m = schema_lookup(ss, s, key, strlen(key), &added);
	struct sample *smp = PUSH(snap, samples);

	*smp = (struct sample){ .metric = metric_ref(m), .value = v / m->div };
}

void self_model(struct snapshot *snap, struct schemas *ss,
		const struct stats *st)
{
	struct schema *s = schema_for_unknown_file(ss, "exporter");

	snap->self.s = s;
	snap->self.sample = snap->n_samples;
	self_sample(snap, ss, s, "scrape_duration", st->scrape_seconds);
	self_sample(snap, ss, s, "scrapes", st->scrapes);
	self_sample(snap, ss, s, "cgroups_read", st->cgroups);
	self_sample(snap, ss, s, "files_read", st->files);
	self_sample(snap, ss, s, "files_bulk", st->files_bulk);
	self_sample(snap, ss, s, "bulk_lock_duration", st->bulk_lock_seconds);
	self_sample(snap, ss, s, "cgroups_vanished", st->vanished);
	self_sample(snap, ss, s, "read_errors", st->read_errors);
	self_sample(snap, ss, s, "files_skipped", st->files_skipped);
	self_sample(snap, ss, s, "parse_errors", st->parse_errors);
	self_sample(snap, ss, s, "unknown_keys", st->unknown_keys);
	self_sample(snap, ss, s, "histograms_dropped", st->hists_dropped);
	self_sample(snap, ss, s, "renamed_metrics", ss->renamed);
	self_sample(snap, ss, s, "pushes_ok", st->pushes_ok);
	self_sample(snap, ss, s, "pushes_failed", st->pushes_failed);
	self_sample(snap, ss, s, "pushes_retried", st->pushes_retried);
	self_sample(snap, ss, s, "pushes_given_up", st->pushes_given_up);
	self_sample(snap, ss, s, "samples_dropped", st->dropped);
	snap->self.nsamples = snap->n_samples - snap->self.sample;
}

#define SEEN_SLOTS 65536 /* problems remembered; past that, not reported */

static uint64_t seen[SEEN_SLOTS];

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h | 1;
}

/* Print "cgview-exporter: FMT" the first time KEY is seen */
void warn_once(const char *key, const char *fmt, ...)
{
	uint64_t h = fnv1a(key);
	size_t i = h % SEEN_SLOTS, k;
	va_list ap;

	for (k = 0; k < SEEN_SLOTS && seen[i]; k++, i = (i + 1) % SEEN_SLOTS)
		if (seen[i] == h)
			return;
	if (k == SEEN_SLOTS)
		return;
	seen[i] = h;
	va_start(ap, fmt);
	fputs("cgview-exporter: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
