// SPDX-License-Identifier: MIT
/*
 * The attestation report's claims (docs/report-profile.md) on the strict
 * CBOR reader and claims tables of cbor.c, and the profile claim that tells
 * a report from a confirmation.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ofs-cbor.h"
#include "ofs-report.h"

/* ---- the profile claim ---- */

/* The top-level map of a signed claims set, searched for key 265 only. */
static int find_profile(struct ofs_cbor_reader *rd, char *buf, size_t size)
{
	char profile[OFS_PROFILE_MAX + 1];
	struct ofs_cbor_item map, key;
	uint64_t i;
	int64_t k;
	int r;

	r = ofs_cbor_expect(rd, OFS_CBOR_MAP, "claims", &map);
	for (i = 0; !r && i < map.arg; i++) {
		r = ofs_cbor_read_key(rd, "claims", &key, &k);
		if (!r && k == 265)
			break;
		if (!r)
			r = ofs_cbor_skip(rd);
	}
	if (r < 0)
		return r;
	if (i == map.arg)
		return ofs_cbor_fail(rd, -ENODATA, "claim 265 (eat_profile): missing");
	r = ofs_cbor_read_text(rd, "claim 265 (eat_profile)", 1, OFS_PROFILE_MAX, profile);
	if (!r && (size_t)snprintf(buf, size, "%s", profile) >= size)
		return -ENOBUFS;
	return r;
}

int ofs_claims_profile(const uint8_t *msg, size_t len, char *buf, size_t size,
		       struct ofs_decode_error *err)
{
	struct ofs_cbor_reader rd;
	struct ofs_cose_sign1 cs;
	int r;

	r = ofs_cose_sign1_parse(msg, len, &cs, err);
	if (r < 0)
		return r;
	ofs_cbor_reader_init(&rd, cs.payload, cs.payload_len, err);
	rd.start = msg;
	return find_profile(&rd, buf, size);
}

/* ---- the report's claims ---- */

#define REPORT(obj) ((struct ofs_report *)(obj))
#define CREPORT(obj) ((const struct ofs_report *)(obj))

static int dec_nonce(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	return ofs_cbor_read_bytes(rd, what, REPORT(obj)->nonce, OFS_NONCE_LEN);
}

static void enc_nonce(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_bytes(w, CREPORT(obj)->nonce, OFS_NONCE_LEN);
}

static int dec_ueid(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	uint8_t *ueid = REPORT(obj)->ueid;
	int r = ofs_cbor_read_bytes(rd, what, ueid, OFS_UEID_LEN);

	if (!r && ueid[0] != OFS_UEID_TYPE_RAND)
		return ofs_cbor_fail(rd, -ERANGE, "%s: UEID type 0x%02x, expected 0x01 (RAND)",
				     what, ueid[0]);
	return r;
}

static void enc_ueid(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_bytes(w, CREPORT(obj)->ueid, OFS_UEID_LEN);
}

static int dec_dbgstat(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	uint64_t v = 0;
	int r = ofs_cbor_read_uint(rd, what, OFS_DBG_ENABLED,
				   OFS_DBG_DISABLED_FULLY_AND_PERMANENTLY, &v);

	if (!r)
		REPORT(obj)->dbgstat = (uint32_t)v;
	return r;
}

static void enc_dbgstat(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_uint(w, CREPORT(obj)->dbgstat);
}

static int dec_report_profile(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	(void)obj;
	return ofs_decode_profile(rd, what, OFS_REPORT_PROFILE);
}

static void enc_report_profile(struct ofs_cbor_writer *w, const void *obj)
{
	(void)obj;
	ofs_cbor_put_text(w, OFS_REPORT_PROFILE);
}

static int dec_bootcount(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	return ofs_cbor_read_uint(rd, what, 0, UINT64_MAX, &REPORT(obj)->boot_count);
}

static void enc_bootcount(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_uint(w, CREPORT(obj)->boot_count);
}

static int read_u32(struct ofs_cbor_reader *rd, const char *what, uint32_t max,
		    uint32_t *out)
{
	uint64_t v = 0;
	int r = ofs_cbor_read_uint(rd, what, 0, max, &v);

	if (!r)
		*out = (uint32_t)v;
	return r;
}

static int dec_fw(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	struct ofs_fw_version *fw = &REPORT(obj)->fw;
	uint32_t n;
	int r;

	r = ofs_cbor_read_array(rd, what, 3, 3, &n);
	if (!r)
		r = read_u32(rd, what, UINT16_MAX, &fw->major);
	if (!r)
		r = read_u32(rd, what, UINT16_MAX, &fw->minor);
	if (!r)
		r = read_u32(rd, what, UINT32_MAX, &fw->patch);
	return r;
}

static void enc_fw(struct ofs_cbor_writer *w, const void *obj)
{
	const struct ofs_fw_version *fw = &CREPORT(obj)->fw;

	ofs_cbor_put_array(w, 3);
	ofs_cbor_put_uint(w, fw->major);
	ofs_cbor_put_uint(w, fw->minor);
	ofs_cbor_put_uint(w, fw->patch);
}

static int dec_svn(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	return read_u32(rd, what, UINT32_MAX, &REPORT(obj)->svn);
}

static void enc_svn(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_uint(w, CREPORT(obj)->svn);
}

static int dec_regs(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	struct ofs_report *rep = REPORT(obj);
	uint32_t i;
	int r;

	r = ofs_cbor_read_array(rd, what, 1, OFS_MAX_MEAS_REGS, &rep->n_regs);
	for (i = 0; !r && i < rep->n_regs; i++)
		r = ofs_cbor_read_bytes(rd, what, rep->regs[i], OFS_SHA256_LEN);
	return r;
}

static void enc_regs(struct ofs_cbor_writer *w, const void *obj)
{
	const struct ofs_report *rep = CREPORT(obj);
	uint32_t i;

	ofs_cbor_put_array(w, rep->n_regs);
	for (i = 0; i < rep->n_regs; i++)
		ofs_cbor_put_bytes(w, rep->regs[i], OFS_SHA256_LEN);
}

/*
 * [reg, stage, digest, svn]; the registers claim precedes this one.  An
 * event is also what ofs_boot_event_valid() accepts: a register the device
 * has (below OFS_NUM_MEAS_REGS as well as below the report's count) and a
 * printable ASCII stage name.
 */
static int dec_event(struct ofs_cbor_reader *rd, const char *what,
		     const struct ofs_report *rep, struct ofs_boot_event *ev)
{
	uint32_t n, reg = 0;
	uint32_t max_reg = (rep->n_regs < OFS_NUM_MEAS_REGS ? rep->n_regs :
			    OFS_NUM_MEAS_REGS) - 1;
	int r;

	memset(ev, 0, sizeof(*ev));
	r = ofs_cbor_read_array(rd, what, 4, 4, &n);
	if (!r)
		r = read_u32(rd, what, max_reg, &reg);
	ev->reg = (uint8_t)reg;
	if (!r)
		r = ofs_cbor_read_text(rd, what, 1, OFS_STAGE_NAME_MAX, ev->stage);
	if (!r && ofs_boot_event_valid(ev) < 0)
		return ofs_cbor_fail(rd, -EILSEQ,
				     "%s: stage name is not printable ASCII (0x21-0x7e)",
				     what);
	if (!r)
		r = ofs_cbor_read_bytes(rd, what, ev->digest, OFS_SHA256_LEN);
	if (!r)
		r = read_u32(rd, what, UINT32_MAX, &ev->svn);
	return r;
}

static int dec_events(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	struct ofs_report *rep = REPORT(obj);
	char entry[96];
	uint32_t i;
	int r;

	r = ofs_cbor_read_array(rd, what, 1, OFS_MAX_BOOT_EVENTS, &rep->n_events);
	for (i = 0; !r && i < rep->n_events; i++) {
		snprintf(entry, sizeof(entry), "%s entry %u", what, i);
		r = dec_event(rd, entry, rep, &rep->events[i]);
	}
	return r;
}

static void enc_events(struct ofs_cbor_writer *w, const void *obj)
{
	const struct ofs_report *rep = CREPORT(obj);
	uint32_t i;

	ofs_cbor_put_array(w, rep->n_events);
	for (i = 0; i < rep->n_events; i++) {
		const struct ofs_boot_event *ev = &rep->events[i];

		ofs_cbor_put_array(w, 4);
		ofs_cbor_put_uint(w, ev->reg);
		ofs_cbor_put_text(w, ev->stage);
		ofs_cbor_put_bytes(w, ev->digest, OFS_SHA256_LEN);
		ofs_cbor_put_uint(w, ev->svn);
	}
}

/* [component, sha256, size], components strictly ascending. */
static int dec_component(struct ofs_cbor_reader *rd, const char *what,
			 const struct ofs_image_component *prev,
			 struct ofs_image_component *c)
{
	uint32_t n;
	int r;

	r = ofs_cbor_read_array(rd, what, 3, 3, &n);
	if (!r)
		r = read_u32(rd, what, OFS_COMPONENT_CMDLINE, &c->component);
	if (!r && prev && prev->component == c->component)
		return ofs_cbor_fail(rd, -ENOTUNIQ, "%s: component %s listed twice", what,
				     ofs_component_name(c->component));
	if (!r && prev && prev->component > c->component)
		return ofs_cbor_fail(rd, -EILSEQ, "%s: components not in ascending order",
				     what);
	if (!r)
		r = ofs_cbor_read_bytes(rd, what, c->sha256, OFS_SHA256_LEN);
	if (!r)
		r = ofs_cbor_read_uint(rd, what, 0, UINT64_MAX, &c->size);
	return r;
}

static int dec_components(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	struct ofs_report *rep = REPORT(obj);
	char entry[96];
	uint32_t i;
	int r;

	r = ofs_cbor_read_array(rd, what, 1, OFS_MAX_COMPONENTS, &rep->n_components);
	for (i = 0; !r && i < rep->n_components; i++) {
		snprintf(entry, sizeof(entry), "%s entry %u", what, i);
		r = dec_component(rd, entry, i ? &rep->components[i - 1] : NULL,
				  &rep->components[i]);
	}
	return r;
}

static void enc_components(struct ofs_cbor_writer *w, const void *obj)
{
	const struct ofs_report *rep = CREPORT(obj);
	uint32_t i;

	ofs_cbor_put_array(w, rep->n_components);
	for (i = 0; i < rep->n_components; i++) {
		ofs_cbor_put_array(w, 3);
		ofs_cbor_put_uint(w, rep->components[i].component);
		ofs_cbor_put_bytes(w, rep->components[i].sha256, OFS_SHA256_LEN);
		ofs_cbor_put_uint(w, rep->components[i].size);
	}
}

static int dec_session(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	return ofs_cbor_read_bytes(rd, what, REPORT(obj)->session_id, OFS_SESSION_ID_LEN);
}

static void enc_session(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_bytes(w, CREPORT(obj)->session_id, OFS_SESSION_ID_LEN);
}

/* Only the form is checked here; ECDH validates the point when it is used. */
static int read_point(struct ofs_cbor_reader *rd, const char *what, uint8_t *pt)
{
	int r = ofs_cbor_read_bytes(rd, what, pt, OFS_P384_POINT_LEN);

	if (!r && pt[0] != 0x04)
		return ofs_cbor_fail(rd, -ERANGE,
				     "%s: point starts with 0x%02x, expected 0x04 (uncompressed)",
				     what, pt[0]);
	return r;
}

static int dec_device_pub(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	return read_point(rd, what, REPORT(obj)->device_pub);
}

static void enc_device_pub(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_bytes(w, CREPORT(obj)->device_pub, OFS_P384_POINT_LEN);
}

static int dec_host_pub(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	return read_point(rd, what, REPORT(obj)->host_pub);
}

static void enc_host_pub(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_bytes(w, CREPORT(obj)->host_pub, OFS_P384_POINT_LEN);
}

/* In canonical order: docs/report-profile.md, "Report claims". */
static const struct ofs_claim report_claims[] = {
	{ 10, "nonce", dec_nonce, enc_nonce },
	{ 256, "ueid", dec_ueid, enc_ueid },
	{ 263, "dbgstat", dec_dbgstat, enc_dbgstat },
	{ 265, "eat_profile", dec_report_profile, enc_report_profile },
	{ 267, "bootcount", dec_bootcount, enc_bootcount },
	{ -65537, "firmware version", dec_fw, enc_fw },
	{ -65538, "security version", dec_svn, enc_svn },
	{ -65539, "measurement registers", dec_regs, enc_regs },
	{ -65540, "event log", dec_events, enc_events },
	{ -65541, "image components", dec_components, enc_components },
	{ -65542, "session id", dec_session, enc_session },
	{ -65543, "device ephemeral key", dec_device_pub, enc_device_pub },
	{ -65544, "host ephemeral key", dec_host_pub, enc_host_pub },
};

#define N_REPORT_CLAIMS (sizeof(report_claims) / sizeof(report_claims[0]))

static int decode_report_at(const uint8_t *origin, const uint8_t *buf, size_t len,
			    struct ofs_report *r, struct ofs_decode_error *err)
{
	struct ofs_cbor_reader rd;

	memset(r, 0, sizeof(*r));
	ofs_cbor_reader_init(&rd, buf, len, err);
	rd.start = origin;
	if (len > OFS_REPORT_MAX)
		return ofs_cbor_fail(&rd, -E2BIG, "claims: %zu bytes, at most %d accepted",
				     len, OFS_REPORT_MAX);
	return ofs_claims_decode(&rd, report_claims, N_REPORT_CLAIMS, r);
}

int ofs_report_decode(const uint8_t *buf, size_t len, struct ofs_report *r,
		      struct ofs_decode_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	return decode_report_at(buf, buf, len, r, err);
}

/* What the encoder must know before it reads the arrays and strings. */
static int report_bounded(const struct ofs_report *r)
{
	uint32_t i;

	if (r->n_regs > OFS_MAX_MEAS_REGS || r->n_events > OFS_MAX_BOOT_EVENTS ||
	    r->n_components > OFS_MAX_COMPONENTS)
		return 0;
	/* Also keeps every stage NUL-terminated for the writer. */
	for (i = 0; i < r->n_events; i++)
		if (ofs_boot_event_valid(&r->events[i]) < 0)
			return 0;
	return 1;
}

/*
 * Encodes, then decodes what it wrote with the strict decoder: the encoder
 * can never emit a report that a verifier would reject.
 */
int ofs_report_encode(const struct ofs_report *r, uint8_t *buf, size_t size, size_t *len)
{
	struct ofs_cbor_writer w;
	struct ofs_report check;
	int ret;

	if (!report_bounded(r))
		return -EINVAL;
	ofs_cbor_writer_init(&w, buf, size);
	ret = ofs_claims_encode(&w, report_claims, N_REPORT_CLAIMS, r);
	if (ret < 0)
		return ret;
	if (ofs_report_decode(buf, w.len, &check, NULL) < 0)
		return -EINVAL;
	*len = w.len;
	return 0;
}

int ofs_report_sign(EVP_PKEY *key, const struct ofs_report *r,
		    const uint8_t *kid, size_t kid_len,
		    uint8_t *out, size_t out_size, size_t *out_len)
{
	uint8_t claims[OFS_REPORT_MAX];
	size_t len;
	int ret;

	ret = ofs_report_encode(r, claims, sizeof(claims), &len);
	if (ret < 0)
		return ret;
	ret = ofs_cose_sign1_sign(key, claims, len, kid, kid_len, out, out_size, out_len);
	if (!ret && *out_len > OFS_REPORT_MAX)
		return -E2BIG;
	return ret;
}

static int report_open(EVP_PKEY *pub, const uint8_t *msg, size_t len,
		       struct ofs_report *r, struct ofs_decode_error *err)
{
	struct ofs_cose_sign1 cs;
	int ret;

	if (err)
		memset(err, 0, sizeof(*err));
	memset(r, 0, sizeof(*r));
	if (len > OFS_REPORT_MAX) {
		struct ofs_cbor_reader rd;

		ofs_cbor_reader_init(&rd, msg, len, err);
		return ofs_cbor_fail(&rd, -E2BIG, "report: %zu bytes, at most %d accepted",
				     len, OFS_REPORT_MAX);
	}
	ret = pub ? ofs_cose_sign1_verify(pub, msg, len, &cs, err)
		  : ofs_cose_sign1_parse(msg, len, &cs, err);
	if (ret < 0)
		return ret;
	return decode_report_at(msg, cs.payload, cs.payload_len, r, err);
}

int ofs_report_verify(EVP_PKEY *pub, const uint8_t *msg, size_t len,
		      struct ofs_report *r, struct ofs_decode_error *err)
{
	if (!pub)
		return -EINVAL;
	return report_open(pub, msg, len, r, err);
}

int ofs_report_parse_unverified(const uint8_t *msg, size_t len, struct ofs_report *r,
				struct ofs_decode_error *err)
{
	return report_open(NULL, msg, len, r, err);
}

int ofs_report_digest(const uint8_t *msg, size_t len, uint8_t out[OFS_SHA256_LEN])
{
	unsigned int n = OFS_SHA256_LEN;

	if (!EVP_Digest(msg, len, out, &n, EVP_sha256(), NULL))
		return -ENOMEM;
	return 0;
}

const char *ofs_component_name(uint32_t component)
{
	static const char *const names[] = { "kernel", "initrd", "cmdline" };

	return component < 3 ? names[component] : "unknown";
}

const char *ofs_dbgstat_name(uint32_t dbgstat)
{
	static const char *const names[] = {
		"enabled", "disabled", "disabled-since-boot", "disabled-permanently",
		"disabled-fully-and-permanently",
	};

	return dbgstat < 5 ? names[dbgstat] : "unknown";
}
