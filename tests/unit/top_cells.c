// SPDX-License-Identifier: GPL-2.0
/* cgview top's value cells (cgview/top_view.c, cell()) for the values on
 * standard input, one "FORMAT VALUE" a line (FORMAT: pct, secs, bytes,
 * count or rate), one cell a line out: tests/unit/test_top_cells.py.
 * Built with top_model.c, as cgview is.
 */
#include "top_view.c"

static int fmt_of(const char *name)
{
	static const char *const names[] = {
		[FMT_PCT] = "pct",     [FMT_SECS] = "secs",
		[FMT_BYTES] = "bytes", [FMT_COUNT] = "count",
		[FMT_RATE] = "rate",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	return -1;
}

int main(void)
{
	char name[16], buf[64];
	double v;
	int f;

	while (scanf("%15s %lf", name, &v) == 2) {
		f = fmt_of(name);
		if (f < 0) {
			fprintf(stderr, "top-cells: unknown format '%s'\n",
				name);
			return 2;
		}
		cell(buf, sizeof(buf), (enum col_fmt)f, v);
		puts(buf);
	}
	return 0;
}
