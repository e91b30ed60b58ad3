// SPDX-License-Identifier: MIT
/*
 * HKDF (RFC 5869) through EVP_KDF "HKDF", the one HKDF of the library:
 * SHA-256 for the launch key built on it here, SHA-384 for the DICE
 * derivations of dice.c.  The exact byte layout of the launch KDF is
 * documented in docs/stream-format.md; keep the two in step.  Also the
 * launch receipt's MAC, keyed by the KDF's second half.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "ofs-crypto.h"

/* RFC 5869: L <= 255 * HashLen.  OpenSSL caps info at 1024 bytes. */
#define HKDF_MAX_BLOCKS	255
#define HKDF_MAX_INFO	1024

int ofs_hkdf(const EVP_MD *md, const uint8_t *ikm, size_t ikm_len,
	     const uint8_t *salt, size_t salt_len,
	     const uint8_t *info, size_t info_len,
	     uint8_t *out, size_t out_len)
{
	OSSL_PARAM params[5], *p = params;
	EVP_KDF_CTX *kctx;
	EVP_KDF *kdf;
	int ret = -EINVAL;

	/* Not wiped: out may not be out_len bytes long. */
	if (!out || out_len == 0 || !md || EVP_MD_get_size(md) <= 0 ||
	    out_len > HKDF_MAX_BLOCKS * (size_t)EVP_MD_get_size(md))
		return -EINVAL;
	if (!ikm || ikm_len == 0 || (!salt && salt_len) ||
	    (!info && info_len) || info_len > HKDF_MAX_INFO)
		goto wipe_out;

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (!kdf) {
		ret = -EIO;
		goto wipe_out;
	}
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx) {
		ret = -ENOMEM;
		goto wipe_out;
	}
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)EVP_MD_get0_name(md),
						0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)ikm, ikm_len);
	/* An absent salt is left unset: HKDF then uses HashLen zero bytes,
	 * which is what an empty HMAC key amounts to as well. */
	if (salt_len)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt,
							 salt_len);
	if (info_len)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info,
							 info_len);
	*p = OSSL_PARAM_construct_end();

	ret = EVP_KDF_derive(kctx, out, out_len, params) == 1 ? 0 : -EIO;
	/* The context holds the PRK; EVP_KDF_CTX_free() clears it. */
	EVP_KDF_CTX_free(kctx);
	if (!ret)
		return 0;
wipe_out:
	OPENSSL_cleanse(out, out_len);
	return ret;
}

int ofs_hkdf_sha256(const uint8_t *ikm, size_t ikm_len,
		    const uint8_t *salt, size_t salt_len,
		    const uint8_t *info, size_t info_len,
		    uint8_t *out, size_t out_len)
{
	return ofs_hkdf(EVP_sha256(), ikm, ikm_len, salt, salt_len, info,
			info_len, out, out_len);
}

static int sha256(const uint8_t *data, size_t len,
		  uint8_t md[OFS_SHA256_LEN])
{
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != OFS_SHA256_LEN)
		return -EIO;
	return 0;
}

int ofs_launch_kdf_info(const struct ofs_launch_kdf_input *in,
			uint8_t info[OFS_LAUNCH_INFO_LEN])
{
	uint8_t *p = info;
	int i, ret;

	if (!in || !info || !in->report || !in->report_len)
		return -EINVAL;
	memcpy(p, OFS_LAUNCH_LABEL, OFS_LAUNCH_LABEL_LEN);
	p += OFS_LAUNCH_LABEL_LEN;
	ret = sha256(in->report, in->report_len, p);
	if (ret)
		return ret;
	p += OFS_SHA256_LEN;
	memcpy(p, in->boot_measurement, OFS_SHA256_LEN);
	p += OFS_SHA256_LEN;
	for (i = 0; i < OFS_LAUNCH_NCOMPONENTS; i++, p += OFS_SHA256_LEN) {
		if (in->image_digest[i])
			memcpy(p, in->image_digest[i], OFS_SHA256_LEN);
		else
			memset(p, 0, OFS_SHA256_LEN);
	}
	memcpy(p, in->session_id, OFS_SESSION_ID_LEN);
	return 0;
}

int ofs_launch_kdf(const struct ofs_launch_kdf_input *in,
		   struct ofs_launch_keys *keys)
{
	uint8_t info[OFS_LAUNCH_INFO_LEN];
	uint8_t salt[OFS_SHA256_LEN];
	uint8_t okm[OFS_AEAD_KEY_LEN + OFS_RECEIPT_KEY_LEN];
	int ret;

	if (!keys)
		return -EINVAL;
	if (!in || !in->shared_secret ||
	    in->shared_secret_len != OFS_ECDH_SECRET_LEN ||
	    !in->confirmation || !in->confirmation_len) {
		ret = -EINVAL;
		goto wipe_keys;
	}
	ret = ofs_launch_kdf_info(in, info);
	if (ret)
		goto wipe_keys;
	ret = sha256(in->confirmation, in->confirmation_len, salt);
	if (ret)
		goto wipe_keys;
	ret = ofs_hkdf_sha256(in->shared_secret, in->shared_secret_len,
			      salt, sizeof(salt), info, sizeof(info),
			      okm, sizeof(okm));
	if (ret)
		goto wipe_okm;
	/* Spelled out rather than one memcpy over the struct, so that the
	 * split does not depend on the struct's layout. */
	memcpy(keys->aead_key, okm, OFS_AEAD_KEY_LEN);
	memcpy(keys->receipt_mac_key, okm + OFS_AEAD_KEY_LEN,
	       OFS_RECEIPT_KEY_LEN);
	OPENSSL_cleanse(okm, sizeof(okm));
	return 0;

wipe_okm:
	OPENSSL_cleanse(okm, sizeof(okm));
wipe_keys:
	ofs_launch_keys_wipe(keys);
	return ret;
}

void ofs_launch_keys_wipe(struct ofs_launch_keys *keys)
{
	if (keys)
		OPENSSL_cleanse(keys, sizeof(*keys));
}

int ofs_launch_receipt_mac(const struct ofs_launch_keys *keys,
			   const uint8_t session_id[OFS_SESSION_ID_LEN],
			   const uint8_t report_sha256[OFS_SHA256_LEN],
			   const uint8_t *const digest[OFS_LAUNCH_NCOMPONENTS],
			   uint8_t mac[OFS_SHA256_LEN])
{
	uint8_t msg[OFS_RECEIPT_MSG_LEN], *p = msg;
	unsigned int mac_len = 0;
	int i;

	if (!keys || !session_id || !report_sha256 || !digest || !mac)
		return -EINVAL;
	memcpy(p, OFS_RECEIPT_LABEL, OFS_RECEIPT_LABEL_LEN);
	p += OFS_RECEIPT_LABEL_LEN;
	memcpy(p, session_id, OFS_SESSION_ID_LEN);
	p += OFS_SESSION_ID_LEN;
	memcpy(p, report_sha256, OFS_SHA256_LEN);
	p += OFS_SHA256_LEN;
	for (i = 0; i < OFS_LAUNCH_NCOMPONENTS; i++, p += OFS_SHA256_LEN) {
		if (digest[i])
			memcpy(p, digest[i], OFS_SHA256_LEN);
		else
			memset(p, 0, OFS_SHA256_LEN);
	}
	if (!HMAC(EVP_sha256(), keys->receipt_mac_key, OFS_RECEIPT_KEY_LEN,
		  msg, sizeof(msg), mac, &mac_len) ||
	    mac_len != OFS_SHA256_LEN) {
		OPENSSL_cleanse(mac, OFS_SHA256_LEN);
		return -EIO;
	}
	return 0;
}
