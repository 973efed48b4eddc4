// SPDX-License-Identifier: GPL-2.0
/* --listen ADDR:PORT: the last snapshot in the Prometheus text format at
 * /metrics, served by libmicrohttpd's own thread. The text is kept gzip
 * compressed (zlib) as it is encoded, 64 KiB at a time: Prometheus asks for
 * gzip and gets it as is; other clients get it inflated as it is sent.
 * 10,000 cgroups make about 25 MB of text, a tenth of that compressed.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "exporter.h"

#define GZIP_WINDOW (15 + 16) /* deflate/inflate with a gzip wrapper */
#define CHUNK 65536
#define TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct listener {
	struct MHD_Daemon *d;
	pthread_mutex_t mu;
	struct buf served; /* gzip of the published text */
	struct buf next; /* gzip of the text being encoded */
	struct buf text; /* text not yet compressed */
	z_stream z;
};

/* Compress what TEXT holds into l->next */
static void deflate_text(struct listener *l, int flush)
{
	l->z.next_in = (Bytef *)l->text.p;
	l->z.avail_in = l->text.len;
	do {
		l->next.p =
			grow(l->next.p, &l->next.cap, l->next.len + CHUNK, 1);
		l->z.next_out = (Bytef *)l->next.p + l->next.len;
		l->z.avail_out = l->next.cap - l->next.len;
		deflate(&l->z, flush);
		l->next.len = l->next.cap - l->z.avail_out;
	} while (l->z.avail_in || (flush == Z_FINISH && !l->z.avail_out));
	l->text.len = 0;
}

static void drain(struct buf *b, void *ctx)
{
	(void)b;
	deflate_text(ctx, Z_NO_FLUSH);
}

/* Where the encoder writes the next snapshot's text */
struct buf *listen_text(struct listener *l)
{
	deflateReset(&l->z);
	l->next.len = l->text.len = 0;
	return &l->text;
}

/* Serve the text written since listen_text() from now on */
void listen_publish(struct listener *l)
{
	struct buf old;

	deflate_text(l, Z_FINISH);
	pthread_mutex_lock(&l->mu);
	old = l->served;
	l->served = l->next;
	pthread_mutex_unlock(&l->mu);
	l->next = old;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned int code,
			       struct MHD_Response *r, const char *encoding)
{
	enum MHD_Result ret;

	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				code == MHD_HTTP_OK ? TEXT_TYPE : "text/plain");
	if (encoding)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
					encoding);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     const char *text)
{
	return respond(c, code,
		       MHD_create_response_from_buffer(strlen(text),
						       (void *)text,
						       MHD_RESPMEM_PERSISTENT),
		       NULL);
}

struct reader {
	z_stream z;
	char *gz;
};

static ssize_t inflate_chunk(void *cls, uint64_t pos, char *out, size_t max)
{
	struct reader *r = cls;
	int ret;

	(void)pos;
	r->z.next_out = (Bytef *)out;
	r->z.avail_out = max;
	ret = inflate(&r->z, Z_NO_FLUSH);
	if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (max == r->z.avail_out)
		return ret == Z_STREAM_END ? MHD_CONTENT_READER_END_OF_STREAM :
					     MHD_CONTENT_READER_END_WITH_ERROR;
	return max - r->z.avail_out;
}

static void reader_free(void *cls)
{
	struct reader *r = cls;

	inflateEnd(&r->z);
	free(r->gz);
	free(r);
}

/* GZ (LEN bytes, owned by the response) to a client without gzip */
static enum MHD_Result send_inflated(struct MHD_Connection *c, char *gz,
				     size_t len)
{
	struct reader *r = xcalloc(1, sizeof(*r));

	r->gz = gz;
	r->z.next_in = (Bytef *)gz;
	r->z.avail_in = len;
	if (inflateInit2(&r->z, GZIP_WINDOW) != Z_OK) {
		free(gz);
		free(r);
		return MHD_NO;
	}
	return respond(c, MHD_HTTP_OK,
		       MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
							 CHUNK, inflate_chunk,
							 r, reader_free),
		       NULL);
}

static bool takes_gzip(struct MHD_Connection *c)
{
	const char *enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      "Accept-Encoding");

	return enc && strstr(enc, "gzip");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	char *gz;
	size_t len;

	(void)version, (void)upload, (void)upload_size, (void)con_cls;
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "try /metrics\n");
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics\n");
	pthread_mutex_lock(&l->mu);
	len = l->served.len;
	gz = malloc(len + 1);
	if (gz)
		memcpy(gz, l->served.p ? l->served.p : "", len);
	pthread_mutex_unlock(&l->mu);
	if (!gz)
		return MHD_NO;
	if (!len) { /* before the first snapshot */
		free(gz);
		return reply(c, MHD_HTTP_OK, "");
	}
	if (!takes_gzip(c))
		return send_inflated(c, gz, len);
	return respond(c, MHD_HTTP_OK,
		       MHD_create_response_from_buffer(len, gz,
						       MHD_RESPMEM_MUST_FREE),
		       "gzip");
}

/* ADDR:PORT, ADDR an IPv4 address (0.0.0.0 for every interface) */
static int parse_addr(const char *spec, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	char *end;
	long port;

	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(host))
		return -1;
	memcpy(host, spec, colon - spec);
	host[colon - spec] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 1 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

int listen_check(const char *spec)
{
	struct sockaddr_in sa;

	return parse_addr(spec, &sa);
}

struct listener *listen_start(const char *spec)
{
	struct listener *l = xcalloc(1, sizeof(*l));
	struct sockaddr_in sa;

	if (parse_addr(spec, &sa) ||
	    deflateInit2(&l->z, Z_BEST_SPEED, Z_DEFLATED, GZIP_WINDOW, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->mu, NULL);
	l->text.drain = drain;
	l->text.ctx = l;
	l->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				handle, l, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_END);
	if (!l->d) {
		deflateEnd(&l->z);
		free(l);
		return NULL;
	}
	return l;
}

void listen_stop(struct listener *l)
{
	MHD_stop_daemon(l->d);
	deflateEnd(&l->z);
	free(l->served.p);
	free(l->next.p);
	free(l->text.p);
	free(l);
}
