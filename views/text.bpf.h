/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A view's text, made in a buffer on the stack and written with few
 * bpf_seq_write() calls:
 *
 *	struct text t = {};
 *
 *	text_line(seq, &t, "count", n);
 *	text_line(seq, &t, "total", sum);
 *	text_flush(seq, &t);
 *
 * prints "count N\ntotal N\n", as BPF_SEQ_PRINTF(seq, "count %llu\ntotal
 * %llu\n", n, sum) would, for less: a bpf_seq_printf() call costs about
 * 230 ns and each value in it 50 ns more on a host (the helper checks the
 * format and copies the values, then the kernel's vsnprintf formats them),
 * several times that under emulation, so that a histogram's 22 values,
 * a call each, made a view cost 1.7-2.4 times what cpu.stat does
 * (bench/README.md). Here a digit is a few instructions, and a
 * bpf_seq_write() of up to TEXT_SIZE bytes about 30 ns.
 */
#ifndef CGVIEW_TEXT_BPF_H
#define CGVIEW_TEXT_BPF_H

#define TEXT_SIZE 256 /* a power of 2: offsets are masked with it */
#define TEXT_U64_MAX 20 /* digits of 2^64 - 1 */

struct text {
	char buf[TEXT_SIZE];
	__u32 len;
};

/*
 * Appends v in decimal; the caller made room. A global function, so the
 * verifier checks it once, for any t->len, rather than once for each
 * length of each number before it in the view (which it would track
 * exactly, path by path).
 */
__noinline int text_u64(struct text *t, __u64 v)
{
	__u64 p = 10, q;
	__u32 n = 1, at;

	if (!t)
		return 0;
	for (int i = 0; i < TEXT_U64_MAX - 1 && v >= p; i++, n++)
		p *= 10; /* wraps after 10^19, the last one compared */
	at = t->len;
	for (int i = n - 1; i >= 0 && i < TEXT_U64_MAX; i--) {
		/* v / 10 by a multiplication, exact below 2^32 */
		q = v >> 32 ? v / 10 : (v * 0xCCCCCCCDULL) >> 35;
		t->buf[(at + i) & (TEXT_SIZE - 1)] = '0' + (v - q * 10);
		v = q;
	}
	t->len = at + n;
	return 0;
}

/*
 * Offsets into the buffer are masked for the verifier; barrier_var() keeps
 * clang from dropping a mask where it knows the offset is in bounds (after
 * text_room()) but the verifier does not.
 */
static __always_inline void text_flush(struct seq_file *seq, struct text *t)
{
	__u32 len = t->len;

	barrier_var(len);
	bpf_seq_write(seq, t->buf, len & (TEXT_SIZE - 1));
	t->len = 0;
}

/* Flushes T unless N more bytes fit. */
static __always_inline void text_room(struct seq_file *seq, struct text *t,
				      __u32 n)
{
	if (t->len > TEXT_SIZE - 1 - n)
		text_flush(seq, t);
}

/* Appends the N bytes at S (a constant string: the loop unrolls). */
static __always_inline void text_put(struct seq_file *seq, struct text *t,
				     const char *s, __u32 n)
{
	__u32 at;

	text_room(seq, t, n);
	at = t->len;
	barrier_var(at);
	for (__u32 i = 0; i < n; i++)
		t->buf[(at + i) & (TEXT_SIZE - 1)] = s[i];
	t->len = at + n;
}

#define text_str(seq, t, s) text_put(seq, t, s, sizeof(s) - 1)

/* Appends the constant string KEY and V in decimal. */
#define text_kv(seq, t, key, v)                                    \
	({                                                         \
		text_room(seq, t, sizeof(key) - 1 + TEXT_U64_MAX); \
		text_put(seq, t, key, sizeof(key) - 1);            \
		text_u64(t, v);                                    \
	})

/* Appends the line "KEY V\n", KEY a constant string. */
#define text_line(seq, t, key, v)            \
	({                                   \
		text_kv(seq, t, key " ", v); \
		text_put(seq, t, "\n", 1);   \
	})

#endif
