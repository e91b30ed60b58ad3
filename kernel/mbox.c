// SPDX-License-Identifier: GPL-2.0
/*
 * The mailbox: the one way commands reach the device.  Everything the
 * device answers is checked here before any caller sees it.
 */
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>

#include "offload_sec.h"

static_assert(offsetof(struct ofs_hw_request, tag) == 8);
static_assert(offsetof(struct ofs_hw_request, in) == 24);
static_assert(sizeof(struct ofs_hw_request) == 24 + OFS_HW_MBOX_PAYLOAD);
static_assert(offsetof(struct ofs_hw_response, out) == 16);
static_assert(sizeof(struct ofs_hw_response) == 16 + OFS_HW_MBOX_PAYLOAD);
static_assert(offsetof(struct ofs_hw_mbox, rsp) == sizeof(struct ofs_hw_request));
static_assert(sizeof(struct ofs_hw_mbox) ==
	      sizeof(struct ofs_hw_request) + sizeof(struct ofs_hw_response));

/*
 * Callers sleep uninterruptibly for up to this long, so keep it below the
 * hung-task detector's default of 120 s.
 */
#define MBOX_TIMEOUT_MAX_MS 60000

static unsigned int mbox_timeout_ms = 5000;

static int set_timeout(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int ret;

	ret = kstrtouint(val, 0, &ms);
	if (ret)
		return ret;
	if (ms < 1 || ms > MBOX_TIMEOUT_MAX_MS)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, ms);
	return 0;
}

static const struct kernel_param_ops timeout_ops = {
	.set = set_timeout,
	.get = param_get_uint,
};

module_param_cb(mbox_timeout_ms, &timeout_ops, &mbox_timeout_ms, 0644);
__MODULE_PARM_TYPE(mbox_timeout_ms, "uint");
MODULE_PARM_DESC(mbox_timeout_ms,
		 "How long to wait for the device to answer a command, in ms (1-60000, default 5000)");

irqreturn_t ofs_mbox_irq(int irq, void *data)
{
	struct ofs_dev *ofs = data;

	complete(&ofs->mbox_done);
	return IRQ_HANDLED;
}

static int status_to_errno(u32 status)
{
	switch (status) {
	case OFFLOAD_SEC_DS_OK:
		return 0;
	case OFFLOAD_SEC_DS_BAD_OPCODE:
		return -EOPNOTSUPP;
	case OFFLOAD_SEC_DS_BAD_LENGTH:
	case OFFLOAD_SEC_DS_BAD_FIELD:
		return -EINVAL;
	case OFFLOAD_SEC_DS_BUSY:
	case OFFLOAD_SEC_DS_NO_SLOT:
		return -EBUSY;
	case OFFLOAD_SEC_DS_BAD_STATE:
	case OFFLOAD_SEC_DS_FAILED:
		return -EBADFD;
	case OFFLOAD_SEC_DS_NO_SPACE:
		return -ENOSPC;
	case OFFLOAD_SEC_DS_BAD_CONFIRMATION:
	case OFFLOAD_SEC_DS_STREAM_REJECTED:
	case OFFLOAD_SEC_DS_DIGEST_MISMATCH:
		return -EBADMSG;
	case OFFLOAD_SEC_DS_UNTRUSTED:
	case OFFLOAD_SEC_DS_WRONG_REPORT:
		return -EKEYREJECTED;
	case OFFLOAD_SEC_DS_EXPIRED:
		return -EKEYEXPIRED;
	case OFFLOAD_SEC_DS_NOT_AFFIRMED:
		return -EACCES;
	case OFFLOAD_SEC_DS_INCOMPLETE:
		return -ENODATA;
	case OFFLOAD_SEC_DS_BAD_DMA:
	case OFFLOAD_SEC_DS_INTERNAL:
	case OFFLOAD_SEC_DS_NO_SESSION:
	default:
		return -EIO;
	}
}

/* The driver's own statuses (no reply, bad reply) never come from the device. */
static bool device_may_send(u32 status)
{
	return status <= OFFLOAD_SEC_DS_FAILED &&
	       status != OFFLOAD_SEC_DS_NO_RESPONSE &&
	       status != OFFLOAD_SEC_DS_BAD_RESPONSE;
}

static u64 next_tag(struct ofs_dev *ofs)
{
	if (!++ofs->last_tag)
		++ofs->last_tag;
	return ofs->last_tag;
}

static void write_request(struct ofs_dev *ofs, const struct ofs_cmd *cmd,
			  u64 tag)
{
	struct ofs_hw_request __iomem *req = &ofs->mbox->req;

	if (cmd->in_len)
		memcpy_toio(req->in, cmd->in, cmd->in_len);
	writel(cmd->opcode, &req->opcode);
	writel(0, &req->flags);
	writel(cmd->in_len, &req->in_len);
	writel(0, &req->reserved);
	writeq(tag, &req->tag);
}

/*
 * A device that misses a deadline, or answers something other than the
 * request, may still be working on the request: DMA-ing into pages the
 * caller is about to unpin.  Stop it from mastering the bus and never talk
 * to it again.
 */
static void mark_broken(struct ofs_dev *ofs, u32 error)
{
	WRITE_ONCE(ofs->broken, true);
	pci_clear_master(ofs->pdev);
	ofs_nl_changed();
	ofs_nl_device_error(ofs, error);
}

/*
 * The device writes the tag last, so it is read first: once it matches,
 * the rest of the response is complete.
 */
static int read_response(struct ofs_dev *ofs, struct ofs_cmd *cmd, u64 tag)
{
	struct ofs_hw_response __iomem *rsp = &ofs->mbox->rsp;
	struct device *dev = &ofs->pdev->dev;
	u64 rsp_tag;
	u32 status, out_len;

	rsp_tag = readq(&rsp->tag);
	/* Pairs with the device writing the tag after the rest. */
	rmb();
	status = readl(&rsp->status);
	out_len = readl(&rsp->out_len);

	cmd->device_status = OFFLOAD_SEC_DS_BAD_RESPONSE;
	if (rsp_tag != tag) {
		dev_err(dev, "reply to opcode %u has tag %#llx, sent %#llx; device disabled until rebound\n",
			cmd->opcode, rsp_tag, tag);
		mark_broken(ofs, OFFLOAD_SEC_ERR_BAD_RESPONSE);
		return -EIO;
	}
	if (!device_may_send(status) || out_len > cmd->out_size ||
	    out_len > OFS_HW_MBOX_PAYLOAD) {
		dev_err_ratelimited(dev, "malformed reply to opcode %u: status %u, %u bytes (room for %zu)\n",
				    cmd->opcode, status, out_len, cmd->out_size);
		ofs_nl_device_error(ofs, OFFLOAD_SEC_ERR_BAD_RESPONSE);
		return -EIO;
	}

	/* A refusal may carry output too, e.g. the size NO_SPACE needed. */
	cmd->device_status = status;
	if (out_len)
		memcpy_fromio(cmd->out, rsp->out, out_len);
	cmd->out_len = out_len;
	return status_to_errno(status);
}

/**
 * ofs_mbox_disable() - never send the device another command
 * @ofs:	the device; must hold it (ofs_dev_enter())
 * @why:	for the log
 *
 * For a device that may still use memory the driver is about to give
 * back, e.g. one that would not end a session holding destinations.
 */
void ofs_mbox_disable(struct ofs_dev *ofs, const char *why)
{
	lockdep_assert_held(&ofs->present_lock);
	guard(mutex)(&ofs->mbox_lock);
	if (ofs->broken)
		return;
	dev_err(&ofs->pdev->dev, "%s; device disabled until rebound\n", why);
	mark_broken(ofs, OFFLOAD_SEC_ERR_DISABLED);
}

/**
 * ofs_mbox_exec() - run one command on the device and wait for its reply
 * @ofs: the device
 * @cmd: the command; @cmd->out_len and @cmd->device_status are set on
 *	every return
 *
 * Must hold the device (ofs_dev_enter()).  Sleeps uninterruptibly for up
 * to mbox_timeout_ms.
 *
 * Return: 0; the errno matching the device's refusal; -ETIMEDOUT for no
 * reply in time, -EIO for a malformed reply or a disabled device.  A
 * timeout or a reply to another request disables the device.
 */
int ofs_mbox_exec(struct ofs_dev *ofs, struct ofs_cmd *cmd)
{
	unsigned int ms = READ_ONCE(mbox_timeout_ms);
	unsigned long left;
	u64 tag;

	lockdep_assert_held(&ofs->present_lock);
	cmd->out_len = 0;
	cmd->device_status = OFFLOAD_SEC_DS_OK;
	if (cmd->in_len > OFS_HW_MBOX_PAYLOAD)
		return -EINVAL;

	guard(mutex)(&ofs->mbox_lock);
	if (ofs->broken) {
		cmd->device_status = OFFLOAD_SEC_DS_NO_RESPONSE;
		return -EIO;
	}

	tag = next_tag(ofs);
	reinit_completion(&ofs->mbox_done);
	write_request(ofs, cmd, tag);
	/* The device reads the request as soon as the doorbell reaches it. */
	wmb();
	writel((ofs->device_peer << 16) | OFS_HW_VEC_MBOX,
	       ofs->regs + OFS_HW_REG_DOORBELL);

	/*
	 * Not interruptible: the request may name pinned user pages that the
	 * device is reading or writing, and there is no way yet to abort a
	 * command, so the pages must stay pinned until the device answers or
	 * is cut off from the bus.
	 */
	left = wait_for_completion_timeout(&ofs->mbox_done,
					   msecs_to_jiffies(ms));
	if (!left) {
		dev_err(&ofs->pdev->dev,
			"no reply to opcode %u within %u ms; device disabled until rebound\n",
			cmd->opcode, ms);
		mark_broken(ofs, OFFLOAD_SEC_ERR_TIMEOUT);
		cmd->device_status = OFFLOAD_SEC_DS_NO_RESPONSE;
		return -ETIMEDOUT;
	}
	return read_response(ofs, cmd, tag);
}
