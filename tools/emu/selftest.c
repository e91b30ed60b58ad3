// SPDX-License-Identifier: MIT
/*
 * OFS_HW_OP_DMA_SELFTEST: proves the DMA path both ways.  The device hashes
 * the src list (SHA-256) and writes the self-test pattern into the dst
 * list.  The walker validates a whole list before it touches any segment,
 * and src is done first, so a bad request never writes guest memory.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "emu.h"
#include "ofs-selftest.h"

struct fill_state {
	uint64_t seed;
	uint64_t offset;	/* in the dst stream */
};

static int fill_segment(void *opaque, uint8_t *data, size_t len)
{
	struct fill_state *st = opaque;

	ofs_selftest_pattern(st->seed, st->offset, data, len);
	st->offset += len;
	return 0;
}

/* One update per segment: the digest runs at OpenSSL's own speed. */
static int hash_segment(void *opaque, uint8_t *data, size_t len)
{
	return EVP_DigestUpdate(opaque, data, len) == 1 ? 0 : -EIO;
}

static uint32_t hash_src(const struct emu_guest_mem *gm,
			 const struct ofs_hw_sg_list *src, uint8_t *digest)
{
	uint32_t status = OFFLOAD_SEC_DS_INTERNAL;
	unsigned int dlen;
	EVP_MD_CTX *ctx;

	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return status;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto free_ctx;
	status = emu_dma_status(emu_guest_mem_walk_sg(gm, src, hash_segment, ctx));
	if (status != OFFLOAD_SEC_DS_OK)
		goto free_ctx;
	if (EVP_DigestFinal_ex(ctx, digest, &dlen) != 1 || dlen != 32)
		status = OFFLOAD_SEC_DS_INTERNAL;
free_ctx:
	EVP_MD_CTX_free(ctx);
	return status;
}

static uint32_t check_request(const struct ofs_hw_dma_selftest *req)
{
	if (req->reserved != 0 || req->src.reserved != 0 ||
	    req->dst.reserved != 0)
		return OFFLOAD_SEC_DS_BAD_FIELD;
	if (le64toh(req->src.len) > OFFLOAD_SEC_DMA_SELFTEST_MAX ||
	    le64toh(req->dst.len) > OFFLOAD_SEC_DMA_SELFTEST_MAX)
		return OFFLOAD_SEC_DS_BAD_LENGTH;
	return OFFLOAD_SEC_DS_OK;
}

uint32_t emu_selftest_run(const struct emu_device *dev, const void *in,
			  void *out, uint32_t *out_len)
{
	struct ofs_hw_dma_selftest_out res;
	struct ofs_hw_dma_selftest req;
	struct fill_state fill;
	uint32_t status;

	memcpy(&req, in, sizeof(req));
	status = check_request(&req);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	if (!dev->mem)
		return OFFLOAD_SEC_DS_INTERNAL;
	status = hash_src(dev->mem, &req.src, res.src_sha256);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	fill.seed = le64toh(req.seed);
	fill.offset = 0;
	status = emu_dma_status(emu_guest_mem_walk_sg(dev->mem, &req.dst,
						  fill_segment, &fill));
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	memcpy(out, &res, sizeof(res));
	*out_len = sizeof(res);
	return OFFLOAD_SEC_DS_OK;
}
