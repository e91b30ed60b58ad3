// SPDX-License-Identifier: GPL-2.0
/*
 * The handshake of a launch session: ATTEST (the card's signed report on
 * the session, into the caller's buffer), GET_CHAIN (the certificates
 * that vouch for its key, on the device node too) and CONFIRM (the
 * owner's answer to the report).  Each command carries the caller's
 * buffer, mapped for that command only.
 */
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "offload_sec.h"

static_assert(sizeof(struct offload_sec_get_chain) == 48);
static_assert(offsetof(struct offload_sec_attest, nonce) == 24);
static_assert(offsetof(struct offload_sec_attest, reserved) == 160);
static_assert(sizeof(struct offload_sec_attest) == 176);
static_assert(sizeof(struct offload_sec_confirm) == 40);

static_assert(offsetof(struct ofs_hw_attest, report) == 144);
static_assert(sizeof(struct ofs_hw_attest) == 168);
static_assert(sizeof(struct ofs_hw_blob_out) == 16);
static_assert(sizeof(struct ofs_hw_get_chain) == 24);
static_assert(sizeof(struct ofs_hw_confirm) == 32);

/* The uapi and the card name the same things with the same numbers. */
static_assert(OFFLOAD_SEC_NONCE_LEN == OFS_HW_NONCE_LEN);
static_assert(OFFLOAD_SEC_P384_POINT_LEN == OFS_HW_P384_POINT_LEN);

/*
 * ATTEST and GET_CHAIN write a blob into a caller's buffer and answer its
 * size, or with NO_SPACE the size they need.
 */
static int blob_reply(struct ofs_dev *ofs, const char *what, int ret,
		      const struct ofs_cmd *cmd, u32 *device_status)
{
	if ((ret && ret != -ENOSPC) || cmd->out_len == sizeof(struct ofs_hw_blob_out))
		return ret;
	return ofs_bad_reply(ofs, what, cmd->out_len, device_status);
}

/* OFFLOAD_SEC_IOC_ATTEST.  Must hold s->lock. */
int ofs_session_attest(struct ofs_session *s, struct offload_sec_attest *a)
{
	u32 cap = min_t(u32, a->report_len, OFFLOAD_SEC_BLOB_MAX);
	struct ofs_hw_attest req = { .handle = cpu_to_le32(s->handle) };
	struct ofs_hw_blob_out rsp = {};
	struct ofs_cmd cmd = {
		.opcode = OFS_HW_OP_ATTEST,
		.in = &req,
		.in_len = sizeof(req),
		.out = &rsp,
		.out_size = sizeof(rsp),
	};
	struct ofs_dma_buf report;
	int ret;

	if (a->flags)
		return -EOPNOTSUPP;
	if (a->reserved0 || memchr_inv(a->pad, 0, sizeof(a->pad)) ||
	    memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	a->report_len = 0;

	ret = ofs_session_enter_buf(s, &report, &req.report, a->report, cap,
				    DMA_FROM_DEVICE);
	if (ret)
		return ret;
	memcpy(req.nonce, a->nonce, sizeof(req.nonce));
	memcpy(req.host_pub, a->host_pub, sizeof(req.host_pub));

	ret = ofs_session_exec(s, &cmd);
	a->device_status = cmd.device_status;
	ret = blob_reply(s->ofs, "ATTEST", ret, &cmd, &a->device_status);
	if (!ret && le32_to_cpu(rsp.len[0]) > cap)
		ret = ofs_bad_reply(s->ofs, "ATTEST", cmd.out_len,
				    &a->device_status);
	if (!ret || ret == -ENOSPC)
		a->report_len = le32_to_cpu(rsp.len[0]);
	ofs_session_leave_buf(s, &report);
	return ret;
}

/* Must hold the device (ofs_dev_enter()). */
static int run_get_chain(struct ofs_dev *ofs, struct offload_sec_get_chain *g)
{
	u32 cap = min_t(u32, g->buf_len, OFFLOAD_SEC_BLOB_MAX);
	struct ofs_hw_get_chain req = {};
	struct ofs_hw_blob_out rsp = {};
	struct ofs_cmd cmd = {
		.opcode = OFS_HW_OP_GET_CHAIN,
		.in = &req,
		.in_len = sizeof(req),
		.out = &rsp,
		.out_size = sizeof(rsp),
	};
	struct ofs_dma_buf buf;
	u64 total;
	int ret;

	ret = ofs_dma_map_user(&ofs->pdev->dev, &buf, g->buf, cap,
			       DMA_FROM_DEVICE);
	if (ret)
		return ret;
	ofs_dma_sg_list(&buf, &req.out);

	ret = ofs_mbox_exec(ofs, &cmd);
	g->device_status = cmd.device_status;
	ret = blob_reply(ofs, "GET_CHAIN", ret, &cmd, &g->device_status);
	total = (u64)le32_to_cpu(rsp.len[0]) + le32_to_cpu(rsp.len[1]);
	if ((!ret && total > cap) || (ret == -ENOSPC && total > U32_MAX))
		ret = ofs_bad_reply(ofs, "GET_CHAIN", cmd.out_len,
				    &g->device_status);
	if (!ret || ret == -ENOSPC) {
		g->deviceid_len = le32_to_cpu(rsp.len[0]);
		g->alias_len = le32_to_cpu(rsp.len[1]);
		g->buf_len = total;
	}
	ofs_dma_unmap_user(&buf);
	return ret;
}

/**
 * ofs_get_chain() - OFFLOAD_SEC_IOC_GET_CHAIN, on the device or a session
 * @ofs:	the card
 * @uarg:	struct offload_sec_get_chain
 *
 * Return: 0 or a negative errno; the struct is copied back either way.
 */
long ofs_get_chain(struct ofs_dev *ofs,
		   struct offload_sec_get_chain __user *uarg)
{
	struct offload_sec_get_chain g;
	int ret;

	if (copy_from_user(&g, uarg, sizeof(g)))
		return -EFAULT;
	if (g.flags)
		return -EOPNOTSUPP;
	if (g.reserved0 || memchr_inv(g.reserved, 0, sizeof(g.reserved)))
		return -EINVAL;
	g.device_status = OFFLOAD_SEC_DS_OK;
	g.deviceid_len = 0;
	g.alias_len = 0;

	ret = ofs_dev_enter(ofs);
	if (ret)
		return ret;
	ret = run_get_chain(ofs, &g);
	if (ret && ret != -ENOSPC)
		g.buf_len = 0;
	ofs_dev_leave(ofs);

	if (copy_to_user(uarg, &g, sizeof(g)))
		return -EFAULT;
	return ret;
}

/* OFFLOAD_SEC_IOC_CONFIRM.  Must hold s->lock. */
int ofs_session_confirm(struct ofs_session *s, struct offload_sec_confirm *c)
{
	struct ofs_hw_confirm req = { .handle = cpu_to_le32(s->handle) };
	struct ofs_cmd cmd = {
		.opcode = OFS_HW_OP_CONFIRM,
		.in = &req,
		.in_len = sizeof(req),
	};
	struct ofs_dma_buf conf;
	int ret;

	if (c->flags)
		return -EOPNOTSUPP;
	if (c->reserved0 || memchr_inv(c->reserved, 0, sizeof(c->reserved)) ||
	    !c->len || c->len > OFFLOAD_SEC_BLOB_MAX)
		return -EINVAL;

	ret = ofs_session_enter_buf(s, &conf, &req.confirmation, c->addr,
				    c->len, DMA_TO_DEVICE);
	if (ret)
		return ret;
	ret = ofs_session_exec(s, &cmd);
	c->device_status = cmd.device_status;
	ofs_session_leave_buf(s, &conf);
	return ret;
}
