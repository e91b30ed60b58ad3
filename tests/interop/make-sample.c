// SPDX-License-Identifier: MIT
/*
 * Writes a signed sample report and a confirmation of it, made by libofs,
 * with the two public keys, for verify-report.py to check with tools that
 * share no code with libofs (python3-cbor2, the openssl command line).
 * The report comes from a whole device identity (manufacturer root,
 * DeviceID and Alias certificates, a measured boot log), which is written
 * too, so that `offload-sec report verify` can appraise the same files.
 *
 *   make-sample DIR  ->  DIR/report.cose DIR/device.pem (the Alias key)
 *                        DIR/confirmation.cose DIR/ras.pem
 *                        DIR/root.pem DIR/deviceid.pem DIR/alias.pem
 *                        DIR/nonce (hex)
 */
#include <stdio.h>
#include <string.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "ofs-identity.h"
#include "ofs-report.h"
#include "ofs-util.h"

#define YEAR	(365L * 24 * 3600)

/* What the sample device is: its keys, certificates and boot log. */
struct device {
	EVP_PKEY *ca_key, *devid_key, *alias_key;
	X509 *root, *devid, *alias;
	struct ofs_measure_log log;
	struct ofs_fw_measurement meas;
};

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

static int make_device(struct device *d)
{
	static const char *const stages[] = { "rom", "bootloader", "firmware" };
	uint8_t uds[OFS_UDS_LEN];
	time_t now = time(NULL);
	int i, r = 0;

	memset(d, 0, sizeof(*d));
	ofs_measure_init(&d->log);
	for (i = 0; i < 3 && !r; i++)
		r = ofs_measure_stage(&d->log, (uint8_t)i, stages[i], stages[i],
				      strlen(stages[i]), 1);
	d->ca_key = EVP_EC_gen("P-384");
	if (r || !d->ca_key || RAND_bytes(uds, sizeof(uds)) != 1)
		return -1;
	r = ofs_measure_summary(d->log.events, d->log.n_events, &d->meas);
	if (!r)
		r = ofs_cert_make_root(d->ca_key, OFS_ROOT_CN, now - 3600,
				       now + 10 * YEAR, &d->root);
	if (!r)
		r = ofs_dice_deviceid_key(uds, &d->devid_key);
	if (!r)
		r = ofs_cert_issue_deviceid(d->ca_key, d->root, d->devid_key,
					    &d->devid);
	if (!r)
		r = ofs_dice_alias_from_uds(uds, d->meas.composite, &d->alias_key);
	if (!r)
		r = ofs_cert_issue_alias(d->devid_key, d->devid, d->alias_key,
					 &d->meas, &d->alias);
	OPENSSL_cleanse(uds, sizeof(uds));
	return r;
}

static void device_free(struct device *d)
{
	EVP_PKEY_free(d->ca_key);
	EVP_PKEY_free(d->devid_key);
	EVP_PKEY_free(d->alias_key);
	X509_free(d->root);
	X509_free(d->devid);
	X509_free(d->alias);
}

static int write_certs(const char *dir, const struct device *d)
{
	static const char *const names[] = { "root.pem", "deviceid.pem",
					     "alias.pem" };
	X509 *const certs[] = { d->root, d->devid, d->alias };
	char path[4096];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (ofs_cert_save_pem(path, certs[i], 0644))
			return -1;
	}
	return 0;
}

static int write_nonce(const char *dir, const uint8_t *nonce)
{
	char hex[2 * OFS_NONCE_LEN + 2];

	ofs_hex(nonce, OFS_NONCE_LEN, hex);
	strcat(hex, "\n");
	return write_file(dir, "nonce", (const uint8_t *)hex, strlen(hex));
}

/* A report as this device would make it; the rest is random. */
static void sample(struct ofs_report *r, const struct device *d)
{
	uint32_t i;

	memset(r, 0, sizeof(*r));
	RAND_bytes(r->nonce, sizeof(r->nonce));
	ofs_dice_ueid(d->devid_key, r->ueid);
	r->dbgstat = OFS_DBG_DISABLED_PERMANENTLY;
	r->boot_count = 7;
	r->fw = (struct ofs_fw_version){ 0, 1, 0 };
	r->svn = d->meas.svn;
	r->n_regs = OFS_NUM_MEAS_REGS;
	memcpy(r->regs, d->meas.regs, sizeof(d->meas.regs));
	r->n_events = (uint32_t)d->log.n_events;
	memcpy(r->events, d->log.events, d->log.n_events * sizeof(r->events[0]));
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
	EVP_PKEY *ras = EVP_EC_gen("P-384");
	struct ofs_confirmation c = { 0 };
	struct ofs_report r;
	size_t rep_len, conf_len;
	struct device d;
	int ret = 0;

	if (argc != 2 || !ras) {
		fprintf(stderr, "usage: make-sample DIR\n");
		return 2;
	}
	if (make_device(&d)) {
		fprintf(stderr, "make-sample: cannot make the device identity\n");
		return 1;
	}
	sample(&r, &d);
	c.issued_at = 1767225600;
	c.expiry = c.issued_at + 300;
	memcpy(c.nonce, r.nonce, sizeof(c.nonce));
	c.verdict = OFS_VERDICT_AFFIRMING;
	snprintf(c.policy_id, sizeof(c.policy_id), "fleet-default");
	RAND_bytes(c.policy_digest, sizeof(c.policy_digest));
	c.ras_kid_len = 4;
	memcpy(c.ras_kid, "ras1", 4);
	if (ofs_report_sign(d.alias_key, &r, NULL, 0, rep_buf, sizeof(rep_buf),
			    &rep_len) ||
	    ofs_report_digest(rep_buf, rep_len, c.report_sha256) ||
	    ofs_confirmation_sign(ras, &c, conf_buf, sizeof(conf_buf), &conf_len) ||
	    write_file(argv[1], "report.cose", rep_buf, rep_len) ||
	    write_file(argv[1], "confirmation.cose", conf_buf, conf_len) ||
	    write_pub(argv[1], "device.pem", d.alias_key) ||
	    write_pub(argv[1], "ras.pem", ras) || write_certs(argv[1], &d) ||
	    write_nonce(argv[1], r.nonce)) {
		fprintf(stderr, "make-sample: failed\n");
		ret = 1;
	}
	device_free(&d);
	EVP_PKEY_free(ras);
	return ret;
}
