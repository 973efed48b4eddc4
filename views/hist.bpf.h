/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log2 histograms of times for views, printed as SCHEMA.md's nested keyed
 * buckets in ns:
 *
 *	KEY 953=N 1907=N 3814=N ... 500000000=N 1000000000=N inf=N
 *
 * Bucket bounds are powers of two seconds, 2^HIST_MIN_EXP s to
 * 2^HIST_MAX_EXP s, printed as whole ns: floor(1e9 * 2^e). A time of v ns
 * lands in the first bucket with v <= floor(1e9 * 2^e), which for whole ns
 * is v <= 2^e s exactly; the first bucket takes everything smaller, inf
 * everything larger. Powers of two seconds (rather than of ns) are the
 * buckets of Prometheus native and OpenTelemetry exponential histograms at
 * scale 0, so the exporter sends these without re-bucketing.
 */
#ifndef CGVIEW_HIST_BPF_H
#define CGVIEW_HIST_BPF_H

#include "text.bpf.h"

#define HIST_MIN_EXP (-20) /* 2^-20 s: 953 ns */
#define HIST_MAX_EXP 0 /* 1 s */
#define HIST_BUCKETS (HIST_MAX_EXP - HIST_MIN_EXP + 2)
#define HIST_NS_PER_S 1000000000ULL /* about 2^30 */

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

/* floor(1e9 * 2^E): bound 2^E s in whole ns, for -30 < E < 4 */
static __always_inline __u64 hist_bound(int e)
{
	return e >= 0 ? HIST_NS_PER_S << e : HIST_NS_PER_S >> -e;
}

/*
 * With k = log2_ceil(v), 2^(k-1) < v <= 2^k ns, and as 1e9 ns is
 * 2^30 * 0.93 ns, the bucket is 2^(k-30) s or the next one up.
 */
static __always_inline void hist_add(struct log2_hist *h, __u64 ns)
{
	int e = (int)log2_ceil(ns) - 30;
	__u32 i;

	if (e < HIST_MIN_EXP) {
		i = 0;
	} else if (e > HIST_MAX_EXP) {
		i = HIST_BUCKETS - 1;
	} else {
		if (ns > hist_bound(e))
			e++;
		i = e - HIST_MIN_EXP;
	}
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

/* Appends " 953=N ... inf=N\n" (text.bpf.h) after the caller's key:
 * BUCKET holds HIST_BUCKETS counts, as hist_copy() makes them.
 */
static __always_inline void hist_text(struct seq_file *seq, struct text *t,
				      const __u64 *bucket)
{
	_Static_assert(HIST_MIN_EXP == -20 && HIST_BUCKETS == 22,
		       "the keys below spell out the bounds");
	text_kv(seq, t, " 953=", bucket[0]);
	text_kv(seq, t, " 1907=", bucket[1]);
	text_kv(seq, t, " 3814=", bucket[2]);
	text_kv(seq, t, " 7629=", bucket[3]);
	text_kv(seq, t, " 15258=", bucket[4]);
	text_kv(seq, t, " 30517=", bucket[5]);
	text_kv(seq, t, " 61035=", bucket[6]);
	text_kv(seq, t, " 122070=", bucket[7]);
	text_kv(seq, t, " 244140=", bucket[8]);
	text_kv(seq, t, " 488281=", bucket[9]);
	text_kv(seq, t, " 976562=", bucket[10]);
	text_kv(seq, t, " 1953125=", bucket[11]);
	text_kv(seq, t, " 3906250=", bucket[12]);
	text_kv(seq, t, " 7812500=", bucket[13]);
	text_kv(seq, t, " 15625000=", bucket[14]);
	text_kv(seq, t, " 31250000=", bucket[15]);
	text_kv(seq, t, " 62500000=", bucket[16]);
	text_kv(seq, t, " 125000000=", bucket[17]);
	text_kv(seq, t, " 250000000=", bucket[18]);
	text_kv(seq, t, " 500000000=", bucket[19]);
	text_kv(seq, t, " 1000000000=", bucket[20]);
	text_kv(seq, t, " inf=", bucket[21]);
	text_str(seq, t, "\n");
}

#endif
