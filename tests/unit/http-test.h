/* SPDX-License-Identifier: MIT */
/*
 * A scriptable HTTP server on 127.0.0.1 (a free port) for the unit tests
 * of the HTTP client, the repository fetch and the RAS client: it serves
 * files from a table (GET, honouring "Range: bytes=N-" unless told not
 * to), lets a test answer any request itself first (a hook), can wait
 * before answering or trickle a body, and counts what it was asked.
 * Header-only because each test program is built from one source file.
 */
#ifndef OFFLOAD_SEC_HTTP_TEST_H
#define OFFLOAD_SEC_HTTP_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#define TS_MAX_FILES	16
#define TS_TRICKLE	1024	/* bytes per pause of a trickled body */

struct ts_file {
	char path[256];		/* "/manifest.json" */
	const void *data;	/* not owned */
	size_t len;
};

/* What a hook answers; body is malloc'd (the server frees it). */
struct ts_answer {
	unsigned int status;
	char *body;
	size_t len;
	unsigned int delay_ms;		/* before the answer */
	unsigned int trickle_ms;	/* between TS_TRICKLE-byte pieces */
	char content_range[96];
};

struct test_server;
typedef bool (*ts_hook)(struct test_server *s, const char *method,
			const char *path, const char *body, size_t len,
			struct ts_answer *a);

struct test_server {
	struct MHD_Daemon *mhd;
	char url[64];			/* "http://127.0.0.1:PORT" */
	const char *tls_cert, *tls_key;	/* PEM: serve https instead */
	struct ts_file files[TS_MAX_FILES];
	size_t n_files;
	bool no_ranges;			/* answer 200 to every Range */
	ts_hook hook;
	void *data;
	atomic_uint requests;
	atomic_uint file_requests;
	atomic_bool stopping;
	pthread_mutex_t lock;
	char last_range[64];		/* the Range of the last GET, "" if none */
	char last_body[16384];		/* the last request body, cut short */
	char last_agent[64];
};

struct ts_upload {
	char *body;
	size_t len;
};

struct ts_trickle {
	struct test_server *s;
	char *body;
	size_t len;
	unsigned int pause_ms;
};

/* A hook's answer: status and a copy of len bytes of data (the server frees it). */
static inline void ts_answer_copy(struct ts_answer *a, unsigned int status,
				  const void *data, size_t len)
{
	a->status = status;
	a->body = malloc(len ? len : 1);
	a->len = a->body ? len : 0;
	if (a->body)
		memcpy(a->body, data, len);
}

static inline void ts_sleep_ms(struct test_server *s, unsigned int ms)
{
	struct timespec t = { 0, 10 * 1000000L };

	for (; ms && !atomic_load(&s->stopping); ms -= ms < 10 ? ms : 10)
		nanosleep(&t, NULL);
}

static inline ssize_t ts_trickle_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct ts_trickle *t = cls;
	size_t n = t->len - (size_t)pos;

	if (atomic_load(&t->s->stopping))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos)
		ts_sleep_ms(t->s, t->pause_ms);
	if (n > TS_TRICKLE)
		n = TS_TRICKLE;
	if (n > max)
		n = max;
	memcpy(buf, t->body + pos, n);
	return (ssize_t)n;
}

static inline void ts_trickle_free(void *cls)
{
	struct ts_trickle *t = cls;

	free(t->body);
	free(t);
}

static inline enum MHD_Result ts_send(struct test_server *s,
				      struct MHD_Connection *c, struct ts_answer *a)
{
	struct MHD_Response *r;
	struct ts_trickle *t;
	enum MHD_Result ret;

	ts_sleep_ms(s, a->delay_ms);
	if (a->trickle_ms && a->len) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return MHD_NO;
		*t = (struct ts_trickle){ s, a->body, a->len, a->trickle_ms };
		r = MHD_create_response_from_callback(a->len, TS_TRICKLE,
						      ts_trickle_read, t,
						      ts_trickle_free);
	} else {
		r = MHD_create_response_from_buffer(a->len, a->body ? a->body : (char *)"",
						    a->body ? MHD_RESPMEM_MUST_FREE :
						    MHD_RESPMEM_PERSISTENT);
	}
	if (!r)
		return MHD_NO;
	if (a->content_range[0])
		MHD_add_response_header(r, "Content-Range", a->content_range);
	ret = MHD_queue_response(c, a->status, r);
	MHD_destroy_response(r);
	return ret;
}

static inline struct ts_file *ts_find(struct test_server *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->n_files; i++)
		if (!strcmp(s->files[i].path, path))
			return &s->files[i];
	return NULL;
}

/* A file of the table, whole or from the Range's first byte on. */
static inline void ts_serve_file(struct test_server *s, const struct ts_file *f,
				 const char *range, struct ts_answer *a)
{
	unsigned long long from = 0;

	if (range && !s->no_ranges && sscanf(range, "bytes=%llu-", &from) == 1) {
		if (from >= f->len) {
			a->status = 416;
			snprintf(a->content_range, sizeof(a->content_range),
				 "bytes */%zu", f->len);
			return;
		}
		a->status = 206;
		snprintf(a->content_range, sizeof(a->content_range),
			 "bytes %llu-%zu/%zu", from, f->len - 1, f->len);
	} else {
		a->status = 200;
	}
	a->len = f->len - from;
	a->body = malloc(a->len ? a->len : 1);
	if (a->body)
		memcpy(a->body, (const uint8_t *)f->data + from, a->len);
	else
		a->len = 0, a->status = 500;
}

static inline void ts_remember(struct test_server *s, const char *range,
			       const char *agent, const struct ts_upload *u)
{
	pthread_mutex_lock(&s->lock);
	snprintf(s->last_range, sizeof(s->last_range), "%s", range ? range : "");
	snprintf(s->last_agent, sizeof(s->last_agent), "%s", agent ? agent : "");
	snprintf(s->last_body, sizeof(s->last_body), "%.*s",
		 (int)(u->len < sizeof(s->last_body) ? u->len : sizeof(s->last_body) - 1),
		 u->body ? u->body : "");
	pthread_mutex_unlock(&s->lock);
}

static inline enum MHD_Result ts_handle(void *cls, struct MHD_Connection *c,
					const char *url, const char *method,
					const char *version, const char *upload,
					size_t *upload_size, void **req_cls)
{
	struct test_server *s = cls;
	struct ts_upload *u = *req_cls;
	struct ts_answer a = { .status = 404 };
	const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
	struct ts_file *f;
	char *p;

	if (!u) {
		u = calloc(1, sizeof(*u));
		*req_cls = u;
		return u ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		p = realloc(u->body, u->len + *upload_size + 1);
		if (!p)
			return MHD_NO;
		memcpy(p + u->len, upload, *upload_size);
		u->body = p;
		u->len += *upload_size;
		u->body[u->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	atomic_fetch_add(&s->requests, 1);
	ts_remember(s, range, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							  "User-Agent"), u);
	if (s->hook && s->hook(s, method, url, u->body, u->len, &a))
		return ts_send(s, c, &a);
	f = ts_find(s, url);
	if (f && !strcmp(method, "GET")) {
		atomic_fetch_add(&s->file_requests, 1);
		ts_serve_file(s, f, range, &a);
	}
	return ts_send(s, c, &a);
}

static inline void ts_completed(void *cls, struct MHD_Connection *c,
				void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct ts_upload *u = *req_cls;

	if (u)
		free(u->body);
	free(u);
	*req_cls = NULL;
}

/* Starts s (zeroed by the caller, files and hook set before or after). */
static inline int ts_start(struct test_server *s)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const union MHD_DaemonInfo *info;

	pthread_mutex_init(&s->lock, NULL);
	s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
				  MHD_USE_THREAD_PER_CONNECTION |
				  (s->tls_cert ? MHD_USE_TLS : 0),
				  0, NULL, NULL, ts_handle, s,
				  MHD_OPTION_SOCK_ADDR, &sin,
				  MHD_OPTION_NOTIFY_COMPLETED, ts_completed, s,
				  s->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
				  s->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, s->tls_key,
				  MHD_OPTION_END);
	if (!s->mhd)
		return -1;
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (!info)
		return -1;
	snprintf(s->url, sizeof(s->url), "%s://127.0.0.1:%u",
		 s->tls_cert ? "https" : "http", info->port);
	return 0;
}

static inline void ts_stop(struct test_server *s)
{
	atomic_store(&s->stopping, true);
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	s->mhd = NULL;
	pthread_mutex_destroy(&s->lock);
}

static inline int ts_add_file(struct test_server *s, const char *path,
			      const void *data, size_t len)
{
	struct ts_file *f = ts_find(s, path);

	if (!f) {
		if (s->n_files == TS_MAX_FILES)
			return -1;
		f = &s->files[s->n_files++];
	}
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->data = data;
	f->len = len;
	return 0;
}

/*
 * A TCP port on 127.0.0.1 nobody listens on (connections are refused), or
 * with listening, one whose connections are accepted by the kernel but
 * never answered: *fd keeps that socket open.
 */
static inline unsigned int ts_dead_port(bool listening, int *fd)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(s, (struct sockaddr *)&sin, &len) ||
	    (listening && listen(s, 16))) {
		if (s >= 0)
			close(s);
		return 0;
	}
	if (listening)
		*fd = s;
	else
		close(s);
	return ntohs(sin.sin_port);
}

static inline double ts_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

#endif
