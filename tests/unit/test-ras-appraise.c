// SPDX-License-Identifier: MIT
/*
 * The RAS's decisions, through ras_attest() (the code path of POST
 * /v1/attest minus HTTP) with a real device chain, a real SQLite nonce
 * store and policies written to a file: a good report is affirmed and
 * its confirmation carries what it must; each way the evidence or the
 * freshness can be wrong, and each policy rule, fails its own check.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../ras/evidence.h"
#include "ras.h"

struct fixture {
	char dir[64], policy_path[96], db_path[96];
	struct ev_device dev, other;
	struct ras ras;
	EVP_PKEY *stranger;
	struct ofs_report rep;
	uint8_t nonce[OFS_NONCE_LEN];
	uint8_t buf[OFS_REPORT_MAX];
	size_t len;
	char *policy;			/* the text in force */
	struct ras_decision d;
};

static void write_policy(struct fixture *f, const char *text)
{
	struct ofs_policy_error err;
	FILE *p = fopen(f->policy_path, "w");

	assert_non_null(p);
	assert_int_equal(fputs(text, p) >= 0, 1);
	assert_int_equal(fclose(p), 0);
	if (f->ras.policy.cur) {
		if (ras_policy_reload(&f->ras.policy, &err))
			fail_msg("%s", err.what);
	} else {
		assert_int_equal(ras_policy_init(&f->ras.policy, f->policy_path), 0);
	}
	free(f->policy);
	f->policy = strdup(text);
}

/* The test policy with one edit: `from` (first occurrence) -> `to`. */
static void edit_policy(struct fixture *f, const char *from, const char *to)
{
	char *base = ev_policy_json(&f->dev, "test", NULL), *at, *out;

	at = strstr(base, from);
	assert_non_null(at);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - base), base, to,
			     at + strlen(from)) > 0);
	write_policy(f, out);
	free(out);
	free(base);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *policy;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-ras-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->policy_path, sizeof(f->policy_path), "%s/policy.json", f->dir);
	snprintf(f->db_path, sizeof(f->db_path), "%s/ras.db", f->dir);
	assert_int_equal(ev_device_make(&f->dev, 1, 1), 0);
	assert_int_equal(ev_device_make(&f->other, 2, 1), 0);
	f->stranger = EVP_EC_gen("P-384");
	ras_conf_init(&f->ras.conf);
	f->ras.keys.sign = EVP_EC_gen("P-384");
	memcpy(f->ras.keys.kid, "ras-test", 8);
	f->ras.keys.kid_len = 8;
	f->ras.keys.roots = calloc(1, sizeof(X509 *));
	f->ras.keys.roots[0] = f->dev.root;
	X509_up_ref(f->dev.root);
	f->ras.keys.n_roots = 1;
	assert_int_equal(ras_store_open(f->db_path, false, &f->ras.store), 0);
	f->ras.metrics = ras_metrics_new();
	policy = ev_policy_json(&f->dev, "test", NULL);
	write_policy(f, policy);
	free(policy);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	ras_policy_fini(&f->ras.policy);
	ras_store_close(f->ras.store);
	ras_keys_free(&f->ras.keys);
	ras_metrics_free(f->ras.metrics);
	ras_conf_free(&f->ras.conf);
	ev_device_free(&f->dev);
	ev_device_free(&f->other);
	EVP_PKEY_free(f->stranger);
	free(f->policy);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* A fresh nonce from the RAS and the device's report for it, unsigned. */
static void challenge(struct fixture *f)
{
	uint64_t expires;

	assert_int_equal(ras_challenge(&f->ras, "test", f->nonce, &expires), 0);
	ev_report(&f->dev, f->nonce, &f->rep);
}

static void sign_with(struct fixture *f, EVP_PKEY *key)
{
	assert_int_equal(ofs_report_sign(key, &f->rep, NULL, 0, f->buf,
					 sizeof(f->buf), &f->len), 0);
}

/* Attests f->buf with device dev's chain; returns the verdict. */
static uint32_t attest_chain(struct fixture *f, const struct ev_device *dev)
{
	uint8_t *der[2] = { NULL, NULL };
	struct ras_attest_req req = { .report = f->buf, .report_len = f->len };
	char why[256];
	size_t i;

	assert_int_equal(ofs_cert_to_der(dev->devid, &der[0], &req.cert_len[0]), 0);
	assert_int_equal(ofs_cert_to_der(dev->alias, &der[1], &req.cert_len[1]), 0);
	req.cert[0] = der[0];
	req.cert[1] = der[1];
	memcpy(req.nonce, f->nonce, OFS_NONCE_LEN);
	assert_int_equal(ras_attest(&f->ras, &req, "test", &f->d, why, sizeof(why)), 0);
	OPENSSL_free(der[0]);
	OPENSSL_free(der[1]);
	for (i = 0; i < f->d.a.n_checks; i++)
		if (f->d.a.checks[i].err && f->d.a.checks[i].err != -ECANCELED)
			print_message("# %s: %s\n", f->d.a.checks[i].name,
				      f->d.a.checks[i].why);
	return f->d.verdict;
}

static uint32_t attest(struct fixture *f)
{
	if (!f->len)
		sign_with(f, f->dev.alias_key);
	return attest_chain(f, &f->dev);
}

/* Exactly the named check failed (with err), the others passed or skipped. */
static const struct ofs_check *expect_only(struct fixture *f, const char *name,
					   int err)
{
	const struct ofs_check *c = NULL;
	size_t i;

	assert_int_equal(f->d.verdict, OFS_VERDICT_CONTRAINDICATED);
	assert_int_equal(f->d.confirmation_len, 0);
	for (i = 0; i < f->d.a.n_checks; i++) {
		const struct ofs_check *k = &f->d.a.checks[i];

		if (!strcmp(k->name, name))
			c = k;
		else if (k->err && k->err != -ECANCELED)
			fail_msg("check %s failed too: %s", k->name, k->why);
	}
	assert_non_null(c);
	if (c->err != err)
		fail_msg("%s: %d, expected %d (%s)", name, c->err, err, c->why);
	assert_true(c->why[0]);
	return c;
}

static void good(void **state)
{
	struct fixture *f = *state;
	struct ofs_confirmation c;
	uint8_t digest[OFS_SHA256_LEN];
	int64_t rows;

	challenge(f);
	assert_int_equal(attest(f), OFS_VERDICT_AFFIRMING);
	assert_int_equal(f->d.a.n_failed, 0);
	assert_int_equal(f->d.a.n_checks, 14);
	assert_true(f->d.confirmation_len > 0);
	/* The confirmation: signed by the RAS key, about this report. */
	assert_int_equal(ofs_confirmation_verify(f->ras.keys.sign, f->d.confirmation,
						 f->d.confirmation_len, &c, NULL), 0);
	assert_int_equal(ofs_confirmation_check(&c, f->buf, f->len, c.issued_at,
						NULL), 0);
	assert_memory_equal(c.nonce, f->nonce, OFS_NONCE_LEN);
	assert_int_equal(c.verdict, OFS_VERDICT_AFFIRMING);
	assert_string_equal(c.policy_id, "test");
	SHA256((const uint8_t *)f->policy, strlen(f->policy), digest);
	assert_memory_equal(c.policy_digest, digest, OFS_SHA256_LEN);
	assert_int_equal(c.expiry - c.issued_at, 300);
	assert_int_equal(c.ras_kid_len, 8);
	assert_memory_equal(c.ras_kid, "ras-test", 8);
	assert_int_equal(ras_store_audit_count(f->ras.store, &rows), 0);
	assert_int_equal(rows, 1);
}

static void chain_other_root(void **state)
{
	struct fixture *f = *state;

	challenge(f);
	sign_with(f, f->dev.alias_key);
	assert_int_equal(attest_chain(f, &f->other), OFS_VERDICT_CONTRAINDICATED);
	expect_only(f, OFS_CHECK_CHAIN, -ENOKEY);
	assert_int_equal(ofs_appraisal_find(&f->d.a, OFS_CHECK_IMAGE)->err, -ECANCELED);
}

static void signature(void **state)
{
	struct fixture *f = *state;

	challenge(f);
	sign_with(f, f->stranger);
	attest(f);
	expect_only(f, OFS_CHECK_REPORT_SIG, -EKEYREJECTED);
	/* A forged report does not use up the nonce. */
	f->len = 0;
	assert_int_equal(attest(f), OFS_VERDICT_AFFIRMING);
}

static void measurement_mismatch(void **state)
{
	struct fixture *f = *state;
	struct ev_device newer = { 0 };

	/* Registers and log of other firmware, under this boot's Alias cert. */
	assert_int_equal(ev_measure(&newer, 2), 0);
	challenge(f);
	memcpy(f->rep.regs, newer.meas.regs, sizeof(newer.meas.regs));
	memcpy(f->rep.events, newer.log.events, sizeof(newer.log.events[0]) * 3);
	attest(f);
	assert_int_equal(f->d.verdict, OFS_VERDICT_CONTRAINDICATED);
	assert_int_equal(ofs_appraisal_find(&f->d.a, OFS_CHECK_MEASUREMENT)->err,
			 -EKEYREJECTED);
	/* The log is consistent with the (wrong) registers it came with... */
	assert_int_equal(ofs_appraisal_find(&f->d.a, OFS_CHECK_EVENT_LOG)->err, 0);
	/* ...and the policy does not know the new runtime stage either. */
	assert_int_equal(ofs_appraisal_find(&f->d.a, OFS_CHECK_STAGES)->err,
			 -EKEYREJECTED);
}

static void svn_mismatch(void **state)
{
	struct fixture *f = *state;
	const struct ofs_check *c;

	challenge(f);
	f->rep.svn = 3;
	attest(f);
	c = ofs_appraisal_find(&f->d.a, OFS_CHECK_SVN);
	assert_int_equal(c->err, -EKEYREJECTED);
	assert_string_equal(c->expected, "2");
	assert_string_equal(c->actual, "3");
	/* The log replays to svn 2 as well, so it disagrees too. */
	assert_int_equal(ofs_appraisal_find(&f->d.a, OFS_CHECK_EVENT_LOG)->err,
			 -EBADMSG);
}

static void nonce_unknown(void **state)
{
	struct fixture *f = *state;

	challenge(f);
	RAND_bytes(f->nonce, sizeof(f->nonce));
	memcpy(f->rep.nonce, f->nonce, OFS_NONCE_LEN);
	attest(f);
	assert_non_null(strstr(expect_only(f, OFS_CHECK_FRESHNESS, -ENOENT)->why,
			       "not issued"));
}

static void nonce_expired(void **state)
{
	struct fixture *f = *state;
	uint64_t now = (uint64_t)time(NULL);

	RAND_bytes(f->nonce, sizeof(f->nonce));
	assert_int_equal(ras_store_nonce_add(f->ras.store, f->nonce, now - 100,
					     now - 10, "test"), 0);
	ev_report(&f->dev, f->nonce, &f->rep);
	attest(f);
	assert_non_null(strstr(expect_only(f, OFS_CHECK_FRESHNESS, -ETIME)->why,
			       "expired"));
}

static void nonce_replayed(void **state)
{
	struct fixture *f = *state;

	challenge(f);
	assert_int_equal(attest(f), OFS_VERDICT_AFFIRMING);
	attest(f);
	assert_non_null(strstr(expect_only(f, OFS_CHECK_FRESHNESS, -EALREADY)->why,
			       "replay"));
	/* And after a restart of the store. */
	ras_store_close(f->ras.store);
	assert_int_equal(ras_store_open(f->db_path, false, &f->ras.store), 0);
	attest(f);
	expect_only(f, OFS_CHECK_FRESHNESS, -EALREADY);
}

static void nonce_not_the_requests(void **state)
{
	struct fixture *f = *state;

	challenge(f);
	sign_with(f, f->dev.alias_key);
	f->nonce[0] ^= 1;
	attest(f);
	expect_only(f, OFS_CHECK_NONCE, -EKEYREJECTED);
}

static void image_not_allowed(void **state)
{
	struct fixture *f = *state;
	const struct ofs_check *c;

	challenge(f);
	f->rep.components[1].sha256[0] ^= 0xff;
	attest(f);
	c = expect_only(f, OFS_CHECK_IMAGE, -EKEYREJECTED);
	assert_non_null(strstr(c->why, "initrd digest"));
	assert_non_null(strstr(c->why, "not in policy 'test', allowed: "));
	assert_int_equal(strlen(c->expected), 64);
	assert_int_equal(strlen(c->actual), 64);
}

static void image_size(void **state)
{
	struct fixture *f = *state;

	challenge(f);
	f->rep.components[1].size = 10;
	attest(f);
	assert_non_null(strstr(expect_only(f, OFS_CHECK_IMAGE, -EKEYREJECTED)->why,
			       "a size differs"));
}

static void debug_state(void **state)
{
	struct fixture *f = *state;

	challenge(f);
	f->rep.dbgstat = OFS_DBG_ENABLED;
	attest(f);
	assert_string_equal(expect_only(f, OFS_CHECK_DEBUG, -EPERM)->actual,
			    "enabled");
}

static void revoked(void **state)
{
	struct fixture *f = *state;
	char extra[128], ueid[2 * OFS_UEID_LEN + 1], *policy;

	challenge(f);
	ofs_hex(f->rep.ueid, OFS_UEID_LEN, ueid);
	snprintf(extra, sizeof(extra), ",\n  \"revoked_devices\": [\"%s\"]", ueid);
	policy = ev_policy_json(&f->dev, "test", extra);
	write_policy(f, policy);
	free(policy);
	attest(f);
	expect_only(f, OFS_CHECK_REVOKED, -EKEYREVOKED);
}

/* The test policy with the first digit of the value hex changed. */
static void flip_in_policy(struct fixture *f, const uint8_t *value)
{
	char *base = ev_policy_json(&f->dev, "test", NULL), *at;
	char hex[2 * OFS_SHA256_LEN + 1];

	ofs_hex(value, OFS_SHA256_LEN, hex);
	at = strstr(base, hex);
	assert_non_null(at);
	*at = *at == '0' ? '1' : '0';
	write_policy(f, base);
	free(base);
}

static void stage_digest(void **state)
{
	struct fixture *f = *state;

	flip_in_policy(f, f->dev.log.events[1].digest);
	challenge(f);
	attest(f);
	assert_non_null(strstr(expect_only(f, OFS_CHECK_STAGES, -EKEYREJECTED)->why,
			       "stage fmc digest"));
}

static void composite(void **state)
{
	struct fixture *f = *state;

	flip_in_policy(f, f->dev.meas.composite);
	challenge(f);
	attest(f);
	expect_only(f, OFS_CHECK_COMPOSITE, -EKEYREJECTED);
}

static void stage_min_svn(void **state)
{
	struct fixture *f = *state;

	edit_policy(f, "\"min_svn\": 2}", "\"min_svn\": 3}");
	challenge(f);
	attest(f);
	assert_non_null(strstr(expect_only(f, OFS_CHECK_STAGES, -EKEYREJECTED)->why,
			       "stage runtime svn 2 is below"));
}

static void min_svn(void **state)
{
	struct fixture *f = *state;

	edit_policy(f, "\"min_svn\": 2,", "\"min_svn\": 3,");
	challenge(f);
	attest(f);
	assert_string_equal(expect_only(f, OFS_CHECK_MIN_SVN, -EKEYREJECTED)->expected,
			    ">= 3");
}

static void recommended_svn_warns(void **state)
{
	struct fixture *f = *state;
	struct ofs_confirmation c;

	edit_policy(f, "\"min_svn\": 2,", "\"min_svn\": 2, \"recommended_svn\": 4,");
	challenge(f);
	assert_int_equal(attest(f), OFS_VERDICT_WARNING);
	assert_int_equal(f->d.a.n_failed, 0);
	assert_true(ofs_appraisal_find(&f->d.a, OFS_CHECK_MIN_SVN)->warn);
	assert_int_equal(ofs_confirmation_verify(f->ras.keys.sign, f->d.confirmation,
						 f->d.confirmation_len, &c, NULL), 0);
	assert_int_equal(c.verdict, OFS_VERDICT_WARNING);
}

static void bad_certificates(void **state)
{
	struct fixture *f = *state;
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	struct ras_attest_req req = {
		.report = junk, .report_len = sizeof(junk),
		.cert = { junk, junk }, .cert_len = { sizeof(junk), sizeof(junk) },
	};
	char why[256];

	assert_int_equal(ras_attest(&f->ras, &req, "t", &f->d, why, sizeof(why)),
			 -EBADMSG);
	assert_non_null(strstr(why, "chain[0]"));
}

#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(good), T(chain_other_root), T(signature), T(measurement_mismatch),
		T(svn_mismatch), T(nonce_unknown), T(nonce_expired),
		T(nonce_replayed), T(nonce_not_the_requests), T(image_not_allowed),
		T(image_size), T(debug_state), T(revoked), T(stage_digest),
		T(stage_min_svn), T(composite), T(min_svn),
		T(recommended_svn_warns), T(bad_certificates),
	};

	return cmocka_run_group_tests_name("ras-appraise", tests, NULL, NULL);
}
