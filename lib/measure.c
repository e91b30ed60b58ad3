// SPDX-License-Identifier: MIT
/*
 * Measured boot: SHA-256 registers extended as new = SHA-256(old || digest),
 * and the event log that lets a verifier appraise each stage instead of an
 * opaque composite.  The registers are a pure function of the log, so the
 * device and the verifier share one replay.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

#include "ofs-identity.h"

void ofs_measure_init(struct ofs_measure_log *log)
{
	memset(log, 0, sizeof(*log));
}

static bool stage_name_valid(const char *stage, size_t max)
{
	size_t i, len = strnlen(stage, max);

	if (len == 0 || len == max)
		return false;
	for (i = 0; i < len; i++)
		if (stage[i] < 0x21 || stage[i] > 0x7e)
			return false;
	/* NUL padding: two encodings of one name would replay alike. */
	for (; i < max; i++)
		if (stage[i])
			return false;
	return true;
}

int ofs_boot_event_valid(const struct ofs_boot_event *ev)
{
	if (ev->reg >= OFS_NUM_MEAS_REGS ||
	    !stage_name_valid(ev->stage, sizeof(ev->stage)))
		return -EINVAL;
	return 0;
}

static int extend_reg(uint8_t reg[OFS_SHA256_LEN],
		      const uint8_t digest[OFS_SHA256_LEN])
{
	uint8_t buf[2 * OFS_SHA256_LEN];

	memcpy(buf, reg, OFS_SHA256_LEN);
	memcpy(buf + OFS_SHA256_LEN, digest, OFS_SHA256_LEN);
	if (EVP_Digest(buf, sizeof(buf), reg, NULL, EVP_sha256(), NULL) != 1)
		return -EIO;
	return 0;
}

int ofs_measure_extend(struct ofs_measure_log *log, uint8_t reg,
		       const char *stage, const uint8_t digest[OFS_SHA256_LEN],
		       uint32_t svn)
{
	struct ofs_boot_event ev = { .reg = reg, .svn = svn };
	size_t len = strnlen(stage, sizeof(ev.stage));
	int r;

	if (len == sizeof(ev.stage))
		return -EINVAL;
	memcpy(ev.stage, stage, len);
	memcpy(ev.digest, digest, OFS_SHA256_LEN);
	r = ofs_boot_event_valid(&ev);
	if (r < 0)
		return r;
	/* A register never moves without its event being logged. */
	if (log->n_events == OFS_MAX_BOOT_EVENTS)
		return -ENOSPC;
	r = extend_reg(log->regs[reg], digest);
	if (r < 0)
		return r;
	log->events[log->n_events++] = ev;
	return 0;
}

int ofs_measure_stage(struct ofs_measure_log *log, uint8_t reg,
		      const char *stage, const void *data, size_t len,
		      uint32_t svn)
{
	uint8_t digest[OFS_SHA256_LEN];

	if (EVP_Digest(data, len, digest, NULL, EVP_sha256(), NULL) != 1)
		return -EIO;
	return ofs_measure_extend(log, reg, stage, digest, svn);
}

int ofs_measure_events(const struct ofs_measure_log *log,
		       struct ofs_boot_event *out, size_t max)
{
	if (log->n_events > max)
		return -ENOSPC;
	memcpy(out, log->events, log->n_events * sizeof(*out));
	return (int)log->n_events;
}

int ofs_measure_replay(const struct ofs_boot_event *events, size_t n,
		       uint8_t regs[OFS_NUM_MEAS_REGS][OFS_SHA256_LEN])
{
	size_t i;
	int r;

	memset(regs, 0, OFS_NUM_MEAS_REGS * OFS_SHA256_LEN);
	if (n > OFS_MAX_BOOT_EVENTS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		r = ofs_boot_event_valid(&events[i]);
		if (r < 0)
			return r;
		r = extend_reg(regs[events[i].reg], events[i].digest);
		if (r < 0)
			return r;
	}
	return 0;
}

int ofs_measure_composite(const uint8_t regs[OFS_NUM_MEAS_REGS][OFS_SHA256_LEN],
			  uint8_t out[OFS_SHA256_LEN])
{
	if (EVP_Digest(regs, OFS_NUM_MEAS_REGS * OFS_SHA256_LEN, out, NULL,
		       EVP_sha256(), NULL) != 1)
		return -EIO;
	return 0;
}

/* The chain is only as current as its oldest stage; no events: 0. */
static uint32_t lowest_svn(const struct ofs_boot_event *events, size_t n)
{
	uint32_t svn = n ? UINT32_MAX : 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (events[i].svn < svn)
			svn = events[i].svn;
	return svn;
}

int ofs_measure_summary(const struct ofs_boot_event *events, size_t n,
			struct ofs_fw_measurement *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	r = ofs_measure_replay(events, n, out->regs);
	if (r < 0)
		return r;
	out->svn = lowest_svn(events, n);
	return ofs_measure_composite(out->regs, out->composite);
}

int ofs_measure_verify_log(const struct ofs_boot_event *events, size_t n,
			   const struct ofs_fw_measurement *claimed)
{
	struct ofs_fw_measurement m;
	int r;

	r = ofs_measure_summary(events, n, &m);
	if (r < 0)
		return r;
	if (memcmp(m.regs, claimed->regs, sizeof(m.regs)) ||
	    memcmp(m.composite, claimed->composite, sizeof(m.composite)) ||
	    m.svn != claimed->svn)
		return -EBADMSG;
	return 0;
}
