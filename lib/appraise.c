// SPDX-License-Identifier: MIT
/*
 * Appraisal of a report and of a confirmation as named checks.  Each check
 * is one small function that records what it expected and what it found;
 * the comparisons themselves are the library's (chain verification, the
 * strict decoders, the log replay, ofs_confirmation_check()), so that the
 * CLI and the RAS cannot drift from the device's own rules.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ofs-appraise.h"
#include "ofs-chain-cache.h"
#include "ofs-identity.h"
#include "ofs-util.h"

/* ---- recording ---- */

struct ofs_check *ofs_appraisal_add(struct ofs_appraisal *a, const char *name)
{
	struct ofs_check *c;

	if (a->n_checks == OFS_APPRAISE_MAX_CHECKS)
		a->n_checks--;
	c = &a->checks[a->n_checks++];
	memset(c, 0, sizeof(*c));
	c->name = name;
	return c;
}

int ofs_check_fail(struct ofs_check *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return c->err = err;
}

/* A check that could not run because an earlier one failed. */
void ofs_check_skip(struct ofs_appraisal *a, const char *name,
		    const char *needs)
{
	ofs_check_fail(ofs_appraisal_add(a, name), -ECANCELED,
		       "not checked: the %s did not verify", needs);
}


/* Fills both values and fails on a difference. */
static int check_bytes(struct ofs_check *c, const uint8_t *expected,
		       const uint8_t *actual, size_t n, const char *what)
{
	ofs_hex(expected, n, c->expected);
	ofs_hex(actual, n, c->actual);
	if (CRYPTO_memcmp(expected, actual, n))
		return ofs_check_fail(c, -EKEYREJECTED, "%s differ", what);
	return 0;
}

static int appraisal_result(const struct ofs_appraisal *a)
{
	size_t i;

	for (i = 0; i < a->n_checks; i++)
		if (a->checks[i].err)
			return a->checks[i].err;
	return 0;
}

static void count_failed(struct ofs_appraisal *a)
{
	size_t i;

	a->n_failed = 0;
	for (i = 0; i < a->n_checks; i++)
		a->n_failed += a->checks[i].err != 0;
}

int ofs_appraisal_finish(struct ofs_appraisal *a)
{
	count_failed(a);
	return appraisal_result(a);
}

uint32_t ofs_check_tier(const struct ofs_check *c)
{
	if (c->err == -ECANCELED)
		return 0;
	if (c->err)
		return OFS_VERDICT_CONTRAINDICATED;
	return c->warn ? OFS_VERDICT_WARNING : OFS_VERDICT_AFFIRMING;
}

uint32_t ofs_appraisal_verdict(const struct ofs_appraisal *a)
{
	uint32_t v = OFS_VERDICT_AFFIRMING, t;
	size_t i;

	/* Nothing appraised is nothing affirmed. */
	if (!a->n_checks)
		return OFS_VERDICT_CONTRAINDICATED;
	for (i = 0; i < a->n_checks; i++) {
		t = ofs_check_tier(&a->checks[i]);
		if (a->checks[i].err)
			return OFS_VERDICT_CONTRAINDICATED;
		if (t > v)
			v = t;
	}
	return v;
}

const struct ofs_check *ofs_appraisal_find(const struct ofs_appraisal *a,
					   const char *name)
{
	size_t i;

	for (i = 0; a && name && i < a->n_checks; i++)
		if (!strcmp(a->checks[i].name, name))
			return &a->checks[i];
	return NULL;
}

/* ---- the report ---- */

static int check_chain(struct ofs_appraisal *a,
		       const struct ofs_report_evidence *ev,
		       struct ofs_chain_info *info)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_CHAIN);
	int r;

	r = ofs_chain_cache_verify(ev->chain_cache, ev->roots, ev->n_roots,
				   ev->deviceid, ev->alias, info);
	if (r)
		return ofs_check_fail(c, r, "%s", info->reason ? info->reason :
				  "chain does not verify");
	return 0;
}

static int check_report_sig(struct ofs_appraisal *a,
			    const struct ofs_report_evidence *ev,
			    EVP_PKEY *alias_pub, struct ofs_report *rep)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_REPORT_SIG);
	struct ofs_decode_error err = { 0 };
	int r;

	r = ofs_report_verify(alias_pub, ev->report, ev->report_len, rep, &err);
	if (r)
		return ofs_check_fail(c, r, "%s", err.what[0] ? err.what :
				  "does not verify under the Alias key");
	return 0;
}

static void check_ueid(struct ofs_appraisal *a, const struct ofs_chain_info *info,
		       const struct ofs_report *rep)
{
	check_bytes(ofs_appraisal_add(a, OFS_CHECK_UEID), info->ueid, rep->ueid,
		    OFS_UEID_LEN, "the report's ueid and the DeviceID key's");
}

/*
 * Registers compared through their composite, which is what the Alias key
 * was derived from; a device with another register count cannot match.
 */
static void check_measurement(struct ofs_appraisal *a,
			      const struct ofs_fw_measurement *meas,
			      const struct ofs_report *rep)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_MEASUREMENT);
	uint8_t composite[OFS_SHA256_LEN];

	ofs_hex(meas->composite, OFS_SHA256_LEN, c->expected);
	if (rep->n_regs != OFS_NUM_MEAS_REGS) {
		snprintf(c->actual, sizeof(c->actual), "%" PRIu32 " registers",
			 rep->n_regs);
		ofs_check_fail(c, -EKEYREJECTED, "the report has %" PRIu32
			   " registers, the Alias certificate %d", rep->n_regs,
			   OFS_NUM_MEAS_REGS);
		return;
	}
	if (ofs_measure_composite(rep->regs, composite)) {
		ofs_check_fail(c, -ENOMEM, "cannot hash the registers");
		return;
	}
	check_bytes(c, meas->composite, composite, OFS_SHA256_LEN,
		    "the composites of the report's registers and of the "
		    "Alias certificate's");
}

static void check_svn(struct ofs_appraisal *a,
		      const struct ofs_fw_measurement *meas,
		      const struct ofs_report *rep)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_SVN);

	snprintf(c->expected, sizeof(c->expected), "%" PRIu32, meas->svn);
	snprintf(c->actual, sizeof(c->actual), "%" PRIu32, rep->svn);
	if (rep->svn != meas->svn)
		ofs_check_fail(c, -EKEYREJECTED, "the report's svn and the Alias "
			   "certificate's differ");
}

/* The log must yield the registers and svn the report states. */
static void check_event_log(struct ofs_appraisal *a,
			    const struct ofs_report *rep)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_EVENT_LOG);
	struct ofs_fw_measurement claimed, replayed;
	int r;

	if (rep->n_regs != OFS_NUM_MEAS_REGS) {
		ofs_check_fail(c, -EKEYREJECTED, "the report has %" PRIu32
			   " registers, a log replays to %d", rep->n_regs,
			   OFS_NUM_MEAS_REGS);
		return;
	}
	memcpy(claimed.regs, rep->regs, sizeof(claimed.regs));
	claimed.svn = rep->svn;
	if (ofs_measure_composite(claimed.regs, claimed.composite) ||
	    ofs_measure_summary(rep->events, rep->n_events, &replayed)) {
		ofs_check_fail(c, -EINVAL, "the log cannot be replayed");
		return;
	}
	ofs_hex(claimed.composite, OFS_SHA256_LEN, c->expected);
	ofs_hex(replayed.composite, OFS_SHA256_LEN, c->actual);
	r = ofs_measure_verify_log(rep->events, rep->n_events, &claimed);
	if (r && replayed.svn != claimed.svn)
		ofs_check_fail(c, r, "the log replays to svn %" PRIu32 ", the "
			   "report states %" PRIu32, replayed.svn, rep->svn);
	else if (r)
		ofs_check_fail(c, r, "the log replays to other registers than the "
			   "report's (composites shown)");
}

static void check_nonce(struct ofs_appraisal *a, const uint8_t *nonce,
			const struct ofs_report *rep)
{
	check_bytes(ofs_appraisal_add(a, OFS_CHECK_NONCE), nonce, rep->nonce,
		    OFS_NONCE_LEN, "the report's nonce and the one issued");
}

static bool report_evidence_ok(const struct ofs_report_evidence *ev)
{
	return ev && ev->roots && ev->n_roots && ev->deviceid && ev->alias &&
	       ev->report && ev->report_len;
}

/* The checks that need a trusted, decoded report: run or skipped alike. */
static void report_claims(struct ofs_appraisal *a,
			  const struct ofs_report_evidence *ev,
			  const struct ofs_chain_info *info,
			  const struct ofs_report *rep, const char *failed)
{
	static const char *const names[] = {
		OFS_CHECK_UEID, OFS_CHECK_MEASUREMENT, OFS_CHECK_SVN,
		OFS_CHECK_EVENT_LOG, OFS_CHECK_NONCE,
	};
	size_t i, n = sizeof(names) / sizeof(names[0]) - !ev->nonce;

	if (failed) {
		for (i = 0; i < n; i++)
			ofs_check_skip(a, names[i], failed);
		return;
	}
	check_ueid(a, info, rep);
	check_measurement(a, &info->meas, rep);
	check_svn(a, &info->meas, rep);
	check_event_log(a, rep);
	if (ev->nonce)
		check_nonce(a, ev->nonce, rep);
}

int ofs_appraise_report(const struct ofs_report_evidence *ev,
			struct ofs_appraisal *a, struct ofs_report *rep)
{
	static const struct ofs_report none;
	struct ofs_chain_info info = { 0 };
	struct ofs_report claims = none;
	const char *failed = NULL;

	if (!a)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	if (!report_evidence_ok(ev))
		return -EINVAL;
	if (check_chain(a, ev, &info))
		failed = "certificate chain";
	if (failed)
		ofs_check_skip(a, OFS_CHECK_REPORT_SIG, failed);
	else if (check_report_sig(a, ev, info.alias_pub, &claims))
		failed = "report signature";
	report_claims(a, ev, &info, &claims, failed);
	ofs_chain_info_release(&info);
	if (rep && !failed)
		*rep = claims;
	count_failed(a);
	return appraisal_result(a);
}

/* ---- the confirmation ---- */

/* Any of the trusted RAS keys may have signed it. */
static int check_confirm_sig(struct ofs_appraisal *a,
			     const struct ofs_confirmation_evidence *ev,
			     struct ofs_confirmation *conf)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_CONFIRM_SIG);
	struct ofs_decode_error err = { 0 };
	int r = -ENOKEY;
	size_t i;

	for (i = 0; i < ev->n_ras_keys; i++) {
		memset(&err, 0, sizeof(err));
		r = ofs_confirmation_verify(ev->ras_keys[i], ev->confirmation,
					    ev->confirmation_len, conf, &err);
		/* Anything but a wrong key is the same under every key. */
		if (r != -EKEYREJECTED)
			break;
	}
	if (r)
		return ofs_check_fail(c, r, "%s", err.what[0] ? err.what :
				  "no trusted RAS key verifies it");
	return 0;
}

/*
 * The device's own check, evaluated at the moment of issue so that only
 * the binding (report digest, nonce) can fail here; the time window is
 * the next check.
 */
static void check_binding(struct ofs_appraisal *a,
			  const struct ofs_confirmation_evidence *ev,
			  const struct ofs_confirmation *conf)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_BINDING);
	struct ofs_decode_error err = { 0 };
	uint8_t digest[OFS_SHA256_LEN];
	int r;

	if (ofs_report_digest(ev->report, ev->report_len, digest)) {
		ofs_check_fail(c, -ENOMEM, "cannot hash the report");
		return;
	}
	ofs_hex(digest, sizeof(digest), c->expected);
	ofs_hex(conf->report_sha256, sizeof(digest), c->actual);
	r = ofs_confirmation_check(conf, ev->report, ev->report_len,
				   conf->issued_at, &err);
	if (r)
		ofs_check_fail(c, r, "%s", err.what);
}

static void check_window(struct ofs_appraisal *a,
			 const struct ofs_confirmation_evidence *ev,
			 const struct ofs_confirmation *conf)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_WINDOW);

	snprintf(c->expected, sizeof(c->expected), "[%" PRIu64 ", %" PRIu64 ")",
		 conf->issued_at, conf->expiry);
	snprintf(c->actual, sizeof(c->actual), "%" PRIu64, ev->now);
	if (ev->now < conf->issued_at)
		ofs_check_fail(c, -ETIME, "not valid before %" PRIu64,
			   conf->issued_at);
	else if (ev->now >= conf->expiry)
		ofs_check_fail(c, -ETIME, "expired at %" PRIu64, conf->expiry);
}

int ofs_appraise_confirmation(const struct ofs_confirmation_evidence *ev,
			      struct ofs_appraisal *a,
			      struct ofs_confirmation *c)
{
	struct ofs_confirmation conf = { 0 };
	bool sig_ok;

	if (!a)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	if (!ev || !ev->ras_keys || !ev->n_ras_keys || !ev->confirmation ||
	    (!ev->report && ev->report_len))
		return -EINVAL;
	sig_ok = !check_confirm_sig(a, ev, &conf);
	if (ev->report && sig_ok)
		check_binding(a, ev, &conf);
	else if (ev->report)
		ofs_check_skip(a, OFS_CHECK_BINDING, "confirmation signature");
	if (sig_ok)
		check_window(a, ev, &conf);
	else
		ofs_check_skip(a, OFS_CHECK_WINDOW, "confirmation signature");
	if (c && sig_ok)
		*c = conf;
	count_failed(a);
	return appraisal_result(a);
}
