// SPDX-License-Identifier: GPL-2.0
/* --listen ADDR:PORT: the last snapshot at /metrics in the Prometheus
 * text format, OpenMetrics or the Prometheus protobuf format, whichever
 * the client's Accept weighs highest (listen_accept.c), served by
 * libmicrohttpd's own epoll thread. The text is kept gzip compressed
 * (listen_feed.c): Prometheus asks for gzip and gets it as is; other
 * clients get it inflated as it is sent.
 * Idle or slow clients cannot stop scrapes: connections are limited in
 * total and per client address; one whose request is not in within the
 * timeout is shut down by a sweeper thread, a response not sent within it
 * is cut.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "exporter.h"

#define BLOCK 16384 /* bytes a response sends at a time */
#define SNDBUF 65536 /* a response's socket buffer: sent soon, or cut */
#define SWEEP_NS 250000000L /* connections are checked this often */
#define TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define OM_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define PB_TYPE                             \
	"application/vnd.google.protobuf; " \
	"proto=io.prometheus.client.MetricFamily; encoding=delimited"

static const char *const content_types[NFMT] = {
	[FMT_TEXT] = TEXT_TYPE,
	[FMT_OPENMETRICS] = OM_TYPE,
	[FMT_PROTOBUF] = PB_TYPE,
};

/* An open connection, watched by the sweeper */
struct conn {
	int fd;
	double deadline; /* shut it down then, unless INFINITY */
	struct conn *prev, *next;
};

struct listener {
	struct MHD_Daemon *d;
	pthread_mutex_t mu; /* the feeds' served, conns, stopping */
	struct feed feed[NFMT]; /* each format's (enum fmt) */
	_Atomic bool asked[NFMT]; /* a client asked for that format */
	double timeout; /* seconds a response may take */
	struct conn *conns;
	pthread_t sweeper;
	pthread_cond_t cv;
	bool stopping;
};

/* Where the encoder writes the next snapshot in format F */
struct buf *listen_text(struct listener *l, enum fmt f)
{
	return feed_text(&l->feed[f]);
}

/* Does a client want format F? Formats other than the 0.0.4 text are
 * encoded only once one asked
 */
bool listen_wants(struct listener *l, enum fmt f)
{
	return f == FMT_TEXT || l->asked[f];
}

/* Serve the texts written since listen_text() from now on; responses
 * under way keep the text they started with
 */
void listen_publish(struct listener *l)
{
	for (int i = 0; i < NFMT; i++)
		feed_publish(&l->feed[i], &l->mu);
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned int code,
			       struct MHD_Response *r, const char *type,
			       const char *encoding)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
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
		       code == MHD_HTTP_OK ? TEXT_TYPE : "text/plain", NULL);
}

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One response: the gzip as is, or inflated for a client without gzip */
struct reader {
	struct text *t;
	size_t pos; /* gzip bytes sent as is */
	bool inflating;
	z_stream z;
	double deadline; /* cut the response then */
	int fd; /* the connection's socket */
};

static ssize_t inflate_chunk(struct reader *r, char *out, size_t max)
{
	int ret;

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

/* Close the connection with a reset: what its socket holds is not sent */
static ssize_t cut(struct reader *r)
{
	struct linger now = { 1, 0 };

	setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &now, sizeof(now));
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* The next bytes of the response; a client too slow to take it all
 * before the deadline is cut off
 */
static ssize_t send_chunk(void *cls, uint64_t pos, char *out, size_t max)
{
	struct reader *r = cls;
	size_t n;

	(void)pos;
	if (monotonic() > r->deadline)
		return cut(r);
	if (r->inflating)
		return inflate_chunk(r, out, max);
	n = r->t->len - r->pos < max ? r->t->len - r->pos : max;
	if (!n)
		return MHD_CONTENT_READER_END_OF_STREAM;
	memcpy(out, r->t->gz + r->pos, n);
	r->pos += n;
	return n;
}

static void reader_free(void *cls)
{
	struct reader *r = cls;

	if (r->inflating)
		inflateEnd(&r->z);
	text_put(r->t);
	free(r);
}

static bool takes_gzip(struct MHD_Connection *c)
{
	const char *enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      "Accept-Encoding");

	return enc && strstr(enc, "gzip");
}

/* T (a reference the response takes over) to client C, as TYPE */
static enum MHD_Result send_text(struct listener *l, struct MHD_Connection *c,
				 struct text *t, const char *type)
{
	struct reader *r = xcalloc(1, sizeof(*r));
	bool gzip = takes_gzip(c);
	int sndbuf = SNDBUF;
	struct MHD_Response *resp;

	*r = (struct reader){ .t = t,
			      .inflating = !gzip,
			      .deadline = monotonic() + l->timeout,
			      .fd = MHD_get_connection_info(
					    c,
					    MHD_CONNECTION_INFO_CONNECTION_FD)
					    ->connect_fd };
	/* a small buffer, so that a slow client is seen as slow soon */
	setsockopt(r->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	r->z.next_in = (Bytef *)t->gz;
	r->z.avail_in = t->len;
	if (!gzip && inflateInit2(&r->z, GZIP_WINDOW) != Z_OK) {
		text_put(t);
		free(r);
		return MHD_NO;
	}
	resp = MHD_create_response_from_callback(
		gzip ? t->len : MHD_SIZE_UNKNOWN, BLOCK, send_chunk, r,
		reader_free);
	if (!resp) {
		reader_free(r);
		return MHD_NO;
	}
	/* a cache between us and scrapers must not mix formats */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY,
				"Accept, Accept-Encoding");
	return respond(c, MHD_HTTP_OK, resp, type, gzip ? "gzip" : NULL);
}

/* With l->mu held: C's deadline from now on */
static void responding(struct MHD_Connection *c, double deadline)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = i ? i->socket_context : NULL;

	if (k)
		k->deadline = deadline;
}

/* A request answered: the next one on this connection has TIMEOUT */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;

	(void)con_cls, (void)toe;
	pthread_mutex_lock(&l->mu);
	responding(c, monotonic() + l->timeout);
	pthread_mutex_unlock(&l->mu);
}

/* Track each connection from its start to its close */
static void connection(void *cls, struct MHD_Connection *c, void **ctx,
		       enum MHD_ConnectionNotificationCode toe)
{
	struct listener *l = cls;
	struct conn *k = *ctx;

	pthread_mutex_lock(&l->mu);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		k = xcalloc(1, sizeof(*k));
		k->fd = MHD_get_connection_info(
				c, MHD_CONNECTION_INFO_CONNECTION_FD)
				->connect_fd;
		k->deadline = monotonic() + l->timeout;
		k->next = l->conns;
		if (l->conns)
			l->conns->prev = k;
		l->conns = k;
		*ctx = k;
	} else if (k) {
		if (k->prev)
			k->prev->next = k->next;
		else
			l->conns = k->next;
		if (k->next)
			k->next->prev = k->prev;
		free(k);
		*ctx = NULL;
	}
	pthread_mutex_unlock(&l->mu);
}

/* Shut down connections past their deadline: those that never sent a
 * whole request (trickling headers keeps libmicrohttpd's idle timeout
 * away), four times a second; libmicrohttpd then closes them
 */
static void *sweep(void *arg)
{
	struct listener *l = arg;
	struct timespec ts;

	pthread_mutex_lock(&l->mu);
	while (!l->stopping) {
		double t = monotonic();

		for (struct conn *k = l->conns; k; k = k->next)
			if (k->deadline <= t) {
				shutdown(k->fd, SHUT_RDWR);
				k->deadline = INFINITY;
			}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += SWEEP_NS;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	enum fmt f = listen_accept(
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept"));
	struct text *t;

	(void)version, (void)upload, (void)upload_size, (void)con_cls;
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "try /metrics\n");
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics\n");
	l->asked[f] = true;
	pthread_mutex_lock(&l->mu);
	/* a format other than text from the first snapshot after it was asked */
	if (!l->feed[f].served)
		f = FMT_TEXT;
	t = feed_get(&l->feed[f]);
	responding(c, INFINITY); /* send_chunk() watches the response */
	pthread_mutex_unlock(&l->mu);
	if (!t) /* before the first snapshot */
		return reply(c, MHD_HTTP_OK, "");
	return send_text(l, c, t, content_types[f]);
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

/* What a failed bind of SPEC means, and what to pass instead */
static void bind_error(const char *spec, int err)
{
	const char *why;

	if (err == EADDRINUSE)
		why = "address in use: another process listens on that port; "
		      "stop it or pick another port";
	else if (err == EADDRNOTAVAIL)
		why = "not an address of this machine; pass one of its "
		      "addresses, 127.0.0.1, or 0.0.0.0 for every interface";
	else if (err == EACCES)
		why = "permission denied: ports below 1024 need "
		      "CAP_NET_BIND_SERVICE; pick a port from 1024";
	else
		why = strerror(err);
	fprintf(stderr, "cgview-exporter: --listen %s: %s\n", spec, why);
}

/* A listening socket on SPEC, or -1 (reported) */
static int bind_socket(const char *spec)
{
	struct sockaddr_in sa;
	int fd, one = 1, err;

	if (parse_addr(spec, &sa))
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		bind_error(spec, errno);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, SOMAXCONN)) {
		err = errno;
		close(fd);
		bind_error(spec, err);
		return -1;
	}
	return fd;
}

/* libmicrohttpd with one epoll thread (no select() limit on descriptors):
 * at most LIM->conns connections, LIM->per_ip from one address, each
 * closed after LIM->timeout idle (whole seconds) or when its response
 * takes longer than that
 */
static struct MHD_Daemon *daemon_start(struct listener *l, int fd,
				       const struct listen_limits *lim)
{
	return MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
		handle, l, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_LIMIT, lim->conns,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, lim->per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ceil(lim->timeout),
		MHD_OPTION_NOTIFY_CONNECTION, connection, l,
		MHD_OPTION_NOTIFY_COMPLETED, completed, l, MHD_OPTION_END);
}

static void feeds_end(struct listener *l, int n)
{
	while (n-- > 0)
		feed_end(&l->feed[n]);
}

/* NULL (reported) when SPEC cannot be listened on */
struct listener *listen_start(const char *spec, const struct listen_limits *lim)
{
	struct listener *l = xcalloc(1, sizeof(*l));
	int fd = bind_socket(spec), n = 0;

	if (fd < 0)
		goto fail;
	for (; n < NFMT; n++)
		if (feed_init(&l->feed[n])) {
			feeds_end(l, n);
			goto fail;
		}
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->timeout = lim->timeout;
	l->d = daemon_start(l, fd, lim);
	if (l->d && !pthread_create(&l->sweeper, NULL, sweep, l))
		return l;
	if (l->d) {
		MHD_stop_daemon(l->d); /* closes FD */
		fd = -1;
	}
	feeds_end(l, NFMT);
	fprintf(stderr,
		"cgview-exporter: --listen %s: libmicrohttpd did not "
		"start\n",
		spec);
fail:
	if (fd >= 0)
		close(fd);
	free(l);
	return NULL;
}

void listen_stop(struct listener *l)
{
	pthread_mutex_lock(&l->mu);
	l->stopping = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->sweeper, NULL);
	MHD_stop_daemon(l->d);
	feeds_end(l, NFMT);
	free(l);
}
