/* SPDX-License-Identifier: MIT */
/*
 * libofs: a bounded cache of verified certificate chains, for verifiers
 * that see the same device many times (the RAS).  A device presents the
 * same DeviceID and Alias certificates on every launch until it boots
 * other firmware, so the two signature verifications of its chain
 * (root -> DeviceID, DeviceID -> Alias) need not be repeated for every
 * report.  Only the chain is cached; the report signature and every
 * check after it (nonce, revocation, policy) run on every appraisal.
 *
 * Key: SHA-256 over a per-cache random salt, SHA-256 of the trusted
 * roots' DER (concatenated in order), and the DeviceID and Alias
 * certificates' DER.  Any other root set or any byte of either
 * certificate misses.  (The DER is the certificate as OpenSSL holds it:
 * the signed part exactly as parsed, then the signature algorithm and
 * value - everything verification reads.)  The salt keeps bucket indices
 * unpredictable, so that a device minting Alias certificates cannot
 * crowd one bucket.
 *
 * Value: what ofs_cert_verify_chain() hands out on success - the Alias
 * key (shared, up-ref'd for each caller), the measurement, the ueid.
 * Chains that fail are never stored.  An entry lives `lifetime` seconds
 * and never past its root's notAfter; at `capacity` entries the least
 * recently used one goes.  Thread-safe: one mutex, never held while
 * verifying.
 */
#ifndef OFS_CHAIN_CACHE_H
#define OFS_CHAIN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ofs-identity.h"

struct ofs_chain_cache;

struct ofs_chain_cache_stats {
	uint64_t hits;
	uint64_t misses;	/* not there, or expired */
	uint64_t evictions;	/* the least recently used, at capacity */
	uint64_t entries;
};

/*
 * Seconds, wall clock (root expiry is wall time).  For tests to replace,
 * before the cache is shared between threads; NULL: time().
 */
typedef uint64_t (*ofs_chain_cache_clock)(void *ctx);

/* -EINVAL for capacity or lifetime 0 (a caller disables by passing NULL). */
int ofs_chain_cache_new(size_t capacity, uint64_t lifetime,
			struct ofs_chain_cache **out);
void ofs_chain_cache_free(struct ofs_chain_cache *c);
void ofs_chain_cache_set_clock(struct ofs_chain_cache *c,
			       ofs_chain_cache_clock now, void *ctx);

/*
 * ofs_cert_verify_chain(), with the same arguments, results and errors,
 * answered from the cache when this chain under these roots verified
 * before.  c NULL: ofs_cert_verify_chain() itself.
 */
int ofs_chain_cache_verify(struct ofs_chain_cache *c, X509 *const *roots,
			   size_t n_roots, X509 *deviceid_cert,
			   X509 *alias_cert, struct ofs_chain_info *out);

/* Zeros for c NULL. */
void ofs_chain_cache_get_stats(struct ofs_chain_cache *c,
			       struct ofs_chain_cache_stats *st);

#endif
