// SPDX-License-Identifier: GPL-2.0
/* The cgroup v2 file formats (Documentation/admin-guide/cgroup-v2.rst,
 * "Conventions"): flat keyed "key value", nested keyed "key sub=value ...",
 * which PSI lines are too ("some avg10=0.00 ... total=0"), and single
 * value files ("262144", or "max"). A malformed line is reported with its
 * number and skipped; the rest of the file is still parsed.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "exporter.h"

struct field {
	const char *p;
	size_t n;
};

/* [-]digits[.digits], or "max" (no limit) */
bool parse_number(const char *s, size_t n, double *v)
{
	double x = 0, scale = 1;
	bool neg = false, dot = false, digits = false, exact = true;
	uint64_t u = 0;

	if (n == 3 && !memcmp(s, "max", 3)) {
		*v = INFINITY;
		return true;
	}
	if (n && *s == '-') {
		neg = true;
		s++, n--;
	}
	for (; n; s++, n--) {
		if (*s == '.' && !dot) {
			dot = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			return false;
		digits = true;
		if (dot)
			scale /= 10;
		x = x * 10 + (*s - '0');
		/* a whole number in 64 bits: converted once, rounded once */
		exact = exact && u <= (UINT64_MAX - (*s - '0')) / 10;
		u = u * 10 + (*s - '0');
	}
	if (!dot && exact)
		x = (double)u;
	*v = (neg ? -x : x) * scale;
	return digits;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Split [p, end) into at most MAX fields; returns the count or -1 */
static int split(const char *p, const char *end, struct field *f, int max)
{
	int n = 0;

	while (p < end) {
		while (p < end && is_space(*p))
			p++;
		if (p == end)
			break;
		if (n == max)
			return -1;
		f[n].p = p;
		while (p < end && !is_space(*p))
			p++;
		f[n].n = p - f[n].p;
		n++;
	}
	return n;
}

#define MAX_FIELDS 64

struct line {
	item_fn item;
	error_fn err;
	void *ctx;
	int no;
};

static void bad(struct line *l, const char *why)
{
	l->err(l->ctx, l->no, why);
}

/* A nested keyed line is taken whole or not at all */
static void nested(struct line *l, struct field *f, int n)
{
	struct item it = { .key = f[0].p, .keylen = f[0].n, .line = l->no };
	double v[MAX_FIELDS];
	const char *eq;

	for (int i = 1; i < n; i++) {
		eq = memchr(f[i].p, '=', f[i].n);
		if (!eq || eq == f[i].p)
			return bad(l, "want 'key sub=value ...'");
		if (!parse_number(eq + 1, f[i].p + f[i].n - eq - 1, &v[i]))
			return bad(l, "a value is not a number");
	}
	for (int i = 1; i < n; i++) {
		it.sub = f[i].p;
		it.sublen = (const char *)memchr(f[i].p, '=', f[i].n) - f[i].p;
		it.value = v[i];
		l->item(l->ctx, &it);
	}
}

static void one_line(struct line *l, const char *p, const char *end,
		     bool single)
{
	struct field f[MAX_FIELDS];
	struct item it = { .line = l->no };
	int n = split(p, end, f, MAX_FIELDS);

	if (n == 0)
		return;
	if (memchr(p, '\0', end - p)) {
		bad(l, "a NUL byte");
	} else if (n < 0) {
		bad(l, "too many fields");
	} else if (n == 1 && single) {
		it.key = ".";
		it.keylen = 1;
		if (parse_number(f[0].p, f[0].n, &it.value))
			l->item(l->ctx, &it);
		else
			bad(l, "the value is not a number");
	} else if (n == 2 && !memchr(f[1].p, '=', f[1].n)) {
		it.key = f[0].p;
		it.keylen = f[0].n;
		if (parse_number(f[1].p, f[1].n, &it.value))
			l->item(l->ctx, &it);
		else
			bad(l, "the value is not a number");
	} else if (n >= 2) {
		nested(l, f, n);
	} else {
		bad(l, "want 'key value' or 'key sub=value ...'");
	}
}

/* Calls ITEM for each value in BUF and ERR for each malformed line. */
int parse_text(const char *buf, size_t len, item_fn item, error_fn err,
	       void *ctx)
{
	struct line l = { item, err, ctx, 0 };
	const char *end = buf + len, *p = buf, *nl;
	bool single;

	/* a single value file is one line with one field */
	nl = memchr(buf, '\n', len);
	single = !nl || nl + 1 == end;
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		l.no++;
		one_line(&l, p, nl, single);
		p = nl + 1;
	}
	return l.no;
}
