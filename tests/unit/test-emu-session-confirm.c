// SPDX-License-Identifier: MIT
/*
 * CONFIRM: only the RAS's confirmation of this very report, signed by a
 * trusted key, inside its validity window and affirming, unlocks a launch;
 * anything else fails the session and leaves no key behind.
 */
#include "session-test.h"

static void attested(struct client *c)
{
	default_images(c);
	create(c);
	measure_all(c);
	attest(c);
}

/* Signs cf with key, presents it, expects status and a dead session. */
static void refused(struct client *c, EVP_PKEY *key,
		    const struct ofs_confirmation *cf, uint32_t status)
{
	conf_sign(c, key, cf);
	assert_int_equal(confirm_bytes(c, c->conf, c->conf_len), status);
	assert_no_keys(c->f);
	assert_int_equal(confirm_bytes(c, c->conf, c->conf_len),
			 OFFLOAD_SEC_DS_FAILED);
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
}

static void replayed(void **state)
{
	struct client *c = *state;

	attested(c);
	confirm(c);
	assert_int_equal(confirm_bytes(c, c->conf, c->conf_len),
			 OFFLOAD_SEC_DS_BAD_STATE);
	/* Still usable: the replay changed nothing. */
	assert_int_not_equal(emu_session_key_bytes_live(&c->f->dev), 0);
	assert_int_equal(finish(c), OFFLOAD_SEC_DS_INCOMPLETE);
	assert_no_keys(c->f);
}

/* Session A's confirmation presented to session B, and the other way. */
static void other_session(void **state)
{
	struct client *c = *state;
	uint8_t conf_a[OFS_CONFIRM_MAX];
	uint32_t a, b;
	size_t len_a;
	struct ofs_confirmation cf;

	attested(c);
	a = c->handle;
	conf_default(c, &cf);
	conf_sign(c, c->ras, &cf);
	memcpy(conf_a, c->conf, c->conf_len);
	len_a = c->conf_len;
	create(c);
	measure_all(c);
	attest(c);
	b = c->handle;
	assert_int_equal(confirm_bytes(c, conf_a, len_a),
			 OFFLOAD_SEC_DS_WRONG_REPORT);
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
	/* A itself still takes its own. */
	c->handle = a;
	assert_int_equal(confirm_bytes(c, conf_a, len_a), OFFLOAD_SEC_DS_OK);
	assert_int_not_equal(a, b);
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
	assert_no_keys(c->f);
}

static void other_report_digest(void **state)
{
	struct client *c = *state;
	struct ofs_confirmation cf;

	attested(c);
	conf_default(c, &cf);
	cf.report_sha256[0] ^= 1;
	refused(c, c->ras, &cf, OFFLOAD_SEC_DS_WRONG_REPORT);
}

static void other_nonce(void **state)
{
	struct client *c = *state;
	struct ofs_confirmation cf;

	attested(c);
	conf_default(c, &cf);
	cf.nonce[31] ^= 0x80;
	refused(c, c->ras, &cf, OFFLOAD_SEC_DS_WRONG_REPORT);
}

static void expired(void **state)
{
	struct client *c = *state;
	struct ofs_confirmation cf;

	attested(c);
	conf_default(c, &cf);
	cf.issued_at = c->f->now - 600;
	cf.expiry = c->f->now;		/* [iat, exp): now is outside */
	refused(c, c->ras, &cf, OFFLOAD_SEC_DS_EXPIRED);
}

static void not_yet_valid(void **state)
{
	struct client *c = *state;
	struct ofs_confirmation cf;

	attested(c);
	conf_default(c, &cf);
	cf.issued_at = c->f->now + OFS_CONFIRMATION_CLOCK_SKEW + 1;
	cf.expiry = c->f->now + 600;
	refused(c, c->ras, &cf, OFFLOAD_SEC_DS_EXPIRED);
}

/* The RAS's clock may run OFS_CONFIRMATION_CLOCK_SKEW seconds ahead. */
static void clock_skew(void **state)
{
	struct client *c = *state;
	struct ofs_confirmation cf;

	attested(c);
	conf_default(c, &cf);
	cf.issued_at = c->f->now + OFS_CONFIRMATION_CLOCK_SKEW;
	cf.expiry = c->f->now + 600;
	conf_sign(c, c->ras, &cf);
	assert_int_equal(confirm_bytes(c, c->conf, c->conf_len),
			 OFFLOAD_SEC_DS_OK);
}

/* The window is the device's clock's, edges included. */
static void window_edges(void **state)
{
	struct client *c = *state;
	struct ofs_confirmation cf;

	attested(c);
	conf_default(c, &cf);
	cf.issued_at = c->f->now;
	cf.expiry = c->f->now + 1;
	conf_sign(c, c->ras, &cf);
	assert_int_equal(confirm_bytes(c, c->conf, c->conf_len),
			 OFFLOAD_SEC_DS_OK);
}

static void contraindicated(void **state)
{
	struct client *c = *state;
	struct ofs_confirmation cf;

	attested(c);
	conf_default(c, &cf);
	cf.verdict = OFS_VERDICT_CONTRAINDICATED;
	refused(c, c->ras, &cf, OFFLOAD_SEC_DS_NOT_AFFIRMED);
}

static void warning(void **state)
{
	struct client *c = *state;
	struct ofs_confirmation cf;

	attested(c);
	conf_default(c, &cf);
	cf.verdict = OFS_VERDICT_WARNING;
	refused(c, c->ras, &cf, OFFLOAD_SEC_DS_NOT_AFFIRMED);
}

static void untrusted_key(void **state)
{
	struct client *c = *state;
	EVP_PKEY *other = EVP_EC_gen("P-384");
	struct ofs_confirmation cf;

	assert_non_null(other);
	attested(c);
	conf_default(c, &cf);
	refused(c, other, &cf, OFFLOAD_SEC_DS_UNTRUSTED);
	EVP_PKEY_free(other);
}

/* A second trusted key works; an empty trust store trusts nobody. */
static void trust_store(void **state)
{
	struct client *c = *state;
	EVP_PKEY *second = EVP_EC_gen("P-384");
	struct ofs_confirmation cf;

	assert_non_null(second);
	trust(c->f, second);
	attested(c);
	conf_default(c, &cf);
	conf_sign(c, second, &cf);
	assert_int_equal(confirm_bytes(c, c->conf, c->conf_len),
			 OFFLOAD_SEC_DS_OK);
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
	c->f->id.n_ras_keys = 0;
	create(c);
	measure_all(c);
	attest(c);
	conf_default(c, &cf);
	c->f->id.n_ras_keys = 0;
	conf_sign(c, c->ras, &cf);
	assert_int_equal(confirm_bytes(c, c->conf, c->conf_len),
			 OFFLOAD_SEC_DS_UNTRUSTED);
	c->f->id.n_ras_keys = 2;
	EVP_PKEY_free(second);
}

static void garbage(void **state)
{
	struct client *c = *state;
	uint8_t junk[300];
	struct ofs_confirmation cf;

	attested(c);
	pattern(junk, sizeof(junk), 77);
	assert_int_equal(confirm_bytes(c, junk, sizeof(junk)),
			 OFFLOAD_SEC_DS_BAD_CONFIRMATION);
	assert_no_keys(c->f);
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
	/* A report is no confirmation. */
	create(c);
	measure_all(c);
	attest(c);
	assert_int_equal(confirm_bytes(c, c->report, c->report_len),
			 OFFLOAD_SEC_DS_BAD_CONFIRMATION);
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
	/* Nor is a confirmation with a flipped signature byte: untrusted. */
	create(c);
	measure_all(c);
	attest(c);
	conf_default(c, &cf);
	conf_sign(c, c->ras, &cf);
	c->conf[c->conf_len - 1] ^= 1;
	assert_int_equal(confirm_bytes(c, c->conf, c->conf_len),
			 OFFLOAD_SEC_DS_UNTRUSTED);
	assert_no_keys(c->f);
}

/* Malformed requests are refused without touching the session. */
static void bad_descriptors(void **state)
{
	struct client *c = *state;
	struct ofs_hw_confirm in;
	uint8_t big[OFS_CONFIRM_MAX + 1] = { 0 };

	attested(c);
	memset(&in, 0, sizeof(in));
	in.handle = htole32(c->handle);
	in.confirmation = fake_list(c->f->ram_size, 1, 16);
	fake_put_sg(c->f, LIST_AREA, 0, 0, 16, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_CONFIRM, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	in.confirmation = fake_list(LIST_AREA, 1, 16);
	fake_put_sg(c->f, LIST_AREA, 0, 0xa0000, 16, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_CONFIRM, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	fake_put_sg(c->f, LIST_AREA, 0, c->f->ram_size - 8, 16, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_CONFIRM, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	fake_put_sg(c->f, LIST_AREA, 0, UINT64_MAX - 7, 16, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_CONFIRM, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	/* Lengths that do not add up. */
	fake_put_sg(c->f, LIST_AREA, 0, DATA_AREA, 16, 0);
	in.confirmation = fake_list(LIST_AREA, 1, 17);
	assert_int_equal(run(c->f, OFS_HW_OP_CONFIRM, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	in.confirmation = fake_list(LIST_AREA, 1, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_CONFIRM, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_LENGTH);
	assert_int_equal(confirm_bytes(c, big, sizeof(big)),
			 OFFLOAD_SEC_DS_BAD_LENGTH);
	in.confirmation = fake_list(LIST_AREA, 1, 16);
	in.reserved = htole32(1);
	assert_int_equal(run(c->f, OFS_HW_OP_CONFIRM, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	/* None of that was a confirmation: the real one still works. */
	confirm(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, client_setup, client_teardown)
		T(replayed),
		T(other_session),
		T(other_report_digest),
		T(other_nonce),
		T(expired),
		T(not_yet_valid),
		T(window_edges),
		T(clock_skew),
		T(contraindicated),
		T(warning),
		T(untrusted_key),
		T(trust_store),
		T(garbage),
		T(bad_descriptors),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
