// SPDX-License-Identifier: MIT
/*
 * COSE_Sign1 (RFC 9052) restricted to what the offload-sec profile allows:
 * tagged (18), protected header exactly {1: -35} (ES384), an unprotected
 * header that is empty or holds only a kid (4), an attached payload, and a
 * 96-byte r || s signature (RFC 9053 2.1) over
 * Sig_structure = ["Signature1", protected, h'', payload] hashed with
 * SHA-384.  OpenSSL speaks DER ECDSA-Sig-Value, so signatures are converted
 * both ways here.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <cbor.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "ofs-cbor.h"
#include "ofs-crypto.h"
#include "ofs-report.h"

#define COSE_TAG_SIGN1		18
#define COSE_HDR_ALG		1
#define COSE_HDR_CRIT		2
#define COSE_HDR_KID		4
#define COSE_ALG_ES384		(-35)
#define P384_SCALAR_LEN		48
#define DER_SIG_MAX		128	/* P-384 DER ECDSA-Sig-Value is <= 104 bytes */

/* The protected header is always these bytes: {1: -35}. */
static const uint8_t es384_protected[] = { 0xa1, 0x01, 0x38, 0x22 };

/*
 * Everything of Sig_structure before the payload's bytes: the payload is
 * then fed to the digest as it is, without a copy.
 */
static int sig_structure_head(const uint8_t *prot, size_t prot_len, size_t payload_len,
			      uint8_t *buf, size_t size, size_t *len)
{
	struct ofs_cbor_writer w;
	size_t n;

	ofs_cbor_writer_init(&w, buf, size);
	ofs_cbor_put_array(&w, 4);
	ofs_cbor_put_text(&w, "Signature1");
	ofs_cbor_put_bytes(&w, prot, prot_len);
	ofs_cbor_put_bytes(&w, NULL, 0);	/* external_aad */
	if (w.err)
		return w.err;
	n = cbor_encode_bytestring_start(payload_len, buf + w.len, size - w.len);
	if (!n)
		return -ENOBUFS;
	*len = w.len + n;
	return 0;
}

static int digest_init(EVP_MD_CTX *ctx, EVP_PKEY *key, int sign)
{
	if (sign)
		return EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key) == 1;
	return EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key) == 1;
}

/* Starts a sign or verify context over Sig_structure. */
static EVP_MD_CTX *sig_ctx(EVP_PKEY *key, int sign, const uint8_t *prot, size_t prot_len,
			   const uint8_t *payload, size_t payload_len)
{
	uint8_t head[64];
	EVP_MD_CTX *ctx;
	size_t len = 0;

	if (sig_structure_head(prot, prot_len, payload_len, head, sizeof(head), &len) < 0)
		return NULL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return NULL;
	if (!digest_init(ctx, key, sign) ||
	    EVP_DigestUpdate(ctx, head, len) != 1 ||
	    EVP_DigestUpdate(ctx, payload, payload_len) != 1) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int der_to_raw(const uint8_t *der, size_t der_len, uint8_t raw[OFS_ES384_SIG_LEN])
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *sig;
	int ok;

	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!sig)
		return -EINVAL;
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, raw, P384_SCALAR_LEN) == P384_SCALAR_LEN &&
	     BN_bn2binpad(s, raw + P384_SCALAR_LEN, P384_SCALAR_LEN) == P384_SCALAR_LEN;
	ECDSA_SIG_free(sig);
	return ok ? 0 : -EINVAL;
}

static int raw_to_der(const uint8_t raw[OFS_ES384_SIG_LEN], uint8_t *der, size_t *der_len)
{
	BIGNUM *r = BN_bin2bn(raw, P384_SCALAR_LEN, NULL);
	BIGNUM *s = BN_bin2bn(raw + P384_SCALAR_LEN, P384_SCALAR_LEN, NULL);
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *p = der;
	int ret = -ENOMEM, n;

	if (!r || !s || !sig)
		goto free_sig;
	ECDSA_SIG_set0(sig, r, s);	/* sig owns r and s from here */
	r = s = NULL;
	n = i2d_ECDSA_SIG(sig, NULL);
	if (n <= 0 || n > DER_SIG_MAX)
		goto free_sig;
	*der_len = (size_t)i2d_ECDSA_SIG(sig, &p);
	ret = 0;
free_sig:
	ECDSA_SIG_free(sig);
	BN_free(r);
	BN_free(s);
	return ret;
}

static int sign_raw(EVP_PKEY *key, const uint8_t *payload, size_t payload_len,
		    uint8_t sig[OFS_ES384_SIG_LEN])
{
	uint8_t der[DER_SIG_MAX];
	size_t der_len = sizeof(der);
	EVP_MD_CTX *ctx;
	int r;

	ctx = sig_ctx(key, 1, es384_protected, sizeof(es384_protected), payload, payload_len);
	if (!ctx)
		return -ENOMEM;
	r = EVP_DigestSignFinal(ctx, der, &der_len) == 1 ? 0 : -EIO;
	EVP_MD_CTX_free(ctx);
	if (!r)
		r = der_to_raw(der, der_len, sig);
	return r;
}

int ofs_cose_sign1_sign(EVP_PKEY *key, const uint8_t *payload, size_t payload_len,
			const uint8_t *kid, size_t kid_len,
			uint8_t *out, size_t out_size, size_t *out_len)
{
	uint8_t sig[OFS_ES384_SIG_LEN];
	struct ofs_cbor_writer w;
	int r;

	if (!ofs_key_is_p384(key) || !payload || !payload_len || kid_len > OFS_KID_MAX ||
	    (kid_len && !kid))
		return -EINVAL;
	r = sign_raw(key, payload, payload_len, sig);
	if (r < 0)
		return r;
	ofs_cbor_writer_init(&w, out, out_size);
	ofs_cbor_put_tag(&w, COSE_TAG_SIGN1);
	ofs_cbor_put_array(&w, 4);
	ofs_cbor_put_bytes(&w, es384_protected, sizeof(es384_protected));
	ofs_cbor_put_map(&w, kid_len ? 1 : 0);
	if (kid_len) {
		ofs_cbor_put_uint(&w, COSE_HDR_KID);
		ofs_cbor_put_bytes(&w, kid, kid_len);
	}
	ofs_cbor_put_bytes(&w, payload, payload_len);
	ofs_cbor_put_bytes(&w, sig, sizeof(sig));
	if (w.err)
		return w.err;
	*out_len = w.len;
	return 0;
}

/* The alg value: an integer, and only ES384. */
static int read_alg(struct ofs_cbor_reader *rd)
{
	struct ofs_cbor_item it;
	int r = ofs_cbor_next(rd, &it);

	if (r < 0)
		return r;
	if (it.type == OFS_CBOR_NEGINT && it.arg == (uint64_t)(-1 - COSE_ALG_ES384))
		return 0;
	if (it.type == OFS_CBOR_NEGINT && it.arg < INT64_MAX)
		return ofs_cbor_fail(rd, -EOPNOTSUPP,
				     "COSE alg %" PRId64 ": only ES384 (-35) is accepted",
				     -1 - (int64_t)it.arg);
	if (it.type == OFS_CBOR_UINT)
		return ofs_cbor_fail(rd, -EOPNOTSUPP,
				     "COSE alg %" PRIu64 ": only ES384 (-35) is accepted", it.arg);
	return ofs_cbor_fail(rd, -EOPNOTSUPP, "COSE alg: not an integer, only ES384 (-35) is accepted");
}

/* Header labels: integers; text labels are legal COSE but not in our profile. */
static int read_label(struct ofs_cbor_reader *rd, const char *what, int64_t *label)
{
	struct ofs_cbor_item it;
	int r = ofs_cbor_next(rd, &it);

	if (r < 0)
		return r;
	if (it.type == OFS_CBOR_TEXT)
		return ofs_cbor_fail(rd, -EOPNOTSUPP, "%s: text labels are not accepted", what);
	if ((it.type != OFS_CBOR_UINT && it.type != OFS_CBOR_NEGINT) || it.arg > INT64_MAX)
		return ofs_cbor_fail(rd, -EPROTO, "%s: label is not an integer", what);
	*label = it.type == OFS_CBOR_UINT ? (int64_t)it.arg : -1 - (int64_t)it.arg;
	return 0;
}

static int protected_entry(struct ofs_cbor_reader *rd, int *seen_alg)
{
	int64_t label;
	int r;

	r = read_label(rd, "COSE protected header", &label);
	if (r < 0)
		return r;
	if (label == COSE_HDR_CRIT)
		return ofs_cbor_fail(rd, -EOPNOTSUPP,
				     "COSE protected header: critical headers (crit, 2) are not supported");
	if (label != COSE_HDR_ALG)
		return ofs_cbor_fail(rd, -EOPNOTSUPP,
				     "COSE protected header: label %" PRId64 " is not accepted",
				     label);
	if (*seen_alg)
		return ofs_cbor_fail(rd, -ENOTUNIQ, "COSE protected header: duplicate alg");
	*seen_alg = 1;
	return read_alg(rd);
}

/* The protected header's bytes, parsed as their own CBOR item. */
static int parse_protected(const struct ofs_cbor_reader *outer, const struct ofs_cbor_item *bs)
{
	struct ofs_cbor_reader rd;
	struct ofs_cbor_item map;
	int seen_alg = 0, r;
	uint64_t i;

	ofs_cbor_reader_init(&rd, bs->data, bs->arg, outer->err);
	rd.start = outer->start;
	if (!bs->arg)
		return ofs_cbor_fail(&rd, -ENODATA,
				     "COSE protected header: empty, alg ES384 (-35) required");
	r = ofs_cbor_expect(&rd, OFS_CBOR_MAP, "COSE protected header", &map);
	for (i = 0; !r && i < map.arg; i++)
		r = protected_entry(&rd, &seen_alg);
	if (r < 0)
		return r;
	if (!seen_alg)
		return ofs_cbor_fail(&rd, -ENODATA, "COSE protected header: alg missing");
	return ofs_cbor_end(&rd, "COSE protected header");
}

static int unprotected_entry(struct ofs_cbor_reader *rd, struct ofs_cose_sign1 *cs)
{
	struct ofs_cbor_item it;
	int64_t label;
	int r;

	r = read_label(rd, "COSE unprotected header", &label);
	if (r < 0)
		return r;
	if (label != COSE_HDR_KID)
		return ofs_cbor_fail(rd, -EOPNOTSUPP,
				     "COSE unprotected header: label %" PRId64
				     " is not accepted (only kid, 4)", label);
	if (cs->kid)
		return ofs_cbor_fail(rd, -ENOTUNIQ, "COSE unprotected header: duplicate kid");
	r = ofs_cbor_expect(rd, OFS_CBOR_BYTES, "COSE kid", &it);
	if (r < 0)
		return r;
	if (!it.arg || it.arg > OFS_KID_MAX)
		return ofs_cbor_fail(rd, -EMSGSIZE, "COSE kid: byte string of %" PRIu64
				     " bytes, expected 1..%d", it.arg, OFS_KID_MAX);
	cs->kid = it.data;
	cs->kid_len = it.arg;
	return 0;
}

static int parse_unprotected(struct ofs_cbor_reader *rd, struct ofs_cose_sign1 *cs)
{
	struct ofs_cbor_item map;
	uint64_t i;
	int r;

	r = ofs_cbor_expect(rd, OFS_CBOR_MAP, "COSE unprotected header", &map);
	for (i = 0; !r && i < map.arg; i++)
		r = unprotected_entry(rd, cs);
	return r;
}

static int parse_payload(struct ofs_cbor_reader *rd, struct ofs_cose_sign1 *cs)
{
	struct ofs_cbor_item it;
	int r = ofs_cbor_next(rd, &it);

	if (r < 0)
		return r;
	if (it.type == OFS_CBOR_NULL)
		return ofs_cbor_fail(rd, -ENODATA, "COSE_Sign1: detached payload (nil) not accepted");
	if (it.type != OFS_CBOR_BYTES)
		return ofs_cbor_fail(rd, -EPROTO, "COSE payload: not a byte string");
	cs->payload = it.data;
	cs->payload_len = it.arg;
	return 0;
}

static int parse_tag(struct ofs_cbor_reader *rd)
{
	struct ofs_cbor_item it;
	int r = ofs_cbor_next(rd, &it);

	if (r < 0)
		return r;
	if (it.type != OFS_CBOR_TAG)
		return ofs_cbor_fail(rd, -EPROTO,
				     "COSE_Sign1: untagged, tag 18 required");
	if (it.arg != COSE_TAG_SIGN1)
		return ofs_cbor_fail(rd, -EPROTO, "COSE: tag %" PRIu64 ", expected 18 (COSE_Sign1)",
				     it.arg);
	return 0;
}

int ofs_cose_sign1_parse(const uint8_t *msg, size_t len, struct ofs_cose_sign1 *cs,
			 struct ofs_decode_error *err)
{
	struct ofs_cbor_reader rd;
	struct ofs_cbor_item prot, sig;
	uint32_t n;
	int r;

	memset(cs, 0, sizeof(*cs));
	if (err)
		memset(err, 0, sizeof(*err));
	ofs_cbor_reader_init(&rd, msg, len, err);
	if (len > OFS_REPORT_MAX)
		return ofs_cbor_fail(&rd, -E2BIG, "COSE_Sign1: %zu bytes, at most %d accepted",
				     len, OFS_REPORT_MAX);
	r = parse_tag(&rd);
	if (!r)
		r = ofs_cbor_read_array(&rd, "COSE_Sign1", 4, 4, &n);
	if (!r)
		r = ofs_cbor_expect(&rd, OFS_CBOR_BYTES, "COSE protected header", &prot);
	if (!r)
		r = parse_protected(&rd, &prot);
	if (!r)
		r = parse_unprotected(&rd, cs);
	if (!r)
		r = parse_payload(&rd, cs);
	if (!r)
		r = ofs_cbor_expect(&rd, OFS_CBOR_BYTES, "COSE signature", &sig);
	if (!r && sig.arg != OFS_ES384_SIG_LEN)
		r = ofs_cbor_fail(&rd, -EMSGSIZE, "COSE signature: byte string of %" PRIu64
				  " bytes, expected %d", sig.arg, OFS_ES384_SIG_LEN);
	if (!r)
		r = ofs_cbor_end(&rd, "COSE_Sign1");
	if (r < 0)
		return r;
	cs->protected_hdr = prot.data;
	cs->protected_len = prot.arg;
	cs->signature = sig.data;
	return 0;
}

static int verify_raw(EVP_PKEY *pub, const struct ofs_cose_sign1 *cs)
{
	uint8_t der[DER_SIG_MAX];
	EVP_MD_CTX *ctx;
	size_t der_len;
	int r;

	r = raw_to_der(cs->signature, der, &der_len);
	if (r < 0)
		return r;
	ctx = sig_ctx(pub, 0, cs->protected_hdr, cs->protected_len, cs->payload,
		      cs->payload_len);
	if (!ctx)
		return -ENOMEM;
	r = EVP_DigestVerifyFinal(ctx, der, der_len) == 1 ? 0 : -EKEYREJECTED;
	EVP_MD_CTX_free(ctx);
	/* A rejected signature leaves OpenSSL errors that are not ours to report. */
	ERR_clear_error();
	return r;
}

int ofs_cose_sign1_verify(EVP_PKEY *pub, const uint8_t *msg, size_t len,
			  struct ofs_cose_sign1 *cs, struct ofs_decode_error *err)
{
	struct ofs_cbor_reader rd;
	int r;

	if (err)
		memset(err, 0, sizeof(*err));
	ofs_cbor_reader_init(&rd, msg, len, err);
	if (!ofs_key_is_p384(pub))
		return ofs_cbor_fail(&rd, -EINVAL, "COSE: verification key is not EC P-384");
	r = ofs_cose_sign1_parse(msg, len, cs, err);
	if (r < 0)
		return r;
	r = verify_raw(pub, cs);
	if (r == -EKEYREJECTED)
		return ofs_cbor_fail(&rd, r, "COSE_Sign1: signature does not verify");
	if (r < 0)
		return ofs_cbor_fail(&rd, r, "COSE_Sign1: cannot verify the signature");
	return 0;
}
