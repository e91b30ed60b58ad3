/* SPDX-License-Identifier: MIT */
/*
 * libofs: the session's key agreement and key schedule.
 *
 *   ofs_ecdh_*        ephemeral ECDH on P-384 (one key pair per session)
 *   ofs_ec_public_point  the uncompressed point of any P-384 EVP_PKEY
 *   ofs_hkdf          plain RFC 5869 HKDF over any digest;
 *                     ofs_hkdf_sha256 is it with SHA-256
 *   ofs_launch_kdf    the launch key of design.md §7, byte layout in
 *                     docs/stream-format.md
 *   ofs_launch_receipt_mac  the MAC of the launch receipt (hw.h)
 *
 * Every function returns 0 or a negative errno; the errnos each one can
 * return are listed next to it.  Secrets (private keys, shared secrets,
 * derived keys) are wiped on every path, including errors: an output
 * buffer that would have held a secret is all zero after a failure.
 */
#ifndef OFS_CRYPTO_H
#define OFS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "ofs-types.h"

/* The X coordinate of the shared point (RFC 5903 / SP 800-56A "Z"). */
#define OFS_ECDH_SECRET_LEN	48

/*
 * A P-384 key: a generated key pair (private and public) or an imported
 * peer public key.  Opaque so that no caller reaches the private scalar.
 */
struct ofs_ecdh_key;

/* -ENOMEM, -EIO (the library failed). */
int ofs_ecdh_generate(struct ofs_ecdh_key **out);

/*
 * Import a peer's public key from exactly OFS_P384_POINT_LEN bytes.
 *   -EINVAL        NULL argument
 *   -EMSGSIZE      len is not OFS_P384_POINT_LEN (this includes the
 *                  one-byte SEC1 encoding of the point at infinity)
 *   -EPROTO        first byte is not 0x04 (compressed, hybrid or
 *                  infinity encodings are not accepted)
 *   -EKEYREJECTED  not a point of P-384: a coordinate >= p, not on the
 *                  curve, or the point at infinity
 *   -ENOMEM
 */
int ofs_ecdh_import_public(struct ofs_ecdh_key **out, const uint8_t *pub,
			   size_t len);

/*
 * pub gets the 97-byte uncompressed point (ofs_ec_public_point() of the
 * key).  -EINVAL (NULL argument), -EIO; on failure pub is all zero.
 */
int ofs_ecdh_export_public(const struct ofs_ecdh_key *key,
			   uint8_t pub[OFS_P384_POINT_LEN]);

/* True when key is an EC key on P-384 (secp384r1); false for NULL. */
bool ofs_key_is_p384(const EVP_PKEY *key);

/*
 * The uncompressed point 0x04 || X || Y of a P-384 key (a key pair or a
 * public key), built from the affine coordinates rather than the key's own
 * encoding, which may be compressed if it was loaded from such an SPKI.
 *   -EINVAL  key NULL or not a P-384 EC key, or no public point
 * On failure out is all zero.
 */
int ofs_ec_public_point(const EVP_PKEY *key, uint8_t out[OFS_P384_POINT_LEN]);

/*
 * secret = X coordinate of own_private * peer_public.  own must come from
 * ofs_ecdh_generate(); the peer key is validated again by the library.
 *   -EINVAL        NULL argument, or own holds no private key
 *   -EKEYREJECTED  the library refused the peer key
 *   -ENOMEM, -EIO
 * On failure secret is all zero.
 */
int ofs_ecdh_derive(const struct ofs_ecdh_key *own,
		    const struct ofs_ecdh_key *peer,
		    uint8_t secret[OFS_ECDH_SECRET_LEN]);

/* Frees and wipes (OpenSSL clears the private scalar).  NULL is a no-op. */
void ofs_ecdh_free(struct ofs_ecdh_key *key);

/*
 * RFC 5869 HKDF with the digest md, extract then expand.  salt may be
 * NULL/0 (the RFC's "not provided": HashLen zero bytes), info may be NULL/0
 * up to 1024 bytes (OpenSSL's limit).
 *   -EINVAL  md NULL, NULL with a non-zero length, ikm empty, out_len 0 or
 *            above 255 * HashLen, info above 1024 bytes
 *   -ENOMEM, -EIO
 * On failure out is all zero.
 */
int ofs_hkdf(const EVP_MD *md, const uint8_t *ikm, size_t ikm_len,
	     const uint8_t *salt, size_t salt_len,
	     const uint8_t *info, size_t info_len,
	     uint8_t *out, size_t out_len);

/* ofs_hkdf(EVP_sha256(), ...): the launch key's KDF (RFC 5869 vectors). */
int ofs_hkdf_sha256(const uint8_t *ikm, size_t ikm_len,
		    const uint8_t *salt, size_t salt_len,
		    const uint8_t *info, size_t info_len,
		    uint8_t *out, size_t out_len);

/*
 * Image components bound by the launch key, indexed like enum
 * ofs_component of the report codec: 0 kernel, 1 initrd, 2 cmdline.
 */
#define OFS_LAUNCH_NCOMPONENTS	3

#define OFS_LAUNCH_LABEL	"offload-sec/v1/launch"
#define OFS_LAUNCH_LABEL_LEN	(sizeof(OFS_LAUNCH_LABEL) - 1)
/* label || SHA-256(report) || boot chain || 3 image digests || session id */
#define OFS_LAUNCH_INFO_LEN	(OFS_LAUNCH_LABEL_LEN + \
				 (2 + OFS_LAUNCH_NCOMPONENTS) * OFS_SHA256_LEN + \
				 OFS_SESSION_ID_LEN)

/*
 * Everything the launch key depends on.  The host and the device fill it
 * from the same report and confirmation; any difference gives unrelated
 * keys, and the first image chunk then fails its tag.
 */
struct ofs_launch_kdf_input {
	/* ECDH-P384(host_eph, dev_eph): OFS_ECDH_SECRET_LEN bytes. */
	const uint8_t *shared_secret;
	size_t shared_secret_len;
	/* The exact bytes of the RAS confirmation; the salt is their SHA-256. */
	const uint8_t *confirmation;
	size_t confirmation_len;
	/* The exact bytes of the signed report; info carries its SHA-256. */
	const uint8_t *report;
	size_t report_len;
	/* The boot-chain measurement the report attests. */
	uint8_t boot_measurement[OFS_SHA256_LEN];
	/*
	 * Flat SHA-256 of each component; NULL = component absent, bound as
	 * 32 zero bytes (no SHA-256 output is known to be all zero, so an
	 * absent component never collides with a present one, empty or not).
	 */
	const uint8_t *image_digest[OFS_LAUNCH_NCOMPONENTS];
	uint8_t session_id[OFS_SESSION_ID_LEN];
};

#define OFS_AEAD_KEY_LEN	32
#define OFS_RECEIPT_KEY_LEN	32

/* The 64 HKDF output bytes: the first 32 are aead_key, the next 32 mac_key. */
struct ofs_launch_keys {
	uint8_t aead_key[OFS_AEAD_KEY_LEN];		/* image stream */
	uint8_t receipt_mac_key[OFS_RECEIPT_KEY_LEN];	/* the receipt */
};

/*
 *   -EINVAL  NULL argument, shared secret not OFS_ECDH_SECRET_LEN bytes,
 *            empty confirmation or report
 *   -ENOMEM, -EIO
 * On failure keys is all zero.  Wipe keys with ofs_launch_keys_wipe().
 */
int ofs_launch_kdf(const struct ofs_launch_kdf_input *in,
		   struct ofs_launch_keys *keys);

/* The info string alone (for tests and tools).  -EINVAL, -EIO. */
int ofs_launch_kdf_info(const struct ofs_launch_kdf_input *in,
			uint8_t info[OFS_LAUNCH_INFO_LEN]);

void ofs_launch_keys_wipe(struct ofs_launch_keys *keys);

/*
 * The launch receipt (struct ofs_hw_receipt in hw.h): the device's proof,
 * to the other holder of receipt_mac_key, that it loaded exactly these
 * components in this session.
 *   mac = HMAC-SHA-256(receipt_mac_key, label || session id ||
 *                      SHA-256(report) || kernel || initrd || cmdline)
 * with each component's flat SHA-256, or 32 zero bytes when it is absent
 * (digest[i] NULL), as in the launch key's info.  -EINVAL, -EIO (then mac
 * is all zero).
 */
#define OFS_RECEIPT_LABEL	"offload-sec/v1/receipt"
#define OFS_RECEIPT_LABEL_LEN	(sizeof(OFS_RECEIPT_LABEL) - 1)
#define OFS_RECEIPT_MSG_LEN	(OFS_RECEIPT_LABEL_LEN + OFS_SESSION_ID_LEN + \
				 (1 + OFS_LAUNCH_NCOMPONENTS) * OFS_SHA256_LEN)

int ofs_launch_receipt_mac(const struct ofs_launch_keys *keys,
			   const uint8_t session_id[OFS_SESSION_ID_LEN],
			   const uint8_t report_sha256[OFS_SHA256_LEN],
			   const uint8_t *const digest[OFS_LAUNCH_NCOMPONENTS],
			   uint8_t mac[OFS_SHA256_LEN]);

#endif
