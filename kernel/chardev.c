// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/offload-sec*: one misc device per card, and its ioctls.  An open
 * file holds the struct ofs_dev, not the hardware: once the card is
 * removed, its ioctls fail with ENODEV.
 */
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "offload_sec.h"

static_assert(offsetof(struct offload_sec_info, abi_major) == 8);
static_assert(offsetof(struct offload_sec_info, capabilities) == 32);
static_assert(offsetof(struct offload_sec_info, serial) == 40);
static_assert(offsetof(struct offload_sec_info, reserved) == 72);
static_assert(sizeof(struct offload_sec_info) == 104);
static_assert(offsetof(struct offload_sec_dma_selftest, flags) == 40);
static_assert(offsetof(struct offload_sec_dma_selftest, src_sha256) == 48);
static_assert(offsetof(struct offload_sec_dma_selftest, reserved) == 80);
static_assert(sizeof(struct offload_sec_dma_selftest) == 96);

static_assert(offsetof(struct ofs_hw_info, capabilities) == 32);
static_assert(offsetof(struct ofs_hw_info, serial) == 40);
static_assert(sizeof(struct ofs_hw_info) == 104);
static_assert(sizeof(((struct ofs_hw_info *)0)->serial) ==
	      sizeof(((struct offload_sec_info *)0)->serial));
static_assert(offsetof(struct ofs_hw_dma_selftest, seed) == 48);
static_assert(sizeof(struct ofs_hw_dma_selftest) == 64);
static_assert(sizeof(struct ofs_hw_dma_selftest_out) == 32);
static_assert(sizeof(struct ofs_hw_dma_selftest_out) <= OFS_HW_MBOX_PAYLOAD);
static_assert(sizeof(struct ofs_hw_info) <= OFS_HW_MBOX_PAYLOAD);

static DEFINE_IDA(ofs_node_ida);

/*
 * The serial ends up in logs and terminals: keep it printable and always
 * NUL-terminated, even if the device filled every byte.
 */
static void copy_serial(u8 *dst, const u8 *src, size_t size)
{
	size_t i;

	memset(dst, 0, size);
	for (i = 0; i < size - 1 && src[i]; i++)
		dst[i] = isprint(src[i]) ? src[i] : '?';
}

/**
 * ofs_query_info() - ask the card for GET_INFO
 * @ofs:	the card; must hold it (ofs_dev_enter())
 * @info:	the reply, as the uapi struct; device_status is set always
 *
 * Return: 0 or a negative errno.
 */
int ofs_query_info(struct ofs_dev *ofs, struct offload_sec_info *info)
{
	struct ofs_hw_info hw = {};
	struct ofs_cmd cmd = {
		.opcode = OFS_HW_OP_GET_INFO,
		.out = &hw,
		.out_size = sizeof(hw),
	};
	int ret;

	ret = ofs_mbox_exec(ofs, &cmd);
	info->device_status = cmd.device_status;
	if (ret)
		return ret;
	if (cmd.out_len != sizeof(hw) || le32_to_cpu(hw.magic) != OFS_HW_MAGIC) {
		dev_err_ratelimited(&ofs->pdev->dev,
				    "bad GET_INFO reply: %zu bytes, magic %#x\n",
				    cmd.out_len, le32_to_cpu(hw.magic));
		ofs_nl_device_error(ofs, OFFLOAD_SEC_ERR_BAD_RESPONSE);
		info->device_status = OFFLOAD_SEC_DS_BAD_RESPONSE;
		return -EIO;
	}

	info->abi_major = le16_to_cpu(hw.abi_major);
	info->abi_minor = le16_to_cpu(hw.abi_minor);
	info->fw_major = le16_to_cpu(hw.fw_major);
	info->fw_minor = le16_to_cpu(hw.fw_minor);
	info->fw_patch = le32_to_cpu(hw.fw_patch);
	info->num_measurement_regs = le32_to_cpu(hw.num_measurement_regs);
	info->max_sessions = le32_to_cpu(hw.max_sessions);
	/* The driver's own limit applies as well as the device's. */
	info->max_dma_segments = min_t(u32, le32_to_cpu(hw.max_sg),
				       OFS_HW_MAX_SG);
	info->capabilities = le64_to_cpu(hw.capabilities);
	copy_serial(info->serial, hw.serial, sizeof(info->serial));
	return 0;
}

static long get_info(struct ofs_dev *ofs, struct offload_sec_info __user *uarg)
{
	struct offload_sec_info in, out = {};
	int ret;

	if (copy_from_user(&in, uarg, sizeof(in)))
		return -EFAULT;
	if (in.flags)
		return -EOPNOTSUPP;
	if (memchr_inv(in.reserved, 0, sizeof(in.reserved)))
		return -EINVAL;

	ret = ofs_dev_enter(ofs);
	if (ret)
		return ret;
	ret = ofs_query_info(ofs, &out);
	ofs_dev_leave(ofs);

	/* Also on failure, so that the caller sees device_status. */
	if (copy_to_user(uarg, &out, sizeof(out)))
		return -EFAULT;
	return ret;
}

static int run_selftest(struct ofs_dev *ofs,
			struct offload_sec_dma_selftest *st)
{
	struct device *dev = &ofs->pdev->dev;
	struct ofs_hw_dma_selftest req = {};
	struct ofs_hw_dma_selftest_out rsp;
	struct ofs_dma_buf src, dst;
	struct ofs_cmd cmd = {
		.opcode = OFS_HW_OP_DMA_SELFTEST,
		.in = &req,
		.in_len = sizeof(req),
		.out = &rsp,
		.out_size = sizeof(rsp),
	};
	int ret;

	ret = ofs_dma_map_user(dev, &src, st->src, st->src_len, DMA_TO_DEVICE);
	if (ret)
		return ret;
	ret = ofs_dma_map_user(dev, &dst, st->dst, st->dst_len,
			       DMA_FROM_DEVICE);
	if (ret)
		goto unmap_src;

	ofs_dma_sg_list(&src, &req.src);
	ofs_dma_sg_list(&dst, &req.dst);
	req.seed = cpu_to_le64(st->seed);

	ret = ofs_mbox_exec(ofs, &cmd);
	st->device_status = cmd.device_status;
	if (!ret && cmd.out_len != sizeof(rsp)) {
		dev_err_ratelimited(dev, "bad DMA_SELFTEST reply: %zu bytes\n",
				    cmd.out_len);
		ofs_nl_device_error(ofs, OFFLOAD_SEC_ERR_BAD_RESPONSE);
		st->device_status = OFFLOAD_SEC_DS_BAD_RESPONSE;
		ret = -EIO;
	}
	if (!ret)
		memcpy(st->src_sha256, rsp.src_sha256, sizeof(st->src_sha256));

	ofs_dma_unmap_user(&dst);
unmap_src:
	ofs_dma_unmap_user(&src);
	return ret;
}

static long dma_selftest(struct ofs_dev *ofs,
			 struct offload_sec_dma_selftest __user *uarg)
{
	struct offload_sec_dma_selftest st;
	int ret;

	if (copy_from_user(&st, uarg, sizeof(st)))
		return -EFAULT;
	if (st.flags)
		return -EOPNOTSUPP;
	if (memchr_inv(st.reserved, 0, sizeof(st.reserved)))
		return -EINVAL;

	st.device_status = OFFLOAD_SEC_DS_OK;
	memset(st.src_sha256, 0, sizeof(st.src_sha256));

	ret = ofs_dev_enter(ofs);
	if (ret)
		return ret;
	ret = run_selftest(ofs, &st);
	ofs_dev_leave(ofs);

	/* Also on failure, so that the caller sees device_status. */
	if (copy_to_user(uarg, &st, sizeof(st)))
		return -EFAULT;
	return ret;
}

static long ofs_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ofs_dev *ofs = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case OFFLOAD_SEC_IOC_GET_INFO:
		return get_info(ofs, argp);
	case OFFLOAD_SEC_IOC_DMA_SELFTEST:
		return dma_selftest(ofs, argp);
	case OFFLOAD_SEC_IOC_SESSION_CREATE:
		return ofs_session_create(ofs, argp);
	case OFFLOAD_SEC_IOC_GET_CHAIN:
		return ofs_get_chain(ofs, argp);
	default:
		return -ENOTTY;
	}
}

static int ofs_open(struct inode *inode, struct file *file)
{
	/* misc_open() points private_data at our miscdevice. */
	struct ofs_dev *ofs = container_of(file->private_data, struct ofs_dev,
					   misc);

	ofs_dev_get(ofs);
	file->private_data = ofs;
	return 0;
}

static int ofs_release(struct inode *inode, struct file *file)
{
	ofs_dev_put(file->private_data);
	return 0;
}

static const struct file_operations ofs_fops = {
	.owner = THIS_MODULE,
	.open = ofs_open,
	.release = ofs_release,
	.unlocked_ioctl = ofs_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/**
 * ofs_chardev_register() - create the device node of a card
 * @ofs: the card, ready for commands
 *
 * The first card is /dev/offload-sec, further ones /dev/offload-sec<N>.
 *
 * Return: 0 or a negative errno.
 */
int ofs_chardev_register(struct ofs_dev *ofs)
{
	int id, ret;

	id = ida_alloc(&ofs_node_ida, GFP_KERNEL);
	if (id < 0)
		return id;
	ofs->node_id = id;
	if (id)
		snprintf(ofs->name, sizeof(ofs->name), "%s%d",
			 OFFLOAD_SEC_DEVICE_NAME, id);
	else
		strscpy(ofs->name, OFFLOAD_SEC_DEVICE_NAME, sizeof(ofs->name));

	ofs->misc.minor = MISC_DYNAMIC_MINOR;
	ofs->misc.name = ofs->name;
	ofs->misc.fops = &ofs_fops;
	ofs->misc.parent = &ofs->pdev->dev;
	ofs->misc.mode = 0600;
	ret = misc_register(&ofs->misc);
	if (ret)
		ida_free(&ofs_node_ida, id);
	return ret;
}

/**
 * ofs_chardev_unregister() - remove the device node of a card
 * @ofs: the card
 *
 * Open files stay valid; they hold their own reference.
 */
void ofs_chardev_unregister(struct ofs_dev *ofs)
{
	misc_deregister(&ofs->misc);
	ida_free(&ofs_node_ida, ofs->node_id);
}
