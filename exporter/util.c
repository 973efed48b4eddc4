// SPDX-License-Identifier: GPL-2.0
/* Growing arrays, byte buffers, and escaped names of their own. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

void *grow(void *arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return arr;
	*cap = need < 64 ? 64 : 2 * need;
	arr = realloc(arr, *cap * size);
	if (!arr) {
		perror("cgview-exporter");
		exit(EXIT_RUNTIME);
	}
	return arr;
}

/* Zeroed memory for N (at least one) objects of SIZE */
void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		perror("cgview-exporter");
		exit(EXIT_RUNTIME);
	}
	return p;
}

#define DRAIN_AT 65536

void buf_put(struct buf *b, const void *p, size_t len)
{
	memcpy(buf_room(b, len), p, len);
	buf_wrote(b, len);
}

/* Room for N more bytes at the end of B, for buf_wrote() */
void *buf_room(struct buf *b, size_t n)
{
	b->p = grow(b->p, &b->cap, b->len + n + 1, 1);
	return b->p + b->len;
}

/* N bytes were written at the end of B */
void buf_wrote(struct buf *b, size_t n)
{
	b->len += n;
	if (b->drain && b->len >= DRAIN_AT)
		b->drain(b, b->ctx);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	b->p = grow(b->p, &b->cap, b->len + 256, 1);
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if ((size_t)n >= b->cap - b->len) {
		b->p = grow(b->p, &b->cap, b->len + n + 1, 1);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += n;
	if (b->drain && b->len >= DRAIN_AT)
		b->drain(b, b->ctx);
}

/* The shortest of %.15g, %.16g, %.17g that reads back as V: 1.024e-06, not
 * 1.0240000000000001e-06 (Prometheus' le labels are compared as text)
 */
void fmt_double(char *out, size_t n, double v)
{
	if (isinf(v)) {
		snprintf(out, n, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, n, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

char *name_escape_dup(const char *name)
{
	size_t len = strlen(name);
	char *out = malloc(NAME_ESCAPED_MAX(len));

	if (!out)
		exit(EXIT_RUNTIME);
	name_escape(out, name, len);
	return out;
}
