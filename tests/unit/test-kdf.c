// SPDX-License-Identifier: MIT
/*
 * HKDF-SHA-256 against RFC 5869, and the launch key: its byte layout, a
 * known answer computed independently (Python's hmac/hashlib from
 * docs/stream-format.md), agreement between host and device, and that
 * every input moves the output.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "ofs-crypto.h"
#include "ofs-util.h"

/* Parses hex into a fresh buffer; the test owns it. */
static uint8_t *unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *buf = malloc(n ? n : 1);

	assert_non_null(buf);
	/* Even length, hex digits only. */
	assert_int_equal(ofs_unhex(hex, buf, n), n);
	*len = n;
	return buf;
}

static void range(uint8_t *buf, size_t len, unsigned int first)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(first + i);
}

static void check_hkdf(const uint8_t *ikm, size_t ikm_len,
		       const uint8_t *salt, size_t salt_len,
		       const uint8_t *info, size_t info_len, const char *okm_hex)
{
	size_t okm_len;
	uint8_t *okm = unhex(okm_hex, &okm_len);
	uint8_t out[128];

	assert_true(okm_len <= sizeof(out));
	assert_int_equal(ofs_hkdf_sha256(ikm, ikm_len, salt, salt_len, info,
					 info_len, out, okm_len), 0);
	assert_memory_equal(out, okm, okm_len);
	free(okm);
}

static void rfc5869_case1(void **state)
{
	uint8_t ikm[22], salt[13], info[10];

	memset(ikm, 0x0b, sizeof(ikm));
	range(salt, sizeof(salt), 0x00);
	range(info, sizeof(info), 0xf0);
	check_hkdf(ikm, sizeof(ikm), salt, sizeof(salt), info, sizeof(info),
		   "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db0"
		   "2d56ecc4c5bf34007208d5b887185865");
}

static void rfc5869_case2(void **state)
{
	uint8_t ikm[80], salt[80], info[80];

	range(ikm, sizeof(ikm), 0x00);
	range(salt, sizeof(salt), 0x60);
	range(info, sizeof(info), 0xb0);
	check_hkdf(ikm, sizeof(ikm), salt, sizeof(salt), info, sizeof(info),
		   "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050"
		   "cc4c19afa97c59045a99cac7827271cb41c65e590e09da327560"
		   "0c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3"
		   "434f1d87");
}

static void rfc5869_case3(void **state)
{
	uint8_t ikm[22];

	memset(ikm, 0x0b, sizeof(ikm));
	/* Salt and info "not provided": NULL and empty must agree. */
	check_hkdf(ikm, sizeof(ikm), NULL, 0, NULL, 0,
		   "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec345"
		   "4e5f3c738d2d9d201395faa4b61a96c8");
	check_hkdf(ikm, sizeof(ikm), ikm, 0, ikm, 0,
		   "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec345"
		   "4e5f3c738d2d9d201395faa4b61a96c8");
}

static int all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

static void hkdf_bad_args(void **state)
{
	static uint8_t out[255 * 32 + 1];
	uint8_t ikm[32] = { 1 };

	assert_int_equal(ofs_hkdf_sha256(ikm, sizeof(ikm), NULL, 0, NULL, 0,
					 out, 255 * 32), 0);
	assert_int_equal(ofs_hkdf_sha256(ikm, sizeof(ikm), NULL, 0, NULL, 0,
					 out, 255 * 32 + 1), -EINVAL);
	assert_int_equal(ofs_hkdf_sha256(ikm, sizeof(ikm), NULL, 0, NULL, 0,
					 out, 0), -EINVAL);
	/* Failures leave no key material behind. */
	memset(out, 0xaa, 64);
	assert_int_equal(ofs_hkdf_sha256(NULL, 0, NULL, 0, NULL, 0, out, 64),
			 -EINVAL);
	assert_true(all_zero(out, 64));
	memset(out, 0xaa, 64);
	assert_int_equal(ofs_hkdf_sha256(ikm, sizeof(ikm), NULL, 5, NULL, 0,
					 out, 64), -EINVAL);
	assert_true(all_zero(out, 64));
	memset(out, 0xaa, 64);
	assert_int_equal(ofs_hkdf_sha256(ikm, sizeof(ikm), NULL, 0, out + 100,
					 1025, out, 64), -EINVAL);
	assert_true(all_zero(out, 64));
}

/* The inputs of the known answer, also computed by hand (see file top). */
struct kat {
	uint8_t secret[OFS_ECDH_SECRET_LEN];
	uint8_t kernel[OFS_SHA256_LEN], initrd[OFS_SHA256_LEN];
	struct ofs_launch_kdf_input in;
};

static const char kat_confirmation[] = "confirmation bytes (test)";
static const char kat_report[] = "report bytes (test)";

static void kat_init(struct kat *k)
{
	size_t i;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < sizeof(k->secret); i++)
		k->secret[i] = (uint8_t)(i * 7 + 1);
	memset(k->kernel, 0x11, sizeof(k->kernel));
	memset(k->initrd, 0x22, sizeof(k->initrd));
	k->in.shared_secret = k->secret;
	k->in.shared_secret_len = sizeof(k->secret);
	k->in.confirmation = (const uint8_t *)kat_confirmation;
	k->in.confirmation_len = strlen(kat_confirmation);
	k->in.report = (const uint8_t *)kat_report;
	k->in.report_len = strlen(kat_report);
	memset(k->in.boot_measurement, 0xb0, OFS_SHA256_LEN);
	k->in.image_digest[0] = k->kernel;
	k->in.image_digest[1] = k->initrd;
	k->in.image_digest[2] = NULL;		/* no cmdline */
	range(k->in.session_id, OFS_SESSION_ID_LEN, 0xa0);
}

static void launch_info_layout(void **state)
{
	uint8_t info[OFS_LAUNCH_INFO_LEN], want[OFS_LAUNCH_INFO_LEN];
	unsigned int mdlen;
	struct kat k;
	uint8_t *p = want;

	assert_int_equal(OFS_LAUNCH_INFO_LEN, 197);
	kat_init(&k);
	memcpy(p, "offload-sec/v1/launch", 21);
	p += 21;
	assert_int_equal(EVP_Digest(kat_report, strlen(kat_report), p, &mdlen,
				    EVP_sha256(), NULL), 1);
	p += 32;
	memset(p, 0xb0, 32);
	p += 32;
	memset(p, 0x11, 32);
	p += 32;
	memset(p, 0x22, 32);
	p += 32;
	memset(p, 0, 32);
	p += 32;
	range(p, 16, 0xa0);
	assert_int_equal(ofs_launch_kdf_info(&k.in, info), 0);
	assert_memory_equal(info, want, sizeof(want));
}

static void launch_known_answer(void **state)
{
	struct ofs_launch_keys keys;
	uint8_t *aead, *mac;
	size_t n;
	struct kat k;

	kat_init(&k);
	assert_int_equal(ofs_launch_kdf(&k.in, &keys), 0);
	aead = unhex("349cae1972197ba8c3880fe546aa27b1"
		     "68caad51f72afd81fb5b82b1d1cb32b7", &n);
	mac = unhex("205932a322fb16f5b3a230d8151ebdf5"
		    "97090be952ca29dc55b0798368bd87d1", &n);
	assert_memory_equal(keys.aead_key, aead, 32);
	assert_memory_equal(keys.receipt_mac_key, mac, 32);
	ofs_launch_keys_wipe(&keys);
	assert_true(all_zero((uint8_t *)&keys, sizeof(keys)));
	free(aead);
	free(mac);
}

/* Host and device each run ECDH with their own private key. */
static void launch_both_sides(void **state)
{
	uint8_t pub_h[OFS_P384_POINT_LEN], pub_d[OFS_P384_POINT_LEN];
	uint8_t ss_h[OFS_ECDH_SECRET_LEN], ss_d[OFS_ECDH_SECRET_LEN];
	struct ofs_ecdh_key *host, *dev, *peer_of_h, *peer_of_d;
	struct ofs_launch_keys kh, kd;
	struct kat k;

	assert_int_equal(ofs_ecdh_generate(&host), 0);
	assert_int_equal(ofs_ecdh_generate(&dev), 0);
	assert_int_equal(ofs_ecdh_export_public(host, pub_h), 0);
	assert_int_equal(ofs_ecdh_export_public(dev, pub_d), 0);
	assert_int_equal(ofs_ecdh_import_public(&peer_of_h, pub_d,
						sizeof(pub_d)), 0);
	assert_int_equal(ofs_ecdh_import_public(&peer_of_d, pub_h,
						sizeof(pub_h)), 0);
	assert_int_equal(ofs_ecdh_derive(host, peer_of_h, ss_h), 0);
	assert_int_equal(ofs_ecdh_derive(dev, peer_of_d, ss_d), 0);

	kat_init(&k);
	k.in.shared_secret = ss_h;
	assert_int_equal(ofs_launch_kdf(&k.in, &kh), 0);
	k.in.shared_secret = ss_d;
	assert_int_equal(ofs_launch_kdf(&k.in, &kd), 0);
	assert_memory_equal(&kh, &kd, sizeof(kh));
	/* The two halves are independent keys. */
	assert_memory_not_equal(kh.aead_key, kh.receipt_mac_key, 32);

	ofs_ecdh_free(host);
	ofs_ecdh_free(dev);
	ofs_ecdh_free(peer_of_h);
	ofs_ecdh_free(peer_of_d);
}

static void derive_kat(const struct kat *k, struct ofs_launch_keys *keys)
{
	assert_int_equal(ofs_launch_kdf(&k->in, keys), 0);
}

/* Both halves must change, not just one. */
static void assert_keys_differ(const struct ofs_launch_keys *a,
			       const struct ofs_launch_keys *b)
{
	assert_memory_not_equal(a->aead_key, b->aead_key, 32);
	assert_memory_not_equal(a->receipt_mac_key, b->receipt_mac_key, 32);
}

static void launch_every_input_matters(void **state)
{
	static const uint8_t empty_sha256[OFS_SHA256_LEN] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
		0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
		0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};
	static const char conf2[] = "confirmation bytes (test)!";
	static const char rep2[] = "report bytes (tesT)";
	struct ofs_launch_keys base, k2;
	uint8_t other[OFS_SHA256_LEN];
	struct kat k;
	int i;

	kat_init(&k);
	derive_kat(&k, &base);

	k.secret[47] ^= 1;
	derive_kat(&k, &k2);
	assert_keys_differ(&base, &k2);
	kat_init(&k);

	k.in.confirmation = (const uint8_t *)conf2;	/* one byte longer */
	k.in.confirmation_len = strlen(conf2);
	derive_kat(&k, &k2);
	assert_keys_differ(&base, &k2);
	kat_init(&k);

	k.in.report = (const uint8_t *)rep2;		/* one byte changed */
	derive_kat(&k, &k2);
	assert_keys_differ(&base, &k2);
	kat_init(&k);

	k.in.boot_measurement[31] ^= 0x80;
	derive_kat(&k, &k2);
	assert_keys_differ(&base, &k2);
	kat_init(&k);

	k.in.session_id[0] ^= 1;
	derive_kat(&k, &k2);
	assert_keys_differ(&base, &k2);
	kat_init(&k);

	/* Each component slot, changed, removed, or given another's digest. */
	for (i = 0; i < OFS_LAUNCH_NCOMPONENTS; i++) {
		memset(other, 0x33 + i, sizeof(other));
		kat_init(&k);
		k.in.image_digest[i] = other;
		derive_kat(&k, &k2);
		assert_keys_differ(&base, &k2);
	}
	kat_init(&k);
	k.in.image_digest[0] = NULL;
	derive_kat(&k, &k2);
	assert_keys_differ(&base, &k2);
	kat_init(&k);
	k.in.image_digest[0] = k.initrd;	/* swapped order */
	k.in.image_digest[1] = k.kernel;
	derive_kat(&k, &k2);
	assert_keys_differ(&base, &k2);
	/* An empty cmdline is present, and not the same as none. */
	kat_init(&k);
	k.in.image_digest[2] = empty_sha256;
	derive_kat(&k, &k2);
	assert_keys_differ(&base, &k2);

	ofs_launch_keys_wipe(&base);
	ofs_launch_keys_wipe(&k2);
}

static void launch_bad_input(void **state)
{
	struct ofs_launch_keys keys;
	struct kat k;

	kat_init(&k);
	k.in.shared_secret_len = 32;
	memset(&keys, 0xaa, sizeof(keys));
	assert_int_equal(ofs_launch_kdf(&k.in, &keys), -EINVAL);
	assert_true(all_zero((uint8_t *)&keys, sizeof(keys)));

	kat_init(&k);
	k.in.shared_secret = NULL;
	assert_int_equal(ofs_launch_kdf(&k.in, &keys), -EINVAL);

	kat_init(&k);
	k.in.confirmation_len = 0;
	memset(&keys, 0xaa, sizeof(keys));
	assert_int_equal(ofs_launch_kdf(&k.in, &keys), -EINVAL);
	assert_true(all_zero((uint8_t *)&keys, sizeof(keys)));

	kat_init(&k);
	k.in.report = NULL;
	memset(&keys, 0xaa, sizeof(keys));
	assert_int_equal(ofs_launch_kdf(&k.in, &keys), -EINVAL);
	assert_true(all_zero((uint8_t *)&keys, sizeof(keys)));

	assert_int_equal(ofs_launch_kdf(NULL, &keys), -EINVAL);
	assert_int_equal(ofs_launch_kdf(&k.in, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc5869_case1),
		cmocka_unit_test(rfc5869_case2),
		cmocka_unit_test(rfc5869_case3),
		cmocka_unit_test(hkdf_bad_args),
		cmocka_unit_test(launch_info_layout),
		cmocka_unit_test(launch_known_answer),
		cmocka_unit_test(launch_both_sides),
		cmocka_unit_test(launch_every_input_matters),
		cmocka_unit_test(launch_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
