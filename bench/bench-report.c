// SPDX-License-Identifier: MIT
/*
 * The signed evidence: ofs_report_sign() on a realistic report (four
 * registers, a three-stage log, three image components) and
 * ofs_confirmation_verify(), against raw ECDSA P-384 sign and verify on a
 * message of similar size.  The signature is the work; the encoder, the
 * COSE envelope and the strict decoder around it should cost little.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>

#include "bench.h"
#include "ofs-report.h"

#define SECONDS	0.5

static void die(const char *what)
{
	fprintf(stderr, "bench-report: %s failed\n", what);
	exit(1);
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

/* What the model's report carries at launch. */
static void realistic_report(struct ofs_report *r)
{
	static const char *const stages[] = { "rom", "fmc", "runtime" };
	uint32_t i;

	memset(r, 0, sizeof(*r));
	fill(r->nonce, sizeof(r->nonce), 1);
	fill(r->ueid, sizeof(r->ueid), 2);
	r->ueid[0] = OFS_UEID_TYPE_RAND;
	r->dbgstat = OFS_DBG_DISABLED_PERMANENTLY;
	r->boot_count = 12;
	r->fw = (struct ofs_fw_version){ 0, 1, 0 };
	r->svn = 1;
	r->n_regs = OFS_NUM_MEAS_REGS;
	for (i = 0; i < r->n_regs; i++)
		fill(r->regs[i], OFS_SHA256_LEN, (uint8_t)(3 + i));
	r->n_events = 3;
	for (i = 0; i < 3; i++) {
		r->events[i].reg = (uint8_t)i;
		snprintf(r->events[i].stage, sizeof(r->events[i].stage), "%s",
			 stages[i]);
		fill(r->events[i].digest, OFS_SHA256_LEN, (uint8_t)(10 + i));
		r->events[i].svn = 1;
	}
	r->n_components = 3;
	for (i = 0; i < 3; i++) {
		r->components[i].component = i;
		fill(r->components[i].sha256, OFS_SHA256_LEN, (uint8_t)(20 + i));
		r->components[i].size = (8u << 20) * (i + 1);
	}
	fill(r->session_id, sizeof(r->session_id), 5);
	fill(r->device_pub, sizeof(r->device_pub), 6);
	r->device_pub[0] = 0x04;
	fill(r->host_pub, sizeof(r->host_pub), 7);
	r->host_pub[0] = 0x04;
}

static double report_sign_rate(EVP_PKEY *key, const struct ofs_report *r)
{
	static uint8_t out[OFS_REPORT_MAX];
	double t0 = bench_now(), t;
	uint64_t ops = 0;
	size_t len;

	do {
		if (ofs_report_sign(key, r, NULL, 0, out, sizeof(out), &len))
			die("ofs_report_sign");
		ops++;
		t = bench_now() - t0;
	} while (t < SECONDS);
	return ops / t;
}

static double confirmation_verify_rate(EVP_PKEY *key, const uint8_t *msg,
				       size_t len)
{
	struct ofs_confirmation c;
	double t0 = bench_now(), t;
	uint64_t ops = 0;

	do {
		if (ofs_confirmation_verify(key, msg, len, &c, NULL))
			die("ofs_confirmation_verify");
		ops++;
		t = bench_now() - t0;
	} while (t < SECONDS);
	return ops / t;
}

/* A confirmation as the RAS issues it. */
static size_t make_confirmation(EVP_PKEY *key, uint8_t *out, size_t size)
{
	struct ofs_confirmation c = {
		.issued_at = 1767225600,
		.expiry = 1767225600 + 300,
		.verdict = OFS_VERDICT_AFFIRMING,
		.ras_kid_len = 8,
	};
	size_t len;

	fill(c.nonce, sizeof(c.nonce), 1);
	fill(c.report_sha256, sizeof(c.report_sha256), 8);
	snprintf(c.policy_id, sizeof(c.policy_id), "fleet-default/2026-01");
	fill(c.policy_digest, sizeof(c.policy_digest), 9);
	fill(c.ras_kid, c.ras_kid_len, 10);
	if (ofs_confirmation_sign(key, &c, out, size, &len))
		die("ofs_confirmation_sign");
	return len;
}

static double best(double a, double b)
{
	return a > b ? a : b;
}

int main(void)
{
	static uint8_t conf[OFS_CONFIRM_MAX];
	EVP_PKEY *key = EVP_EC_gen("P-384");
	double sign = 0, sign_limit = 0, verify = 0, verify_limit = 0;
	struct ofs_report r;
	size_t conf_len;
	int i;

	if (!key)
		die("P-384 key generation");
	realistic_report(&r);
	conf_len = make_confirmation(key, conf, sizeof(conf));
	/* Alternate, best of three each: a noisy neighbour hits both sides. */
	for (i = 0; i < 3; i++) {
		sign_limit = best(sign_limit, bench_limit_p384_sign(SECONDS));
		sign = best(sign, report_sign_rate(key, &r));
		verify_limit = best(verify_limit, bench_limit_p384_verify(SECONDS));
		verify = best(verify, confirmation_verify_rate(key, conf, conf_len));
	}
	bench_report("report sign vs ECDSA P-384 sign", sign, sign_limit,
		     "ops/s", 0.9);
	bench_report("confirmation verify vs ECDSA P-384 verify", verify,
		     verify_limit, "ops/s", 0.9);
	EVP_PKEY_free(key);
	return 0;
}
