// SPDX-License-Identifier: MIT
/*
 * Certificates: the root -> DeviceID -> Alias chain verifies, and every way
 * it can be wrong gives its own error; the measurement extension's codec;
 * PEM and DER files.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/x509v3.h>

#include "ofs-identity.h"

#define YEAR	(365L * 24 * 3600)

struct chain {
	EVP_PKEY *ca_key, *devid_key, *alias_key;
	X509 *root, *devid, *alias;
	struct ofs_fw_measurement meas;
};

struct fixture {
	struct chain good;
	struct chain other;	/* another manufacturer, another device */
};

static const uint8_t uds_a[OFS_UDS_LEN] = { 0xa1, 0xa2, 0xa3 };
static const uint8_t uds_b[OFS_UDS_LEN] = { 0xb1, 0xb2, 0xb3 };

static EVP_PKEY *p384(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");

	assert_non_null(k);
	return k;
}

static X509 *root_valid(EVP_PKEY *key, long from, long to)
{
	time_t now = time(NULL);
	X509 *x = NULL;

	assert_int_equal(ofs_cert_make_root(key, OFS_ROOT_CN, now + from,
					    now + to, &x), 0);
	return x;
}

static void make_measurement(struct ofs_fw_measurement *m, uint8_t seed)
{
	int i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < OFS_NUM_MEAS_REGS; i++)
		memset(m->regs[i], seed + i, OFS_SHA256_LEN);
	assert_int_equal(ofs_measure_composite(m->regs, m->composite), 0);
	m->svn = 7;
}

static void chain_build(struct chain *c, const uint8_t *uds, uint8_t seed)
{
	c->ca_key = p384();
	c->root = root_valid(c->ca_key, -3600, 20 * YEAR);
	assert_int_equal(ofs_dice_deviceid_key(uds, &c->devid_key), 0);
	assert_int_equal(ofs_cert_issue_deviceid(c->ca_key, c->root,
						 c->devid_key, &c->devid), 0);
	make_measurement(&c->meas, seed);
	assert_int_equal(ofs_dice_alias_from_uds(uds, c->meas.composite,
						 &c->alias_key), 0);
	assert_int_equal(ofs_cert_issue_alias(c->devid_key, c->devid,
					      c->alias_key, &c->meas,
					      &c->alias), 0);
}

static void chain_free(struct chain *c)
{
	EVP_PKEY_free(c->ca_key);
	EVP_PKEY_free(c->devid_key);
	EVP_PKEY_free(c->alias_key);
	X509_free(c->root);
	X509_free(c->devid);
	X509_free(c->alias);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	chain_build(&f->good, uds_a, 0x10);
	chain_build(&f->other, uds_b, 0x20);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	chain_free(&f->good);
	chain_free(&f->other);
	free(f);
	return 0;
}

static int verify(X509 *root, X509 *devid, X509 *alias,
		  struct ofs_chain_info *info)
{
	int r = ofs_cert_verify_chain(&root, 1, devid, alias, info);

	if (r < 0) {
		assert_non_null(info->reason);
		assert_null(info->alias_pub);
		print_message("# %s\n", info->reason);
	}
	return r;
}

static int verify_good(struct fixture *f, X509 *alias)
{
	struct ofs_chain_info info;
	int r = verify(f->good.root, f->good.devid, alias, &info);

	ofs_chain_info_release(&info);
	return r;
}

/* A copy through DER, so that OpenSSL's caches start afresh. */
static X509 *reparse(X509 *x)
{
	uint8_t *der = NULL;
	size_t len;
	X509 *y = NULL;

	assert_int_equal(ofs_cert_to_der(x, &der, &len), 0);
	assert_int_equal(ofs_cert_from_der(der, len, &y), 0);
	OPENSSL_free(der);
	return y;
}

static X509 *resign(X509 *x, EVP_PKEY *key)
{
	X509 *y;

	assert_true(X509_sign(x, key, EVP_sha384()) > 0);
	y = reparse(x);
	X509_free(x);
	return y;
}

/* Flips one byte of the DER encoding at offset (from the end if < 0). */
static X509 *tamper(X509 *x, long offset)
{
	uint8_t *der = NULL;
	size_t len;
	X509 *y = NULL;

	assert_int_equal(ofs_cert_to_der(x, &der, &len), 0);
	der[offset < 0 ? (long)len + offset : offset] ^= 0x01;
	assert_int_equal(ofs_cert_from_der(der, len, &y), 0);
	OPENSSL_free(der);
	return y;
}

static long find(X509 *x, const uint8_t *needle, size_t n)
{
	uint8_t *der = NULL;
	size_t len;
	uint8_t *p;
	long off;

	assert_int_equal(ofs_cert_to_der(x, &der, &len), 0);
	p = memmem(der, len, needle, n);
	assert_non_null(p);
	off = p - der;
	OPENSSL_free(der);
	return off;
}

static void chain_verifies(void **state)
{
	struct fixture *f = *state;
	uint8_t ueid[OFS_UEID_LEN];
	struct ofs_chain_info info;

	assert_int_equal(verify(f->good.root, f->good.devid, f->good.alias,
				&info), 0);
	assert_non_null(info.alias_pub);
	assert_int_equal(EVP_PKEY_eq(info.alias_pub, f->good.alias_key), 1);
	assert_memory_equal(&info.meas, &f->good.meas, sizeof(info.meas));
	assert_int_equal(ofs_dice_ueid(f->good.devid_key, ueid), 0);
	assert_memory_equal(info.ueid, ueid, sizeof(ueid));
	ofs_chain_info_release(&info);
}

static void chain_any_of_several_roots(void **state)
{
	struct fixture *f = *state;
	X509 *roots[] = { f->other.root, f->good.root };
	struct ofs_chain_info info;

	assert_int_equal(ofs_cert_verify_chain(roots, 2, f->good.devid,
					       f->good.alias, &info), 0);
	ofs_chain_info_release(&info);
}

static void other_root(void **state)
{
	struct fixture *f = *state;
	struct ofs_chain_info info;

	assert_int_equal(verify(f->other.root, f->good.devid, f->good.alias,
				&info), -ENOKEY);
}

static void tampered_deviceid(void **state)
{
	struct fixture *f = *state;
	struct ofs_chain_info info;
	X509 *bad = tamper(f->good.devid, -1);

	assert_int_equal(verify(f->good.root, bad, f->good.alias, &info),
			 -EBADMSG);
	X509_free(bad);
}

static void tampered_alias_signature(void **state)
{
	struct fixture *f = *state;
	X509 *bad = tamper(f->good.alias, -1);

	assert_int_equal(verify_good(f, bad), -EBADMSG);
	X509_free(bad);
}

/* The attack that matters: claim other firmware, keep the signature. */
static void tampered_alias_measurement(void **state)
{
	struct fixture *f = *state;
	long off = find(f->good.alias, f->good.meas.composite, OFS_SHA256_LEN);
	X509 *bad = tamper(f->good.alias, off);

	assert_int_equal(verify_good(f, bad), -EBADMSG);
	X509_free(bad);
}

/* Another device's DeviceID key issued it: names another issuer. */
static void alias_from_other_device(void **state)
{
	struct fixture *f = *state;
	struct ofs_chain_info info;

	assert_int_equal(verify(f->good.root, f->good.devid, f->other.alias,
				&info), -EKEYREJECTED);
	/* Even with the other DeviceID at hand. */
	assert_int_equal(verify(f->other.root, f->good.devid, f->other.alias,
				&info), -EKEYREJECTED);
}

/* Names this DeviceID as issuer, signed by some other key. */
static void alias_resigned_by_other_key(void **state)
{
	struct fixture *f = *state;
	X509 *bad = resign(X509_dup(f->good.alias), f->other.devid_key);

	assert_int_equal(verify_good(f, bad), -EBADMSG);
	X509_free(bad);
}

/* The root skipping the DeviceID level. */
static void alias_issued_by_root(void **state)
{
	struct fixture *f = *state;
	X509 *bad = NULL;

	assert_int_equal(ofs_cert_issue_alias(f->good.ca_key, f->good.root,
					      f->good.alias_key,
					      &f->good.meas, &bad), 0);
	assert_int_equal(verify_good(f, bad), -EKEYREJECTED);
	X509_free(bad);
}

static int ext_index(X509 *x)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(OFS_OID_FW_MEASUREMENT, 1);
	int i = X509_get_ext_by_OBJ(x, oid, -1);

	ASN1_OBJECT_free(oid);
	return i;
}

static void missing_extension(void **state)
{
	struct fixture *f = *state;
	X509 *bad = X509_dup(f->good.alias);

	X509_EXTENSION_free(X509_delete_ext(bad, ext_index(bad)));
	bad = resign(bad, f->good.devid_key);
	assert_int_equal(verify_good(f, bad), -ENOMSG);
	X509_free(bad);
}

static void duplicate_extension(void **state)
{
	struct fixture *f = *state;
	X509 *bad = X509_dup(f->good.alias);

	assert_true(X509_add_ext(bad, X509_get_ext(bad, ext_index(bad)), -1));
	bad = resign(bad, f->good.devid_key);
	assert_int_equal(verify_good(f, bad), -ENOTUNIQ);
	X509_free(bad);
}

static void malformed_extension(void **state)
{
	static const uint8_t junk[] = { 0x30, 0x03, 0x04, 0x01, 0x00 };
	struct fixture *f = *state;
	X509 *bad = X509_dup(f->good.alias);
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();

	assert_true(ASN1_OCTET_STRING_set(v, junk, sizeof(junk)));
	assert_true(X509_EXTENSION_set_data(X509_get_ext(bad, ext_index(bad)),
					    v));
	ASN1_OCTET_STRING_free(v);
	bad = resign(bad, f->good.devid_key);
	assert_int_equal(verify_good(f, bad), -EPROTO);
	X509_free(bad);
}

/* A chain anchored in root, from a fresh DeviceID and Alias. */
static int verify_with_root(struct fixture *f, X509 *root)
{
	struct ofs_chain_info info;
	X509 *devid = NULL, *alias = NULL;
	int r;

	assert_int_equal(ofs_cert_issue_deviceid(f->good.ca_key, root,
						 f->good.devid_key, &devid), 0);
	assert_int_equal(ofs_cert_issue_alias(f->good.devid_key, devid,
					      f->good.alias_key,
					      &f->good.meas, &alias), 0);
	r = verify(root, devid, alias, &info);
	ofs_chain_info_release(&info);
	X509_free(devid);
	X509_free(alias);
	return r;
}

static void expired_root(void **state)
{
	struct fixture *f = *state;
	X509 *root = root_valid(f->good.ca_key, -2 * YEAR, -YEAR);

	assert_int_equal(verify_with_root(f, root), -EKEYEXPIRED);
	X509_free(root);
}

static void future_root(void **state)
{
	struct fixture *f = *state;
	X509 *root = root_valid(f->good.ca_key, YEAR, 2 * YEAR);

	assert_int_equal(verify_with_root(f, root), -EKEYEXPIRED);
	X509_free(root);
}

/* A DeviceID subject naming another device's ueid. */
static void deviceid_subject_mismatch(void **state)
{
	struct fixture *f = *state;
	struct ofs_chain_info info;
	X509 *devid = X509_dup(f->good.devid), *alias = NULL;

	assert_true(X509_set_subject_name(devid,
					  X509_get_subject_name(f->other.devid)));
	devid = resign(devid, f->good.ca_key);
	assert_int_equal(ofs_cert_issue_alias(f->good.devid_key, devid,
					      f->good.alias_key,
					      &f->good.meas, &alias), 0);
	assert_int_equal(verify(f->good.root, devid, alias, &info), -EINVAL);
	X509_free(devid);
	X509_free(alias);
}

static void profiles(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(X509_check_ca(f->good.root), 1);
	assert_int_equal(X509_check_ca(f->good.devid), 1);
	assert_int_equal(X509_check_ca(f->good.alias), 0);
	assert_true(X509_get_key_usage(f->good.devid) & KU_KEY_CERT_SIGN);
	assert_int_equal(X509_get_key_usage(f->good.alias),
			 KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_pathlen(f->good.devid), 0);
	assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(f->good.alias),
					   X509_get0_notAfter(f->good.devid)),
			 0);
	assert_int_equal(X509_get_extension_flags(f->good.alias) &
			 EXFLAG_CRITICAL, 0);
}

static void measurement_codec(void **state)
{
	struct ofs_fw_measurement m, back;
	uint8_t *der = NULL, *copy;
	size_t len;

	make_measurement(&m, 0x33);
	m.svn = UINT32_MAX;
	assert_int_equal(ofs_fw_measurement_encode(&m, &der, &len), 0);
	assert_int_equal(ofs_fw_measurement_decode(der, len, &back), 0);
	assert_memory_equal(&m, &back, sizeof(m));
	/* Truncated, extended, and one byte changed in a length. */
	assert_int_equal(ofs_fw_measurement_decode(der, len - 1, &back),
			 -EPROTO);
	copy = malloc(len + 1);
	memcpy(copy, der, len);
	copy[len] = 0;
	assert_int_equal(ofs_fw_measurement_decode(copy, len + 1, &back),
			 -EPROTO);
	copy[3] = 31;	/* composite's OCTET STRING length */
	assert_int_equal(ofs_fw_measurement_decode(copy, len, &back), -EPROTO);
	free(copy);
	OPENSSL_free(der);
}

static void measurement_codec_rejects(void **state)
{
	/* SEQUENCE { OCTET STRING(32), SEQUENCE {} , INTEGER -1 } */
	uint8_t der[2 + 34 + 2 + 3] = { 0x30, 39, 0x04, 32 };
	struct ofs_fw_measurement back;

	der[36] = 0x30;
	der[37] = 0;
	der[38] = 0x02;
	der[39] = 1;
	der[40] = 0xff;
	assert_int_equal(ofs_fw_measurement_decode(der, sizeof(der), &back),
			 -EPROTO);
	assert_int_equal(ofs_fw_measurement_decode(der, 0, &back), -EPROTO);
}

static char *tmp_path(char *dir, const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void files_round_trip(void **state)
{
	struct fixture *f = *state;
	const char *base = getenv("TMPDIR");
	char dir[4096];
	EVP_PKEY *key = NULL, **keys = NULL;
	EVP_PKEY *pubs[2] = { f->good.ca_key, f->other.ca_key };
	X509 *x = NULL;
	struct stat st;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s/test-cert.XXXXXX",
		 base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(dir));

	assert_int_equal(ofs_cert_save_pem(tmp_path(dir, "c.pem"),
					   f->good.alias, 0644), 0);
	assert_int_equal(ofs_cert_load(tmp_path(dir, "c.pem"), &x), 0);
	assert_int_equal(X509_cmp(x, f->good.alias), 0);
	X509_free(x);
	assert_int_equal(ofs_cert_save_der(tmp_path(dir, "c.der"),
					   f->good.alias, 0644), 0);
	assert_int_equal(ofs_cert_load(tmp_path(dir, "c.der"), &x), 0);
	assert_int_equal(X509_cmp(x, f->good.alias), 0);
	X509_free(x);

	assert_int_equal(ofs_key_save_pem(tmp_path(dir, "k.pem"),
					  f->good.ca_key, 0600), 0);
	assert_int_equal(stat(tmp_path(dir, "k.pem"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(ofs_key_load_pem(tmp_path(dir, "k.pem"), &key), 0);
	assert_int_equal(EVP_PKEY_eq(key, f->good.ca_key), 1);
	EVP_PKEY_free(key);
	/* A certificate is not a key, nor a key a certificate. */
	assert_int_equal(ofs_key_load_pem(tmp_path(dir, "c.pem"), &key),
			 -EBADMSG);
	assert_int_equal(ofs_cert_load(tmp_path(dir, "k.pem"), &x), -EBADMSG);
	assert_int_equal(ofs_cert_load(tmp_path(dir, "none"), &x), -ENOENT);

	assert_int_equal(ofs_pubkeys_save_pem(tmp_path(dir, "t.pem"), pubs, 2,
					      0644), 0);
	assert_int_equal(ofs_pubkeys_load_pem(tmp_path(dir, "t.pem"), &keys,
					      &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(EVP_PKEY_eq(keys[1], f->other.ca_key), 1);
	ofs_pubkeys_free(keys, n);
	assert_int_equal(ofs_pubkeys_save_pem(tmp_path(dir, "e.pem"), pubs, 0,
					      0644), 0);
	assert_int_equal(ofs_pubkeys_load_pem(tmp_path(dir, "e.pem"), &keys,
					      &n), 0);
	assert_int_equal(n, 0);
	ofs_pubkeys_free(keys, n);

	unlink(tmp_path(dir, "c.pem"));
	unlink(tmp_path(dir, "c.der"));
	unlink(tmp_path(dir, "k.pem"));
	unlink(tmp_path(dir, "t.pem"));
	unlink(tmp_path(dir, "e.pem"));
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chain_verifies),
		cmocka_unit_test(chain_any_of_several_roots),
		cmocka_unit_test(other_root),
		cmocka_unit_test(tampered_deviceid),
		cmocka_unit_test(tampered_alias_signature),
		cmocka_unit_test(tampered_alias_measurement),
		cmocka_unit_test(alias_from_other_device),
		cmocka_unit_test(alias_resigned_by_other_key),
		cmocka_unit_test(alias_issued_by_root),
		cmocka_unit_test(missing_extension),
		cmocka_unit_test(duplicate_extension),
		cmocka_unit_test(malformed_extension),
		cmocka_unit_test(expired_root),
		cmocka_unit_test(future_root),
		cmocka_unit_test(deviceid_subject_mismatch),
		cmocka_unit_test(profiles),
		cmocka_unit_test(measurement_codec),
		cmocka_unit_test(measurement_codec_rejects),
		cmocka_unit_test(files_round_trip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
