// SPDX-License-Identifier: MIT
/*
 * DICE derivations: determinism, separation, the ueid format and a pinned
 * vector.  The device model's provisioning and boot: test-emu-provision.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "ofs-identity.h"
#include "ofs-util.h"

/* UDS = 00 01 02 ... 1f. */
static void kat_uds(uint8_t uds[OFS_UDS_LEN])
{
	int i;

	for (i = 0; i < OFS_UDS_LEN; i++)
		uds[i] = i;
}

static EVP_PKEY *deviceid(const uint8_t *uds)
{
	EVP_PKEY *k = NULL;

	assert_int_equal(ofs_dice_deviceid_key(uds, &k), 0);
	return k;
}

static EVP_PKEY *alias(const uint8_t *uds, const uint8_t *composite)
{
	EVP_PKEY *k = NULL;

	assert_int_equal(ofs_dice_alias_from_uds(uds, composite, &k), 0);
	return k;
}

static void deviceid_deterministic(void **state)
{
	uint8_t uds[OFS_UDS_LEN], p1[OFS_P384_POINT_LEN], p2[OFS_P384_POINT_LEN];
	EVP_PKEY *a, *b, *c;

	kat_uds(uds);
	a = deviceid(uds);
	b = deviceid(uds);
	assert_int_equal(EVP_PKEY_eq(a, b), 1);
	assert_int_equal(ofs_ec_public_point(a, p1), 0);
	assert_int_equal(ofs_ec_public_point(b, p2), 0);
	assert_memory_equal(p1, p2, sizeof(p1));
	uds[31] ^= 1;
	c = deviceid(uds);
	assert_int_equal(EVP_PKEY_eq(a, c), 0);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(c);
}

/* The key signs and verifies: the scalar and the point agree. */
static void deviceid_is_a_key_pair(void **state)
{
	uint8_t uds[OFS_UDS_LEN], sig[128];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY *k;

	kat_uds(uds);
	k = deviceid(uds);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, k),
			 1);
	assert_int_equal(EVP_DigestSign(md, sig, &siglen,
					(const uint8_t *)"m", 1), 1);
	EVP_MD_CTX_reset(md);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, k),
			 1);
	assert_int_equal(EVP_DigestVerify(md, sig, siglen,
					  (const uint8_t *)"m", 1), 1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
}

/*
 * A pinned vector: any change to the derivation (info strings, scalar
 * mapping, ueid) breaks every provisioned device, so it must show here.
 */
static void ueid_vector(void **state)
{
	static const char want[] = "01"
		"5ae9a52509b630d49ebf9d2dfdef5d0e396bc2b13f45413b438fe5d86016a824";
	uint8_t uds[OFS_UDS_LEN], ueid[OFS_UEID_LEN], point[OFS_P384_POINT_LEN];
	uint8_t md[32];
	char hex[2 * OFS_UEID_LEN + 1];
	EVP_PKEY *k;

	kat_uds(uds);
	k = deviceid(uds);
	assert_int_equal(ofs_dice_ueid(k, ueid), 0);
	ofs_hex(ueid, sizeof(ueid), hex);
	print_message("# ueid(00..1f) = %s\n", hex);
	assert_string_equal(hex, want);
	/* 0x01 || SHA-256(uncompressed point). */
	assert_int_equal(ueid[0], OFS_UEID_TYPE_RAND);
	assert_int_equal(ofs_ec_public_point(k, point), 0);
	assert_int_equal(point[0], 0x04);
	EVP_Digest(point, sizeof(point), md, NULL, EVP_sha256(), NULL);
	assert_memory_equal(ueid + 1, md, 32);
	EVP_PKEY_free(k);
}

static void alias_deterministic_and_separate(void **state)
{
	uint8_t uds[OFS_UDS_LEN], comp[32] = { 1 }, cdi1[OFS_CDI_LEN],
		cdi2[OFS_CDI_LEN];
	EVP_PKEY *a, *b, *c, *d;

	kat_uds(uds);
	a = alias(uds, comp);
	b = alias(uds, comp);
	assert_int_equal(EVP_PKEY_eq(a, b), 1);
	/* Not the DeviceID key, even for the same UDS. */
	d = deviceid(uds);
	assert_int_equal(EVP_PKEY_eq(a, d), 0);
	comp[31] ^= 0x80;
	c = alias(uds, comp);
	assert_int_equal(EVP_PKEY_eq(a, c), 0);
	assert_int_equal(ofs_dice_cdi(uds, comp, cdi1), 0);
	comp[31] ^= 0x80;
	assert_int_equal(ofs_dice_cdi(uds, comp, cdi2), 0);
	assert_memory_not_equal(cdi1, cdi2, sizeof(cdi1));
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(c);
	EVP_PKEY_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deviceid_deterministic),
		cmocka_unit_test(deviceid_is_a_key_pair),
		cmocka_unit_test(ueid_vector),
		cmocka_unit_test(alias_deterministic_and_separate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
