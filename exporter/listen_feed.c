// SPDX-License-Identifier: GPL-2.0
/* One format's text for --listen: gzip compressed (zlib) as the encoder
 * writes it, 64 KiB at a time, then published for the responses to share.
 * 10,000 cgroups make about 25 MB of text, a tenth of that compressed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <zlib.h>

#include "exporter.h"

#define CHUNK 65536 /* gzip grows by this much */

void text_put(struct text *t)
{
	if (t && --t->refs == 0) {
		free(t->gz);
		free(t);
	}
}

/* Compress what F's text holds into f->next */
static void deflate_text(struct feed *f, int flush)
{
	f->z.next_in = (Bytef *)f->text.p;
	f->z.avail_in = f->text.len;
	do {
		f->next.p =
			grow(f->next.p, &f->next.cap, f->next.len + CHUNK, 1);
		f->z.next_out = (Bytef *)f->next.p + f->next.len;
		f->z.avail_out = f->next.cap - f->next.len;
		deflate(&f->z, flush);
		f->next.len = f->next.cap - f->z.avail_out;
	} while (f->z.avail_in || (flush == Z_FINISH && !f->z.avail_out));
	f->text.len = 0;
}

static void drain(struct buf *b, void *ctx)
{
	(void)b;
	deflate_text(ctx, Z_NO_FLUSH);
}

int feed_init(struct feed *f)
{
	*f = (struct feed){ .text = { .drain = drain, .ctx = f } };
	return deflateInit2(&f->z, Z_BEST_SPEED, Z_DEFLATED, GZIP_WINDOW, 8,
			    Z_DEFAULT_STRATEGY) == Z_OK ?
		       0 :
		       -1;
}

struct buf *feed_text(struct feed *f)
{
	deflateReset(&f->z);
	f->next.len = f->text.len = 0;
	f->written = true;
	return &f->text;
}

void feed_publish(struct feed *f, pthread_mutex_t *mu)
{
	struct text *t, *old;

	if (!f->written)
		return;
	f->written = false;
	deflate_text(f, Z_FINISH);
	t = xcalloc(1, sizeof(*t));
	t->refs = 1;
	t->len = f->next.len;
	t->gz = f->next.p;
	f->next = (struct buf){ 0 };
	pthread_mutex_lock(mu);
	old = f->served;
	f->served = t;
	pthread_mutex_unlock(mu);
	text_put(old);
}

struct text *feed_get(struct feed *f)
{
	if (f->served)
		f->served->refs++;
	return f->served;
}

void feed_end(struct feed *f)
{
	deflateEnd(&f->z);
	text_put(f->served);
	free(f->next.p);
	free(f->text.p);
}
