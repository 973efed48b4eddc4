// SPDX-License-Identifier: GPL-2.0
/* The one JSON writer of the read commands (-j): objects and arrays on one
 * line, separators and nesting kept here, strings escaped, numbers from a
 * view's text checked against JSON's grammar (what is not one, such as 007
 * or 0x10, is written as a string).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cgview.h"

/* Before a value or a key: the comma, unless first in its container or
 * the value of the key just written
 */
static void sep(struct jw *w)
{
	if (w->after_key)
		w->after_key = false;
	else if (w->depth && w->depth <= JW_DEPTH && w->count[w->depth - 1]++)
		fputs(", ", w->f);
}

void jw_open(struct jw *w, char c)
{
	sep(w);
	fputc(c, w->f);
	if (w->depth < JW_DEPTH)
		w->count[w->depth] = 0;
	w->depth++;
}

void jw_close(struct jw *w, char c)
{
	w->depth--;
	fputc(c, w->f);
	if (!w->depth)
		fputc('\n', w->f);
}

void jw_str(struct jw *w, const char *s)
{
	sep(w);
	fputc('"', w->f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(w->f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(w->f, "\\u%04x", *s);
		else
			fputc(*s, w->f);
	}
	fputc('"', w->f);
}

void jw_key(struct jw *w, const char *k)
{
	jw_str(w, k);
	fputs(": ", w->f);
	w->after_key = true;
}

void jw_int(struct jw *w, long long v)
{
	sep(w);
	fprintf(w->f, "%lld", v);
}

void jw_bool(struct jw *w, bool b)
{
	sep(w);
	fputs(b ? "true" : "false", w->f);
}

void jw_null(struct jw *w)
{
	sep(w);
	fputs("null", w->f);
}

/* JSON's integer grammar: -?(0|[1-9][0-9]*) */
static bool json_integer(const char *s)
{
	if (*s == '-')
		s++;
	if (!isdigit((unsigned char)*s) || (*s == '0' && s[1]))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	return !*s;
}

void jw_value(struct jw *w, const char *s)
{
	if (!json_integer(s)) {
		jw_str(w, s);
		return;
	}
	sep(w);
	fputs(s, w->f);
}
