// SPDX-License-Identifier: GPL-2.0
/* The parser and the typed model on arbitrary input: a libFuzzer target
 * (make fuzz), or with -DPARSE_MAIN a program that models the files named
 * on its command line and prints the samples (the parser tests run it
 * under ASan+UBSan).
 *
 *   parse-asan [--schema FILE] FILE...    prints "NAME{LABEL} VALUE" lines
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

static struct schemas ss;

static void model(const char *path, const char *buf, size_t len,
		  struct snapshot *snap, struct stats *st)
{
	const char *name = strrchr(path, '/');
	struct schema *s = schema_for_unknown_file(&ss, name ? name + 1 : path);

	model_file(snap, &ss, s, buf, len, NULL, path, st);
}

#ifndef PARSE_MAIN
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	static const char *const files[] = { "memory.stat", "io.stat",
					     "cpu.pressure", "memory.current",
					     "bpf.fuzz" };
	static struct snapshot snap;
	struct stats st = { 0 };

	if (!ss.n) {
		schemas_builtin(&ss);
		schemas_parse(&ss,
			      "file bpf.fuzz\nlabel cpu\n"
			      "h histogram ns Hist\nh_sum counter ns Sum\n"
			      "*.x gauge bytes X\n",
			      "fuzz");
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snapshot_reset(&snap);
		model(files[i], (const char *)data, len, &snap, &st);
	}
	return 0;
}
#else
static void print_hist(const struct snapshot *snap, const struct hist *h)
{
	for (uint32_t b = 0; b < h->nbuckets; b++)
		printf(" %.17g:%.17g", snap->buckets[h->bucket + b].le,
		       snap->buckets[h->bucket + b].count);
	if (h->has_sum)
		printf(" sum=%.17g", h->sum);
}

static void print(const struct snapshot *snap)
{
	for (size_t i = 0; i < snap->n_samples; i++) {
		const struct sample *s = &snap->samples[i];

		if (!s->m)
			continue;
		printf("%s", s->m->name);
		if (sample_label(snap, s))
			printf("{%s=\"%s\"}", s->m->label,
			       sample_label(snap, s));
		printf(" %.17g", s->value);
		if (s->m->type == MT_HISTOGRAM)
			print_hist(snap, sample_hist(snap, s));
		printf("\n");
	}
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		perror(path);
		exit(1);
	}
	n = getdelim(&buf, &cap, '\0', f);
	*len = n < 0 ? 0 : n;
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	static struct snapshot snap;
	struct stats st = { 0 };
	size_t len;
	char *buf;
	int i = 1, ret;

	if (schemas_builtin(&ss))
		return 1;
	if (argc > 2 && !strcmp(argv[1], "--schema")) {
		buf = slurp(argv[2], &len);
		ret = schemas_parse(&ss, buf ? buf : "", argv[2]);
		free(buf);
		if (ret)
			return 1;
		i = 3;
	}
	for (; i < argc; i++) {
		buf = slurp(argv[i], &len);
		snapshot_reset(&snap);
		model(argv[i], buf ? buf : "", len, &snap, &st);
		print(&snap);
		free(buf);
	}
	printf("parse_errors %llu unknown_keys %llu histograms_dropped %llu\n",
	       (unsigned long long)st.parse_errors,
	       (unsigned long long)st.unknown_keys,
	       (unsigned long long)st.hists_dropped);
	snapshot_free(&snap);
	return 0;
}
#endif
