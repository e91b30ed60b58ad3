// SPDX-License-Identifier: MIT
/*
 * The launch-session table: OFS_HW_MAX_SESSIONS slots, handles, the
 * state machine's common checks and every way a session ends.
 * SESSION_CREATE and ABORT live here; the other commands in a file each.
 *
 * Destinations registered with SET_DEST are pointers into the guest RAM
 * mapping.  A session never outlives that mapping: the server aborts every
 * session when its guest goes away, before it unmaps the RAM.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "session.h"

int emu_sessions_new(struct emu_sessions **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

unsigned int emu_sessions_open(const struct emu_device *dev)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; dev->sessions && i < OFS_HW_MAX_SESSIONS; i++)
		n += dev->sessions->slot[i].state != SESSION_FREE;
	return n;
}

static size_t nonzero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += b[i] != 0;
	return n;
}

size_t emu_session_key_bytes_live(const struct emu_device *dev)
{
	const struct session *s;
	size_t i, c, n = 0;

	for (i = 0; dev->sessions && i < OFS_HW_MAX_SESSIONS; i++) {
		s = &dev->sessions->slot[i];
		n += nonzero(&s->keys, sizeof(s->keys));
		n += s->dev_eph != NULL;
		for (c = 0; c < OFS_HW_NUM_COMPONENTS; c++)
			n += s->comp[c].dec != NULL;
	}
	return n;
}

struct session *emu_session_find(const struct emu_device *dev, uint32_t handle,
			     bool failed_ok, uint32_t *status)
{
	struct session *s;
	size_t i;

	if (!dev->sessions || !dev->id) {
		*status = OFFLOAD_SEC_DS_INTERNAL;
		return NULL;
	}
	for (i = 0; handle && i < OFS_HW_MAX_SESSIONS; i++) {
		s = &dev->sessions->slot[i];
		if (s->state == SESSION_FREE || s->handle != handle)
			continue;
		if (s->state == SESSION_FAILED && !failed_ok) {
			*status = OFFLOAD_SEC_DS_FAILED;
			return NULL;
		}
		return s;
	}
	*status = OFFLOAD_SEC_DS_NO_SESSION;
	return NULL;
}

struct component *emu_session_component(struct session *s, uint32_t index)
{
	return index < OFS_HW_NUM_COMPONENTS ? &s->comp[index] : NULL;
}

static void scrub_iov(const struct ofs_iov *iov, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		OPENSSL_cleanse(iov[i].base, iov[i].len);
}

void emu_session_scrub(struct session *s)
{
	size_t c;

	for (c = 0; c < OFS_HW_NUM_COMPONENTS; c++)
		scrub_iov(s->comp[c].dest, s->comp[c].dest_n);
}

void emu_session_wipe_keys(struct session *s)
{
	size_t c;

	ofs_ecdh_free(s->dev_eph);
	s->dev_eph = NULL;
	ofs_launch_keys_wipe(&s->keys);
	/* The decryptors hold the AEAD key schedule; freeing wipes it. */
	for (c = 0; c < OFS_HW_NUM_COMPONENTS; c++) {
		ofs_stream_dec_free(s->comp[c].dec);
		s->comp[c].dec = NULL;
	}
}

uint32_t emu_session_fail(struct session *s, uint32_t status)
{
	emu_session_scrub(s);
	emu_session_wipe_keys(s);
	s->state = SESSION_FAILED;
	emu_log_info("session %#x failed: status %u", (unsigned int)s->handle,
		     (unsigned int)status);
	return status;
}

static void release_component(struct component *c)
{
	EVP_MD_CTX_free(c->measure);
	EVP_MD_CTX_free(c->pt_hash);
	free(c->dest);
}

static void teardown(struct session *s, bool scrub)
{
	size_t c;

	if (scrub)
		emu_session_scrub(s);
	emu_session_wipe_keys(s);
	for (c = 0; c < OFS_HW_NUM_COMPONENTS; c++)
		release_component(&s->comp[c]);
	free(s->report);
	/* Nothing of this session may be found in the slot again. */
	OPENSSL_cleanse(s, sizeof(*s));
}

void emu_session_close(struct session *s)
{
	teardown(s, s->state != SESSION_DONE);
}

void emu_sessions_free(struct emu_sessions *ss)
{
	size_t i;

	if (!ss)
		return;
	/*
	 * Normally aborted already.  Guest RAM may be unmapped by now, so
	 * nothing is scrubbed here; keys are wiped all the same.
	 */
	for (i = 0; i < OFS_HW_MAX_SESSIONS; i++)
		if (ss->slot[i].state != SESSION_FREE)
			teardown(&ss->slot[i], false);
	free(ss);
}

/*
 * Destinations are scrubbed only while guest RAM is mapped (dev->mem):
 * the pointers into it are stale once it is gone.
 */
void emu_sessions_abort_all(const struct emu_device *dev)
{
	struct session *s;
	unsigned int n = 0;
	size_t i;

	for (i = 0; dev->sessions && i < OFS_HW_MAX_SESSIONS; i++) {
		s = &dev->sessions->slot[i];
		if (s->state == SESSION_FREE)
			continue;
		teardown(s, dev->mem && s->state != SESSION_DONE);
		n++;
	}
	if (n)
		emu_log_info("aborted %u open session(s)", n);
}

/* Non-zero, and not the handle of any open session. */
static uint32_t new_handle(struct emu_sessions *ss)
{
	uint32_t h;
	size_t i;

	for (;;) {
		h = ++ss->last_handle;
		if (h == 0)
			continue;
		for (i = 0; i < OFS_HW_MAX_SESSIONS; i++)
			if (ss->slot[i].state != SESSION_FREE &&
			    ss->slot[i].handle == h)
				break;
		if (i == OFS_HW_MAX_SESSIONS)
			return h;
	}
}

static struct session *free_slot(struct emu_sessions *ss)
{
	size_t i;

	for (i = 0; i < OFS_HW_MAX_SESSIONS; i++)
		if (ss->slot[i].state == SESSION_FREE)
			return &ss->slot[i];
	return NULL;
}

/* 0 = the default; else a chunk size the stream format allows. */
static uint32_t check_chunk_size(uint32_t size, uint32_t *out)
{
	if (size == 0) {
		*out = OFS_STREAM_CHUNK_DEFAULT;
		return OFFLOAD_SEC_DS_OK;
	}
	if (size < OFS_STREAM_CHUNK_MIN || size > OFS_STREAM_CHUNK_MAX ||
	    (size & (size - 1)))
		return OFFLOAD_SEC_DS_BAD_LENGTH;
	*out = size;
	return OFFLOAD_SEC_DS_OK;
}

uint32_t emu_session_create(const struct emu_device *dev, const void *in,
			    void *out, uint32_t *out_len)
{
	struct ofs_hw_session_create req;
	struct ofs_hw_session rsp = { 0 };
	uint32_t status, chunk;
	struct session *s;

	memcpy(&req, in, sizeof(req));
	if (req.reserved[0] || req.reserved[1] || req.reserved[2])
		return OFFLOAD_SEC_DS_BAD_FIELD;
	status = check_chunk_size(le32toh(req.chunk_size), &chunk);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	if (!dev->sessions || !dev->id)
		return OFFLOAD_SEC_DS_INTERNAL;
	s = free_slot(dev->sessions);
	if (!s)
		return OFFLOAD_SEC_DS_NO_SLOT;
	if (RAND_bytes(s->id, sizeof(s->id)) != 1) {
		OPENSSL_cleanse(s->id, sizeof(s->id));
		return OFFLOAD_SEC_DS_INTERNAL;
	}
	s->handle = new_handle(dev->sessions);
	s->chunk_size = chunk;
	s->state = SESSION_CREATED;
	rsp.handle = htole32(s->handle);
	memcpy(rsp.session_id, s->id, sizeof(rsp.session_id));
	memcpy(out, &rsp, sizeof(rsp));
	*out_len = sizeof(rsp);
	emu_log_info("session %#x created", (unsigned int)s->handle);
	return OFFLOAD_SEC_DS_OK;
}

uint32_t emu_session_abort(const struct emu_device *dev, const void *in,
			   void *out, uint32_t *out_len)
{
	struct ofs_hw_session_ref req;
	struct session *s;
	uint32_t status;

	memcpy(&req, in, sizeof(req));
	if (req.reserved)
		return OFFLOAD_SEC_DS_BAD_FIELD;
	s = emu_session_find(dev, le32toh(req.handle), true, &status);
	if (!s)
		return status;
	emu_log_info("session %#x aborted", (unsigned int)s->handle);
	emu_session_close(s);
	return OFFLOAD_SEC_DS_OK;
}
