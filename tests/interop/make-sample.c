// SPDX-License-Identifier: MIT
/*
 * Writes a signed sample report and a confirmation of it, made by libofs,
 * with the two public keys, for verify-report.py to check with tools that
 * share no code with libofs (python3-cbor2, the openssl command line).
 *
 *   make-sample DIR  ->  DIR/report.cose DIR/device.pem
 *                        DIR/confirmation.cose DIR/ras.pem
 */
#include <stdio.h>
#include <string.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "ofs-report.h"

static int write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int write_pub(const char *dir, const char *name, EVP_PKEY *key)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ok = PEM_write_PUBKEY(f, key);
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void sample(struct ofs_report *r)
{
	static const char *const stages[] = { "rom", "bootloader", "firmware" };
	uint32_t i;

	memset(r, 0, sizeof(*r));
	RAND_bytes(r->nonce, sizeof(r->nonce));
	RAND_bytes(r->ueid, sizeof(r->ueid));
	r->ueid[0] = OFS_UEID_TYPE_RAND;
	r->dbgstat = OFS_DBG_DISABLED_PERMANENTLY;
	r->boot_count = 7;
	r->fw = (struct ofs_fw_version){ 0, 1, 0 };
	r->svn = 1;
	r->n_regs = 2;
	RAND_bytes(r->regs[0], sizeof(r->regs[0]));
	RAND_bytes(r->regs[1], sizeof(r->regs[1]));
	r->n_events = 3;
	for (i = 0; i < 3; i++) {
		r->events[i].reg = i ? 1 : 0;
		snprintf(r->events[i].stage, sizeof(r->events[i].stage), "%s", stages[i]);
		RAND_bytes(r->events[i].digest, OFS_SHA256_LEN);
		r->events[i].svn = 1;
	}
	r->n_components = 3;
	for (i = 0; i < 3; i++) {
		r->components[i].component = i;
		RAND_bytes(r->components[i].sha256, OFS_SHA256_LEN);
		r->components[i].size = 4096 * (i + 1) + i;
	}
	RAND_bytes(r->session_id, sizeof(r->session_id));
	RAND_bytes(r->device_pub, sizeof(r->device_pub));
	r->device_pub[0] = 0x04;
	RAND_bytes(r->host_pub, sizeof(r->host_pub));
	r->host_pub[0] = 0x04;
}

int main(int argc, char **argv)
{
	static uint8_t rep_buf[OFS_REPORT_MAX], conf_buf[OFS_CONFIRM_MAX];
	EVP_PKEY *dev = EVP_EC_gen("P-384"), *ras = EVP_EC_gen("P-384");
	struct ofs_confirmation c = { 0 };
	struct ofs_report r;
	size_t rep_len, conf_len;

	if (argc != 2 || !dev || !ras) {
		fprintf(stderr, "usage: make-sample DIR\n");
		return 2;
	}
	sample(&r);
	c.issued_at = 1767225600;
	c.expiry = c.issued_at + 300;
	memcpy(c.nonce, r.nonce, sizeof(c.nonce));
	c.verdict = OFS_VERDICT_AFFIRMING;
	snprintf(c.policy_id, sizeof(c.policy_id), "fleet-default");
	RAND_bytes(c.policy_digest, sizeof(c.policy_digest));
	c.ras_kid_len = 4;
	memcpy(c.ras_kid, "ras1", 4);
	if (ofs_report_sign(dev, &r, NULL, 0, rep_buf, sizeof(rep_buf), &rep_len) ||
	    ofs_report_digest(rep_buf, rep_len, c.report_sha256) ||
	    ofs_confirmation_sign(ras, &c, conf_buf, sizeof(conf_buf), &conf_len) ||
	    write_file(argv[1], "report.cose", rep_buf, rep_len) ||
	    write_file(argv[1], "confirmation.cose", conf_buf, conf_len) ||
	    write_pub(argv[1], "device.pem", dev) || write_pub(argv[1], "ras.pem", ras)) {
		fprintf(stderr, "make-sample: failed\n");
		return 1;
	}
	EVP_PKEY_free(dev);
	EVP_PKEY_free(ras);
	return 0;
}
