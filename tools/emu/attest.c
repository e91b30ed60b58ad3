// SPDX-License-Identifier: MIT
/*
 * OFS_HW_OP_ATTEST: the signed report of one session, and
 * OFS_HW_OP_GET_CHAIN: the certificates a verifier needs to check it.
 *
 * Both write a blob by DMA into a caller's list whose length is its
 * capacity.  When the blob does not fit, the command fails with NO_SPACE
 * and still returns struct ofs_hw_blob_out with the sizes needed, so that
 * a driver can ask with an empty list first.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ofs-report.h"
#include "session.h"

/*
 * A model's secrets sit in ordinary host memory, readable by whoever runs
 * it: it is debuggable, and says so.
 */
#define EMU_DBGSTAT	OFS_DBG_ENABLED

struct copy_out {
	const uint8_t *p;
	size_t left;
};

/* Fills the list from its start; the rest of its capacity is left alone. */
static int copy_segment(void *opaque, uint8_t *data, size_t len)
{
	struct copy_out *c = opaque;
	size_t n = len < c->left ? len : c->left;

	memcpy(data, c->p, n);
	c->p += n;
	c->left -= n;
	return 0;
}

static uint32_t write_blob(const struct emu_device *dev,
			   const struct ofs_hw_sg_list *list,
			   const uint8_t *blob, size_t len)
{
	struct copy_out c = { blob, len };

	if (!dev->mem)
		return OFFLOAD_SEC_DS_INTERNAL;
	return emu_dma_status(emu_guest_mem_walk_sg(dev->mem, list,
						    copy_segment, &c));
}

static uint32_t blob_reply(uint32_t status, uint32_t len0, uint32_t len1,
			   void *out, uint32_t *out_len)
{
	struct ofs_hw_blob_out rsp = {
		.len = { htole32(len0), htole32(len1) },
	};

	memcpy(out, &rsp, sizeof(rsp));
	*out_len = sizeof(rsp);
	return status;
}

static uint32_t check_attest(const struct ofs_hw_attest *req)
{
	static const uint8_t zero[sizeof(req->pad)];

	if (req->reserved || req->report.reserved ||
	    memcmp(req->pad, zero, sizeof(zero)))
		return OFFLOAD_SEC_DS_BAD_FIELD;
	return OFFLOAD_SEC_DS_OK;
}

/* Once, after at least one component was measured and none is halfway. */
static uint32_t check_attest_state(const struct session *s)
{
	size_t i;

	if (s->state != SESSION_MEASURED)
		return OFFLOAD_SEC_DS_BAD_STATE;
	for (i = 0; i < OFS_HW_NUM_COMPONENTS; i++)
		if (s->comp[i].measure)
			return OFFLOAD_SEC_DS_BAD_STATE;
	return OFFLOAD_SEC_DS_OK;
}

static void report_identity(const struct emu_identity *id,
			    struct ofs_report *r)
{
	r->dbgstat = EMU_DBGSTAT;
	memcpy(r->ueid, id->ueid, sizeof(r->ueid));
	r->boot_count = id->boot_count;
	r->fw = (struct ofs_fw_version){ EMU_FW_MAJOR, EMU_FW_MINOR,
					 EMU_FW_PATCH };
	r->svn = id->meas.svn;
	r->n_regs = OFS_NUM_MEAS_REGS;
	memcpy(r->regs, id->meas.regs, sizeof(id->meas.regs));
	r->n_events = id->log.n_events;
	memcpy(r->events, id->log.events,
	       id->log.n_events * sizeof(r->events[0]));
}

static void report_session(const struct session *s,
			   const struct ofs_hw_attest *req,
			   struct ofs_report *r)
{
	const struct component *c;
	size_t i;

	memcpy(r->nonce, req->nonce, sizeof(r->nonce));
	memcpy(r->session_id, s->id, sizeof(r->session_id));
	memcpy(r->host_pub, req->host_pub, sizeof(r->host_pub));
	for (i = 0; i < OFS_HW_NUM_COMPONENTS; i++) {
		c = &s->comp[i];
		if (!c->sealed)
			continue;
		r->components[r->n_components].component = i;
		r->components[r->n_components].size = c->size;
		memcpy(r->components[r->n_components].sha256, c->digest,
		       OFS_SHA256_LEN);
		r->n_components++;
	}
}

/* The signed report bytes, in a buffer of exactly their size. */
static int sign_report(const struct emu_device *dev, const struct session *s,
		       const struct ofs_hw_attest *req,
		       const struct ofs_ecdh_key *dev_eph,
		       uint8_t **out, size_t *out_len)
{
	uint8_t *buf, *exact;
	struct ofs_report *r;
	int ret;

	r = calloc(1, sizeof(*r));
	buf = malloc(OFS_REPORT_MAX);
	ret = r && buf ? 0 : -ENOMEM;
	if (ret == 0) {
		report_identity(dev->id, r);
		report_session(s, req, r);
		ret = ofs_ecdh_export_public(dev_eph, r->device_pub);
	}
	if (ret == 0)
		ret = ofs_report_sign(dev->id->alias_key, r, NULL, 0, buf,
				      OFS_REPORT_MAX, out_len);
	exact = ret == 0 ? realloc(buf, *out_len) : NULL;
	if (ret == 0 && !exact)
		ret = -ENOMEM;
	if (ret == 0) {
		*out = exact;
		buf = NULL;
	}
	free(buf);
	free(r);
	return ret;
}

/* Everything ATTEST keeps, once the report reached the host. */
static void commit_attest(struct session *s, const struct ofs_hw_attest *req,
			  struct ofs_ecdh_key *dev_eph, uint8_t *report,
			  size_t report_len,
			  const uint8_t digest[OFS_SHA256_LEN])
{
	memcpy(s->report_sha256, digest, OFS_SHA256_LEN);
	memcpy(s->nonce, req->nonce, sizeof(s->nonce));
	memcpy(s->host_pub, req->host_pub, sizeof(s->host_pub));
	s->dev_eph = dev_eph;
	s->report = report;
	s->report_len = report_len;
	s->state = SESSION_ATTESTED;
}

static uint32_t check_host_key(const struct ofs_hw_attest *req)
{
	struct ofs_ecdh_key *host;
	int r;

	r = ofs_ecdh_import_public(&host, req->host_pub,
				   sizeof(req->host_pub));
	if (r == -ENOMEM)
		return OFFLOAD_SEC_DS_INTERNAL;
	if (r < 0)
		return OFFLOAD_SEC_DS_BAD_FIELD;
	ofs_ecdh_free(host);
	return OFFLOAD_SEC_DS_OK;
}

static uint32_t attest(const struct emu_device *dev, struct session *s,
		       const struct ofs_hw_attest *req, void *out,
		       uint32_t *out_len)
{
	uint8_t *report = NULL, digest[OFS_SHA256_LEN];
	struct ofs_ecdh_key *dev_eph = NULL;
	size_t report_len;
	uint32_t status;

	/* The host's key is checked now, not first at CONFIRM. */
	status = check_host_key(req);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	if (ofs_ecdh_generate(&dev_eph) < 0)
		return OFFLOAD_SEC_DS_INTERNAL;
	if (sign_report(dev, s, req, dev_eph, &report, &report_len) < 0 ||
	    ofs_report_digest(report, report_len, digest) < 0) {
		status = OFFLOAD_SEC_DS_INTERNAL;
		goto free_report;
	}
	/* Nothing is kept from a try that did not fit: a retry signs anew. */
	if (le64toh(req->report.len) < report_len) {
		status = blob_reply(OFFLOAD_SEC_DS_NO_SPACE, report_len, 0,
				    out, out_len);
		goto free_report;
	}
	status = write_blob(dev, &req->report, report, report_len);
	if (status != OFFLOAD_SEC_DS_OK)
		goto free_report;
	commit_attest(s, req, dev_eph, report, report_len, digest);
	return blob_reply(OFFLOAD_SEC_DS_OK, report_len, 0, out, out_len);

free_report:
	free(report);
	ofs_ecdh_free(dev_eph);
	return status;
}

uint32_t emu_session_attest(const struct emu_device *dev, const void *in,
			    void *out, uint32_t *out_len)
{
	struct ofs_hw_attest req;
	struct session *s;
	uint32_t status;

	memcpy(&req, in, sizeof(req));
	status = check_attest(&req);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	s = emu_session_find(dev, le32toh(req.handle), false, &status);
	if (!s)
		return status;
	status = check_attest_state(s);
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	return attest(dev, s, &req, out, out_len);
}

/* DeviceID DER then Alias DER, in one buffer. */
static int chain_der(const struct emu_identity *id, uint8_t **out,
		     size_t *devid_len, size_t *alias_len)
{
	uint8_t *devid = NULL, *alias = NULL, *buf = NULL;
	int r;

	r = ofs_cert_to_der(id->deviceid_cert, &devid, devid_len);
	if (r == 0)
		r = ofs_cert_to_der(id->alias_cert, &alias, alias_len);
	if (r == 0) {
		buf = malloc(*devid_len + *alias_len);
		r = buf ? 0 : -ENOMEM;
	}
	if (r == 0) {
		memcpy(buf, devid, *devid_len);
		memcpy(buf + *devid_len, alias, *alias_len);
		*out = buf;
	}
	OPENSSL_free(devid);
	OPENSSL_free(alias);
	return r;
}

uint32_t emu_get_chain(const struct emu_device *dev, const void *in,
		       void *out, uint32_t *out_len)
{
	size_t devid_len = 0, alias_len = 0;
	struct ofs_hw_get_chain req;
	uint8_t *chain = NULL;
	uint32_t status;

	memcpy(&req, in, sizeof(req));
	if (req.out.reserved)
		return OFFLOAD_SEC_DS_BAD_FIELD;
	if (!dev->id || chain_der(dev->id, &chain, &devid_len,
				  &alias_len) < 0)
		return OFFLOAD_SEC_DS_INTERNAL;
	if (le64toh(req.out.len) < devid_len + alias_len)
		status = OFFLOAD_SEC_DS_NO_SPACE;
	else
		status = write_blob(dev, &req.out, chain,
				    devid_len + alias_len);
	free(chain);
	if (status != OFFLOAD_SEC_DS_OK && status != OFFLOAD_SEC_DS_NO_SPACE)
		return status;
	return blob_reply(status, devid_len, alias_len, out, out_len);
}
