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

/* Print " 1024=N ... inf=N\n" after the caller printed the key. */
static __always_inline void hist_print(struct seq_file *seq,
				       const struct log2_hist *h)
{
	__u64 n;

	for (int i = 0; i < HIST_BUCKETS - 1; i++) {
		n = h ? h->bucket[i] : 0;
		BPF_SEQ_PRINTF(seq, " %llu=%llu", 1ULL << (i + HIST_MIN_SHIFT),
			       n);
	}
	n = h ? h->bucket[HIST_BUCKETS - 1] : 0;
	BPF_SEQ_PRINTF(seq, " inf=%llu\n", n);
}

#endif
