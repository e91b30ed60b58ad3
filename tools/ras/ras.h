/* SPDX-License-Identifier: MIT */
/*
 * offload-ras: the reference Remote Attestation Service.  One file per
 * concept:
 *
 *   main.c     order of start and stop, signals (SIGHUP reloads the policy)
 *   conf.c     the configuration file, table-driven, file:line errors
 *   keys.c     the confirmation signing key (a secret) and trusted roots,
 *              the cache of verified device chains under those roots
 *   store.c    SQLite: nonces (single use, expiry) and the audit log
 *   policy.c   the current policy, swapped on reload under live requests
 *   request.c  attest requests (JSON or CBOR) decoded from untrusted bytes
 *   attest.c   one decision: appraisal (lib), confirmation, audit record
 *   result.c   a decision as JSON, EAR-like (a tier per check)
 *   api.c      HTTP routing, content types, size limits, versions
 *   server.c   libmicrohttpd: threads, limits, timeouts, TLS
 *   metrics.c  counters and the latency histogram (Prometheus text)
 *
 * Every function returning int returns 0 or a negative errno.
 */
#ifndef OFS_RAS_H
#define OFS_RAS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ofs-chain-cache.h"
#include "ofs-policy.h"
#include "ofs-report.h"

/* ---- conf.c ---- */

struct ras_config {
	char *listen;			/* address: loopback by default */
	unsigned int port;		/* 0: any free port (logged) */
	char *tls_cert, *tls_key;	/* both or neither */
	char *database;
	bool durable;			/* Store.Synchronous=full */
	char *policy;
	char *signing_key;
	char *key_id;			/* text; default: from the public key */
	char *roots;
	unsigned int threads;
	unsigned int max_connections;
	unsigned int per_ip_connections;
	unsigned int timeout;		/* seconds of client inactivity */
	unsigned int request_deadline;	/* seconds for a whole body */
	size_t max_body;		/* bytes */
	unsigned int nonce_lifetime;	/* seconds */
	unsigned int chain_cache_lifetime;	/* seconds; 0: no cache */
	unsigned int chain_cache_size;	/* verified chains kept */
};

void ras_conf_init(struct ras_config *c);
/* -EINVAL with "FILE:LINE: ..." printed to stderr for each problem. */
int ras_conf_load(struct ras_config *c, const char *path);
/* One "Key=Value" from the command line, checked as in the file. */
int ras_conf_set(struct ras_config *c, const char *key, const char *value);
int ras_conf_check(const struct ras_config *c);
void ras_conf_free(struct ras_config *c);

/* ---- keys.c ---- */

struct ras_keys {
	EVP_PKEY *sign;			/* secret: never logged, never copied */
	uint8_t kid[OFS_KID_MAX];
	size_t kid_len;
	X509 **roots;
	size_t n_roots;
};

int ras_keys_load(struct ras_keys *k, const struct ras_config *c);
void ras_keys_free(struct ras_keys *k);
/* ChainCacheLifetime=0 leaves *out NULL: every chain is verified. */
int ras_chain_cache_new(const struct ras_config *c,
			struct ofs_chain_cache **out);

/* ---- store.c ---- */

struct ras_store;

struct ras_audit {
	uint64_t at;
	const char *client;		/* peer address */
	const char *ueid;		/* hex, "" when unknown */
	const char *report_sha256;	/* hex */
	const char *nonce;		/* hex, "" when unknown */
	const char *verdict;		/* EAR name */
	const char *reasons;		/* JSON array of the failed checks */
	const char *policy_id;
	const char *policy_digest;	/* hex */
};

/* durable: fsync every decision (survives power loss, not only restarts). */
int ras_store_open(const char *path, bool durable, struct ras_store **out);
void ras_store_close(struct ras_store *s);
int ras_store_nonce_add(struct ras_store *s, const uint8_t nonce[OFS_NONCE_LEN],
			uint64_t now, uint64_t expires, const char *client);
/*
 * Uses the nonce up, atomically: 0 once, then -EALREADY; -ENOENT if we
 * never issued it; -ETIME once expired.  why gets a sentence.
 */
int ras_store_nonce_consume(struct ras_store *s,
			    const uint8_t nonce[OFS_NONCE_LEN], uint64_t now,
			    char *why, size_t why_len);
int ras_store_audit(struct ras_store *s, const struct ras_audit *rec);
/* Rows of the audit log (for tests and health). */
int ras_store_audit_count(struct ras_store *s, int64_t *n);
int ras_store_ping(struct ras_store *s);
/* Drops nonces expired before `before` (they are refused either way). */
int ras_store_prune(struct ras_store *s, uint64_t before);

/* ---- policy.c ---- */

struct ras_policy {
	struct ofs_policy *p;
	atomic_int refs;
	uint64_t loaded_at;
};

struct ras_policy_holder {
	pthread_mutex_t lock;
	struct ras_policy *cur;
	const char *path;
};

int ras_policy_init(struct ras_policy_holder *h, const char *path);
/* Loads the file again; on error the old policy stays. */
int ras_policy_reload(struct ras_policy_holder *h, struct ofs_policy_error *err);
/* The current policy, held until ras_policy_put(). */
struct ras_policy *ras_policy_get(struct ras_policy_holder *h);
void ras_policy_put(struct ras_policy *rp);
void ras_policy_fini(struct ras_policy_holder *h);

/* ---- request.c ---- */

#define RAS_CHAIN_LEN	2	/* DeviceID, Alias */

struct ras_attest_req {
	uint8_t nonce[OFS_NONCE_LEN];
	const uint8_t *report;
	size_t report_len;
	const uint8_t *cert[RAS_CHAIN_LEN];
	size_t cert_len[RAS_CHAIN_LEN];
	uint8_t *owned;			/* decoded base64, if any */
};

/* -EBADMSG (with why) for anything but exactly the documented shape. */
int ras_request_decode_json(const char *body, size_t len,
			    struct ras_attest_req *req, char *why, size_t why_len);
int ras_request_decode_cbor(const uint8_t *body, size_t len,
			    struct ras_attest_req *req, char *why, size_t why_len);
void ras_request_release(struct ras_attest_req *req);
/* Strict base64 (RFC 4648, padded); returns the length or -EBADMSG. */

/* ---- attest.c ---- */

struct ras {
	struct ras_config conf;
	struct ras_keys keys;
	struct ras_store *store;
	struct ras_policy_holder policy;
	struct ras_metrics *metrics;
	struct ofs_chain_cache *chain_cache;	/* NULL: disabled */
	void *server;
};

struct ras_decision {
	struct ofs_appraisal a;
	uint32_t verdict;		/* enum ofs_verdict */
	uint8_t report_sha256[OFS_SHA256_LEN];
	char policy_id[OFS_POLICY_ID_MAX + 1];
	uint8_t policy_digest[OFS_SHA256_LEN];
	uint64_t issued_at, expiry;
	uint8_t confirmation[OFS_CONFIRM_MAX];
	size_t confirmation_len;	/* 0: refused */
};

/*
 * Appraises one request under the current policy, signs a confirmation
 * unless the verdict is contraindicated, and appends the audit record.
 * -EBADMSG: the certificates do not parse (a 400, nothing appraised);
 * -EIO: the store failed (nothing issued).
 */
int ras_attest(struct ras *ras, const struct ras_attest_req *req,
	       const char *client, struct ras_decision *d, char *why,
	       size_t why_len);
/* Issues a nonce: stored before it is handed out. */
int ras_challenge(struct ras *ras, const char *client,
		  uint8_t nonce[OFS_NONCE_LEN], uint64_t *expires);

/* ---- result.c ---- */

struct json_object;
struct json_object *ras_result_json(const struct ras_decision *d);
/* The failed checks alone, as the audit log keeps them. */
char *ras_result_reasons(const struct ofs_appraisal *a);

/* ---- metrics.c ---- */

enum ras_endpoint {
	RAS_EP_CHALLENGE, RAS_EP_ATTEST, RAS_EP_POLICY, RAS_EP_HEALTH,
	RAS_EP_METRICS, RAS_EP_OTHER, RAS_EP_COUNT
};

struct ras_metrics;
struct ras_metrics *ras_metrics_new(void);
void ras_metrics_free(struct ras_metrics *m);
void ras_metrics_request(struct ras_metrics *m, enum ras_endpoint ep,
			 unsigned int status, double seconds);
void ras_metrics_decision(struct ras_metrics *m, const struct ras_decision *d);
void ras_metrics_reload(struct ras_metrics *m, bool ok);
/* Prometheus text exposition format, with the cache's (may be NULL). */
char *ras_metrics_text(struct ras_metrics *m, struct ofs_chain_cache *cache);

/* ---- api.c ---- */

struct ras_response {
	unsigned int status;
	const char *content_type;
	char *body;			/* malloc'd */
	size_t len;
	const char *allow;		/* for 405 */
};

/*
 * One request, already read whole (or refused for its size): method, the
 * URL path, the Content-Type header (may be NULL), the body.
 */
void ras_api_handle(struct ras *ras, const char *method, const char *url,
		    const char *content_type, const uint8_t *body, size_t len,
		    const char *client, struct ras_response *resp,
		    enum ras_endpoint *ep);
/* A JSON error body: {"error": status text, "reason": why}. */
void ras_api_error(struct ras_response *resp, unsigned int status,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- server.c ---- */

int ras_server_start(struct ras *ras);
void ras_server_stop(struct ras *ras);
/* The port actually bound (when configured as 0). */
unsigned int ras_server_port(struct ras *ras);

#endif
