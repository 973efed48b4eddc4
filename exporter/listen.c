// SPDX-License-Identifier: GPL-2.0
/* --listen ADDR:PORT: the last snapshot in the Prometheus text format at
 * /metrics, served by libmicrohttpd's own thread.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

struct listener {
	struct MHD_Daemon *d;
	pthread_mutex_t mu;
	struct buf text;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     char *body, size_t len, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	char *body;
	size_t len;

	(void)version, (void)upload, (void)upload_size, (void)con_cls;
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, strdup("try /metrics\n"),
			     13, "text/plain");
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			     strdup("GET /metrics\n"), 13, "text/plain");
	pthread_mutex_lock(&l->mu);
	len = l->text.len;
	body = malloc(len + 1);
	if (body)
		memcpy(body, l->text.p ? l->text.p : "", len);
	pthread_mutex_unlock(&l->mu);
	if (!body)
		return MHD_NO;
	return reply(c, MHD_HTTP_OK, body, len,
		     "text/plain; version=0.0.4; charset=utf-8");
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
	struct listener *l = calloc(1, sizeof(*l));
	struct sockaddr_in sa;

	if (!l || parse_addr(spec, &sa))
		return NULL;
	pthread_mutex_init(&l->mu, NULL);
	l->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				handle, l, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_END);
	if (!l->d) {
		free(l);
		return NULL;
	}
	return l;
}

/* Serve TEXT from now on; TEXT gets the previous buffer to reuse */
void listen_publish(struct listener *l, struct buf *text)
{
	struct buf old;

	pthread_mutex_lock(&l->mu);
	old = l->text;
	l->text = *text;
	pthread_mutex_unlock(&l->mu);
	*text = old;
	text->len = 0;
}

void listen_stop(struct listener *l)
{
	MHD_stop_daemon(l->d);
	free(l->text.p);
	free(l);
}
