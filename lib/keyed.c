// SPDX-License-Identifier: GPL-2.0
/* The cgroup v2 file conventions (Documentation/admin-guide/cgroup-v2.rst,
 * "Conventions"): a file is lines, a line fields parted by blanks. What
 * the fields mean (flat keyed "key value", nested keyed "key sub=value
 * ...", a single value) is the caller's to read.
 */
#include <stdbool.h>
#include <string.h>

#include "cgroup.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Split [p, end) into at most MAX fields; returns the count or -1 */
static int split(const char *p, const char *end, struct keyed_field *f, int max)
{
	int n = 0;

	while (p < end) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			break;
		if (n == max)
			return -1;
		f[n].p = p;
		while (p < end && !is_blank(*p))
			p++;
		f[n].n = p - f[n].p;
		n++;
	}
	return n;
}

void keyed_parse(const char *buf, size_t len, keyed_fn fn, void *ctx)
{
	const char *end = buf + len, *p = buf, *nl;
	struct keyed_line l;

	l.no = 0;
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		l.no++;
		l.p = p;
		l.end = nl;
		l.n = split(p, nl, l.f, KEYED_MAX_FIELDS);
		if (l.n)
			fn(ctx, &l);
		p = nl < end ? nl + 1 : end;
	}
}
