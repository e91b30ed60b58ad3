// SPDX-License-Identifier: MIT
/*
 * The RAS confirmation: round trips, its binding to the exact report bytes
 * and to time, and the strict decoder's rejections.
 */
#include "report-test.h"

struct fx {
	EVP_PKEY *dev, *ras;
	uint8_t report[BUF_SIZE];
	size_t report_len;
	struct ofs_confirmation conf;
	uint8_t claims[BUF_SIZE];
	size_t claims_len;
	uint8_t msg[BUF_SIZE];
	size_t msg_len;
	struct claims c;
	struct scratch s;
	uint8_t out[BUF_SIZE];
	struct ofs_confirmation got;
	struct ofs_decode_error err;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ofs_report rep;

	if (!f)
		return -1;
	f->dev = EVP_EC_gen("P-384");
	f->ras = EVP_EC_gen("P-384");
	if (!f->dev || !f->ras)
		return -1;
	sample_report(&rep);
	sample_confirmation(&f->conf);
	if (ofs_report_sign(f->dev, &rep, NULL, 0, f->report, sizeof(f->report),
			    &f->report_len) ||
	    ofs_report_digest(f->report, f->report_len, f->conf.report_sha256))
		return -1;
	memcpy(f->conf.nonce, rep.nonce, OFS_NONCE_LEN);
	if (ofs_confirmation_encode(&f->conf, f->claims, sizeof(f->claims), &f->claims_len) ||
	    ofs_confirmation_sign(f->ras, &f->conf, f->msg, sizeof(f->msg), &f->msg_len))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	EVP_PKEY_free(f->dev);
	EVP_PKEY_free(f->ras);
	free(f);
	return 0;
}

static struct fx *fresh(void **state)
{
	struct fx *f = *state;

	split_claims(f->claims, f->claims_len, &f->c);
	f->s.used = 0;
	memset(&f->err, 0, sizeof(f->err));
	return f;
}

static int decode_edit(struct fx *f)
{
	size_t len = join_claims(&f->c, f->out, sizeof(f->out));

	return ofs_confirmation_decode(f->out, len, &f->got, &f->err);
}

static int with_raw(void **state, int64_t key, const void *raw, size_t len)
{
	struct fx *f = fresh(state);

	set_value(&f->c, key, scratch_put(&f->s, raw, len), len);
	return decode_edit(f);
}

static void round_trip(void **state)
{
	struct fx *f = *state;
	char profile[80];

	assert_int_equal(ofs_confirmation_decode(f->claims, f->claims_len, &f->got, &f->err), 0);
	assert_memory_equal(&f->got, &f->conf, sizeof(f->conf));
	assert_int_equal(ofs_confirmation_verify(f->ras, f->msg, f->msg_len, &f->got, &f->err), 0);
	assert_memory_equal(&f->got, &f->conf, sizeof(f->conf));
	assert_int_equal(ofs_confirmation_parse_unverified(f->msg, f->msg_len, &f->got,
							   &f->err), 0);
	assert_int_equal(ofs_claims_profile(f->msg, f->msg_len, profile, sizeof(profile),
					    &f->err), 0);
	assert_string_equal(profile, OFS_CONFIRM_PROFILE);
	assert_true(f->msg_len < OFS_CONFIRM_MAX);
	assert_string_equal(ofs_verdict_name(OFS_VERDICT_CONTRAINDICATED), "contraindicated");
}

static void canonical_layout(void **state)
{
	static const int64_t order[] = { 4, 6, 10, 265, -65537, -65538, -65539, -65540,
					 -65541 };
	struct fx *f = fresh(state);
	size_t i;

	assert_int_equal(f->claims[0], 0xa9);
	assert_int_equal(f->c.n, 9);
	for (i = 0; i < 9; i++)
		assert_int_equal(f->c.e[i].key, order[i]);
}

static void wrong_key(void **state)
{
	struct fx *f = *state;

	expect_error(ofs_confirmation_verify(f->dev, f->msg, f->msg_len, &f->got, &f->err),
		     &f->err, -EKEYREJECTED, "does not verify");
}

static void binding(void **state)
{
	struct fx *f = *state;
	uint64_t t = f->conf.issued_at;
	uint8_t other[BUF_SIZE];
	struct ofs_report rep;
	size_t len;

	assert_int_equal(ofs_confirmation_check(&f->conf, f->report, f->report_len, t, &f->err), 0);
	assert_int_equal(ofs_confirmation_check(&f->conf, f->report, f->report_len,
						f->conf.expiry - 1, &f->err), 0);
	expect_error(ofs_confirmation_check(&f->conf, f->report, f->report_len,
					    f->conf.expiry, &f->err), &f->err, -ETIME, "expired");
	/* A RAS clock running ahead by the allowance, not more. */
	assert_int_equal(ofs_confirmation_check(&f->conf, f->report, f->report_len,
						t - OFS_CONFIRMATION_CLOCK_SKEW, &f->err), 0);
	expect_error(ofs_confirmation_check(&f->conf, f->report, f->report_len,
					    t - OFS_CONFIRMATION_CLOCK_SKEW - 1, &f->err),
		     &f->err, -ETIME, "not valid before");

	/* The same claims signed again: other bytes (ECDSA is randomised). */
	sample_report(&rep);
	assert_int_equal(ofs_report_sign(f->dev, &rep, NULL, 0, other, sizeof(other), &len), 0);
	expect_error(ofs_confirmation_check(&f->conf, other, len, t, &f->err), &f->err,
		     -EKEYREJECTED, "other report bytes");

	/* Another session's report, with another nonce. */
	rep.nonce[0] ^= 1;
	assert_int_equal(ofs_report_sign(f->dev, &rep, NULL, 0, other, sizeof(other), &len), 0);
	expect_error(ofs_confirmation_check(&f->conf, other, len, t, &f->err), &f->err,
		     -EKEYREJECTED, "another nonce");
}

static void missing_each_claim(void **state)
{
	struct fx *f = *state;
	char needle[32];
	size_t i, n;

	split_claims(f->claims, f->claims_len, &f->c);
	n = f->c.n;
	for (i = 0; i < n; i++) {
		int64_t key = f->c.e[i].key;

		fresh(state);
		drop_entry(&f->c, key);
		snprintf(needle, sizeof(needle), "claim %lld (", (long long)key);
		expect_error(decode_edit(f), &f->err, -ENODATA, needle);
	}
}

static void wrong_lengths(void **state)
{
	static const int64_t fixed[] = { 10, -65537, -65540 };
	struct fx *f = *state;
	const uint8_t *v;
	size_t i, vlen;

	for (i = 0; i < 3; i++) {
		f = fresh(state);
		v = scratch_bstr(&f->s, 31, &vlen);
		set_value(&f->c, fixed[i], v, vlen);
		expect_error(decode_edit(f), &f->err, -EMSGSIZE, "31 bytes, expected 32");
	}
	f = fresh(state);
	v = scratch_bstr(&f->s, 0, &vlen);
	set_value(&f->c, -65541, v, vlen);
	expect_error(decode_edit(f), &f->err, -EMSGSIZE, "claim -65541 (RAS key id): byte string of 0 bytes, expected 1..32");
	f = fresh(state);
	v = scratch_bstr(&f->s, 33, &vlen);
	set_value(&f->c, -65541, v, vlen);
	expect_error(decode_edit(f), &f->err, -EMSGSIZE, "33 bytes, expected 1..32");
}

static void policy_id(void **state)
{
	struct fx *f = *state;
	uint8_t text[2 + 65];

	text[0] = 0x60;
	expect_error(with_raw(state, -65539, text, 1), &f->err, -EMSGSIZE,
		     "text string of 0 bytes, expected 1..64");
	text[0] = 0x78;
	text[1] = 65;
	memset(text + 2, 'p', 65);
	expect_error(with_raw(state, -65539, text, sizeof(text)), &f->err, -EMSGSIZE,
		     "65 bytes");
	text[1] = 64;
	assert_int_equal(with_raw(state, -65539, text, 66), 0);
	text[2] = 0xc0;		/* starts an overlong sequence */
	expect_error(with_raw(state, -65539, text, 66), &f->err, -EILSEQ, "UTF-8");
}

static void verdicts(void **state)
{
	static const uint8_t v0[] = { 0x00 }, v3[] = { 0x03 }, v33[] = { 0x18, 0x21 };
	static const uint8_t ok32[] = { 0x18, 0x20 }, ok96[] = { 0x18, 0x60 };
	struct fx *f = *state;

	expect_error(with_raw(state, -65538, v0, 1), &f->err, -ERANGE, "claim -65538 (verdict)");
	expect_error(with_raw(state, -65538, v3, 1), &f->err, -ERANGE, "3 is not 2");
	expect_error(with_raw(state, -65538, v33, 2), &f->err, -ERANGE, "33");
	assert_int_equal(with_raw(state, -65538, ok32, 2), 0);
	assert_int_equal(f->got.verdict, OFS_VERDICT_WARNING);
	assert_int_equal(with_raw(state, -65538, ok96, 2), 0);
	assert_int_equal(f->got.verdict, OFS_VERDICT_CONTRAINDICATED);
}

static void times(void **state)
{
	struct fx *f = *state;
	const uint8_t *v;
	size_t vlen;

	f = fresh(state);
	v = scratch_int(&f->s, (int64_t)f->conf.issued_at, &vlen);
	set_value(&f->c, 4, v, vlen);
	expect_error(decode_edit(f), &f->err, -ERANGE, "claim 4 (exp): 1767225600 is not after iat");
	f = fresh(state);
	v = scratch_int(&f->s, -1, &vlen);
	set_value(&f->c, 6, v, vlen);
	expect_error(decode_edit(f), &f->err, -EPROTO, "claim 6 (iat): negative integer");
}

static void strictness(void **state)
{
	struct fx *f = fresh(state);
	struct entry e = f->c.e[0];
	uint8_t buf[BUF_SIZE];
	struct ofs_report rep;

	e.k = scratch_int(&f->s, 1, &e.klen);	/* CWT iss: not in this profile */
	insert_entry(&f->c, 0, e);
	expect_error(decode_edit(f), &f->err, -EOPNOTSUPP, "claim 1: unknown");

	f = fresh(state);
	insert_entry(&f->c, 3, f->c.e[2]);
	expect_error(decode_edit(f), &f->err, -ENOTUNIQ, "claim 10 (nonce): duplicate");

	memcpy(buf, f->claims, f->claims_len);
	buf[f->claims_len] = 0;
	expect_error(ofs_confirmation_decode(buf, f->claims_len + 1, &f->got, &f->err), &f->err,
		     -EBADMSG, "trailing");

	/* A report is not a confirmation. */
	expect_error(ofs_confirmation_parse_unverified(f->report, f->report_len, &f->got,
						       &f->err), &f->err, -EOPNOTSUPP,
		     "claim 256: unknown");
	sample_report(&rep);
	rep.n_events = 1;
	rep.n_components = 1;
	{
		size_t len;

		assert_int_equal(ofs_report_encode(&rep, buf, sizeof(buf), &len), 0);
		expect_error(ofs_confirmation_decode(buf, len, &f->got, &f->err), &f->err,
			     -EOPNOTSUPP, "claim 256: unknown");
	}
}

static void oversize(void **state)
{
	struct fx *f = *state;
	static uint8_t big[OFS_CONFIRM_MAX + 1];

	memcpy(big, f->msg, f->msg_len);
	expect_error(ofs_confirmation_verify(f->ras, big, sizeof(big), &f->got, &f->err),
		     &f->err, -E2BIG, "at most 4096");
	expect_error(ofs_confirmation_decode(big, sizeof(big), &f->got, &f->err), &f->err,
		     -E2BIG, "at most 4096");
}

static void kid_must_match(void **state)
{
	struct fx *f = *state;
	struct ofs_confirmation c = f->conf;
	uint8_t claims[BUF_SIZE];
	static const uint8_t kid[] = { 'x' };
	size_t len, n;

	assert_int_equal(ofs_confirmation_encode(&c, claims, sizeof(claims), &len), 0);
	assert_int_equal(ofs_cose_sign1_sign(f->ras, claims, len, kid, 1, f->out,
					     sizeof(f->out), &n), 0);
	expect_error(ofs_confirmation_verify(f->ras, f->out, n, &f->got, &f->err), &f->err,
		     -EKEYREJECTED, "COSE kid differs");
	/* No kid at all is fine: the device may try each trusted key. */
	assert_int_equal(ofs_cose_sign1_sign(f->ras, claims, len, NULL, 0, f->out,
					     sizeof(f->out), &n), 0);
	assert_int_equal(ofs_confirmation_verify(f->ras, f->out, n, &f->got, &f->err), 0);
}

static void encoder_refuses(void **state)
{
	struct fx *f = *state;
	struct ofs_confirmation c;
	size_t len;

	c = f->conf;
	c.expiry = c.issued_at;
	assert_int_equal(ofs_confirmation_encode(&c, f->out, sizeof(f->out), &len), -EINVAL);
	c = f->conf;
	c.verdict = 1;
	assert_int_equal(ofs_confirmation_encode(&c, f->out, sizeof(f->out), &len), -EINVAL);
	c = f->conf;
	c.ras_kid_len = OFS_KID_MAX + 1;
	assert_int_equal(ofs_confirmation_encode(&c, f->out, sizeof(f->out), &len), -EINVAL);
	c = f->conf;
	c.policy_id[0] = '\0';
	assert_int_equal(ofs_confirmation_encode(&c, f->out, sizeof(f->out), &len), -EINVAL);
}

static void truncated_everywhere(void **state)
{
	struct fx *f = *state;
	size_t n;

	for (n = 0; n < f->msg_len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, f->msg, n);
		assert_true(ofs_confirmation_verify(f->ras, copy, n, &f->got, &f->err) < 0);
		assert_true(f->err.err < 0);
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(canonical_layout),
		cmocka_unit_test(wrong_key),
		cmocka_unit_test(binding),
		cmocka_unit_test(missing_each_claim),
		cmocka_unit_test(wrong_lengths),
		cmocka_unit_test(policy_id),
		cmocka_unit_test(verdicts),
		cmocka_unit_test(times),
		cmocka_unit_test(strictness),
		cmocka_unit_test(oversize),
		cmocka_unit_test(kid_must_match),
		cmocka_unit_test(encoder_refuses),
		cmocka_unit_test(truncated_everywhere),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
