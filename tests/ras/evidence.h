/* SPDX-License-Identifier: MIT */
/*
 * Evidence for the RAS tests and its load client, made by libofs as the
 * card makes it: a manufacturer root, a DeviceID and an Alias certificate
 * for a fixed UDS and a measured three-stage boot, reports signed by the
 * Alias key, attest request bodies, and a policy that admits exactly
 * this device and the test image.  Header-only: each program that uses it
 * is one source file.
 */
#ifndef OFS_TESTS_RAS_EVIDENCE_H
#define OFS_TESTS_RAS_EVIDENCE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ofs-identity.h"
#include "ofs-report.h"
#include "ofs-util.h"

#define EV_YEAR		(365L * 24 * 3600)

static const char *const ev_stages[] = { "rom", "fmc", "runtime" };
static const char *const ev_image_text[] = { "kernel-v1", "initrd-v1",
					     "console=ttyS0" };

struct ev_device {
	EVP_PKEY *ca_key, *devid_key, *alias_key;
	X509 *root, *devid, *alias;
	struct ofs_measure_log log;
	struct ofs_fw_measurement meas;
};

static inline void ev_uds(uint8_t uds[OFS_UDS_LEN], uint8_t seed)
{
	int i;

	for (i = 0; i < OFS_UDS_LEN; i++)
		uds[i] = (uint8_t)(seed + 3 * i);
}

/* The measured boot: stage i's bytes are "<stage> v<version>", svn 2. */
static inline int ev_measure(struct ev_device *d, unsigned int version)
{
	char text[32];
	int i, r = 0;

	ofs_measure_init(&d->log);
	for (i = 0; i < 3 && !r; i++) {
		snprintf(text, sizeof(text), "%s v%u", ev_stages[i],
			 i == 2 ? version : 1);
		r = ofs_measure_stage(&d->log, (uint8_t)i, ev_stages[i], text,
				      strlen(text), 2);
	}
	return r ? r : ofs_measure_summary(d->log.events, d->log.n_events,
					   &d->meas);
}

/* Keys from the UDS, as the device derives them; certificates if ca. */
static inline int ev_device_keys(struct ev_device *d, uint8_t seed,
				 unsigned int fw_version)
{
	uint8_t uds[OFS_UDS_LEN];
	int r;

	ev_uds(uds, seed);
	r = ev_measure(d, fw_version);
	if (!r)
		r = ofs_dice_deviceid_key(uds, &d->devid_key);
	if (!r)
		r = ofs_dice_alias_from_uds(uds, d->meas.composite, &d->alias_key);
	return r;
}

/* A whole device under a new manufacturer root (or d->ca_key's). */
static inline int ev_device_make(struct ev_device *d, uint8_t seed,
				 unsigned int fw_version)
{
	time_t now = time(NULL);
	int r;

	r = ev_device_keys(d, seed, fw_version);
	if (!r && !d->ca_key) {
		d->ca_key = EVP_EC_gen("P-384");
		r = d->ca_key ? ofs_cert_make_root(d->ca_key, OFS_ROOT_CN,
						   now - 3600, now + 10 * EV_YEAR,
						   &d->root) : -ENOMEM;
	}
	if (!r)
		r = ofs_cert_issue_deviceid(d->ca_key, d->root, d->devid_key,
					    &d->devid);
	if (!r)
		r = ofs_cert_issue_alias(d->devid_key, d->devid, d->alias_key,
					 &d->meas, &d->alias);
	return r;
}

static inline void ev_device_free(struct ev_device *d)
{
	EVP_PKEY_free(d->ca_key);
	EVP_PKEY_free(d->devid_key);
	EVP_PKEY_free(d->alias_key);
	X509_free(d->root);
	X509_free(d->devid);
	X509_free(d->alias);
	memset(d, 0, sizeof(*d));
}

static inline void ev_image_digest(unsigned int kind, uint8_t out[OFS_SHA256_LEN])
{
	SHA256((const uint8_t *)ev_image_text[kind], strlen(ev_image_text[kind]),
	       out);
}

/* The report this device makes for nonce, launching the test image. */
static inline void ev_report(const struct ev_device *d,
			     const uint8_t nonce[OFS_NONCE_LEN],
			     struct ofs_report *r)
{
	uint32_t i;

	memset(r, 0, sizeof(*r));
	memcpy(r->nonce, nonce, OFS_NONCE_LEN);
	ofs_dice_ueid(d->devid_key, r->ueid);
	r->dbgstat = OFS_DBG_DISABLED_PERMANENTLY;
	r->boot_count = 3;
	r->fw = (struct ofs_fw_version){ 0, 1, 0 };
	r->svn = d->meas.svn;
	r->n_regs = OFS_NUM_MEAS_REGS;
	memcpy(r->regs, d->meas.regs, sizeof(d->meas.regs));
	r->n_events = (uint32_t)d->log.n_events;
	memcpy(r->events, d->log.events, d->log.n_events * sizeof(r->events[0]));
	r->n_components = 3;
	for (i = 0; i < 3; i++) {
		r->components[i].component = i;
		ev_image_digest(i, r->components[i].sha256);
		r->components[i].size = strlen(ev_image_text[i]);
	}
	RAND_bytes(r->session_id, sizeof(r->session_id));
	RAND_bytes(r->device_pub + 1, OFS_P384_POINT_LEN - 1);
	r->device_pub[0] = 0x04;
	RAND_bytes(r->host_pub + 1, OFS_P384_POINT_LEN - 1);
	r->host_pub[0] = 0x04;
}

static inline int ev_sign(const struct ev_device *d, const struct ofs_report *r,
			  uint8_t *out, size_t *len)
{
	return ofs_report_sign(d->alias_key, r, NULL, 0, out, OFS_REPORT_MAX, len);
}

static inline char *ev_b64(const uint8_t *p, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 1);

	if (s)
		EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

static inline char *ev_cert_b64(X509 *x)
{
	uint8_t *der = NULL;
	size_t len;
	char *s;

	if (ofs_cert_to_der(x, &der, &len))
		return NULL;
	s = ev_b64(der, len);
	OPENSSL_free(der);
	return s;
}

/* {"nonce": hex, "report": b64, "chain": [b64, b64]}; free() it. */
static inline char *ev_request_json(const struct ev_device *d,
				    const uint8_t *report, size_t len,
				    const uint8_t nonce[OFS_NONCE_LEN])
{
	char hex[2 * OFS_NONCE_LEN + 1], *rep = ev_b64(report, len);
	char *devid = ev_cert_b64(d->devid), *alias = ev_cert_b64(d->alias);
	char *out = NULL;

	ofs_hex(nonce, OFS_NONCE_LEN, hex);
	if (rep && devid && alias &&
	    asprintf(&out, "{\"nonce\": \"%s\", \"report\": \"%s\", \"chain\": "
		     "[\"%s\", \"%s\"]}", hex, rep, devid, alias) < 0)
		out = NULL;
	free(rep);
	free(devid);
	free(alias);
	return out;
}

/* A policy admitting this device's firmware and the test image. */
static inline char *ev_policy_json(const struct ev_device *d, const char *id,
				   const char *extra)
{
	char st[3][2 * OFS_SHA256_LEN + 1], img[3][2 * OFS_SHA256_LEN + 1];
	char comp[2 * OFS_SHA256_LEN + 1], *out = NULL;
	uint8_t digest[OFS_SHA256_LEN];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		ofs_hex(d->log.events[i].digest, OFS_SHA256_LEN, st[i]);
		ev_image_digest(i, digest);
		ofs_hex(digest, OFS_SHA256_LEN, img[i]);
	}
	ofs_hex(d->meas.composite, OFS_SHA256_LEN, comp);
	if (asprintf(&out,
		     "{\n"
		     "  \"version\": 1,\n"
		     "  \"policy_id\": \"%s\",\n"
		     "  \"confirmation_lifetime\": 300,\n"
		     "  \"debug\": [\"disabled-permanently\"],\n"
		     "  \"firmware\": {\n"
		     "    \"min_svn\": 2,\n"
		     "    \"stages\": [\n"
		     "      {\"stage\": \"rom\", \"register\": 0, \"sha256\": [\"%s\"]},\n"
		     "      {\"stage\": \"fmc\", \"register\": 1, \"sha256\": [\"%s\"]},\n"
		     "      {\"stage\": \"runtime\", \"register\": 2, \"sha256\": [\"%s\"], \"min_svn\": 2}\n"
		     "    ],\n"
		     "    \"composites\": [\"%s\"]\n"
		     "  },\n"
		     "  \"images\": [\n"
		     "    {\"name\": \"test-image\", \"kernel\": {\"sha256\": \"%s\"},\n"
		     "     \"initrd\": {\"sha256\": \"%s\", \"size\": 9},\n"
		     "     \"cmdline\": {\"sha256\": \"%s\"}}\n"
		     "  ]%s\n"
		     "}\n", id, st[0], st[1], st[2], comp, img[0], img[1], img[2],
		     extra ? extra : "") < 0)
		return NULL;
	return out;
}

#endif
