// SPDX-License-Identifier: MIT
/*
 * Ephemeral ECDH P-384: two parties agree, the public key travels as a
 * 97-byte uncompressed point, and every malformed point is refused with
 * its own errno before it can be used.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ofs-crypto.h"

/* The P-384 field prime, big-endian. */
static const uint8_t p384_p[48] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
};

struct pair {
	struct ofs_ecdh_key *a, *b;
	uint8_t pub_a[OFS_P384_POINT_LEN], pub_b[OFS_P384_POINT_LEN];
};

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	if (!p || ofs_ecdh_generate(&p->a) || ofs_ecdh_generate(&p->b) ||
	    ofs_ecdh_export_public(p->a, p->pub_a) ||
	    ofs_ecdh_export_public(p->b, p->pub_b))
		return -1;
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	ofs_ecdh_free(p->a);
	ofs_ecdh_free(p->b);
	free(p);
	return 0;
}

static int all_zero(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i])
			return 0;
	return 1;
}

static void agree(void **state)
{
	struct pair *p = *state;
	uint8_t s_a[OFS_ECDH_SECRET_LEN], s_b[OFS_ECDH_SECRET_LEN];
	struct ofs_ecdh_key *peer_a, *peer_b;

	assert_int_equal(ofs_ecdh_import_public(&peer_b, p->pub_b,
						sizeof(p->pub_b)), 0);
	assert_int_equal(ofs_ecdh_import_public(&peer_a, p->pub_a,
						sizeof(p->pub_a)), 0);
	assert_int_equal(ofs_ecdh_derive(p->a, peer_b, s_a), 0);
	assert_int_equal(ofs_ecdh_derive(p->b, peer_a, s_b), 0);
	assert_memory_equal(s_a, s_b, sizeof(s_a));
	assert_false(all_zero(s_a, sizeof(s_a)));
	ofs_ecdh_free(peer_a);
	ofs_ecdh_free(peer_b);
}

static void other_peer_other_secret(void **state)
{
	struct pair *p = *state;
	uint8_t s1[OFS_ECDH_SECRET_LEN], s2[OFS_ECDH_SECRET_LEN];
	uint8_t pub_c[OFS_P384_POINT_LEN];
	struct ofs_ecdh_key *c, *peer_b, *peer_c;

	assert_int_equal(ofs_ecdh_generate(&c), 0);
	assert_int_equal(ofs_ecdh_export_public(c, pub_c), 0);
	assert_memory_not_equal(pub_c, p->pub_b, sizeof(pub_c));
	assert_int_equal(ofs_ecdh_import_public(&peer_b, p->pub_b,
						sizeof(p->pub_b)), 0);
	assert_int_equal(ofs_ecdh_import_public(&peer_c, pub_c,
						sizeof(pub_c)), 0);
	assert_int_equal(ofs_ecdh_derive(p->a, peer_b, s1), 0);
	assert_int_equal(ofs_ecdh_derive(p->a, peer_c, s2), 0);
	assert_memory_not_equal(s1, s2, sizeof(s1));
	ofs_ecdh_free(c);
	ofs_ecdh_free(peer_b);
	ofs_ecdh_free(peer_c);
}

static void export_format(void **state)
{
	struct pair *p = *state;
	uint8_t again[OFS_P384_POINT_LEN];
	struct ofs_ecdh_key *imported;

	assert_int_equal(p->pub_a[0], 0x04);
	/* Both coordinates are below p: a valid encoding. */
	assert_true(memcmp(p->pub_a + 1, p384_p, 48) < 0);
	assert_true(memcmp(p->pub_a + 49, p384_p, 48) < 0);
	/* An imported key exports the same bytes it was made from. */
	assert_int_equal(ofs_ecdh_import_public(&imported, p->pub_a,
						sizeof(p->pub_a)), 0);
	assert_int_equal(ofs_ecdh_export_public(imported, again), 0);
	assert_memory_equal(again, p->pub_a, sizeof(again));
	ofs_ecdh_free(imported);
}

static int import(const uint8_t *pub, size_t len)
{
	struct ofs_ecdh_key *k = (struct ofs_ecdh_key *)&k;
	int ret = ofs_ecdh_import_public(&k, pub, len);

	/* A refused key leaves nothing to free. */
	if (ret)
		assert_null(k);
	ofs_ecdh_free(k);
	return ret;
}

static void reject_wrong_length(void **state)
{
	struct pair *p = *state;
	uint8_t big[OFS_P384_POINT_LEN + 1];
	uint8_t compressed[49];
	uint8_t infinity = 0x00;	/* SEC1's encoding of infinity */

	memcpy(big, p->pub_a, sizeof(p->pub_a));
	big[OFS_P384_POINT_LEN] = 0;
	compressed[0] = 0x02 | (p->pub_a[96] & 1);
	memcpy(compressed + 1, p->pub_a + 1, 48);

	assert_int_equal(import(p->pub_a, 96), -EMSGSIZE);
	assert_int_equal(import(big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(import(p->pub_a, 0), -EMSGSIZE);
	assert_int_equal(import(&infinity, 1), -EMSGSIZE);
	/* A valid compressed point, still refused: one encoding only. */
	assert_int_equal(import(compressed, sizeof(compressed)), -EMSGSIZE);
}

static void reject_wrong_prefix(void **state)
{
	static const uint8_t prefixes[] = { 0x00, 0x02, 0x03, 0x05, 0x06,
					    0x07, 0x44, 0xff };
	struct pair *p = *state;
	uint8_t pub[OFS_P384_POINT_LEN];
	size_t i;

	for (i = 0; i < sizeof(prefixes); i++) {
		memcpy(pub, p->pub_a, sizeof(pub));
		pub[0] = prefixes[i];
		assert_int_equal(import(pub, sizeof(pub)), -EPROTO);
	}
}

static void reject_off_curve(void **state)
{
	struct pair *p = *state;
	uint8_t pub[OFS_P384_POINT_LEN];
	int bit;

	/* Any one-bit change of y moves the point off the curve (only
	 * p - y would stay on it). */
	for (bit = 0; bit < 8; bit++) {
		memcpy(pub, p->pub_a, sizeof(pub));
		pub[96] ^= (uint8_t)(1 << bit);
		assert_int_equal(import(pub, sizeof(pub)), -EKEYREJECTED);
	}
	memcpy(pub, p->pub_a, sizeof(pub));
	pub[1] ^= 0x01;				/* x */
	assert_int_equal(import(pub, sizeof(pub)), -EKEYREJECTED);
}

static void reject_infinity(void **state)
{
	uint8_t pub[OFS_P384_POINT_LEN] = { 0x04 };

	/* (0, 0): what some encoders emit for the point at infinity. */
	assert_int_equal(import(pub, sizeof(pub)), -EKEYREJECTED);
}

static void reject_coordinate_not_below_p(void **state)
{
	struct pair *p = *state;
	uint8_t pub[OFS_P384_POINT_LEN];

	memcpy(pub, p->pub_a, sizeof(pub));
	memcpy(pub + 1, p384_p, 48);		/* x = p */
	assert_int_equal(import(pub, sizeof(pub)), -EKEYREJECTED);
	memcpy(pub, p->pub_a, sizeof(pub));
	memset(pub + 49, 0xff, 48);		/* y = 2^384 - 1 */
	assert_int_equal(import(pub, sizeof(pub)), -EKEYREJECTED);
}

static void derive_needs_private(void **state)
{
	struct pair *p = *state;
	uint8_t s[OFS_ECDH_SECRET_LEN];
	struct ofs_ecdh_key *pub_only;

	assert_int_equal(ofs_ecdh_import_public(&pub_only, p->pub_b,
						sizeof(p->pub_b)), 0);
	memset(s, 0xaa, sizeof(s));
	assert_int_equal(ofs_ecdh_derive(pub_only, p->a, s), -EINVAL);
	assert_true(all_zero(s, sizeof(s)));
	memset(s, 0xaa, sizeof(s));
	assert_int_equal(ofs_ecdh_derive(p->a, NULL, s), -EINVAL);
	assert_true(all_zero(s, sizeof(s)));
	ofs_ecdh_free(pub_only);
}

static void bad_args(void **state)
{
	struct pair *p = *state;
	struct ofs_ecdh_key *k;
	uint8_t pub[OFS_P384_POINT_LEN];

	assert_int_equal(ofs_ecdh_generate(NULL), -EINVAL);
	assert_int_equal(ofs_ecdh_import_public(NULL, p->pub_a, 97), -EINVAL);
	assert_int_equal(ofs_ecdh_import_public(&k, NULL, 97), -EINVAL);
	assert_int_equal(ofs_ecdh_export_public(NULL, pub), -EINVAL);
	assert_int_equal(ofs_ecdh_derive(p->a, p->b, NULL), -EINVAL);
	ofs_ecdh_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(agree),
		cmocka_unit_test(other_peer_other_secret),
		cmocka_unit_test(export_format),
		cmocka_unit_test(reject_wrong_length),
		cmocka_unit_test(reject_wrong_prefix),
		cmocka_unit_test(reject_off_curve),
		cmocka_unit_test(reject_infinity),
		cmocka_unit_test(reject_coordinate_not_below_p),
		cmocka_unit_test(derive_needs_private),
		cmocka_unit_test(bad_args),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
