// SPDX-License-Identifier: GPL-2.0
/* The parser, the typed model and the name escaping on arbitrary input: a
 * libFuzzer target (make fuzz), or with -DPARSE_MAIN a program that
 * models the files named on its command line and prints the samples (the
 * parser tests run it under ASan+UBSan).
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
/* Valid UTF-8 without NUL, checked code point by code point (not as
 * escape.c does): no overlong forms, surrogates or values above U+10FFFF
 */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t cp;
	size_t len;

	for (size_t i = 0; i < n; i += len) {
		len = s[i] < 0x80 ? 1 :
		      s[i] < 0xc0 ? 0 :
		      s[i] < 0xe0 ? 2 :
		      s[i] < 0xf0 ? 3 :
		      s[i] < 0xf8 ? 4 :
				    0;
		if (!len || i + len > n || !s[i])
			return false;
		cp = len == 1 ? s[i] : s[i] & (0x7f >> len);
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (len > 1 && (cp < min[len] || cp > 0x10ffff ||
				(cp >= 0xd800 && cp <= 0xdfff)))
			return false;
	}
	return true;
}

static int hex(unsigned char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
				      -1;
}

/* The decoding README.md describes: \\ a backslash, \xHH (00, 80..ff)
 * that byte, anything else itself
 */
static size_t unescape(unsigned char *out, const unsigned char *s, size_t n)
{
	size_t o = 0;
	int h;

	for (size_t i = 0; i < n; i++) {
		h = i + 3 < n && s[i + 1] == 'x' && hex(s[i + 2]) >= 0 &&
				    hex(s[i + 3]) >= 0 ?
			    hex(s[i + 2]) << 4 | hex(s[i + 3]) :
			    -1;
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\\') {
			out[o++] = '\\';
			i++;
		} else if (s[i] == '\\' && (h == 0 || h >= 0x80)) {
			out[o++] = h;
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

/* escape.c's output is valid UTF-8 and decodes to the input, by the
 * decoding above and by escape.c's own
 */
static void check_escape(const unsigned char *data, size_t len)
{
	char *esc = malloc(NAME_ESCAPED_MAX(len));
	size_t n = name_escape(esc, (const char *)data, len);
	unsigned char *back = malloc(n + 1);
	char *ours = malloc(n + 1);

	if (!valid_utf8((unsigned char *)esc, n) || strlen(esc) != n ||
	    unescape(back, (unsigned char *)esc, n) != len ||
	    memcmp(back, data, len) || name_unescape(ours, esc, n) != len ||
	    memcmp(ours, data, len) ||
	    name_plain((const char *)data, len) != (n == len))
		abort();
	free(esc);
	free(back);
	free(ours);
}

/* Any text, escaped or not, decodes as the decoding above says */
static void check_unescape(const unsigned char *data, size_t len)
{
	unsigned char *want = malloc(len + 1);
	char *got = malloc(len + 1);
	size_t n = unescape(want, data, len);

	if (name_unescape(got, (const char *)data, len) != n ||
	    memcmp(got, want, n) || got[n])
		abort();
	free(want);
	free(got);
}

/* The shown form's reading back: \xHH (either case) is that byte where
 * the shown form escapes it (outside printable ASCII, space, backslash),
 * anything else itself
 */
static size_t unshow(unsigned char *out, const unsigned char *s, size_t n)
{
	size_t o = 0;
	int h;

	for (size_t i = 0; i < n; i++) {
		h = i + 3 < n && (s[i + 1] | 0x20) == 'x' &&
				    hex(s[i + 2] | 0x20) >= 0 &&
				    hex(s[i + 3] | 0x20) >= 0 ?
			    hex(s[i + 2] | 0x20) << 4 | hex(s[i + 3] | 0x20) :
			    -1;
		if (s[i] == '\\' && h >= 0 &&
		    (h <= ' ' || h >= 0x7f || h == '\\')) {
			out[o++] = h;
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

/* The shown form (cgview top's) gives back any bytes, has no byte
 * outside printable ASCII, and reads the same as the bytes it shows
 * where it has no escape
 */
static void check_show(const unsigned char *data, size_t len)
{
	char *shown = malloc(NAME_SHOWN_MAX(len));
	size_t n = name_show(shown, (const char *)data, len);
	unsigned char *back = malloc(n + 1);

	for (size_t i = 0; i < n; i++)
		if (shown[i] <= ' ' || shown[i] >= 0x7f)
			abort();
	if (strlen(shown) != n ||
	    unshow(back, (unsigned char *)shown, n) != len ||
	    memcmp(back, data, len) ||
	    (!memchr(shown, '\\', n) && (n != len || memcmp(shown, data, n))))
		abort();
	free(shown);
	free(back);
}

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
	check_escape(data, len);
	check_unescape(data, len);
	check_show(data, len);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snapshot_reset(&snap);
		snap.ss = &ss;
		model(files[i], (const char *)data, len, &snap, &st);
	}
	return 0;
}
#else
static void print_hist(const struct snapshot *snap, const struct hist *h)
{
	for (uint32_t b = 0; b < h->nbuckets; b++)
		printf(" %.17g:%.17g", snap->bounds[h->bound + b],
		       b < h->ncounts ? snap->counts[h->count + b] : 0.0);
	if (h->has_sum)
		printf(" sum=%.17g", h->sum);
}

static void print(const struct snapshot *snap)
{
	for (size_t i = 0; i < snap->n_samples; i++) {
		const struct sample *s = &snap->samples[i];
		const struct smetric *m = sample_metric(snap, s);

		if (!m)
			continue;
		printf("%s", m->name);
		if (sample_label(snap, s))
			printf("{%s=\"%s\"}", m->label, sample_label(snap, s));
		printf(" %.17g", s->value);
		if (m->type == MT_HISTOGRAM)
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
		snap.ss = &ss;
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
