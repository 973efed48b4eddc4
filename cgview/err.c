// SPDX-License-Identifier: GPL-2.0
/* The one way cgview reports a failure: "cgview: WHAT[: errno's text]" on
 * stderr, or under -j {"error": "WHAT[: errno's text]"} on stdout, as
 * bpftool does; the caller then returns an error (-1 or EXIT_FAIL).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cgview.h"

static bool as_json;

void err_json(bool on)
{
	as_json = on;
}

void err_msg(int err, const char *fmt, ...)
{
	char what[1024];
	struct jw w = { .f = stdout };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (err && n >= 0 && (size_t)n < sizeof(what))
		snprintf(what + n, sizeof(what) - n, ": %s", strerror(err));
	if (!as_json) {
		fprintf(stderr, "cgview: %s\n", what);
		return;
	}
	jw_open(&w, '{');
	jw_key(&w, "error");
	jw_str(&w, what);
	jw_close(&w, '}');
}
