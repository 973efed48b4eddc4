/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log2 histograms for views, printed as SCHEMA.md's nested keyed buckets:
 *
 *	KEY 1024=N 2048=N ... 1073741824=N inf=N
 *
 * A value v lands in the first bucket whose bound 2^k has v <= 2^k; the
 * first bound is 2^HIST_MIN_SHIFT (everything smaller counts there), the
 * last 2^HIST_MAX_SHIFT; larger values count in inf.
 */
#ifndef CGVIEW_HIST_BPF_H
#define CGVIEW_HIST_BPF_H

#include "text.bpf.h"

#define HIST_MIN_SHIFT 10 /* 1024 ns, about 1 us */
#define HIST_MAX_SHIFT 30 /* about 1.07 s */
#define HIST_BUCKETS (HIST_MAX_SHIFT - HIST_MIN_SHIFT + 2)

struct log2_hist {
	__u64 bucket[HIST_BUCKETS];
};

/* The smallest k with v <= 2^k. */
static __always_inline __u32 log2_ceil(__u64 v)
{
	__u32 k = 0;

	if (v <= 1)
		return 0;
	v--;
	if (v >> 32) {
		k += 32;
		v >>= 32;
	}
	if (v >> 16) {
		k += 16;
		v >>= 16;
	}
	if (v >> 8) {
		k += 8;
		v >>= 8;
	}
	if (v >> 4) {
		k += 4;
		v >>= 4;
	}
	if (v >> 2) {
		k += 2;
		v >>= 2;
	}
	if (v >> 1) {
		k += 1;
		v >>= 1;
	}
	return k + (__u32)v;
}

static __always_inline void hist_add(struct log2_hist *h, __u64 v)
{
	__u32 k = log2_ceil(v);
	__u32 i;

	if (k < HIST_MIN_SHIFT)
		i = 0;
	else if (k > HIST_MAX_SHIFT)
		i = HIST_BUCKETS - 1;
	else
		i = k - HIST_MIN_SHIFT;
	if (i < HIST_BUCKETS)
		__sync_fetch_and_add(&h->bucket[i], 1);
}

static __always_inline __u64 hist_count(const struct log2_hist *h)
{
	__u64 n = 0;

	for (int i = 0; i < HIST_BUCKETS; i++)
		n += h->bucket[i];
	return n;
}

/* A record's copy of H's buckets */
static __always_inline void hist_copy(__u64 *to, const struct log2_hist *h)
{
	for (int i = 0; i < HIST_BUCKETS; i++)
		to[i] = h->bucket[i];
}

/* Appends " 1024=N ... inf=N\n" (text.bpf.h) after the caller's key:
 * BUCKET holds HIST_BUCKETS counts, as hist_copy() makes them.
 */
static __always_inline void hist_text(struct seq_file *seq, struct text *t,
				      const __u64 *bucket)
{
	_Static_assert(HIST_MIN_SHIFT == 10 && HIST_BUCKETS == 22,
		       "the keys below spell out the bounds");
	text_kv(seq, t, " 1024=", bucket[0]);
	text_kv(seq, t, " 2048=", bucket[1]);
	text_kv(seq, t, " 4096=", bucket[2]);
	text_kv(seq, t, " 8192=", bucket[3]);
	text_kv(seq, t, " 16384=", bucket[4]);
	text_kv(seq, t, " 32768=", bucket[5]);
	text_kv(seq, t, " 65536=", bucket[6]);
	text_kv(seq, t, " 131072=", bucket[7]);
	text_kv(seq, t, " 262144=", bucket[8]);
	text_kv(seq, t, " 524288=", bucket[9]);
	text_kv(seq, t, " 1048576=", bucket[10]);
	text_kv(seq, t, " 2097152=", bucket[11]);
	text_kv(seq, t, " 4194304=", bucket[12]);
	text_kv(seq, t, " 8388608=", bucket[13]);
	text_kv(seq, t, " 16777216=", bucket[14]);
	text_kv(seq, t, " 33554432=", bucket[15]);
	text_kv(seq, t, " 67108864=", bucket[16]);
	text_kv(seq, t, " 134217728=", bucket[17]);
	text_kv(seq, t, " 268435456=", bucket[18]);
	text_kv(seq, t, " 536870912=", bucket[19]);
	text_kv(seq, t, " 1073741824=", bucket[20]);
	text_kv(seq, t, " inf=", bucket[21]);
	text_str(seq, t, "\n");
}

#endif
