// SPDX-License-Identifier: GPL-2.0
/* Labels from cgroup paths, the way container tools label containers
 * (README.md, "Labels from cgroup paths"): the systemd unit and slice; the
 * container id and runtime of Docker, containerd, CRI-O and podman, from
 * their scope (systemd cgroup driver) or directory (cgroupfs driver)
 * names; a Kubernetes pod's UID and QoS class from the kubepods tree.
 * Each label comes from the innermost component that names it, so the
 * cgroups inside a container carry its labels too.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "exporter.h"

#define ID_LEN 64 /* a container id: 64 hex digits */

/* A component of a path */
struct comp {
	const char *s;
	size_t n;
};

/* What the components so far name; a NULL s: nothing */
struct found {
	struct comp unit, slice, id, pod;
	const char *runtime, *qos;
	bool kube;
	bool docker_dir; /* the component before was "docker" (cgroupfs) */
};

static bool ends(struct comp c, const char *sfx)
{
	size_t k = strlen(sfx);

	return c.n > k && !memcmp(c.s + c.n - k, sfx, k);
}

static bool is(struct comp c, const char *s)
{
	return c.n == strlen(s) && !memcmp(c.s, s, c.n);
}

static bool hex_id(const char *s, size_t n)
{
	if (n != ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return false;
	return true;
}

static void systemd(struct found *f, struct comp c)
{
	if (ends(c, ".slice"))
		f->slice = c;
	else if (ends(c, ".service") || ends(c, ".scope"))
		f->unit = c;
}

/* RUNTIME-ID[.scope], or a bare ID (Docker's cgroupfs driver, or a pod's
 * container under the cgroupfs driver: runtime unknown)
 */
static void container(struct found *f, struct comp c)
{
	static const struct {
		const char *prefix, *runtime;
	} runtimes[] = { { "docker-", "docker" },
			 { "cri-containerd-", "containerd" },
			 { "crio-", "cri-o" },
			 { "libpod-", "podman" } };
	size_t n = ends(c, ".scope") ? c.n - 6 : c.n;

	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		size_t k = strlen(runtimes[i].prefix);

		if (n == k + ID_LEN && !memcmp(c.s, runtimes[i].prefix, k) &&
		    hex_id(c.s + k, ID_LEN)) {
			f->id = (struct comp){ c.s + k, ID_LEN };
			f->runtime = runtimes[i].runtime;
			return;
		}
	}
	if (hex_id(c.s, c.n)) {
		f->id = c;
		f->runtime = f->docker_dir ? "docker" : NULL;
	}
	f->docker_dir = is(c, "docker");
}

/* kubepods[.slice], its burstable/besteffort children, pod<UID> or
 * kubepods[-QOS]-pod<UID with _ for ->.slice
 */
static void kubernetes(struct found *f, struct comp c)
{
	const char *p;

	if (is(c, "kubepods") || is(c, "kubepods.slice")) {
		f->kube = true;
		f->qos = "guaranteed"; /* a pod right below kubepods */
		return;
	}
	if (!f->kube)
		return;
	if (is(c, "burstable") || is(c, "kubepods-burstable.slice"))
		f->qos = "burstable";
	else if (is(c, "besteffort") || is(c, "kubepods-besteffort.slice"))
		f->qos = "besteffort";
	else if (c.n > 3 && !memcmp(c.s, "pod", 3))
		f->pod = (struct comp){ c.s + 3, c.n - 3 };
	else if (ends(c, ".slice") && (p = memmem(c.s, c.n, "-pod", 4)))
		f->pod = (struct comp){ p + 4, c.s + c.n - 6 - (p + 4) };
}

static void add(struct snapshot *snap, const char *name, struct comp v,
		bool dashes)
{
	uint32_t off = snapshot_str(snap, v.s, v.n);

	for (char *c = snap->strs + off; dashes && *c; c++)
		if (*c == '_')
			*c = '-';
	*PUSH(snap, plabels) = (struct plabel){ name, off };
}

/* The labels of cgroup CG (its path parsed), WHICH: PATH_LABELS_* */
static void one(struct snapshot *snap, struct cgrec *cg, unsigned which)
{
	/* a copy: adding labels moves strs, where the path is */
	static char path[NAME_ESCAPED_MAX(4096)];
	struct found f = { 0 };
	struct comp c;

	snprintf(path, sizeof(path), "%s", snap_str(snap, cg->path));
	for (const char *p = path; *p; p += c.n) {
		p += *p == '/';
		c = (struct comp){ p, strcspn(p, "/") };
		if (!c.n)
			continue;
		systemd(&f, c);
		container(&f, c);
		kubernetes(&f, c);
	}
	cg->plabel = snap->n_plabels;
	if ((which & PATH_LABELS_SYSTEMD) && f.unit.s)
		add(snap, "systemd_unit", f.unit, false);
	if ((which & PATH_LABELS_SYSTEMD) && f.slice.s)
		add(snap, "systemd_slice", f.slice, false);
	if ((which & PATH_LABELS_CONTAINER) && f.id.s)
		add(snap, "container_id", f.id, false);
	if ((which & PATH_LABELS_CONTAINER) && f.runtime)
		add(snap, "container_runtime",
		    (struct comp){ f.runtime, strlen(f.runtime) }, false);
	if ((which & PATH_LABELS_KUBERNETES) && f.pod.s)
		add(snap, "pod_uid", f.pod, true);
	if ((which & PATH_LABELS_KUBERNETES) && f.pod.s && f.qos)
		add(snap, "qos_class", (struct comp){ f.qos, strlen(f.qos) },
		    false);
	cg->nplabels = snap->n_plabels - cg->plabel;
}

void path_labels(struct snapshot *snap, unsigned which)
{
	snap->n_plabels = 0;
	for (size_t g = 0; which && g < snap->n_cgroups; g++)
		one(snap, &snap->cgroups[g], which);
}
