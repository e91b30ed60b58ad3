// SPDX-License-Identifier: GPL-2.0
/*
 * PCI side: probe, remove, and the lifetime of struct ofs_dev.
 *
 * The emulated card is a stock ivshmem-doorbell device bound through
 * new_id, and any other ivshmem device on the machine looks the same on
 * the bus.  So nothing is trusted until the header the device wrote into
 * BAR2 has been checked.
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "offload_sec.h"

static_assert(sizeof(struct ofs_hw_header) == 64);
static_assert(offsetof(struct ofs_hw_header, reserved) == 32);

static void ofs_dev_release(struct kref *kref)
{
	struct ofs_dev *ofs = container_of(kref, struct ofs_dev, kref);

	WARN_ON(!list_empty(&ofs->sessions));
	mutex_destroy(&ofs->sessions_lock);
	mutex_destroy(&ofs->mbox_lock);
	kfree(ofs);
}

void ofs_dev_get(struct ofs_dev *ofs)
{
	kref_get(&ofs->kref);
}

void ofs_dev_put(struct ofs_dev *ofs)
{
	kref_put(&ofs->kref, ofs_dev_release);
}

/**
 * ofs_dev_enter() - start an operation on the hardware
 * @ofs: the device
 *
 * On success the caller may use the hardware until ofs_dev_leave(); remove
 * waits for it.
 *
 * Return: 0, or -ENODEV once the device has been removed.
 */
int ofs_dev_enter(struct ofs_dev *ofs)
{
	down_read(&ofs->present_lock);
	if (!ofs->present) {
		up_read(&ofs->present_lock);
		return -ENODEV;
	}
	return 0;
}

void ofs_dev_leave(struct ofs_dev *ofs)
{
	up_read(&ofs->present_lock);
}

static struct ofs_dev *ofs_dev_alloc(struct pci_dev *pdev)
{
	struct ofs_dev *ofs;

	ofs = kzalloc(sizeof(*ofs), GFP_KERNEL);
	if (!ofs)
		return NULL;
	kref_init(&ofs->kref);
	init_rwsem(&ofs->present_lock);
	mutex_init(&ofs->mbox_lock);
	init_completion(&ofs->mbox_done);
	mutex_init(&ofs->sessions_lock);
	INIT_LIST_HEAD(&ofs->sessions);
	ofs->pdev = pdev;
	strscpy(ofs->pci_addr, pci_name(pdev), sizeof(ofs->pci_addr));
	/* BAR2 may still hold the reply to a previous binding's last tag. */
	ofs->last_tag = get_random_u64();
	return ofs;
}

static bool bar_ok(struct pci_dev *pdev, int bar, resource_size_t min)
{
	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, bar) < min) {
		dev_err(&pdev->dev, "BAR%d missing or smaller than %pa bytes\n",
			bar, &min);
		return false;
	}
	return true;
}

/*
 * Every field is checked against what this driver was written for, and
 * every offset against the BAR it points into, before any of it is used.
 */
static int check_header(struct pci_dev *pdev, void __iomem *shm,
			u32 *device_peer, u32 *mbox_offset)
{
	u64 bar_len = pci_resource_len(pdev, OFS_HW_SHM_BAR);
	struct ofs_hw_header h;
	u32 magic, major, hsize, shm_size, peer, nvec, moff, msize;

	memcpy_fromio(&h, shm, sizeof(h));
	magic = le32_to_cpu(h.magic);
	major = le16_to_cpu(h.abi_major);
	hsize = le32_to_cpu(h.header_size);
	shm_size = le32_to_cpu(h.shm_size);
	peer = le32_to_cpu(h.device_peer);
	nvec = le32_to_cpu(h.num_vectors);
	moff = le32_to_cpu(h.mbox_offset);
	msize = le32_to_cpu(h.mbox_size);

	if (magic != OFS_HW_MAGIC) {
		dev_err(&pdev->dev, "no offload-sec header in BAR2 (magic %#x)\n",
			magic);
		return -ENODEV;
	}
	if (major != OFS_HW_ABI_MAJOR) {
		dev_err(&pdev->dev, "device ABI %u.%u, driver knows %u.x\n",
			major, le16_to_cpu(h.abi_minor), OFS_HW_ABI_MAJOR);
		return -ENODEV;
	}
	/* Later minors may grow the header into its reserved words. */
	if (hsize < sizeof(h) || shm_size > bar_len || hsize > shm_size) {
		dev_err(&pdev->dev, "bad header: header_size %u shm_size %u, BAR2 %llu bytes\n",
			hsize, shm_size, bar_len);
		return -ENODEV;
	}
	if (moff < hsize || !IS_ALIGNED(moff, 8) ||
	    msize != sizeof(struct ofs_hw_mbox) ||
	    (u64)moff + msize > shm_size) {
		dev_err(&pdev->dev, "bad header: mailbox at %#x size %u, shm_size %u\n",
			moff, msize, shm_size);
		return -ENODEV;
	}
	/* The doorbell register has 16 bits for the peer id. */
	if (peer > U16_MAX || nvec < OFS_HW_NUM_VECTORS) {
		dev_err(&pdev->dev, "bad header: device peer %u, %u vectors\n",
			peer, nvec);
		return -ENODEV;
	}
	*device_peer = peer;
	*mbox_offset = moff;
	return 0;
}

static int map_bars(struct ofs_dev *ofs)
{
	struct pci_dev *pdev = ofs->pdev;
	void __iomem *shm;
	u32 mbox_offset;
	int ret;

	if (!bar_ok(pdev, OFS_HW_REGS_BAR, OFS_HW_REG_DOORBELL + 4) ||
	    !bar_ok(pdev, OFS_HW_SHM_BAR, OFS_HW_SHM_MIN))
		return -ENODEV;

	ret = pcim_iomap_regions(pdev, BIT(OFS_HW_REGS_BAR) | BIT(OFS_HW_SHM_BAR),
				 OFS_DRV_NAME);
	if (ret) {
		dev_err(&pdev->dev, "cannot map BARs: %d\n", ret);
		return ret;
	}
	ofs->regs = pcim_iomap_table(pdev)[OFS_HW_REGS_BAR];
	shm = pcim_iomap_table(pdev)[OFS_HW_SHM_BAR];

	ret = check_header(pdev, shm, &ofs->device_peer, &mbox_offset);
	if (ret)
		return ret;
	ofs->mbox = shm + mbox_offset;
	return 0;
}

static int setup_dma(struct pci_dev *pdev)
{
	int ret;

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret) {
		dev_err(&pdev->dev, "no usable DMA mask: %d\n", ret);
		return ret;
	}
	/* A descriptor's length field is 32 bits wide. */
	return dma_set_max_seg_size(&pdev->dev, U32_MAX);
}

/*
 * What netlink shows of the card.  A card that does not answer is still
 * bound (its node says why on every call), only without the details.
 */
static void read_info(struct ofs_dev *ofs)
{
	int ret;

	ret = ofs_dev_enter(ofs);
	if (ret)
		return;
	ret = ofs_query_info(ofs, &ofs->info);
	ofs_dev_leave(ofs);
	ofs->info_valid = !ret;
	if (ret)
		dev_warn(&ofs->pdev->dev, "GET_INFO failed at probe: %d\n", ret);
}

static int ofs_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ofs_dev *ofs;
	int ret;

	ofs = ofs_dev_alloc(pdev);
	if (!ofs)
		return -ENOMEM;

	ret = pcim_enable_device(pdev);
	if (ret)
		goto put_dev;
	ret = map_bars(ofs);
	if (ret)
		goto put_dev;
	/* MSI-X messages are device writes too: without this they are dropped. */
	pci_set_master(pdev);
	ret = setup_dma(pdev);
	if (ret)
		goto clear_master;

	ret = pci_alloc_irq_vectors(pdev, OFS_HW_NUM_VECTORS,
				    OFS_HW_NUM_VECTORS, PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(&pdev->dev, "cannot get %d MSI-X vectors: %d\n",
			OFS_HW_NUM_VECTORS, ret);
		goto clear_master;
	}
	ret = request_irq(pci_irq_vector(pdev, OFS_HW_VEC_MBOX), ofs_mbox_irq,
			  0, OFS_DRV_NAME, ofs);
	if (ret)
		goto free_vectors;

	/* Commands may come in as soon as the node exists. */
	ofs->present = true;
	read_info(ofs);
	ret = ofs_chardev_register(ofs);
	if (ret)
		goto free_mbox_irq;
	ret = ofs_nl_device_add(ofs);
	if (ret)
		goto unregister_chardev;

	pci_set_drvdata(pdev, ofs);
	dev_info(&pdev->dev, "/dev/%s ready\n", ofs->name);
	return 0;

unregister_chardev:
	ofs_chardev_unregister(ofs);
free_mbox_irq:
	free_irq(pci_irq_vector(pdev, OFS_HW_VEC_MBOX), ofs);
free_vectors:
	pci_free_irq_vectors(pdev);
clear_master:
	pci_clear_master(pdev);
put_dev:
	ofs_dev_put(ofs);
	return ret;
}

static void ofs_remove(struct pci_dev *pdev)
{
	struct ofs_dev *ofs = pci_get_drvdata(pdev);

	/* First, while the node's index is still the card's own. */
	ofs_nl_device_del(ofs);
	ofs_chardev_unregister(ofs);

	/*
	 * Waits for operations in flight; later ones see !present.  Open
	 * sessions are ended while the card can still hear it, and their
	 * destinations released while the device still exists.
	 */
	down_write(&ofs->present_lock);
	ofs_sessions_remove(ofs);
	ofs->present = false;
	up_write(&ofs->present_lock);

	free_irq(pci_irq_vector(pdev, OFS_HW_VEC_MBOX), ofs);
	pci_free_irq_vectors(pdev);
	pci_clear_master(pdev);
	ofs_dev_put(ofs);
}

static const struct pci_device_id ofs_pci_ids[] = {
	{ PCI_DEVICE(OFS_HW_PCI_VENDOR_ID, OFS_HW_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, ofs_pci_ids);

static struct pci_driver ofs_pci_driver = {
	.name = OFS_DRV_NAME,
	.id_table = ofs_pci_ids,
	.probe = ofs_probe,
	.remove = ofs_remove,
};

int ofs_pci_init(void)
{
	return pci_register_driver(&ofs_pci_driver);
}

void ofs_pci_exit(void)
{
	pci_unregister_driver(&ofs_pci_driver);
}
