// SPDX-License-Identifier: GPL-2.0
/* Resolve cgroups named by the user in the cgroup v2 hierarchy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "cgroup.h"
#include "cgview.h"
#include "escape.h"

static int is_cgroup2_dir(const char *path)
{
	struct statfs sfs;
	struct stat st;

	if (stat(path, &st) || statfs(path, &sfs))
		return -errno;
	if (!S_ISDIR(st.st_mode) || sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -ENOTDIR;
	return 0;
}

/* PATH's place below the cgroup2 mount MNT, into CG: 0, -ENOENT when it is
 * no cgroup2 directory, -EXDEV when it is not below MNT
 */
static int place(const char *mnt, const char *path, struct cgroup_ref *cg)
{
	const char *rel;
	int err = cgroup2_rel(mnt, path, cg->path, &rel);

	if ((err && err != -EXDEV) || is_cgroup2_dir(cg->path))
		return -ENOENT;
	if (err)
		return err;
	snprintf(cg->rel, sizeof(cg->rel), "%s", rel);
	return 0;
}

/* A label value as the Prometheus text format writes it (cgview dump),
 * its escapes (\\ \" \n) undone, into OUT (LEN + 1 bytes); its length
 */
static size_t label_unescape(char *out, const char *text, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\\' && i + 1 < len &&
		    strchr("\\\"n", text[i + 1])) {
			i++;
			out[n++] = text[i] == 'n' ? '\n' : text[i];
		} else {
			out[n++] = text[i];
		}
	}
	out[n] = '\0';
	return n;
}

enum { READINGS = 4 };

/* Reading K of the cgroup name ARG (LEN bytes) into RAW (LEN + 1 bytes):
 * as it is; as cgview-exporter's snapshot shows it (lib/escape.h); as
 * dump's cgroup label reads, the text format's escapes on top; as top
 * shows it. 0, or -1 when it has none (no escape to undo, or a NUL).
 */
static int reading(int k, const char *arg, size_t len, char *raw)
{
	size_t n = len;

	if (k == 0)
		memcpy(raw, arg, len + 1);
	else if (k == 1)
		n = name_unescape(raw, arg, len);
	else if (k == 2)
		n = name_unescape(raw, raw, label_unescape(raw, arg, len));
	else
		n = name_unshow(raw, arg, len);
	return strlen(raw) == n && (!k || strcmp(raw, arg)) ? 0 : -1;
}

/* The cgroups ARG names below the cgroup2 root MNT, one per reading that
 * names one, into FOUND; how many differ: 0, 1 (FOUND[0]) or more. ERR
 * gets what the reading as it is found (0, -ENOENT or -EXDEV).
 */
static int readings(const char *mnt, const char *arg, struct cgroup_ref *found,
		    int *err)
{
	size_t len = strlen(arg);
	char raw[PATH_MAX], joined[PATH_MAX * 2];
	int n = 0, r;

	*err = -ENOENT;
	if (len >= sizeof(raw))
		return 0;
	for (int k = 0; k < READINGS; k++) {
		if (reading(k, arg, len, raw))
			continue;
		snprintf(joined, sizeof(joined), "%s/%s", mnt, raw);
		r = place(mnt, joined, &found[n]);
		if (!k)
			*err = r;
		if (!r && (!n || strcmp(found[0].path, found[n].path)))
			n++;
	}
	return n;
}

/* PATH as bash reads it back from $'...', into OUT (4 * strlen(PATH) +
 * 4 bytes): a byte outside printable ASCII or a space as \xHH, a
 * backslash or quote with a backslash (a tenant's name cannot drive the
 * terminal, and can be pasted back)
 */
static void bash_quoted(char *out, const char *path)
{
	char *o = out + sprintf(out, "$'");

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f)
			o += sprintf(o, "\\x%02x", *p);
		else if (*p == '\\' || *p == '\'')
			o += sprintf(o, "\\%c", *p);
		else
			*o++ = (char)*p;
	}
	strcpy(o, "'");
}

/* ARG names the two cgroups FOUND[0] and FOUND[1] (and maybe more) */
static void ambiguous(const char *arg, const struct cgroup_ref *found)
{
	char a[4 * PATH_MAX + 4], b[4 * PATH_MAX + 4];

	bash_quoted(a, found[0].path);
	bash_quoted(b, found[1].path);
	err_msg(0,
		"'%s' names more than one cgroup, read as it is and with the escapes that top and dump show undone: %s and %s; give the cgroup's path in the mount (as above, for bash)",
		arg, a, b);
}

/* ARG is an absolute path inside the cgroup2 mount, taken as it is, or a
 * path below its root ("" or "/" alone mean the root itself), with or
 * without a leading '/', as it is or as top, dump and cgview-exporter
 * show it (escaped): refused when two of those readings name two
 * cgroups, one of which a tenant may have named to be taken for the other
 */
int cgroup_resolve(const char *arg, struct cgroup_ref *cg)
{
	struct cgroup_ref found[READINGS];
	char mnt[PATH_MAX];
	int err = -ENOENT, below, n;

	if (cgroup2_mount(mnt, sizeof(mnt))) {
		err_msg(0,
			"no cgroup2 filesystem is mounted (mount -t cgroup2 none /sys/fs/cgroup)");
		return -ENOENT;
	}
	if (arg[0] == '/' && strcmp(arg, "/"))
		err = place(mnt, arg, cg);
	if (!err)
		return 0;
	n = readings(mnt, arg, found, &below);
	if (err != -EXDEV) /* a path outside the mount: say so */
		err = below;
	if (n == 1) {
		*cg = found[0];
		return 0;
	}
	if (n > 1)
		ambiguous(arg, found);
	else if (err == -EXDEV)
		err_msg(0, "'%s' is not below the cgroup2 mount %s", arg, mnt);
	else
		err_msg(0, "no cgroup '%s' in the cgroup2 hierarchy at %s", arg,
			mnt);
	return n > 1 || err == -EXDEV ? -EINVAL : -ENOENT;
}

const char *cgroup_name(const struct cgroup_ref *cg)
{
	return cg->rel[0] ? cg->rel : "/";
}

/* SUB is the child NAME of CG. */
int cgroup_child(const struct cgroup_ref *cg, const char *name,
		 struct cgroup_ref *sub)
{
	int n = snprintf(sub->path, sizeof(sub->path), "%s/%.*s", cg->path,
			 NAME_MAX, name);
	int r = snprintf(sub->rel, sizeof(sub->rel), "%s%s%.*s", cg->rel,
			 cg->rel[0] ? "/" : "", NAME_MAX, name);

	return n < (int)sizeof(sub->path) && r < (int)sizeof(sub->rel) ?
		       0 :
		       -ENAMETOOLONG;
}
