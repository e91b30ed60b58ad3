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

#define OFFLOAD_SEC_IOC_MAGIC 0xB8

#define OFFLOAD_SEC_IOC_GET_INFO \
	_IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x00, struct offload_sec_info)
#define OFFLOAD_SEC_IOC_DMA_SELFTEST \
	_IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x01, struct offload_sec_dma_selftest)

#endif /* _UAPI_LINUX_OFFLOAD_SEC_H */
