// SPDX-License-Identifier: GPL-2.0
/* The cgroup v2 file formats as numbers, on the library's split into
 * lines and fields (lib/keyed.c): flat keyed "key value", nested keyed
 * "key sub=value ...", which PSI lines are too ("some avg10=0.00 ...
 * total=0"), and single value files ("262144", or "max"). A malformed
 * line is reported with its number and skipped; the rest of the file is
 * still parsed.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cgroup.h"
#include "exporter.h"

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

struct line {
	item_fn item;
	error_fn err;
	void *ctx;
	bool single; /* the file is one line */
};

static void bad(struct line *l, const struct keyed_line *kl, const char *why)
{
	l->err(l->ctx, kl->no, why);
}

/* A nested keyed line is taken whole or not at all */
static void nested(struct line *l, const struct keyed_line *kl)
{
	const struct keyed_field *f = kl->f;
	struct item it = { .key = f[0].p, .keylen = f[0].n, .line = kl->no };
	double v[KEYED_MAX_FIELDS];
	const char *eq;

	for (int i = 1; i < kl->n; i++) {
		eq = memchr(f[i].p, '=', f[i].n);
		if (!eq || eq == f[i].p)
			return bad(l, kl, "want 'key sub=value ...'");
		if (!parse_number(eq + 1, f[i].p + f[i].n - eq - 1, &v[i]))
			return bad(l, kl, "a value is not a number");
	}
	for (int i = 1; i < kl->n; i++) {
		it.sub = f[i].p;
		it.sublen = (const char *)memchr(f[i].p, '=', f[i].n) - f[i].p;
		it.value = v[i];
		l->item(l->ctx, &it);
	}
}

/* keyed_parse(): one line with fields */
static void one_line(void *ctx, const struct keyed_line *kl)
{
	const struct keyed_field *f = kl->f;
	struct item it = { .line = kl->no };
	struct line *l = ctx;

	if (memchr(kl->p, '\0', kl->end - kl->p)) {
		bad(l, kl, "a NUL byte");
	} else if (kl->n < 0) {
		bad(l, kl, "too many fields");
	} else if (kl->n == 1 && l->single) {
		it.key = ".";
		it.keylen = 1;
		if (parse_number(f[0].p, f[0].n, &it.value))
			l->item(l->ctx, &it);
		else
			bad(l, kl, "the value is not a number");
	} else if (kl->n == 2 && !memchr(f[1].p, '=', f[1].n)) {
		it.key = f[0].p;
		it.keylen = f[0].n;
		if (parse_number(f[1].p, f[1].n, &it.value))
			l->item(l->ctx, &it);
		else
			bad(l, kl, "the value is not a number");
	} else if (kl->n >= 2) {
		nested(l, kl);
	} else {
		bad(l, kl, "want 'key value' or 'key sub=value ...'");
	}
}

/* Calls ITEM for each value in BUF and ERR for each malformed line. */
void parse_text(const char *buf, size_t len, item_fn item, error_fn err,
		void *ctx)
{
	/* a single value file is one line with one field */
	const char *nl = memchr(buf, '\n', len);
	struct line l = { item, err, ctx, !nl || nl + 1 == buf + len };

	keyed_parse(buf, len, one_line, &l);
}
