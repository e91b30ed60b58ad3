// SPDX-License-Identifier: MIT
/*
 * One mailbox command, as pure logic: no sockets, no event loop.
 *
 * The mailbox lives in memory the host shares with us and may rewrite at
 * any time, so the request is copied out once and only the copy is looked
 * at.  The response is published in the order hw.h fixes: payload, status
 * and length first, then (after a release fence) the tag, which the driver
 * polls.
 */
#include <endian.h>
#include <stdatomic.h>
#include <string.h>

#include "emu.h"

typedef uint32_t (*handler_fn)(const struct emu_device *dev, const void *in,
			       void *out, uint32_t *out_len);

struct command {
	uint32_t opcode;
	uint32_t in_len;	/* exact size of the input */
	handler_fn handler;
};

static const struct command commands[] = {
	{ OFS_HW_OP_GET_INFO, 0, emu_info_get },
	{ OFS_HW_OP_DMA_SELFTEST, sizeof(struct ofs_hw_dma_selftest),
	  emu_selftest_run },
	{ OFS_HW_OP_SESSION_CREATE, sizeof(struct ofs_hw_session_create),
	  emu_session_create },
	{ OFS_HW_OP_MEASURE, sizeof(struct ofs_hw_measure),
	  emu_session_measure },
	{ OFS_HW_OP_ATTEST, sizeof(struct ofs_hw_attest), emu_session_attest },
	{ OFS_HW_OP_GET_CHAIN, sizeof(struct ofs_hw_get_chain), emu_get_chain },
	{ OFS_HW_OP_CONFIRM, sizeof(struct ofs_hw_confirm),
	  emu_session_confirm },
	{ OFS_HW_OP_SET_DEST, sizeof(struct ofs_hw_set_dest),
	  emu_session_set_dest },
	{ OFS_HW_OP_LOAD, sizeof(struct ofs_hw_load), emu_session_load },
	{ OFS_HW_OP_FINISH, sizeof(struct ofs_hw_session_ref),
	  emu_session_finish },
	{ OFS_HW_OP_ABORT, sizeof(struct ofs_hw_session_ref),
	  emu_session_abort },
};

/* The request header, in host byte order. */
struct request {
	uint32_t opcode;
	uint32_t flags;
	uint64_t tag;
	uint32_t in_len;
	uint32_t reserved;
};

static const struct command *find_command(uint32_t opcode)
{
	size_t i;

	for (i = 0; i < EMU_ARRAY_SIZE(commands); i++)
		if (commands[i].opcode == opcode)
			return &commands[i];
	return NULL;
}

static void read_request(const struct ofs_hw_request *shared,
			 struct request *req)
{
	struct ofs_hw_request hdr;

	/* One copy of the header; in[] is copied once its length is known. */
	memcpy(&hdr, shared, offsetof(struct ofs_hw_request, in));
	req->opcode = le32toh(hdr.opcode);
	req->flags = le32toh(hdr.flags);
	req->tag = le64toh(hdr.tag);
	req->in_len = le32toh(hdr.in_len);
	req->reserved = le32toh(hdr.reserved);
}

static uint32_t validate(const struct request *req,
			 const struct command **cmd)
{
	if (req->flags != 0 || req->reserved != 0)
		return OFFLOAD_SEC_DS_BAD_FIELD;
	if (req->in_len > OFS_HW_MBOX_PAYLOAD)
		return OFFLOAD_SEC_DS_BAD_LENGTH;
	*cmd = find_command(req->opcode);
	if (!*cmd)
		return OFFLOAD_SEC_DS_BAD_OPCODE;
	if (req->in_len != (*cmd)->in_len)
		return OFFLOAD_SEC_DS_BAD_LENGTH;
	return OFFLOAD_SEC_DS_OK;
}

/*
 * A failed command returns no data, except NO_SPACE, which says how much
 * room the command needs (struct ofs_hw_blob_out).
 */
static bool returns_data(uint32_t status)
{
	return status == OFFLOAD_SEC_DS_OK || status == OFFLOAD_SEC_DS_NO_SPACE;
}

static void write_response(struct ofs_hw_response *rsp, uint64_t tag,
			   uint32_t status, const uint8_t *out,
			   uint32_t out_len)
{
	memcpy(rsp->out, out, out_len);
	rsp->status = htole32(status);
	rsp->out_len = htole32(out_len);
	/* The driver must see out[], status and out_len before the tag. */
	atomic_thread_fence(memory_order_release);
	__atomic_store_n(&rsp->tag, htole64(tag), __ATOMIC_RELAXED);
}

uint32_t emu_mbox_process(struct ofs_hw_mbox *mbox,
			  const struct emu_device *dev)
{
	uint8_t in[OFS_HW_MBOX_PAYLOAD], out[OFS_HW_MBOX_PAYLOAD];
	const struct command *cmd = NULL;
	uint32_t status, out_len = 0;
	struct request req;

	/* Pairs with the driver's write barrier before its doorbell. */
	atomic_thread_fence(memory_order_acquire);
	read_request(&mbox->req, &req);
	status = validate(&req, &cmd);
	if (status == OFFLOAD_SEC_DS_OK) {
		memcpy(in, mbox->req.in, req.in_len);
		memset(out, 0, sizeof(out));
		status = cmd->handler(dev, in, out, &out_len);
		if (returns_data(status) && out_len > sizeof(out))
			status = OFFLOAD_SEC_DS_INTERNAL;
		if (!returns_data(status))
			out_len = 0;
	}
	write_response(&mbox->rsp, req.tag, status, out, out_len);
	return status;
}

void emu_mbox_reset(struct ofs_hw_mbox *mbox)
{
	memset(mbox, 0, sizeof(*mbox));
}
