// SPDX-License-Identifier: GPL-2.0
/* Labels from cgroup paths, the way container tools label containers
 * (README.md, "Labels from cgroup paths"): the systemd unit and slice; the
 * container id and runtime of Docker, containerd, CRI-O and podman, from
 * their scope (systemd cgroup driver) or directory (cgroupfs driver)
 * names; a Kubernetes pod's UID and QoS class from the kubepods tree.
 * Reading stops at the first unit (*.service, *.scope) or container: what
 * is below one (a delegated service's or a container's own cgroups) is
 * its tenant's to name, so it carries that unit's or container's labels
 * and cannot claim another's. The slice is the last one above the unit.
 */
#include <ctype.h>
#include <stdlib.h>
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
	if (!f->kube || f->pod.s)
		return;
	if (is(c, "burstable") || is(c, "kubepods-burstable.slice"))
		f->qos = "burstable";
	else if (is(c, "besteffort") || is(c, "kubepods-besteffort.slice"))
		f->qos = "besteffort";
	else if (c.n > 3 && !memcmp(c.s, "pod", 3))
		f->pod = (struct comp){ c.s + 3, c.n - 3 };
	else if (ends(c, ".slice") && (p = memmem(c.s, c.n, "-pod", 4)) &&
		 p + 4 < c.s + c.n - 6)
		f->pod = (struct comp){ p + 4, c.s + c.n - 6 - (p + 4) };
}

/* Label NAME=V into L, its value after those before in L->values */
static void add(struct cglabels *l, size_t *used, const char *name,
		struct comp v, bool dashes)
{
	char *val = l->values + *used;

	memcpy(val, v.s, v.n);
	val[v.n] = '\0';
	for (char *c = val; dashes && *c; c++)
		if (*c == '_')
			*c = '-';
	l->l[l->n++] = (struct label){ name, val };
	*used += v.n + 1;
}

static struct comp word(const char *s)
{
	return (struct comp){ s, s ? strlen(s) : 0 };
}

/* What PATH names, component by component, down to the first unit or
 * container
 */
static void parse(const char *path, struct found *f)
{
	struct comp c;

	for (const char *p = path; *p && !f->unit.s && !f->id.s; p += c.n) {
		p += *p == '/';
		c = (struct comp){ p, strcspn(p, "/") };
		if (!c.n)
			continue;
		systemd(f, c);
		container(f, c);
		kubernetes(f, c);
	}
}

struct cglabels *path_labels(const char *path, unsigned which)
{
	struct found f = { 0 };
	struct comp v[PATH_LABELS_MAX];
	static const char *const names[PATH_LABELS_MAX] = {
		"systemd_unit",	     "systemd_slice", "container_id",
		"container_runtime", "pod_uid",	      "qos_class"
	};
	static const unsigned sets[PATH_LABELS_MAX] = {
		PATH_LABELS_SYSTEMD,	PATH_LABELS_SYSTEMD,
		PATH_LABELS_CONTAINER,	PATH_LABELS_CONTAINER,
		PATH_LABELS_KUBERNETES, PATH_LABELS_KUBERNETES
	};
	struct cglabels *l;
	size_t size = 0, used = 0;

	parse(path, &f);
	v[0] = f.unit, v[1] = f.slice, v[2] = f.id;
	v[3] = word(f.runtime), v[4] = f.pod;
	v[5] = word(f.pod.s ? f.qos : NULL);
	for (int i = 0; i < PATH_LABELS_MAX; i++)
		if (!(which & sets[i]) || !v[i].s)
			v[i].s = NULL;
		else
			size += v[i].n + 1;
	if (!size)
		return NULL;
	l = xcalloc(1, sizeof(*l) + size);
	for (int i = 0; i < PATH_LABELS_MAX; i++)
		if (v[i].s)
			add(l, &used, names[i], v[i], i == 4);
	return l;
}
