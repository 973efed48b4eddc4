// SPDX-License-Identifier: GPL-2.0
/* Schemas (views/SCHEMA.md): what type, unit and name each key of a file
 * has. Built-in ones (exporter/schemas/, the views) are compiled in;
 * --schemas DIR adds or replaces them at run time.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

#define MAX_UNKNOWN 256 /* undeclared keys kept per file */

struct unit {
	const char *name, *base, *suffixes[4];
	double div;
};

static const struct unit units[] = {
	{ "1", "1", { NULL }, 1 },
	{ "ns", "seconds", { "_ns", "_nsec", NULL }, 1e9 },
	{ "us", "seconds", { "_usec", "_us", NULL }, 1e6 },
	{ "ms", "seconds", { "_msec", "_ms", NULL }, 1e3 },
	{ "s", "seconds", { "_sec", "_s", "_seconds", NULL }, 1 },
	{ "bytes", "bytes", { "_bytes", NULL }, 1 },
	{ "pages", "pages", { "_pages", NULL }, 1 },
	{ "percent", "ratio", { "_percent", "_pct", NULL }, 100 },
};

static const struct unit *unit_find(const char *name)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(units[i].name, name))
			return &units[i];
	return NULL;
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p) {
		perror("cgview-exporter");
		exit(EXIT_RUNTIME);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	return strcpy(xmalloc(strlen(s) + 1), s);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && !strcmp(s + n - k, suffix);
}

static void strip_suffix(char *s, const char *suffix)
{
	if (ends_with(s, suffix))
		s[strlen(s) - strlen(suffix)] = '\0';
}

/* cpu.stat -> cgroup_cpu, cgroup.stat -> cgroup, bpf.sched_wait ->
 * cgview_sched_wait
 */
static char *file_prefix(const char *file)
{
	char *p = xmalloc(strlen(file) + 16), *c, *stat;

	if (!strncmp(file, "bpf.", 4))
		sprintf(p, "cgview_%s", file + 4);
	else if (!strcmp(file, "exporter"))
		strcpy(p, "cgview_exporter");
	else
		sprintf(p, "cgroup_%s",
			strncmp(file, "cgroup.", 7) ? file : file + 7);
	for (c = p; *c; c++)
		if (!isalnum((unsigned char)*c))
			*c = '_';
	stat = strstr(p, "_stat");
	if (stat && (stat[5] == '\0' || stat[5] == '_'))
		memmove(stat, stat + 5, strlen(stat + 5) + 1);
	return p;
}

/* The Prometheus name of KEY: prefix, key without its unit, base unit,
 * _total for counters.
 */
static char *metric_name(const char *prefix, const char *key,
			 const struct unit *u, enum mtype type)
{
	size_t n = strlen(prefix) + strlen(key) + 32;
	char *name = xmalloc(n), *part, *c;

	part = name + sprintf(name, "%s_", prefix);
	strcpy(part, key[0] == '*' ? key + 2 : strcmp(key, ".") ? key : "");
	for (c = part; *c; c++)
		if (!isalnum((unsigned char)*c))
			*c = '_';
	for (int i = 0; u->suffixes[i]; i++)
		strip_suffix(part, u->suffixes[i]);
	if (type == MT_COUNTER)
		strip_suffix(part, "_total");
	if (!*part)
		part[-1] = '\0';
	/* rbytes_total, not rbytes_bytes_total */
	if (strcmp(u->base, "1") && !ends_with(part, u->base))
		sprintf(name + strlen(name), "_%s", u->base);
	if (type == MT_COUNTER)
		strcat(name, "_total");
	return name;
}

static struct smetric *new_metric(struct schema *s, const char *key,
				  enum mtype type, const struct unit *u,
				  const char *help)
{
	struct smetric *m = xmalloc(sizeof(*m));

	m->key = xstrdup(key);
	m->keylen = strlen(key);
	m->key_out = name_plain(key, m->keylen) ? m->key : name_escape_dup(key);
	m->type = type;
	m->unit = xstrdup(u->base);
	m->div = u->div;
	m->help = name_escape_dup(help);
	m->name = metric_name(s->prefix, key, u, type);
	m->label = key[0] == '*' ? s->label : NULL;
	m->file = s->file;
	return m;
}

static void free_metric(struct smetric *m)
{
	if (m->key_out != m->key)
		free(m->key_out);
	free(m->key), free(m->unit), free(m->help), free(m->name), free(m);
}

/* M joins S (and takes its names) */
static struct smetric *add_metric(struct schemas *ss, struct schema *s,
				  struct smetric *m)
{
	m->id = ss->nids++;
	ss->byid = grow(ss->byid, &ss->cap_byid, ss->nids, sizeof(*ss->byid));
	ss->byid[m->id] = m;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->m = realloc(s->m, s->cap * sizeof(*s->m));
		if (!s->m)
			exit(EXIT_RUNTIME);
	}
	s->m[s->n++] = m;
	if (m->type == MT_HISTOGRAM)
		s->has_hist = true;
	name_claim(ss, m);
	return m;
}

static struct schema *schema_new(struct schemas *ss, const char *file)
{
	struct schema *s = schema_find(ss, file);

	if (s) { /* a later schema of the same file replaces the earlier one */
		for (size_t i = 0; i < s->n; i++) {
			ss->byid[s->m[i]->id] = NULL;
			name_release(ss, s->m[i]);
		}
		s->n = s->unknown = s->hint = 0;
	} else {
		s = xmalloc(sizeof(*s));
		s->file = name_escape_dup(file);
		s->filelen = strlen(s->file);
		s->prefix = file_prefix(file);
		ss->s = realloc(ss->s, (ss->n + 1) * sizeof(*ss->s));
		if (!ss->s)
			exit(EXIT_RUNTIME);
		ss->s[ss->n++] = s;
	}
	s->has_hist = false;
	return s;
}

/* FILE is a name as read (the schemas hold it escaped) */
struct schema *schema_find(struct schemas *ss, const char *file)
{
	char *esc = name_plain(file, strlen(file)) ? NULL :
						     name_escape_dup(file);
	struct schema *found = NULL;

	for (size_t i = 0; i < ss->n && !found; i++)
		if (!strcmp(ss->s[i]->file, esc ? esc : file))
			found = ss->s[i];
	free(esc);
	return found;
}

struct schema *schema_for_unknown_file(struct schemas *ss, const char *file)
{
	struct schema *s = schema_find(ss, file);

	return s ? s : schema_new(ss, file);
}

struct smetric *schema_get(struct schema *s, const char *key, size_t len)
{
	size_t i;

	/* files print their keys in a fixed order: try the next one first */
	for (size_t k = 0; k < s->n; k++) {
		i = (s->hint + k) % s->n;
		if (s->m[i]->keylen == len && !memcmp(s->m[i]->key, key, len)) {
			s->hint = i + 1;
			return s->m[i];
		}
	}
	return NULL;
}

/* An undeclared key's metric takes NAME_2... if its name is taken */
static struct smetric *add_unknown(struct schemas *ss, struct schema *s,
				   struct smetric *m)
{
	m->clash = name_owner(ss, m);
	if (m->clash) {
		name_rename(ss, m);
		ss->renamed++;
	}
	return add_metric(ss, s, m);
}

/* KEY's metric; a key the schema lacks becomes a gauge of unit 1 */
struct smetric *schema_lookup(struct schemas *ss, struct schema *s,
			      const char *key, size_t len, bool *added)
{
	struct smetric *m = schema_get(s, key, len);
	char tmp[256];

	*added = false;
	if (m || len >= sizeof(tmp) || s->unknown >= MAX_UNKNOWN)
		return m;
	memcpy(tmp, key, len);
	tmp[len] = '\0';
	m = add_unknown(ss, s,
			new_metric(s, tmp, MT_GAUGE, &units[0],
				   "Not declared by the file's schema"));
	s->unknown++;
	*added = true;
	return m;
}

static void link_sums(struct schema *s)
{
	char key[300];

	for (size_t i = 0; i < s->n; i++) {
		if (s->m[i]->type != MT_HISTOGRAM)
			continue;
		snprintf(key, sizeof(key), "%s_sum", s->m[i]->key);
		s->m[i]->sum = schema_get(s, key, strlen(key));
		if (s->m[i]->sum)
			s->m[i]->sum->sum_of = s->m[i];
	}
}

static const char *parse_type(const char *t, enum mtype *type)
{
	if (!strcmp(t, "counter"))
		*type = MT_COUNTER;
	else if (!strcmp(t, "gauge"))
		*type = MT_GAUGE;
	else if (!strcmp(t, "histogram"))
		*type = MT_HISTOGRAM;
	else
		return "unknown type '%s' (counter, gauge or histogram)";
	return NULL;
}

/* A Prometheus label name that is not one of ours */
static bool good_label(const char *l)
{
	if (!strcmp(l, "cgroup") || !strcmp(l, "le") || !strncmp(l, "__", 2))
		return false;
	for (const char *c = l; *c; c++)
		if (!(isalpha((unsigned char)*c) || *c == '_' ||
		      (c > l && isdigit((unsigned char)*c))))
			return false;
	return *l;
}

/* A metric line: NULL, or what is wrong (a format for *ARG) */
static const char *metric_line(struct schemas *ss, struct schema *cur, char **f,
			       const struct unit *u, enum mtype type,
			       const char **arg)
{
	static char msg[1024];
	struct smetric *m, *owner;

	*arg = f[0];
	if (f[0][0] == '*' && !cur->label)
		return "a '*' key needs a 'label NAME' line first";
	if (schema_get(cur, f[0], strlen(f[0])))
		return "key '%s' is declared twice for this file";
	m = new_metric(cur, f[0], type, u, f[3]);
	owner = name_owner(ss, m);
	if (owner) {
		snprintf(msg, sizeof(msg),
			 "key '%s' of %s would be named %s, which clashes with "
			 "key '%s' of %s (%s); rename one of them",
			 m->key_out, cur->file, m->name, owner->key_out,
			 owner->file, owner->name);
		free_metric(m);
		*arg = msg;
		return "%s";
	}
	add_metric(ss, cur, m)->known = true;
	return NULL;
}

/* One line, already split: "file NAME", "label NAME" or a metric */
static const char *schema_line(struct schemas *ss, struct schema **cur,
			       char **f, int nf, const char **arg)
{
	const struct unit *u;
	enum mtype type;
	const char *why;

	*arg = f[0];
	if (!strcmp(f[0], "file") && nf == 2) {
		*cur = schema_new(ss, f[1]);
		return NULL;
	}
	if (!*cur)
		return "'%s' before any 'file NAME' line";
	if (!strcmp(f[0], "label") && nf == 2) {
		*arg = f[1];
		if (!good_label(f[1]))
			return "label '%s': want [a-zA-Z_][a-zA-Z0-9_]*, not "
			       "cgroup, le or __*";
		(*cur)->label = xstrdup(f[1]);
		return NULL;
	}
	if (nf < 4)
		return "'%s': want KEY TYPE UNIT HELP...";
	*arg = f[1];
	why = parse_type(f[1], &type);
	if (why)
		return why;
	*arg = f[2];
	u = unit_find(f[2]);
	if (!u)
		return "unknown unit '%s' (1 ns us ms s bytes pages percent)";
	return metric_line(ss, *cur, f, u, type, arg);
}

/* Split LINE in place: up to 3 fields, then the rest (HELP) as the 4th */
static int split(char *line, char **f)
{
	int n = 0;
	char *p = line;

	while (n < 4) {
		p += strspn(p, " \t");
		if (!*p || *p == '#')
			break;
		f[n++] = p;
		if (n == 4)
			break;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
	}
	return n;
}

int schemas_parse(struct schemas *ss, const char *text, const char *origin)
{
	char *copy = xstrdup(text), *line, *save = NULL;
	struct schema *cur = NULL;
	const char *why = NULL, *arg = NULL;
	int lineno = 0, nf;
	char *f[4];

	for (line = copy; line; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		nf = split(line, f);
		if (nf && (why = schema_line(ss, &cur, f, nf, &arg)))
			break;
	}
	if (why) {
		fprintf(stderr, "cgview-exporter: %s:%d: ", origin, lineno);
		fprintf(stderr, why, arg);
		fprintf(stderr, "; see views/SCHEMA.md\n");
	}
	free(copy);
	for (size_t i = 0; i < ss->n; i++)
		link_sums(ss->s[i]);
	return why ? -1 : 0;
}

static int load_file(struct schemas *ss, const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (!f) {
		fprintf(stderr, "cgview-exporter: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	ret = getdelim(&text, &len, '\0', f) < 0 && ferror(f) ? -1 : 0;
	fclose(f);
	if (!ret)
		ret = schemas_parse(ss, text ? text : "", path);
	free(text);
	return ret;
}

static int is_schema(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 7 && !strcmp(d->d_name + n - 7, ".schema");
}

/* Every DIR/x.schema, in name order */
int schemas_load_dir(struct schemas *ss, const char *dir)
{
	struct dirent **list;
	char path[4096];
	int n, ret = 0;

	n = scandir(dir, &list, is_schema, alphasort);
	if (n < 0) {
		fprintf(stderr, "cgview-exporter: --schemas %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (!ret && load_file(ss, path))
			ret = -1;
		free(list[i]);
	}
	free(list);
	return ret;
}

int schemas_builtin(struct schemas *ss)
{
	return schemas_parse(ss, builtin_schemas, "built-in schemas");
}
