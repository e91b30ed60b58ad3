/* SPDX-License-Identifier: MIT */
/*
 * Fixtures of the launch-session tests: a test client that plays the
 * driver (requests, scatter-gather lists in fake guest RAM), the host
 * daemon (ECDH key, report and chain verification, launch key, image
 * stream) and the RAS (a confirmation signed by a key the device trusts),
 * all against emu_mbox_process().  Header-only because each test program
 * is built from one source file.
 *
 * Fake guest RAM (64 MiB):
 *   1 MiB   descriptor lists (one command's at a time)
 *   2 MiB   data: image pieces, report and chain buffers, confirmations,
 *           stream records
 *   32 MiB  destinations, one 8 MiB window per component, filled as
 *           scattered pages (every other 4 KiB page, in reverse order)
 */
#ifndef OFFLOAD_SEC_SESSION_TEST_H
#define OFFLOAD_SEC_SESSION_TEST_H

#include <errno.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "emu-test.h"
#include "ofs-crypto.h"
#include "ofs-identity.h"
#include "ofs-report.h"
#include "ofs-stream.h"

#define LIST_AREA	0x100000ULL
#define LIST2_AREA	0x180000ULL
#define DATA_AREA	0x200000ULL
#define DATA_MAX	(30ULL << 20)
#define DEST_AREA	(32ULL << 20)
#define DEST_WINDOW	(8ULL << 20)
#define PAGE		4096U
#define SEG		3000U	/* data segments: records straddle them */
#define TEST_CHUNK	(16U << 10)

struct image {
	uint8_t *data;
	size_t len;
	bool present;
	/* The encrypted stream, records back to back. */
	uint8_t *stream;
	size_t stream_len;
	size_t *rec_off;	/* n_rec + 1 offsets */
	size_t n_rec;
};

struct client {
	struct fake *f;
	EVP_PKEY *ras;		/* trusted by the device */
	uint32_t chunk_size;
	uint32_t handle;
	uint8_t sid[OFS_SESSION_ID_LEN];
	uint8_t nonce[OFS_NONCE_LEN];
	struct ofs_ecdh_key *host_eph;
	uint8_t host_pub[OFS_P384_POINT_LEN];
	uint8_t report[OFS_REPORT_MAX];
	size_t report_len;
	struct ofs_report rep;	/* as verified */
	uint8_t conf[OFS_CONFIRM_MAX];
	size_t conf_len;
	struct ofs_launch_keys keys;	/* the host's */
	struct image img[OFS_HW_NUM_COMPONENTS];
	struct ofs_hw_receipt receipt;
};

static inline uint32_t run(struct fake *f, uint32_t opcode, const void *in,
			   uint32_t in_len)
{
	uint64_t tag = fake_request(f, opcode, in, in_len);
	uint32_t status = emu_mbox_process(&f->mbox, &f->dev);

	assert_int_equal(le64toh(f->mbox.rsp.tag), tag);
	assert_int_equal(le32toh(f->mbox.rsp.status), status);
	if (status != OFFLOAD_SEC_DS_OK && status != OFFLOAD_SEC_DS_NO_SPACE)
		assert_int_equal(le32toh(f->mbox.rsp.out_len), 0);
	return status;
}

static inline void rsp_out(struct fake *f, void *out, size_t len)
{
	assert_int_equal(le32toh(f->mbox.rsp.out_len), len);
	memcpy(out, f->mbox.rsp.out, len);
}

/*
 * Copies len bytes to addr and describes them at list as segments of at
 * most seg bytes; returns the list.
 */
static inline struct ofs_hw_sg_list put_data(struct fake *f, uint64_t list,
					     uint64_t addr, const void *data,
					     size_t len, uint32_t seg)
{
	uint32_t i = 0;
	size_t off;

	assert_true(addr + len <= f->ram_size);
	if (data && len)
		memcpy(f->ram + addr, data, len);
	for (off = 0; off < len; off += seg, i++)
		fake_put_sg(f, list, i, addr + off,
			    len - off < seg ? len - off : seg, 0);
	return fake_list(list, i, len);
}

/* A buffer of cap bytes at addr (the device writes it). */
static inline struct ofs_hw_sg_list out_buf(struct fake *f, uint64_t addr,
					    size_t cap)
{
	return put_data(f, LIST_AREA, addr, NULL, cap, 1U << 20);
}

static inline void pattern(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 9)) ^ seed);
}

/* Every secret the device holds is gone, and no session is open. */
static inline void assert_no_keys(struct fake *f)
{
	assert_int_equal(emu_session_key_bytes_live(&f->dev), 0);
}

static inline void trust(struct fake *f, EVP_PKEY *key)
{
	EVP_PKEY **keys = OPENSSL_realloc(f->id.ras_keys,
					  (f->id.n_ras_keys + 1) *
					  sizeof(*keys));

	assert_non_null(keys);
	assert_int_equal(EVP_PKEY_up_ref(key), 1);
	keys[f->id.n_ras_keys++] = key;
	f->id.ras_keys = keys;
}

/* The client of a device with 64 MiB of RAM whose trust store has ras. */
static inline int client_setup(void **state)
{
	struct client *c = calloc(1, sizeof(*c));
	void *fs;

	if (!c || fake_setup_with(&fs, FAKE_BIG_RAM_SIZE, true) < 0)
		return -1;
	c->f = fs;
	c->ras = EVP_EC_gen("P-384");
	if (!c->ras)
		return -1;
	trust(c->f, c->ras);
	c->chunk_size = TEST_CHUNK;
	*state = c;
	return 0;
}

static inline void image_free(struct image *im)
{
	free(im->data);
	free(im->stream);
	free(im->rec_off);
	memset(im, 0, sizeof(*im));
}

static inline int client_teardown(void **state)
{
	struct client *c = *state;
	void *fs = c->f;
	int ret = 0;
	size_t i;

	/* Whatever state a test left its sessions in, ABORT wipes every key. */
	emu_sessions_abort_all(&c->f->dev);
	if (emu_session_key_bytes_live(&c->f->dev) != 0) {
		print_error("key material left after aborting every session\n");
		ret = -1;
	}
	for (i = 0; i < OFS_HW_NUM_COMPONENTS; i++)
		image_free(&c->img[i]);
	ofs_ecdh_free(c->host_eph);
	EVP_PKEY_free(c->ras);
	fake_teardown(&fs);
	free(c);
	return ret;
}

static inline void set_image(struct client *c, uint32_t comp, size_t len,
			     uint32_t seed)
{
	struct image *im = &c->img[comp];

	image_free(im);
	im->data = malloc(len ? len : 1);
	assert_non_null(im->data);
	pattern(im->data, len, seed);
	im->len = len;
	im->present = true;
}

/* kernel, initrd, cmdline: sizes that are no multiple of anything. */
static inline void default_images(struct client *c)
{
	static const char cmdline[] = "console=ttyS0 quiet init=/sbin/init";

	set_image(c, OFS_HW_COMPONENT_KERNEL, 300 * 1024 + 123, 1);
	set_image(c, OFS_HW_COMPONENT_INITRD, 1024 * 1024 + 4097, 2);
	set_image(c, OFS_HW_COMPONENT_CMDLINE, sizeof(cmdline) - 1, 3);
	memcpy(c->img[OFS_HW_COMPONENT_CMDLINE].data, cmdline,
	       sizeof(cmdline) - 1);
}

static inline uint32_t create_chunk(struct client *c, uint32_t chunk)
{
	struct ofs_hw_session_create in = { .chunk_size = htole32(chunk) };
	struct ofs_hw_session out;
	uint32_t status;

	status = run(c->f, OFS_HW_OP_SESSION_CREATE, &in, sizeof(in));
	if (status != OFFLOAD_SEC_DS_OK)
		return status;
	rsp_out(c->f, &out, sizeof(out));
	assert_int_not_equal(le32toh(out.handle), 0);
	c->handle = le32toh(out.handle);
	memcpy(c->sid, out.session_id, sizeof(c->sid));
	return status;
}

static inline void create(struct client *c)
{
	assert_int_equal(create_chunk(c, c->chunk_size), OFFLOAD_SEC_DS_OK);
}

static inline uint32_t measure_piece(struct client *c, uint32_t comp,
				     uint64_t offset, const void *data,
				     size_t len, uint32_t flags,
				     struct ofs_hw_measure_out *out)
{
	struct ofs_hw_measure in = {
		.handle = htole32(c->handle),
		.component = htole32(comp),
		.flags = htole32(flags),
		.offset = htole64(offset),
	};
	uint32_t status;

	in.src = put_data(c->f, LIST_AREA, DATA_AREA, data, len, SEG);
	status = run(c->f, OFS_HW_OP_MEASURE, &in, sizeof(in));
	if (status == OFFLOAD_SEC_DS_OK && out)
		rsp_out(c->f, out, sizeof(*out));
	return status;
}

/* Each present component in three pieces; checks the digests. */
static inline void measure_all(struct client *c)
{
	struct ofs_hw_measure_out out;
	uint8_t want[OFS_SHA256_LEN];
	struct image *im;
	size_t i, a, b;

	for (i = 0; i < OFS_HW_NUM_COMPONENTS; i++) {
		im = &c->img[i];
		if (!im->present)
			continue;
		a = im->len / 3;
		b = 2 * im->len / 3;
		assert_int_equal(measure_piece(c, i, 0, im->data, a, 0, &out),
				 OFFLOAD_SEC_DS_OK);
		assert_int_equal(le64toh(out.measured), a);
		assert_int_equal(measure_piece(c, i, a, im->data + a, b - a, 0,
					       &out), OFFLOAD_SEC_DS_OK);
		assert_int_equal(measure_piece(c, i, b, im->data + b,
					       im->len - b,
					       OFS_HW_MEASURE_FINAL, &out),
				 OFFLOAD_SEC_DS_OK);
		assert_int_equal(le64toh(out.measured), im->len);
		SHA256(im->data, im->len, want);
		assert_memory_equal(out.sha256, want, sizeof(want));
	}
}

static inline void new_host_key(struct client *c)
{
	ofs_ecdh_free(c->host_eph);
	assert_int_equal(ofs_ecdh_generate(&c->host_eph), 0);
	assert_int_equal(ofs_ecdh_export_public(c->host_eph, c->host_pub), 0);
}

static inline uint32_t attest_cap(struct client *c, size_t cap,
				  struct ofs_hw_blob_out *out)
{
	struct ofs_hw_attest in = { .handle = htole32(c->handle) };
	uint32_t status;

	if (!c->host_eph)
		new_host_key(c);
	pattern(c->nonce, sizeof(c->nonce), c->handle);
	memcpy(in.nonce, c->nonce, sizeof(in.nonce));
	memcpy(in.host_pub, c->host_pub, sizeof(in.host_pub));
	in.report = out_buf(c->f, DATA_AREA, cap);
	status = run(c->f, OFS_HW_OP_ATTEST, &in, sizeof(in));
	if (status == OFFLOAD_SEC_DS_OK || status == OFFLOAD_SEC_DS_NO_SPACE)
		rsp_out(c->f, out, sizeof(*out));
	if (status == OFFLOAD_SEC_DS_OK) {
		c->report_len = le32toh(out->len[0]);
		assert_true(c->report_len <= cap);
		memcpy(c->report, c->f->ram + DATA_AREA, c->report_len);
	}
	return status;
}

static inline X509 *get_cert(const uint8_t *der, size_t len)
{
	X509 *x = NULL;

	assert_int_equal(ofs_cert_from_der(der, len, &x), 0);
	return x;
}

/* What a verifier does: chain to the manufacturer root, then the report. */
static inline void verify_report(struct client *c)
{
	struct ofs_hw_get_chain in = { .out = out_buf(c->f, DATA_AREA,
						      64 * 1024) };
	struct ofs_hw_blob_out out;
	struct ofs_chain_info info;
	struct ofs_decode_error err;
	X509 *devid, *alias, *root = c->f->id.root_cert;
	size_t l0, l1;

	assert_int_equal(run(c->f, OFS_HW_OP_GET_CHAIN, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_OK);
	rsp_out(c->f, &out, sizeof(out));
	l0 = le32toh(out.len[0]);
	l1 = le32toh(out.len[1]);
	devid = get_cert(c->f->ram + DATA_AREA, l0);
	alias = get_cert(c->f->ram + DATA_AREA + l0, l1);
	assert_int_equal(ofs_cert_verify_chain(&root, 1, devid, alias, &info),
			 0);
	assert_int_equal(ofs_report_verify(info.alias_pub, c->report,
					   c->report_len, &c->rep, &err), 0);
	assert_memory_equal(info.ueid, c->rep.ueid, OFS_UEID_LEN);
	assert_memory_equal(c->rep.nonce, c->nonce, OFS_NONCE_LEN);
	assert_memory_equal(c->rep.session_id, c->sid, OFS_SESSION_ID_LEN);
	assert_memory_equal(c->rep.host_pub, c->host_pub, OFS_P384_POINT_LEN);
	ofs_chain_info_release(&info);
	X509_free(devid);
	X509_free(alias);
}

static inline void attest(struct client *c)
{
	struct ofs_hw_blob_out out;

	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &out),
			 OFFLOAD_SEC_DS_OK);
	verify_report(c);
}

/* The RAS's confirmation of the client's report, valid now. */
static inline void conf_default(struct client *c, struct ofs_confirmation *cf)
{
	memset(cf, 0, sizeof(*cf));
	cf->issued_at = c->f->now - 10;
	cf->expiry = c->f->now + 300;
	memcpy(cf->nonce, c->nonce, sizeof(cf->nonce));
	assert_int_equal(ofs_report_digest(c->report, c->report_len,
					   cf->report_sha256), 0);
	cf->verdict = OFS_VERDICT_AFFIRMING;
	snprintf(cf->policy_id, sizeof(cf->policy_id), "test-policy");
	pattern(cf->policy_digest, sizeof(cf->policy_digest), 9);
	cf->ras_kid_len = 4;
	memcpy(cf->ras_kid, "test", 4);
}

static inline void conf_sign(struct client *c, EVP_PKEY *key,
			     const struct ofs_confirmation *cf)
{
	assert_int_equal(ofs_confirmation_sign(key, cf, c->conf,
					       sizeof(c->conf), &c->conf_len),
			 0);
}

static inline uint32_t confirm_bytes(struct client *c, const void *msg,
				     size_t len)
{
	struct ofs_hw_confirm in = { .handle = htole32(c->handle) };

	in.confirmation = put_data(c->f, LIST_AREA, DATA_AREA, msg, len, SEG);
	return run(c->f, OFS_HW_OP_CONFIRM, &in, sizeof(in));
}

/* The host's side of the launch key, from the verified report. */
static inline void host_keys(struct client *c)
{
	struct ofs_launch_kdf_input kin = {
		.shared_secret_len = OFS_ECDH_SECRET_LEN,
		.confirmation = c->conf,
		.confirmation_len = c->conf_len,
		.report = c->report,
		.report_len = c->report_len,
	};
	uint8_t regs[OFS_NUM_MEAS_REGS][OFS_SHA256_LEN];
	uint8_t secret[OFS_ECDH_SECRET_LEN];
	struct ofs_ecdh_key *dev_pub;
	const struct ofs_image_component *ic;
	uint32_t i;

	assert_int_equal(ofs_ecdh_import_public(&dev_pub, c->rep.device_pub,
						OFS_P384_POINT_LEN), 0);
	assert_int_equal(ofs_ecdh_derive(c->host_eph, dev_pub, secret), 0);
	ofs_ecdh_free(dev_pub);
	kin.shared_secret = secret;
	assert_int_equal(c->rep.n_regs, OFS_NUM_MEAS_REGS);
	memcpy(regs, c->rep.regs, sizeof(regs));
	assert_int_equal(ofs_measure_composite(regs, kin.boot_measurement), 0);
	for (i = 0; i < c->rep.n_components; i++) {
		ic = &c->rep.components[i];
		kin.image_digest[ic->component] = ic->sha256;
	}
	memcpy(kin.session_id, c->rep.session_id, sizeof(kin.session_id));
	assert_int_equal(ofs_launch_kdf(&kin, &c->keys), 0);
	OPENSSL_cleanse(secret, sizeof(secret));
}

static inline void confirm(struct client *c)
{
	struct ofs_confirmation cf;

	conf_default(c, &cf);
	conf_sign(c, c->ras, &cf);
	assert_int_equal(confirm_bytes(c, c->conf, c->conf_len),
			 OFFLOAD_SEC_DS_OK);
	host_keys(c);
}

/* Encrypts data (len bytes, as component comp) with the host's key. */
static inline void seal_stream(struct client *c, uint32_t comp,
			       const uint8_t *data, size_t len)
{
	struct ofs_stream_params p = {
		.stream_id = comp + 1,
		.chunk_size = c->chunk_size,
		.total_len = len,
	};
	struct image *im = &c->img[comp];
	struct ofs_stream_enc *e;
	uint64_t n, k;
	size_t pt, rec, off = 0;

	memcpy(p.session_id, c->sid, sizeof(p.session_id));
	assert_int_equal(ofs_stream_chunk_count(&p, &n), 0);
	free(im->stream);
	free(im->rec_off);
	im->stream_len = len + n * OFS_STREAM_OVERHEAD;
	im->stream = malloc(im->stream_len);
	im->rec_off = calloc(n + 1, sizeof(*im->rec_off));
	im->n_rec = n;
	assert_true(im->stream && im->rec_off);
	assert_int_equal(ofs_stream_enc_new(&e, c->keys.aead_key, &p), 0);
	for (k = 0; k < n; k++) {
		assert_int_equal(ofs_stream_chunk_len(&p, k, &pt), 0);
		im->rec_off[k] = off;
		assert_int_equal(ofs_stream_seal(e, data + k * c->chunk_size,
						 pt, im->stream + off,
						 im->stream_len - off, &rec), 0);
		off += rec;
	}
	im->rec_off[n] = off;
	assert_int_equal(off, im->stream_len);
	ofs_stream_enc_free(e);
}

static inline uint64_t dest_page(uint32_t comp, size_t npages, size_t k)
{
	return DEST_AREA + comp * DEST_WINDOW + (npages - 1 - k) * 2 * PAGE;
}

static inline size_t dest_pages(size_t len)
{
	return len ? (len + PAGE - 1) / PAGE : 0;
}

/* Registers scattered pages covering len bytes (len = the image's). */
static inline uint32_t set_dest_len(struct client *c, uint32_t comp,
				    size_t len)
{
	struct ofs_hw_set_dest in = {
		.handle = htole32(c->handle),
		.component = htole32(comp),
	};
	size_t n = dest_pages(len), k;

	assert_true(2 * n * PAGE <= DEST_WINDOW);
	for (k = 0; k < n; k++)
		fake_put_sg(c->f, LIST2_AREA, k, dest_page(comp, n, k), PAGE,
			    0);
	in.dest = fake_list(LIST2_AREA, n, n * PAGE);
	return run(c->f, OFS_HW_OP_SET_DEST, &in, sizeof(in));
}

static inline void set_dest(struct client *c, uint32_t comp)
{
	assert_int_equal(set_dest_len(c, comp, c->img[comp].len),
			 OFFLOAD_SEC_DS_OK);
}

/* What the destination of comp holds, gathered in list order. */
static inline void gather_dest(struct client *c, uint32_t comp, uint8_t *out,
			       size_t len)
{
	size_t n = dest_pages(len), k, m;

	for (k = 0; k < n; k++) {
		m = len - k * PAGE < PAGE ? len - k * PAGE : PAGE;
		memcpy(out + k * PAGE, c->f->ram + dest_page(comp, n, k), m);
	}
}

static inline bool dest_zero(struct client *c, uint32_t comp, size_t len)
{
	size_t n = dest_pages(len), k, i;
	const uint8_t *p;

	for (k = 0; k < n; k++) {
		p = c->f->ram + dest_page(comp, n, k);
		for (i = 0; i < PAGE; i++)
			if (p[i])
				return false;
	}
	return true;
}

static inline uint32_t load_raw(struct client *c, uint32_t comp,
				const void *data, size_t len,
				struct ofs_hw_load_out *out)
{
	struct ofs_hw_load in = {
		.handle = htole32(c->handle),
		.component = htole32(comp),
	};
	uint32_t status;

	in.src = put_data(c->f, LIST_AREA, DATA_AREA, data, len, SEG);
	status = run(c->f, OFS_HW_OP_LOAD, &in, sizeof(in));
	if (status == OFFLOAD_SEC_DS_OK && out)
		rsp_out(c->f, out, sizeof(*out));
	return status;
}

/* Records [first, last) of comp's stream in one LOAD. */
static inline uint32_t load_recs(struct client *c, uint32_t comp,
				 size_t first, size_t last,
				 struct ofs_hw_load_out *out)
{
	struct image *im = &c->img[comp];

	assert_true(first < last && last <= im->n_rec);
	return load_raw(c, comp, im->stream + im->rec_off[first],
			im->rec_off[last] - im->rec_off[first], out);
}

/* The whole stream of comp, in LOADs of up to three records. */
static inline void load_all(struct client *c, uint32_t comp)
{
	struct image *im = &c->img[comp];
	struct ofs_hw_load_out out;
	size_t k, end;

	for (k = 0; k < im->n_rec; k = end) {
		end = k + 3 < im->n_rec ? k + 3 : im->n_rec;
		assert_int_equal(load_recs(c, comp, k, end, &out),
				 OFFLOAD_SEC_DS_OK);
		assert_int_equal(le32toh(out.complete), end == im->n_rec);
	}
	assert_int_equal(le64toh(out.loaded), im->len);
}

static inline uint32_t finish(struct client *c)
{
	struct ofs_hw_session_ref in = { .handle = htole32(c->handle) };
	uint32_t status;

	status = run(c->f, OFS_HW_OP_FINISH, &in, sizeof(in));
	if (status == OFFLOAD_SEC_DS_OK)
		rsp_out(c->f, &c->receipt, sizeof(c->receipt));
	return status;
}

static inline uint32_t abort_session(struct client *c)
{
	struct ofs_hw_session_ref in = { .handle = htole32(c->handle) };

	return run(c->f, OFS_HW_OP_ABORT, &in, sizeof(in));
}

/* Create, measure, attest and confirm: ready for SET_DEST and LOAD. */
static inline void confirmed_session(struct client *c)
{
	if (!c->img[0].present && !c->img[1].present && !c->img[2].present)
		default_images(c);
	create(c);
	measure_all(c);
	attest(c);
	confirm(c);
}

/* ... and every stream sealed and every destination registered. */
static inline void ready_to_load(struct client *c)
{
	size_t i;

	confirmed_session(c);
	for (i = 0; i < OFS_HW_NUM_COMPONENTS; i++) {
		if (!c->img[i].present)
			continue;
		seal_stream(c, i, c->img[i].data, c->img[i].len);
		set_dest(c, i);
	}
}

/* The receipt as hw.h defines it, computed here independently. */
static inline void check_receipt(struct client *c)
{
	static const char label[] = "offload-sec/v1/receipt";
	uint8_t msg[sizeof(label) - 1 + OFS_SESSION_ID_LEN +
		    4 * OFS_SHA256_LEN] = { 0 };
	uint8_t mac[OFS_SHA256_LEN], *p = msg;
	unsigned int mac_len;
	size_t i;

	memcpy(p, label, sizeof(label) - 1);
	p += sizeof(label) - 1;
	memcpy(p, c->sid, OFS_SESSION_ID_LEN);
	p += OFS_SESSION_ID_LEN;
	SHA256(c->report, c->report_len, p);
	p += OFS_SHA256_LEN;
	for (i = 0; i < OFS_HW_NUM_COMPONENTS; i++, p += OFS_SHA256_LEN) {
		if (c->img[i].present)
			SHA256(c->img[i].data, c->img[i].len, p);
		assert_int_equal(le64toh(c->receipt.loaded[i]),
				 c->img[i].present ? c->img[i].len : 0);
	}
	assert_non_null(HMAC(EVP_sha256(), c->keys.receipt_mac_key,
			     OFS_RECEIPT_KEY_LEN, msg, sizeof(msg), mac,
			     &mac_len));
	assert_memory_equal(mac, c->receipt.mac, sizeof(mac));
	assert_int_equal(c->receipt.reserved, 0);
}

#endif /* OFFLOAD_SEC_SESSION_TEST_H */
