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
#include <linux/pid.h>
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
 * @node_id:	index of the device node name, from an IDA; also the
 *		device's index in netlink.
 * @name:	device node name, "offload-sec" or "offload-sec<N>".
 * @pci_addr:	pci_name() of @pdev, kept for netlink after remove.
 * @info:	the card's GET_INFO reply at probe, if @info_valid.
 * @info_valid:	the card answered GET_INFO at probe.
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
	char pci_addr[32];
	struct offload_sec_info info;
	bool info_valid;
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

/**
 * struct ofs_session - one launch session, the private data of its fd
 * @ofs:	the card; the session holds a reference.
 * @node:	in @ofs->sessions, under @ofs->sessions_lock, until the fd
 *		is closed or the card removed.
 * @lock:	serialises the session's ioctls.
 * @handle:	the card's name for the session.
 * @chunk_size:	chunk size of the session's streams.
 * @live:	the card holds the session, so it must be ABORTed at the end.
 * @measured:	bytes of each component the card has hashed.
 * @dest:	pinned, mapped destinations, by component.
 * @owner:	thread group that created the session.
 * @session_id:	the card's id of the session.
 * @state:	enum offload_sec_session_state, as the card's replies say.
 * @loaded:	plaintext bytes of each component the card has decrypted.
 *
 * @live and @dest change only with @lock held and the device entered, or
 * with @ofs->present_lock held for writing (remove).  @state, @measured
 * and @loaded change with @lock held; netlink reads them locklessly.
 */
struct ofs_session {
	struct ofs_dev *ofs;
	struct list_head node;
	struct mutex lock;	/* one ioctl at a time */
	u32 handle;
	u32 chunk_size;
	bool live;
	u64 measured[OFFLOAD_SEC_NUM_COMPONENTS];
	struct ofs_dma_buf dest[OFFLOAD_SEC_NUM_COMPONENTS];
	struct pid *owner;
	u8 session_id[OFFLOAD_SEC_SESSION_ID_LEN];
	u32 state;
	u64 loaded[OFFLOAD_SEC_NUM_COMPONENTS];
};

/* chardev.c */
int ofs_query_info(struct ofs_dev *ofs, struct offload_sec_info *info);
int ofs_chardev_register(struct ofs_dev *ofs);
void ofs_chardev_unregister(struct ofs_dev *ofs);

/* session.c: a session's life, and what its handlers share */
long ofs_session_create(struct ofs_dev *ofs,
			struct offload_sec_session_create __user *uarg);
void ofs_sessions_remove(struct ofs_dev *ofs);
int ofs_bad_reply(struct ofs_dev *ofs, const char *what, size_t len,
		  u32 *device_status);
int ofs_session_enter(struct ofs_session *s);
int ofs_session_exec(struct ofs_session *s, struct ofs_cmd *cmd);
int ofs_session_enter_buf(struct ofs_session *s, struct ofs_dma_buf *buf,
			  struct ofs_hw_sg_list *list, u64 addr, u64 len,
			  enum dma_data_direction dir);
void ofs_session_leave_buf(struct ofs_session *s, struct ofs_dma_buf *buf);
void ofs_session_release_dests(struct ofs_session *s);

/*
 * session-attest.c, session-load.c: one handler per session ioctl; each
 * must hold s->lock.  GET_CHAIN serves the device node too.
 */
int ofs_session_attest(struct ofs_session *s, struct offload_sec_attest *a);
int ofs_session_confirm(struct ofs_session *s, struct offload_sec_confirm *c);
long ofs_get_chain(struct ofs_dev *ofs,
		   struct offload_sec_get_chain __user *uarg);
int ofs_session_measure(struct ofs_session *s, struct offload_sec_measure *m);
int ofs_session_set_dest(struct ofs_session *s,
			 struct offload_sec_set_dest *d);
int ofs_session_load(struct ofs_session *s, struct offload_sec_load *l);
int ofs_session_finish(struct ofs_session *s, struct offload_sec_finish *f);

/* netlink.c */
int ofs_netlink_init(void);
void ofs_netlink_uninit(void);
int ofs_nl_device_add(struct ofs_dev *ofs);
void ofs_nl_device_del(struct ofs_dev *ofs);
void ofs_nl_device_error(struct ofs_dev *ofs, u32 error);
void ofs_nl_session_event(struct ofs_session *s, u8 cmd, u32 reason);
void ofs_nl_changed(void);

#endif /* _OFFLOAD_SEC_H */
