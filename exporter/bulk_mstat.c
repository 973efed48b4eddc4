// SPDX-License-Identifier: GPL-2.0
/* memory.stat's keys as the kernel's stat items and vm events: which
 * slots of memcg->vmstats (struct bulk_rec) hold each key's value, by the
 * key's name, the item names of mm/memcontrol.c and the kernel's BTF
 * enums, and in which unit memory.stat prints it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "exporter.h"

/* memory.stat: memory_stats[] of mm/memcontrol.c (stat items), then
 * "slab", "pgscan", "pgsteal" and memcg_vm_event_stat[] (vm events, their
 * enum names in upper case, but for the NUMA ones)
 */
static const char *const mstat_items[][2] = {
	{ "anon", "NR_ANON_MAPPED" },
	{ "file", "NR_FILE_PAGES" },
	{ "kernel", "MEMCG_KMEM" },
	{ "kernel_stack", "NR_KERNEL_STACK_KB" },
	{ "pagetables", "NR_PAGETABLE" },
	{ "sec_pagetables", "NR_SECONDARY_PAGETABLE" },
	{ "percpu", "MEMCG_PERCPU_B" },
	{ "sock", "MEMCG_SOCK" },
	{ "vmalloc", "MEMCG_VMALLOC" },
	{ "shmem", "NR_SHMEM" },
	{ "zswap", "MEMCG_ZSWAP_B" },
	{ "zswapped", "MEMCG_ZSWAPPED" },
	{ "file_mapped", "NR_FILE_MAPPED" },
	{ "file_dirty", "NR_FILE_DIRTY" },
	{ "file_writeback", "NR_WRITEBACK" },
	{ "swapcached", "NR_SWAPCACHE" },
	{ "anon_thp", "NR_ANON_THPS" },
	{ "file_thp", "NR_FILE_THPS" },
	{ "shmem_thp", "NR_SHMEM_THPS" },
	{ "inactive_anon", "NR_INACTIVE_ANON" },
	{ "active_anon", "NR_ACTIVE_ANON" },
	{ "inactive_file", "NR_INACTIVE_FILE" },
	{ "active_file", "NR_ACTIVE_FILE" },
	{ "unevictable", "NR_UNEVICTABLE" },
	{ "slab_reclaimable", "NR_SLAB_RECLAIMABLE_B" },
	{ "slab_unreclaimable", "NR_SLAB_UNRECLAIMABLE_B" },
	{ "hugetlb", "NR_HUGETLB" },
	{ "workingset_refault_anon", "WORKINGSET_REFAULT_ANON" },
	{ "workingset_refault_file", "WORKINGSET_REFAULT_FILE" },
	{ "workingset_activate_anon", "WORKINGSET_ACTIVATE_ANON" },
	{ "workingset_activate_file", "WORKINGSET_ACTIVATE_FILE" },
	{ "workingset_restore_anon", "WORKINGSET_RESTORE_ANON" },
	{ "workingset_restore_file", "WORKINGSET_RESTORE_FILE" },
	{ "workingset_nodereclaim", "WORKINGSET_NODERECLAIM" },
	{ "pgdemote_kswapd", "PGDEMOTE_KSWAPD" },
	{ "pgdemote_direct", "PGDEMOTE_DIRECT" },
	{ "pgdemote_khugepaged", "PGDEMOTE_KHUGEPAGED" },
	{ "pgpromote_success", "PGPROMOTE_SUCCESS" },
};

static const char *const mstat_renamed[][2] = {
	{ "numa_pages_migrated", "NUMA_PAGE_MIGRATE" },
	{ "numa_pte_updates", "NUMA_PTE_UPDATES" },
	{ "numa_hint_faults", "NUMA_HINT_FAULTS" },
};

enum mkind { MK_STATE, MK_EVENTS };

/* A key of memory.stat: the sum of up to four stat items or events */
struct mkey {
	char key[40];
	enum mkind kind;
	int item[4], n;
	long unit;
};

struct mstat_keys {
	struct btf *btf; /* while keys are being resolved */
	long page;
	struct mkey keys[MSTAT_MAX];
	size_t n;
};

struct mstat_keys *mstat_new(long page)
{
	struct mstat_keys *mk = xcalloc(1, sizeof(*mk));

	mk->page = page;
	return mk;
}

/* The kernel's BTF is megabytes: kept only while keys are learned */
void mstat_forget_btf(struct mstat_keys *mk)
{
	btf__free(mk->btf);
	mk->btf = NULL;
}

/* The value of enumerator NAME of the kernel's enum TYPE, or -1 */
static int enum_value(const struct mstat_keys *mk, const char *type,
		      const char *name)
{
	int id = mk->btf ?
			 btf__find_by_name_kind(mk->btf, type, BTF_KIND_ENUM) :
			 -1;
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(mk->btf, id);
	const struct btf_enum *e = t ? btf_enum(t) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++, e++)
		if (!strcmp(btf__name_by_offset(mk->btf, e->name_off), name))
			return e->val;
	return -1;
}

static int stat_item(const struct mstat_keys *mk, const char *name)
{
	int v = enum_value(mk, "node_stat_item", name);

	return v >= 0 ? v : enum_value(mk, "memcg_stat_item", name);
}

/* memcg_page_state_output_unit() */
static long stat_unit(const struct mstat_keys *mk, const char *item)
{
	size_t n = strlen(item);

	if (n > 2 && !strcmp(item + n - 2, "_B"))
		return 1;
	if (!strcmp(item, "NR_KERNEL_STACK_KB"))
		return 1024;
	if (!strncmp(item, "WORKINGSET_", 11) ||
	    !strncmp(item, "PGDEMOTE_", 9) ||
	    !strcmp(item, "PGPROMOTE_SUCCESS"))
		return 1;
	return mk->page;
}

/* K->key's events: pgscan and pgsteal sum their kinds */
static bool mkey_events(const struct mstat_keys *mk, struct mkey *k)
{
	static const char *const kinds[] = { "KSWAPD", "DIRECT", "KHUGEPAGED",
					     "PROACTIVE" };
	char name[64];
	int v;

	k->kind = MK_EVENTS;
	if (!strcmp(k->key, "pgscan") || !strcmp(k->key, "pgsteal")) {
		for (size_t i = 0; i < 4; i++) {
			snprintf(name, sizeof(name), "%s_%s",
				 k->key[3] == 's' ? "PGSCAN" : "PGSTEAL",
				 kinds[i]);
			v = enum_value(mk, "vm_event_item", name);
			if (v >= 0)
				k->item[k->n++] = v;
		}
		return k->n >= 3;
	}
	snprintf(name, sizeof(name), "%s", k->key);
	for (size_t i = 0; i < sizeof(mstat_renamed) / sizeof(*mstat_renamed);
	     i++)
		if (!strcmp(k->key, mstat_renamed[i][0]))
			snprintf(name, sizeof(name), "%s", mstat_renamed[i][1]);
	for (char *c = name; *c; c++)
		*c = *c >= 'a' && *c <= 'z' ? *c - 32 : *c;
	k->item[0] = enum_value(mk, "vm_event_item", name);
	k->n = 1;
	return k->item[0] >= 0;
}

/* K->key as the stat items or events memory.stat sums for it */
static bool mkey_resolve(const struct mstat_keys *mk, struct mkey *k)
{
	k->kind = MK_STATE;
	k->n = 1;
	if (!strcmp(k->key, "slab")) {
		k->item[0] = stat_item(mk, "NR_SLAB_RECLAIMABLE_B");
		k->item[1] = stat_item(mk, "NR_SLAB_UNRECLAIMABLE_B");
		k->n = 2;
		k->unit = 1;
		return k->item[0] >= 0 && k->item[1] >= 0;
	}
	for (size_t i = 0; i < sizeof(mstat_items) / sizeof(*mstat_items);
	     i++) {
		if (strcmp(k->key, mstat_items[i][0]))
			continue;
		k->item[0] = stat_item(mk, mstat_items[i][1]);
		k->unit = stat_unit(mk, mstat_items[i][1]);
		return k->item[0] >= 0;
	}
	k->n = 0;
	return mkey_events(mk, k);
}

/* The index of memory.stat's KEY, resolved once; -1 when the kernel's
 * tables (X) or its BTF do not say where its value is
 */
int mstat_key(struct mstat_keys *mk, const char *key, size_t len,
	      const struct bulk_index *x)
{
	struct mkey k = { 0 };

	if (len >= sizeof(k.key) || !x || !x->n_stats || !x->n_events)
		return -1;
	memcpy(k.key, key, len);
	for (size_t i = 0; i < mk->n; i++)
		if (!strcmp(mk->keys[i].key, k.key))
			return i;
	if (!mk->btf)
		mk->btf = btf__load_vmlinux_btf(); /* mstat_forget_btf() */
	if (mk->n == MSTAT_MAX || !mkey_resolve(mk, &k))
		return -1;
	mk->keys[mk->n] = k;
	return mk->n++;
}

/* memcg_page_state() and memcg_events() of key I through the kernel's
 * index X
 */
double mstat_value(const struct mstat_keys *mk, int i, const struct bulk_rec *r,
		   const struct bulk_index *x)
{
	const struct mkey *k = &mk->keys[i];
	uint64_t sum = 0;
	unsigned slot;

	for (int j = 0; j < k->n; j++) {
		if (k->kind == MK_EVENTS) {
			slot = (unsigned)k->item[j] < x->n_events ?
				       x->events[k->item[j]] :
				       255;
			sum += slot < BULK_MEVENTS ? r->mevents[slot] : 0;
			continue;
		}
		slot = (unsigned)k->item[j] < x->n_stats ?
			       x->stats[k->item[j]] :
			       255;
		if (slot < BULK_MSTATE && r->mstate[slot] > 0)
			sum += (uint64_t)r->mstate[slot] * k->unit;
	}
	return sum;
}
