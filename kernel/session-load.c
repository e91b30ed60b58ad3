// SPDX-License-Identifier: GPL-2.0
/*
 * The image side of a launch session: MEASURE (hash a component from the
 * caller's buffer), SET_DEST (pin where a component is to go, for the
 * session's life), LOAD (stream encrypted records to the card, which
 * decrypts them into the destination) and FINISH (the card's receipt).
 * MEASURE and LOAD cut long buffers into pieces of at most
 * OFFLOAD_SEC_PIECE_MAX bytes, one command each.
 */
#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/string.h>

#include "offload_sec.h"

static_assert(offsetof(struct offload_sec_measure, measured) == 32);
static_assert(sizeof(struct offload_sec_measure) == 88);
static_assert(sizeof(struct offload_sec_set_dest) == 48);
static_assert(offsetof(struct offload_sec_load, loaded) == 32);
static_assert(sizeof(struct offload_sec_load) == 64);
static_assert(offsetof(struct offload_sec_finish, loaded) == 40);
static_assert(sizeof(struct offload_sec_finish) == 80);

static_assert(sizeof(struct ofs_hw_measure) == 48);
static_assert(sizeof(struct ofs_hw_measure_out) == 40);
static_assert(sizeof(struct ofs_hw_set_dest) == 32);
static_assert(sizeof(struct ofs_hw_load) == 32);
static_assert(sizeof(struct ofs_hw_load_out) == 16);
static_assert(sizeof(struct ofs_hw_receipt) == 64);

/* The uapi and the card name the same things with the same numbers. */
static_assert(OFFLOAD_SEC_NUM_COMPONENTS == OFS_HW_NUM_COMPONENTS);
static_assert(OFFLOAD_SEC_COMPONENT_KERNEL == OFS_HW_COMPONENT_KERNEL);
static_assert(OFFLOAD_SEC_COMPONENT_INITRD == OFS_HW_COMPONENT_INITRD);
static_assert(OFFLOAD_SEC_COMPONENT_CMDLINE == OFS_HW_COMPONENT_CMDLINE);
static_assert(OFFLOAD_SEC_MEASURE_FINAL == OFS_HW_MEASURE_FINAL);
static_assert(sizeof(((struct offload_sec_finish *)0)->mac) ==
	      sizeof(((struct ofs_hw_receipt *)0)->mac));
/* A piece is mapped by ofs_dma_map_user(), which takes this much. */
static_assert(OFFLOAD_SEC_PIECE_MAX <= OFFLOAD_SEC_DMA_SELFTEST_MAX);
static_assert(OFFLOAD_SEC_PIECE_MAX >=
	      OFFLOAD_SEC_CHUNK_MAX + OFFLOAD_SEC_RECORD_OVERHEAD);

/* Must hold s->lock. */
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

	ret = ofs_session_enter_buf(s, &src, &req.src, addr, len,
				    DMA_TO_DEVICE);
	if (ret)
		return ret;
	ret = ofs_session_exec(s, &cmd);
	m->mbox_commands++;
	m->device_status = cmd.device_status;
	if (!ret && (cmd.out_len != sizeof(rsp) ||
		     le64_to_cpu(rsp.measured) != s->measured[c] + len))
		ret = ofs_bad_reply(s->ofs, "MEASURE", cmd.out_len,
				    &m->device_status);
	if (!ret) {
		WRITE_ONCE(s->measured[c], s->measured[c] + len);
		m->measured = s->measured[c];
		if (final)
			memcpy(m->sha256, rsp.sha256, sizeof(m->sha256));
	}
	ofs_session_leave_buf(s, &src);
	return ret;
}

/* OFFLOAD_SEC_IOC_MEASURE.  Must hold s->lock. */
int ofs_session_measure(struct ofs_session *s, struct offload_sec_measure *m)
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
		ret = ofs_session_enter(s);
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

/* OFFLOAD_SEC_IOC_SET_DEST.  Must hold s->lock. */
int ofs_session_set_dest(struct ofs_session *s, struct offload_sec_set_dest *d)
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

	/* Not a command's buffer: mapped for the session's life. */
	ret = ofs_session_enter(s);
	if (ret)
		return ret;
	ret = ofs_dma_map_dest(&s->ofs->pdev->dev, dest, d->addr, d->len);
	if (ret)
		goto leave;
	ofs_dma_sg_list(dest, &req.dest);
	ret = ofs_session_exec(s, &cmd);
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

/* Must hold s->lock. */
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

	ret = ofs_session_enter_buf(s, &src, &req.src, addr, len,
				    DMA_TO_DEVICE);
	if (ret)
		return ret;
	ret = ofs_session_exec(s, &cmd);
	l->mbox_commands++;
	l->device_status = cmd.device_status;
	if (!ret && cmd.out_len != sizeof(rsp))
		ret = ofs_bad_reply(s->ofs, "LOAD", cmd.out_len,
				    &l->device_status);
	if (!ret) {
		l->loaded = le64_to_cpu(rsp.loaded);
		l->complete = !!le32_to_cpu(rsp.complete);
		WRITE_ONCE(s->loaded[l->component], l->loaded);
	}
	ofs_session_leave_buf(s, &src);
	return ret;
}

/* OFFLOAD_SEC_IOC_LOAD.  Must hold s->lock. */
int ofs_session_load(struct ofs_session *s, struct offload_sec_load *l)
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

/* OFFLOAD_SEC_IOC_FINISH.  Must hold s->lock. */
int ofs_session_finish(struct ofs_session *s, struct offload_sec_finish *f)
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

	ret = ofs_session_enter(s);
	if (ret)
		return ret;
	ret = ofs_session_exec(s, &cmd);
	f->device_status = cmd.device_status;
	if (!ret && cmd.out_len != sizeof(rsp))
		ret = ofs_bad_reply(s->ofs, "FINISH", cmd.out_len,
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
		ofs_session_release_dests(s);
	}
	ofs_dev_leave(s->ofs);
	return ret;
}
