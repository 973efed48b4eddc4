// SPDX-License-Identifier: GPL-2.0
/* A view's text as JSON (cat -j). The text follows the cgroup v2
 * conventions, flat keyed ("key value") or nested keyed ("key a=1 b=2"),
 * split into lines and fields by the library (lib/keyed.c), and becomes
 * {"key": value, "key": {"a": 1, "b": 2}}: a value that is a JSON integer
 * as a number, anything else as a string.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cgview.h"

struct json_text {
	struct jw w;
	char *text; /* what keyed_parse() reads: its fields end in place */
};

/* The text at P, a pointer into t->text, ended at P + N */
static char *ended(struct json_text *t, const char *p, size_t n)
{
	char *s = t->text + (p - t->text);

	s[n] = '\0';
	return s;
}

/* "a=1 b=2" as {"a": 1, "b": 2}; a field without '=' is left out */
static void nested(struct json_text *t, const struct keyed_line *l)
{
	char *f, *eq;

	jw_open(&t->w, '{');
	for (int i = 1; i < l->n; i++) {
		f = ended(t, l->f[i].p, l->f[i].n);
		eq = strchr(f, '=');
		if (!eq)
			continue;
		*eq = '\0';
		jw_key(&t->w, f);
		jw_value(&t->w, eq + 1);
	}
	jw_close(&t->w, '}');
}

/* keyed_parse(): the first field is the key; the rest of the line is its
 * value, or nested keyed when a field has '='
 */
static void line(void *ctx, const struct keyed_line *l)
{
	struct json_text *t = ctx;
	const char *rest = l->n > 1 ? l->f[1].p : l->end;
	bool is_nested = memchr(rest, '=', l->end - rest);

	jw_key(&t->w, ended(t, l->f[0].p, l->f[0].n));
	if (is_nested)
		nested(t, l);
	else
		jw_value(&t->w, ended(t, rest, l->end - rest));
}

int cat_json(const char *text, size_t len)
{
	struct json_text t = { .w = { .f = stdout } };

	/* up to the first NUL */
	t.text = strndup(text, len);
	if (!t.text)
		return -ENOMEM;
	jw_open(&t.w, '{');
	keyed_parse(t.text, strlen(t.text), line, &t);
	jw_close(&t.w, '}');
	free(t.text);
	return 0;
}
