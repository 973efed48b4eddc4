// SPDX-License-Identifier: GPL-2.0
/* Read one file of a cgroup (or of its bpffs mirror) whole: a regular file
 * of at most READ_MAX bytes. Anything else (a FIFO that would block, a
 * device that never ends) is refused unread. bpf seq files say size 0, so
 * the bound is on the bytes read. A reader reads a cgroup's files into the
 * model and counts what fails.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exporter.h"

/* READ_MAX + 1 bytes at most into *buf from FD */
static int read_bounded(int fd, char **buf, size_t *cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	do {
		if (*cap - *len < 4096)
			*buf = grow(*buf, cap, *len + 8192, 1);
		n = read(fd, *buf + *len, *cap - *len - 1);
		if (n > 0)
			*len += n;
	} while (n > 0 && *len <= READ_MAX);
	(*buf)[*len] = '\0';
	if (n < 0)
		return -errno;
	return *len > READ_MAX ? -READ_TOO_LONG : 0;
}

/* 0, or -errno, -READ_NOT_REGULAR or -READ_TOO_LONG (read_error() says
 * which); *buf grows as needed and is NUL terminated
 */
int read_file_at(int dirfd, const char *name, char **buf, size_t *cap,
		 size_t *len)
{
	int fd = openat(dirfd, name,
			O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
				O_NOFOLLOW);
	struct stat sb;
	int err;

	if (fd < 0)
		return errno == ELOOP ? -READ_NOT_REGULAR : -errno;
	if (fstat(fd, &sb))
		err = -errno;
	else if (!S_ISREG(sb.st_mode))
		err = -READ_NOT_REGULAR;
	else
		err = read_bounded(fd, buf, cap, len);
	close(fd);
	return err;
}

/* What read_file_at()'s ERR (negative) means */
const char *read_error(int err)
{
	if (err == -READ_NOT_REGULAR)
		return "not a regular file (a FIFO, device, socket or symbolic "
		       "link)";
	if (err == -READ_TOO_LONG)
		return "longer than " READ_MAX_TEXT;
	return strerror(-err);
}

/* Report once and count file NAME that read_file_at() failed with ERR */
static void read_failed(struct cgreader *r, const char *name, int err)
{
	char where[PATH_MAX + 256];

	snprintf(where, sizeof(where), "%s%s%s", r->path,
		 r->plen > 1 ? "/" : "", name);
	if (err == -READ_NOT_REGULAR || err == -READ_TOO_LONG) {
		r->st->files_skipped++;
		warn_once(where, "%s: %s, skipped (reported once)", where,
			  read_error(err));
		return;
	}
	r->st->read_errors++;
	warn_once(where, "cannot read %s: %s (reported once)", where,
		  read_error(err));
}

/* -1 when the cgroup vanished under us */
int reader_file(struct cgreader *r, int dfd, const char *name, struct schema *s)
{
	size_t len;
	int err = read_file_at(dfd, name, &r->buf, &r->cap, &len);

	if (err == -ENOENT || err == -ENODEV)
		return -1;
	if (err) {
		read_failed(r, name, err);
		return 0;
	}
	model_file(r->snap, r->ss, s, r->buf, len, r->path, name, r->st);
	r->st->files++;
	return 0;
}

static uint64_t text_trouble(const struct stats *st)
{
	return st->parse_errors + st->hists_dropped + st->unknown_keys;
}

/* View file NAME of the cgroup from its view's record, where the bulk
 * read has one: false when it must be read (reader_view_text())
 */
bool reader_view_record(struct cgreader *r, const char *name)
{
	struct vview *v = r->vr ? viewrecs_view(r->vr, name) : NULL;
	const uint8_t *rec = v ? viewrecs_record(v, r->id) : NULL;

	if (v)
		v->wanted = true; /* walk it next time */
	return rec && viewrec_emit(r, v, rec);
}

/* View file NAME of directory MFD, read; the first read of a view with
 * records shows how its records give its text. -1: the cgroup vanished
 */
int reader_view_text(struct cgreader *r, int mfd, const char *name)
{
	struct vview *v = r->vr ? viewrecs_view(r->vr, name) : NULL;
	struct schema *s = schema_for_unknown_file(r->ss, name);
	size_t frec = r->snap->n_files;
	uint64_t trouble = text_trouble(r->st);
	int ret;

	/* records come only once a text read taught their layout to this
	 * program's view: its load time is the file's from then on
	 */
	if (v)
		s->start_ns = v->load_ns;
	ret = reader_file(r, mfd, name, s);
	if (v && !ret && r->snap->n_files > frec)
		viewrec_learn(r, v, frec, trouble == text_trouble(r->st));
	return ret;
}

/* The bpf.* files of directory MFD: a cgroup's, or its mirror's (whose
 * directories are the mirrors of child cgroups); other files are not opened
 */
int reader_views(struct cgreader *r, int mfd)
{
	DIR *d = fdopendir(dup(mfd));
	struct dirent *e;
	int ret = 0;

	if (!d)
		return 0;
	while (ret == 0 && (e = readdir(d))) {
		if (strncmp(e->d_name, "bpf.", 4) || e->d_type == DT_DIR)
			continue;
		if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN)
			read_failed(r, e->d_name, -READ_NOT_REGULAR);
		else if (!reader_view_record(r, e->d_name))
			ret = reader_view_text(r, mfd, e->d_name);
	}
	closedir(d);
	return ret;
}
