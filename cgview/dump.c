// SPDX-License-Identifier: GPL-2.0
/* cgview dump: every cgroup of a subtree with its standard statistics and
 * its bpf.* views, as one cgview-exporter scrape prints them in the
 * Prometheus text format (its bulk read where it loads: README.md, "The
 * bulk read"). The exporter is the one installed next to cgview, else the
 * one in PATH.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgview.h"

#define EXPORTER "cgview-exporter"

/* EXPORTER in the directory of cgview's own executable, if it is there */
void exporter_path(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	snprintf(buf, size, "%s", EXPORTER);
	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return;
	*slash = '\0';
	snprintf(buf, size, "%s/" EXPORTER, self);
	if (access(buf, X_OK))
		snprintf(buf, size, "%s", EXPORTER);
}

static int dump(const char *cgroup)
{
	char exporter[PATH_MAX + sizeof(EXPORTER) + 1];
	struct cgroup_ref cg;

	if (cgroup_resolve(cgroup ? cgroup : "/", &cg))
		return EXIT_FAIL;
	exporter_path(exporter, sizeof(exporter));
	fflush(stdout);
	execvp(exporter, (char *[]){ exporter, "--root", cg.path, "--once",
				     "--output", "text:-", NULL });
	err_msg(errno, "cannot run %s (make exporter builds it next to cgview)",
		exporter);
	return EXIT_FAIL;
}

int cmd_dump(int argc, char **argv, const struct cmd_opts *o)
{
	(void)o;
	return dump(argc ? argv[0] : NULL);
}
