/* SPDX-License-Identifier: MIT */
/*
 * libofs: the device's DICE-style identity, its boot-chain measurements and
 * its certificates.  One implementation shared by the device model (which
 * derives and issues) and the verifiers (which replay and check).  Byte-level
 * definitions are in docs/device-identity.md.
 *
 *   dice.c     UDS -> DeviceID key; UDS + composite -> CDI -> Alias key; ueid
 *   measure.c  measurement registers, boot event log, replay, composite
 *   cert.c     manufacturer root, DeviceID and Alias certificates, the
 *              firmware-measurement extension, chain verification
 *   cert-io.c  certificates, keys and public-key lists in files (PEM/DER)
 *
 * The shared sizes and struct ofs_boot_event are in ofs-types.h; the
 * public point of a key (ofs_ec_public_point()) is in ofs-crypto.h.
 *
 * Every function returning int returns 0 or a negative errno.
 */
#ifndef OFS_IDENTITY_H
#define OFS_IDENTITY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ofs-crypto.h"	/* ofs_ec_public_point() */
#include "ofs-types.h"

#define OFS_UDS_LEN		32	/* unique device secret */
/* HKDF-SHA-384 output, one hash length. */
#define OFS_CDI_LEN		48

/* ---- dice.c ---- */

/*
 * The keys are ECDSA P-384 EVP_PKEYs holding both halves; free them with
 * EVP_PKEY_free() (which clears the private scalar).
 */
int ofs_dice_deviceid_key(const uint8_t uds[OFS_UDS_LEN], EVP_PKEY **out);
int ofs_dice_cdi(const uint8_t uds[OFS_UDS_LEN],
		 const uint8_t composite[OFS_SHA256_LEN],
		 uint8_t cdi[OFS_CDI_LEN]);
int ofs_dice_alias_key(const uint8_t cdi[OFS_CDI_LEN], EVP_PKEY **out);
/* CDI then Alias key, with the CDI never leaving the function. */
int ofs_dice_alias_from_uds(const uint8_t uds[OFS_UDS_LEN],
			    const uint8_t composite[OFS_SHA256_LEN],
			    EVP_PKEY **out);
int ofs_dice_ueid(const EVP_PKEY *deviceid_key, uint8_t ueid[OFS_UEID_LEN]);

/* ---- measure.c ---- */

/* What the Alias certificate's measurement extension states. */
struct ofs_fw_measurement {
	uint8_t composite[OFS_SHA256_LEN];
	uint8_t regs[OFS_NUM_MEAS_REGS][OFS_SHA256_LEN];
	uint32_t svn;	/* the lowest svn of all events */
};

/* Registers and the log that produced them, kept in step. */
struct ofs_measure_log {
	uint8_t regs[OFS_NUM_MEAS_REGS][OFS_SHA256_LEN];
	struct ofs_boot_event events[OFS_MAX_BOOT_EVENTS];
	size_t n_events;
};

void ofs_measure_init(struct ofs_measure_log *log);
/* -EINVAL: bad register or stage name; -ENOSPC: log full. */
int ofs_measure_extend(struct ofs_measure_log *log, uint8_t reg,
		       const char *stage, const uint8_t digest[OFS_SHA256_LEN],
		       uint32_t svn);
/* SHA-256 of data, then ofs_measure_extend(). */
int ofs_measure_stage(struct ofs_measure_log *log, uint8_t reg,
		      const char *stage, const void *data, size_t len,
		      uint32_t svn);
/* Copies up to max events into out; returns the count (or -ENOSPC). */
int ofs_measure_events(const struct ofs_measure_log *log,
		       struct ofs_boot_event *out, size_t max);
/* ofs_boot_event_valid() (ofs-types.h) checks one event's fields. */
/* Recomputes registers from zero; -EINVAL on an invalid event. */
int ofs_measure_replay(const struct ofs_boot_event *events, size_t n,
		       uint8_t regs[OFS_NUM_MEAS_REGS][OFS_SHA256_LEN]);
/* SHA-256(reg[0] || reg[1] || ... || reg[N-1]). */
int ofs_measure_composite(const uint8_t regs[OFS_NUM_MEAS_REGS][OFS_SHA256_LEN],
			  uint8_t out[OFS_SHA256_LEN]);
/* Registers, composite and svn of a (replayed) log. */
int ofs_measure_summary(const struct ofs_boot_event *events, size_t n,
			struct ofs_fw_measurement *out);
/*
 * The verifier's check: the log replays to exactly the claimed registers,
 * composite and svn.  -EINVAL: an invalid event; -EBADMSG: a mismatch.
 */
int ofs_measure_verify_log(const struct ofs_boot_event *events, size_t n,
			   const struct ofs_fw_measurement *claimed);

/* ---- cert.c ---- */

/*
 * The firmware-measurement extension (non-critical) of Alias certificates.
 * PLACEHOLDER: 32473 is the documentation enterprise number (RFC 5612);
 * replace it with the project's registered arc before any real device.
 */
#define OFS_OID_FW_MEASUREMENT	"1.3.6.1.4.1.32473.1.1"
#define OFS_OID_FW_MEASUREMENT_SN	"ofsFwMeasurement"

#define OFS_ROOT_CN		"offload-sec Manufacturer CA"
#define OFS_DEVICEID_CN_PREFIX	"offload-sec DeviceID "
#define OFS_ALIAS_CN_PREFIX	"offload-sec Alias "
/* Device certificates: devices have no clock (docs/device-identity.md). */
#define OFS_DEVICE_NOT_BEFORE	"20250101000000Z"
#define OFS_DEVICE_NOT_AFTER	"99991231235959Z"

/* Self-signed P-384 root, valid [not_before, not_after]. */
int ofs_cert_make_root(EVP_PKEY *ca_key, const char *cn, time_t not_before,
		       time_t not_after, X509 **out);
/* Signed by the manufacturer CA; subject names the ueid of deviceid_pub. */
int ofs_cert_issue_deviceid(EVP_PKEY *ca_key, X509 *ca_cert,
			    EVP_PKEY *deviceid_pub, X509 **out);
/* Signed by the DeviceID key, carrying the measurement extension. */
int ofs_cert_issue_alias(EVP_PKEY *deviceid_key, X509 *deviceid_cert,
			 EVP_PKEY *alias_pub,
			 const struct ofs_fw_measurement *meas, X509 **out);

/* DER of the extension's value, and its strict parser. */
int ofs_fw_measurement_encode(const struct ofs_fw_measurement *meas,
			      uint8_t **der, size_t *len);
/* -EPROTO: not exactly the DER this profile defines. */
int ofs_fw_measurement_decode(const uint8_t *der, size_t len,
			      struct ofs_fw_measurement *meas);

/* What a verified chain vouches for. */
struct ofs_chain_info {
	EVP_PKEY *alias_pub;	/* owned: ofs_chain_info_release() */
	struct ofs_fw_measurement meas;
	uint8_t ueid[OFS_UEID_LEN];
	time_t anchor_not_after;	/* the anchoring root's notAfter */
	const char *reason;	/* on failure: static text, the check */
};

/*
 * Verifies root -> DeviceID -> Alias.  Time policy: device certificates'
 * validity is not checked (no clock on the device); the root that anchors
 * the chain must be valid now.  Errors:
 *   -ENOKEY       the DeviceID certificate is not issued by a given root
 *   -EKEYEXPIRED  the anchoring root is expired or not yet valid
 *   -EBADMSG      a signature does not verify (tampered bytes)
 *   -EKEYREJECTED the Alias certificate is not issued by this DeviceID
 *   -ENOMSG       no measurement extension
 *   -ENOTUNIQ     more than one measurement extension
 *   -EPROTO       malformed measurement extension
 *   -EINVAL       a certificate breaks the profile (key type, CA flags,
 *                 key usage, DeviceID subject not naming its own key)
 *   -ENOMEM
 * out->reason says which check failed; on success out->alias_pub is set.
 */
int ofs_cert_verify_chain(X509 *const *roots, size_t n_roots,
			  X509 *deviceid_cert, X509 *alias_cert,
			  struct ofs_chain_info *out);
void ofs_chain_info_release(struct ofs_chain_info *info);

/* ---- cert-io.c ---- */

/* Certificates: load detects PEM or DER. */
int ofs_cert_load(const char *path, X509 **out);
int ofs_cert_save_pem(const char *path, X509 *cert, unsigned int mode);
int ofs_cert_save_der(const char *path, X509 *cert, unsigned int mode);
int ofs_cert_to_der(X509 *cert, uint8_t **der, size_t *len);
int ofs_cert_from_der(const uint8_t *der, size_t len, X509 **out);
/* Private keys (PKCS#8 PEM, unencrypted: mode should be 0600). */
int ofs_key_load_pem(const char *path, EVP_PKEY **out);
int ofs_key_save_pem(const char *path, EVP_PKEY *key, unsigned int mode);
/* A PEM list of public keys (the RAS trust store); P-384 EC only. */
int ofs_pubkeys_load_pem(const char *path, EVP_PKEY ***keys, size_t *n);
int ofs_pubkeys_save_pem(const char *path, EVP_PKEY *const *keys, size_t n,
			 unsigned int mode);
void ofs_pubkeys_free(EVP_PKEY **keys, size_t n);

#endif
