/* SPDX-License-Identifier: MIT */
/*
 * libofs: the attestation report and the RAS confirmation, each a
 * COSE_Sign1 (ES384) over a CBOR claims map.  docs/report-profile.md is the
 * normative description of the bytes; this header is its C model.
 *
 * The structs are plain fixed-size data (no heap, no pointers) so that the
 * device model, daemon, RAS and CLI can copy them freely.  Every decoder is
 * strict and takes untrusted bytes: it returns 0 or a negative errno and,
 * when given one, fills a struct ofs_decode_error (ofs-types.h) with a
 * sentence an operator can act on.  The CBOR reader and writer under the
 * codecs are in ofs-cbor.h.  The errno classes are:
 *
 *   -E2BIG            input larger than the format's cap
 *   -EBADMSG          not well-formed CBOR: truncated, reserved header
 *                     values, trailing bytes after the top-level item
 *   -EILSEQ           well-formed but outside the profile's encoding rules:
 *                     indefinite length, non-shortest argument, map keys out
 *                     of canonical order, invalid UTF-8 or NUL in text
 *   -EPROTO           wrong CBOR type (or tag) for a field
 *   -EMSGSIZE         wrong length of a string, wrong number of entries
 *   -ERANGE           integer or enumerated value out of range
 *   -ENODATA          mandatory claim or header missing, detached payload
 *   -ENOTUNIQ         duplicate map key (or duplicate image component)
 *   -EOPNOTSUPP       unknown claim key, unknown or critical COSE header,
 *                     algorithm other than ES384
 *   -EPROTONOSUPPORT  profile claim names another profile
 *   -EKEYREJECTED     signature does not verify under the given key, or a
 *                     confirmation names another report or nonce
 *   -ETIME            confirmation used outside [iat, exp)
 *   -EINVAL, -ENOBUFS, -ENOMEM  caller errors and resource failures
 */
#ifndef OFS_REPORT_H
#define OFS_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "ofs-types.h"

#define OFS_REPORT_PROFILE	"tag:offload-sec,2026:report/v1"
#define OFS_CONFIRM_PROFILE	"tag:offload-sec,2026:confirmation/v1"

/* Caps on the whole COSE_Sign1, checked before anything is parsed. */
#define OFS_REPORT_MAX		16384
#define OFS_CONFIRM_MAX		4096

/* Sizes shared with the rest of the library are in ofs-types.h. */
#define OFS_MAX_COMPONENTS	3
#define OFS_POLICY_ID_MAX	64
#define OFS_KID_MAX		32

/* RFC 9711 dbgstat values. */
enum ofs_dbgstat {
	OFS_DBG_ENABLED = 0,
	OFS_DBG_DISABLED = 1,
	OFS_DBG_DISABLED_SINCE_BOOT = 2,
	OFS_DBG_DISABLED_PERMANENTLY = 3,
	OFS_DBG_DISABLED_FULLY_AND_PERMANENTLY = 4,
};

enum ofs_component {
	OFS_COMPONENT_KERNEL = 0,
	OFS_COMPONENT_INITRD = 1,
	OFS_COMPONENT_CMDLINE = 2,
};

struct ofs_image_component {
	uint32_t component;	/* enum ofs_component */
	uint8_t sha256[OFS_SHA256_LEN];
	uint64_t size;
};

struct ofs_fw_version {
	uint32_t major, minor, patch;
};

struct ofs_report {
	uint8_t nonce[OFS_NONCE_LEN];
	uint8_t ueid[OFS_UEID_LEN];
	uint32_t dbgstat;			/* enum ofs_dbgstat */
	uint64_t boot_count;
	struct ofs_fw_version fw;
	uint32_t svn;
	uint32_t n_regs;
	uint8_t regs[OFS_MAX_MEAS_REGS][OFS_SHA256_LEN];
	uint32_t n_events;
	/* Each valid by ofs_boot_event_valid(), reg also < n_regs. */
	struct ofs_boot_event events[OFS_MAX_BOOT_EVENTS];
	uint32_t n_components;			/* ascending component order */
	struct ofs_image_component components[OFS_MAX_COMPONENTS];
	uint8_t session_id[OFS_SESSION_ID_LEN];
	uint8_t device_pub[OFS_P384_POINT_LEN];
	uint8_t host_pub[OFS_P384_POINT_LEN];
};

/* EAR (draft-ietf-rats-ar4si) trustworthiness tier values. */
enum ofs_verdict {
	OFS_VERDICT_AFFIRMING = 2,
	OFS_VERDICT_WARNING = 32,
	OFS_VERDICT_CONTRAINDICATED = 96,
};

struct ofs_confirmation {
	uint64_t expiry;			/* seconds since the epoch */
	uint64_t issued_at;
	uint8_t nonce[OFS_NONCE_LEN];		/* the report's, echoed */
	uint8_t report_sha256[OFS_SHA256_LEN];	/* of the report's COSE_Sign1 */
	uint32_t verdict;			/* enum ofs_verdict */
	char policy_id[OFS_POLICY_ID_MAX + 1];
	uint8_t policy_digest[OFS_SHA256_LEN];
	uint8_t ras_kid[OFS_KID_MAX];
	uint32_t ras_kid_len;
};

/* A parsed COSE_Sign1; the pointers point into the caller's buffer. */
struct ofs_cose_sign1 {
	const uint8_t *protected_hdr;
	size_t protected_len;
	const uint8_t *kid;		/* NULL when absent */
	size_t kid_len;
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *signature;	/* OFS_ES384_SIG_LEN bytes */
};

/* cose.c: the envelope.  key must be an EC P-384 key. */
int ofs_cose_sign1_sign(EVP_PKEY *key, const uint8_t *payload, size_t payload_len,
			const uint8_t *kid, size_t kid_len,
			uint8_t *out, size_t out_size, size_t *out_len);
int ofs_cose_sign1_parse(const uint8_t *msg, size_t len, struct ofs_cose_sign1 *cs,
			 struct ofs_decode_error *err);
int ofs_cose_sign1_verify(EVP_PKEY *pub, const uint8_t *msg, size_t len,
			  struct ofs_cose_sign1 *cs, struct ofs_decode_error *err);

/* report.c: claims map alone, and claims inside the signed envelope. */
int ofs_report_encode(const struct ofs_report *r, uint8_t *buf, size_t size,
		      size_t *len);
int ofs_report_decode(const uint8_t *buf, size_t len, struct ofs_report *r,
		      struct ofs_decode_error *err);
int ofs_report_sign(EVP_PKEY *key, const struct ofs_report *r,
		    const uint8_t *kid, size_t kid_len,
		    uint8_t *out, size_t out_size, size_t *out_len);
int ofs_report_verify(EVP_PKEY *pub, const uint8_t *msg, size_t len,
		      struct ofs_report *r, struct ofs_decode_error *err);
/* Decodes without checking the signature: for display only. */
int ofs_report_parse_unverified(const uint8_t *msg, size_t len, struct ofs_report *r,
				struct ofs_decode_error *err);
int ofs_report_digest(const uint8_t *msg, size_t len, uint8_t out[OFS_SHA256_LEN]);
const char *ofs_component_name(uint32_t component);
const char *ofs_dbgstat_name(uint32_t dbgstat);

/* confirm.c */
int ofs_confirmation_encode(const struct ofs_confirmation *c, uint8_t *buf,
			    size_t size, size_t *len);
int ofs_confirmation_decode(const uint8_t *buf, size_t len, struct ofs_confirmation *c,
			    struct ofs_decode_error *err);
int ofs_confirmation_sign(EVP_PKEY *key, const struct ofs_confirmation *c,
			  uint8_t *out, size_t out_size, size_t *out_len);
int ofs_confirmation_verify(EVP_PKEY *pub, const uint8_t *msg, size_t len,
			    struct ofs_confirmation *c, struct ofs_decode_error *err);
int ofs_confirmation_parse_unverified(const uint8_t *msg, size_t len,
				      struct ofs_confirmation *c,
				      struct ofs_decode_error *err);
/*
 * Seconds a confirmation's issued-at may lie ahead of the checker's clock
 * (the RAS's clock running fast); the expiry is checked as it is.
 */
#define OFS_CONFIRMATION_CLOCK_SKEW	30u

/*
 * Is c a confirmation of exactly these report bytes, valid at now
 * (issued_at - OFS_CONFIRMATION_CLOCK_SKEW <= now < expiry)?
 */
int ofs_confirmation_check(const struct ofs_confirmation *c, const uint8_t *report,
			   size_t report_len, uint64_t now, struct ofs_decode_error *err);
const char *ofs_verdict_name(uint32_t verdict);

/*
 * The profile claim of a signed claims set, without decoding the rest:
 * lets a tool tell a report from a confirmation.  buf gets the NUL-
 * terminated text.
 */
int ofs_claims_profile(const uint8_t *msg, size_t len, char *buf, size_t size,
		       struct ofs_decode_error *err);

#endif
