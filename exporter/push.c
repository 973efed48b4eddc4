// SPDX-License-Identifier: GPL-2.0
/* Push sinks (OTLP/HTTP, remote write): a bounded queue per target and a
 * thread that POSTs its requests with libcurl, retrying with exponential
 * backoff. A target that is down never stops collection: when the queue is
 * full the oldest requests are dropped and their samples counted. The
 * queue holds each request's body as it is sent (compressed for remote
 * write) in an allocation of that size: --queue-size bounds those bytes.
 * A request not delivered within --push-retry-for of its first attempt is
 * given up; at the end one deadline holds for every target together and
 * cuts the requests still in flight. A URL without a path posts to the
 * protocol's: /v1/metrics (OTLP), /api/v1/write (remote write).
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

struct req {
	char *body;
	size_t len, npoints;
	double first; /* when it was first tried, 0 before */
	struct req *next;
};

/* Why a request was not delivered */
enum loss { QUEUE_FULL, REFUSED, GIVEN_UP, AT_DEADLINE, NLOSS };

struct push {
	enum sink_kind kind;
	char *url;
	struct stats *st;
	struct push_opts o;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct req *head, *tail;
	size_t bytes;
	bool stop;
	double deadline; /* when stopping: give up at (CLOCK_MONOTONIC) */
	uint64_t reqs, lost[NLOSS], lost_points; /* for the final report */
	CURLM *multi;
	CURL *curl;
	struct curl_slist *headers;
	char error[CURL_ERROR_SIZE];
	char reason[128]; /* the start of the response, printable ASCII */
	size_t nreason;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static struct timespec realtime_in(double s)
{
	struct timespec t;
	long long ns;

	clock_gettime(CLOCK_REALTIME, &t);
	ns = t.tv_nsec + (long long)(s * 1e9);
	t.tv_sec += ns / 1000000000LL;
	t.tv_nsec = ns % 1000000000LL;
	return t;
}

/* With p->mu held (or the thread joined): R is not delivered, for WHY */
static void req_drop(struct push *p, struct req *r, enum loss why)
{
	p->st->dropped += r->npoints;
	p->lost[why]++;
	p->lost_points += r->npoints;
	free(r->body);
	free(r);
}

/* Called with p->mu held: drop the oldest until the queue fits */
static void trim(struct push *p)
{
	struct req *r;

	while (p->bytes > p->o.queue_bytes && p->head && p->head != p->tail) {
		r = p->head;
		p->head = r->next;
		p->bytes -= r->len;
		req_drop(p, r, QUEUE_FULL);
	}
}

void push_body(void *ctx, char *body, size_t len, size_t npoints)
{
	struct push *p = ctx;
	struct req *r = xcalloc(1, sizeof(*r));
	char *fit = realloc(body, len ? len : 1); /* hold what is sent */

	*r = (struct req){ fit ? fit : body, len, npoints, 0, NULL };
	pthread_mutex_lock(&p->mu);
	p->reqs++;
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

/* Keeps the start of a response (the receiver's reason for an error) */
static size_t keep_reason(char *ptr, size_t size, size_t n, void *ctx)
{
	struct push *p = ctx;

	for (size_t i = 0; i < size * n; i++) {
		if (p->nreason + 1 >= sizeof(p->reason))
			break;
		if (ptr[i] >= 0x20 && ptr[i] < 0x7f)
			p->reason[p->nreason++] = ptr[i];
		else if (ptr[i] == '\n' || ptr[i] == '\t')
			p->reason[p->nreason++] = ' ';
	}
	p->reason[p->nreason] = '\0';
	return size * n;
}

/* What to do about the receiver's REASON (trimmed here), if we know */
static const char *advice(char *reason)
{
	size_t n = strlen(reason);

	while (n && reason[n - 1] == ' ')
		reason[--n] = '\0';
	if (strstr(reason, "histogram"))
		return "; for a receiver without native histograms, run with "
		       "--classic-histograms";
	return "";
}

/* Past the flush deadline: stop sending */
static bool cut(struct push *p)
{
	bool c;

	pthread_mutex_lock(&p->mu);
	c = p->stop && now() >= p->deadline;
	pthread_mutex_unlock(&p->mu);
	return c;
}

/* How long to wait for the transfer before looking at the deadline */
static int wait_ms(struct push *p)
{
	double left = 1;

	pthread_mutex_lock(&p->mu);
	if (p->stop)
		left = p->deadline - now();
	pthread_mutex_unlock(&p->mu);
	return left >= 1 ? 1000 : left > 0 ? (int)(left * 1000) + 1 : 0;
}

/* The transfer of p->curl, cut at the flush deadline
 * (CURLE_ABORTED_BY_CALLBACK then)
 */
static CURLcode perform(struct push *p)
{
	CURLcode rc = CURLE_ABORTED_BY_CALLBACK;
	int running = 1, left;
	CURLMsg *msg;

	curl_multi_add_handle(p->multi, p->curl);
	while (running && !cut(p)) {
		if (curl_multi_perform(p->multi, &running) != CURLM_OK) {
			rc = CURLE_FAILED_INIT; /* retried */
			break;
		}
		if (running)
			curl_multi_poll(p->multi, NULL, 0, wait_ms(p), NULL);
	}
	while ((msg = curl_multi_info_read(p->multi, &left)))
		if (msg->msg == CURLMSG_DONE)
			rc = msg->data.result;
	curl_multi_remove_handle(p->multi, p->curl);
	return rc;
}

enum outcome { SENT, RETRY, REFUSE, CUT };

static enum outcome post(struct push *p, const struct req *r)
{
	const char *hint, *colon;
	long code = 0;
	CURLcode rc;

	p->error[0] = p->reason[0] = '\0';
	p->nreason = 0;
	curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)r->len);
	rc = perform(p);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return CUT;
	if (rc != CURLE_OK) {
		warn_once(p->url, "%s: %s (retrying; reported once)", p->url,
			  p->error[0] ? p->error : curl_easy_strerror(rc));
		return RETRY;
	}
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300)
		return SENT;
	hint = advice(p->reason);
	colon = *p->reason ? ": " : "";
	if (code >= 500 || code == 429) {
		warn_once(p->url,
			  "%s: HTTP %ld%s%s (retrying; reported once)%s",
			  p->url, code, colon, p->reason, hint);
		return RETRY;
	}
	warn_once(p->url, "%s: HTTP %ld%s%s, data refused and dropped%s",
		  p->url, code, colon, p->reason, hint);
	return REFUSE;
}

/* A copy of URL, with PATH when its path is empty or / */
static char *with_path(const char *url, const char *path)
{
	CURLU *h = curl_url();
	char *have = NULL, *full = NULL, *ret = NULL;

	if (h && !curl_url_set(h, CURLUPART_URL, url, 0) &&
	    !curl_url_get(h, CURLUPART_PATH, &have, 0) &&
	    (!*have || !strcmp(have, "/")) &&
	    !curl_url_set(h, CURLUPART_PATH, path, 0) &&
	    !curl_url_get(h, CURLUPART_URL, &full, 0))
		ret = strdup(full);
	curl_free(have);
	curl_free(full);
	curl_url_cleanup(h);
	ret = ret ? ret : strdup(url);
	if (!ret)
		exit(EXIT_RUNTIME);
	return ret;
}

static void setup(struct push *p)
{
	p->curl = curl_easy_init();
	p->multi = curl_multi_init();
	if (!p->curl || !p->multi)
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
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT_MS,
			 (long)(p->o.timeout * 1000));
	curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, keep_reason);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(p->curl, CURLOPT_ERRORBUFFER, p->error);
}

/* With p->mu held: the next request to send, or NULL to end */
static struct req *next_req(struct push *p)
{
	struct req *r;

	while (!p->head && !p->stop)
		pthread_cond_wait(&p->cv, &p->mu);
	if (!p->head || (p->stop && now() >= p->deadline))
		return NULL;
	r = p->head;
	p->head = r->next;
	if (!p->head)
		p->tail = NULL;
	p->bytes -= r->len;
	return r;
}

/* With p->mu held: put R back at the front, then wait BACKOFF seconds (or
 * until the flush deadline) before retrying
 */
static void requeue(struct push *p, struct req *r, double backoff)
{
	double until = now() + backoff, end;
	struct timespec ts;

	r->next = p->head;
	p->head = r;
	if (!p->tail)
		p->tail = r;
	p->bytes += r->len;
	trim(p);
	for (;;) {
		end = p->stop && p->deadline < until ? p->deadline : until;
		if (now() >= end)
			break;
		ts = realtime_in(end - now());
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
}

/* With p->mu held: what becomes of R after OUTCOME */
static void settle(struct push *p, struct req *r, enum outcome o,
		   double *backoff)
{
	if (o == RETRY) {
		p->st->pushes_failed++;
		if (now() - r->first >= p->o.retry_for) {
			p->st->pushes_given_up++;
			req_drop(p, r, GIVEN_UP);
			return;
		}
		p->st->pushes_retried++;
		requeue(p, r, *backoff);
		*backoff = *backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX :
							*backoff * 2;
		return;
	}
	*backoff = BACKOFF_MIN;
	if (o == SENT) {
		p->st->pushes_ok++;
		free(r->body);
		free(r);
	} else {
		p->st->pushes_failed += o == REFUSE;
		req_drop(p, r, o == REFUSE ? REFUSED : AT_DEADLINE);
	}
}

static void *worker(void *arg)
{
	struct push *p = arg;
	double backoff = BACKOFF_MIN;
	enum outcome o;
	struct req *r;

	pthread_mutex_lock(&p->mu);
	while ((r = next_req(p))) {
		if (!r->first)
			r->first = now();
		pthread_mutex_unlock(&p->mu);
		o = post(p, r);
		pthread_mutex_lock(&p->mu);
		settle(p, r, o, &backoff);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct push *push_start(enum sink_kind kind, const char *url,
			const struct push_opts *o, struct stats *st)
{
	struct push *p = xcalloc(1, sizeof(*p));

	p->kind = kind;
	p->url = with_path(url,
			   kind == SINK_OTLP ? "/v1/metrics" : "/api/v1/write");
	p->st = st;
	p->o = *o;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	setup(p);
	if (pthread_create(&p->thread, NULL, worker, p)) {
		perror("cgview-exporter: pthread_create");
		exit(EXIT_RUNTIME);
	}
	return p;
}

/* Say what P did not deliver; the number of such requests */
static uint64_t report(struct push *p)
{
	uint64_t n = 0;

	for (int i = 0; i < NLOSS; i++)
		n += p->lost[i];
	if (n)
		fprintf(stderr,
			"cgview-exporter: %s: %llu of %llu requests (%llu "
			"samples) not delivered: %llu dropped from the full "
			"queue, %llu refused, %llu given up after "
			"--push-retry-for, %llu not sent by --flush-timeout\n",
			p->url, (unsigned long long)n,
			(unsigned long long)p->reqs,
			(unsigned long long)p->lost_points,
			(unsigned long long)p->lost[QUEUE_FULL],
			(unsigned long long)p->lost[REFUSED],
			(unsigned long long)p->lost[GIVEN_UP],
			(unsigned long long)p->lost[AT_DEADLINE]);
	return n;
}

/* Once its thread ended: drop what P still holds */
static void drain(struct push *p)
{
	struct req *r;

	while ((r = p->head)) {
		p->head = r->next;
		req_drop(p, r, AT_DEADLINE);
	}
}

static void push_free(struct push *p)
{
	curl_slist_free_all(p->headers);
	curl_easy_cleanup(p->curl);
	curl_multi_cleanup(p->multi);
	free(p->url);
	free(p);
}

/* Send what is queued to the N targets P for FLUSH_SECONDS at most, all
 * together; then cut what is in flight and drop the rest. The number of
 * requests not delivered over the whole run.
 */
uint64_t push_stop(struct push **p, size_t n, double flush_seconds)
{
	double deadline = now() + flush_seconds;
	uint64_t lost = 0;

	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&p[i]->mu);
		p[i]->stop = true;
		p[i]->deadline = deadline;
		pthread_cond_signal(&p[i]->cv);
		pthread_mutex_unlock(&p[i]->mu);
		curl_multi_wakeup(p[i]->multi);
	}
	for (size_t i = 0; i < n; i++) {
		pthread_join(p[i]->thread, NULL);
		drain(p[i]);
		lost += report(p[i]);
		push_free(p[i]);
	}
	return lost;
}
