// SPDX-License-Identifier: GPL-2.0
/* Views' records (views/view.bpf.h, CGVIEW_RECORD): for each view that
 * cgview pinned with a bulk program, walk --root with it (BPF_PROG_RUN; it
 * walks under RCU, in pre-order) in step with the exporter's own walk:
 * before the cgroups of each of its runs are modelled, the view's runs
 * from where that run started write as many records (at most its
 * array's slots at a time), which are kept by cgroup id until the next
 * run. Only one run's records are held, not the tree's. What a record
 * holds is read from the BTF of the view's array of records, by member
 * name; viewrec_model.c turns records into samples. A cgroup without a
 * record (a view whose walk failed, a cgroup made since the exporter's
 * walk) is read per file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "exporter.h"
#include "pins.h"

#define BATCH 256 /* records per map lookup */

/* view.bpf.h's struct cgview_bulk_args */
struct bulk_args {
	__u64 root;
	__u32 skip, limit, seen, nrec;
	__u64 next, after;
};

struct viewrecs {
	char dir[PATH_MAX]; /* the views' pins: DIR/NAME/bulk, ... */
	struct vview *v;
	size_t n, cap;
	size_t hint; /* viewrecs_view(): where to look first */
};

static void view_close(struct vview *v)
{
	int fds[] = { v->dir, v->prog, v->recs };

	for (size_t i = 0; i < sizeof(fds) / sizeof(*fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (v->map)
		munmap((void *)v->map, v->maplen);
	free(v->f);
	free(v->rec);
	free(v->hash);
	viewrec_forget(v->lay);
	memset(v, 0, sizeof(*v));
}

/* Type ID through modifiers and typedefs; NULL for none */
static const struct btf_type *resolved(const struct btf *btf, __u32 *id)
{
	int r = btf__resolve_type(btf, *id);

	if (r < 0)
		return NULL;
	*id = r;
	return btf__type_by_id(btf, *id);
}

/* Member I of struct ST (at byte BASE in a value): an integer or an array
 * of integers, as a field of V; 0, or -1
 */
static int add_field(struct vview *v, const struct btf *btf,
		     const struct btf_type *st, int i, __u32 base)
{
	const struct btf_member *m = btf_members(st) + i;
	const char *name = btf__name_by_offset(btf, m->name_off);
	__u32 id = m->type, n = 1, bit = btf_member_bit_offset(st, i);
	const struct btf_type *t = resolved(btf, &id);

	if (t && btf_is_array(t)) {
		n = btf_array(t)->nelems;
		id = btf_array(t)->type;
		t = resolved(btf, &id);
	}
	if (!t || !btf_is_int(t) || !name || !*name ||
	    strlen(name) >= sizeof(v->f->name) ||
	    btf_member_bitfield_size(st, i) || bit % 8 || t->size > 8 ||
	    (t->size & (t->size - 1)) || !n)
		return -1;
	v->f[v->nf] = (struct vfield){
		.off = base + bit / 8,
		.n = n,
		.size = t->size,
		.sign = btf_int_encoding(t) & BTF_INT_SIGNED,
	};
	strcpy(v->f[v->nf++].name, name);
	return 0;
}

/* The fields of the records from the array's BTF: its value is
 * { __u64 cgroup_id; struct NAME_record record; }. 0, or -1
 */
static int read_fields(struct vview *v, const struct bpf_map_info *mi)
{
	struct btf *btf = btf__load_from_kernel_by_id(mi->btf_id);
	const struct btf_type *t, *rec = NULL;
	const struct btf_member *m;
	__u32 id = mi->btf_value_type_id, base = 0;
	int err = -1;

	t = btf ? resolved(btf, &id) : NULL;
	for (int i = 0; t && btf_is_struct(t) && i < btf_vlen(t); i++) {
		m = btf_members(t) + i;
		if (strcmp(btf__name_by_offset(btf, m->name_off), "record"))
			continue;
		id = m->type;
		rec = resolved(btf, &id);
		base = btf_member_bit_offset(t, i) / 8;
	}
	if (rec && btf_is_struct(rec) && btf_vlen(rec)) {
		v->f = xcalloc(btf_vlen(rec), sizeof(*v->f));
		err = 0;
		for (int i = 0; !err && i < btf_vlen(rec); i++)
			err = add_field(v, btf, rec, i, base);
	}
	btf__free(btf);
	return err;
}

/* Does program PROG use map MAP_ID (the pins are of one load, not of a
 * load and the next one, made while they were opened)?
 */
static bool uses_map(int prog, __u32 map_id)
{
	__u32 ids[64], len;
	struct bpf_prog_info pi;

	memset(&pi, 0, sizeof(pi));
	pi.nr_map_ids = sizeof(ids) / sizeof(*ids);
	pi.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(pi);
	if (bpf_obj_get_info_by_fd(prog, &pi, &len))
		return false;
	for (__u32 i = 0; i < pi.nr_map_ids && i < 64; i++)
		if (ids[i] == map_id)
			return true;
	return false;
}

/* When PROG was loaded, on CLOCK_REALTIME (the kernel gives boot time) */
static uint64_t loaded_at(int prog)
{
	struct bpf_prog_info pi;
	struct timespec real, boot;
	__u32 len = sizeof(pi);

	memset(&pi, 0, sizeof(pi));
	if (bpf_obj_get_info_by_fd(prog, &pi, &len) ||
	    clock_gettime(CLOCK_REALTIME, &real) ||
	    clock_gettime(CLOCK_BOOTTIME, &boot))
		return 0;
	return real.tv_sec * 1000000000ULL + real.tv_nsec -
	       (boot.tv_sec * 1000000000ULL + boot.tv_nsec - pi.load_time);
}

/* The array of a view's records mapped, for runs to be copied out of it
 * (those of views pinned by an older cgview, not mappable, are looked up)
 */
static void map_records(struct vview *v)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t elem = (v->vsize + 7) & ~(size_t)7;
	size_t len = ((size_t)v->slots * elem + page - 1) & ~(size_t)(page - 1);
	void *p = elem == v->vsize ?
			  mmap(NULL, len, PROT_READ, MAP_SHARED, v->recs, 0) :
			  MAP_FAILED;

	if (p == MAP_FAILED)
		return;
	v->map = p;
	v->maplen = len;
}

/* Open the pins of view NAME, its program PROG (V owns it from then on,
 * the caller if this fails); 0, or -1 (not a view with records)
 */
static int view_open(struct vview *v, const struct viewrecs *vr,
		     const char *name, __u32 prog_id, int prog)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	char path[PATH_MAX + 64];

	*v = (struct vview){
		.dir = -1, .prog = -1, .recs = -1, .prog_id = prog_id
	};
	snprintf(v->file, sizeof(v->file), "bpf.%s", name);
	snprintf(path, sizeof(path), "%s/%s", vr->dir, name);
	v->dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/%s/" CGVIEW_BULK_RECORDS, vr->dir,
		 name);
	v->recs = bpf_obj_get(path);
	if (v->dir < 0 || v->recs < 0 ||
	    bpf_obj_get_info_by_fd(v->recs, &mi, &len) || !mi.btf_id ||
	    mi.value_size < sizeof(__u64) || !mi.max_entries ||
	    !uses_map(prog, mi.id) || read_fields(v, &mi)) {
		view_close(v);
		return -1;
	}
	v->prog = prog;
	v->load_ns = loaded_at(prog);
	v->wanted = true; /* walked once; then while cgroups have its file */
	v->vsize = mi.value_size;
	v->slots = mi.max_entries;
	if (mi.map_flags & BPF_F_MMAPABLE)
		map_records(v);
	return 0;
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi);

	return bpf_obj_get_info_by_fd(fd, &pi, &len) ? 0 : pi.id;
}

/* View NAME as loaded now: the one open already if it is the same
 * program; 0, or -1 for none
 */
static int view_find_or_open(struct viewrecs *vr, const char *name, size_t *at)
{
	char path[PATH_MAX + 64];
	struct vview v;
	__u32 id;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/" CGVIEW_BULK_PROG, vr->dir, name);
	fd = bpf_obj_get(path);
	id = fd >= 0 ? prog_id(fd) : 0;
	for (size_t i = *at; id && i < vr->n; i++) {
		if (strcmp(vr->v[i].file + 4, name))
			continue;
		if (vr->v[i].prog_id != id)
			break;
		close(fd);
		v = vr->v[*at];
		vr->v[*at] = vr->v[i];
		vr->v[i] = v;
		(*at)++;
		return 0;
	}
	if (!id || view_open(&v, vr, name, id, fd)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	vr->v = grow(vr->v, &vr->cap, vr->n + 1, sizeof(*vr->v));
	vr->v[vr->n++] = vr->v[*at];
	vr->v[(*at)++] = v;
	return 0;
}

/* The views loaded now: those open already stay open (their learned
 * layouts with them), others are opened, the unloaded ones closed
 */
static void views_scan(struct viewrecs *vr)
{
	DIR *d = opendir(vr->dir);
	struct dirent *e;
	size_t at = 0;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && strlen(e->d_name) < NAME_MAX - 4)
			view_find_or_open(vr, e->d_name, &at);
	if (d)
		closedir(d);
	while (vr->n > at)
		view_close(&vr->v[--vr->n]);
}

struct viewrecs *viewrecs_new(const char *dir)
{
	struct viewrecs *vr = xcalloc(1, sizeof(*vr));

	snprintf(vr->dir, sizeof(vr->dir), "%s", dir);
	return vr;
}

void viewrecs_free(struct viewrecs *vr)
{
	if (!vr)
		return;
	for (size_t i = 0; i < vr->n; i++)
		view_close(&vr->v[i]);
	free(vr->v);
	free(vr);
}

/* One run of V's bulk program with A (the kernel writes A back); 0, or
 * -errno
 */
static int run_once(const struct vview *v, struct bulk_args *a)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = a,
		    .ctx_size_in = sizeof(*a));

	a->seen = a->nrec = 0;
	if (bpf_prog_test_run_opts(v->prog, &opts))
		return -errno;
	return (int)opts.retval < 0 ? (int)opts.retval : 0;
}

/* The run's N records, appended to V's; 0, or -errno */
static int take(struct vview *v, __u32 n)
{
	__u32 keys[BATCH], got, count, out = 0;
	int err;

	v->rec = grow(v->rec, &v->cap, (v->nrec + n) * v->vsize, 1);
	if (v->map) {
		memcpy(v->rec + v->nrec * v->vsize, v->map, n * v->vsize);
		v->nrec += n;
		return 0;
	}
	for (got = 0; got < n; got += count) {
		count = n - got < BATCH ? n - got : BATCH;
		err = bpf_map_lookup_batch(v->recs, got ? &out : NULL, &out,
					   keys,
					   v->rec + (v->nrec + got) * v->vsize,
					   &count, NULL);
		if ((err && errno != ENOENT) || !count)
			return -(err && errno != ENOENT ? errno : EIO);
	}
	v->nrec += n;
	return 0;
}

/*
 * V's records of the cgroups of RUN, a run of the exporter's own walk
 * (bulk.c): V's runs from where that run started, until they wrote as
 * many cgroups or the walk ended, so that the records held are those of
 * one run (the same cgroups, but for those made or removed since); 0, or
 * -errno. Views built before the walk resumed by id say how many
 * cgroups they visited (SEEN): -EPROTO, they cannot start there.
 */
static int walk_run(struct vview *v, const struct bulk_run *run)
{
	struct bulk_args a = { .root = run->root,
			       .next = run->next,
			       .after = run->after };
	int err = 0;

	v->nrec = 0;
	while (!err && v->nrec < run->count) {
		a.limit = run->count - v->nrec < v->slots ?
				  run->count - v->nrec :
				  v->slots;
		err = run_once(v, &a);
		if (!err && a.seen)
			err = -EPROTO;
		if (!err && a.nrec)
			err = take(v, a.nrec);
		if (!a.next)
			break;
	}
	return err;
}

static __u32 id_slot(const struct vview *v, __u64 id)
{
	return (id * 0x9e3779b97f4a7c15ull) & (v->hcap - 1);
}

/* V's records by cgroup id: V->hash holds record index + 1 */
static void index_records(struct vview *v)
{
	size_t need = 16;
	__u64 id;
	__u32 h;

	while (need < 2 * v->nrec)
		need *= 2;
	if (need > v->hcap) {
		free(v->hash);
		v->hash = xcalloc(need, sizeof(*v->hash));
		v->hcap = need;
	} else {
		memset(v->hash, 0, v->hcap * sizeof(*v->hash));
	}
	for (size_t i = 0; i < v->nrec; i++) {
		memcpy(&id, v->rec + i * v->vsize, sizeof(id));
		for (h = id_slot(v, id); v->hash[h];
		     h = (h + 1) & (v->hcap - 1))
			;
		v->hash[h] = i + 1;
	}
}

static void walk_failed(struct vview *v, int err)
{
	const char *why = strerror(-err);

	if (err == -E2BIG)
		why = "a chain of cgroups below --root too deep to walk in "
		      "runs";
	if (err == -EPROTO) {
		why = "an older cgview loaded it; `cgview load` it again";
		v->old = true;
	}
	warn_once(v->file,
		  "bulk read: the records of %s: %s; it is read per file "
		  "(reported once)",
		  v->file, why);
}

/* One view's records of RUN, one walker at a time (flock on its pin
 * directory): while another one walks (a second exporter, cgview dump),
 * its files are read instead. A run whose start, and the cgroup after
 * its subtree, were removed since the exporter's walk (-ESTALE) has no
 * records: its cgroups are read per file.
 */
static void view_run(struct vview *v, const struct bulk_run *run)
{
	int err;

	v->ok = false;
	if (flock(v->dir, LOCK_EX | LOCK_NB))
		return;
	err = walk_run(v, run);
	flock(v->dir, LOCK_UN);
	if (err) {
		if (err != -ESTALE)
			walk_failed(v, err);
		return;
	}
	index_records(v);
	v->next = 0;
	v->ok = true;
}

/* A scrape begins: the views loaded now; those a cgroup had last time
 * are walked in its runs
 */
void viewrecs_scan(struct viewrecs *vr)
{
	views_scan(vr);
	for (size_t i = 0; i < vr->n; i++) {
		/* a view no cgroup had last time: its files, if any now */
		vr->v[i].walk = vr->v[i].wanted && !vr->v[i].old;
		vr->v[i].wanted = false;
		vr->v[i].ok = false;
	}
}

/* The records of RUN's cgroups, of each view walked in this scrape */
void viewrecs_run(struct viewrecs *vr, const struct bulk_run *run)
{
	for (size_t i = 0; i < vr->n; i++)
		if (vr->v[i].walk)
			view_run(&vr->v[i], run);
}

/* View FILE (bpf.NAME) if it has records, else NULL */
struct vview *viewrecs_view(struct viewrecs *vr, const char *file)
{
	/* each cgroup's mirror lists its views in the same order: the one
	 * after the view found last first
	 */
	for (size_t k = 0; k < vr->n; k++) {
		size_t i = (vr->hint + k) % vr->n;

		if (!strcmp(vr->v[i].file, file)) {
			vr->hint = i + 1;
			return &vr->v[i];
		}
	}
	return NULL;
}

/* The value of cgroup ID in V's walk; NULL: none. The cgroups come in
 * the standard walk's order, which is the views' walks' as a rule: the
 * record after the one found last is looked at first, then the index.
 */
const uint8_t *viewrecs_record(struct vview *v, uint64_t id)
{
	__u64 got;

	if (!v->ok)
		return NULL;
	if (v->next < v->nrec) {
		memcpy(&got, v->rec + v->next * v->vsize, sizeof(got));
		if (got == id)
			return v->rec + v->next++ * v->vsize;
	}
	for (__u32 h = id_slot(v, id); v->hash[h];
	     h = (h + 1) & (v->hcap - 1)) {
		memcpy(&got, v->rec + (v->hash[h] - 1) * v->vsize, sizeof(got));
		if (got == id) {
			v->next = v->hash[h];
			return v->rec + (v->hash[h] - 1) * v->vsize;
		}
	}
	return NULL;
}
