// SPDX-License-Identifier: MIT
/*
 * The device's certificates: manufacturer root -> DeviceID -> Alias, the
 * firmware-measurement extension the Alias certificate carries, and chain
 * verification (files: cert-io.c).  Profiles are in docs/device-identity.md;
 * this file is their one implementation.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ofs-identity.h"
#include "ofs-util.h"

/* ---- the firmware-measurement extension ---- */

/*
 * FwMeasurement ::= SEQUENCE {
 *     composite  OCTET STRING (SIZE (32)),
 *     registers  SEQUENCE (SIZE (4)) OF OCTET STRING (SIZE (32)),
 *     svn        INTEGER (0..4294967295) }
 */
/* OpenSSL names no stack of OCTET STRINGs; the macro makes one. */
DEFINE_STACK_OF(ASN1_OCTET_STRING)

typedef struct {
	ASN1_OCTET_STRING *composite;
	STACK_OF(ASN1_OCTET_STRING) *registers;
	ASN1_INTEGER *svn;
} FW_MEASUREMENT;

ASN1_SEQUENCE(FW_MEASUREMENT) = {
	ASN1_SIMPLE(FW_MEASUREMENT, composite, ASN1_OCTET_STRING),
	ASN1_SEQUENCE_OF(FW_MEASUREMENT, registers, ASN1_OCTET_STRING),
	ASN1_SIMPLE(FW_MEASUREMENT, svn, ASN1_INTEGER),
} static_ASN1_SEQUENCE_END(FW_MEASUREMENT)

IMPLEMENT_STATIC_ASN1_ALLOC_FUNCTIONS(FW_MEASUREMENT)
IMPLEMENT_STATIC_ASN1_ENCODE_FUNCTIONS(FW_MEASUREMENT)

static int push_register(FW_MEASUREMENT *fm, const uint8_t *reg)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();

	if (!os || !ASN1_OCTET_STRING_set(os, reg, OFS_SHA256_LEN) ||
	    !sk_ASN1_OCTET_STRING_push(fm->registers, os)) {
		ASN1_OCTET_STRING_free(os);
		return -ENOMEM;
	}
	return 0;
}

static FW_MEASUREMENT *fw_measurement_build(const struct ofs_fw_measurement *m)
{
	FW_MEASUREMENT *fm = FW_MEASUREMENT_new();
	int i;

	if (!fm)
		return NULL;
	if (!ASN1_OCTET_STRING_set(fm->composite, m->composite,
				   OFS_SHA256_LEN) ||
	    !ASN1_INTEGER_set_uint64(fm->svn, m->svn))
		goto free_fm;
	for (i = 0; i < OFS_NUM_MEAS_REGS; i++)
		if (push_register(fm, m->regs[i]) < 0)
			goto free_fm;
	return fm;
free_fm:
	FW_MEASUREMENT_free(fm);
	return NULL;
}

int ofs_fw_measurement_encode(const struct ofs_fw_measurement *meas,
			      uint8_t **der, size_t *len)
{
	FW_MEASUREMENT *fm = fw_measurement_build(meas);
	unsigned char *buf = NULL;
	int n;

	if (!fm)
		return -ENOMEM;
	n = i2d_FW_MEASUREMENT(fm, &buf);
	FW_MEASUREMENT_free(fm);
	if (n <= 0)
		return -ENOMEM;
	*der = buf;
	*len = n;
	return 0;
}

static int octets32(const ASN1_OCTET_STRING *os, uint8_t *out)
{
	if (ASN1_STRING_length(os) != OFS_SHA256_LEN)
		return -EPROTO;
	memcpy(out, ASN1_STRING_get0_data(os), OFS_SHA256_LEN);
	return 0;
}

static int fw_measurement_fields(const FW_MEASUREMENT *fm,
				 struct ofs_fw_measurement *m)
{
	uint64_t svn;
	int i;

	if (sk_ASN1_OCTET_STRING_num(fm->registers) != OFS_NUM_MEAS_REGS ||
	    octets32(fm->composite, m->composite) < 0)
		return -EPROTO;
	for (i = 0; i < OFS_NUM_MEAS_REGS; i++)
		if (octets32(sk_ASN1_OCTET_STRING_value(fm->registers, i),
			     m->regs[i]) < 0)
			return -EPROTO;
	if (ASN1_INTEGER_get_uint64(&svn, fm->svn) != 1 || svn > UINT32_MAX)
		return -EPROTO;
	m->svn = svn;
	return 0;
}

/*
 * Strict: the bytes must be exactly what the encoder would produce, so
 * one measurement has one encoding (OpenSSL's decoder is more lenient).
 */
int ofs_fw_measurement_decode(const uint8_t *der, size_t len,
			      struct ofs_fw_measurement *meas)
{
	const unsigned char *p = der;
	FW_MEASUREMENT *fm;
	uint8_t *again = NULL;
	size_t again_len;
	int r;

	memset(meas, 0, sizeof(*meas));
	if (len == 0 || len > 1024)
		return -EPROTO;
	fm = d2i_FW_MEASUREMENT(NULL, &p, len);
	ERR_clear_error();
	if (!fm)
		return -EPROTO;
	r = p == der + len ? fw_measurement_fields(fm, meas) : -EPROTO;
	FW_MEASUREMENT_free(fm);
	if (r < 0)
		goto clear;
	r = ofs_fw_measurement_encode(meas, &again, &again_len);
	if (r == 0 && (again_len != len || memcmp(again, der, len)))
		r = -EPROTO;
	OPENSSL_free(again);
clear:
	if (r < 0)
		memset(meas, 0, sizeof(*meas));
	return r;
}

static ASN1_OBJECT *measurement_oid(void)
{
	/* 1: numeric form only, no lookup in (or change to) the OID table. */
	return OBJ_txt2obj(OFS_OID_FW_MEASUREMENT, 1);
}

static int add_measurement_ext(X509 *x, const struct ofs_fw_measurement *m)
{
	ASN1_OCTET_STRING *value = NULL;
	X509_EXTENSION *ext = NULL;
	ASN1_OBJECT *oid;
	uint8_t *der = NULL;
	size_t len;
	int r;

	oid = measurement_oid();
	if (!oid)
		return -ENOMEM;
	r = ofs_fw_measurement_encode(m, &der, &len);
	if (r < 0)
		goto free_oid;
	r = -ENOMEM;
	value = ASN1_OCTET_STRING_new();
	if (!value || !ASN1_OCTET_STRING_set(value, der, len))
		goto free_value;
	ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, value);
	if (ext && X509_add_ext(x, ext, -1))
		r = 0;
	X509_EXTENSION_free(ext);
free_value:
	ASN1_OCTET_STRING_free(value);
	OPENSSL_free(der);
free_oid:
	ASN1_OBJECT_free(oid);
	return r;
}

/* ---- building certificates ---- */

/*
 * Explicit UTF8String: OpenSSL's string table would cap a CN at 64
 * characters (ub-common-name), and the device CNs carry a 66-digit ueid.
 */
static int set_cn(X509_NAME *name, const char *cn)
{
	return X509_NAME_add_entry_by_NID(name, NID_commonName,
					  V_ASN1_UTF8STRING,
					  (const unsigned char *)cn, -1, -1,
					  0) ? 0 : -ENOMEM;
}

static int set_serial(X509 *x, const uint8_t bytes[16])
{
	uint8_t b[16];
	BIGNUM *bn;
	int r = -ENOMEM;

	memcpy(b, bytes, sizeof(b));
	b[0] &= 0x7f;	/* a positive INTEGER of at most 16 octets */
	b[0] |= 0x40;	/* and never a short (or zero) one */
	bn = BN_bin2bn(b, sizeof(b), NULL);
	if (bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		r = 0;
	BN_free(bn);
	return r;
}

/* Device certificates' serial: the start of SHA-256 of the subject key. */
static int set_key_serial(X509 *x, EVP_PKEY *subject)
{
	uint8_t point[OFS_P384_POINT_LEN], md[32];
	int r;

	r = ofs_ec_public_point(subject, point);
	if (r < 0)
		return r;
	if (EVP_Digest(point, sizeof(point), md, NULL, EVP_sha256(), NULL) != 1)
		return -EIO;
	return set_serial(x, md);
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int r = ext && X509_add_ext(x, ext, -1) ? 0 : -ENOMEM;

	X509_EXTENSION_free(ext);
	return r;
}

/* A v3 certificate shell: version, subject, issuer, key, serial. */
static int cert_start(X509 *x, EVP_PKEY *subject_key, const char *cn,
		      X509 *issuer)
{
	X509_NAME *name;
	int r;

	name = X509_NAME_new();
	if (!name)
		return -ENOMEM;
	r = set_cn(name, cn);
	if (r == 0 && (!X509_set_version(x, X509_VERSION_3) ||
		       !X509_set_subject_name(x, name) ||
		       !X509_set_issuer_name(x, issuer ?
					     X509_get_subject_name(issuer) :
					     name) ||
		       !X509_set_pubkey(x, subject_key)))
		r = -ENOMEM;
	X509_NAME_free(name);
	return r;
}

static int set_device_validity(X509 *x)
{
	if (!ASN1_TIME_set_string_X509(X509_getm_notBefore(x),
				       OFS_DEVICE_NOT_BEFORE) ||
	    !ASN1_TIME_set_string_X509(X509_getm_notAfter(x),
				       OFS_DEVICE_NOT_AFTER))
		return -ENOMEM;
	return 0;
}

/* Extensions in order; the issuer cert provides the AKI. */
static int add_exts(X509 *x, X509 *issuer, const char *bc, const char *ku)
{
	X509V3_CTX ctx;
	int r;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	r = add_ext(x, &ctx, NID_basic_constraints, bc);
	if (r == 0)
		r = add_ext(x, &ctx, NID_key_usage, ku);
	if (r == 0)
		r = add_ext(x, &ctx, NID_subject_key_identifier, "hash");
	if (r == 0 && issuer)
		r = add_ext(x, &ctx, NID_authority_key_identifier,
			    "keyid:always");
	return r;
}

static int sign(X509 *x, EVP_PKEY *key)
{
	return X509_sign(x, key, EVP_sha384()) > 0 ? 0 : -EIO;
}

/* Signs x unless building it failed (r < 0); hands it out or frees it. */
static int sign_or_free(X509 *x, EVP_PKEY *key, int r, X509 **out)
{
	if (r == 0)
		r = sign(x, key);
	if (r < 0) {
		X509_free(x);
		return r;
	}
	*out = x;
	return 0;
}

int ofs_cert_make_root(EVP_PKEY *ca_key, const char *cn, time_t not_before,
		       time_t not_after, X509 **out)
{
	uint8_t serial[16];
	X509 *x;
	int r = -ENOMEM;

	if (!ca_key || !cn || not_after <= not_before)
		return -EINVAL;
	if (!ofs_key_is_p384(ca_key))
		return -EINVAL;
	x = X509_new();
	if (!x || RAND_bytes(serial, sizeof(serial)) != 1)
		goto free_cert;
	r = cert_start(x, ca_key, cn, NULL);
	if (r == 0)
		r = set_serial(x, serial);
	if (r == 0 && (!ASN1_TIME_set(X509_getm_notBefore(x), not_before) ||
		       !ASN1_TIME_set(X509_getm_notAfter(x), not_after)))
		r = -ENOMEM;
	if (r == 0)
		r = add_exts(x, NULL, "critical,CA:TRUE,pathlen:1",
			     "critical,keyCertSign,cRLSign");
	if (r == 0)
		r = sign(x, ca_key);
	if (r == 0) {
		*out = x;
		return 0;
	}
free_cert:
	X509_free(x);
	return r;
}

static int device_cn(EVP_PKEY *deviceid_pub, const char *prefix, char *cn,
		     size_t size)
{
	uint8_t ueid[OFS_UEID_LEN];
	char hex[2 * OFS_UEID_LEN + 1];
	int r;

	r = ofs_dice_ueid(deviceid_pub, ueid);
	if (r < 0)
		return r;
	ofs_hex(ueid, sizeof(ueid), hex);
	if ((size_t)snprintf(cn, size, "%s%s", prefix, hex) >= size)
		return -EINVAL;
	return 0;
}

/* Everything both device certificates share. */
static int issue_device(EVP_PKEY *issuer_key, X509 *issuer,
			EVP_PKEY *subject, const char *cn, const char *bc,
			const char *ku, X509 **out)
{
	X509 *x;
	int r;

	if (!ofs_key_is_p384(subject) ||
	    X509_check_private_key(issuer, issuer_key) != 1) {
		ERR_clear_error();
		return -EINVAL;
	}
	x = X509_new();
	if (!x)
		return -ENOMEM;
	r = cert_start(x, subject, cn, issuer);
	if (r == 0)
		r = set_key_serial(x, subject);
	if (r == 0)
		r = set_device_validity(x);
	if (r == 0)
		r = add_exts(x, issuer, bc, ku);
	if (r < 0) {
		X509_free(x);
		return r;
	}
	*out = x;
	return 0;
}

int ofs_cert_issue_deviceid(EVP_PKEY *ca_key, X509 *ca_cert,
			    EVP_PKEY *deviceid_pub, X509 **out)
{
	char cn[sizeof(OFS_DEVICEID_CN_PREFIX) + 2 * OFS_UEID_LEN];
	X509 *x;
	int r;

	r = device_cn(deviceid_pub, OFS_DEVICEID_CN_PREFIX, cn, sizeof(cn));
	if (r < 0)
		return r;
	r = issue_device(ca_key, ca_cert, deviceid_pub, cn,
			 "critical,CA:TRUE,pathlen:0", "critical,keyCertSign",
			 &x);
	if (r < 0)
		return r;
	return sign_or_free(x, ca_key, 0, out);
}

int ofs_cert_issue_alias(EVP_PKEY *deviceid_key, X509 *deviceid_cert,
			 EVP_PKEY *alias_pub,
			 const struct ofs_fw_measurement *meas, X509 **out)
{
	char cn[sizeof(OFS_ALIAS_CN_PREFIX) + 2 * OFS_UEID_LEN];
	X509 *x;
	int r;

	/* The Alias CN names the device, as the DeviceID CN does. */
	r = device_cn(deviceid_key, OFS_ALIAS_CN_PREFIX, cn, sizeof(cn));
	if (r < 0)
		return r;
	r = issue_device(deviceid_key, deviceid_cert, alias_pub, cn,
			 "critical,CA:FALSE", "critical,digitalSignature", &x);
	if (r < 0)
		return r;
	return sign_or_free(x, deviceid_key, add_measurement_ext(x, meas), out);
}

/* ---- verifying a chain ---- */

static int fail(struct ofs_chain_info *out, int err, const char *reason)
{
	out->reason = reason;
	return err;
}

/*
 * Issuer lookup matches names and AKI/SKI, so "no issuer" at the Alias
 * means another key signed it, and at the DeviceID an unknown root.
 */
static int map_verify_error(X509_STORE_CTX *ctx, struct ofs_chain_info *out)
{
	int err = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);

	switch (err) {
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
		return fail(out, -EBADMSG, depth == 0 ?
			    "Alias certificate signature does not verify" :
			    "DeviceID certificate signature does not verify");
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		if (depth == 0)
			return fail(out, -EKEYREJECTED, "Alias certificate "
				    "not issued by the DeviceID key");
		return fail(out, -ENOKEY, "DeviceID certificate not issued "
			    "by a trusted root");
	default:
		/* Static strings: safe to hand out. */
		return fail(out, -EINVAL, X509_verify_cert_error_string(err));
	}
}

/* Also says until when: a cached verdict must not outlive the root. */
static int check_anchor_time(X509 *root, struct ofs_chain_info *out)
{
	struct tm tm;

	if (X509_cmp_current_time(X509_get0_notBefore(root)) >= 0)
		return fail(out, -EKEYEXPIRED, "root not yet valid");
	if (X509_cmp_current_time(X509_get0_notAfter(root)) <= 0)
		return fail(out, -EKEYEXPIRED, "root expired");
	if (ASN1_TIME_to_tm(X509_get0_notAfter(root), &tm) != 1)
		return fail(out, -EINVAL, "root notAfter unreadable");
	out->anchor_not_after = timegm(&tm);
	return 0;
}

/* Runs X509_verify_cert and checks the chain is root, DeviceID, Alias. */
static int verify_path(X509_STORE *store, STACK_OF(X509) *untrusted,
		       X509 *deviceid_cert, X509 *alias_cert,
		       struct ofs_chain_info *out)
{
	STACK_OF(X509) *chain;
	X509_STORE_CTX *ctx;
	int r;

	ctx = X509_STORE_CTX_new();
	if (!ctx || !X509_STORE_CTX_init(ctx, store, alias_cert, untrusted)) {
		r = fail(out, -ENOMEM, "out of memory");
		goto free_ctx;
	}
	/* Devices have no clock: the root's validity is checked apart. */
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME |
				 X509_V_FLAG_X509_STRICT);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	if (X509_verify_cert(ctx) != 1) {
		r = map_verify_error(ctx, out);
		goto free_ctx;
	}
	chain = X509_STORE_CTX_get0_chain(ctx);
	if (sk_X509_num(chain) != 3 ||
	    X509_cmp(sk_X509_value(chain, 1), deviceid_cert)) {
		r = fail(out, -EKEYREJECTED,
			 "Alias certificate not issued by the DeviceID key");
		goto free_ctx;
	}
	r = check_anchor_time(sk_X509_value(chain, 2), out);
free_ctx:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

static int verify_signatures(X509 *const *roots, size_t n_roots,
			     X509 *deviceid_cert, X509 *alias_cert,
			     struct ofs_chain_info *out)
{
	STACK_OF(X509) *untrusted;
	X509_STORE *store;
	size_t i;
	int r = -ENOMEM;

	store = X509_STORE_new();
	untrusted = sk_X509_new_null();
	if (!store || !untrusted || !sk_X509_push(untrusted, deviceid_cert))
		goto free_store;
	for (i = 0; i < n_roots; i++)
		if (!X509_STORE_add_cert(store, roots[i]))
			goto free_store;
	r = verify_path(store, untrusted, deviceid_cert, alias_cert, out);
free_store:
	if (r == -ENOMEM && !out->reason)
		out->reason = "out of memory";
	sk_X509_free(untrusted);
	X509_STORE_free(store);
	return r;
}

/* The one CN of name must be exactly want. */
static bool cn_is(X509_NAME *name, const char *want)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	const ASN1_STRING *s;

	if (i < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return false;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	return (size_t)ASN1_STRING_length(s) == strlen(want) &&
	       memcmp(ASN1_STRING_get0_data(s), want, strlen(want)) == 0;
}

/* The DeviceID subject must name the ueid of its own key. */
static int check_deviceid(X509 *deviceid_cert, struct ofs_chain_info *out)
{
	char cn[sizeof(OFS_DEVICEID_CN_PREFIX) + 2 * OFS_UEID_LEN];
	EVP_PKEY *key = X509_get0_pubkey(deviceid_cert);

	if (!key || device_cn(key, OFS_DEVICEID_CN_PREFIX, cn, sizeof(cn)) < 0)
		return fail(out, -EINVAL, "DeviceID key is not P-384");
	if (!cn_is(X509_get_subject_name(deviceid_cert), cn))
		return fail(out, -EINVAL,
			    "DeviceID subject does not name its key's ueid");
	if (ofs_dice_ueid(key, out->ueid) < 0)
		return fail(out, -EINVAL, "DeviceID key is not P-384");
	return 0;
}

static int check_alias_profile(X509 *alias_cert, struct ofs_chain_info *out)
{
	if (!ofs_key_is_p384(X509_get0_pubkey(alias_cert)))
		return fail(out, -EINVAL, "Alias key is not P-384");
	if (X509_check_ca(alias_cert) != 0)
		return fail(out, -EINVAL, "Alias certificate is a CA");
	if (!(X509_get_key_usage(alias_cert) & KU_DIGITAL_SIGNATURE))
		return fail(out, -EINVAL,
			    "Alias certificate lacks digitalSignature");
	return 0;
}

static int read_measurement(X509 *alias_cert, struct ofs_chain_info *out)
{
	const ASN1_OCTET_STRING *value;
	X509_EXTENSION *ext;
	ASN1_OBJECT *oid;
	int i, dup;

	oid = measurement_oid();
	if (!oid)
		return fail(out, -ENOMEM, "out of memory");
	i = X509_get_ext_by_OBJ(alias_cert, oid, -1);
	dup = i >= 0 ? X509_get_ext_by_OBJ(alias_cert, oid, i) : -1;
	ASN1_OBJECT_free(oid);
	if (i < 0)
		return fail(out, -ENOMSG, "no firmware-measurement extension");
	if (dup >= 0)
		return fail(out, -ENOTUNIQ,
			    "duplicate firmware-measurement extension");
	ext = X509_get_ext(alias_cert, i);
	value = X509_EXTENSION_get_data(ext);
	if (X509_EXTENSION_get_critical(ext) ||
	    ofs_fw_measurement_decode(ASN1_STRING_get0_data(value),
				      ASN1_STRING_length(value),
				      &out->meas) < 0)
		return fail(out, -EPROTO,
			    "malformed firmware-measurement extension");
	return 0;
}

int ofs_cert_verify_chain(X509 *const *roots, size_t n_roots,
			  X509 *deviceid_cert, X509 *alias_cert,
			  struct ofs_chain_info *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (!roots || !n_roots || !deviceid_cert || !alias_cert)
		return fail(out, -EINVAL, "missing certificate");
	r = verify_signatures(roots, n_roots, deviceid_cert, alias_cert, out);
	if (r == 0)
		r = check_deviceid(deviceid_cert, out);
	if (r == 0)
		r = check_alias_profile(alias_cert, out);
	if (r == 0)
		r = read_measurement(alias_cert, out);
	if (r == 0) {
		out->alias_pub = X509_get_pubkey(alias_cert);
		if (!out->alias_pub)
			r = fail(out, -ENOMEM, "out of memory");
	}
	if (r < 0) {
		/* Nothing from a rejected chain may be used by mistake. */
		memset(&out->meas, 0, sizeof(out->meas));
		memset(out->ueid, 0, sizeof(out->ueid));
		out->anchor_not_after = 0;
	}
	return r;
}

void ofs_chain_info_release(struct ofs_chain_info *info)
{
	EVP_PKEY_free(info->alias_pub);
	info->alias_pub = NULL;
}
