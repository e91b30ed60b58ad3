// SPDX-License-Identifier: GPL-2.0
/*
 * Launch sessions.  SESSION_CREATE on the device node opens a session on
 * the card and returns an anon-inode fd for it; the steps of a launch are
 * ioctls on that fd, one handler each, every one of them a translation of
 * the uapi struct into device commands.
 *
 * The card is the authority on a session's state.  The driver keeps only
 * what it needs itself: the card's handle, how many bytes of each
 * component the card has hashed (each MEASURE piece names its offset), the
 * destinations it pinned, and whether the card still holds the session
 * (so that close() sends ABORT exactly when it must: a handle the card has
 * let go of may already name someone else's session).
 *
 * Bulk data is never copied: each MEASURE, LOAD, ATTEST, CONFIRM and
 * GET_CHAIN command carries the caller's own pages, pinned and mapped for
 * that command only; long buffers are cut into pieces of at most
 * OFFLOAD_SEC_PIECE_MAX bytes, so nothing the kernel allocates grows with
 * the size of an image.  Destinations stay pinned and mapped for the
 * session's life, because the card scrubs them when a launch fails.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "offload_sec.h"

static_assert(sizeof(struct offload_sec_session_create) == 64);
static_assert(offsetof(struct offload_sec_session_create, session_id) == 16);
static_assert(sizeof(struct offload_sec_get_chain) == 48);
static_assert(offsetof(struct offload_sec_measure, measured) == 32);
static_assert(sizeof(struct offload_sec_measure) == 88);
static_assert(offsetof(struct offload_sec_attest, nonce) == 24);
static_assert(offsetof(struct offload_sec_attest, reserved) == 160);
static_assert(sizeof(struct offload_sec_attest) == 176);
static_assert(sizeof(struct offload_sec_confirm) == 40);
static_assert(sizeof(struct offload_sec_set_dest) == 48);
static_assert(offsetof(struct offload_sec_load, loaded) == 32);
static_assert(sizeof(struct offload_sec_load) == 64);
static_assert(offsetof(struct offload_sec_finish, loaded) == 40);
static_assert(sizeof(struct offload_sec_finish) == 80);

static_assert(sizeof(struct ofs_hw_session_create) == 16);
static_assert(sizeof(struct ofs_hw_session) == 24);
static_assert(sizeof(struct ofs_hw_measure) == 48);
static_assert(sizeof(struct ofs_hw_measure_out) == 40);
static_assert(offsetof(struct ofs_hw_attest, report) == 144);
static_assert(sizeof(struct ofs_hw_attest) == 168);
static_assert(sizeof(struct ofs_hw_blob_out) == 16);
static_assert(sizeof(struct ofs_hw_get_chain) == 24);
static_assert(sizeof(struct ofs_hw_confirm) == 32);
static_assert(sizeof(struct ofs_hw_set_dest) == 32);
static_assert(sizeof(struct ofs_hw_load) == 32);
static_assert(sizeof(struct ofs_hw_load_out) == 16);
static_assert(sizeof(struct ofs_hw_session_ref) == 8);
static_assert(sizeof(struct ofs_hw_receipt) == 64);

/* The uapi and the card name the same things with the same numbers. */
static_assert(OFFLOAD_SEC_NUM_COMPONENTS == OFS_HW_NUM_COMPONENTS);
static_assert(OFFLOAD_SEC_COMPONENT_KERNEL == OFS_HW_COMPONENT_KERNEL);
static_assert(OFFLOAD_SEC_COMPONENT_INITRD == OFS_HW_COMPONENT_INITRD);
static_assert(OFFLOAD_SEC_COMPONENT_CMDLINE == OFS_HW_COMPONENT_CMDLINE);
static_assert(OFFLOAD_SEC_SESSION_ID_LEN == OFS_HW_SESSION_ID_LEN);
static_assert(OFFLOAD_SEC_NONCE_LEN == OFS_HW_NONCE_LEN);
static_assert(OFFLOAD_SEC_P384_POINT_LEN == OFS_HW_P384_POINT_LEN);
static_assert(OFFLOAD_SEC_MEASURE_FINAL == OFS_HW_MEASURE_FINAL);
static_assert(sizeof(((struct offload_sec_finish *)0)->mac) ==
	      sizeof(((struct ofs_hw_receipt *)0)->mac));
/* A piece is mapped by ofs_dma_map_user(), which takes this much. */
static_assert(OFFLOAD_SEC_PIECE_MAX <= OFFLOAD_SEC_DMA_SELFTEST_MAX);
static_assert(OFFLOAD_SEC_PIECE_MAX >=
	      OFFLOAD_SEC_CHUNK_MAX + OFFLOAD_SEC_RECORD_OVERHEAD);

/**
 * struct ofs_session - one launch session, the private data of its fd
 * @ofs:	the card; the session holds a reference.
 * @node:	in @ofs->sessions, under @ofs->sessions_lock.
 * @lock:	serialises the session's ioctls.
 * @handle:	the card's name for the session.
 * @chunk_size:	chunk size of the session's streams.
 * @live:	the card holds the session, so it must be ABORTed at the end.
 * @measured:	bytes of each component the card has hashed.
 * @dest:	pinned, mapped destinations, by component.
 *
 * @live and @dest change only with @lock held and the device entered, or
 * with @ofs->present_lock held for writing (remove).
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
};

static struct device *dma_dev(struct ofs_session *s)
{
	return &s->ofs->pdev->dev;
}

/* A reply of the wrong size: the command is over, but its answer unusable. */
static int bad_reply(struct ofs_dev *ofs, const char *what, size_t len,
		     u32 *device_status)
{
	dev_err_ratelimited(&ofs->pdev->dev, "bad %s reply: %zu bytes\n",
			    what, len);
	*device_status = OFFLOAD_SEC_DS_BAD_RESPONSE;
	return -EIO;
}

/*
 * Start a command of a session the card holds.  Return: 0 with the device
 * entered; -ENODEV once it was removed; -EBADFD once the session ended.
 */
static int session_enter(struct ofs_session *s)
{
	int ret;

	ret = ofs_dev_enter(s->ofs);
	if (ret)
		return ret;
	if (!s->live) {
		ofs_dev_leave(s->ofs);
		return -EBADFD;
	}
	return 0;
}

/* Must hold s->lock and the device entered. */
static int session_exec(struct ofs_session *s, struct ofs_cmd *cmd)
{
	int ret = ofs_mbox_exec(s->ofs, cmd);

	/* The card forgot it (device reset): never ABORT that handle. */
	if (cmd->device_status == OFFLOAD_SEC_DS_NO_SESSION)
		s->live = false;
	return ret;
}

static void release_dests(struct ofs_session *s)
{
	unsigned int c;

	for (c = 0; c < OFFLOAD_SEC_NUM_COMPONENTS; c++) {
		ofs_dma_unmap_user(&s->dest[c]);
		s->dest[c].len = 0;
	}
}

/*
 * ABORT, then give the destinations back: in this order, because the
 * card scrubs them on ABORT.  A card that does not confirm the ABORT may
 * still hold them, so it is cut off the bus before the pages go.
 *
 * Must hold the device (with s->lock, or present_lock for writing).
 */
static void session_end(struct ofs_session *s)
{
	struct ofs_hw_session_ref req = { .handle = cpu_to_le32(s->handle) };
	struct ofs_cmd cmd = {
		.opcode = OFS_HW_OP_ABORT,
		.in = &req,
		.in_len = sizeof(req),
	};
	int ret;

	if (s->live) {
		s->live = false;
		ret = ofs_mbox_exec(s->ofs, &cmd);
		if (ret && cmd.device_status != OFFLOAD_SEC_DS_NO_SESSION)
			ofs_mbox_disable(s->ofs, "a session could not be aborted");
	}
	release_dests(s);
}

/* Ends the session if the card still has it, and frees it. */
static void session_destroy(struct ofs_session *s)
{
	struct ofs_dev *ofs = s->ofs;

	/* Once the card is removed, remove has ended every session. */
	if (!ofs_dev_enter(ofs)) {
		session_end(s);
		ofs_dev_leave(ofs);
	}

	mutex_lock(&ofs->sessions_lock);
	if (!list_empty(&s->node)) {
		list_del_init(&s->node);
		ofs->nr_sessions--;
	}
	mutex_unlock(&ofs->sessions_lock);

	mutex_destroy(&s->lock);
	kfree(s);
	ofs_dev_put(ofs);
}

/**
 * ofs_sessions_remove() - end every session of a card being removed
 * @ofs: the card, still present
 *
 * Must hold @ofs->present_lock for writing: no session ioctl is running,
 * and none starts before the card is marked absent.  The fds stay open;
 * their ioctls then fail with ENODEV.
 */
void ofs_sessions_remove(struct ofs_dev *ofs)
{
	struct ofs_session *s;

	lockdep_assert_held_write(&ofs->present_lock);
	guard(mutex)(&ofs->sessions_lock);
	list_for_each_entry(s, &ofs->sessions, node)
		session_end(s);
}

/* ---- one handler per ioctl; each runs with s->lock held ---- */

static int measure_piece(struct ofs_session *s, struct offload_sec_measure *m,
			 u64 addr, u64 len, bool final)
{
	u32 c = m->component;
	struct ofs_hw_measure req = {
		.handle = cpu_to_le32(s->handle),
		.component = cpu_to_le32(c),
		.flags = cpu_to_le32(final ? OFS_HW_MEASURE_FINAL : 0),
		.offset = cpu_to_le64(s->measured[c]),
	};
	struct ofs_hw_measure_out rsp = {};
	struct ofs_cmd cmd = {
		.opcode = OFS_HW_OP_MEASURE,
		.in = &req,
		.in_len = sizeof(req),
		.out = &rsp,
		.out_size = sizeof(rsp),
	};
	struct ofs_dma_buf src;
	int ret;

	ret = session_enter(s);
	if (ret)
		return ret;
	ret = ofs_dma_map_user(dma_dev(s), &src, addr, len, DMA_TO_DEVICE);
	if (ret)
		goto leave;
	ofs_dma_sg_list(&src, &req.src);

	ret = session_exec(s, &cmd);
	m->mbox_commands++;
	m->device_status = cmd.device_status;
	if (!ret && (cmd.out_len != sizeof(rsp) ||
		     le64_to_cpu(rsp.measured) != s->measured[c] + len))
		ret = bad_reply(s->ofs, "MEASURE", cmd.out_len,
				&m->device_status);
	if (!ret) {
		s->measured[c] += len;
		m->measured = s->measured[c];
		if (final)
			memcpy(m->sha256, rsp.sha256, sizeof(m->sha256));
	}
	ofs_dma_unmap_user(&src);
leave:
	ofs_dev_leave(s->ofs);
	return ret;
}

static int do_measure(struct ofs_session *s, struct offload_sec_measure *m)
{
	bool want_final = m->flags & OFFLOAD_SEC_MEASURE_FINAL;
	u64 done = 0, piece;
	int ret;

	if (m->flags & ~OFFLOAD_SEC_MEASURE_FINAL)
		return -EOPNOTSUPP;
	if (memchr_inv(m->reserved, 0, sizeof(m->reserved)) ||
	    m->component >= OFFLOAD_SEC_NUM_COMPONENTS)
		return -EINVAL;
	m->measured = s->measured[m->component];

	/* An empty call measures nothing, unless it is the FINAL one. */
	if (!m->len && !want_final) {
		ret = session_enter(s);
		if (!ret)
			ofs_dev_leave(s->ofs);
		return ret;
	}
	do {
		piece = min_t(u64, m->len - done, OFFLOAD_SEC_PIECE_MAX);
		/* Between two commands the device is idle: stop for a kill. */
		if (done && fatal_signal_pending(current))
			return -EINTR;
		ret = measure_piece(s, m, m->addr + done, piece,
				    want_final && done + piece == m->len);
		if (ret)
			return ret;
		done += piece;
	} while (done < m->len);
	return 0;
}

/*
 * ATTEST and GET_CHAIN write a blob into a caller's buffer and answer its
 * size, or with NO_SPACE the size they need.
 */
static int blob_reply(struct ofs_dev *ofs, const char *what, int ret,
		      const struct ofs_cmd *cmd, u32 *device_status)
{
	if ((ret && ret != -ENOSPC) || cmd->out_len == sizeof(struct ofs_hw_blob_out))
		return ret;
	return bad_reply(ofs, what, cmd->out_len, device_status);
}

static int do_attest(struct ofs_session *s, struct offload_sec_attest *a)
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

	ret = session_enter(s);
	if (ret)
		return ret;
	ret = ofs_dma_map_user(dma_dev(s), &report, a->report, cap,
			       DMA_FROM_DEVICE);
	if (ret)
		goto leave;
	memcpy(req.nonce, a->nonce, sizeof(req.nonce));
	memcpy(req.host_pub, a->host_pub, sizeof(req.host_pub));
	ofs_dma_sg_list(&report, &req.report);

	ret = session_exec(s, &cmd);
	a->device_status = cmd.device_status;
	ret = blob_reply(s->ofs, "ATTEST", ret, &cmd, &a->device_status);
	if (!ret && le32_to_cpu(rsp.len[0]) > cap)
		ret = bad_reply(s->ofs, "ATTEST", cmd.out_len,
				&a->device_status);
	if (!ret || ret == -ENOSPC)
		a->report_len = le32_to_cpu(rsp.len[0]);
	ofs_dma_unmap_user(&report);
leave:
	ofs_dev_leave(s->ofs);
	return ret;
}

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
		ret = bad_reply(ofs, "GET_CHAIN", cmd.out_len,
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

static int do_confirm(struct ofs_session *s, struct offload_sec_confirm *c)
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

	ret = session_enter(s);
	if (ret)
		return ret;
	ret = ofs_dma_map_user(dma_dev(s), &conf, c->addr, c->len,
			       DMA_TO_DEVICE);
	if (ret)
		goto leave;
	ofs_dma_sg_list(&conf, &req.confirmation);
	ret = session_exec(s, &cmd);
	c->device_status = cmd.device_status;
	ofs_dma_unmap_user(&conf);
leave:
	ofs_dev_leave(s->ofs);
	return ret;
}

static int do_set_dest(struct ofs_session *s, struct offload_sec_set_dest *d)
{
	struct ofs_hw_set_dest req = {
		.handle = cpu_to_le32(s->handle),
		.component = cpu_to_le32(d->component),
	};
	struct ofs_cmd cmd = {
		.opcode = OFS_HW_OP_SET_DEST,
		.in = &req,
		.in_len = sizeof(req),
	};
	struct ofs_dma_buf *dest;
	int ret;

	if (d->flags)
		return -EOPNOTSUPP;
	if (d->reserved0 || memchr_inv(d->reserved, 0, sizeof(d->reserved)) ||
	    d->component >= OFFLOAD_SEC_NUM_COMPONENTS)
		return -EINVAL;
	dest = &s->dest[d->component];
	if (dest->len)
		return -EEXIST;

	ret = session_enter(s);
	if (ret)
		return ret;
	ret = ofs_dma_map_dest(dma_dev(s), dest, d->addr, d->len);
	if (ret)
		goto leave;
	ofs_dma_sg_list(dest, &req.dest);
	ret = session_exec(s, &cmd);
	d->device_status = cmd.device_status;
	/* Refused, or the device is cut off: it will not write them. */
	if (ret) {
		ofs_dma_unmap_user(dest);
		dest->len = 0;
	}
leave:
	ofs_dev_leave(s->ofs);
	return ret;
}

static int load_piece(struct ofs_session *s, struct offload_sec_load *l,
		      u64 addr, u64 len)
{
	struct ofs_hw_load req = {
		.handle = cpu_to_le32(s->handle),
		.component = cpu_to_le32(l->component),
	};
	struct ofs_hw_load_out rsp = {};
	struct ofs_cmd cmd = {
		.opcode = OFS_HW_OP_LOAD,
		.in = &req,
		.in_len = sizeof(req),
		.out = &rsp,
		.out_size = sizeof(rsp),
	};
	struct ofs_dma_buf src;
	int ret;

	ret = session_enter(s);
	if (ret)
		return ret;
	ret = ofs_dma_map_user(dma_dev(s), &src, addr, len, DMA_TO_DEVICE);
	if (ret)
		goto leave;
	ofs_dma_sg_list(&src, &req.src);

	ret = session_exec(s, &cmd);
	l->mbox_commands++;
	l->device_status = cmd.device_status;
	if (!ret && cmd.out_len != sizeof(rsp))
		ret = bad_reply(s->ofs, "LOAD", cmd.out_len, &l->device_status);
	if (!ret) {
		l->loaded = le64_to_cpu(rsp.loaded);
		l->complete = !!le32_to_cpu(rsp.complete);
	}
	ofs_dma_unmap_user(&src);
leave:
	ofs_dev_leave(s->ofs);
	return ret;
}

static int do_load(struct ofs_session *s, struct offload_sec_load *l)
{
	u64 record = (u64)s->chunk_size + OFFLOAD_SEC_RECORD_OVERHEAD;
	/* As many whole records per command as a piece holds. */
	u64 per_cmd = OFFLOAD_SEC_PIECE_MAX / record * record;
	u64 tail = l->len % record, done = 0, piece;
	int ret;

	if (l->flags)
		return -EOPNOTSUPP;
	if (l->reserved0 || memchr_inv(l->reserved, 0, sizeof(l->reserved)) ||
	    l->component >= OFFLOAD_SEC_NUM_COMPONENTS)
		return -EINVAL;
	/* Whole records only: every one but the last is exactly full. */
	if (!l->len || (tail && tail < OFFLOAD_SEC_RECORD_OVERHEAD))
		return -EINVAL;
	l->loaded = 0;
	l->complete = 0;

	while (done < l->len) {
		piece = min(l->len - done, per_cmd);
		if (done && fatal_signal_pending(current))
			return -EINTR;
		ret = load_piece(s, l, l->addr + done, piece);
		if (ret)
			return ret;
		done += piece;
	}
	return 0;
}

/* Statuses with which FINISH has ended the session on the card. */
static bool finish_ended(u32 status)
{
	return status == OFFLOAD_SEC_DS_OK ||
	       status == OFFLOAD_SEC_DS_INCOMPLETE ||
	       status == OFFLOAD_SEC_DS_DIGEST_MISMATCH;
}

static int do_finish(struct ofs_session *s, struct offload_sec_finish *f)
{
	struct ofs_hw_session_ref req = { .handle = cpu_to_le32(s->handle) };
	struct ofs_hw_receipt rsp = {};
	struct ofs_cmd cmd = {
		.opcode = OFS_HW_OP_FINISH,
		.in = &req,
		.in_len = sizeof(req),
		.out = &rsp,
		.out_size = sizeof(rsp),
	};
	unsigned int c;
	int ret;

	if (f->flags)
		return -EOPNOTSUPP;
	if (memchr_inv(f->reserved, 0, sizeof(f->reserved)))
		return -EINVAL;

	ret = session_enter(s);
	if (ret)
		return ret;
	ret = session_exec(s, &cmd);
	f->device_status = cmd.device_status;
	if (!ret && cmd.out_len != sizeof(rsp))
		ret = bad_reply(s->ofs, "FINISH", cmd.out_len,
				&f->device_status);
	if (!ret) {
		memcpy(f->mac, rsp.mac, sizeof(f->mac));
		for (c = 0; c < OFFLOAD_SEC_NUM_COMPONENTS; c++)
			f->loaded[c] = le64_to_cpu(rsp.loaded[c]);
	}
	/*
	 * Over on the card, either way: the destinations are the caller's
	 * again (unmapping copies any bounce buffer back), and there is
	 * nothing left to ABORT.
	 */
	if (finish_ended(cmd.device_status)) {
		s->live = false;
		release_dests(s);
	}
	ofs_dev_leave(s->ofs);
	return ret;
}

union session_arg {
	struct offload_sec_measure measure;
	struct offload_sec_attest attest;
	struct offload_sec_confirm confirm;
	struct offload_sec_set_dest set_dest;
	struct offload_sec_load load;
	struct offload_sec_finish finish;
};

static int session_dispatch(struct ofs_session *s, unsigned int cmd,
			    union session_arg *a)
{
	switch (cmd) {
	case OFFLOAD_SEC_IOC_MEASURE:
		return do_measure(s, &a->measure);
	case OFFLOAD_SEC_IOC_ATTEST:
		return do_attest(s, &a->attest);
	case OFFLOAD_SEC_IOC_CONFIRM:
		return do_confirm(s, &a->confirm);
	case OFFLOAD_SEC_IOC_SET_DEST:
		return do_set_dest(s, &a->set_dest);
	case OFFLOAD_SEC_IOC_LOAD:
		return do_load(s, &a->load);
	case OFFLOAD_SEC_IOC_FINISH:
		return do_finish(s, &a->finish);
	default:
		return -ENOTTY;
	}
}

static long session_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct ofs_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	size_t size = _IOC_SIZE(cmd);
	union session_arg a;
	long ret;

	switch (cmd) {
	case OFFLOAD_SEC_IOC_GET_CHAIN:
		return ofs_get_chain(s->ofs, uarg);
	case OFFLOAD_SEC_IOC_MEASURE:
	case OFFLOAD_SEC_IOC_ATTEST:
	case OFFLOAD_SEC_IOC_CONFIRM:
	case OFFLOAD_SEC_IOC_SET_DEST:
	case OFFLOAD_SEC_IOC_LOAD:
	case OFFLOAD_SEC_IOC_FINISH:
		break;
	default:
		return -ENOTTY;
	}

	if (copy_from_user(&a, uarg, size))
		return -EFAULT;
	ret = mutex_lock_killable(&s->lock);
	if (ret)
		return ret;
	ret = session_dispatch(s, cmd, &a);
	mutex_unlock(&s->lock);

	/* Also on failure, so that the caller sees device_status. */
	if (copy_to_user(uarg, &a, size))
		return -EFAULT;
	return ret;
}

static int session_release(struct inode *inode, struct file *file)
{
	session_destroy(file->private_data);
	return 0;
}

static const struct file_operations session_fops = {
	.owner = THIS_MODULE,
	.release = session_release,
	.unlocked_ioctl = session_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static bool chunk_size_ok(u32 size)
{
	return !size || (is_power_of_2(size) && size >= OFFLOAD_SEC_CHUNK_MIN &&
			 size <= OFFLOAD_SEC_CHUNK_MAX);
}

/* Opens the session on the card and lists it, so that remove finds it. */
static int open_on_device(struct ofs_session *s,
			  struct offload_sec_session_create *arg)
{
	struct ofs_dev *ofs = s->ofs;
	struct ofs_hw_session_create req = {
		.chunk_size = cpu_to_le32(arg->chunk_size),
	};
	struct ofs_hw_session rsp = {};
	struct ofs_cmd cmd = {
		.opcode = OFS_HW_OP_SESSION_CREATE,
		.in = &req,
		.in_len = sizeof(req),
		.out = &rsp,
		.out_size = sizeof(rsp),
	};
	int ret;

	ret = ofs_dev_enter(ofs);
	if (ret)
		return ret;
	ret = ofs_mbox_exec(ofs, &cmd);
	arg->device_status = cmd.device_status;
	if (!ret && cmd.out_len != sizeof(rsp))
		ret = bad_reply(ofs, "SESSION_CREATE", cmd.out_len,
				&arg->device_status);
	if (!ret) {
		s->handle = le32_to_cpu(rsp.handle);
		s->live = true;
		memcpy(arg->session_id, rsp.session_id,
		       sizeof(arg->session_id));
		mutex_lock(&ofs->sessions_lock);
		list_add_tail(&s->node, &ofs->sessions);
		ofs->nr_sessions++;
		mutex_unlock(&ofs->sessions_lock);
	}
	ofs_dev_leave(ofs);
	return ret;
}

static struct ofs_session *session_alloc(struct ofs_dev *ofs, u32 chunk_size)
{
	struct ofs_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	ofs_dev_get(ofs);
	s->ofs = ofs;
	INIT_LIST_HEAD(&s->node);
	mutex_init(&s->lock);
	s->chunk_size = chunk_size ? chunk_size : OFFLOAD_SEC_CHUNK_DEFAULT;
	return s;
}

/**
 * ofs_session_create() - OFFLOAD_SEC_IOC_SESSION_CREATE
 * @ofs:	the card
 * @uarg:	struct offload_sec_session_create
 *
 * Return: 0 with the new fd in @uarg->fd, or a negative errno.
 */
long ofs_session_create(struct ofs_dev *ofs,
			struct offload_sec_session_create __user *uarg)
{
	struct offload_sec_session_create arg;
	struct ofs_session *s;
	struct file *file;
	int fd, ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags)
		return -EOPNOTSUPP;
	if (memchr_inv(arg.reserved, 0, sizeof(arg.reserved)) ||
	    !chunk_size_ok(arg.chunk_size))
		return -EINVAL;
	arg.device_status = OFFLOAD_SEC_DS_OK;
	arg.fd = -1;
	memset(arg.session_id, 0, sizeof(arg.session_id));

	s = session_alloc(ofs, arg.chunk_size);
	if (!s)
		return -ENOMEM;
	ret = open_on_device(s, &arg);
	if (ret)
		goto destroy;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto destroy;
	}
	file = anon_inode_getfile("[offload-sec-session]", &session_fops, s,
				  O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		ret = PTR_ERR(file);
		goto destroy;
	}

	arg.fd = fd;
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		put_unused_fd(fd);
		/* The release ends the session. */
		fput(file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;

destroy:
	session_destroy(s);
	arg.fd = -1;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	return ret;
}
