// SPDX-License-Identifier: MIT
/*
 * Ephemeral ECDH on P-384 through the OpenSSL 3 EVP_PKEY API.  A key is
 * generated per session and never leaves this file except as its public
 * point; the peer's point is validated before it is used.  Also the one
 * exporter of a P-384 key's public point, for every key of the library
 * (session keys here, DICE keys and certificates in the identity code).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "ofs-crypto.h"

#define GROUP_NAME	"P-384"
#define CURVE_NAME	"secp384r1"	/* what OpenSSL reports for P-384 */
#define COORD_LEN	48
#define POINT_UNCOMPRESSED 0x04

struct ofs_ecdh_key {
	EVP_PKEY *pkey;
	bool has_private;
};

static int key_wrap(struct ofs_ecdh_key **out, EVP_PKEY *pkey, bool priv)
{
	struct ofs_ecdh_key *key = calloc(1, sizeof(*key));

	if (!key) {
		EVP_PKEY_free(pkey);
		return -ENOMEM;
	}
	key->pkey = pkey;
	key->has_private = priv;
	*out = key;
	return 0;
}

int ofs_ecdh_generate(struct ofs_ecdh_key **out)
{
	EVP_PKEY *pkey;

	if (!out)
		return -EINVAL;
	*out = NULL;
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", GROUP_NAME);
	if (!pkey)
		return -EIO;
	return key_wrap(out, pkey, true);
}

/*
 * OpenSSL reports a bad point and an allocation failure the same way; the
 * error queue says which.  The queue is cleared either way: a rejected
 * peer key is an expected event, not something for a later caller of
 * ERR_print_errors() to stumble on.
 */
static int import_errno(void)
{
	unsigned long e = ERR_peek_last_error();
	int ret = -EKEYREJECTED;

	if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
		ret = -ENOMEM;
	ERR_clear_error();
	return ret;
}

int ofs_ecdh_import_public(struct ofs_ecdh_key **out, const uint8_t *pub,
			   size_t len)
{
	char group[] = GROUP_NAME;
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	int ret;

	if (!out || !pub)
		return -EINVAL;
	*out = NULL;
	/* Checked here, not left to OpenSSL, so each gets its own errno and
	 * only the uncompressed form (the one the report carries) passes. */
	if (len != OFS_P384_POINT_LEN)
		return -EMSGSIZE;
	if (pub[0] != POINT_UNCOMPRESSED)
		return -EPROTO;

	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      (void *)pub, len);
	params[2] = OSSL_PARAM_construct_end();
	/* Decoding the point rejects coordinates >= p and off-curve points. */
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		ret = import_errno();
		goto free_ctx;
	}
	EVP_PKEY_CTX_free(ctx);

	/* The full SP 800-56A partial check as well: not infinity, on the
	 * curve, order * point = infinity, whatever the decoder let through. */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!ctx) {
		ret = -ENOMEM;
		goto free_pkey;
	}
	if (EVP_PKEY_public_check(ctx) != 1) {
		ret = import_errno();
		goto free_ctx;
	}
	EVP_PKEY_CTX_free(ctx);
	return key_wrap(out, pkey, false);

free_ctx:
	EVP_PKEY_CTX_free(ctx);
free_pkey:
	EVP_PKEY_free(pkey);
	return ret;
}

bool ofs_key_is_p384(const EVP_PKEY *key)
{
	char group[32];

	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
					   group, sizeof(group), NULL) != 1)
		return false;
	return strcmp(group, CURVE_NAME) == 0;
}

/*
 * From the affine coordinates rather than the key's own encoding, which
 * may be compressed if the key was loaded from such an SPKI.
 */
int ofs_ec_public_point(const EVP_PKEY *key, uint8_t out[OFS_P384_POINT_LEN])
{
	BIGNUM *x = NULL, *y = NULL;
	int r = -EINVAL;

	if (!out)
		return -EINVAL;
	if (ofs_key_is_p384(key) &&
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
	    BN_bn2binpad(x, out + 1, COORD_LEN) == COORD_LEN &&
	    BN_bn2binpad(y, out + 1 + COORD_LEN, COORD_LEN) == COORD_LEN) {
		out[0] = POINT_UNCOMPRESSED;
		r = 0;
	}
	BN_free(x);
	BN_free(y);
	if (r < 0)
		memset(out, 0, OFS_P384_POINT_LEN);
	return r;
}

int ofs_ecdh_export_public(const struct ofs_ecdh_key *key,
			   uint8_t pub[OFS_P384_POINT_LEN])
{
	if (!key || !pub)
		return -EINVAL;
	/* The peer accepts nothing but the uncompressed form. */
	return ofs_ec_public_point(key->pkey, pub) < 0 ? -EIO : 0;
}

int ofs_ecdh_derive(const struct ofs_ecdh_key *own,
		    const struct ofs_ecdh_key *peer,
		    uint8_t secret[OFS_ECDH_SECRET_LEN])
{
	size_t len = OFS_ECDH_SECRET_LEN;
	EVP_PKEY_CTX *ctx;
	int ret;

	if (!secret)
		return -EINVAL;
	if (!own || !peer || !own->has_private) {
		ret = -EINVAL;
		goto wipe_secret;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, own->pkey, NULL);
	if (!ctx) {
		ret = -ENOMEM;
		goto wipe_secret;
	}
	if (EVP_PKEY_derive_init(ctx) != 1) {
		ret = -EIO;
		goto free_ctx;
	}
	/* validate_peer = 1: imported keys were checked already, but a key
	 * that reached us some other way is checked here too. */
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer->pkey, 1) != 1) {
		ret = import_errno();
		goto free_ctx;
	}
	if (EVP_PKEY_derive(ctx, secret, &len) != 1 ||
	    len != OFS_ECDH_SECRET_LEN) {
		ret = -EIO;
		goto free_ctx;
	}
	EVP_PKEY_CTX_free(ctx);
	return 0;

free_ctx:
	EVP_PKEY_CTX_free(ctx);
wipe_secret:
	OPENSSL_cleanse(secret, OFS_ECDH_SECRET_LEN);
	return ret;
}

void ofs_ecdh_free(struct ofs_ecdh_key *key)
{
	if (!key)
		return;
	/* EVP_PKEY_free() clears the private scalar (BN_clear_free). */
	EVP_PKEY_free(key->pkey);
	OPENSSL_cleanse(key, sizeof(*key));
	free(key);
}
