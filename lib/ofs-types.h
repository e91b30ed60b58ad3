/* SPDX-License-Identifier: MIT */
/*
 * libofs: the sizes and structs that cross between the parts of the
 * library (crypto, identity, report codec) and the programs built on it.
 * This is their one definition; ofs-crypto.h, ofs-identity.h, ofs-cbor.h
 * and ofs-report.h include it and define none of these themselves.
 */
#ifndef OFS_TYPES_H
#define OFS_TYPES_H

#include <stdint.h>

/* SHA-256: measurement registers, event and image digests, report digest. */
#define OFS_SHA256_LEN		32
/* A launch session's id, chosen by the device. */
#define OFS_SESSION_ID_LEN	16
/* P-384 uncompressed SEC1 point: 0x04 || X (48 bytes) || Y (48 bytes). */
#define OFS_P384_POINT_LEN	97
/* ES384 signature as COSE carries it: r || s, 48 bytes each. */
#define OFS_ES384_SIG_LEN	96
/* The verifier's nonce in a report, echoed by the confirmation. */
#define OFS_NONCE_LEN		32
/* 0x01 (RFC 9711 UEID type RAND) || SHA-256(DeviceID public point). */
#define OFS_UEID_LEN		33
#define OFS_UEID_TYPE_RAND	0x01

/*
 * Measurement registers.  OFS_NUM_MEAS_REGS is how many the device has
 * (GET_INFO's num_measurement_regs; the event log, replay and the Alias
 * certificate's extension all use exactly this many), so a boot event's
 * reg is below it.  OFS_MAX_MEAS_REGS is the most a report may carry: the
 * wire format leaves room for devices with more registers than this one.
 */
#define OFS_NUM_MEAS_REGS	4
#define OFS_MAX_MEAS_REGS	8

/* A stage name: 1..OFS_STAGE_NAME_MAX printable ASCII characters. */
#define OFS_STAGE_NAME_LEN	64	/* bytes, including the terminating NUL */
#define OFS_STAGE_NAME_MAX	(OFS_STAGE_NAME_LEN - 1)
/* Events in one boot's log, and so in one report. */
#define OFS_MAX_BOOT_EVENTS	32

/*
 * One measured firmware stage, extended into register reg; the event log
 * and the report carry this shape.  ofs_boot_event_valid() (measure.c) is
 * the rule for untrusted ones:
 *   reg    < OFS_NUM_MEAS_REGS
 *   stage  1..63 printable ASCII characters (0x21-0x7e), NUL-terminated
 *          and NUL-padded (two encodings of one name must not exist)
 *   digest SHA-256 of the stage's bytes
 */
struct ofs_boot_event {
	uint8_t reg;
	char stage[OFS_STAGE_NAME_LEN];
	uint8_t digest[OFS_SHA256_LEN];
	uint32_t svn;
};

/*
 * 0 when ev keeps the rule above, else -EINVAL.  Declared here, with the
 * struct, so that every decoder of events (the log replay, the report
 * codec) checks them alike; implemented in measure.c.
 */
int ofs_boot_event_valid(const struct ofs_boot_event *ev);

/*
 * Why a decoder of untrusted bytes (the CBOR reader and the codecs on it)
 * refused its input: the negative errno it also returned, and a sentence
 * for an operator.  Only the first failure is recorded.
 */
struct ofs_decode_error {
	int err;
	char what[128];		/* e.g. "claim -65542 (session id): ..." */
};

#endif
