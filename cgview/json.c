// SPDX-License-Identifier: GPL-2.0
/* A view's text as JSON (cat -j). The text follows the cgroup v2
 * conventions, flat keyed ("key value") or nested keyed ("key a=1 b=2"),
 * and becomes {"key": value, "key": {"a": 1, "b": 2}}: a value that is a
 * JSON integer as a number, anything else as a string.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgview.h"

/* "a=1 b=2" as {"a": 1, "b": 2} */
static void nested(struct jw *w, char *fields)
{
	char *save, *f, *eq;

	jw_open(w, '{');
	for (f = strtok_r(fields, " \t", &save); f;
	     f = strtok_r(NULL, " \t", &save)) {
		eq = strchr(f, '=');
		if (!eq)
			continue;
		*eq = '\0';
		jw_key(w, f);
		jw_value(w, eq + 1);
	}
	jw_close(w, '}');
}

static void line(struct jw *w, char *key)
{
	char *rest = key + strcspn(key, " \t");

	if (!*key)
		return;
	if (*rest)
		*rest++ = '\0';
	rest += strspn(rest, " \t");
	jw_key(w, key);
	if (strchr(rest, '='))
		nested(w, rest);
	else
		jw_value(w, rest);
}

int cat_json(const char *text, size_t len)
{
	char *copy = strndup(text, len), *save, *l;
	struct jw w = { .f = stdout };

	if (!copy)
		return -ENOMEM;
	jw_open(&w, '{');
	for (l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		line(&w, l);
	jw_close(&w, '}');
	free(copy);
	return 0;
}
