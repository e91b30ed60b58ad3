// SPDX-License-Identifier: MIT
/*
 * One decision.  The appraisal is the library's (ofs_appraise_policy(),
 * the code path of `offload-sec verify --policy`), with the nonce store
 * plugged in as its freshness check and the chain cache as its chain
 * verifier (only the chain's two signatures are cached); this file only gathers the evidence,
 * signs the confirmation and writes the audit record.  The record is
 * written before the answer: a decision the log does not hold is never
 * handed out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ofs-identity.h"
#include "ofs-util.h"
#include "ras.h"

struct fresh_ctx {
	struct ras_store *store;
	uint64_t now;
};

static int consume_nonce(void *ctx, const uint8_t nonce[OFS_NONCE_LEN],
			 char *why, size_t why_len)
{
	struct fresh_ctx *f = ctx;

	return ras_store_nonce_consume(f->store, nonce, f->now, why, why_len);
}

int ras_challenge(struct ras *ras, const char *client,
		  uint8_t nonce[OFS_NONCE_LEN], uint64_t *expires)
{
	uint64_t now = (uint64_t)time(NULL);

	if (RAND_bytes(nonce, OFS_NONCE_LEN) != 1)
		return -EIO;
	*expires = now + ras->conf.nonce_lifetime;
	return ras_store_nonce_add(ras->store, nonce, now, *expires, client);
}

static int load_chain(const struct ras_attest_req *req, X509 **devid,
		      X509 **alias, char *why, size_t why_len)
{
	if (ofs_cert_from_der(req->cert[0], req->cert_len[0], devid)) {
		snprintf(why, why_len, "chain[0]: not a DER X.509 certificate");
		return -EBADMSG;
	}
	if (ofs_cert_from_der(req->cert[1], req->cert_len[1], alias)) {
		X509_free(*devid);
		*devid = NULL;
		snprintf(why, why_len, "chain[1]: not a DER X.509 certificate");
		return -EBADMSG;
	}
	return 0;
}

static int sign_confirmation(struct ras *ras, const struct ofs_report *rep,
			     struct ras_decision *d)
{
	struct ofs_confirmation c = {
		.expiry = d->expiry,
		.issued_at = d->issued_at,
		.verdict = d->verdict,
		.ras_kid_len = (uint32_t)ras->keys.kid_len,
	};
	int r;

	memcpy(c.nonce, rep->nonce, OFS_NONCE_LEN);
	memcpy(c.report_sha256, d->report_sha256, OFS_SHA256_LEN);
	memcpy(c.policy_id, d->policy_id, sizeof(c.policy_id));
	memcpy(c.policy_digest, d->policy_digest, OFS_SHA256_LEN);
	memcpy(c.ras_kid, ras->keys.kid, ras->keys.kid_len);
	r = ofs_confirmation_sign(ras->keys.sign, &c, d->confirmation,
				  sizeof(d->confirmation), &d->confirmation_len);
	if (r)
		d->confirmation_len = 0;
	return r;
}

static int audit(struct ras *ras, const struct ras_decision *d,
		 const struct ofs_report *rep, bool have_rep, const char *client)
{
	char ueid[2 * OFS_UEID_LEN + 1] = "", nonce[2 * OFS_NONCE_LEN + 1] = "";
	char digest[2 * OFS_SHA256_LEN + 1], pdigest[2 * OFS_SHA256_LEN + 1];
	struct ras_audit rec = {
		.at = d->issued_at, .client = client, .ueid = ueid,
		.report_sha256 = digest, .nonce = nonce,
		.verdict = ofs_verdict_name(d->verdict),
		.policy_id = d->policy_id, .policy_digest = pdigest,
	};
	char *reasons = ras_result_reasons(&d->a);
	int r;

	if (!reasons)
		return -ENOMEM;
	if (have_rep) {
		ofs_hex(rep->ueid, OFS_UEID_LEN, ueid);
		ofs_hex(rep->nonce, OFS_NONCE_LEN, nonce);
	}
	ofs_hex(d->report_sha256, OFS_SHA256_LEN, digest);
	ofs_hex(d->policy_digest, OFS_SHA256_LEN, pdigest);
	rec.reasons = reasons;
	r = ras_store_audit(ras->store, &rec);
	free(reasons);
	return r;
}

/* The claims were filled in: the chain and the signature verified. */
static bool report_trusted(const struct ofs_appraisal *a)
{
	const struct ofs_check *c = ofs_appraisal_find(a, OFS_CHECK_REPORT_SIG);

	return c && !c->err;
}

static void decide(struct ras *ras, const struct ofs_policy *p,
		   const struct ras_attest_req *req, X509 *devid, X509 *alias,
		   struct ras_decision *d, struct ofs_report *rep)
{
	struct fresh_ctx fctx = { ras->store, d->issued_at };
	struct ofs_nonce_source fresh = { consume_nonce, &fctx };
	struct ofs_report_evidence ev = {
		.roots = ras->keys.roots, .n_roots = ras->keys.n_roots,
		.deviceid = devid, .alias = alias,
		.report = req->report, .report_len = req->report_len,
		.nonce = req->nonce,
		.chain_cache = ras->chain_cache,
	};

	ofs_appraise_policy(p, &ev, &fresh, &d->a, rep);
	d->verdict = ofs_appraisal_verdict(&d->a);
}

int ras_attest(struct ras *ras, const struct ras_attest_req *req,
	       const char *client, struct ras_decision *d, char *why,
	       size_t why_len)
{
	struct ofs_report rep = { 0 };
	X509 *devid = NULL, *alias = NULL;
	struct ras_policy *rp;
	int r;

	memset(d, 0, sizeof(*d));
	r = load_chain(req, &devid, &alias, why, why_len);
	if (r)
		return r;
	rp = ras_policy_get(&ras->policy);
	d->issued_at = (uint64_t)time(NULL);
	d->expiry = d->issued_at + rp->p->lifetime;
	memcpy(d->policy_id, rp->p->id, sizeof(d->policy_id));
	memcpy(d->policy_digest, rp->p->digest, OFS_SHA256_LEN);
	ofs_report_digest(req->report, req->report_len, d->report_sha256);
	decide(ras, rp->p, req, devid, alias, d, &rep);
	ras_policy_put(rp);
	X509_free(devid);
	X509_free(alias);
	if (d->verdict != OFS_VERDICT_CONTRAINDICATED &&
	    sign_confirmation(ras, &rep, d)) {
		snprintf(why, why_len, "cannot sign the confirmation");
		return -EIO;
	}
	r = audit(ras, d, &rep, report_trusted(&d->a), client);
	if (r) {
		OPENSSL_cleanse(d->confirmation, sizeof(d->confirmation));
		d->confirmation_len = 0;
		snprintf(why, why_len, "cannot record the decision");
		return -EIO;
	}
	return 0;
}
