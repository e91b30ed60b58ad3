// SPDX-License-Identifier: MIT
/*
 * libFuzzer over what POST /v1/attest does with untrusted bytes: the
 * JSON and CBOR request decoders (tools/ras/request.c), then, for what
 * they accept, the certificates' DER and the appraisal under a policy
 * (ofs_appraise_policy()).  The first byte picks the decoder.  The device
 * and its root are deterministic, so that a valid request written once
 * (OFS_FUZZ_SEED_DIR=DIR, see tests/fuzz/run) stays valid as a seed.
 */
#include <stdlib.h>

#include "../ras/evidence.h"
#include "ofs-cbor.h"
#include "ras.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ev_device dev;
static struct ofs_policy *policy;

static int accept_nonce(void *ctx, const uint8_t nonce[OFS_NONCE_LEN],
			char *why, size_t why_len)
{
	return nonce[0] & 1 ? 0 : -ENOENT;
}

static void write_seed(const char *dir, const char *name, uint8_t kind,
		       const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return;
	fputc(kind, f);
	fwrite(p, 1, n, f);
	fclose(f);
}

static void put_cert(struct ofs_cbor_writer *w, X509 *x)
{
	uint8_t *der = NULL;
	size_t len;

	if (!ofs_cert_to_der(x, &der, &len))
		ofs_cbor_put_bytes(w, der, len);
	OPENSSL_free(der);
}

static void write_seeds(const char *dir)
{
	static uint8_t rep[OFS_REPORT_MAX], cbor[3 * OFS_REPORT_MAX];
	uint8_t nonce[OFS_NONCE_LEN] = { 1 };
	struct ofs_cbor_writer w;
	struct ofs_report r;
	size_t len;
	char *json;

	ev_report(&dev, nonce, &r);
	if (ev_sign(&dev, &r, rep, &len))
		return;
	json = ev_request_json(&dev, rep, len, nonce);
	if (json)
		write_seed(dir, "valid.json", 0, json, strlen(json));
	free(json);
	ofs_cbor_writer_init(&w, cbor, sizeof(cbor));
	ofs_cbor_put_map(&w, 3);
	ofs_cbor_put_text(&w, "nonce");
	ofs_cbor_put_bytes(&w, nonce, sizeof(nonce));
	ofs_cbor_put_text(&w, "report");
	ofs_cbor_put_bytes(&w, rep, len);
	ofs_cbor_put_text(&w, "chain");
	ofs_cbor_put_array(&w, 2);
	put_cert(&w, dev.devid);
	put_cert(&w, dev.alias);
	if (!w.err)
		write_seed(dir, "valid.cbor", 1, cbor, w.len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t ca_uds[OFS_UDS_LEN];
	char *text;

	ev_uds(ca_uds, 99);
	if (ofs_dice_deviceid_key(ca_uds, &dev.ca_key) ||
	    ofs_cert_make_root(dev.ca_key, OFS_ROOT_CN, 1700000000, 4000000000,
			       &dev.root) ||
	    ev_device_make(&dev, 5, 1))
		abort();
	text = ev_policy_json(&dev, "fuzz", NULL);
	if (!text || ofs_policy_parse(text, strlen(text), "fuzz", &policy, NULL))
		abort();
	free(text);
	if (getenv("OFS_FUZZ_SEED_DIR"))
		write_seeds(getenv("OFS_FUZZ_SEED_DIR"));
	return 0;
}

static void appraise(const struct ras_attest_req *req)
{
	struct ofs_nonce_source fresh = { accept_nonce, NULL };
	struct ofs_report_evidence ev = {
		.roots = &dev.root, .n_roots = 1,
		.report = req->report, .report_len = req->report_len,
		.nonce = req->nonce,
	};
	struct ofs_appraisal a;
	X509 *devid = NULL, *alias = NULL;

	if (!ofs_cert_from_der(req->cert[0], req->cert_len[0], &devid) &&
	    !ofs_cert_from_der(req->cert[1], req->cert_len[1], &alias)) {
		ev.deviceid = devid;
		ev.alias = alias;
		ofs_appraise_policy(policy, &ev, &fresh, &a, NULL);
		/* Every failed check says why. */
		for (size_t i = 0; i < a.n_checks; i++)
			if (a.checks[i].err && !a.checks[i].why[0])
				__builtin_trap();
		if (!a.n_checks || (ofs_appraisal_verdict(&a) ==
				    OFS_VERDICT_AFFIRMING) != !a.n_failed)
			__builtin_trap();
	}
	X509_free(devid);
	X509_free(alias);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ras_attest_req req;
	char why[256];
	int r;

	if (!size)
		return 0;
	why[0] = '\0';
	if (data[0] & 1)
		r = ras_request_decode_cbor(data + 1, size - 1, &req, why, sizeof(why));
	else
		r = ras_request_decode_json((const char *)data + 1, size - 1, &req,
					    why, sizeof(why));
	if (r && !why[0] && r != -ENOMEM)
		__builtin_trap();
	if (r)
		return 0;
	appraise(&req);
	ras_request_release(&req);
	return 0;
}
