// SPDX-License-Identifier: MIT
/*
 * The RAS confirmation's claims (docs/report-profile.md): which report it
 * confirms (SHA-256 of the report's exact COSE_Sign1 bytes, the same digest
 * the launch-key derivation uses), the verdict, the policy, and a validity
 * window.  Signed by the RAS; verified by the device against its trust store.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <openssl/crypto.h>

#include "ofs-cbor.h"
#include "ofs-report.h"

#define CONF(obj) ((struct ofs_confirmation *)(obj))
#define CCONF(obj) ((const struct ofs_confirmation *)(obj))

static int dec_exp(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	return ofs_cbor_read_uint(rd, what, 0, UINT64_MAX, &CONF(obj)->expiry);
}

static void enc_exp(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_uint(w, CCONF(obj)->expiry);
}

static int dec_iat(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	return ofs_cbor_read_uint(rd, what, 0, UINT64_MAX, &CONF(obj)->issued_at);
}

static void enc_iat(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_uint(w, CCONF(obj)->issued_at);
}

static int dec_nonce(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	return ofs_cbor_read_bytes(rd, what, CONF(obj)->nonce, OFS_NONCE_LEN);
}

static void enc_nonce(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_bytes(w, CCONF(obj)->nonce, OFS_NONCE_LEN);
}

static int dec_profile(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	(void)obj;
	return ofs_decode_profile(rd, what, OFS_CONFIRM_PROFILE);
}

static void enc_profile(struct ofs_cbor_writer *w, const void *obj)
{
	(void)obj;
	ofs_cbor_put_text(w, OFS_CONFIRM_PROFILE);
}

static int dec_report_digest(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	return ofs_cbor_read_bytes(rd, what, CONF(obj)->report_sha256, OFS_SHA256_LEN);
}

static void enc_report_digest(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_bytes(w, CCONF(obj)->report_sha256, OFS_SHA256_LEN);
}

static int dec_verdict(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	uint64_t v = 0;
	int r = ofs_cbor_read_uint(rd, what, 0, UINT32_MAX, &v);

	if (r < 0)
		return r;
	if (v != OFS_VERDICT_AFFIRMING && v != OFS_VERDICT_WARNING &&
	    v != OFS_VERDICT_CONTRAINDICATED)
		return ofs_cbor_fail(rd, -ERANGE,
				     "%s: %" PRIu64 " is not 2 (affirming), 32 (warning) or 96 (contraindicated)",
				     what, v);
	CONF(obj)->verdict = (uint32_t)v;
	return 0;
}

static void enc_verdict(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_uint(w, CCONF(obj)->verdict);
}

static int dec_policy_id(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	return ofs_cbor_read_text(rd, what, 1, OFS_POLICY_ID_MAX, CONF(obj)->policy_id);
}

static void enc_policy_id(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_text(w, CCONF(obj)->policy_id);
}

static int dec_policy_digest(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	return ofs_cbor_read_bytes(rd, what, CONF(obj)->policy_digest, OFS_SHA256_LEN);
}

static void enc_policy_digest(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_bytes(w, CCONF(obj)->policy_digest, OFS_SHA256_LEN);
}

static int dec_kid(struct ofs_cbor_reader *rd, const char *what, void *obj)
{
	return ofs_cbor_read_var_bytes(rd, what, 1, OFS_KID_MAX, CONF(obj)->ras_kid,
				       &CONF(obj)->ras_kid_len);
}

static void enc_kid(struct ofs_cbor_writer *w, const void *obj)
{
	ofs_cbor_put_bytes(w, CCONF(obj)->ras_kid, CCONF(obj)->ras_kid_len);
}

/* In canonical order: docs/report-profile.md, "Confirmation claims". */
static const struct ofs_claim confirm_claims[] = {
	{ 4, "exp", dec_exp, enc_exp },
	{ 6, "iat", dec_iat, enc_iat },
	{ 10, "nonce", dec_nonce, enc_nonce },
	{ 265, "eat_profile", dec_profile, enc_profile },
	{ -65537, "report digest", dec_report_digest, enc_report_digest },
	{ -65538, "verdict", dec_verdict, enc_verdict },
	{ -65539, "policy id", dec_policy_id, enc_policy_id },
	{ -65540, "policy digest", dec_policy_digest, enc_policy_digest },
	{ -65541, "RAS key id", dec_kid, enc_kid },
};

#define N_CONFIRM_CLAIMS (sizeof(confirm_claims) / sizeof(confirm_claims[0]))

static int decode_at(const uint8_t *origin, const uint8_t *buf, size_t len,
		     struct ofs_confirmation *c, struct ofs_decode_error *err)
{
	struct ofs_cbor_reader rd;
	int r;

	memset(c, 0, sizeof(*c));
	ofs_cbor_reader_init(&rd, buf, len, err);
	rd.start = origin;
	if (len > OFS_CONFIRM_MAX)
		return ofs_cbor_fail(&rd, -E2BIG, "claims: %zu bytes, at most %d accepted",
				     len, OFS_CONFIRM_MAX);
	r = ofs_claims_decode(&rd, confirm_claims, N_CONFIRM_CLAIMS, c);
	if (r < 0)
		return r;
	/* exp precedes iat in canonical order, so this waits for both. */
	if (c->expiry <= c->issued_at)
		return ofs_cbor_fail(&rd, -ERANGE, "claim 4 (exp): %" PRIu64
				     " is not after iat %" PRIu64, c->expiry, c->issued_at);
	return 0;
}

int ofs_confirmation_decode(const uint8_t *buf, size_t len, struct ofs_confirmation *c,
			    struct ofs_decode_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	return decode_at(buf, buf, len, c, err);
}

static int confirmation_bounded(const struct ofs_confirmation *c)
{
	return c->ras_kid_len <= OFS_KID_MAX &&
	       strnlen(c->policy_id, sizeof(c->policy_id)) <= OFS_POLICY_ID_MAX;
}

/* Like the report: whatever is encoded must decode. */
int ofs_confirmation_encode(const struct ofs_confirmation *c, uint8_t *buf,
			    size_t size, size_t *len)
{
	struct ofs_confirmation check;
	struct ofs_cbor_writer w;
	int r;

	if (!confirmation_bounded(c))
		return -EINVAL;
	ofs_cbor_writer_init(&w, buf, size);
	r = ofs_claims_encode(&w, confirm_claims, N_CONFIRM_CLAIMS, c);
	if (r < 0)
		return r;
	if (ofs_confirmation_decode(buf, w.len, &check, NULL) < 0)
		return -EINVAL;
	*len = w.len;
	return 0;
}

/* The RAS key id goes in the COSE kid too, so a device can pick the key. */
int ofs_confirmation_sign(EVP_PKEY *key, const struct ofs_confirmation *c,
			  uint8_t *out, size_t out_size, size_t *out_len)
{
	uint8_t claims[OFS_CONFIRM_MAX];
	size_t len;
	int r;

	r = ofs_confirmation_encode(c, claims, sizeof(claims), &len);
	if (r < 0)
		return r;
	r = ofs_cose_sign1_sign(key, claims, len, c->ras_kid, c->ras_kid_len, out,
				out_size, out_len);
	if (!r && *out_len > OFS_CONFIRM_MAX)
		return -E2BIG;
	return r;
}

static int kid_matches(const struct ofs_cose_sign1 *cs, const struct ofs_confirmation *c,
		       struct ofs_cbor_reader *rd)
{
	if (!cs->kid || (cs->kid_len == c->ras_kid_len &&
			 !memcmp(cs->kid, c->ras_kid, c->ras_kid_len)))
		return 0;
	return ofs_cbor_fail(rd, -EKEYREJECTED,
			     "COSE kid differs from claim -65541 (RAS key id)");
}

static int confirmation_open(EVP_PKEY *pub, const uint8_t *msg, size_t len,
			     struct ofs_confirmation *c, struct ofs_decode_error *err)
{
	struct ofs_cbor_reader rd;
	struct ofs_cose_sign1 cs;
	int r;

	if (err)
		memset(err, 0, sizeof(*err));
	memset(c, 0, sizeof(*c));
	ofs_cbor_reader_init(&rd, msg, len, err);
	if (len > OFS_CONFIRM_MAX)
		return ofs_cbor_fail(&rd, -E2BIG, "confirmation: %zu bytes, at most %d accepted",
				     len, OFS_CONFIRM_MAX);
	r = pub ? ofs_cose_sign1_verify(pub, msg, len, &cs, err)
		: ofs_cose_sign1_parse(msg, len, &cs, err);
	if (!r)
		r = decode_at(msg, cs.payload, cs.payload_len, c, err);
	if (!r)
		r = kid_matches(&cs, c, &rd);
	return r;
}

int ofs_confirmation_verify(EVP_PKEY *pub, const uint8_t *msg, size_t len,
			    struct ofs_confirmation *c, struct ofs_decode_error *err)
{
	if (!pub)
		return -EINVAL;
	return confirmation_open(pub, msg, len, c, err);
}

int ofs_confirmation_parse_unverified(const uint8_t *msg, size_t len,
				      struct ofs_confirmation *c,
				      struct ofs_decode_error *err)
{
	return confirmation_open(NULL, msg, len, c, err);
}

/*
 * The digest alone binds the confirmation to the report (and so to its
 * nonce and session); the nonce comparison makes a mismatch say which.
 */
int ofs_confirmation_check(const struct ofs_confirmation *c, const uint8_t *report,
			   size_t report_len, uint64_t now, struct ofs_decode_error *err)
{
	uint8_t digest[OFS_SHA256_LEN];
	struct ofs_cbor_reader rd;
	struct ofs_report rep;
	int r;

	if (err)
		memset(err, 0, sizeof(*err));
	ofs_cbor_reader_init(&rd, report, report_len, err);
	r = ofs_report_parse_unverified(report, report_len, &rep, err);
	if (r < 0)
		return r;
	r = ofs_report_digest(report, report_len, digest);
	if (r < 0)
		return r;
	if (CRYPTO_memcmp(rep.nonce, c->nonce, OFS_NONCE_LEN))
		return ofs_cbor_fail(&rd, -EKEYREJECTED,
				     "confirmation echoes another nonce than the report's");
	if (CRYPTO_memcmp(digest, c->report_sha256, OFS_SHA256_LEN))
		return ofs_cbor_fail(&rd, -EKEYREJECTED,
				     "confirmation is for other report bytes (SHA-256 differs)");
	/*
	 * The RAS and the card do not share a clock: a confirmation issued
	 * slightly "in the future" of the card's is the RAS's clock running
	 * ahead, not a forgery (the signature and report digest decide that).
	 */
	if (now + OFS_CONFIRMATION_CLOCK_SKEW < c->issued_at)
		return ofs_cbor_fail(&rd, -ETIME, "confirmation not valid before %" PRIu64
				     " (now %" PRIu64 ", %u s of clock skew allowed)",
				     c->issued_at, now, OFS_CONFIRMATION_CLOCK_SKEW);
	if (now >= c->expiry)
		return ofs_cbor_fail(&rd, -ETIME, "confirmation expired at %" PRIu64
				     " (now %" PRIu64 ")", c->expiry, now);
	return 0;
}

const char *ofs_verdict_name(uint32_t verdict)
{
	switch (verdict) {
	case OFS_VERDICT_AFFIRMING:
		return "affirming";
	case OFS_VERDICT_WARNING:
		return "warning";
	case OFS_VERDICT_CONTRAINDICATED:
		return "contraindicated";
	}
	return "unknown";
}
