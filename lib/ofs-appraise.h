/* SPDX-License-Identifier: MIT */
/*
 * libofs: appraisal of evidence - a report against the device's
 * certificate chain, a confirmation against the RAS keys - as a list of
 * named checks, each with what was expected and what was found.  One code
 * path for every verifier: `offload-sec report verify` prints the list, the
 * RAS decides on it.
 *
 * A report is appraised as (docs/report-profile.md §6, docs/device-identity.md §3.2):
 *
 *   certificate chain      root -> DeviceID -> Alias (ofs_cert_verify_chain,
 *                          or its cache: ofs-chain-cache.h)
 *   report signature       COSE_Sign1 under the Alias key, strict decode
 *   ueid                   the report's = the DeviceID key's
 *   firmware measurement   registers = the Alias certificate's (by composite)
 *   security version       svn = the Alias certificate's
 *   event log              replays to the report's registers and svn
 *   nonce                  = the verifier's (only when one is given)
 *
 * A check that needs an earlier one (everything needs the chain and the
 * signature) is not run when that one failed: it fails with -ECANCELED and
 * says which.
 */
#ifndef OFS_APPRAISE_H
#define OFS_APPRAISE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ofs-report.h"

struct ofs_chain_cache;

#define OFS_CHECK_CHAIN		"certificate chain"
#define OFS_CHECK_REPORT_SIG	"report signature"
#define OFS_CHECK_UEID		"ueid"
#define OFS_CHECK_MEASUREMENT	"firmware measurement"
#define OFS_CHECK_SVN		"security version"
#define OFS_CHECK_EVENT_LOG	"event log"
#define OFS_CHECK_NONCE		"nonce"
#define OFS_CHECK_CONFIRM_SIG	"confirmation signature"
#define OFS_CHECK_BINDING	"bound to the report"
#define OFS_CHECK_WINDOW	"validity window"

/* The report's 7 and ofs-policy.h's checks, with room to spare. */
#define OFS_APPRAISE_MAX_CHECKS	16
/* Room for the longest value shown: a list of debug states, a ueid in hex. */
#define OFS_CHECK_VALUE_LEN	128

struct ofs_check {
	const char *name;			/* one of OFS_CHECK_* */
	int err;				/* 0 passed, else -errno */
	char expected[OFS_CHECK_VALUE_LEN];	/* "" when not one value */
	char actual[OFS_CHECK_VALUE_LEN];
	char why[1024];				/* on failure (or warning), for an operator */
	int warn;				/* passed, with a warning in why */
};

struct ofs_appraisal {
	struct ofs_check checks[OFS_APPRAISE_MAX_CHECKS];
	size_t n_checks;
	size_t n_failed;
};

struct ofs_report_evidence {
	X509 *const *roots;		/* the manufacturer roots trusted */
	size_t n_roots;
	X509 *deviceid;
	X509 *alias;
	const uint8_t *report;		/* the COSE_Sign1 as received */
	size_t report_len;
	const uint8_t *nonce;		/* OFS_NONCE_LEN bytes, or NULL */
	struct ofs_chain_cache *chain_cache;	/* NULL: verify every time */
};

struct ofs_confirmation_evidence {
	EVP_PKEY *const *ras_keys;	/* the RAS keys trusted */
	size_t n_ras_keys;
	const uint8_t *confirmation;
	size_t confirmation_len;
	const uint8_t *report;		/* NULL: binding not checked */
	size_t report_len;
	uint64_t now;			/* seconds since the epoch */
};

/*
 * Fills a with every check, in the order above.  Returns 0 when all
 * passed, else the errno of the first that failed; -EINVAL for missing
 * evidence (then a is empty).  rep (may be NULL) gets the claims once the
 * signature verified; appraisal failures after that still leave them there,
 * so that a caller can show what the device said.
 */
int ofs_appraise_report(const struct ofs_report_evidence *ev,
			struct ofs_appraisal *a, struct ofs_report *rep);
/* Likewise for a confirmation; c (may be NULL) as rep above. */
int ofs_appraise_confirmation(const struct ofs_confirmation_evidence *ev,
			      struct ofs_appraisal *a,
			      struct ofs_confirmation *c);

/*
 * For appraisals that extend the list (ofs-policy.h): add a check (at most
 * OFS_APPRAISE_MAX_CHECKS in all; past that the last one is reused), fail
 * it, record one that could not run, and finish - count the failures and
 * return the first error, as ofs_appraise_report() does.
 */
struct ofs_check *ofs_appraisal_add(struct ofs_appraisal *a, const char *name);
__attribute__((format(printf, 3, 4)))
int ofs_check_fail(struct ofs_check *c, int err, const char *fmt, ...);
void ofs_check_skip(struct ofs_appraisal *a, const char *name, const char *needs);
int ofs_appraisal_finish(struct ofs_appraisal *a);

/*
 * The EAR tier of the whole: contraindicated when a check failed, warning
 * when one passed with a warning, else affirming.
 */
uint32_t ofs_appraisal_verdict(const struct ofs_appraisal *a);
/* The tier of one check; 0 (EAR "none") for one that was not run. */
uint32_t ofs_check_tier(const struct ofs_check *c);

/* The check of that name, or NULL if it was not part of the appraisal. */
const struct ofs_check *ofs_appraisal_find(const struct ofs_appraisal *a,
					   const char *name);

#endif
