// SPDX-License-Identifier: GPL-2.0
/* Who is exporting: the host's name, kernel and machine id, and the
 * labels every series carries (README.md, "Identity").
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "exporter.h"

/* 32 hex digits of /etc/machine-id into ID, else "" */
static void machine_id(char id[33])
{
	FILE *f = fopen("/etc/machine-id", "re");
	size_t n = 0;

	*id = '\0';
	if (!f)
		return;
	if (fgets(id, 33, f))
		n = strspn(id, "0123456789abcdef");
	if (n != 32)
		*id = '\0';
	fclose(f);
}

/* Who is exporting: host, kernel, machine id, --label (the non-empty
 * ones), remote write's instance
 */
void identity(const struct opts *o, struct snapshot *snap)
{
	static struct label labels[MAX_LABELS];
	struct utsname u;

	uname(&u);
	snprintf(snap->host, sizeof(snap->host), "%s", u.nodename);
	snprintf(snap->kernel, sizeof(snap->kernel), "%s", u.release);
	machine_id(snap->host_id);
	snap->instance = snap->host;
	for (size_t i = 0; i < o->nlabels; i++) {
		if (!strcmp(o->labels[i].name, "instance"))
			snap->instance = NULL;
		if (*o->labels[i].value)
			labels[snap->nlabels++] = o->labels[i];
	}
	snap->labels = labels;
}
