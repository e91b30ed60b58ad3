// SPDX-License-Identifier: MIT
/*
 * Appraisal: a real chain (root -> DeviceID -> Alias, keys derived as the
 * device derives them) and a report signed by its Alias key pass every
 * check; each way the evidence can be wrong fails its own check, and only
 * it (or, for the chain and the signature, it and the checks that need it,
 * which are reported as not run).  Then the confirmation's checks.
 */
#include "report-test.h"

#include "ofs-appraise.h"
#include "ofs-identity.h"

#define YEAR	(365L * 24 * 3600)

static const uint8_t uds[OFS_UDS_LEN] = { 0x5e, 0xc0, 0xde };

struct fixture {
	EVP_PKEY *ca_key, *other_ca_key, *devid_key, *alias_key, *stranger;
	X509 *root, *other_root, *devid, *alias;
	struct ofs_measure_log log;
	struct ofs_fw_measurement meas;
	struct ofs_report rep;		/* valid for this chain */
	uint8_t nonce[OFS_NONCE_LEN];
	uint8_t buf[OFS_REPORT_MAX];
	size_t len;
	struct ofs_appraisal a;
};

static X509 *make_root(EVP_PKEY *key)
{
	time_t now = time(NULL);
	X509 *x = NULL;

	assert_int_equal(ofs_cert_make_root(key, OFS_ROOT_CN, now - 3600,
					    now + 20 * YEAR, &x), 0);
	return x;
}

/* The model's three stages, each with its own svn. */
static void measure_boot(struct ofs_measure_log *log)
{
	ofs_measure_init(log);
	assert_int_equal(ofs_measure_stage(log, 0, "rom", "rom v1", 6, 2), 0);
	assert_int_equal(ofs_measure_stage(log, 1, "fmc", "fmc v1", 6, 3), 0);
	assert_int_equal(ofs_measure_stage(log, 2, "runtime", "rt v1", 5, 4),
			 0);
}

/* The report the device would make from this log. */
static void report_from_log(struct ofs_report *r,
			    const struct ofs_measure_log *log)
{
	struct ofs_fw_measurement m;

	assert_int_equal(ofs_measure_summary(log->events, log->n_events, &m),
			 0);
	r->n_regs = OFS_NUM_MEAS_REGS;
	memcpy(r->regs, m.regs, sizeof(m.regs));
	r->n_events = (uint32_t)log->n_events;
	memcpy(r->events, log->events, log->n_events * sizeof(log->events[0]));
	r->svn = m.svn;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ca_key = test_key("P-384");
	f->other_ca_key = test_key("P-384");
	f->stranger = test_key("P-384");
	f->root = make_root(f->ca_key);
	f->other_root = make_root(f->other_ca_key);
	assert_int_equal(ofs_dice_deviceid_key(uds, &f->devid_key), 0);
	assert_int_equal(ofs_cert_issue_deviceid(f->ca_key, f->root,
						 f->devid_key, &f->devid), 0);
	measure_boot(&f->log);
	assert_int_equal(ofs_measure_summary(f->log.events, f->log.n_events,
					     &f->meas), 0);
	assert_int_equal(ofs_dice_alias_from_uds(uds, f->meas.composite,
						 &f->alias_key), 0);
	assert_int_equal(ofs_cert_issue_alias(f->devid_key, f->devid,
					      f->alias_key, &f->meas,
					      &f->alias), 0);
	sample_report(&f->rep);
	assert_int_equal(ofs_dice_ueid(f->devid_key, f->rep.ueid), 0);
	report_from_log(&f->rep, &f->log);
	memcpy(f->nonce, f->rep.nonce, sizeof(f->nonce));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->other_ca_key);
	EVP_PKEY_free(f->devid_key);
	EVP_PKEY_free(f->alias_key);
	EVP_PKEY_free(f->stranger);
	X509_free(f->root);
	X509_free(f->other_root);
	X509_free(f->devid);
	X509_free(f->alias);
	free(f);
	return 0;
}

static void sign(struct fixture *f, EVP_PKEY *key)
{
	assert_int_equal(ofs_report_sign(key, &f->rep, NULL, 0, f->buf,
					 sizeof(f->buf), &f->len), 0);
}

/* Appraises f->buf against root, with the nonce when it is not NULL. */
static int appraise(struct fixture *f, X509 *root, const uint8_t *nonce)
{
	struct ofs_report_evidence ev = {
		.roots = &root, .n_roots = 1,
		.deviceid = f->devid, .alias = f->alias,
		.report = f->buf, .report_len = f->len,
		.nonce = nonce,
	};
	struct ofs_report got;
	size_t i;
	int r;

	r = ofs_appraise_report(&ev, &f->a, &got);
	for (i = 0; i < f->a.n_checks; i++)
		if (f->a.checks[i].err)
			print_message("# %s: %s (expected %s, got %s)\n",
				      f->a.checks[i].name, f->a.checks[i].why,
				      f->a.checks[i].expected,
				      f->a.checks[i].actual);
	return r;
}

/* Every check passed but those named, which failed with their errno. */
static void expect_failed(const struct ofs_appraisal *a, size_t n,
			  const char *const *names, const int *errs)
{
	size_t i, j, failed = 0;

	for (i = 0; i < a->n_checks; i++) {
		int want = 0;

		for (j = 0; j < n; j++)
			if (!strcmp(a->checks[i].name, names[j]))
				want = errs[j];
		if (a->checks[i].err != want)
			fail_msg("check %s: %d, expected %d", a->checks[i].name,
				 a->checks[i].err, want);
		if (want) {
			assert_true(a->checks[i].why[0]);
			failed++;
		}
	}
	assert_int_equal(failed, n);
	assert_int_equal(a->n_failed, n);
}

static void expect_one(const struct ofs_appraisal *a, const char *name, int err)
{
	expect_failed(a, 1, &name, &err);
}

/* name failed with err; every check after it was not run. */
static void expect_stops_at(const struct ofs_appraisal *a, const char *name,
			    int err)
{
	size_t i;

	for (i = 0; i < a->n_checks && strcmp(a->checks[i].name, name); i++)
		assert_int_equal(a->checks[i].err, 0);
	assert_true(i < a->n_checks);
	assert_int_equal(a->checks[i].err, err);
	for (i++; i < a->n_checks; i++) {
		assert_int_equal(a->checks[i].err, -ECANCELED);
		assert_non_null(strstr(a->checks[i].why, "not checked"));
	}
}

static void good(void **state)
{
	struct fixture *f = *state;
	const struct ofs_check *c;

	sign(f, f->alias_key);
	assert_int_equal(appraise(f, f->root, f->nonce), 0);
	assert_int_equal(f->a.n_checks, 7);
	assert_int_equal(f->a.n_failed, 0);
	c = ofs_appraisal_find(&f->a, OFS_CHECK_UEID);
	assert_non_null(c);
	assert_string_equal(c->expected, c->actual);
	assert_int_equal(strlen(c->actual), 2 * OFS_UEID_LEN);
	/* Without a nonce there is no nonce check. */
	assert_int_equal(appraise(f, f->root, NULL), 0);
	assert_int_equal(f->a.n_checks, 6);
	assert_null(ofs_appraisal_find(&f->a, OFS_CHECK_NONCE));
}

static void wrong_root(void **state)
{
	struct fixture *f = *state;

	sign(f, f->alias_key);
	assert_int_equal(appraise(f, f->other_root, f->nonce), -ENOKEY);
	expect_stops_at(&f->a, OFS_CHECK_CHAIN, -ENOKEY);
	assert_int_equal(f->a.n_checks, 7);
}

static void tampered_report(void **state)
{
	struct fixture *f = *state;

	sign(f, f->alias_key);
	/* Inside the payload (boot count's bytes are far from the end). */
	f->buf[f->len / 2] ^= 0x01;
	assert_true(appraise(f, f->root, f->nonce) < 0);
	expect_stops_at(&f->a, OFS_CHECK_REPORT_SIG,
			ofs_appraisal_find(&f->a, OFS_CHECK_REPORT_SIG)->err);
	assert_int_not_equal(ofs_appraisal_find(&f->a,
						OFS_CHECK_REPORT_SIG)->err, 0);
}

static void signed_by_another_key(void **state)
{
	struct fixture *f = *state;

	sign(f, f->stranger);
	assert_int_equal(appraise(f, f->root, f->nonce), -EKEYREJECTED);
	expect_stops_at(&f->a, OFS_CHECK_REPORT_SIG, -EKEYREJECTED);
}

/*
 * Firmware the certificate does not describe, with a log that honestly
 * produces the report's registers: only the measurement check can tell.
 */
static void measurement_mismatch(void **state)
{
	struct fixture *f = *state;
	struct ofs_measure_log log = f->log;

	assert_int_equal(ofs_measure_stage(&log, 2, "plugin", "x", 1, 9), 0);
	report_from_log(&f->rep, &log);
	sign(f, f->alias_key);
	assert_int_equal(appraise(f, f->root, f->nonce), -EKEYREJECTED);
	expect_one(&f->a, OFS_CHECK_MEASUREMENT, -EKEYREJECTED);
}

static void register_count_mismatch(void **state)
{
	struct fixture *f = *state;

	/* Register 3 is the one no event names, so the log still decodes. */
	f->rep.n_regs = 3;
	sign(f, f->alias_key);
	assert_int_equal(appraise(f, f->root, NULL), -EKEYREJECTED);
	expect_failed(&f->a, 2,
		      (const char *const[]){ OFS_CHECK_MEASUREMENT,
					     OFS_CHECK_EVENT_LOG },
		      (const int[]){ -EKEYREJECTED, -EKEYREJECTED });
}

/* The svn comes from the log, so a report lying about it fails both. */
static void svn_mismatch(void **state)
{
	struct fixture *f = *state;

	f->rep.svn++;
	sign(f, f->alias_key);
	assert_int_equal(appraise(f, f->root, f->nonce), -EKEYREJECTED);
	expect_failed(&f->a, 2,
		      (const char *const[]){ OFS_CHECK_SVN, OFS_CHECK_EVENT_LOG },
		      (const int[]){ -EKEYREJECTED, -EBADMSG });
}

static void ueid_mismatch(void **state)
{
	struct fixture *f = *state;

	f->rep.ueid[7] ^= 0x10;
	sign(f, f->alias_key);
	assert_int_equal(appraise(f, f->root, f->nonce), -EKEYREJECTED);
	expect_one(&f->a, OFS_CHECK_UEID, -EKEYREJECTED);
}

static void bad_event_log(void **state)
{
	struct fixture *f = *state;
	const struct ofs_check *c;

	f->rep.events[1].digest[0] ^= 0x01;
	sign(f, f->alias_key);
	assert_int_equal(appraise(f, f->root, f->nonce), -EBADMSG);
	expect_one(&f->a, OFS_CHECK_EVENT_LOG, -EBADMSG);
	c = ofs_appraisal_find(&f->a, OFS_CHECK_EVENT_LOG);
	assert_string_not_equal(c->expected, c->actual);
}

static void wrong_nonce(void **state)
{
	struct fixture *f = *state;
	uint8_t nonce[OFS_NONCE_LEN];

	memcpy(nonce, f->nonce, sizeof(nonce));
	nonce[31] ^= 0x80;
	sign(f, f->alias_key);
	assert_int_equal(appraise(f, f->root, nonce), -EKEYREJECTED);
	expect_one(&f->a, OFS_CHECK_NONCE, -EKEYREJECTED);
}

static void missing_evidence(void **state)
{
	struct fixture *f = *state;
	struct ofs_report_evidence ev = {
		.roots = &f->root, .n_roots = 1, .deviceid = f->devid,
		.alias = f->alias, .report = f->buf, .report_len = 0,
	};

	assert_int_equal(ofs_appraise_report(&ev, &f->a, NULL), -EINVAL);
	assert_int_equal(f->a.n_checks, 0);
	assert_int_equal(ofs_appraise_report(NULL, &f->a, NULL), -EINVAL);
	assert_int_equal(ofs_appraise_report(&ev, NULL, NULL), -EINVAL);
}

/* ---- confirmations ---- */

struct conf_case {
	uint8_t conf[OFS_CONFIRM_MAX];
	size_t conf_len;
	struct ofs_confirmation_evidence ev;
};

/* A confirmation of f's signed report by key, checked against trusted. */
static void confirm(struct fixture *f, struct conf_case *cc, EVP_PKEY *key,
		    EVP_PKEY **trusted)
{
	struct ofs_confirmation c;

	sign(f, f->alias_key);
	sample_confirmation(&c);
	memcpy(c.nonce, f->rep.nonce, sizeof(c.nonce));
	assert_int_equal(ofs_report_digest(f->buf, f->len, c.report_sha256), 0);
	assert_int_equal(ofs_confirmation_sign(key, &c, cc->conf,
					       sizeof(cc->conf),
					       &cc->conf_len), 0);
	cc->ev = (struct ofs_confirmation_evidence){
		.ras_keys = trusted, .n_ras_keys = 2,
		.confirmation = cc->conf, .confirmation_len = cc->conf_len,
		.report = f->buf, .report_len = f->len,
		.now = c.issued_at + 10,
	};
}

static void confirmation_good(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *trusted[] = { f->stranger, f->ca_key };
	struct ofs_confirmation got;
	struct conf_case cc;

	/* Signed by the second trusted key: every key is tried. */
	confirm(f, &cc, f->ca_key, trusted);
	assert_int_equal(ofs_appraise_confirmation(&cc.ev, &f->a, &got), 0);
	assert_int_equal(f->a.n_checks, 3);
	assert_int_equal(f->a.n_failed, 0);
	assert_memory_equal(got.nonce, f->rep.nonce, OFS_NONCE_LEN);
	/* Without the report, no binding check. */
	cc.ev.report = NULL;
	cc.ev.report_len = 0;
	assert_int_equal(ofs_appraise_confirmation(&cc.ev, &f->a, NULL), 0);
	assert_int_equal(f->a.n_checks, 2);
	assert_null(ofs_appraisal_find(&f->a, OFS_CHECK_BINDING));
}

static void confirmation_untrusted_key(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *trusted[] = { f->stranger, f->ca_key };
	struct conf_case cc;

	confirm(f, &cc, f->other_ca_key, trusted);
	assert_int_equal(ofs_appraise_confirmation(&cc.ev, &f->a, NULL),
			 -EKEYREJECTED);
	expect_stops_at(&f->a, OFS_CHECK_CONFIRM_SIG, -EKEYREJECTED);
}

static void confirmation_other_report(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *trusted[] = { f->stranger, f->ca_key };
	struct conf_case cc;

	confirm(f, &cc, f->ca_key, trusted);
	/* The same claims signed again: other bytes (ECDSA is randomised). */
	sign(f, f->alias_key);
	assert_int_equal(ofs_appraise_confirmation(&cc.ev, &f->a, NULL),
			 -EKEYREJECTED);
	expect_one(&f->a, OFS_CHECK_BINDING, -EKEYREJECTED);
}

static void confirmation_window(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *trusted[] = { f->stranger, f->ca_key };
	struct ofs_confirmation c;
	struct conf_case cc;

	confirm(f, &cc, f->ca_key, trusted);
	sample_confirmation(&c);
	cc.ev.now = c.expiry;
	assert_int_equal(ofs_appraise_confirmation(&cc.ev, &f->a, NULL),
			 -ETIME);
	expect_one(&f->a, OFS_CHECK_WINDOW, -ETIME);
	cc.ev.now = c.issued_at - 1;
	assert_int_equal(ofs_appraise_confirmation(&cc.ev, &f->a, NULL),
			 -ETIME);
	expect_one(&f->a, OFS_CHECK_WINDOW, -ETIME);
	cc.ev.now = c.issued_at;
	assert_int_equal(ofs_appraise_confirmation(&cc.ev, &f->a, NULL), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(good),
		T(wrong_root),
		T(tampered_report),
		T(signed_by_another_key),
		T(measurement_mismatch),
		T(register_count_mismatch),
		T(svn_mismatch),
		T(ueid_mismatch),
		T(bad_event_log),
		T(wrong_nonce),
		T(missing_evidence),
		T(confirmation_good),
		T(confirmation_untrusted_key),
		T(confirmation_other_report),
		T(confirmation_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
