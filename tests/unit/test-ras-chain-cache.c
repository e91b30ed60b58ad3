// SPDX-License-Identifier: MIT
/*
 * The cache of verified certificate chains (lib/chain-cache.c) as the RAS
 * uses it: the same chain hits; one changed byte of either certificate,
 * or other roots, miss; a forged Alias certificate never verifies and
 * never becomes a hit; entries expire (by an injected clock, and never
 * past the root's notAfter); the size bound holds, least recently used
 * first; many threads at once; and through ras_attest(), a hit skips
 * only the chain - revocation and the nonce are still checked.
 */
#include <errno.h>
#include <pthread.h>
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
#include "ofs-chain-cache.h"
#include "ras.h"

#define N_ALIAS		6

struct fixture {
	struct ev_device dev, other;
	X509 *alias[N_ALIAS];		/* dev's DeviceID, other measurements */
	struct ofs_chain_cache *c;
	uint64_t now;
};

static uint64_t fake_clock(void *ctx)
{
	return *(const uint64_t *)ctx;
}

/* Another valid Alias certificate of dev: another svn in its measurement. */
static X509 *issue_alias(struct ev_device *d, uint32_t svn)
{
	struct ofs_fw_measurement m = d->meas;
	X509 *x = NULL;

	m.svn = svn;
	assert_int_equal(ofs_cert_issue_alias(d->devid_key, d->devid,
					      d->alias_key, &m, &x), 0);
	return x;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int i;

	assert_non_null(f);
	assert_int_equal(ev_device_make(&f->dev, 1, 1), 0);
	assert_int_equal(ev_device_make(&f->other, 2, 1), 0);
	for (i = 0; i < N_ALIAS; i++)
		f->alias[i] = issue_alias(&f->dev, 10 + (uint32_t)i);
	f->now = 1000;
	assert_int_equal(ofs_chain_cache_new(4, 600, &f->c), 0);
	ofs_chain_cache_set_clock(f->c, fake_clock, &f->now);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int i;

	ofs_chain_cache_free(f->c);
	for (i = 0; i < N_ALIAS; i++)
		X509_free(f->alias[i]);
	ev_device_free(&f->dev);
	ev_device_free(&f->other);
	free(f);
	return 0;
}

static struct ofs_chain_cache_stats stats(struct fixture *f)
{
	struct ofs_chain_cache_stats st;

	ofs_chain_cache_get_stats(f->c, &st);
	return st;
}

/* Verifies through the cache; checks a success against the uncached answer. */
static int verify_roots(struct fixture *f, X509 *const *roots, size_t n,
			X509 *devid, X509 *alias)
{
	struct ofs_chain_info got, want;
	int r, r2;

	r = ofs_chain_cache_verify(f->c, roots, n, devid, alias, &got);
	r2 = ofs_cert_verify_chain(roots, n, devid, alias, &want);
	assert_int_equal(r, r2);
	if (!r) {
		assert_non_null(got.alias_pub);
		assert_int_equal(EVP_PKEY_eq(got.alias_pub, want.alias_pub), 1);
		assert_memory_equal(got.ueid, want.ueid, OFS_UEID_LEN);
		assert_memory_equal(&got.meas, &want.meas, sizeof(got.meas));
		assert_int_equal(got.anchor_not_after, want.anchor_not_after);
	} else {
		assert_null(got.alias_pub);
	}
	ofs_chain_info_release(&got);
	ofs_chain_info_release(&want);
	return r;
}

static int verify(struct fixture *f, X509 *devid, X509 *alias)
{
	return verify_roots(f, &f->dev.root, 1, devid, alias);
}

static void expect(struct fixture *f, uint64_t hits, uint64_t misses)
{
	struct ofs_chain_cache_stats st = stats(f);

	assert_int_equal(st.hits, hits);
	assert_int_equal(st.misses, misses);
}

/* der of x with one byte changed (at `at` from the end), parsed again. */
static X509 *flip(X509 *x, size_t at)
{
	uint8_t *der = NULL;
	size_t len;
	X509 *y = NULL;

	assert_int_equal(ofs_cert_to_der(x, &der, &len), 0);
	der[len - at] ^= 0x01;
	assert_int_equal(ofs_cert_from_der(der, len, &y), 0);
	OPENSSL_free(der);
	return y;
}

static void hit_on_same_chain(void **state)
{
	struct fixture *f = *state;
	X509 *devid = X509_dup(f->dev.devid), *alias = X509_dup(f->dev.alias);

	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	expect(f, 0, 1);
	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	expect(f, 1, 1);
	/* The same bytes in other objects: the key is the content. */
	assert_int_equal(verify(f, devid, alias), 0);
	expect(f, 2, 1);
	assert_int_equal(stats(f).entries, 1);
	X509_free(devid);
	X509_free(alias);
}

static void miss_on_one_changed_byte(void **state)
{
	struct fixture *f = *state;
	/* The last byte of the signature: parses, does not verify. */
	X509 *devid = flip(f->dev.devid, 1), *alias = flip(f->dev.alias, 1);

	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	assert_int_equal(verify(f, devid, f->dev.alias), -EBADMSG);
	expect(f, 0, 2);
	assert_int_equal(verify(f, f->dev.devid, alias), -EBADMSG);
	expect(f, 0, 3);
	/* Failures are not cached: the same bytes miss (and fail) again. */
	assert_int_equal(verify(f, f->dev.devid, alias), -EBADMSG);
	expect(f, 0, 4);
	assert_int_equal(stats(f).entries, 1);
	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	expect(f, 1, 4);
	X509_free(devid);
	X509_free(alias);
}

/* The Alias certificate re-signed by a key that is not the DeviceID's. */
static void forged_alias_never_hits(void **state)
{
	struct fixture *f = *state;
	struct ev_device sibling = { 0 };
	X509 *forged = X509_dup(f->dev.alias);
	EVP_PKEY *stranger = EVP_EC_gen("P-384");
	int i;

	assert_non_null(forged);
	assert_non_null(stranger);
	assert_true(X509_sign(forged, stranger, EVP_sha384()) > 0);
	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	for (i = 0; i < 3; i++)
		assert_int_not_equal(verify(f, f->dev.devid, forged), 0);
	expect(f, 0, 4);
	/* Nor under the DeviceID of another device of the same maker. */
	sibling.ca_key = f->dev.ca_key;
	sibling.root = f->dev.root;
	EVP_PKEY_up_ref(sibling.ca_key);
	X509_up_ref(sibling.root);
	assert_int_equal(ev_device_make(&sibling, 3, 1), 0);
	assert_int_equal(verify(f, sibling.devid, sibling.alias), 0);
	assert_int_not_equal(verify(f, sibling.devid, f->dev.alias), 0);
	assert_int_not_equal(verify(f, f->dev.devid, sibling.alias), 0);
	expect(f, 0, 7);
	assert_int_equal(stats(f).entries, 2);
	ev_device_free(&sibling);
	X509_free(forged);
	EVP_PKEY_free(stranger);
}

static void miss_with_other_roots(void **state)
{
	struct fixture *f = *state;
	X509 *both[2] = { f->dev.root, f->other.root };
	X509 *swapped[2] = { f->other.root, f->dev.root };
	X509 *same = X509_dup(f->dev.root);

	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	expect(f, 0, 1);
	assert_int_equal(verify_roots(f, both, 2, f->dev.devid, f->dev.alias), 0);
	expect(f, 0, 2);
	assert_int_equal(verify_roots(f, swapped, 2, f->dev.devid,
				      f->dev.alias), 0);
	expect(f, 0, 3);
	assert_int_equal(verify_roots(f, &f->other.root, 1, f->dev.devid,
				      f->dev.alias), -ENOKEY);
	expect(f, 0, 4);
	/* The same root in another object is the same trust. */
	assert_int_equal(verify_roots(f, &same, 1, f->dev.devid, f->dev.alias), 0);
	expect(f, 1, 4);
	X509_free(same);
}

static void expiry(void **state)
{
	struct fixture *f = *state;
	struct ofs_chain_info info;

	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	f->now = 1599;
	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	expect(f, 1, 1);
	f->now = 1600;
	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	expect(f, 1, 2);
	f->now = 1601;
	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	expect(f, 2, 2);
	/* A clock that went back does not extend a life. */
	f->now = 1500;
	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	expect(f, 2, 3);

	/* Never past the root's notAfter, whatever the lifetime. */
	assert_int_equal(ofs_cert_verify_chain(&f->dev.root, 1, f->dev.devid,
					       f->dev.alias, &info), 0);
	ofs_chain_info_release(&info);
	f->now = (uint64_t)info.anchor_not_after - 10;
	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	f->now += 9;
	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	expect(f, 3, 4);
	f->now += 1;
	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	expect(f, 3, 5);
	assert_int_equal(verify(f, f->dev.devid, f->dev.alias), 0);
	expect(f, 3, 6);
}

static void bounded_lru(void **state)
{
	struct fixture *f = *state;
	struct ofs_chain_cache_stats st;
	int i;

	for (i = 0; i < N_ALIAS; i++)
		assert_int_equal(verify(f, f->dev.devid, f->alias[i]), 0);
	st = stats(f);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.evictions, N_ALIAS - 4);
	expect(f, 0, N_ALIAS);
	/* 0 and 1 went first; using 2 makes 3 the oldest. */
	assert_int_equal(verify(f, f->dev.devid, f->alias[2]), 0);
	expect(f, 1, N_ALIAS);
	assert_int_equal(verify(f, f->dev.devid, f->alias[0]), 0);
	expect(f, 1, N_ALIAS + 1);
	assert_int_equal(verify(f, f->dev.devid, f->alias[2]), 0);
	expect(f, 2, N_ALIAS + 1);
	assert_int_equal(verify(f, f->dev.devid, f->alias[3]), 0);
	expect(f, 2, N_ALIAS + 2);
	assert_int_equal(stats(f).entries, 4);
}

struct worker {
	pthread_t thread;
	struct fixture *f;
	unsigned int seed, ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct ofs_chain_info info;
	unsigned int i, k;

	for (i = 0; i < 60; i++) {
		/* Chain 0 is hot; the others come and go. */
		k = i % 3 ? 0 : (w->seed + i) % N_ALIAS;
		if (ofs_chain_cache_verify(w->f->c, &w->f->dev.root, 1,
					   w->f->dev.devid, w->f->alias[k],
					   &info))
			continue;
		w->ok += info.meas.svn == 10 + k &&
			 EVP_PKEY_eq(info.alias_pub,
				     X509_get0_pubkey(w->f->alias[k])) == 1;
		ofs_chain_info_release(&info);
	}
	return NULL;
}

/* More chains than room, so that threads evict under each other. */
static void concurrent(void **state)
{
	struct fixture *f = *state;
	struct worker w[8];
	struct ofs_chain_cache_stats st;
	unsigned int i;

	for (i = 0; i < 8; i++) {
		w[i] = (struct worker){ .f = f, .seed = i };
		assert_int_equal(pthread_create(&w[i].thread, NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(w[i].thread, NULL);
		assert_int_equal(w[i].ok, 60);
	}
	st = stats(f);
	assert_int_equal(st.hits + st.misses, 8 * 60);
	assert_true(st.hits > 0);
	assert_true(st.entries <= 4);
}

static void arguments(void **state)
{
	struct fixture *f = *state;
	struct ofs_chain_cache *c = NULL;
	struct ofs_chain_cache_stats st;
	struct ofs_chain_info info;

	assert_int_equal(ofs_chain_cache_new(0, 600, &c), -EINVAL);
	assert_int_equal(ofs_chain_cache_new(16, 0, &c), -EINVAL);
	/* No cache: plain verification, no counters. */
	assert_int_equal(ofs_chain_cache_verify(NULL, &f->dev.root, 1,
						f->dev.devid, f->dev.alias,
						&info), 0);
	ofs_chain_info_release(&info);
	assert_int_equal(ofs_chain_cache_verify(f->c, NULL, 0, f->dev.devid,
						f->dev.alias, &info), -EINVAL);
	ofs_chain_cache_get_stats(NULL, &st);
	assert_int_equal(st.hits + st.misses + st.entries, 0);
	ofs_chain_cache_free(NULL);
}

/* ---- through ras_attest(): only the chain is cached ---- */

struct ras_fixture {
	char dir[64], policy_path[96], db_path[96];
	struct ras ras;
};

static void write_policy(struct ras_fixture *rf, const struct ev_device *d,
			 const char *extra)
{
	struct ofs_policy_error err;
	char *text = ev_policy_json(d, "test", extra);
	FILE *p = fopen(rf->policy_path, "w");

	assert_non_null(text);
	assert_non_null(p);
	assert_true(fputs(text, p) >= 0);
	assert_int_equal(fclose(p), 0);
	free(text);
	if (rf->ras.policy.cur)
		assert_int_equal(ras_policy_reload(&rf->ras.policy, &err), 0);
	else
		assert_int_equal(ras_policy_init(&rf->ras.policy,
						 rf->policy_path), 0);
}

/* A fresh nonce, a report for it, attested with d's chain. */
static uint32_t attest(struct ras_fixture *rf, const struct ev_device *d,
		       bool fresh, struct ras_decision *dec)
{
	static uint8_t nonce[OFS_NONCE_LEN];
	struct ras_attest_req req = { 0 };
	uint8_t *der[2] = { NULL, NULL }, buf[OFS_REPORT_MAX];
	struct ofs_report rep;
	uint64_t expires;
	char why[256];

	if (fresh)
		assert_int_equal(ras_challenge(&rf->ras, "t", nonce, &expires), 0);
	ev_report(d, nonce, &rep);
	assert_int_equal(ofs_report_sign(d->alias_key, &rep, NULL, 0, buf,
					 sizeof(buf), &req.report_len), 0);
	req.report = buf;
	memcpy(req.nonce, nonce, OFS_NONCE_LEN);
	assert_int_equal(ofs_cert_to_der(d->devid, &der[0], &req.cert_len[0]), 0);
	assert_int_equal(ofs_cert_to_der(d->alias, &der[1], &req.cert_len[1]), 0);
	req.cert[0] = der[0];
	req.cert[1] = der[1];
	assert_int_equal(ras_attest(&rf->ras, &req, "t", dec, why, sizeof(why)), 0);
	OPENSSL_free(der[0]);
	OPENSSL_free(der[1]);
	return dec->verdict;
}

static void policy_checks_run_on_a_hit(void **state)
{
	struct fixture *f = *state;
	struct ras_fixture rf = { .dir = "/tmp/test-ras-cache-XXXXXX" };
	struct ras_decision *dec = calloc(1, sizeof(*dec));
	char extra[128], ueid[2 * OFS_UEID_LEN + 1], cmd[96], *text;
	const struct ofs_check *c;
	uint8_t raw[OFS_UEID_LEN];

	assert_non_null(dec);
	assert_non_null(mkdtemp(rf.dir));
	snprintf(rf.policy_path, sizeof(rf.policy_path), "%s/policy.json", rf.dir);
	snprintf(rf.db_path, sizeof(rf.db_path), "%s/ras.db", rf.dir);
	ras_conf_init(&rf.ras.conf);
	assert_int_equal(rf.ras.conf.chain_cache_lifetime, 600);
	assert_int_equal(ras_chain_cache_new(&rf.ras.conf, &rf.ras.chain_cache), 0);
	assert_non_null(rf.ras.chain_cache);
	rf.ras.keys.sign = EVP_EC_gen("P-384");
	rf.ras.keys.kid_len = 4;
	memcpy(rf.ras.keys.kid, "test", 4);
	rf.ras.keys.roots = calloc(1, sizeof(X509 *));
	rf.ras.keys.roots[0] = f->dev.root;
	X509_up_ref(f->dev.root);
	rf.ras.keys.n_roots = 1;
	assert_int_equal(ras_store_open(rf.db_path, false, &rf.ras.store), 0);
	rf.ras.metrics = ras_metrics_new();
	write_policy(&rf, &f->dev, NULL);

	assert_int_equal(attest(&rf, &f->dev, true, dec), OFS_VERDICT_AFFIRMING);
	assert_int_equal(attest(&rf, &f->dev, true, dec), OFS_VERDICT_AFFIRMING);
	/* A replayed nonce is refused on a hit. */
	assert_int_equal(attest(&rf, &f->dev, false, dec),
			 OFS_VERDICT_CONTRAINDICATED);
	c = ofs_appraisal_find(&dec->a, OFS_CHECK_FRESHNESS);
	assert_int_equal(c->err, -EALREADY);
	/* Revoked after the chain was cached: refused on a hit. */
	assert_int_equal(ofs_dice_ueid(f->dev.devid_key, raw), 0);
	ofs_hex(raw, OFS_UEID_LEN, ueid);
	snprintf(extra, sizeof(extra), ",\n  \"revoked_devices\": [\"%s\"]", ueid);
	write_policy(&rf, &f->dev, extra);
	assert_int_equal(attest(&rf, &f->dev, true, dec),
			 OFS_VERDICT_CONTRAINDICATED);
	c = ofs_appraisal_find(&dec->a, OFS_CHECK_REVOKED);
	assert_int_equal(c->err, -EKEYREVOKED);
	assert_int_equal(ofs_appraisal_find(&dec->a, OFS_CHECK_CHAIN)->err, 0);
	assert_int_equal(dec->confirmation_len, 0);
	{
		struct ofs_chain_cache_stats st;

		ofs_chain_cache_get_stats(rf.ras.chain_cache, &st);
		assert_int_equal(st.misses, 1);
		assert_int_equal(st.hits, 3);
	}
	text = ras_metrics_text(rf.ras.metrics, rf.ras.chain_cache);
	assert_non_null(strstr(text, "ras_chain_cache_hits_total 3\n"));
	assert_non_null(strstr(text, "ras_chain_cache_misses_total 1\n"));
	free(text);

	ras_policy_fini(&rf.ras.policy);
	ras_store_close(rf.ras.store);
	ofs_chain_cache_free(rf.ras.chain_cache);
	ras_keys_free(&rf.ras.keys);
	ras_metrics_free(rf.ras.metrics);
	ras_conf_free(&rf.ras.conf);
	free(dec);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", rf.dir);
	assert_int_equal(system(cmd), 0);
}

static void config(void **state)
{
	struct ras_config c;
	/* Not NULL before, so that NULL after says "disabled". */
	struct ofs_chain_cache *cache = (struct ofs_chain_cache *)&c;

	ras_conf_init(&c);
	assert_int_equal(c.chain_cache_size, 4096);
	assert_int_equal(ras_conf_set(&c, "ChainCacheSize", "0"), -ERANGE);
	assert_int_equal(ras_conf_set(&c, "ChainCacheSize", "16"), 0);
	assert_int_equal(ras_conf_set(&c, "ChainCacheLifetime", "0"), 0);
	assert_int_equal(ras_chain_cache_new(&c, &cache), 0);
	assert_null(cache);
	ras_conf_free(&c);
}

#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(hit_on_same_chain), T(miss_on_one_changed_byte),
		T(forged_alias_never_hits), T(miss_with_other_roots), T(expiry),
		T(bounded_lru), T(concurrent), T(arguments),
		T(policy_checks_run_on_a_hit), T(config),
	};

	return cmocka_run_group_tests_name("ras-chain-cache", tests, NULL, NULL);
}
