// SPDX-License-Identifier: MIT
/*
 * The report's claims: round trips, the canonical encoding, and one test
 * per rejection of the strict decoder, each checking its errno and that the
 * reason names the claim.  Bad inputs are made by editing one entry of a
 * valid claims map (report-test.h).
 */
#include "report-test.h"

struct fx {
	EVP_PKEY *key;
	struct ofs_report rep;
	uint8_t claims[BUF_SIZE];
	size_t claims_len;
	uint8_t signed_rep[BUF_SIZE];
	size_t signed_len;
	struct claims c;
	struct scratch s;
	uint8_t out[BUF_SIZE];
	struct ofs_report got;
	struct ofs_decode_error err;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->key = EVP_EC_gen("P-384");
	if (!f->key)
		return -1;
	sample_report(&f->rep);
	if (ofs_report_encode(&f->rep, f->claims, sizeof(f->claims), &f->claims_len) ||
	    ofs_report_sign(f->key, &f->rep, NULL, 0, f->signed_rep, sizeof(f->signed_rep),
			    &f->signed_len))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	EVP_PKEY_free(f->key);
	free(f);
	return 0;
}

/* Decodes the edited claims. */
static int decode_edit(struct fx *f)
{
	size_t len = join_claims(&f->c, f->out, sizeof(f->out));

	return ofs_report_decode(f->out, len, &f->got, &f->err);
}

static struct fx *fresh(void **state)
{
	struct fx *f = *state;

	split_claims(f->claims, f->claims_len, &f->c);
	f->s.used = 0;
	memset(&f->err, 0, sizeof(f->err));
	return f;
}

static void round_trip(void **state)
{
	struct fx *f = *state;
	uint8_t again[BUF_SIZE];
	size_t len;

	assert_int_equal(ofs_report_decode(f->claims, f->claims_len, &f->got, &f->err), 0);
	assert_int_equal(f->err.err, 0);
	assert_memory_equal(&f->got, &f->rep, sizeof(f->rep));
	/* Deterministic: the decoded claims encode to the same bytes. */
	assert_int_equal(ofs_report_encode(&f->got, again, sizeof(again), &len), 0);
	assert_int_equal(len, f->claims_len);
	assert_memory_equal(again, f->claims, len);
}

static void signed_round_trip(void **state)
{
	struct fx *f = *state;
	char profile[80];

	assert_int_equal(ofs_report_verify(f->key, f->signed_rep, f->signed_len, &f->got,
					   &f->err), 0);
	assert_memory_equal(&f->got, &f->rep, sizeof(f->rep));
	memset(&f->got, 0xff, sizeof(f->got));
	assert_int_equal(ofs_report_parse_unverified(f->signed_rep, f->signed_len, &f->got,
						     &f->err), 0);
	assert_memory_equal(&f->got, &f->rep, sizeof(f->rep));
	assert_int_equal(ofs_claims_profile(f->signed_rep, f->signed_len, profile,
					    sizeof(profile), &f->err), 0);
	assert_string_equal(profile, OFS_REPORT_PROFILE);
}

/* The bytes the profile document shows: map of 13, keys in canonical order. */
static void canonical_layout(void **state)
{
	static const uint8_t head[] = { 0xad, 0x0a, 0x58, 0x20 };
	static const int64_t order[] = { 10, 256, 263, 265, 267, -65537, -65538, -65539,
					 -65540, -65541, -65542, -65543, -65544 };
	struct fx *f = fresh(state);
	size_t i;

	assert_memory_equal(f->claims, head, sizeof(head));
	assert_int_equal(f->c.n, 13);
	for (i = 0; i < 13; i++)
		assert_int_equal(f->c.e[i].key, order[i]);
	/* Private keys take the 5-byte form 0x3a xx xx xx xx. */
	assert_int_equal(find_entry(&f->c, -65542)->klen, 5);
	assert_int_equal(find_entry(&f->c, -65542)->k[0], 0x3a);
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
		assert_non_null(strstr(f->err.what, "missing"));
	}
}

static void length_case(void **state, int64_t key, size_t good)
{
	struct fx *f;
	const uint8_t *v;
	size_t vlen, bad[] = { 0, good - 1, good + 1 };
	char needle[64];
	size_t i;

	for (i = 0; i < 3; i++) {
		f = fresh(state);
		v = scratch_bstr(&f->s, bad[i], &vlen);
		set_value(&f->c, key, v, vlen);
		snprintf(needle, sizeof(needle), "byte string of %zu bytes, expected %zu",
			 bad[i], good);
		expect_error(decode_edit(f), &f->err, -EMSGSIZE, needle);
	}
}

static void wrong_length_each_fixed_claim(void **state)
{
	const uint8_t *v;
	struct fx *f;
	size_t vlen;

	length_case(state, 10, OFS_NONCE_LEN);
	length_case(state, 256, OFS_UEID_LEN);
	length_case(state, -65542, OFS_SESSION_ID_LEN);
	length_case(state, -65543, OFS_P384_POINT_LEN);
	length_case(state, -65544, OFS_P384_POINT_LEN);
	/* The whole sentence an operator sees. */
	f = fresh(state);
	v = scratch_bstr(&f->s, 15, &vlen);
	set_value(&f->c, -65542, v, vlen);
	expect_error(decode_edit(f), &f->err, -EMSGSIZE, NULL);
	assert_string_equal(f->err.what,
			    "claim -65542 (session id): byte string of 15 bytes, expected 16");
}

/* Replaces claim key's value with raw CBOR bytes. */
static int with_raw(void **state, int64_t key, const void *raw, size_t len)
{
	struct fx *f = fresh(state);

	set_value(&f->c, key, scratch_put(&f->s, raw, len), len);
	return decode_edit(f);
}

static void wrong_type_each_claim(void **state)
{
	static const uint8_t text[] = { 0x61, 'x' };
	static const uint8_t bytes[] = { 0x41, 0x00 };
	struct fx *f = *state;
	char needle[32];
	size_t i, n;

	split_claims(f->claims, f->claims_len, &f->c);
	n = f->c.n;
	for (i = 0; i < n; i++) {
		int64_t key = f->c.e[i].key;
		int is_text = key == 265;

		snprintf(needle, sizeof(needle), "claim %lld (", (long long)key);
		expect_error(with_raw(state, key, is_text ? bytes : text, 2), &f->err,
			     -EPROTO, needle);
	}
}

static void wrong_type_variants(void **state)
{
	static const uint8_t negint[] = { 0x20 };
	static const uint8_t fl[] = { 0xf9, 0x3c, 0x00 };
	static const uint8_t tru[] = { 0xf5 };
	static const uint8_t nul[] = { 0xf6 };
	static const uint8_t tagged[] = { 0xc1, 0x05 };
	static const uint8_t map[] = { 0xa0 };
	struct fx *f = *state;

	expect_error(with_raw(state, 263, negint, 1), &f->err, -EPROTO, "negative integer");
	expect_error(with_raw(state, 267, fl, 3), &f->err, -EPROTO, "float");
	expect_error(with_raw(state, -65538, tru, 1), &f->err, -EPROTO, "simple value");
	expect_error(with_raw(state, 10, nul, 1), &f->err, -EPROTO, "null");
	expect_error(with_raw(state, 267, tagged, 2), &f->err, -EPROTO, "tag");
	expect_error(with_raw(state, -65539, map, 1), &f->err, -EPROTO, "expected array");
}

static void duplicate_key(void **state)
{
	struct fx *f = fresh(state);

	insert_entry(&f->c, 1, f->c.e[0]);
	expect_error(decode_edit(f), &f->err, -ENOTUNIQ, "claim 10 (nonce): duplicate");
	f = fresh(state);
	insert_entry(&f->c, f->c.n, f->c.e[f->c.n - 1]);
	expect_error(decode_edit(f), &f->err, -ENOTUNIQ, "claim -65544");
}

static void unknown_key(void **state)
{
	static const uint8_t text_key[] = { 0x63, 'f', 'o', 'o' };
	struct fx *f = fresh(state);
	struct entry e = f->c.e[0];

	e.k = scratch_int(&f->s, 11, &e.klen);
	insert_entry(&f->c, 1, e);
	expect_error(decode_edit(f), &f->err, -EOPNOTSUPP, "claim 11: unknown");

	f = fresh(state);
	e = f->c.e[0];
	e.k = scratch_int(&f->s, -65600, &e.klen);
	insert_entry(&f->c, f->c.n, e);
	expect_error(decode_edit(f), &f->err, -EOPNOTSUPP, "claim -65600: unknown");

	f = fresh(state);
	e = f->c.e[0];
	e.k = scratch_int(&f->s, 2, &e.klen);	/* a registered CWT key, not ours */
	insert_entry(&f->c, 0, e);
	expect_error(decode_edit(f), &f->err, -EOPNOTSUPP, "claim 2: unknown");

	f = fresh(state);
	e = f->c.e[0];
	e.k = scratch_put(&f->s, text_key, sizeof(text_key));
	e.klen = sizeof(text_key);
	insert_entry(&f->c, 0, e);
	expect_error(decode_edit(f), &f->err, -EPROTO, "expected an integer");
}

static void keys_out_of_order(void **state)
{
	struct fx *f = fresh(state);
	struct entry t = f->c.e[3];

	f->c.e[3] = f->c.e[4];
	f->c.e[4] = t;
	expect_error(decode_edit(f), &f->err, -EILSEQ, "canonical order");

	/* Length-first order would put -65537 before 256: still refused. */
	f = fresh(state);
	t = f->c.e[5];
	memmove(&f->c.e[1], &f->c.e[0], 5 * sizeof(t));
	f->c.e[0] = t;
	expect_error(decode_edit(f), &f->err, -EILSEQ, "canonical order");
}

static void trailing_bytes(void **state)
{
	struct fx *f = *state;
	uint8_t buf[BUF_SIZE];

	memcpy(buf, f->claims, f->claims_len);
	buf[f->claims_len] = 0x00;
	expect_error(ofs_report_decode(buf, f->claims_len + 1, &f->got, &f->err), &f->err,
		     -EBADMSG, "1 trailing bytes");
}

static void indefinite_lengths(void **state)
{
	struct fx *f = *state;
	uint8_t buf[BUF_SIZE], val[40];

	/* The claims map itself: 0xbf ... 0xff. */
	memcpy(buf, f->claims, f->claims_len);
	buf[0] = 0xbf;
	buf[f->claims_len] = 0xff;
	expect_error(ofs_report_decode(buf, f->claims_len + 1, &f->got, &f->err), &f->err,
		     -EILSEQ, "indefinite-length item at offset 0");

	/* The nonce as one chunk of an indefinite byte string. */
	val[0] = 0x5f;
	val[1] = 0x58;
	val[2] = 0x20;
	memset(val + 3, 1, 32);
	val[35] = 0xff;
	expect_error(with_raw(state, 10, val, 36), &f->err, -EILSEQ, "indefinite-length");

	/* An indefinite array of registers, and indefinite text. */
	val[0] = 0x9f;
	val[1] = 0xff;
	expect_error(with_raw(state, -65539, val, 2), &f->err, -EILSEQ, "indefinite-length");
	val[0] = 0x7f;
	expect_error(with_raw(state, 265, val, 2), &f->err, -EILSEQ, "indefinite-length");
}

static void non_shortest_encodings(void **state)
{
	static const uint8_t dbg[] = { 0x18, 0x03 };		/* 3 in two bytes */
	static const uint8_t boot[] = { 0x1b, 0, 0, 0, 0, 0, 0, 0x10, 0x92 };
	static const uint8_t key10[] = { 0x18, 0x0a };
	struct fx *f = *state;
	uint8_t val[40];

	expect_error(with_raw(state, 263, dbg, 2), &f->err, -EILSEQ, "non-shortest");
	expect_error(with_raw(state, 267, boot, 9), &f->err, -EILSEQ, "non-shortest");
	/* A 32-byte nonce with a two-byte length. */
	val[0] = 0x59;
	val[1] = 0x00;
	val[2] = 0x20;
	memset(val + 3, 1, 32);
	expect_error(with_raw(state, 10, val, 35), &f->err, -EILSEQ, "non-shortest");
	/* A key in a longer form than needed. */
	f = fresh(state);
	f->c.e[0].k = scratch_put(&f->s, key10, 2);
	f->c.e[0].klen = 2;
	expect_error(decode_edit(f), &f->err, -EILSEQ, "non-shortest");
}

static void oversize(void **state)
{
	struct fx *f = *state;
	static uint8_t big[OFS_REPORT_MAX + 1];

	memcpy(big, f->claims, f->claims_len);
	expect_error(ofs_report_decode(big, sizeof(big), &f->got, &f->err), &f->err, -E2BIG,
		     "at most 16384");
	memcpy(big, f->signed_rep, f->signed_len);
	expect_error(ofs_report_verify(f->key, big, sizeof(big), &f->got, &f->err), &f->err,
		     -E2BIG, "at most 16384");
	expect_error(ofs_report_parse_unverified(big, sizeof(big), &f->got, &f->err), &f->err,
		     -E2BIG, NULL);
}

static void integer_ranges(void **state)
{
	static const uint8_t dbg5[] = { 0x05 };
	static const uint8_t fw_major[] = { 0x83, 0x1a, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00 };
	static const uint8_t svn_big[] = { 0x1b, 0, 0, 0, 1, 0, 0, 0, 0 };
	struct fx *f = *state;
	uint8_t ueid[OFS_UEID_LEN + 2], pt[OFS_P384_POINT_LEN + 2];

	expect_error(with_raw(state, 263, dbg5, 1), &f->err, -ERANGE,
		     "claim 263 (dbgstat): 5 out of range 0..4");
	expect_error(with_raw(state, -65537, fw_major, sizeof(fw_major)), &f->err, -ERANGE,
		     "65536 out of range 0..65535");
	expect_error(with_raw(state, -65538, svn_big, sizeof(svn_big)), &f->err, -ERANGE,
		     "claim -65538 (security version): 4294967296");

	ueid[0] = 0x58;
	ueid[1] = OFS_UEID_LEN;
	memset(ueid + 2, 0x02, OFS_UEID_LEN);
	expect_error(with_raw(state, 256, ueid, sizeof(ueid)), &f->err, -ERANGE,
		     "UEID type 0x02");

	pt[0] = 0x58;
	pt[1] = OFS_P384_POINT_LEN;
	memset(pt + 2, 0x02, OFS_P384_POINT_LEN);
	expect_error(with_raw(state, -65543, pt, sizeof(pt)), &f->err, -ERANGE,
		     "expected 0x04");
	expect_error(with_raw(state, -65544, pt, sizeof(pt)), &f->err, -ERANGE,
		     "claim -65544 (host ephemeral key)");
}

/* Encodes a modified report's claims without the encoder's self-check. */
static void encode_raw(struct fx *f, const struct ofs_report *r, size_t *len);

static void counts(void **state)
{
	struct fx *f = *state;
	uint8_t arr[1 + 9 * 34];
	size_t i;

	arr[0] = 0x80;
	expect_error(with_raw(state, -65539, arr, 1), &f->err, -EMSGSIZE,
		     "array of 0 entries, expected 1..8");
	expect_error(with_raw(state, -65540, arr, 1), &f->err, -EMSGSIZE,
		     "array of 0 entries, expected 1..32");
	expect_error(with_raw(state, -65541, arr, 1), &f->err, -EMSGSIZE,
		     "array of 0 entries, expected 1..3");
	arr[0] = 0x89;
	for (i = 0; i < 9; i++) {
		arr[1 + i * 34] = 0x58;
		arr[2 + i * 34] = 0x20;
		memset(arr + 3 + i * 34, 0, 32);
	}
	expect_error(with_raw(state, -65539, arr, sizeof(arr)), &f->err, -EMSGSIZE,
		     "array of 9 entries, expected 1..8");
	/* One register of 31 bytes. */
	arr[0] = 0x81;
	arr[1] = 0x58;
	arr[2] = 0x1f;
	expect_error(with_raw(state, -65539, arr, 34), &f->err, -EMSGSIZE,
		     "byte string of 31 bytes, expected 32");
}

static void event_log_entries(void **state)
{
	struct fx *f = *state;
	struct ofs_report r, saved;
	size_t len;

	/* Register index beyond the registers present. */
	r = f->rep;
	r.events[2].reg = 2;
	assert_int_equal(ofs_report_encode(&r, f->out, sizeof(f->out), &len), -EINVAL);
	encode_raw(f, &r, &len);
	expect_error(ofs_report_decode(f->out, len, &f->got, &f->err), &f->err, -ERANGE,
		     "claim -65540 (event log) entry 2: 2 out of range 0..1");

	/*
	 * The registers the device has bound reg even when the report carries
	 * more (OFS_MAX_MEAS_REGS > OFS_NUM_MEAS_REGS): ofs_boot_event_valid().
	 */
	saved = f->rep;
	f->rep.n_regs = OFS_MAX_MEAS_REGS;	/* the base encode_raw() edits */
	r = f->rep;
	r.events[2].reg = OFS_NUM_MEAS_REGS;
	assert_int_equal(ofs_report_encode(&r, f->out, sizeof(f->out), &len), -EINVAL);
	encode_raw(f, &r, &len);
	expect_error(ofs_report_decode(f->out, len, &f->got, &f->err), &f->err, -ERANGE,
		     "claim -65540 (event log) entry 2: 4 out of range 0..3");
	f->rep = saved;
	/* encode_raw() left the 8-register claims in f->claims: put back. */
	assert_int_equal(ofs_report_encode(&f->rep, f->claims, sizeof(f->claims), &len), 0);
	assert_int_equal(len, f->claims_len);

	/* Stage names: 63 bytes fit, 64 do not. */
	r = f->rep;
	memset(r.events[0].stage, 'a', 63);
	r.events[0].stage[63] = '\0';
	assert_int_equal(ofs_report_encode(&r, f->out, sizeof(f->out), &len), 0);
	assert_int_equal(ofs_report_decode(f->out, len, &f->got, &f->err), 0);
	assert_string_equal(f->got.events[0].stage, r.events[0].stage);
	{
		/* [[0, "aaa...a" (64), h'00..00', 0]] */
		uint8_t log[104] = { 0x81, 0x84, 0x00, 0x78, 0x40 };

		memset(log + 5, 'a', 64);
		log[69] = 0x58;
		log[70] = 0x20;
		expect_error(with_raw(state, -65540, log, sizeof(log)), &f->err, -EMSGSIZE,
			     "claim -65540 (event log) entry 0: text string of 64 bytes, "
			     "expected 1..63");
	}

	/* Printable ASCII only: no space, no control, no UTF-8 beyond ASCII. */
	{
		static const char *const bad[] = {
			"\xc3\xa9t\xc3\xa9-\xf0\x9f\x94\x92", "a b", " a", "a\x7f", "a\tb",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			r = f->rep;
			snprintf(r.events[0].stage, sizeof(r.events[0].stage), "%s", bad[i]);
			assert_int_equal(ofs_report_encode(&r, f->out, sizeof(f->out), &len),
					 -EINVAL);
			encode_raw(f, &r, &len);
			expect_error(ofs_report_decode(f->out, len, &f->got, &f->err), &f->err,
				     -EILSEQ, "claim -65540 (event log) entry 0: stage name "
				     "is not printable ASCII");
		}
	}

	r = f->rep;
	r.events[0].stage[0] = '\0';
	encode_raw(f, &r, &len);
	expect_error(ofs_report_decode(f->out, len, &f->got, &f->err), &f->err, -EMSGSIZE,
		     "text string of 0 bytes, expected 1..63");
}

static void bad_text(void **state)
{
	static const char *const bad[] = {
		"\xc3\x28",		/* bad continuation */
		"\xc0\xaf",		/* overlong '/' */
		"\xed\xa0\x80",		/* UTF-16 surrogate */
		"\xf4\x90\x80\x80",	/* beyond U+10FFFF */
		"\xe2\x82",		/* cut short */
		"\xff",
	};
	struct fx *f = *state;
	struct ofs_report r;
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = f->rep;
		snprintf(r.events[1].stage, sizeof(r.events[1].stage), "ok%s", bad[i]);
		assert_int_equal(ofs_report_encode(&r, f->out, sizeof(f->out), &len), -EINVAL);
		encode_raw(f, &r, &len);
		expect_error(ofs_report_decode(f->out, len, &f->got, &f->err), &f->err,
			     -EILSEQ, "not valid UTF-8");
	}
	/* A NUL inside a text string would truncate the C string: refused. */
	{
		static const uint8_t prof[] = { 0x63, 'a', 0, 'b' };

		expect_error(with_raw(state, 265, prof, sizeof(prof)), &f->err, -EILSEQ,
			     "NUL");
	}
}

static void components(void **state)
{
	struct fx *f = *state;
	struct ofs_report r;
	size_t len;

	r = f->rep;
	r.components[1].component = OFS_COMPONENT_KERNEL;
	encode_raw(f, &r, &len);
	expect_error(ofs_report_decode(f->out, len, &f->got, &f->err), &f->err, -ENOTUNIQ,
		     "component kernel listed twice");

	r = f->rep;
	r.components[0].component = OFS_COMPONENT_CMDLINE;
	r.components[2].component = OFS_COMPONENT_KERNEL;
	encode_raw(f, &r, &len);
	expect_error(ofs_report_decode(f->out, len, &f->got, &f->err), &f->err, -EILSEQ,
		     "ascending");

	r = f->rep;
	r.components[2].component = 3;
	encode_raw(f, &r, &len);
	expect_error(ofs_report_decode(f->out, len, &f->got, &f->err), &f->err, -ERANGE,
		     "claim -65541 (image components) entry 2: 3 out of range 0..2");

	/* Only the initrd: fine. */
	r = f->rep;
	r.n_components = 1;
	r.components[0] = f->rep.components[1];
	assert_int_equal(ofs_report_encode(&r, f->out, sizeof(f->out), &len), 0);
	assert_int_equal(ofs_report_decode(f->out, len, &f->got, &f->err), 0);
	assert_int_equal(f->got.n_components, 1);
	assert_int_equal(f->got.components[0].component, OFS_COMPONENT_INITRD);
}

static void wrong_profile(void **state)
{
	static const char other[] = "tag:offload-sec,2026:report/v2";
	struct fx *f = *state;
	uint8_t val[64];

	val[0] = 0x78;
	val[1] = (uint8_t)strlen(other);
	memcpy(val + 2, other, strlen(other));
	expect_error(with_raw(state, 265, val, 2 + strlen(other)), &f->err,
		     -EPROTONOSUPPORT, "report/v2");
	/* A confirmation's claims are not a report's. */
	val[1] = (uint8_t)strlen(OFS_CONFIRM_PROFILE);
	memcpy(val + 2, OFS_CONFIRM_PROFILE, strlen(OFS_CONFIRM_PROFILE));
	expect_error(with_raw(state, 265, val, 2 + strlen(OFS_CONFIRM_PROFILE)), &f->err,
		     -EPROTONOSUPPORT, "confirmation/v1");
}

static void encoder_refuses_bad_structs(void **state)
{
	struct fx *f = *state;
	struct ofs_report r;
	size_t len;

	r = f->rep;
	r.n_regs = 0;
	assert_int_equal(ofs_report_encode(&r, f->out, sizeof(f->out), &len), -EINVAL);
	r = f->rep;
	r.n_regs = OFS_MAX_MEAS_REGS + 1;
	assert_int_equal(ofs_report_encode(&r, f->out, sizeof(f->out), &len), -EINVAL);
	r = f->rep;
	r.n_events = OFS_MAX_BOOT_EVENTS + 1;
	assert_int_equal(ofs_report_encode(&r, f->out, sizeof(f->out), &len), -EINVAL);
	r = f->rep;
	r.dbgstat = 9;
	assert_int_equal(ofs_report_encode(&r, f->out, sizeof(f->out), &len), -EINVAL);
	r = f->rep;
	memset(r.events[0].stage, 'x', sizeof(r.events[0].stage));	/* no NUL */
	assert_int_equal(ofs_report_encode(&r, f->out, sizeof(f->out), &len), -EINVAL);
	r = f->rep;
	r.device_pub[0] = 0x03;
	assert_int_equal(ofs_report_encode(&r, f->out, sizeof(f->out), &len), -EINVAL);
	assert_int_equal(ofs_report_encode(&f->rep, f->out, f->claims_len - 1, &len),
			 -ENOBUFS);
	assert_int_equal(ofs_report_sign(f->key, &f->rep, NULL, 0, f->out,
					 f->signed_len - 1, &len), -ENOBUFS);
}

/* Every prefix of a signed report is an error, never a crash. */
static void truncated_everywhere(void **state)
{
	struct fx *f = *state;
	size_t n;
	int r;

	for (n = 0; n < f->signed_len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, f->signed_rep, n);
		memset(&f->err, 0, sizeof(f->err));
		r = ofs_report_verify(f->key, copy, n, &f->got, &f->err);
		assert_true(r < 0);
		assert_int_equal(f->err.err, r);
		assert_true(f->err.what[0] != '\0');
		assert_true(ofs_report_parse_unverified(copy, n, &f->got, &f->err) < 0);
		free(copy);	/* exact-size copies let ASan see any over-read */
	}
	for (n = 0; n < f->claims_len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, f->claims, n);
		assert_true(ofs_report_decode(copy, n, &f->got, &f->err) < 0);
		free(copy);
	}
}

/* Any flipped bit anywhere: an error (decoding or signature), never success. */
static void bit_flips_everywhere(void **state)
{
	struct fx *f = *state;
	uint8_t copy[BUF_SIZE];
	size_t i;

	for (i = 0; i < f->signed_len; i++) {
		memcpy(copy, f->signed_rep, f->signed_len);
		copy[i] ^= (uint8_t)(1u << (i % 8));
		assert_true(ofs_report_verify(f->key, copy, f->signed_len, &f->got,
					      &f->err) < 0);
	}
}

static void names(void **state)
{
	assert_string_equal(ofs_component_name(OFS_COMPONENT_INITRD), "initrd");
	assert_string_equal(ofs_component_name(7), "unknown");
	assert_string_equal(ofs_dbgstat_name(OFS_DBG_DISABLED_PERMANENTLY),
			    "disabled-permanently");
	assert_string_equal(ofs_dbgstat_name(5), "unknown");
}

/* The same writer calls as the encoder, but without its self-check. */
static void encode_raw(struct fx *f, const struct ofs_report *r, size_t *len)
{
	struct ofs_cbor_writer w;
	size_t good_len;
	uint32_t i;

	/* Encode a valid report, then splice in the offending arrays. */
	assert_int_equal(ofs_report_encode(&f->rep, f->claims, sizeof(f->claims), &good_len), 0);
	split_claims(f->claims, good_len, &f->c);
	f->s.used = 0;
	{
		uint8_t *at = f->s.buf;

		ofs_cbor_writer_init(&w, at, sizeof(f->s.buf));
		ofs_cbor_put_array(&w, r->n_events);
		for (i = 0; i < r->n_events; i++) {
			ofs_cbor_put_array(&w, 4);
			ofs_cbor_put_uint(&w, r->events[i].reg);
			ofs_cbor_put_text(&w, r->events[i].stage);
			ofs_cbor_put_bytes(&w, r->events[i].digest, OFS_SHA256_LEN);
			ofs_cbor_put_uint(&w, r->events[i].svn);
		}
		assert_int_equal(w.err, 0);
		set_value(&f->c, -65540, at, w.len);
		f->s.used = w.len;
	}
	{
		uint8_t *at = f->s.buf + f->s.used;

		ofs_cbor_writer_init(&w, at, sizeof(f->s.buf) - f->s.used);
		ofs_cbor_put_array(&w, r->n_components);
		for (i = 0; i < r->n_components; i++) {
			ofs_cbor_put_array(&w, 3);
			ofs_cbor_put_uint(&w, r->components[i].component);
			ofs_cbor_put_bytes(&w, r->components[i].sha256, OFS_SHA256_LEN);
			ofs_cbor_put_uint(&w, r->components[i].size);
		}
		assert_int_equal(w.err, 0);
		set_value(&f->c, -65541, at, w.len);
		f->s.used += w.len;
	}
	*len = join_claims(&f->c, f->out, sizeof(f->out));
	memset(&f->err, 0, sizeof(f->err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(signed_round_trip),
		cmocka_unit_test(canonical_layout),
		cmocka_unit_test(missing_each_claim),
		cmocka_unit_test(wrong_length_each_fixed_claim),
		cmocka_unit_test(wrong_type_each_claim),
		cmocka_unit_test(wrong_type_variants),
		cmocka_unit_test(duplicate_key),
		cmocka_unit_test(unknown_key),
		cmocka_unit_test(keys_out_of_order),
		cmocka_unit_test(trailing_bytes),
		cmocka_unit_test(indefinite_lengths),
		cmocka_unit_test(non_shortest_encodings),
		cmocka_unit_test(oversize),
		cmocka_unit_test(integer_ranges),
		cmocka_unit_test(counts),
		cmocka_unit_test(event_log_entries),
		cmocka_unit_test(bad_text),
		cmocka_unit_test(components),
		cmocka_unit_test(wrong_profile),
		cmocka_unit_test(encoder_refuses_bad_structs),
		cmocka_unit_test(truncated_everywhere),
		cmocka_unit_test(bit_flips_everywhere),
		cmocka_unit_test(names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
