// SPDX-License-Identifier: MIT
/*
 * OFS_HW_OP_MEASURE: the flat SHA-256 of each image component, taken by
 * DMA in pieces.  A piece must start exactly where the previous one ended
 * (its offset is checked against the bytes taken so far), so that a lost
 * or repeated piece is refused rather than silently measured.  The FINAL
 * piece seals the component: its size and digest are what the report will
 * attest, and nothing can be added to it.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "session.h"

static int hash_segment(void *opaque, uint8_t *data, size_t len)
{
	return EVP_DigestUpdate(opaque, data, len) == 1 ? 0 : -EIO;
}

static uint32_t check_request(const struct ofs_hw_measure *req)
{
	if (req->reserved || req->src.reserved ||
	    (le32toh(req->flags) & ~OFS_HW_MEASURE_FINAL) ||
	    le32toh(req->component) >= OFS_HW_NUM_COMPONENTS)
		return OFFLOAD_SEC_DS_BAD_FIELD;
	return OFFLOAD_SEC_DS_OK;
}

/* Measuring ends at ATTEST: the report fixes what was measured. */
static uint32_t check_state(const struct session *s,
			    const struct component *c, uint64_t offset,
			    uint64_t len)
{
	if (s->state != SESSION_CREATED && s->state != SESSION_MEASURED)
		return OFFLOAD_SEC_DS_BAD_STATE;
	if (c->sealed || offset != c->size)
		return OFFLOAD_SEC_DS_BAD_STATE;
	if (len > UINT64_MAX - c->size)
		return OFFLOAD_SEC_DS_BAD_LENGTH;
	return OFFLOAD_SEC_DS_OK;
}

static uint32_t start_component(struct component *c)
{
	if (c->measure)
		return OFFLOAD_SEC_DS_OK;
	c->measure = EVP_MD_CTX_new();
	if (!c->measure)
		return OFFLOAD_SEC_DS_INTERNAL;
	if (EVP_DigestInit_ex(c->measure, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c->measure);
		c->measure = NULL;
		return OFFLOAD_SEC_DS_INTERNAL;
	}
	return OFFLOAD_SEC_DS_OK;
}

static uint32_t seal_component(struct component *c)
{
	int ok = EVP_DigestFinal_ex(c->measure, c->digest, NULL);

	EVP_MD_CTX_free(c->measure);
	c->measure = NULL;
	if (ok != 1)
		return OFFLOAD_SEC_DS_INTERNAL;
	c->sealed = true;
	return OFFLOAD_SEC_DS_OK;
}

/*
 * The walker validates the whole list before it hashes a byte, so a bad
 * descriptor leaves the component as it was; a failure while hashing
 * leaves it half-updated, and fails the session.
 */
static uint32_t measure_piece(const struct emu_device *dev,
			      struct session *s, struct component *c,
			      const struct ofs_hw_measure *req)
{
	uint32_t status;
	int r;

	status = start_component(c);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	r = emu_guest_mem_walk_sg(dev->mem, &req->src, hash_segment,
				  c->measure);
	if (r == -EIO)
		return emu_session_fail(s, OFFLOAD_SEC_DS_INTERNAL);
	status = emu_dma_status(r);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	c->size += le64toh(req->src.len);
	if (s->state == SESSION_CREATED)
		s->state = SESSION_MEASURED;
	if (le32toh(req->flags) & OFS_HW_MEASURE_FINAL) {
		status = seal_component(c);
		if (status != OFFLOAD_SEC_DS_OK)
			return emu_session_fail(s, status);
	}
	return OFFLOAD_SEC_DS_OK;
}

uint32_t emu_session_measure(const struct emu_device *dev, const void *in,
			     void *out, uint32_t *out_len)
{
	struct ofs_hw_measure_out rsp = { 0 };
	struct ofs_hw_measure req;
	struct component *c;
	struct session *s;
	uint32_t status;

	memcpy(&req, in, sizeof(req));
	status = check_request(&req);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	s = emu_session_find(dev, le32toh(req.handle), false, &status);
	if (!s)
		return status;
	c = emu_session_component(s, le32toh(req.component));
	status = check_state(s, c, le64toh(req.offset), le64toh(req.src.len));
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	if (!dev->mem)
		return OFFLOAD_SEC_DS_INTERNAL;
	status = measure_piece(dev, s, c, &req);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	rsp.measured = htole64(c->size);
	if (c->sealed)
		memcpy(rsp.sha256, c->digest, sizeof(rsp.sha256));
	memcpy(out, &rsp, sizeof(rsp));
	*out_len = sizeof(rsp);
	return OFFLOAD_SEC_DS_OK;
}
