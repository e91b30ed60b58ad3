// SPDX-License-Identifier: MIT
/*
 * The COSE_Sign1 envelope: signing, the signature's independent check
 * (Sig_structure built here by hand, r || s converted to DER here), and one
 * test per rejection.  Bad envelopes are made by replacing one of the four
 * elements of a valid one.
 */
#include <openssl/bn.h>

#include "report-test.h"

struct fx {
	EVP_PKEY *key, *other, *p256;
	uint8_t payload[64];
	uint8_t msg[BUF_SIZE];
	size_t msg_len;
	/* The valid message's four elements, as raw CBOR spans. */
	const uint8_t *el[4];
	size_t el_len[4];
	uint8_t out[BUF_SIZE];
	struct ofs_cose_sign1 cs;
	struct ofs_decode_error err;
};

static const uint8_t kid[] = { 'r', 'a', 's', '-', '1' };

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->key = EVP_EC_gen("P-384");
	f->other = EVP_EC_gen("P-384");
	f->p256 = EVP_EC_gen("P-256");
	if (!f->key || !f->other || !f->p256)
		return -1;
	fill(f->payload, sizeof(f->payload), 0x30);
	if (ofs_cose_sign1_sign(f->key, f->payload, sizeof(f->payload), NULL, 0, f->msg,
				sizeof(f->msg), &f->msg_len))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->other);
	EVP_PKEY_free(f->p256);
	free(f);
	return 0;
}

/* Finds the four elements after the tag and array header. */
static struct fx *fresh(void **state)
{
	struct fx *f = *state;
	struct ofs_cbor_reader rd;
	struct ofs_cbor_item it;
	int i;

	ofs_cbor_reader_init(&rd, f->msg, f->msg_len, NULL);
	assert_int_equal(ofs_cbor_next(&rd, &it), 0);
	assert_int_equal(it.type, OFS_CBOR_TAG);
	assert_int_equal(ofs_cbor_next(&rd, &it), 0);
	assert_int_equal(it.type, OFS_CBOR_ARRAY);
	for (i = 0; i < 4; i++) {
		f->el[i] = rd.p;
		assert_int_equal(ofs_cbor_skip(&rd), 0);
		f->el_len[i] = (size_t)(rd.p - f->el[i]);
	}
	memset(&f->err, 0, sizeof(f->err));
	return f;
}

/* prefix (tag and array header), then the elements, then suffix. */
static size_t join(struct fx *f, const void *prefix, size_t prefix_len, int n,
		   const void *suffix, size_t suffix_len)
{
	size_t len = prefix_len;
	int i;

	memcpy(f->out, prefix, prefix_len);
	for (i = 0; i < n; i++) {
		memcpy(f->out + len, f->el[i], f->el_len[i]);
		len += f->el_len[i];
	}
	if (suffix_len)
		memcpy(f->out + len, suffix, suffix_len);
	return len + suffix_len;
}

static const uint8_t tagged4[] = { 0xd2, 0x84 };

static int verify_with(struct fx *f, int el, const void *raw, size_t len)
{
	size_t n;

	f->el[el] = raw;
	f->el_len[el] = len;
	n = join(f, tagged4, sizeof(tagged4), 4, NULL, 0);
	return ofs_cose_sign1_verify(f->key, f->out, n, &f->cs, &f->err);
}

static void round_trip(void **state)
{
	struct fx *f = *state;
	static const uint8_t head[] = { 0xd2, 0x84, 0x44, 0xa1, 0x01, 0x38, 0x22, 0xa0,
					0x58, 0x40 };

	assert_memory_equal(f->msg, head, sizeof(head));
	assert_int_equal(f->msg_len, sizeof(head) + 64 + 2 + OFS_ES384_SIG_LEN);
	assert_int_equal(ofs_cose_sign1_verify(f->key, f->msg, f->msg_len, &f->cs, &f->err), 0);
	assert_int_equal(f->err.err, 0);
	assert_int_equal(f->cs.payload_len, sizeof(f->payload));
	assert_memory_equal(f->cs.payload, f->payload, sizeof(f->payload));
	assert_ptr_equal(f->cs.payload, f->msg + sizeof(head));
	assert_null(f->cs.kid);
	assert_int_equal(f->cs.protected_len, 4);
}

static void round_trip_kid(void **state)
{
	struct fx *f = *state;
	size_t n;

	assert_int_equal(ofs_cose_sign1_sign(f->key, f->payload, sizeof(f->payload), kid,
					     sizeof(kid), f->out, sizeof(f->out), &n), 0);
	assert_int_equal(f->out[7], 0xa1);	/* {4: h'...'} */
	assert_int_equal(f->out[8], 0x04);
	assert_int_equal(ofs_cose_sign1_verify(f->key, f->out, n, &f->cs, &f->err), 0);
	assert_int_equal(f->cs.kid_len, sizeof(kid));
	assert_memory_equal(f->cs.kid, kid, sizeof(kid));
	/* ECDSA is randomised: two signatures of one payload differ, both verify. */
	assert_memory_not_equal(f->out + n - 96, f->msg + f->msg_len - 96, 96);
}

/* The signature checked without cose.c: hand-built Sig_structure, DER by hand. */
static void independent_signature_check(void **state)
{
	struct fx *f = *state;
	uint8_t tbs[256], der[128], *p = der;
	const uint8_t *sig = f->msg + f->msg_len - 96;
	static const uint8_t tbs_head[] = {
		0x84, 0x6a, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e', '1',
		0x44, 0xa1, 0x01, 0x38, 0x22, 0x40, 0x58, 0x40,
	};
	ECDSA_SIG *es = ECDSA_SIG_new();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int der_len;

	memcpy(tbs, tbs_head, sizeof(tbs_head));
	memcpy(tbs + sizeof(tbs_head), f->payload, sizeof(f->payload));
	assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, 48, NULL),
					BN_bin2bn(sig + 48, 48, NULL)), 1);
	der_len = i2d_ECDSA_SIG(es, &p);
	assert_true(der_len > 0);
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, f->key), 1);
	assert_int_equal(EVP_DigestVerify(ctx, der, (size_t)der_len, tbs,
					  sizeof(tbs_head) + sizeof(f->payload)), 1);
	EVP_MD_CTX_free(ctx);
	ECDSA_SIG_free(es);
}

static void untagged(void **state)
{
	struct fx *f = fresh(state);
	static const uint8_t arr[] = { 0x84 };
	size_t n = join(f, arr, 1, 4, NULL, 0);

	expect_error(ofs_cose_sign1_verify(f->key, f->out, n, &f->cs, &f->err), &f->err,
		     -EPROTO, "untagged, tag 18 required");
}

static void wrong_tag(void **state)
{
	static const uint8_t mac0[] = { 0xd1, 0x84 };			/* 17 */
	static const uint8_t sign[] = { 0xd8, 0x62, 0x84 };		/* 98 */
	static const uint8_t cwt[] = { 0xd8, 0x3d, 0xd2, 0x84 };	/* 61(18(...)) */
	static const uint8_t long18[] = { 0xd8, 0x12, 0x84 };
	struct fx *f = fresh(state);
	size_t n;

	n = join(f, mac0, sizeof(mac0), 4, NULL, 0);
	expect_error(ofs_cose_sign1_verify(f->key, f->out, n, &f->cs, &f->err), &f->err,
		     -EPROTO, "tag 17, expected 18");
	n = join(f, sign, sizeof(sign), 4, NULL, 0);
	expect_error(ofs_cose_sign1_verify(f->key, f->out, n, &f->cs, &f->err), &f->err,
		     -EPROTO, "tag 98");
	n = join(f, cwt, sizeof(cwt), 4, NULL, 0);
	expect_error(ofs_cose_sign1_verify(f->key, f->out, n, &f->cs, &f->err), &f->err,
		     -EPROTO, "tag 61");
	n = join(f, long18, sizeof(long18), 4, NULL, 0);
	expect_error(ofs_cose_sign1_verify(f->key, f->out, n, &f->cs, &f->err), &f->err,
		     -EILSEQ, "non-shortest");
}

static void wrong_array(void **state)
{
	static const uint8_t three[] = { 0xd2, 0x83 };
	static const uint8_t five[] = { 0xd2, 0x85 };
	static const uint8_t indef[] = { 0xd2, 0x9f };
	static const uint8_t brk[] = { 0xff };
	static const uint8_t map[] = { 0xd2, 0xa2 };
	struct fx *f = fresh(state);
	size_t n;

	n = join(f, three, sizeof(three), 3, NULL, 0);
	expect_error(ofs_cose_sign1_verify(f->key, f->out, n, &f->cs, &f->err), &f->err,
		     -EMSGSIZE, "COSE_Sign1: array of 3 entries, expected 4");
	n = join(f, five, sizeof(five), 4, "\x40", 1);
	expect_error(ofs_cose_sign1_verify(f->key, f->out, n, &f->cs, &f->err), &f->err,
		     -EMSGSIZE, "array of 5 entries");
	n = join(f, indef, sizeof(indef), 4, brk, 1);
	expect_error(ofs_cose_sign1_verify(f->key, f->out, n, &f->cs, &f->err), &f->err,
		     -EILSEQ, "indefinite-length");
	n = join(f, map, sizeof(map), 4, NULL, 0);
	expect_error(ofs_cose_sign1_verify(f->key, f->out, n, &f->cs, &f->err), &f->err,
		     -EPROTO, "map, expected array");
}

static void wrong_alg(void **state)
{
	static const uint8_t es256[] = { 0x43, 0xa1, 0x01, 0x26 };		/* -7 */
	static const uint8_t es512[] = { 0x44, 0xa1, 0x01, 0x38, 0x23 };	/* -36 */
	static const uint8_t a128gcm[] = { 0x43, 0xa1, 0x01, 0x01 };		/* 1 */
	static const uint8_t text[] = { 0x48, 0xa1, 0x01, 0x65, 'E', 'S', '3', '8', '4' };
	struct fx *f = *state;

	fresh(state);
	expect_error(verify_with(f, 0, es256, sizeof(es256)), &f->err, -EOPNOTSUPP,
		     "COSE alg -7: only ES384 (-35)");
	fresh(state);
	expect_error(verify_with(f, 0, es512, sizeof(es512)), &f->err, -EOPNOTSUPP,
		     "COSE alg -36");
	fresh(state);
	expect_error(verify_with(f, 0, a128gcm, sizeof(a128gcm)), &f->err, -EOPNOTSUPP,
		     "COSE alg 1");
	fresh(state);
	expect_error(verify_with(f, 0, text, sizeof(text)), &f->err, -EOPNOTSUPP,
		     "not an integer");
}

static void protected_header_content(void **state)
{
	static const uint8_t crit[] = { 0x48, 0xa2, 0x01, 0x38, 0x22, 0x02, 0x81, 0x18, 0x2a };
	static const uint8_t ctype[] = { 0x46, 0xa2, 0x01, 0x38, 0x22, 0x03, 0x00 };
	static const uint8_t dup[] = { 0x47, 0xa2, 0x01, 0x38, 0x22, 0x01, 0x38, 0x22 };
	static const uint8_t empty[] = { 0x40 };
	static const uint8_t empty_map[] = { 0x41, 0xa0 };
	static const uint8_t not_map[] = { 0x41, 0x01 };
	static const uint8_t trailing[] = { 0x45, 0xa1, 0x01, 0x38, 0x22, 0x00 };
	static const uint8_t not_bstr[] = { 0xa1, 0x01, 0x38, 0x22 };
	static const uint8_t text_label[] = { 0x47, 0xa1, 0x63, 'a', 'l', 'g', 0x38, 0x22 };
	struct fx *f = *state;

	fresh(state);
	expect_error(verify_with(f, 0, crit, sizeof(crit)), &f->err, -EOPNOTSUPP,
		     "critical headers (crit, 2)");
	fresh(state);
	expect_error(verify_with(f, 0, ctype, sizeof(ctype)), &f->err, -EOPNOTSUPP,
		     "label 3 is not accepted");
	fresh(state);
	expect_error(verify_with(f, 0, dup, sizeof(dup)), &f->err, -ENOTUNIQ, "duplicate alg");
	fresh(state);
	expect_error(verify_with(f, 0, empty, sizeof(empty)), &f->err, -ENODATA,
		     "empty, alg ES384");
	fresh(state);
	expect_error(verify_with(f, 0, empty_map, sizeof(empty_map)), &f->err, -ENODATA,
		     "alg missing");
	fresh(state);
	expect_error(verify_with(f, 0, not_map, sizeof(not_map)), &f->err, -EPROTO,
		     "expected map");
	fresh(state);
	expect_error(verify_with(f, 0, trailing, sizeof(trailing)), &f->err, -EBADMSG,
		     "trailing");
	fresh(state);
	expect_error(verify_with(f, 0, not_bstr, sizeof(not_bstr)), &f->err, -EPROTO,
		     "COSE protected header: map, expected byte string");
	fresh(state);
	expect_error(verify_with(f, 0, text_label, sizeof(text_label)), &f->err,
		     -EOPNOTSUPP, "text labels");
}

static void unprotected_header_content(void **state)
{
	static const uint8_t alg[] = { 0xa1, 0x01, 0x38, 0x22 };
	static const uint8_t x5chain[] = { 0xa1, 0x18, 0x21, 0x41, 0x00 };
	static const uint8_t kid_text[] = { 0xa1, 0x04, 0x61, 'k' };
	static const uint8_t kid_empty[] = { 0xa1, 0x04, 0x40 };
	static const uint8_t kid_dup[] = { 0xa2, 0x04, 0x41, 'a', 0x04, 0x41, 'b' };
	static const uint8_t text_label[] = { 0xa1, 0x61, 'x', 0x00 };
	static const uint8_t not_map[] = { 0x80 };
	uint8_t kid_long[3 + 33] = { 0xa1, 0x04, 0x58, 0x21 };
	struct fx *f = *state;

	fresh(state);
	expect_error(verify_with(f, 1, alg, sizeof(alg)), &f->err, -EOPNOTSUPP,
		     "unprotected header: label 1 is not accepted (only kid, 4)");
	fresh(state);
	expect_error(verify_with(f, 1, x5chain, sizeof(x5chain)), &f->err, -EOPNOTSUPP,
		     "label 33");
	fresh(state);
	expect_error(verify_with(f, 1, kid_text, sizeof(kid_text)), &f->err, -EPROTO,
		     "COSE kid: text string, expected byte string");
	fresh(state);
	expect_error(verify_with(f, 1, kid_empty, sizeof(kid_empty)), &f->err, -EMSGSIZE,
		     "0 bytes, expected 1..32");
	fresh(state);
	expect_error(verify_with(f, 1, kid_long, sizeof(kid_long)), &f->err, -EMSGSIZE,
		     "33 bytes, expected 1..32");
	fresh(state);
	expect_error(verify_with(f, 1, kid_dup, sizeof(kid_dup)), &f->err, -ENOTUNIQ,
		     "duplicate kid");
	fresh(state);
	expect_error(verify_with(f, 1, text_label, sizeof(text_label)), &f->err,
		     -EOPNOTSUPP, "text labels");
	fresh(state);
	expect_error(verify_with(f, 1, not_map, sizeof(not_map)), &f->err, -EPROTO,
		     "expected map");
}

/* The kid is unprotected: changing it leaves the signature valid (by design). */
static void kid_not_signed(void **state)
{
	static const uint8_t kid2[] = { 0xa1, 0x04, 0x41, 'z' };
	struct fx *f = fresh(state);

	assert_int_equal(verify_with(f, 1, kid2, sizeof(kid2)), 0);
	assert_int_equal(f->cs.kid_len, 1);
}

static void payload_forms(void **state)
{
	static const uint8_t nil[] = { 0xf6 };
	static const uint8_t text[] = { 0x61, 'x' };
	struct fx *f = *state;

	fresh(state);
	expect_error(verify_with(f, 2, nil, 1), &f->err, -ENODATA, "detached payload");
	fresh(state);
	expect_error(verify_with(f, 2, text, 2), &f->err, -EPROTO, "not a byte string");
}

static void signature_forms(void **state)
{
	struct fx *f = *state;
	uint8_t sig[2 + 97];
	int i;

	sig[0] = 0x58;
	for (i = 95; i <= 97; i += 2) {
		sig[1] = (uint8_t)i;
		memset(sig + 2, 1, (size_t)i);
		fresh(state);
		expect_error(verify_with(f, 3, sig, 2 + (size_t)i), &f->err, -EMSGSIZE,
			     "COSE signature: byte string of");
	}
	fresh(state);
	expect_error(verify_with(f, 3, "\xf6", 1), &f->err, -EPROTO,
		     "COSE signature: null, expected byte string");
	/* r = 0 and s = 0: not a signature, and no crash on the way. */
	sig[1] = 96;
	memset(sig + 2, 0, 96);
	fresh(state);
	expect_error(verify_with(f, 3, sig, 98), &f->err, -EKEYREJECTED, "does not verify");
	/* r and s all ones: beyond the group order. */
	memset(sig + 2, 0xff, 96);
	fresh(state);
	expect_error(verify_with(f, 3, sig, 98), &f->err, -EKEYREJECTED, "does not verify");
}

static void bad_signatures(void **state)
{
	struct fx *f = *state;
	uint8_t copy[BUF_SIZE];

	/* A flipped signature bit. */
	memcpy(copy, f->msg, f->msg_len);
	copy[f->msg_len - 1] ^= 1;
	expect_error(ofs_cose_sign1_verify(f->key, copy, f->msg_len, &f->cs, &f->err),
		     &f->err, -EKEYREJECTED, "signature does not verify");
	/* A tampered payload byte. */
	memcpy(copy, f->msg, f->msg_len);
	copy[20] ^= 0x80;
	expect_error(ofs_cose_sign1_verify(f->key, copy, f->msg_len, &f->cs, &f->err),
		     &f->err, -EKEYREJECTED, "signature does not verify");
	/* Another key. */
	expect_error(ofs_cose_sign1_verify(f->other, f->msg, f->msg_len, &f->cs, &f->err),
		     &f->err, -EKEYREJECTED, "signature does not verify");
	/* Not a P-384 key at all. */
	expect_error(ofs_cose_sign1_verify(f->p256, f->msg, f->msg_len, &f->cs, &f->err),
		     &f->err, -EINVAL, "not EC P-384");
}

static void trailing_and_oversize(void **state)
{
	struct fx *f = *state;
	static uint8_t big[OFS_REPORT_MAX + 1];

	memcpy(f->out, f->msg, f->msg_len);
	f->out[f->msg_len] = 0xf6;
	expect_error(ofs_cose_sign1_verify(f->key, f->out, f->msg_len + 1, &f->cs, &f->err),
		     &f->err, -EBADMSG, "COSE_Sign1: 1 trailing bytes");
	memcpy(big, f->msg, f->msg_len);
	expect_error(ofs_cose_sign1_verify(f->key, big, sizeof(big), &f->cs, &f->err),
		     &f->err, -E2BIG, "at most 16384");
	expect_error(ofs_cose_sign1_parse(NULL, 0, &f->cs, &f->err), &f->err, -EBADMSG,
		     "truncated");
}

static void sign_arguments(void **state)
{
	struct fx *f = *state;
	uint8_t long_kid[OFS_KID_MAX + 1] = { 0 };
	size_t n;

	assert_int_equal(ofs_cose_sign1_sign(f->p256, f->payload, 8, NULL, 0, f->out,
					     sizeof(f->out), &n), -EINVAL);
	assert_int_equal(ofs_cose_sign1_sign(f->key, f->payload, 0, NULL, 0, f->out,
					     sizeof(f->out), &n), -EINVAL);
	assert_int_equal(ofs_cose_sign1_sign(f->key, f->payload, 8, long_kid,
					     sizeof(long_kid), f->out, sizeof(f->out), &n),
			 -EINVAL);
	assert_int_equal(ofs_cose_sign1_sign(f->key, f->payload, sizeof(f->payload), NULL, 0,
					     f->out, f->msg_len - 1, &n), -ENOBUFS);
}

static void truncated_everywhere(void **state)
{
	struct fx *f = *state;
	size_t n;

	for (n = 0; n < f->msg_len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, f->msg, n);
		memset(&f->err, 0, sizeof(f->err));
		assert_true(ofs_cose_sign1_verify(f->key, copy, n, &f->cs, &f->err) < 0);
		assert_true(f->err.err < 0);
		free(copy);
	}
}

/* Every 1- and 2-byte input: no crash, and nothing is a valid COSE_Sign1. */
static void tiny_inputs(void **state)
{
	struct fx *f = *state;
	uint8_t b[2];
	unsigned int i, j;

	for (i = 0; i < 256; i++) {
		b[0] = (uint8_t)i;
		assert_true(ofs_cose_sign1_parse(b, 1, &f->cs, NULL) < 0);
		for (j = 0; j < 256; j++) {
			b[1] = (uint8_t)j;
			assert_true(ofs_cose_sign1_parse(b, 2, &f->cs, NULL) < 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(round_trip_kid),
		cmocka_unit_test(independent_signature_check),
		cmocka_unit_test(untagged),
		cmocka_unit_test(wrong_tag),
		cmocka_unit_test(wrong_array),
		cmocka_unit_test(wrong_alg),
		cmocka_unit_test(protected_header_content),
		cmocka_unit_test(unprotected_header_content),
		cmocka_unit_test(kid_not_signed),
		cmocka_unit_test(payload_forms),
		cmocka_unit_test(signature_forms),
		cmocka_unit_test(bad_signatures),
		cmocka_unit_test(trailing_and_oversize),
		cmocka_unit_test(sign_arguments),
		cmocka_unit_test(truncated_everywhere),
		cmocka_unit_test(tiny_inputs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
