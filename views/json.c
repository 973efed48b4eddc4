// SPDX-License-Identifier: GPL-2.0
/* JSON output for the read commands (-j), the way bpftool prints it: one
 * object per command on one line. A view's text follows the cgroup v2
 * conventions, flat keyed ("key value") or nested keyed ("key a=1 b=2"),
 * and becomes {"key": value, "key": {"a": 1, "b": 2}}.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgview.h"

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* A number as it is, anything else as a string. */
static void json_value(const char *s)
{
	char *end;

	errno = 0;
	strtoll(s, &end, 10);
	if (*s && !*end && !errno && (isdigit((unsigned char)*s) || *s == '-'))
		fputs(s, stdout);
	else
		json_str(stdout, s);
}

/* "a=1 b=2" as {"a": 1, "b": 2} */
static void json_nested(char *fields)
{
	char *save, *f, *eq;
	const char *sep = "";

	fputc('{', stdout);
	for (f = strtok_r(fields, " \t", &save); f;
	     f = strtok_r(NULL, " \t", &save)) {
		eq = strchr(f, '=');
		if (!eq)
			continue;
		*eq = '\0';
		printf("%s", sep);
		json_str(stdout, f);
		fputs(": ", stdout);
		json_value(eq + 1);
		sep = ", ";
	}
	fputc('}', stdout);
}

static void json_line(char *line, const char **sep)
{
	char *rest = line + strcspn(line, " \t");

	if (!*line)
		return;
	if (*rest)
		*rest++ = '\0';
	rest += strspn(rest, " \t");
	printf("%s", *sep);
	json_str(stdout, line);
	fputs(": ", stdout);
	if (strchr(rest, '='))
		json_nested(rest);
	else
		json_value(rest);
	*sep = ", ";
}

int cat_json(const char *text, size_t len)
{
	char *copy = strndup(text, len), *save, *line;
	const char *sep = "";

	if (!copy)
		return -ENOMEM;
	fputc('{', stdout);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		json_line(line, &sep);
	fputs("}\n", stdout);
	free(copy);
	return 0;
}
