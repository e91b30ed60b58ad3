/* SPDX-License-Identifier: MIT */
/*
 * libofs: HTTP(S) requests for offload-secd (the RAS round trip, the
 * repository fetch), over the libcurl easy interface.  Every HTTP detail
 * lives in lib/http.c: timeouts, retries with backoff, the pinned CA,
 * TLS >= 1.2, http/https only and no redirects, size caps, cancellation,
 * resumed downloads.
 *
 * A request returns 0 when an HTTP answer arrived, whatever its status
 * (res->status; the caller decides what a 404 or a 403 means), or a
 * negative errno when none did, after the retries the options allow:
 *
 *   -ECONNREFUSED   nothing listens there
 *   -EHOSTUNREACH   the name does not resolve, no route to the host
 *   -ETIMEDOUT      the connection or the whole request took too long
 *   -EKEYREJECTED   TLS: the server's certificate does not verify
 *   -EPROTO         TLS or HTTP went wrong otherwise, or the connection
 *                   broke off
 *   -EFBIG          the answer is larger than opts->max_size
 *   -ECANCELED      *opts->cancel became true
 *   -EINVAL         a URL that is not http(s)://, bad options
 *   -ENOMEM, -EIO (a local file could not be written)
 *
 * In every case res->reason holds one sentence for people, e.g.
 * "RAS http://ras:8443/v1/challenge: connection refused (4 attempts)".
 * Safe to call from many threads at once; each call uses its own handle.
 */
#ifndef OFS_HTTP_H
#define OFS_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The release; the build may pass its own. */
#ifndef OFS_VERSION
#define OFS_VERSION		"0.1.0"
#endif
#define OFS_HTTP_USER_AGENT	"offload-secd/" OFS_VERSION

/* Which failed attempts are tried again (until opts->retries run out). */
enum ofs_http_retry {
	OFS_HTTP_RETRY_NEVER,
	/*
	 * Only when the request cannot have reached the server: the name did
	 * not resolve, the connection was refused or never completed.  For
	 * requests with effects, such as an attestation that uses a nonce.
	 */
	OFS_HTTP_RETRY_UNSENT,
	/*
	 * Transport failures (but not TLS verification, cancellation or size)
	 * and the answers 5xx and 429: for idempotent requests.
	 */
	OFS_HTTP_RETRY_IDEMPOTENT,
};

struct ofs_http_opts {
	const char *what;		/* names the peer in reasons: "RAS" */
	unsigned int timeout_ms;	/* one attempt, in all; 0: none */
	unsigned int connect_timeout_ms; /* 0: timeout_ms (or curl's) */
	unsigned int retries;		/* attempts after the first */
	enum ofs_http_retry retry;
	unsigned int backoff_ms;	/* the first pause; 0: 250 */
	unsigned int backoff_max_ms;	/* the longest; 0: 8000 */
	const char *ca_file;		/* PEM: the only trusted CAs; NULL: system's */
	size_t max_size;		/* the body (a file: the whole file); 0: 1 MiB */
	atomic_bool *cancel;		/* polled during transfers and pauses */
	/* Bytes so far of the body (a file: from its start); may be NULL. */
	void (*progress)(void *userdata, uint64_t done, uint64_t total);
	void *userdata;
};

struct ofs_http_result {
	long status;			/* 0 when no answer arrived */
	char *body;			/* NUL-ended (not counted); malloc'd */
	size_t len;
	unsigned int attempts;
	char reason[512];
};

int ofs_http_get(const char *url, const struct ofs_http_opts *opts,
		 struct ofs_http_result *res);
/* POST with Content-Type: application/json. */
int ofs_http_post_json(const char *url, const char *json,
		       const struct ofs_http_opts *opts, struct ofs_http_result *res);
/*
 * GET into fd, a regular file open for reading and writing, resuming
 * after the bytes it already holds (Range).  A server that answers 200
 * rather than 206 sends the whole file, which then replaces them; a 416
 * (the file holds more than the server has) starts over from byte 0.
 * On a 200 or 206 the file holds what arrived, also after a failure (to
 * resume later); other answers leave it alone and their body in res.
 */
int ofs_http_get_file(const char *url, int fd, const struct ofs_http_opts *opts,
		      struct ofs_http_result *res);
void ofs_http_result_free(struct ofs_http_result *res);

#endif
