/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Statistics by cgroup id, for recorders that have no trusted struct cgroup
 * at hand (an I/O completion in interrupt context, a socket's cgroup, which
 * the verifier does not trust) and so cannot use cgroup local storage:
 *
 *	CGID_STATS(net_by_cgroup, struct net_stats);
 *	struct net_stats *st = net_by_cgroup_get(cgrp, true);
 *
 * Each cgroup with statistics has a slot in an array (NAME_slots), found
 * by its cgroup id in a hash (NAME). NAME_get() finds (and with CREATE,
 * makes) a cgroup's statistics. It goes through a per-CPU note of the
 * cgroup found last and its slot (NAME_note), so that a run of one
 * cgroup's events does no hash lookup; a note that does not hold (its
 * slot given to another cgroup since, or the note left half written by a
 * program that was interrupted) is
 * found out by the slot's owner and made again. Views read with
 * NAME_read(), through the hash alone: a view may not write to maps, the
 * note included. A recorder that meets the same request twice can note
 * the slot number the first time (NAME_find()) and go straight to the
 * slot the second time (NAME_at()); the slot names the cgroup it belongs
 * to, so a slot given to another cgroup since is never mistaken for the
 * first one's. Such a recorder may find the slot with NAME_slot_of(),
 * which takes the note on trust and so does not read the slot at all
 * (its cache line is the one the second event writes, often on another
 * CPU): a stale note is found out by NAME_at() then. That needs a note
 * that no other program writes: NAME_slot_of() in one program only (a
 * program never runs nested in itself on one CPU, so its note cannot be
 * left half written), not with NAME_get() or NAME_find().
 *
 * A program on cgroup_rmdir deletes the cgroup's entry and gives its
 * slot back, cleared, to a queue of free slots (NAME_free) that new
 * cgroups take from first, oldest first. An entry is made only for a
 * cgroup that is online, and deleted again if the cgroup went offline
 * while it was made, so that no entry outlives its cgroup. At most
 * CGID_STATS_MAX cgroups have statistics at a time; beyond that, the
 * events of further cgroups are not counted.
 */
#ifndef CGVIEW_CGID_STATS_BPF_H
#define CGVIEW_CGID_STATS_BPF_H

#define CGID_STATS_MAX 16384

/* A CPU's note of the last cgroup whose statistics it found, and where. */
struct cgid_note {
	__u64 cgroup_id;
	__u32 slot;
};

static __always_inline bool cgid_online(const struct cgroup *cgrp)
{
	return cgrp->self.flags & CSS_ONLINE;
}

#define CGID_STATS(name, vtype)                                                \
	struct name##_slot {                                                   \
		__u64 cgroup_id; /* whose, 0 while free */                     \
		vtype v;                                                       \
	};                                                                     \
                                                                               \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_ARRAY);                              \
		__uint(max_entries, CGID_STATS_MAX);                           \
		__type(key, __u32);                                            \
		__type(value, struct name##_slot);                             \
	} name##_slots SEC(".maps");                                           \
                                                                               \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_HASH);                               \
		__uint(map_flags, BPF_F_NO_PREALLOC);                          \
		__uint(max_entries, CGID_STATS_MAX);                           \
		__type(key, __u64);                                            \
		__type(value, __u32);                                          \
	} name SEC(".maps");                                                   \
                                                                               \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_QUEUE);                              \
		__uint(max_entries, CGID_STATS_MAX);                           \
		__type(value, __u32);                                          \
	} name##_free SEC(".maps");                                            \
                                                                               \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                       \
		__uint(max_entries, 1);                                        \
		__type(key, __u32);                                            \
		__type(value, struct cgid_note);                               \
	} name##_note SEC(".maps");                                            \
                                                                               \
	/* Slots from here to CGID_STATS_MAX were never used. */               \
	__u64 name##_unused;                                                   \
                                                                               \
	static const struct name##_slot name##_clear;                          \
                                                                               \
	/* The statistics in slot I, if it is still cgroup CGID's. */          \
	static __always_inline vtype *name##_at(__u32 i, __u64 cgid)           \
	{                                                                      \
		struct name##_slot *s =                                        \
			bpf_map_lookup_elem(&name##_slots, &i);                \
                                                                               \
		return s && s->cgroup_id == cgid ? &s->v : NULL;               \
	}                                                                      \
                                                                               \
	/* Slot I, cleared, back to the queue of free slots. */                \
	static __always_inline void name##_give(__u32 i)                       \
	{                                                                      \
		bpf_map_update_elem(&name##_slots, &i, &name##_clear, 0);      \
		bpf_map_push_elem(&name##_free, &i, 0);                        \
	}                                                                      \
                                                                               \
	/* Slot I for CGID, cleared again (a late completion may have added */ \
	/* to it since it was given back). */                                  \
	static __always_inline struct name##_slot *name##_take(__u32 *i,       \
							       __u64 cgid)     \
	{                                                                      \
		struct name##_slot *s;                                         \
		__u64 n;                                                       \
                                                                               \
		if (bpf_map_pop_elem(&name##_free, i)) {                       \
			n = __sync_fetch_and_add(&name##_unused, 1);           \
			if (n >= CGID_STATS_MAX)                               \
				return NULL;                                   \
			*i = n;                                                \
		}                                                              \
		bpf_map_update_elem(&name##_slots, i, &name##_clear, 0);       \
		s = bpf_map_lookup_elem(&name##_slots, i);                     \
		if (s)                                                         \
			s->cgroup_id = cgid;                                   \
		return s;                                                      \
	}                                                                      \
                                                                               \
	/* A slot for an online cgroup that had none, published by id. */      \
	static __always_inline vtype *name##_make(const struct cgroup *cgrp,   \
						  __u64 id, __u32 *slot)       \
	{                                                                      \
		struct name##_slot *s = name##_take(slot, id);                 \
		__u32 *i;                                                      \
                                                                               \
		if (!s)                                                        \
			return NULL;                                           \
		if (bpf_map_update_elem(&name, &id, slot, BPF_NOEXIST)) {      \
			name##_give(*slot); /* made meanwhile elsewhere */     \
			i = bpf_map_lookup_elem(&name, &id);                   \
			if (!i)                                                \
				return NULL;                                   \
			*slot = *i;                                            \
			return name##_at(*slot, id);                           \
		}                                                              \
		if (!cgid_online(cgrp)) {                                      \
			if (!bpf_map_delete_elem(&name, &id))                  \
				name##_give(*slot);                            \
			return NULL;                                           \
		}                                                              \
		return &s->v;                                                  \
	}                                                                      \
                                                                               \
	/* A cgroup's statistics and their slot (in *SLOT), by the hash. */    \
	static __always_inline vtype *name##_lookup(                           \
		const struct cgroup *cgrp, __u64 id, bool create, __u32 *slot) \
	{                                                                      \
		__u32 *i = bpf_map_lookup_elem(&name, &id);                    \
                                                                               \
		if (i) {                                                       \
			*slot = *i;                                            \
			return name##_at(*slot, id);                           \
		}                                                              \
		if (!create || !cgid_online(cgrp))                             \
			return NULL;                                           \
		return name##_make(cgrp, id, slot);                            \
	}                                                                      \
                                                                               \
	/* A cgroup's statistics and their slot, through this CPU's note. */   \
	static __always_inline vtype *name##_find(const struct cgroup *cgrp,   \
						  bool create, __u32 *slot)    \
	{                                                                      \
		struct cgid_note *n;                                           \
		__u32 zero = 0;                                                \
		__u64 id = cgrp->kn->id;                                       \
		vtype *v;                                                      \
                                                                               \
		n = bpf_map_lookup_elem(&name##_note, &zero);                  \
		if (!n)                                                        \
			return NULL;                                           \
		if (n->cgroup_id == id) {                                      \
			*slot = n->slot;                                       \
			v = name##_at(*slot, id);                              \
			if (v)                                                 \
				return v;                                      \
		}                                                              \
		v = name##_lookup(cgrp, id, create, slot);                     \
		if (v) {                                                       \
			n->cgroup_id = id;                                     \
			n->slot = *slot;                                       \
		}                                                              \
		return v;                                                      \
	}                                                                      \
                                                                               \
	/* The slot of cgroup ID's statistics (made if it has none), */        \
	/* through this CPU's note taken on trust; false: none. */             \
	static __always_inline __attribute__((unused)) bool name##_slot_of(    \
		const struct cgroup *cgrp, __u64 id, __u32 *slot)              \
	{                                                                      \
		struct cgid_note *n;                                           \
		__u32 zero = 0;                                                \
                                                                               \
		n = bpf_map_lookup_elem(&name##_note, &zero);                  \
		if (!n)                                                        \
			return false;                                          \
		if (n->cgroup_id == id) {                                      \
			*slot = n->slot;                                       \
			return true;                                           \
		}                                                              \
		if (!name##_lookup(cgrp, id, true, slot))                      \
			return false;                                          \
		n->cgroup_id = id;                                             \
		n->slot = *slot;                                               \
		return true;                                                   \
	}                                                                      \
                                                                               \
	static __always_inline __attribute__((unused))                         \
	vtype *name##_get(const struct cgroup *cgrp, bool create)              \
	{                                                                      \
		__u32 slot;                                                    \
                                                                               \
		return name##_find(cgrp, create, &slot);                       \
	}                                                                      \
                                                                               \
	/* A view's read: by the hash, without the note (a view may not */     \
	/* write to maps). */                                                  \
	static __always_inline vtype *name##_read(const struct cgroup *cgrp)   \
	{                                                                      \
		__u32 slot;                                                    \
                                                                               \
		return name##_lookup(cgrp, cgrp->kn->id, false, &slot);        \
	}                                                                      \
                                                                               \
	/* Ids are per hierarchy: only cgroup v2's (hierarchy 0) count. */     \
	SEC("tp_btf/cgroup_rmdir")                                             \
	int BPF_PROG(name##_rmdir, struct cgroup *cgrp)                        \
	{                                                                      \
		__u64 id = cgrp->kn->id;                                       \
		__u32 *i, slot;                                                \
                                                                               \
		if (cgrp->root->hierarchy_id != 0)                             \
			return 0;                                              \
		i = bpf_map_lookup_elem(&name, &id);                           \
		if (!i)                                                        \
			return 0;                                              \
		slot = *i;                                                     \
		if (!bpf_map_delete_elem(&name, &id))                          \
			name##_give(slot);                                     \
		return 0;                                                      \
	}

#endif
