// SPDX-License-Identifier: MIT
/*
 * HTTP(S) over the libcurl easy interface (ofs-http.h).  One handle per
 * request, reused across its attempts; signals are off (NOSIGNAL) because
 * the daemon's launches run on threads of their own.  Cancellation and
 * progress ride on the transfer-info callback, which libcurl calls at
 * least once a second even while nothing arrives, so a cancel is seen
 * within about a second in every phase: resolving, connecting, waiting
 * for the answer, receiving it.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "ofs-http.h"

#define DEFAULT_MAX_SIZE	(1024 * 1024)
#define DEFAULT_BACKOFF_MS	250
#define DEFAULT_BACKOFF_MAX_MS	8000
/* What is kept of an error answer's body while downloading into a file. */
#define ERROR_BODY_MAX		(64 * 1024)
/* How often a pause between attempts looks at the cancel flag. */
#define PAUSE_SLICE_MS		20

/* One call: its options, its destination, and what the last attempt saw. */
struct xfer {
	const struct ofs_http_opts *o;
	const char *url;
	CURL *h;
	char errbuf[CURL_ERROR_SIZE];
	char why[CURL_ERROR_SIZE];	/* our own, when a callback stopped it */
	size_t max_size;
	/* The body in memory (every answer but a file download's 2xx). */
	char *buf;
	size_t len, cap;
	/* A file download: fd, and where this attempt started writing. */
	int fd;
	uint64_t offset;
	uint64_t written;
	bool file_decided;	/* the status told where the body goes */
	bool to_file;
	int64_t range_start;	/* from Content-Range, -1 when none */
	/* Why a callback stopped the transfer. */
	bool too_big;
	int local_err;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

__attribute__((format(printf, 3, 4)))
static void say(struct xfer *x, struct ofs_http_result *res, const char *fmt, ...)
{
	char detail[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(res->reason, sizeof(res->reason), "%s%s%s: %s", x->o->what ?: "",
		 x->o->what ? " " : "", x->url, detail);
}

static int grow(struct xfer *x, size_t need)
{
	size_t cap = x->cap ? x->cap : 4096;
	char *p;

	while (cap < need)
		cap *= 2;
	if (cap == x->cap)
		return 0;
	p = realloc(x->buf, cap);
	if (!p)
		return -ENOMEM;
	x->buf = p;
	x->cap = cap;
	return 0;
}

static long status_now(struct xfer *x)
{
	long status = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/*
 * The first bytes of a download's answer decide where it goes: a 206
 * must continue exactly where the file ends, a 200 replaces the file,
 * anything else is an error answer kept in memory.
 */
static int decide_file(struct xfer *x)
{
	long status = status_now(x);

	x->file_decided = true;
	x->to_file = status == 200 || status == 206;
	if (status == 206 && x->range_start != (int64_t)x->offset) {
		snprintf(x->why, sizeof(x->why), "asked for the bytes from "
			 "%" PRIu64 ", got a range from %" PRId64, x->offset,
			 x->range_start);
		return -EPROTO;
	}
	if (status == 200 && x->offset) {
		if (ftruncate(x->fd, 0))
			return -errno;
		x->offset = 0;
	}
	return 0;
}

static int write_file(struct xfer *x, const char *data, size_t n)
{
	uint64_t at = x->offset + x->written;
	ssize_t w;

	if (at + n > x->max_size) {
		x->too_big = true;
		return -EFBIG;
	}
	while (n) {
		w = pwrite(x->fd, data, n, (off_t)at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		data += w;
		n -= (size_t)w;
		at += (uint64_t)w;
		x->written += (uint64_t)w;
	}
	return 0;
}

static int write_memory(struct xfer *x, const char *data, size_t n)
{
	size_t max = x->fd >= 0 ? ERROR_BODY_MAX : x->max_size;

	if (x->len + n > max) {
		if (x->fd >= 0)		/* an error page: its start is enough */
			n = max - x->len;
		else {
			x->too_big = true;
			return -EFBIG;
		}
	}
	if (grow(x, x->len + n + 1))
		return -ENOMEM;
	memcpy(x->buf + x->len, data, n);
	x->len += n;
	x->buf[x->len] = '\0';
	return 0;
}

static void report_progress(struct xfer *x)
{
	curl_off_t cl = -1;
	uint64_t done, total;

	if (!x->o->progress)
		return;
	curl_easy_getinfo(x->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	done = x->to_file ? x->offset + x->written : x->len;
	total = cl >= 0 ? (x->to_file ? x->offset : 0) + (uint64_t)cl : 0;
	x->o->progress(x->o->userdata, done, total);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;
	int r = 0;

	if (x->fd >= 0 && !x->file_decided)
		r = decide_file(x);
	if (!r)
		r = x->to_file ? write_file(x, data, n) : write_memory(x, data, n);
	if (r) {
		x->local_err = r;
		if (!x->why[0])
			snprintf(x->why, sizeof(x->why), "storing the answer: %s",
				 strerror(-r));
		return 0;	/* CURLE_WRITE_ERROR */
	}
	report_progress(x);
	return n;
}

/* Content-Range of a 206, to check that it continues the file. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	static const char name[] = "content-range:";
	struct xfer *x = userdata;
	size_t n = size * nmemb;
	char line[128];
	unsigned long long start;

	if (n >= 5 && !memcmp(data, "HTTP/", 5))
		x->range_start = -1;	/* a new answer (after a 100) */
	if (n >= sizeof(line) || n < sizeof(name) - 1 ||
	    strncasecmp(data, name, sizeof(name) - 1))
		return n;
	memcpy(line, data, n);
	line[n] = '\0';
	if (sscanf(line + sizeof(name) - 1, " bytes %llu-", &start) == 1 &&
	    start <= INT64_MAX)
		x->range_start = (int64_t)start;
	return n;
}

static int on_xferinfo(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = userdata;

	return x->o->cancel && atomic_load(x->o->cancel);
}

#define SET(rc, h, opt, val) do {					\
		if ((rc) == CURLE_OK)					\
			(rc) = curl_easy_setopt((h), (opt), (val));	\
	} while (0)

static int setup(struct xfer *x)
{
	const struct ofs_http_opts *o = x->o;
	CURLcode rc = CURLE_OK;
	CURL *h = x->h;

	SET(rc, h, CURLOPT_URL, x->url);
	SET(rc, h, CURLOPT_NOSIGNAL, 1L);
	SET(rc, h, CURLOPT_PROTOCOLS_STR, "http,https");
	SET(rc, h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(rc, h, CURLOPT_FOLLOWLOCATION, 0L);
	SET(rc, h, CURLOPT_USERAGENT, OFS_HTTP_USER_AGENT);
	SET(rc, h, CURLOPT_ERRORBUFFER, x->errbuf);
	SET(rc, h, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	SET(rc, h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(o->connect_timeout_ms ? o->connect_timeout_ms : o->timeout_ms));
	SET(rc, h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(rc, h, CURLOPT_SSL_VERIFYPEER, 1L);
	SET(rc, h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file) {
		/* The pinned bundle alone: no directory of other CAs. */
		SET(rc, h, CURLOPT_CAINFO, o->ca_file);
		SET(rc, h, CURLOPT_CAPATH, NULL);
	}
	if (x->fd < 0)
		SET(rc, h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_size);
	SET(rc, h, CURLOPT_WRITEFUNCTION, on_body);
	SET(rc, h, CURLOPT_WRITEDATA, x);
	SET(rc, h, CURLOPT_HEADERFUNCTION, on_header);
	SET(rc, h, CURLOPT_HEADERDATA, x);
	SET(rc, h, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
	SET(rc, h, CURLOPT_XFERINFODATA, x);
	SET(rc, h, CURLOPT_NOPROGRESS, 0L);
	return rc == CURLE_OK ? 0 : -EINVAL;
}

/* The negative errno of a failed attempt. */
static int curl_errno(struct xfer *x, CURLcode code)
{
	long os = 0;

	switch (code) {
	case CURLE_OK:
		return 0;
	case CURLE_WRITE_ERROR:
		return x->local_err ? x->local_err : -EIO;
	case CURLE_ABORTED_BY_CALLBACK:
		return -ECANCELED;
	case CURLE_FILESIZE_EXCEEDED:
		return -EFBIG;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(x->h, CURLINFO_OS_ERRNO, &os);
		if (os == EHOSTUNREACH || os == ENETUNREACH)
			return -EHOSTUNREACH;
		return os == ETIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED;
	case CURLE_PEER_FAILED_VERIFICATION:
		return -EKEYREJECTED;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_SSL_CACERT_BADFILE:
		return -EINVAL;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EPROTO;
	}
}

/* Did the attempt end before the request could have been sent? */
static bool unsent(struct xfer *x, CURLcode code)
{
	curl_off_t pretransfer = 0;

	if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT ||
	    code == CURLE_COULDNT_RESOLVE_PROXY)
		return true;
	if (code != CURLE_OPERATION_TIMEDOUT && code != CURLE_SSL_CONNECT_ERROR)
		return false;
	curl_easy_getinfo(x->h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
	return pretransfer == 0;
}

static bool transient(int r)
{
	return r == -ECONNREFUSED || r == -EHOSTUNREACH || r == -ETIMEDOUT ||
	       r == -EPROTO;
}

static bool retryable(struct xfer *x, CURLcode code, int r, long status)
{
	switch (x->o->retry) {
	case OFS_HTTP_RETRY_UNSENT:
		return r && transient(r) && unsent(x, code);
	case OFS_HTTP_RETRY_IDEMPOTENT:
		if (!r)
			return status >= 500 || status == 429;
		return transient(r);
	default:
		return false;
	}
}

/* Exponential, capped, with "equal jitter": half fixed, half random. */
static unsigned int backoff_ms(const struct ofs_http_opts *o, unsigned int attempt)
{
	unsigned int base = o->backoff_ms ? o->backoff_ms : DEFAULT_BACKOFF_MS;
	unsigned int cap = o->backoff_max_ms ? o->backoff_max_ms : DEFAULT_BACKOFF_MAX_MS;
	uint64_t d = base;
	uint32_t rnd = 0;

	while (--attempt && d < cap)
		d *= 2;
	if (d > cap)
		d = cap;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint32_t)time(NULL);
	return (unsigned int)(d / 2 + (d / 2 + 1) * (uint64_t)rnd /
			      ((uint64_t)UINT32_MAX + 1));
}

/* Sleeps ms unless cancelled first: -ECANCELED then. */
static int pause_ms(const struct ofs_http_opts *o, unsigned int ms)
{
	struct timespec slice;
	unsigned int step;

	while (ms) {
		if (o->cancel && atomic_load(o->cancel))
			return -ECANCELED;
		step = ms < PAUSE_SLICE_MS ? ms : PAUSE_SLICE_MS;
		slice.tv_sec = 0;
		slice.tv_nsec = (long)step * 1000000L;
		nanosleep(&slice, NULL);
		ms -= step;
	}
	return o->cancel && atomic_load(o->cancel) ? -ECANCELED : 0;
}

/* Each attempt starts over from what the file holds now. */
static int prepare_attempt(struct xfer *x)
{
	char range[32];
	struct stat st;

	x->len = 0;
	x->written = 0;
	x->file_decided = x->to_file = x->too_big = false;
	x->local_err = 0;
	x->range_start = -1;
	x->errbuf[0] = x->why[0] = '\0';
	if (x->fd < 0)
		return 0;
	if (fstat(x->fd, &st))
		return -errno;
	x->offset = (uint64_t)st.st_size;
	snprintf(range, sizeof(range), "%" PRIu64 "-", x->offset);
	return curl_easy_setopt(x->h, CURLOPT_RANGE, x->offset ? range : NULL) ==
	       CURLE_OK ? 0 : -EINVAL;
}

static const char *attempts_note(unsigned int attempts, char *buf, size_t size)
{
	if (attempts < 2)
		return "";
	snprintf(buf, size, " (%u attempts)", attempts);
	return buf;
}

static void explain(struct xfer *x, struct ofs_http_result *res, int r)
{
	const char *detail = x->why[0] ? x->why : x->errbuf[0] ? x->errbuf :
			     strerror(-r);
	unsigned int timeout_ms = x->o->timeout_ms;
	curl_off_t connected = 0;
	char note[32];

	attempts_note(res->attempts, note, sizeof(note));
	curl_easy_getinfo(x->h, CURLINFO_CONNECT_TIME_T, &connected);
	if (!connected && x->o->connect_timeout_ms)
		timeout_ms = x->o->connect_timeout_ms;
	switch (r) {
	case -ECONNREFUSED:
		say(x, res, "connection refused%s", note);
		break;
	case -ETIMEDOUT:
		say(x, res, "timed out after %.3g s%s", timeout_ms / 1000.0, note);
		break;
	case -EKEYREJECTED:
		say(x, res, "TLS: certificate verify failed: %s", detail);
		break;
	case -EFBIG:
		say(x, res, "the answer is larger than %zu bytes", x->max_size);
		break;
	case -ECANCELED:
		say(x, res, "cancelled");
		break;
	default:
		say(x, res, "%s%s", detail, note);
	}
}

/* A 416 means the file holds more than the server has: start over once. */
static bool restart_after_416(struct xfer *x, long status, bool *restarted)
{
	if (x->fd < 0 || status != 416 || !x->offset || *restarted)
		return false;
	*restarted = true;
	return ftruncate(x->fd, 0) == 0;
}

/* A 200 with an empty body never reached on_body(): the file must follow. */
static int finish_file(struct xfer *x, long status)
{
	if (x->fd < 0 || x->file_decided || (status != 200 && status != 206))
		return 0;
	return decide_file(x);
}

static int perform(struct xfer *x, struct ofs_http_result *res)
{
	bool restarted = false;
	CURLcode code;
	long status = 0;
	int r;

	for (;;) {
		r = prepare_attempt(x);
		if (r)
			break;
		res->attempts++;
		code = curl_easy_perform(x->h);
		r = curl_errno(x, code);
		status = r ? 0 : status_now(x);
		if (!r)
			r = finish_file(x, status);
		if (!r && restart_after_416(x, status, &restarted)) {
			res->attempts--;
			continue;
		}
		if (res->attempts > x->o->retries || !retryable(x, code, r, status))
			break;
		r = pause_ms(x->o, backoff_ms(x->o, res->attempts));
		if (r)
			break;
	}
	res->status = r ? 0 : status;
	return r;
}

static int request(const char *url, int fd, const char *json,
		   const struct ofs_http_opts *o, struct ofs_http_result *res)
{
	struct curl_slist *headers = NULL, *more;
	struct xfer x = { .o = o, .url = url, .fd = fd };
	int r;

	memset(res, 0, sizeof(*res));
	x.max_size = o->max_size ? o->max_size : DEFAULT_MAX_SIZE;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		say(&x, res, "libcurl did not initialise");
		return -ENOMEM;
	}
	x.h = curl_easy_init();
	if (!x.h)
		return -ENOMEM;
	r = setup(&x);
	if (!r && json) {
		headers = curl_slist_append(NULL, "Content-Type: application/json");
		more = headers ? curl_slist_append(headers, "Accept: application/json") :
				 NULL;
		/* No "Expect: 100-continue" round trip before the body. */
		headers = more ? curl_slist_append(more, "Expect:") : NULL;
		if (!headers) {
			curl_slist_free_all(more);
			r = -ENOMEM;
		} else if (curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, headers) ||
			   curl_easy_setopt(x.h, CURLOPT_POSTFIELDSIZE_LARGE,
					    (curl_off_t)strlen(json)) ||
			   curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, json))
			r = -EINVAL;
	}
	if (r)
		say(&x, res, "%s", strerror(-r));
	else
		r = perform(&x, res);
	if (r)
		explain(&x, res, r);
	curl_easy_cleanup(x.h);
	curl_slist_free_all(headers);
	if (r || !x.buf) {
		free(x.buf);
		x.buf = r ? NULL : strdup("");
		if (!r && !x.buf)
			r = -ENOMEM;
	}
	res->body = x.buf;
	res->len = r ? 0 : x.len;
	return r;
}

int ofs_http_get(const char *url, const struct ofs_http_opts *opts,
		 struct ofs_http_result *res)
{
	return request(url, -1, NULL, opts, res);
}

int ofs_http_post_json(const char *url, const char *json,
		       const struct ofs_http_opts *opts, struct ofs_http_result *res)
{
	return request(url, -1, json ? json : "{}", opts, res);
}

int ofs_http_get_file(const char *url, int fd, const struct ofs_http_opts *opts,
		      struct ofs_http_result *res)
{
	if (fd < 0) {
		memset(res, 0, sizeof(*res));
		snprintf(res->reason, sizeof(res->reason), "%s: no file to write", url);
		return -EINVAL;
	}
	return request(url, fd, NULL, opts, res);
}

void ofs_http_result_free(struct ofs_http_result *res)
{
	free(res->body);
	res->body = NULL;
	res->len = 0;
}
