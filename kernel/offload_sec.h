/* SPDX-License-Identifier: GPL-2.0 */
/*
 * offload_sec.ko internals: the per-device state shared by the PCI,
 * mailbox, DMA and character-device parts of the driver.
 */
#ifndef _OFFLOAD_SEC_H
#define _OFFLOAD_SEC_H

#include <linux/completion.h>
#include <linux/dma-direction.h>
#include <linux/interrupt.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

#include <offload_sec/hw.h>

#define OFS_DRV_NAME "offload_sec"

/**
 * struct ofs_dev - one card
 * @kref:	held by probe (until remove) and by every open file, because
 *		an fd may outlive the PCI device.
 * @present_lock: read-held by every operation that touches the hardware,
 *		write-held by remove while it tears the hardware side down.
 * @present:	false once remove has run; then only @kref and @misc's
 *		name remain meaningful.  Protected by @present_lock.
 * @pdev:	the PCI function; valid only while @present.
 * @regs:	BAR0 (doorbell registers).
 * @mbox:	the mailbox inside BAR2.
 * @device_peer: ivshmem peer id of the device, from the BAR2 header.
 * @mbox_lock:	serialises mailbox commands: the device takes one at a time.
 * @mbox_done:	completed by the mailbox interrupt.
 * @last_tag:	tag of the previous request.  Protected by @mbox_lock.
 * @broken:	the device missed a deadline; no further commands are sent.
 *		Protected by @mbox_lock.
 * @sessions_lock: protects @sessions and @nr_sessions.
 * @sessions:	open launch sessions (struct ofs_session.node), so that
 *		remove can end them while the card is still there.
 * @nr_sessions: how many.
 * @node_id:	index of the device node name, from an IDA.
 * @name:	device node name, "offload-sec" or "offload-sec<N>".
 * @misc:	the device node.
 */
struct ofs_dev {
	struct kref kref;
	struct rw_semaphore present_lock;
	bool present;
	struct pci_dev *pdev;
	void __iomem *regs;
	struct ofs_hw_mbox __iomem *mbox;
	u32 device_peer;
	struct mutex mbox_lock;	/* the device takes one command at a time */
	struct completion mbox_done;
	u64 last_tag;
	bool broken;
	struct mutex sessions_lock;	/* protects sessions, nr_sessions */
	struct list_head sessions;
	unsigned int nr_sessions;
	int node_id;
	char name[24];
	struct miscdevice misc;
};

/* pci.c */
int ofs_pci_init(void);
void ofs_pci_exit(void);
void ofs_dev_get(struct ofs_dev *ofs);
void ofs_dev_put(struct ofs_dev *ofs);
int ofs_dev_enter(struct ofs_dev *ofs);
void ofs_dev_leave(struct ofs_dev *ofs);

/* mbox.c */

/**
 * struct ofs_cmd - one mailbox command
 * @opcode:	enum ofs_hw_opcode.
 * @in:		request payload, @in_len bytes.
 * @in_len:	at most OFS_HW_MBOX_PAYLOAD.
 * @out:	buffer for the response payload.
 * @out_size:	its size; a longer response is malformed.
 * @out_len:	out: bytes the device returned in @out.
 * @device_status: out: enum offload_sec_device_status.
 */
struct ofs_cmd {
	u32 opcode;
	const void *in;
	size_t in_len;
	void *out;
	size_t out_size;
	size_t out_len;
	u32 device_status;
};

int ofs_mbox_exec(struct ofs_dev *ofs, struct ofs_cmd *cmd);
void ofs_mbox_disable(struct ofs_dev *ofs, const char *why);
irqreturn_t ofs_mbox_irq(int irq, void *data);

/* dma.c */

/**
 * struct ofs_dma_buf - a user buffer mapped for the device
 * @dev:	the device it is mapped for.
 * @dir:	DMA_TO_DEVICE or DMA_FROM_DEVICE.
 * @len:	bytes; 0 means nothing is pinned or mapped.
 * @pages:	the pinned pages.
 * @npages:	how many.
 * @sgt:	@pages as a DMA-mapped scatter-gather table.
 * @desc:	the device's view of @sgt, in coherent memory.
 * @desc_dma:	bus address of @desc.
 * @nents:	entries in @desc.
 */
struct ofs_dma_buf {
	struct device *dev;
	enum dma_data_direction dir;
	u64 len;
	struct page **pages;
	unsigned int npages;
	struct sg_table sgt;
	struct ofs_hw_sg *desc;
	dma_addr_t desc_dma;
	unsigned int nents;
};

int ofs_dma_map_user(struct device *dev, struct ofs_dma_buf *buf, u64 uaddr,
		     u64 len, enum dma_data_direction dir);
int ofs_dma_map_dest(struct device *dev, struct ofs_dma_buf *buf, u64 uaddr,
		     u64 len);
void ofs_dma_unmap_user(struct ofs_dma_buf *buf);
void ofs_dma_sg_list(const struct ofs_dma_buf *buf,
		     struct ofs_hw_sg_list *list);

/* chardev.c */
int ofs_chardev_register(struct ofs_dev *ofs);
void ofs_chardev_unregister(struct ofs_dev *ofs);

/* session.c */
long ofs_session_create(struct ofs_dev *ofs,
			struct offload_sec_session_create __user *uarg);
long ofs_get_chain(struct ofs_dev *ofs,
		   struct offload_sec_get_chain __user *uarg);
void ofs_sessions_remove(struct ofs_dev *ofs);

#endif /* _OFFLOAD_SEC_H */
