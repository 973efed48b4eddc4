// SPDX-License-Identifier: GPL-2.0
/* Which format a /metrics client gets, from its Accept header (RFC 9110
 * 12.5.1): the one it gives the highest q, the first listed among equals;
 * the 0.0.4 text when it names none of ours (or sends no Accept).
 *
 *	application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
 *		encoding=delimited		FMT_PROTOBUF
 *	application/openmetrics-text		FMT_OPENMETRICS
 *	text/plain, text/\*, \*\/\*		FMT_TEXT
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exporter.h"

#define PB_TYPE "application/vnd.google.protobuf"
#define PB_PROTO "io.prometheus.client.MetricFamily"

/* S[0..N) without the spaces around it */
static const char *trim(const char *s, size_t *n)
{
	while (*n && (*s == ' ' || *s == '\t'))
		s++, (*n)--;
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

static bool is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && !strncasecmp(s, word, n);
}

/* A q value, 0 to 1 (RFC 9110 12.4.2); what is not one counts as 0 */
static double qvalue(const char *s)
{
	double q = strtod(s, NULL);

	return q >= 0 && q <= 1 ? q : 0;
}

/* One media range E[0..N): its format (-1: none of ours) and its q */
static int media_range(const char *e, size_t n, double *q)
{
	const char *semi = memchr(e, ';', n), *p;
	size_t tn = semi ? (size_t)(semi - e) : n, pn;
	const char *type = trim(e, &tn);
	bool proto = false, delimited = false;

	*q = 1;
	for (p = semi; p && p < e + n; p = semi) {
		semi = memchr(p + 1, ';', e + n - p - 1);
		pn = (semi ? (size_t)(semi - p) : (size_t)(e + n - p)) - 1;
		p = trim(p + 1, &pn);
		if (pn > 2 && !strncasecmp(p, "q=", 2))
			*q = qvalue(p + 2);
		proto |= is(p, pn, "proto=" PB_PROTO);
		delimited |= is(p, pn, "encoding=delimited");
	}
	if (is(type, tn, PB_TYPE))
		return proto && delimited ? FMT_PROTOBUF : -1;
	if (is(type, tn, "application/openmetrics-text"))
		return FMT_OPENMETRICS;
	if (is(type, tn, "text/plain") || is(type, tn, "text/*") ||
	    is(type, tn, "*/*"))
		return FMT_TEXT;
	return -1;
}

enum fmt listen_accept(const char *accept)
{
	enum fmt best = FMT_TEXT;
	double best_q = 0, q;
	const char *p = accept, *comma;
	int f;

	while (p && *p) {
		comma = strchr(p, ',');
		f = media_range(p, comma ? (size_t)(comma - p) : strlen(p), &q);
		if (f >= 0 && q > best_q) {
			best = f;
			best_q = q;
		}
		p = comma ? comma + 1 : NULL;
	}
	return best;
}
