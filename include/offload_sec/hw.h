/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * offload-sec: the interface between the driver and the card's security
 * component.  The one definition shared by offload_sec.ko and the device
 * model (offload-sec-emu); every multi-byte field is little-endian.
 *
 * The card is a PCI function with two BARs:
 *
 *  BAR0  registers (ivshmem-doorbell layout, 32-bit):
 *          +0x00 IntrMask, +0x04 IntrStatus (unused with MSI-X)
 *          +0x08 IVPosition: the host's peer id, read-only
 *          +0x0c Doorbell: write (peer << 16 | vector) to notify peer
 *  BAR2  shared memory, a power of two of at least OFS_HW_SHM_MIN bytes:
 *          +0x0000 struct ofs_hw_header, written by the device only
 *          +mbox_offset struct ofs_hw_mbox
 *
 * A command: the driver fills mbox.req, bumps req.tag, and rings the
 * device's OFS_HW_VEC_MBOX doorbell.  The device validates the request,
 * does the work (reading and writing host memory only through the
 * scatter-gather lists the request names), fills rsp.out, rsp.status and
 * rsp.out_len, then writes rsp.tag = req.tag last and raises MSI-X vector
 * OFS_HW_VEC_MBOX.  One command is outstanding at a time.
 *
 * rsp.out_len is 0 for every status but two: OFFLOAD_SEC_DS_OK, and
 * OFFLOAD_SEC_DS_NO_SPACE, whose out[] holds the sizes the command needed
 * (struct ofs_hw_blob_out).  The driver copies out[] for both.
 *
 * Bulk data never goes through the mailbox: a request names a list of
 * struct ofs_hw_sg in host memory (itself read by DMA), and the device
 * moves the data by DMA.
 */
#ifndef _OFFLOAD_SEC_HW_H
#define _OFFLOAD_SEC_HW_H

#include <linux/types.h>
#include <linux/offload_sec.h>

/* The card's own PCI identity. */
#define OFS_HW_PCI_VENDOR_ID	0x1f0c
#define OFS_HW_PCI_DEVICE_ID	0x5ec0
/* QEMU ivshmem-doorbell, which carries the emulated card. */
#define OFS_HW_IVSHMEM_VENDOR_ID	0x1af4
#define OFS_HW_IVSHMEM_DEVICE_ID	0x1110

#define OFS_HW_REGS_BAR		0
#define OFS_HW_SHM_BAR		2

#define OFS_HW_REG_INTR_MASK	0x00
#define OFS_HW_REG_INTR_STATUS	0x04
#define OFS_HW_REG_IVPOSITION	0x08
#define OFS_HW_REG_DOORBELL	0x0c

/* MSI-X vectors, which are also the device's doorbell numbers. */
#define OFS_HW_VEC_MBOX		0
#define OFS_HW_VEC_EVENT	1
#define OFS_HW_NUM_VECTORS	2

#define OFS_HW_MAGIC		0x4353464fU	/* "OFSC" */
#define OFS_HW_ABI_MAJOR	1
#define OFS_HW_ABI_MINOR	0

#define OFS_HW_SHM_MIN		(64U << 10)
#define OFS_HW_MBOX_PAYLOAD	4096

/*
 * The device writes the header before it accepts a host; the driver
 * refuses a BAR2 whose magic, ABI major or layout it does not recognise.
 */
struct ofs_hw_header {
	__le32 magic;
	__le16 abi_major;
	__le16 abi_minor;
	__le32 header_size;	/* sizeof(struct ofs_hw_header) */
	__le32 shm_size;	/* size of BAR2 */
	__le32 device_peer;	/* ivshmem peer id to ring */
	__le32 num_vectors;
	__le32 mbox_offset;	/* of struct ofs_hw_mbox, 8-byte aligned */
	__le32 mbox_size;	/* sizeof(struct ofs_hw_mbox) */
	__le32 reserved[8];
};

enum ofs_hw_opcode {
	OFS_HW_OP_GET_INFO = 1,		/* no input; out: struct ofs_hw_info */
	OFS_HW_OP_DMA_SELFTEST = 2,	/* in: struct ofs_hw_dma_selftest; out: digest */
	/* Launch sessions; see "Launch sessions" below. */
	OFS_HW_OP_SESSION_CREATE = 3,
	OFS_HW_OP_MEASURE = 4,
	OFS_HW_OP_ATTEST = 5,
	OFS_HW_OP_GET_CHAIN = 6,
	OFS_HW_OP_CONFIRM = 7,
	OFS_HW_OP_SET_DEST = 8,
	OFS_HW_OP_LOAD = 9,
	OFS_HW_OP_FINISH = 10,
	OFS_HW_OP_ABORT = 11,
};

struct ofs_hw_request {
	__le32 opcode;		/* enum ofs_hw_opcode */
	__le32 flags;		/* none defined: must be 0 */
	__le64 tag;		/* new for each request, never 0 */
	__le32 in_len;		/* bytes of in[] that are valid */
	__le32 reserved;
	__u8 in[OFS_HW_MBOX_PAYLOAD];
};

struct ofs_hw_response {
	__le64 tag;		/* the request's tag, written last */
	__le32 status;		/* enum offload_sec_device_status */
	__le32 out_len;		/* bytes of out[] that are valid */
	__u8 out[OFS_HW_MBOX_PAYLOAD];
};

struct ofs_hw_mbox {
	struct ofs_hw_request req;
	struct ofs_hw_response rsp;
};

/* One DMA segment; a list of them is itself in host memory. */
struct ofs_hw_sg {
	__le64 addr;		/* bus address */
	__le32 len;		/* bytes, > 0 */
	__le32 reserved;
};

/* Entries in one list: 64 MiB of pages at any alignment, none adjacent. */
#define OFS_HW_MAX_SG		16385

struct ofs_hw_sg_list {
	__le64 addr;		/* bus address of struct ofs_hw_sg[nents] */
	__le32 nents;
	__le32 reserved;
	__le64 len;		/* sum of the entries' lengths */
};

/*
 * struct ofs_hw_info - reply to OFS_HW_OP_GET_INFO
 * The device repeats its magic so that a stale or foreign reply is caught.
 */
struct ofs_hw_info {
	__le32 magic;
	__le16 abi_major;
	__le16 abi_minor;
	__le16 fw_major;
	__le16 fw_minor;
	__le32 fw_patch;
	__le32 num_measurement_regs;
	__le32 max_sessions;
	__le32 max_sg;
	__le32 reserved0;
	__le64 capabilities;	/* OFFLOAD_SEC_CAP_* */
	__u8 serial[32];
	__le64 reserved[4];
};

/* OFS_HW_OP_DMA_SELFTEST: hash src, fill dst with the self-test pattern. */
struct ofs_hw_dma_selftest {
	struct ofs_hw_sg_list src;
	struct ofs_hw_sg_list dst;
	__le64 seed;
	__le64 reserved;
};

struct ofs_hw_dma_selftest_out {
	__u8 src_sha256[32];
};

/*
 * Launch sessions.
 *
 * A session walks CREATED -> MEASURED (after the first MEASURE) ->
 * ATTESTED -> CONFIRMED -> LOADING (after the first LOAD) -> DONE, and can
 * only be left by FINISH (which ends it either way) or ABORT.  A command
 * out of order fails with OFFLOAD_SEC_DS_BAD_STATE and leaves the session
 * as it was; any security failure (a bad confirmation, a rejected chunk,
 * a digest mismatch) moves it to FAILED, where only ABORT is accepted.
 * Leaving a session in any way but a successful FINISH scrubs every
 * destination registered with SET_DEST; every exit zeroizes the session's
 * keys.
 *
 * Images have up to OFS_HW_NUM_COMPONENTS components, each measured as
 * the flat SHA-256 of its bytes and loaded as its own encrypted stream
 * (stream id = component + 1).  A component never measured is absent
 * from the report and may not be loaded.
 *
 * Common to every session command:
 *  - A handle no open session has (0 included) is
 *    OFFLOAD_SEC_DS_NO_SESSION; a session in FAILED answers every
 *    command but ABORT with OFFLOAD_SEC_DS_FAILED.
 *  - Reserved fields and padding must be zero and a component index
 *    below OFS_HW_NUM_COMPONENTS (BAD_FIELD); lists are checked as for
 *    every command (BAD_DMA, BAD_LENGTH for too many entries).  Such a
 *    malformed request, like BAD_STATE, leaves the session as it was:
 *    only what the device read and refused (a confirmation, a chunk, the
 *    loaded image) fails it.
 *  - The device keeps secrets only in the session: its ephemeral ECDH
 *    key from ATTEST to CONFIRM, the launch keys from CONFIRM to the end.
 */
#define OFS_HW_MAX_SESSIONS	64
#define OFS_HW_NUM_COMPONENTS	3
#define OFS_HW_COMPONENT_KERNEL	0
#define OFS_HW_COMPONENT_INITRD	1
#define OFS_HW_COMPONENT_CMDLINE	2
#define OFS_HW_SESSION_ID_LEN	16
#define OFS_HW_NONCE_LEN	32
#define OFS_HW_P384_POINT_LEN	97	/* uncompressed SEC1: 0x04 || x || y */
#define OFS_HW_MAX_DEST_SG	0x100000U	/* 4 GiB of 4 KiB pages */

/*
 * SESSION_CREATE: in.  A chunk size other than 0 must be a power of two
 * from 4 KiB to 16 MiB (else BAD_LENGTH); NO_SLOT when all
 * OFS_HW_MAX_SESSIONS are open.  Handles are never 0 and not given again
 * while the device runs (until 2^32 sessions later).
 */
struct ofs_hw_session_create {
	__le32 chunk_size;	/* stream chunk size, 0 = 1 MiB default */
	__le32 reserved[3];
};

/* SESSION_CREATE: out */
struct ofs_hw_session {
	__le32 handle;		/* names the session in later commands */
	__le32 reserved;
	__u8 session_id[OFS_HW_SESSION_ID_LEN];	/* random, bound into everything */
};

#define OFS_HW_MEASURE_FINAL	0x1U	/* last piece of the component */

/*
 * MEASURE: in.  Components are measured in pieces; offset is how many
 * bytes of the component came before this piece, so that a lost or
 * repeated piece is caught (OFFLOAD_SEC_DS_BAD_STATE).  A piece may be
 * empty.  After the FINAL piece the component is sealed (BAD_STATE for
 * more); after ATTEST nothing is measured any more (BAD_STATE).
 */
struct ofs_hw_measure {
	__le32 handle;
	__le32 component;
	__le32 flags;		/* OFS_HW_MEASURE_* */
	__le32 reserved;
	__le64 offset;
	struct ofs_hw_sg_list src;
};

/* MEASURE: out */
struct ofs_hw_measure_out {
	__le64 measured;	/* bytes of the component so far */
	__u8 sha256[32];	/* valid after the FINAL piece */
};

/*
 * ATTEST: in.  The device makes its ephemeral ECDH key, signs the report
 * with its Alias key and writes the COSE_Sign1 bytes into report.  Every
 * component being measured must have had its FINAL piece.
 *
 * Once per session, and only with at least one sealed component and none
 * half-measured (else BAD_STATE).  host_pub must be an uncompressed P-384
 * point on the curve (else BAD_FIELD).  The report fills the list from its
 * start; its length is in the reply.  With NO_SPACE (report.len too small,
 * 0 to ask) the reply says the length needed and the device keeps
 * nothing: the session stays MEASURED and a retry signs afresh.
 */
struct ofs_hw_attest {
	__le32 handle;
	__le32 reserved;
	__u8 nonce[OFS_HW_NONCE_LEN];
	__u8 host_pub[OFS_HW_P384_POINT_LEN];
	__u8 pad[7];
	struct ofs_hw_sg_list report;	/* capacity = report.len */
};

/* ATTEST, GET_CHAIN: out.  With OFFLOAD_SEC_DS_NO_SPACE: sizes needed. */
struct ofs_hw_blob_out {
	__le32 len[2];		/* ATTEST: report, 0; GET_CHAIN: DeviceID, Alias */
	__le32 reserved[2];
};

/*
 * GET_CHAIN: in.  DER DeviceID certificate, then DER Alias certificate,
 * back to back from the list's start.  Names no session: any time.
 */
struct ofs_hw_get_chain {
	struct ofs_hw_sg_list out;
};

/*
 * CONFIRM: in.  The RAS confirmation (COSE_Sign1 bytes) of this session's
 * report: checked against the device's trust store, the report digest and
 * nonce, its validity window and verdict; then the launch keys are derived
 * inside the device.
 *
 * confirmation.len is 1..4096 (else BAD_LENGTH); only in ATTESTED (a
 * second confirmation, even the accepted one again, is BAD_STATE).  The
 * checks, in order: bytes that are no confirmation (BAD_CONFIRMATION); no
 * trusted RAS key signed it (UNTRUSTED); another report's digest or
 * nonce (WRONG_REPORT); the device's clock outside [issued-at, expiry)
 * (EXPIRED); a verdict other than affirming, warning included
 * (NOT_AFFIRMED).  Each of these fails the session.
 */
struct ofs_hw_confirm {
	__le32 handle;
	__le32 reserved;
	struct ofs_hw_sg_list confirmation;
};

/*
 * SET_DEST: in.  Where a component's plaintext goes: the destination stays
 * registered (and, host side, pinned) for the session's life so that the
 * device can scrub it on failure.  At most OFS_HW_MAX_DEST_SG entries;
 * its length must be at least the component's measured size.
 *
 * Accepted from the component's FINAL piece until its first LOAD (then
 * BAD_STATE); a second SET_DEST before that replaces the first.  Too
 * short: BAD_LENGTH.
 */
struct ofs_hw_set_dest {
	__le32 handle;
	__le32 component;
	struct ofs_hw_sg_list dest;
};

/*
 * LOAD: in.  Whole stream records of one component, in order; the device
 * decrypts each straight into the registered destination, checks its tag
 * and hashes the plaintext.
 *
 * After CONFIRM and the component's SET_DEST (else BAD_STATE).  src holds
 * at least one record (else BAD_LENGTH); a record refused for any reason
 * (tag, order, replay, another stream, bytes after the final chunk or a
 * partial record at the end) is STREAM_REJECTED.
 */
struct ofs_hw_load {
	__le32 handle;
	__le32 component;
	struct ofs_hw_sg_list src;
};

/* LOAD: out */
struct ofs_hw_load_out {
	__le64 loaded;		/* plaintext bytes of the component so far */
	__le32 complete;	/* 1 once the final chunk was accepted */
	__le32 reserved;
};

/*
 * FINISH, ABORT: in.  FINISH before CONFIRM is BAD_STATE; after it,
 * FINISH ends the session whatever it answers (INCOMPLETE, DIGEST_MISMATCH
 * scrub the destinations).  ABORT takes a session in any state.
 */
struct ofs_hw_session_ref {
	__le32 handle;
	__le32 reserved;
};

/*
 * FINISH: out.  The launch receipt: HMAC-SHA-256 under the session's
 * receipt key over "offload-sec/v1/receipt" || session id || SHA-256 of
 * the report || the component digests (absent = 32 zero bytes), proving
 * to the key's other holder that this device loaded exactly those bytes.
 * The label is the 22 ASCII bytes, no terminator; loaded[] is the bytes
 * of each component (0 if absent).  libofs: ofs_launch_receipt_mac().
 */
struct ofs_hw_receipt {
	__u8 mac[32];
	__le64 loaded[OFS_HW_NUM_COMPONENTS];
	__le64 reserved;
};

#endif /* _OFFLOAD_SEC_HW_H */
