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

#endif /* _OFFLOAD_SEC_HW_H */
