// SPDX-License-Identifier: MIT
/*
 * DICE-style key derivation: the device's keys are functions of its UDS and
 * of what it booted, never stored.  Same inputs give the same keys on every
 * boot; any change of a measured stage gives a different CDI and so a
 * different Alias key.  docs/device-identity.md has the derivations byte
 * by byte.
 */
#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "ofs-identity.h"

#define INFO_DEVICE_ID	"offload-sec/v1/device-id"
#define INFO_CDI	"offload-sec/v1/cdi"
#define INFO_ALIAS	"offload-sec/v1/alias"
#define CURVE_NAME	"secp384r1"
#define SCALAR_LEN	48
/*
 * FIPS 186-5 A.2.1 ("extra random bits"): 64 bits more than the order, so
 * reducing modulo n - 1 is biased by less than 2^-64.
 */
#define OKM_KEY_LEN	(SCALAR_LEN + 8)

/* d = (OS2IP(okm) mod (n - 1)) + 1: always in [1, n - 1]. */
static int okm_to_scalar(const EC_GROUP *group, const uint8_t *okm,
			 BIGNUM *d, BN_CTX *ctx)
{
	BIGNUM *n_minus_1;
	int r = -ENOMEM;

	BN_CTX_start(ctx);
	n_minus_1 = BN_CTX_get(ctx);
	if (!n_minus_1 || !BN_copy(n_minus_1, EC_GROUP_get0_order(group)) ||
	    !BN_sub_word(n_minus_1, 1))
		goto end_ctx;
	if (!BN_bin2bn(okm, OKM_KEY_LEN, d) ||
	    !BN_mod(d, d, n_minus_1, ctx) || !BN_add_word(d, 1))
		goto end_ctx;
	r = 0;
end_ctx:
	BN_CTX_end(ctx);
	return r;
}

/* The uncompressed public point d * G. */
static int scalar_to_point(const EC_GROUP *group, const BIGNUM *d,
			   uint8_t pub[OFS_P384_POINT_LEN], BN_CTX *ctx)
{
	EC_POINT *point;
	int r = -EIO;

	point = EC_POINT_new(group);
	if (!point)
		return -ENOMEM;
	if (EC_POINT_mul(group, point, d, NULL, NULL, ctx) &&
	    EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED,
			       pub, OFS_P384_POINT_LEN, ctx) == OFS_P384_POINT_LEN)
		r = 0;
	EC_POINT_free(point);
	return r;
}

static int pkey_from_scalar(const BIGNUM *d, const uint8_t *pub,
			    EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pkey = NULL;	/* fromdata fills in a non-NULL one */
	int r = -ENOMEM;

	bld = OSSL_PARAM_BLD_new();
	if (!bld)
		return -ENOMEM;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     CURVE_NAME, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					      pub, OFS_P384_POINT_LEN))
		goto free_bld;
	/* The builder copies the scalar into secure memory it clears. */
	params = OSSL_PARAM_BLD_to_param(bld);
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !pctx)
		goto free_params;
	r = -EIO;
	if (EVP_PKEY_fromdata_init(pctx) == 1 &&
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_KEYPAIR, params) == 1) {
		*out = pkey;
		r = 0;
	}
free_params:
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
free_bld:
	OSSL_PARAM_BLD_free(bld);
	return r;
}

/* An ECDSA P-384 key pair from HKDF-SHA-384(ikm, no salt, info). */
static int derive_key(const uint8_t *ikm, size_t ikm_len, const char *info,
		      EVP_PKEY **out)
{
	uint8_t okm[OKM_KEY_LEN], pub[OFS_P384_POINT_LEN];
	EC_GROUP *group;
	BN_CTX *ctx;
	BIGNUM *d;
	int r = -ENOMEM;

	group = EC_GROUP_new_by_curve_name(NID_secp384r1);
	ctx = BN_CTX_secure_new();
	d = BN_secure_new();
	if (!group || !ctx || !d)
		goto free_bn;
	r = ofs_hkdf(EVP_sha384(), ikm, ikm_len, NULL, 0,
		     (const uint8_t *)info, strlen(info), okm, sizeof(okm));
	if (r < 0)
		goto wipe_okm;
	r = okm_to_scalar(group, okm, d, ctx);
	if (r < 0)
		goto wipe_okm;
	r = scalar_to_point(group, d, pub, ctx);
	if (r < 0)
		goto wipe_okm;
	r = pkey_from_scalar(d, pub, out);
wipe_okm:
	OPENSSL_cleanse(okm, sizeof(okm));
free_bn:
	BN_clear_free(d);
	BN_CTX_free(ctx);
	EC_GROUP_free(group);
	return r;
}

int ofs_dice_deviceid_key(const uint8_t uds[OFS_UDS_LEN], EVP_PKEY **out)
{
	return derive_key(uds, OFS_UDS_LEN, INFO_DEVICE_ID, out);
}

int ofs_dice_cdi(const uint8_t uds[OFS_UDS_LEN],
		 const uint8_t composite[OFS_SHA256_LEN],
		 uint8_t cdi[OFS_CDI_LEN])
{
	return ofs_hkdf(EVP_sha384(), uds, OFS_UDS_LEN, composite,
			OFS_SHA256_LEN, (const uint8_t *)INFO_CDI,
			strlen(INFO_CDI), cdi, OFS_CDI_LEN);
}

int ofs_dice_alias_key(const uint8_t cdi[OFS_CDI_LEN], EVP_PKEY **out)
{
	return derive_key(cdi, OFS_CDI_LEN, INFO_ALIAS, out);
}

int ofs_dice_alias_from_uds(const uint8_t uds[OFS_UDS_LEN],
			    const uint8_t composite[OFS_SHA256_LEN],
			    EVP_PKEY **out)
{
	uint8_t cdi[OFS_CDI_LEN];
	int r;

	r = ofs_dice_cdi(uds, composite, cdi);
	if (r == 0)
		r = ofs_dice_alias_key(cdi, out);
	OPENSSL_cleanse(cdi, sizeof(cdi));
	return r;
}

int ofs_dice_ueid(const EVP_PKEY *deviceid_key, uint8_t ueid[OFS_UEID_LEN])
{
	uint8_t point[OFS_P384_POINT_LEN];
	int r;

	r = ofs_ec_public_point(deviceid_key, point);
	if (r < 0)
		return r;
	ueid[0] = OFS_UEID_TYPE_RAND;
	if (EVP_Digest(point, sizeof(point), ueid + 1, NULL, EVP_sha256(),
		       NULL) != 1)
		return -EIO;
	return 0;
}
