// SPDX-License-Identifier: MIT
/*
 * OFS_HW_OP_SET_DEST and OFS_HW_OP_LOAD: where each component's plaintext
 * goes, and the encrypted stream that brings it there.
 *
 * A destination is validated once, when it is registered, and kept as
 * pointers into guest RAM for the session's life, so that the device can
 * scrub it whatever happens later.  LOAD decrypts each record straight
 * into it (no bounce buffer for the bulk data), and hashes the plaintext
 * it wrote, so that FINISH can compare it with the attested digest.  A
 * record the stream refuses fails the session at once, which scrubs every
 * destination: no partial image survives.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

static uint32_t check_set_dest(const struct ofs_hw_set_dest *req)
{
	if (req->dest.reserved ||
	    le32toh(req->component) >= OFS_HW_NUM_COMPONENTS)
		return OFFLOAD_SEC_DS_BAD_FIELD;
	return OFFLOAD_SEC_DS_OK;
}

/*
 * Any time from the component's FINAL piece to its first LOAD; until then
 * a destination may be replaced, as nothing was written to it yet.
 */
static uint32_t check_dest_state(const struct session *s,
				 const struct component *c,
				 uint64_t dest_len)
{
	if (s->state < SESSION_MEASURED || s->state > SESSION_LOADING)
		return OFFLOAD_SEC_DS_BAD_STATE;
	if (!c->sealed || c->dec)
		return OFFLOAD_SEC_DS_BAD_STATE;
	if (dest_len < c->size)
		return OFFLOAD_SEC_DS_BAD_LENGTH;
	return OFFLOAD_SEC_DS_OK;
}

uint32_t emu_session_set_dest(const struct emu_device *dev, const void *in,
			      void *out, uint32_t *out_len)
{
	struct ofs_hw_set_dest req;
	struct ofs_iov *iov;
	struct component *c;
	struct session *s;
	uint32_t status;
	size_t n;

	memcpy(&req, in, sizeof(req));
	status = check_set_dest(&req);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	s = emu_session_find(dev, le32toh(req.handle), false, &status);
	if (!s)
		return status;
	c = emu_session_component(s, le32toh(req.component));
	status = check_dest_state(s, c, le64toh(req.dest.len));
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	if (!dev->mem)
		return OFFLOAD_SEC_DS_INTERNAL;
	status = emu_dma_status(emu_guest_mem_iov(dev->mem, &req.dest,
						  OFS_HW_MAX_DEST_SG, &iov,
						  &n));
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	free(c->dest);
	c->dest_set = true;
	c->dest = iov;
	c->dest_n = n;
	c->dest_len = le64toh(req.dest.len);
	c->cursor = (struct ofs_iov_cursor){ .iov = iov, .n = n };
	return OFFLOAD_SEC_DS_OK;
}

static uint32_t check_load(const struct ofs_hw_load *req)
{
	if (req->src.reserved ||
	    le32toh(req->component) >= OFS_HW_NUM_COMPONENTS)
		return OFFLOAD_SEC_DS_BAD_FIELD;
	/* At least one record: its header and tag alone are 32 bytes. */
	if (le64toh(req->src.len) < OFS_STREAM_OVERHEAD)
		return OFFLOAD_SEC_DS_BAD_LENGTH;
	return OFFLOAD_SEC_DS_OK;
}

static uint32_t check_load_state(const struct session *s,
				 const struct component *c)
{
	if (s->state != SESSION_CONFIRMED && s->state != SESSION_LOADING)
		return OFFLOAD_SEC_DS_BAD_STATE;
	if (!c->sealed || !c->dest_set)
		return OFFLOAD_SEC_DS_BAD_STATE;
	return OFFLOAD_SEC_DS_OK;
}

/* The component's stream: stream id = component + 1 (hw.h). */
static int start_stream(struct session *s, struct component *c)
{
	struct ofs_stream_params p = {
		.stream_id = (uint32_t)(c - s->comp) + 1,
		.chunk_size = s->chunk_size,
		.total_len = c->size,
	};
	int r;

	memcpy(p.session_id, s->id, sizeof(p.session_id));
	c->pt_hash = EVP_MD_CTX_new();
	if (!c->pt_hash ||
	    EVP_DigestInit_ex(c->pt_hash, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	r = ofs_stream_dec_new(&c->dec, s->keys.aead_key, &p);
	if (r < 0)
		c->dec = NULL;
	return r;
}

/* Hashes len plaintext bytes from where the chunk was written. */
static int hash_written(EVP_MD_CTX *md, struct ofs_iov_cursor at, size_t len)
{
	size_t n;

	while (len && at.idx < at.n) {
		n = at.iov[at.idx].len - at.off;
		if (n > len)
			n = len;
		if (n && EVP_DigestUpdate(md, at.iov[at.idx].base + at.off,
					  n) != 1)
			return -EIO;
		len -= n;
		at.idx++;
		at.off = 0;
	}
	return len ? -EIO : 0;
}

static int complete_component(struct component *c)
{
	int ok = EVP_DigestFinal_ex(c->pt_hash, c->pt_digest, NULL);

	EVP_MD_CTX_free(c->pt_hash);
	c->pt_hash = NULL;
	c->complete = true;
	return ok == 1 ? 0 : -EIO;
}

/* One record: decrypted in place in the destination, then hashed. */
static int open_record(struct component *c, struct ofs_iov_cursor *src,
		       size_t *consumed)
{
	struct ofs_iov_cursor at = c->cursor;
	size_t pt_len;
	int r;

	r = ofs_stream_open_iov(c->dec, src, &c->cursor, &pt_len);
	if (r < 0)
		return r;
	r = hash_written(c->pt_hash, at, pt_len);
	if (r < 0)
		return r;
	c->loaded += pt_len;
	*consumed += OFS_STREAM_RECORD_LEN(pt_len);
	if (ofs_stream_dec_finish(c->dec) == 0)
		return complete_component(c);
	return 0;
}

/* Every record in src, in order; bytes after the final one are refused. */
static int load_records(struct component *c, const struct ofs_iov *iov,
			size_t n, uint64_t total)
{
	struct ofs_iov_cursor src = { .iov = iov, .n = n };
	size_t consumed = 0;
	int r = 0;

	while (r == 0 && consumed < total)
		r = open_record(c, &src, &consumed);
	return r;
}

static uint32_t load(const struct emu_device *dev, struct session *s,
		     struct component *c, const struct ofs_hw_load *req)
{
	struct ofs_iov *iov;
	uint32_t status;
	size_t n;
	int r;

	status = emu_dma_status(emu_guest_mem_iov(dev->mem, &req->src,
						  OFS_HW_MAX_SG, &iov, &n));
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	r = c->dec ? 0 : start_stream(s, c);
	if (r < 0) {
		status = emu_session_fail(s, OFFLOAD_SEC_DS_INTERNAL);
		goto free_iov;
	}
	r = load_records(c, iov, n, le64toh(req->src.len));
	if (r < 0) {
		emu_log_info("session %#x: stream of component %u refused: %s",
			     (unsigned int)s->handle,
			     (unsigned int)(c - s->comp),
			     ofs_stream_strerror(r));
		status = emu_session_fail(s, OFFLOAD_SEC_DS_STREAM_REJECTED);
		goto free_iov;
	}
	s->state = SESSION_LOADING;
free_iov:
	free(iov);
	return status;
}

uint32_t emu_session_load(const struct emu_device *dev, const void *in,
			  void *out, uint32_t *out_len)
{
	struct ofs_hw_load_out rsp = { 0 };
	struct ofs_hw_load req;
	struct component *c;
	struct session *s;
	uint32_t status;

	memcpy(&req, in, sizeof(req));
	status = check_load(&req);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	s = emu_session_find(dev, le32toh(req.handle), false, &status);
	if (!s)
		return status;
	c = emu_session_component(s, le32toh(req.component));
	status = check_load_state(s, c);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	if (!dev->mem)
		return OFFLOAD_SEC_DS_INTERNAL;
	status = load(dev, s, c, &req);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	rsp.loaded = htole64(c->loaded);
	rsp.complete = htole32(c->complete);
	memcpy(out, &rsp, sizeof(rsp));
	*out_len = sizeof(rsp);
	return OFFLOAD_SEC_DS_OK;
}
