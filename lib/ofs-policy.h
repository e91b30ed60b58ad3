/* SPDX-License-Identifier: MIT */
/*
 * libofs: appraisal policy - the reference values a verifier holds a
 * report to - and the appraisal against it.  One implementation for the
 * RAS (tools/ras) and `offload-sec verify --policy` (tools/cli), so that
 * both give the same verdict on the same evidence.
 *
 *   policy.c           the policy document (JSON), strictly validated:
 *                      every error names file:line and the setting
 *   policy-appraise.c  ofs_appraise_report() plus the policy's checks
 *
 * The document's format is docs/ras-api.md §4; docs/examples/policy.json
 * is a commented sample.  The policy digest is SHA-256 of the document's
 * exact bytes: it goes into every confirmation issued under the policy.
 *
 * Every function returning int returns 0 or a negative errno.
 */
#ifndef OFS_POLICY_H
#define OFS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ofs-appraise.h"
#include "ofs-report.h"

/* Caps on what a document may hold, checked while it is read. */
#define OFS_POLICY_MAX_SIZE		(1024 * 1024)
#define OFS_POLICY_MAX_STAGES		OFS_MAX_BOOT_EVENTS
#define OFS_POLICY_MAX_STAGE_DIGESTS	16
#define OFS_POLICY_MAX_COMPOSITES	256
#define OFS_POLICY_MAX_IMAGES		4096
#define OFS_POLICY_MAX_REVOKED		65536
#define OFS_POLICY_NAME_MAX		64
/* Confirmation lifetime bounds, seconds. */
#define OFS_POLICY_MIN_LIFETIME		1
#define OFS_POLICY_MAX_LIFETIME		86400

/* The checks this header adds after the report's (ofs-appraise.h). */
#define OFS_CHECK_FRESHNESS	"nonce freshness"
#define OFS_CHECK_REVOKED	"device not revoked"
#define OFS_CHECK_DEBUG		"debug state"
#define OFS_CHECK_MIN_SVN	"minimum security version"
#define OFS_CHECK_STAGES	"boot stages"
#define OFS_CHECK_COMPOSITE	"boot composite"
#define OFS_CHECK_IMAGE		"image"

/* One firmware stage's reference values. */
struct ofs_policy_stage {
	char stage[OFS_STAGE_NAME_LEN];
	uint8_t reg;
	uint32_t min_svn;
	size_t n_digests;
	uint8_t digests[OFS_POLICY_MAX_STAGE_DIGESTS][OFS_SHA256_LEN];
};

/* One allowed image: the components it has, each with its digest. */
struct ofs_policy_image {
	char name[OFS_POLICY_NAME_MAX + 1];
	uint32_t present;			/* bit (1 << enum ofs_component) */
	uint8_t sha256[OFS_MAX_COMPONENTS][OFS_SHA256_LEN];
	uint64_t size[OFS_MAX_COMPONENTS];	/* 0: not constrained */
};

struct ofs_policy {
	char id[OFS_POLICY_ID_MAX + 1];
	uint8_t digest[OFS_SHA256_LEN];		/* SHA-256 of text */
	uint64_t lifetime;			/* confirmation, seconds */
	uint32_t debug_allowed;			/* bit (1 << dbgstat) */
	uint32_t min_svn;
	uint32_t recommended_svn;		/* below: a warning */
	size_t n_stages;
	struct ofs_policy_stage *stages;
	size_t n_composites;
	uint8_t (*composites)[OFS_SHA256_LEN];
	size_t n_images;
	struct ofs_policy_image *images;
	size_t n_revoked;
	uint8_t (*revoked)[OFS_UEID_LEN];	/* sorted, for bsearch */
	char *text;				/* the document, NUL-ended */
	size_t text_len;
};

/* Why a document was refused: "FILE:LINE: setting: problem". */
struct ofs_policy_error {
	int err;
	unsigned int line;			/* 0: not about one line */
	char what[512];
};

/*
 * Parses and validates a document (name is the file name the errors
 * show).  -EINVAL for a document that breaks the format, -E2BIG over
 * OFS_POLICY_MAX_SIZE, -ENOMEM; err says where and why.
 */
int ofs_policy_parse(const char *text, size_t len, const char *name,
		     struct ofs_policy **out, struct ofs_policy_error *err);
/* Reads path (bounded) and parses it; -errno of the read as well. */
int ofs_policy_load(const char *path, struct ofs_policy **out,
		    struct ofs_policy_error *err);
void ofs_policy_free(struct ofs_policy *p);

/*
 * Freshness of the report's nonce, for a verifier that keeps state (the
 * RAS: issued by it, unexpired, unused - and used up by this call).
 * Returns 0, or a negative errno with why filled in:
 *   -ENOENT  never issued    -ETIME  expired    -EALREADY  used before
 */
struct ofs_nonce_source {
	int (*consume)(void *ctx, const uint8_t nonce[OFS_NONCE_LEN],
		       char *why, size_t why_len);
	void *ctx;
};

/*
 * ofs_appraise_report() (ev->nonce: the offline comparison), then the
 * freshness check when fresh is given (only once the signature verified,
 * so that nobody can use up a nonce with a forged report), then the
 * policy's checks in the order of the OFS_CHECK_* above; each failed
 * check names the expected and the actual values.  Returns as
 * ofs_appraise_report(); the verdict is ofs_appraisal_verdict(a).
 */
int ofs_appraise_policy(const struct ofs_policy *p,
			const struct ofs_report_evidence *ev,
			const struct ofs_nonce_source *fresh,
			struct ofs_appraisal *a, struct ofs_report *rep);

#endif
