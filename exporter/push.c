// SPDX-License-Identifier: GPL-2.0
/* Push sinks (OTLP/HTTP, remote write): a bounded queue per target and a
 * thread that POSTs its requests with libcurl, retrying with exponential
 * backoff. A target that is down never stops collection: when the queue is
 * full the oldest requests are dropped and their samples counted.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporter.h"

#define BACKOFF_MIN 0.1 /* seconds */
#define BACKOFF_MAX 5.0
#define REQUEST_TIMEOUT_MS 10000L

struct req {
	char *body;
	size_t len, npoints;
	struct req *next;
};

struct push {
	enum sink_kind kind;
	char *url;
	struct stats *st;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct req *head, *tail;
	size_t bytes, max_bytes;
	bool stop;
	struct timespec deadline; /* when stopping: give up at */
	CURL *curl;
	struct curl_slist *headers;
	char error[CURL_ERROR_SIZE];
};

static void req_drop(struct push *p, struct req *r)
{
	p->st->dropped += r->npoints;
	free(r->body);
	free(r);
}

/* Called with p->mu held: drop the oldest until the queue fits */
static void trim(struct push *p)
{
	struct req *r;

	while (p->bytes > p->max_bytes && p->head && p->head != p->tail) {
		r = p->head;
		p->head = r->next;
		p->bytes -= r->len;
		req_drop(p, r);
	}
}

void push_body(void *ctx, char *body, size_t len, size_t npoints)
{
	struct push *p = ctx;
	struct req *r = calloc(1, sizeof(*r));

	if (!r)
		exit(EXIT_RUNTIME);
	*r = (struct req){ body, len, npoints, NULL };
	pthread_mutex_lock(&p->mu);
	if (p->tail)
		p->tail->next = r;
	else
		p->head = r;
	p->tail = r;
	p->bytes += len;
	trim(p);
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static size_t discard(char *ptr, size_t size, size_t n, void *ctx)
{
	(void)ptr, (void)ctx;
	return size * n;
}

enum outcome { SENT, RETRY, REFUSED };

static enum outcome post(struct push *p, const struct req *r)
{
	long code = 0;
	CURLcode rc;

	curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)r->len);
	rc = curl_easy_perform(p->curl);
	if (rc != CURLE_OK) {
		warn_once(p->url, "%s: %s (retrying; reported once)", p->url,
			  p->error[0] ? p->error : curl_easy_strerror(rc));
		return RETRY;
	}
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300)
		return SENT;
	if (code >= 500 || code == 429) {
		warn_once(p->url, "%s: HTTP %ld (retrying; reported once)",
			  p->url, code);
		return RETRY;
	}
	warn_once(p->url, "%s: HTTP %ld, data refused and dropped", p->url,
		  code);
	return REFUSED;
}

static void setup(struct push *p)
{
	p->curl = curl_easy_init();
	if (!p->curl)
		exit(EXIT_RUNTIME);
	p->headers = curl_slist_append(p->headers,
				       "Content-Type: application/x-protobuf");
	p->headers = curl_slist_append(p->headers,
				       "User-Agent: cgview-exporter/0.1");
	if (p->kind == SINK_REMOTE_WRITE) {
		p->headers = curl_slist_append(p->headers,
					       "Content-Encoding: snappy");
		p->headers = curl_slist_append(
			p->headers, "X-Prometheus-Remote-Write-Version: 0.1.0");
	}
	curl_easy_setopt(p->curl, CURLOPT_URL, p->url);
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, p->headers);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(p->curl, CURLOPT_ERRORBUFFER, p->error);
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static bool past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return !before(&now, t);
}

static struct timespec after(double s)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += (time_t)s;
	t.tv_nsec += (long)((s - (time_t)s) * 1e9);
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* With p->mu held: the next request to send, or NULL to end */
static struct req *next_req(struct push *p)
{
	struct req *r;

	while (!p->head && !p->stop)
		pthread_cond_wait(&p->cv, &p->mu);
	if (!p->head || (p->stop && past(&p->deadline)))
		return NULL;
	r = p->head;
	p->head = r->next;
	if (!p->head)
		p->tail = NULL;
	p->bytes -= r->len;
	return r;
}

/* With p->mu held: put R back at the front, then wait before retrying */
static void requeue(struct push *p, struct req *r, double *backoff)
{
	struct timespec until = after(*backoff);

	r->next = p->head;
	p->head = r;
	if (!p->tail)
		p->tail = r;
	p->bytes += r->len;
	trim(p);
	while (!past(&until) && !(p->stop && past(&p->deadline)))
		pthread_cond_timedwait(&p->cv, &p->mu,
				       p->stop && before(&p->deadline, &until) ?
					       &p->deadline :
					       &until);
	*backoff = *backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : *backoff * 2;
}

static void *worker(void *arg)
{
	struct push *p = arg;
	double backoff = BACKOFF_MIN;
	enum outcome o;
	struct req *r;

	pthread_mutex_lock(&p->mu);
	while ((r = next_req(p))) {
		pthread_mutex_unlock(&p->mu);
		o = post(p, r);
		pthread_mutex_lock(&p->mu);
		if (o == RETRY) {
			p->st->pushes_failed++;
			p->st->pushes_retried++;
			requeue(p, r, &backoff);
			continue;
		}
		backoff = BACKOFF_MIN;
		if (o == SENT) {
			p->st->pushes_ok++;
			free(r->body);
			free(r);
		} else {
			p->st->pushes_failed++;
			req_drop(p, r);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct push *push_start(enum sink_kind kind, const char *url,
			size_t queue_bytes, struct stats *st)
{
	struct push *p = calloc(1, sizeof(*p));

	if (!p)
		exit(EXIT_RUNTIME);
	p->kind = kind;
	p->url = strdup(url);
	p->st = st;
	p->max_bytes = queue_bytes;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	setup(p);
	if (pthread_create(&p->thread, NULL, worker, p)) {
		perror("cgview-exporter: pthread_create");
		exit(EXIT_RUNTIME);
	}
	return p;
}

/* Send what is queued for at most FLUSH_SECONDS, then drop the rest */
void push_stop(struct push *p, double flush_seconds)
{
	struct req *r;

	pthread_mutex_lock(&p->mu);
	p->stop = true;
	p->deadline = after(flush_seconds);
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	while ((r = p->head)) {
		p->head = r->next;
		req_drop(p, r);
	}
	curl_slist_free_all(p->headers);
	curl_easy_cleanup(p->curl);
	free(p->url);
	free(p);
}
