// SPDX-License-Identifier: MIT
/*
 * OFS_HW_OP_FINISH: the end of a launch, either way.  Every component in
 * the report must have been loaded to its final chunk (INCOMPLETE) and
 * hash to exactly what was attested (DIGEST_MISMATCH); a failure scrubs
 * every destination.  On success the device returns the launch receipt
 * and leaves the plaintext in place for the VM.  The session ends in both
 * cases, and its keys with it.
 */
#include <endian.h>
#include <string.h>

#include <openssl/crypto.h>

#include "session.h"

static uint32_t check_loaded(const struct session *s)
{
	const struct component *c;
	size_t i;

	for (i = 0; i < OFS_HW_NUM_COMPONENTS; i++)
		if (s->comp[i].sealed && !s->comp[i].complete)
			return OFFLOAD_SEC_DS_INCOMPLETE;
	for (i = 0; i < OFS_HW_NUM_COMPONENTS; i++) {
		c = &s->comp[i];
		if (c->sealed && CRYPTO_memcmp(c->pt_digest, c->digest,
					       OFS_SHA256_LEN))
			return OFFLOAD_SEC_DS_DIGEST_MISMATCH;
	}
	return OFFLOAD_SEC_DS_OK;
}

static uint32_t make_receipt(const struct session *s,
			     struct ofs_hw_receipt *rc)
{
	const uint8_t *digest[OFS_HW_NUM_COMPONENTS];
	size_t i;

	memset(rc, 0, sizeof(*rc));
	for (i = 0; i < OFS_HW_NUM_COMPONENTS; i++) {
		digest[i] = s->comp[i].sealed ? s->comp[i].pt_digest : NULL;
		rc->loaded[i] = htole64(s->comp[i].loaded);
	}
	if (ofs_launch_receipt_mac(&s->keys, s->id, s->report_sha256, digest,
				   rc->mac) < 0)
		return OFFLOAD_SEC_DS_INTERNAL;
	return OFFLOAD_SEC_DS_OK;
}

uint32_t emu_session_finish(const struct emu_device *dev, const void *in,
			    void *out, uint32_t *out_len)
{
	struct ofs_hw_session_ref req;
	struct ofs_hw_receipt rc;
	struct session *s;
	uint32_t status;

	memcpy(&req, in, sizeof(req));
	if (req.reserved)
		return OFFLOAD_SEC_DS_BAD_FIELD;
	s = emu_session_find(dev, le32toh(req.handle), false, &status);
	if (!s)
		return status;
	/* Before CONFIRM there is nothing to finish: out of order. */
	if (s->state != SESSION_CONFIRMED && s->state != SESSION_LOADING)
		return OFFLOAD_SEC_DS_BAD_STATE;
	status = check_loaded(s);
	if (status == OFFLOAD_SEC_DS_OK)
		status = make_receipt(s, &rc);
	if (status == OFFLOAD_SEC_DS_OK)
		s->state = SESSION_DONE;
	emu_log_info("session %#x finished: status %u",
		     (unsigned int)s->handle, (unsigned int)status);
	/* Scrubs the destinations unless DONE; wipes the keys either way. */
	emu_session_close(s);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	memcpy(out, &rc, sizeof(rc));
	*out_len = sizeof(rc);
	return OFFLOAD_SEC_DS_OK;
}
