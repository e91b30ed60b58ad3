/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * offload-sec: the kernel <-> user ABI of the offload card's security
 * component, exposed by offload_sec.ko as /dev/offload-sec.
 *
 * Every ioctl argument is a fixed-size struct with explicit padding.  The
 * rules, common to all of them:
 *
 *  - Fields marked "in" are read by the kernel, "out" are written by it.
 *  - "flags" fields must only contain the bits defined for them, else the
 *    call fails with EOPNOTSUPP.  "reserved" fields must be zero, else
 *    EINVAL.  This keeps every unused bit available for later versions.
 *  - User pointers are passed as __u64 so that 32- and 64-bit processes
 *    share one layout.
 *  - Errors are standard errnos.  When the device itself refused a
 *    command, the call fails (usually EIO, EINVAL or EBUSY) and
 *    "device_status" holds the device's own reason, one of
 *    enum offload_sec_device_status; it is OFFLOAD_SEC_DS_OK otherwise.
 *  - An ioctl number the driver does not know, including one encoding a
 *    different struct size, fails with ENOTTY.
 *
 * Ioctls on /dev/offload-sec:
 *
 *  OFFLOAD_SEC_IOC_GET_INFO      struct offload_sec_info
 *      Identify the card's security component: interface version,
 *      firmware version, capabilities, measurement registers.
 *
 *  OFFLOAD_SEC_IOC_DMA_SELFTEST  struct offload_sec_dma_selftest
 *      Prove the DMA path both ways on caller memory: the device reads
 *      [src, src + src_len) by DMA and returns its SHA-256, and writes
 *      the self-test pattern into [dst, dst + dst_len) by DMA.  Byte i of
 *      dst becomes byte (i % 8) of the little-endian __u64
 *      offload_sec_selftest_word(seed, i / 8).  Each buffer is at most
 *      OFFLOAD_SEC_DMA_SELFTEST_MAX bytes; either may be empty.
 *
 *  OFFLOAD_SEC_IOC_SESSION_CREATE  struct offload_sec_session_create
 *      Open a launch session on the card.  Returns a new session file
 *      descriptor (O_CLOEXEC) in "fd"; the remaining steps of a launch are
 *      ioctls on it.  Closing its last reference ends the session: the
 *      driver sends ABORT (the card scrubs every destination unless FINISH
 *      succeeded and zeroizes the session's keys), and only then unpins
 *      the destinations.  Errnos: EBUSY (every session slot of the card is
 *      in use), EINVAL (bad chunk_size), EMFILE/ENFILE, ENOMEM.
 *
 *  OFFLOAD_SEC_IOC_GET_CHAIN     struct offload_sec_get_chain
 *      (On /dev/offload-sec or on a session fd.)  The card's certificate
 *      chain, DER: the DeviceID certificate, then the Alias certificate
 *      that signs reports, back to back in one buffer.  ENOSPC when the
 *      buffer is too small; buf_len then holds the size needed.
 *
 * Ioctls on a session fd, in the order of a launch (the card enforces the
 * order; a command out of order fails with EBADFD, device status
 * BAD_STATE, and changes nothing):
 *
 *  OFFLOAD_SEC_IOC_MEASURE       struct offload_sec_measure
 *      The card hashes [addr, addr + len) by DMA as the next bytes of one
 *      image component; OFFLOAD_SEC_MEASURE_FINAL ends the component and
 *      returns its SHA-256.  A component may be measured in several calls
 *      of any length (the driver tracks the offset); each call is split
 *      into pieces of at most OFFLOAD_SEC_PIECE_MAX bytes.
 *
 *  OFFLOAD_SEC_IOC_ATTEST        struct offload_sec_attest
 *      The card makes its ephemeral key and writes the signed report
 *      (COSE_Sign1) into the caller's buffer.  ENOSPC when it does not
 *      fit; report_len then holds the size needed and the session is
 *      unchanged, so the call can be repeated with a larger buffer.
 *
 *  OFFLOAD_SEC_IOC_CONFIRM       struct offload_sec_confirm
 *      Hand the RAS confirmation of the report to the card, which checks
 *      it and derives the launch keys.  EBADMSG (malformed), EKEYREJECTED
 *      (untrusted signer, or for another report), EKEYEXPIRED, EACCES
 *      (the verdict does not allow a launch).  After these the session is
 *      failed: only close() is left.
 *
 *  OFFLOAD_SEC_IOC_SET_DEST      struct offload_sec_set_dest
 *      Name the memory that receives a component's plaintext: a user
 *      mapping of the guest's memory, writable.  The driver pins it
 *      (long-term) and maps it for DMA until FINISH succeeds or the
 *      session ends, so that the card can scrub it on failure.  At most
 *      OFFLOAD_SEC_DEST_MAX bytes: the card's list of segments for it
 *      (16 bytes each, up to one per page) must fit one physically
 *      contiguous allocation.  EEXIST if the component has one already.
 *
 *  OFFLOAD_SEC_IOC_LOAD          struct offload_sec_load
 *      Whole records of the component's encrypted stream
 *      (docs/stream-format.md: chunk_size + 32 bytes each, the final one
 *      shorter), in order.  The card decrypts them by DMA straight into
 *      the destination.  The driver sends as many whole records per
 *      device command as fit OFFLOAD_SEC_PIECE_MAX (63 records of the
 *      default 1 MiB chunk).  EBADMSG when a record fails (the session
 *      is then failed).
 *
 *  OFFLOAD_SEC_IOC_FINISH        struct offload_sec_finish
 *      End the launch: the card checks every loaded component against
 *      its attested digest and returns the launch receipt.  On success
 *      the destinations are unpinned and hold the image; ENODATA (not
 *      every measured component was loaded) and EBADMSG (digest
 *      mismatch) end the session with the destinations scrubbed.
 *
 * Errnos every ioctl may return: EFAULT (the argument or a buffer is not
 * accessible as needed), EOPNOTSUPP (unknown flags), EINVAL (non-zero
 * reserved field, bad component, length out of range), ENOTTY (unknown
 * ioctl), ENODEV (the card was removed; the fd stays valid and only
 * close() is useful), ETIMEDOUT (no answer from the card in time; the
 * card is disabled), EIO (malformed answer, disabled card, or the card
 * lost the session).  Session ioctls also: EBADFD (out of order, or the
 * session already ended), EINTR (a fatal signal arrived between two
 * device commands of a long MEASURE or LOAD: no command is left running;
 * the out fields say how far it got), ENOMEM.
 *
 * Generic netlink
 * ===============
 *
 * The driver also registers the generic netlink family OFFLOAD_SEC_GENL_NAME,
 * version OFFLOAD_SEC_GENL_VERSION, in the initial network namespace only.
 * It describes the cards and their launch sessions; it changes nothing, so
 * every command below is open to any caller: what it shows (device names,
 * versions, counters, session ids and states, owner pids) is what any user
 * sees in /sys and /proc or in a report sent over the network, and no key,
 * nonce or image byte ever goes through it.  The device node stays the only
 * way to act on a card (root and the offload-sec group, by the udev rule).
 * A state-changing command, if one is ever added, takes GENL_ADMIN_PERM.
 *
 * Requests may carry only the attributes listed for them; anything else,
 * and any attribute of the wrong type or size, fails with EINVAL (strict
 * validation).  Unknown commands fail with EOPNOTSUPP.
 *
 * OFFLOAD_SEC_CMD_GET_DEVICE
 * --------------------------
 *
 * Only with NLM_F_REQUEST | NLM_F_DUMP.  The request may contain
 *
 *    OFFLOAD_SEC_A_DEVICE_INDEX: NLA_U32, only this card
 *
 * and the kernel answers one message (NLM_F_MULTI) per card:
 *
 *    OFFLOAD_SEC_A_DEVICE_INDEX: NLA_U32, N of /dev/offload-sec<N> (0: none)
 *    OFFLOAD_SEC_A_DEVICE_NAME: NLA_NUL_STRING, the node's name
 *    OFFLOAD_SEC_A_DEVICE_PCI_ADDR: NLA_NUL_STRING, e.g. "0000:00:04.0"
 *    OFFLOAD_SEC_A_DEVICE_INFO: NLA_NESTED, absent if the card did not
 *                               answer GET_INFO when it was bound
 *        OFFLOAD_SEC_INFO_A_ABI_MAJOR: NLA_U16
 *        OFFLOAD_SEC_INFO_A_ABI_MINOR: NLA_U16
 *        OFFLOAD_SEC_INFO_A_FW_MAJOR: NLA_U16
 *        OFFLOAD_SEC_INFO_A_FW_MINOR: NLA_U16
 *        OFFLOAD_SEC_INFO_A_FW_PATCH: NLA_U32
 *        OFFLOAD_SEC_INFO_A_MEASUREMENT_REGS: NLA_U32
 *        OFFLOAD_SEC_INFO_A_MAX_SESSIONS: NLA_U32
 *        OFFLOAD_SEC_INFO_A_MAX_DMA_SEGMENTS: NLA_U32
 *        OFFLOAD_SEC_INFO_A_CAPABILITIES: NLA_U64, OFFLOAD_SEC_CAP_* bits
 *        OFFLOAD_SEC_INFO_A_SERIAL: NLA_NUL_STRING, printable ASCII
 *    OFFLOAD_SEC_A_DEVICE_SESSIONS: NLA_U32, open session fds
 *    OFFLOAD_SEC_A_DEVICE_BROKEN: NLA_FLAG, present once the driver has
 *                                 stopped talking to the card
 *
 * OFFLOAD_SEC_CMD_GET_SESSION
 * ---------------------------
 *
 * Only with NLM_F_REQUEST | NLM_F_DUMP.  The request may contain
 * OFFLOAD_SEC_A_DEVICE_INDEX to list one card's sessions; the kernel
 * answers one message per open session fd:
 *
 *    OFFLOAD_SEC_A_DEVICE_INDEX: NLA_U32
 *    OFFLOAD_SEC_A_SESSION_ID: binary, OFFLOAD_SEC_SESSION_ID_LEN bytes
 *    OFFLOAD_SEC_A_SESSION_STATE: NLA_U32, enum offload_sec_session_state
 *    OFFLOAD_SEC_A_SESSION_OWNER: NLA_U32, thread group id (in the initial
 *                                 PID namespace) of the creator
 *    OFFLOAD_SEC_A_SESSION_COMPONENTS: NLA_NESTED
 *        0: NLA_NESTED
 *            OFFLOAD_SEC_COMPONENT_A_INDEX: NLA_U32, OFFLOAD_SEC_COMPONENT_*
 *            OFFLOAD_SEC_COMPONENT_A_MEASURED: NLA_U64, bytes the card hashed
 *            OFFLOAD_SEC_COMPONENT_A_LOADED: NLA_U64, bytes it decrypted
 *        0: NLA_NESTED
 *            ...
 *
 * The state is the driver's mirror of the card's: it follows the replies
 * the card gave, and OFFLOAD_SEC_SESSION_LOST means the card no longer
 * knows the session.
 *
 * Dumps are checked for consistency: a generation counter moves whenever
 * a card or a session comes or goes or a session changes state, and a
 * dump that spans such a change has NLM_F_DUMP_INTR set on its messages.
 * The caller should then dump again.  Byte counters are read as they are
 * at the moment of the message and do not move the generation.
 *
 * Events
 * ------
 *
 * The multicast group OFFLOAD_SEC_GENL_MCGRP_EVENTS carries one message
 * per event, its command saying which:
 *
 *    OFFLOAD_SEC_CMD_DEVICE_ADDED     the attributes of GET_DEVICE
 *    OFFLOAD_SEC_CMD_DEVICE_REMOVED   index, name, PCI address
 *    OFFLOAD_SEC_CMD_DEVICE_ERROR     index, name, PCI address, broken flag,
 *                                     and
 *        OFFLOAD_SEC_A_DEVICE_ERROR: NLA_U32, enum offload_sec_device_error
 *    OFFLOAD_SEC_CMD_SESSION_CREATED  the attributes of GET_SESSION
 *    OFFLOAD_SEC_CMD_SESSION_STATE    the same, with the new state
 *    OFFLOAD_SEC_CMD_SESSION_ENDED    the same, with the last state, and
 *        OFFLOAD_SEC_A_SESSION_END_REASON: NLA_U32, enum offload_sec_end_reason
 *
 * SESSION_ENDED comes exactly once per session: when its fd is closed, or
 * when its card is removed (after DEVICE_REMOVED), whichever is first.
 */
#ifndef _UAPI_LINUX_OFFLOAD_SEC_H
#define _UAPI_LINUX_OFFLOAD_SEC_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define OFFLOAD_SEC_DEVICE_NAME "offload-sec"

/* Reasons the device gives for refusing a command. */
enum offload_sec_device_status {
	OFFLOAD_SEC_DS_OK = 0,
	OFFLOAD_SEC_DS_BAD_OPCODE = 1,	/* the device does not know the command */
	OFFLOAD_SEC_DS_BAD_LENGTH = 2,	/* a length field is out of range */
	OFFLOAD_SEC_DS_BAD_FIELD = 3,	/* unknown flag or non-zero reserved field */
	OFFLOAD_SEC_DS_BAD_DMA = 4,	/* a descriptor names memory the device may not touch */
	OFFLOAD_SEC_DS_BUSY = 5,	/* the device cannot take the command now */
	OFFLOAD_SEC_DS_INTERNAL = 6,	/* the device failed internally */
	OFFLOAD_SEC_DS_NO_RESPONSE = 7,	/* set by the driver: no reply within the timeout */
	OFFLOAD_SEC_DS_BAD_RESPONSE = 8,	/* set by the driver: malformed reply */
	OFFLOAD_SEC_DS_NO_SESSION = 9,	/* no open session has that handle */
	OFFLOAD_SEC_DS_NO_SLOT = 10,	/* every session slot is in use */
	OFFLOAD_SEC_DS_BAD_STATE = 11,	/* command out of order for the session */
	OFFLOAD_SEC_DS_NO_SPACE = 12,	/* output buffer too small; size in the reply */
	OFFLOAD_SEC_DS_BAD_CONFIRMATION = 13,	/* malformed confirmation */
	OFFLOAD_SEC_DS_UNTRUSTED = 14,	/* confirmation not signed by a trusted RAS key */
	OFFLOAD_SEC_DS_WRONG_REPORT = 15,	/* confirmation is for another report or nonce */
	OFFLOAD_SEC_DS_EXPIRED = 16,	/* confirmation outside its validity window */
	OFFLOAD_SEC_DS_NOT_AFFIRMED = 17,	/* the RAS verdict does not allow a launch */
	OFFLOAD_SEC_DS_STREAM_REJECTED = 18,	/* a chunk failed its tag or came out of order */
	OFFLOAD_SEC_DS_INCOMPLETE = 19,	/* FINISH before every attested component was loaded */
	OFFLOAD_SEC_DS_DIGEST_MISMATCH = 20,	/* loaded image differs from the attested one */
	OFFLOAD_SEC_DS_FAILED = 21,	/* the session failed earlier; only ABORT is left */
};

/* Capability bits of struct offload_sec_info.capabilities. */
#define OFFLOAD_SEC_CAP_DMA_SELFTEST	(1ULL << 0)
#define OFFLOAD_SEC_CAP_LAUNCH_SESSIONS	(1ULL << 1)	/* SESSION_CREATE and the session ioctls */

/**
 * struct offload_sec_info - argument of OFFLOAD_SEC_IOC_GET_INFO
 * @flags:		in: must be 0.
 * @device_status:	out: enum offload_sec_device_status.
 * @abi_major:		out: device interface major version; the driver
 *			only binds to a major it knows.
 * @abi_minor:		out: device interface minor version.
 * @fw_major:		out: firmware version, major.
 * @fw_minor:		out: firmware version, minor.
 * @fw_patch:		out: firmware version, patch level.
 * @num_measurement_regs: out: boot-chain measurement registers.
 * @max_sessions:	out: concurrent launch sessions the device supports.
 * @max_dma_segments:	out: scatter-gather entries one command may carry.
 * @capabilities:	out: OFFLOAD_SEC_CAP_* bits.
 * @serial:		out: device serial number, NUL-padded ASCII.
 * @reserved:		in: must be 0.
 */
struct offload_sec_info {
	__u32 flags;
	__u32 device_status;
	__u16 abi_major;
	__u16 abi_minor;
	__u16 fw_major;
	__u16 fw_minor;
	__u32 fw_patch;
	__u32 num_measurement_regs;
	__u32 max_sessions;
	__u32 max_dma_segments;
	__u64 capabilities;
	__u8 serial[32];
	__u64 reserved[4];
};

#define OFFLOAD_SEC_DMA_SELFTEST_MAX	(64ULL << 20)

/**
 * struct offload_sec_dma_selftest - argument of OFFLOAD_SEC_IOC_DMA_SELFTEST
 * @src:		in: user address of the buffer the device hashes.
 * @src_len:		in: its length in bytes.
 * @dst:		in: user address of the buffer the device fills.
 * @dst_len:		in: its length in bytes.
 * @seed:		in: seed of the pattern written into dst.
 * @flags:		in: must be 0.
 * @device_status:	out: enum offload_sec_device_status.
 * @src_sha256:		out: SHA-256 of the src bytes as the device read them.
 * @reserved:		in: must be 0.
 */
struct offload_sec_dma_selftest {
	__u64 src;
	__u64 src_len;
	__u64 dst;
	__u64 dst_len;
	__u64 seed;
	__u32 flags;
	__u32 device_status;
	__u8 src_sha256[32];
	__u64 reserved[2];
};

/* The pattern of OFFLOAD_SEC_IOC_DMA_SELFTEST: splitmix64 of seed + index. */
static __inline__ __u64 offload_sec_selftest_word(__u64 seed, __u64 index)
{
	__u64 z = seed + (index + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Launch sessions. */
#define OFFLOAD_SEC_NUM_COMPONENTS	3
#define OFFLOAD_SEC_COMPONENT_KERNEL	0
#define OFFLOAD_SEC_COMPONENT_INITRD	1
#define OFFLOAD_SEC_COMPONENT_CMDLINE	2
#define OFFLOAD_SEC_SESSION_ID_LEN	16
#define OFFLOAD_SEC_NONCE_LEN		32
#define OFFLOAD_SEC_P384_POINT_LEN	97	/* 0x04 || X || Y */
#define OFFLOAD_SEC_CHUNK_MIN		(4U << 10)
#define OFFLOAD_SEC_CHUNK_MAX		(16U << 20)
#define OFFLOAD_SEC_CHUNK_DEFAULT	(1U << 20)
/* A stream record is a chunk plus a 16-byte header and a 16-byte tag. */
#define OFFLOAD_SEC_RECORD_OVERHEAD	32
/* Most bytes one device command of MEASURE or LOAD carries. */
#define OFFLOAD_SEC_PIECE_MAX		OFFLOAD_SEC_DMA_SELFTEST_MAX
/* Largest report, confirmation or chain buffer the driver maps. */
#define OFFLOAD_SEC_BLOB_MAX		(1U << 20)
/* Largest destination of one component. */
#define OFFLOAD_SEC_DEST_MAX		(512ULL << 20)

/**
 * struct offload_sec_session_create - argument of OFFLOAD_SEC_IOC_SESSION_CREATE
 * @flags:		in: must be 0.
 * @device_status:	out: enum offload_sec_device_status.
 * @chunk_size:		in: chunk size of the session's image streams, a power
 *			of two from OFFLOAD_SEC_CHUNK_MIN to OFFLOAD_SEC_CHUNK_MAX,
 *			or 0 for OFFLOAD_SEC_CHUNK_DEFAULT.
 * @fd:			out: the session file descriptor, O_CLOEXEC.
 * @session_id:		out: the session id the card chose; it is bound into
 *			the report, the launch key and every stream record.
 * @reserved:		in: must be 0.
 */
struct offload_sec_session_create {
	__u32 flags;
	__u32 device_status;
	__u32 chunk_size;
	__s32 fd;
	__u8 session_id[OFFLOAD_SEC_SESSION_ID_LEN];
	__u64 reserved[4];
};

/**
 * struct offload_sec_get_chain - argument of OFFLOAD_SEC_IOC_GET_CHAIN
 * @buf:		in: user address of the buffer for the certificates.
 * @buf_len:		in: its size, at most OFFLOAD_SEC_BLOB_MAX (a larger
 *			value is clamped); out: bytes written, or with ENOSPC
 *			the size needed.
 * @flags:		in: must be 0.
 * @device_status:	out: enum offload_sec_device_status.
 * @deviceid_len:	out: DER DeviceID certificate at buf (also with ENOSPC).
 * @alias_len:		out: DER Alias certificate at buf + deviceid_len.
 * @reserved:		in: must be 0.
 */
struct offload_sec_get_chain {
	__u64 buf;
	__u32 buf_len;
	__u32 flags;
	__u32 device_status;
	__u32 deviceid_len;
	__u32 alias_len;
	__u32 reserved0;
	__u64 reserved[2];
};

/* Flags of struct offload_sec_measure. */
#define OFFLOAD_SEC_MEASURE_FINAL	(1U << 0)	/* last bytes of the component */

/**
 * struct offload_sec_measure - argument of OFFLOAD_SEC_IOC_MEASURE
 * @addr:		in: user address of the next bytes of the component.
 * @len:		in: their length; 0 is allowed (e.g. FINAL alone).
 * @component:		in: OFFLOAD_SEC_COMPONENT_*.
 * @flags:		in: OFFLOAD_SEC_MEASURE_* bits.
 * @device_status:	out: enum offload_sec_device_status.
 * @mbox_commands:	out: device commands this call sent.
 * @measured:		out: bytes of the component measured so far, also
 *			after a failure part-way through.
 * @sha256:		out: the component's SHA-256, after FINAL.
 * @reserved:		in: must be 0.
 */
struct offload_sec_measure {
	__u64 addr;
	__u64 len;
	__u32 component;
	__u32 flags;
	__u32 device_status;
	__u32 mbox_commands;
	__u64 measured;
	__u8 sha256[32];
	__u64 reserved[2];
};

/**
 * struct offload_sec_attest - argument of OFFLOAD_SEC_IOC_ATTEST
 * @report:		in: user address of the buffer for the signed report.
 * @report_len:		in: its size, at most OFFLOAD_SEC_BLOB_MAX (a larger
 *			value is clamped); out: the report's length, or with
 *			ENOSPC the size needed.
 * @flags:		in: must be 0.
 * @device_status:	out: enum offload_sec_device_status.
 * @reserved0:		in: must be 0.
 * @nonce:		in: the verifier's nonce, bound into the report.
 * @host_pub:		in: the host's ephemeral P-384 public key, SEC1
 *			uncompressed, bound into the report.
 * @pad:		in: must be 0.
 * @reserved:		in: must be 0.
 */
struct offload_sec_attest {
	__u64 report;
	__u32 report_len;
	__u32 flags;
	__u32 device_status;
	__u32 reserved0;
	__u8 nonce[OFFLOAD_SEC_NONCE_LEN];
	__u8 host_pub[OFFLOAD_SEC_P384_POINT_LEN];
	__u8 pad[7];
	__u64 reserved[2];
};

/**
 * struct offload_sec_confirm - argument of OFFLOAD_SEC_IOC_CONFIRM
 * @addr:		in: user address of the RAS confirmation (COSE_Sign1).
 * @len:		in: its length, 1 to OFFLOAD_SEC_BLOB_MAX.
 * @flags:		in: must be 0.
 * @device_status:	out: enum offload_sec_device_status.
 * @reserved0:		in: must be 0.
 * @reserved:		in: must be 0.
 */
struct offload_sec_confirm {
	__u64 addr;
	__u32 len;
	__u32 flags;
	__u32 device_status;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * struct offload_sec_set_dest - argument of OFFLOAD_SEC_IOC_SET_DEST
 * @addr:		in: user address of the destination (guest memory).
 * @len:		in: its length, 1 to OFFLOAD_SEC_DEST_MAX, at least the
 *			component's measured size.
 * @component:		in: OFFLOAD_SEC_COMPONENT_*.
 * @flags:		in: must be 0.
 * @device_status:	out: enum offload_sec_device_status.
 * @reserved0:		in: must be 0.
 * @reserved:		in: must be 0.
 */
struct offload_sec_set_dest {
	__u64 addr;
	__u64 len;
	__u32 component;
	__u32 flags;
	__u32 device_status;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * struct offload_sec_load - argument of OFFLOAD_SEC_IOC_LOAD
 * @addr:		in: user address of whole stream records.
 * @len:		in: their length, > 0.
 * @component:		in: OFFLOAD_SEC_COMPONENT_*.
 * @flags:		in: must be 0.
 * @device_status:	out: enum offload_sec_device_status.
 * @mbox_commands:	out: device commands this call sent.
 * @loaded:		out: plaintext bytes of the component so far.
 * @complete:		out: 1 once the final record was accepted.
 * @reserved0:		in: must be 0.
 * @reserved:		in: must be 0.
 */
struct offload_sec_load {
	__u64 addr;
	__u64 len;
	__u32 component;
	__u32 flags;
	__u32 device_status;
	__u32 mbox_commands;
	__u64 loaded;
	__u32 complete;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * struct offload_sec_finish - argument of OFFLOAD_SEC_IOC_FINISH
 * @flags:		in: must be 0.
 * @device_status:	out: enum offload_sec_device_status.
 * @mac:		out: the launch receipt, HMAC-SHA-256 under the
 *			session's receipt key over "offload-sec/v1/receipt" ||
 *			session id || SHA-256(report) || the three component
 *			digests (an absent one as 32 zero bytes).
 * @loaded:		out: plaintext bytes loaded per component.
 * @reserved:		in: must be 0.
 */
struct offload_sec_finish {
	__u32 flags;
	__u32 device_status;
	__u8 mac[32];
	__u64 loaded[OFFLOAD_SEC_NUM_COMPONENTS];
	__u64 reserved[2];
};

#define OFFLOAD_SEC_IOC_MAGIC 0xB8

#define OFFLOAD_SEC_IOC_GET_INFO \
	_IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x00, struct offload_sec_info)
#define OFFLOAD_SEC_IOC_DMA_SELFTEST \
	_IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x01, struct offload_sec_dma_selftest)
#define OFFLOAD_SEC_IOC_SESSION_CREATE \
	_IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x02, struct offload_sec_session_create)
#define OFFLOAD_SEC_IOC_GET_CHAIN \
	_IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x03, struct offload_sec_get_chain)

/* On a session fd. */
#define OFFLOAD_SEC_IOC_MEASURE \
	_IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x10, struct offload_sec_measure)
#define OFFLOAD_SEC_IOC_ATTEST \
	_IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x11, struct offload_sec_attest)
#define OFFLOAD_SEC_IOC_CONFIRM \
	_IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x12, struct offload_sec_confirm)
#define OFFLOAD_SEC_IOC_SET_DEST \
	_IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x13, struct offload_sec_set_dest)
#define OFFLOAD_SEC_IOC_LOAD \
	_IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x14, struct offload_sec_load)
#define OFFLOAD_SEC_IOC_FINISH \
	_IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x15, struct offload_sec_finish)

/* Generic netlink: see "Generic netlink" at the top of this file. */
#define OFFLOAD_SEC_GENL_NAME		"offload_sec"
#define OFFLOAD_SEC_GENL_VERSION	1
#define OFFLOAD_SEC_GENL_MCGRP_EVENTS	"events"

enum offload_sec_cmd {
	OFFLOAD_SEC_CMD_UNSPEC = 0,
	OFFLOAD_SEC_CMD_GET_DEVICE = 1,
	OFFLOAD_SEC_CMD_GET_SESSION = 2,
	/* Events only. */
	OFFLOAD_SEC_CMD_DEVICE_ADDED = 3,
	OFFLOAD_SEC_CMD_DEVICE_REMOVED = 4,
	OFFLOAD_SEC_CMD_DEVICE_ERROR = 5,
	OFFLOAD_SEC_CMD_SESSION_CREATED = 6,
	OFFLOAD_SEC_CMD_SESSION_STATE = 7,
	OFFLOAD_SEC_CMD_SESSION_ENDED = 8,
	__OFFLOAD_SEC_CMD_MAX
};

#define OFFLOAD_SEC_CMD_MAX (__OFFLOAD_SEC_CMD_MAX - 1)

enum offload_sec_attr {
	OFFLOAD_SEC_A_UNSPEC = 0,	/* also the padding of 64-bit values */
	OFFLOAD_SEC_A_DEVICE_INDEX = 1,
	OFFLOAD_SEC_A_DEVICE_NAME = 2,
	OFFLOAD_SEC_A_DEVICE_PCI_ADDR = 3,
	OFFLOAD_SEC_A_DEVICE_INFO = 4,
	OFFLOAD_SEC_A_DEVICE_SESSIONS = 5,
	OFFLOAD_SEC_A_DEVICE_BROKEN = 6,
	OFFLOAD_SEC_A_DEVICE_ERROR = 7,
	OFFLOAD_SEC_A_SESSION_ID = 8,
	OFFLOAD_SEC_A_SESSION_STATE = 9,
	OFFLOAD_SEC_A_SESSION_OWNER = 10,
	OFFLOAD_SEC_A_SESSION_COMPONENTS = 11,
	OFFLOAD_SEC_A_SESSION_END_REASON = 12,
	__OFFLOAD_SEC_A_MAX
};

#define OFFLOAD_SEC_A_MAX (__OFFLOAD_SEC_A_MAX - 1)

enum offload_sec_info_attr {
	OFFLOAD_SEC_INFO_A_UNSPEC = 0,	/* also padding */
	OFFLOAD_SEC_INFO_A_ABI_MAJOR = 1,
	OFFLOAD_SEC_INFO_A_ABI_MINOR = 2,
	OFFLOAD_SEC_INFO_A_FW_MAJOR = 3,
	OFFLOAD_SEC_INFO_A_FW_MINOR = 4,
	OFFLOAD_SEC_INFO_A_FW_PATCH = 5,
	OFFLOAD_SEC_INFO_A_MEASUREMENT_REGS = 6,
	OFFLOAD_SEC_INFO_A_MAX_SESSIONS = 7,
	OFFLOAD_SEC_INFO_A_MAX_DMA_SEGMENTS = 8,
	OFFLOAD_SEC_INFO_A_CAPABILITIES = 9,
	OFFLOAD_SEC_INFO_A_SERIAL = 10,
	__OFFLOAD_SEC_INFO_A_MAX
};

#define OFFLOAD_SEC_INFO_A_MAX (__OFFLOAD_SEC_INFO_A_MAX - 1)

enum offload_sec_component_attr {
	OFFLOAD_SEC_COMPONENT_A_UNSPEC = 0,	/* also padding */
	OFFLOAD_SEC_COMPONENT_A_INDEX = 1,
	OFFLOAD_SEC_COMPONENT_A_MEASURED = 2,
	OFFLOAD_SEC_COMPONENT_A_LOADED = 3,
	__OFFLOAD_SEC_COMPONENT_A_MAX
};

#define OFFLOAD_SEC_COMPONENT_A_MAX (__OFFLOAD_SEC_COMPONENT_A_MAX - 1)

/* A session as the driver mirrors it from the card's replies. */
enum offload_sec_session_state {
	OFFLOAD_SEC_SESSION_CREATED = 1,	/* nothing measured yet */
	OFFLOAD_SEC_SESSION_MEASURED = 2,	/* MEASURE accepted */
	OFFLOAD_SEC_SESSION_ATTESTED = 3,	/* report signed */
	OFFLOAD_SEC_SESSION_CONFIRMED = 4,	/* confirmation accepted, keys derived */
	OFFLOAD_SEC_SESSION_LOADING = 5,	/* LOAD accepted */
	OFFLOAD_SEC_SESSION_DONE = 6,	/* FINISH succeeded: image in place */
	OFFLOAD_SEC_SESSION_FAILED = 7,	/* the card failed it and scrubbed */
	OFFLOAD_SEC_SESSION_LOST = 8,	/* the card no longer knows it */
};

/* Why OFFLOAD_SEC_CMD_SESSION_ENDED. */
enum offload_sec_end_reason {
	OFFLOAD_SEC_END_CLOSED = 1,	/* its fd was closed; ABORTed if live */
	OFFLOAD_SEC_END_DEVICE_REMOVED = 2,	/* its card went away; ABORTed first */
};

/* What OFFLOAD_SEC_CMD_DEVICE_ERROR reports. */
enum offload_sec_device_error {
	OFFLOAD_SEC_ERR_TIMEOUT = 1,	/* no reply in time: card disabled */
	/* Malformed reply; a reply to another request disables the card. */
	OFFLOAD_SEC_ERR_BAD_RESPONSE = 2,
	/* The driver stopped using the card, e.g. an ABORT failed. */
	OFFLOAD_SEC_ERR_DISABLED = 3,
};

#endif /* _UAPI_LINUX_OFFLOAD_SEC_H */
