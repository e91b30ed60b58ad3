// SPDX-License-Identifier: MIT
/*
 * OFS_HW_OP_CONFIRM: the RAS's confirmation of this session's report, and
 * the launch keys it unlocks.
 *
 * The checks go from "who says so" to "what do they say": a trusted RAS
 * signature (UNTRUSTED, or BAD_CONFIRMATION for bytes that are no
 * confirmation at all), then the binding to this session's exact report
 * bytes and nonce (WRONG_REPORT), the validity window against the
 * device's clock (EXPIRED), and last the verdict (NOT_AFFIRMED).  Any of
 * these fails the session: a confirmation is presented once.
 *
 * Only then is the ECDH secret computed, fed to the launch KDF together
 * with everything the confirmation vouched for, and wiped, together with
 * the device's ephemeral private key, before the command returns.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ofs-report.h"
#include "session.h"

struct copy_in {
	uint8_t *p;
};

static int copy_segment(void *opaque, uint8_t *data, size_t len)
{
	struct copy_in *c = opaque;

	memcpy(c->p, data, len);
	c->p += len;
	return 0;
}

static uint32_t check_request(const struct ofs_hw_confirm *req)
{
	uint64_t len = le64toh(req->confirmation.len);

	if (req->reserved || req->confirmation.reserved)
		return OFFLOAD_SEC_DS_BAD_FIELD;
	if (len == 0 || len > OFS_CONFIRM_MAX)
		return OFFLOAD_SEC_DS_BAD_LENGTH;
	return OFFLOAD_SEC_DS_OK;
}

/* Signed by one of the RAS keys in the trust store? */
static uint32_t check_signature(const struct emu_identity *id,
				const uint8_t *msg, size_t len,
				struct ofs_confirmation *c)
{
	size_t i;
	int r;

	if (ofs_confirmation_parse_unverified(msg, len, c, NULL) < 0)
		return OFFLOAD_SEC_DS_BAD_CONFIRMATION;
	for (i = 0; i < id->n_ras_keys; i++) {
		r = ofs_confirmation_verify(id->ras_keys[i], msg, len, c,
					    NULL);
		if (r == 0)
			return OFFLOAD_SEC_DS_OK;
		if (r == -ENOMEM)
			return OFFLOAD_SEC_DS_INTERNAL;
		if (r != -EKEYREJECTED)
			return OFFLOAD_SEC_DS_BAD_CONFIRMATION;
	}
	return OFFLOAD_SEC_DS_UNTRUSTED;
}

/*
 * What the confirmation says, for this session, now.  Only AFFIRMING
 * allows a launch: WARNING is the RAS saying it could not vouch for
 * everything, and a device cannot weigh that.
 */
static uint32_t check_claims(const struct emu_device *dev,
			     const struct session *s,
			     const struct ofs_confirmation *c)
{
	int r;

	r = ofs_confirmation_check(c, s->report, s->report_len,
				   emu_device_now(dev), NULL);
	if (r == -EKEYREJECTED)
		return OFFLOAD_SEC_DS_WRONG_REPORT;
	if (r == -ETIME)
		return OFFLOAD_SEC_DS_EXPIRED;
	if (r < 0)
		return OFFLOAD_SEC_DS_INTERNAL;
	if (c->verdict != OFS_VERDICT_AFFIRMING)
		return OFFLOAD_SEC_DS_NOT_AFFIRMED;
	return OFFLOAD_SEC_DS_OK;
}

static int shared_secret(const struct session *s,
			 uint8_t secret[OFS_ECDH_SECRET_LEN])
{
	struct ofs_ecdh_key *host;
	int r;

	r = ofs_ecdh_import_public(&host, s->host_pub, sizeof(s->host_pub));
	if (r < 0)
		return r;
	r = ofs_ecdh_derive(s->dev_eph, host, secret);
	ofs_ecdh_free(host);
	return r;
}

static int derive_keys(const struct emu_device *dev, struct session *s,
		       const uint8_t *conf, size_t conf_len)
{
	struct ofs_launch_kdf_input kin = {
		.shared_secret_len = OFS_ECDH_SECRET_LEN,
		.confirmation = conf,
		.confirmation_len = conf_len,
		.report = s->report,
		.report_len = s->report_len,
	};
	uint8_t secret[OFS_ECDH_SECRET_LEN];
	size_t i;
	int r;

	r = shared_secret(s, secret);
	if (r < 0)
		goto wipe_secret;
	kin.shared_secret = secret;
	memcpy(kin.boot_measurement, dev->id->meas.composite,
	       sizeof(kin.boot_measurement));
	for (i = 0; i < OFS_HW_NUM_COMPONENTS; i++)
		kin.image_digest[i] = s->comp[i].sealed ? s->comp[i].digest :
				      NULL;
	memcpy(kin.session_id, s->id, sizeof(kin.session_id));
	r = ofs_launch_kdf(&kin, &s->keys);
wipe_secret:
	OPENSSL_cleanse(secret, sizeof(secret));
	/* Its one use is over: the device's half of the ECDH goes now. */
	ofs_ecdh_free(s->dev_eph);
	s->dev_eph = NULL;
	return r;
}

static uint32_t confirm(const struct emu_device *dev, struct session *s,
			const uint8_t *msg, size_t len)
{
	struct ofs_confirmation c;
	uint32_t status;

	status = check_signature(dev->id, msg, len, &c);
	if (status == OFFLOAD_SEC_DS_OK)
		status = check_claims(dev, s, &c);
	if (status == OFFLOAD_SEC_DS_OK && derive_keys(dev, s, msg, len) < 0)
		status = OFFLOAD_SEC_DS_INTERNAL;
	if (status != OFFLOAD_SEC_DS_OK)
		return emu_session_fail(s, status);
	s->state = SESSION_CONFIRMED;
	return OFFLOAD_SEC_DS_OK;
}

uint32_t emu_session_confirm(const struct emu_device *dev, const void *in,
			     void *out, uint32_t *out_len)
{
	uint8_t msg[OFS_CONFIRM_MAX];
	struct ofs_hw_confirm req;
	struct copy_in c = { msg };
	struct session *s;
	uint32_t status;

	memcpy(&req, in, sizeof(req));
	status = check_request(&req);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	s = emu_session_find(dev, le32toh(req.handle), false, &status);
	if (!s)
		return status;
	/* Also a replay: after CONFIRMED no confirmation is looked at. */
	if (s->state != SESSION_ATTESTED)
		return OFFLOAD_SEC_DS_BAD_STATE;
	if (!dev->mem)
		return OFFLOAD_SEC_DS_INTERNAL;
	/* check_request() capped the list's length at sizeof(msg). */
	status = emu_dma_status(emu_guest_mem_walk_sg(dev->mem,
						      &req.confirmation,
						      copy_segment, &c));
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	return confirm(dev, s, msg, le64toh(req.confirmation.len));
}
