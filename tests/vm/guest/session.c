// SPDX-License-Identifier: MIT
/*
 * Launch sessions against the emulated card, the test playing both the
 * host and the RAS: a whole launch of a multi-MiB image checked byte for
 * byte and by its receipt, then the ways to get it wrong (order, pointers,
 * lengths, flags, reserved fields, buffer sizes), the card's session
 * limit, concurrent processes, and the ends a session can come to (close
 * from another thread in the middle of LOAD, a process killed in the
 * middle of MEASURE).
 *
 * The RAS key: tests/vm/run makes a P-384 key pair per run, hands the
 * public half to the model (--ras-pubkey) and the private half to us
 * (OFS_TEST_RAS_KEY).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "ofs-crypto.h"
#include "ofs-device.h"
#include "ofs-identity.h"
#include "ofs-report.h"
#include "ofs-stream.h"
#include "tap.h"

#define MiB (1u << 20)
#define NCOMP OFFLOAD_SEC_NUM_COMPONENTS
/* The card's session slots (GET_INFO's max_sessions, checked). */
#define MAX_SESSIONS 64

static int dev = -1;
static EVP_PKEY *ras_key;

/* Page-backed memory with THP off, so that it really is scattered. */
static uint8_t *map_pages(size_t len)
{
	uint8_t *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len ? len : 1, MADV_NOHUGEPAGE);
	return p;
}

static void unmap_pages(void *p, size_t len)
{
	if (p)
		munmap(p, len ? len : 1);
}

static void fill_random(uint8_t *p, size_t len, uint64_t seed)
{
	uint64_t x = seed | 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

/* One launch, host side. */
struct launch {
	int sfd;
	uint32_t chunk;
	uint8_t session_id[OFFLOAD_SEC_SESSION_ID_LEN];
	/* the image */
	uint8_t *pt[NCOMP];
	size_t len[NCOMP];
	bool present[NCOMP];
	uint8_t digest[NCOMP][32];
	/* attestation */
	struct ofs_ecdh_key *host;
	uint8_t nonce[OFFLOAD_SEC_NONCE_LEN];
	uint8_t *report;
	size_t report_len;
	struct ofs_report rep;
	uint8_t conf[OFS_CONFIRM_MAX];
	size_t conf_len;
	struct ofs_launch_keys keys;
	/* the encrypted streams and where they go */
	uint8_t *rec[NCOMP];
	size_t rec_len[NCOMP];
	uint8_t *dest[NCOMP];
	size_t dest_len[NCOMP];
};

static void launch_free(struct launch *l)
{
	int c;

	if (l->sfd >= 0)
		close(l->sfd);
	for (c = 0; c < NCOMP; c++) {
		unmap_pages(l->pt[c], l->len[c]);
		unmap_pages(l->rec[c], l->rec_len[c]);
		unmap_pages(l->dest[c], l->dest_len[c]);
	}
	free(l->report);
	ofs_ecdh_free(l->host);
	ofs_launch_keys_wipe(&l->keys);
	memset(l, 0, sizeof(*l));
	l->sfd = -1;
}

static int launch_create(struct launch *l, uint32_t chunk)
{
	struct offload_sec_session_create sc = { .chunk_size = chunk };
	int r;

	memset(l, 0, sizeof(*l));
	l->sfd = -1;
	r = ofs_session_create(dev, &sc);
	CHECK(r >= 0, "SESSION_CREATE: %s, device status %u", strerror(-r),
	      sc.device_status);
	CHECK(r == sc.fd, "returned %d, fd field %d", r, sc.fd);
	CHECK(fcntl(r, F_GETFD) == FD_CLOEXEC, "session fd is not O_CLOEXEC");
	l->sfd = r;
	l->chunk = chunk ? chunk : OFFLOAD_SEC_CHUNK_DEFAULT;
	memcpy(l->session_id, sc.session_id, sizeof(l->session_id));
	return 0;
}

static int add_component(struct launch *l, int c, size_t len, uint64_t seed)
{
	l->pt[c] = map_pages(len);
	CHECK(l->pt[c], "mmap %zu", len);
	l->len[c] = len;
	l->present[c] = true;
	fill_random(l->pt[c], len, seed);
	SHA256(l->pt[c], len, l->digest[c]);
	return 0;
}

/* Measures component c in calls of at most split bytes (0: one call). */
static int measure(struct launch *l, int c, size_t split)
{
	size_t done = 0, n;

	do {
		struct offload_sec_measure m = { .component = c };
		int r;

		n = split && l->len[c] - done > split ? split : l->len[c] - done;
		m.addr = (uintptr_t)(l->pt[c] + done);
		m.len = n;
		m.flags = done + n == l->len[c] ? OFFLOAD_SEC_MEASURE_FINAL : 0;
		r = ofs_session_measure(l->sfd, &m);
		CHECK(r == 0, "MEASURE %d at %zu: %s, device status %u", c, done,
		      strerror(-r), m.device_status);
		done += n;
		CHECK(m.measured == done, "measured %llu, expected %zu",
		      (unsigned long long)m.measured, done);
		CHECK(m.mbox_commands == (n + OFFLOAD_SEC_PIECE_MAX - 1) /
		      OFFLOAD_SEC_PIECE_MAX + !n, "%u commands for %zu bytes",
		      m.mbox_commands, n);
		if (m.flags)
			CHECK(!memcmp(m.sha256, l->digest[c], 32),
			      "device digest of component %d differs", c);
	} while (done < l->len[c]);
	return 0;
}

static int attest(struct launch *l)
{
	struct offload_sec_attest a = {};
	uint32_t need;
	int r;

	CHECK(ofs_ecdh_generate(&l->host) == 0, "ECDH key");
	CHECK(ofs_ecdh_export_public(l->host, a.host_pub) == 0, "export");
	CHECK(getrandom(l->nonce, sizeof(l->nonce), 0) == sizeof(l->nonce), "nonce");
	memcpy(a.nonce, l->nonce, sizeof(a.nonce));

	/* Size negotiation: nothing, then one byte short, then exact. */
	r = ofs_session_attest(l->sfd, &a);
	CHECK(r == -ENOSPC, "ATTEST without buffer: %s", strerror(-r));
	CHECK(a.device_status == OFFLOAD_SEC_DS_NO_SPACE, "status %u", a.device_status);
	need = a.report_len;
	CHECK(need > 0 && need <= OFS_REPORT_MAX, "needs %u bytes", need);
	l->report = malloc(need);
	CHECK(l->report, "malloc");
	a.report = (uintptr_t)l->report;
	a.report_len = need - 1;
	r = ofs_session_attest(l->sfd, &a);
	CHECK(r == -ENOSPC && a.report_len == need, "one byte short: %s, %u",
	      strerror(-r), a.report_len);
	a.report_len = need;
	r = ofs_session_attest(l->sfd, &a);
	CHECK(r == 0, "ATTEST: %s, device status %u", strerror(-r), a.device_status);
	CHECK(a.report_len == need, "report %u bytes, announced %u", a.report_len, need);
	l->report_len = a.report_len;
	return 0;
}

/* The certificate chain, negotiated the same way; returns the Alias key. */
static int get_chain(int fd, X509 **deviceid, X509 **alias)
{
	struct offload_sec_get_chain g = {};
	uint8_t *buf;
	int r;

	r = ofs_device_get_chain(fd, &g);
	CHECK(r == -ENOSPC, "GET_CHAIN without buffer: %s", strerror(-r));
	CHECK(g.device_status == OFFLOAD_SEC_DS_NO_SPACE, "status %u", g.device_status);
	CHECK(g.deviceid_len && g.alias_len &&
	      g.buf_len == g.deviceid_len + g.alias_len, "sizes %u + %u = %u",
	      g.deviceid_len, g.alias_len, g.buf_len);
	buf = malloc(g.buf_len);
	CHECK(buf, "malloc");
	g.buf = (uintptr_t)buf;
	g.buf_len--;
	r = ofs_device_get_chain(fd, &g);
	CHECK(r == -ENOSPC, "one byte short: %s", strerror(-r));
	r = ofs_device_get_chain(fd, &g);
	CHECK(r == 0, "GET_CHAIN: %s, device status %u", strerror(-r), g.device_status);
	r = ofs_cert_from_der(buf, g.deviceid_len, deviceid);
	CHECK(r == 0, "DeviceID certificate: %s", strerror(-r));
	r = ofs_cert_from_der(buf + g.deviceid_len, g.alias_len, alias);
	CHECK(r == 0, "Alias certificate: %s", strerror(-r));
	free(buf);
	return 0;
}

static int verify_report(struct launch *l)
{
	struct ofs_decode_error err = {};
	X509 *deviceid = NULL, *alias = NULL;
	uint8_t pub[OFFLOAD_SEC_P384_POINT_LEN];
	uint32_t i, n = 0;
	int r;

	if (get_chain(l->sfd, &deviceid, &alias))
		return 1;
	CHECK(X509_verify(alias, X509_get0_pubkey(deviceid)) == 1,
	      "Alias certificate not signed by the DeviceID key");
	r = ofs_report_verify(X509_get0_pubkey(alias), l->report, l->report_len,
			      &l->rep, &err);
	X509_free(deviceid);
	X509_free(alias);
	CHECK(r == 0, "report: %s", err.what);
	CHECK(!memcmp(l->rep.nonce, l->nonce, sizeof(l->nonce)), "nonce");
	CHECK(!memcmp(l->rep.session_id, l->session_id, sizeof(l->session_id)),
	      "session id");
	CHECK(ofs_ecdh_export_public(l->host, pub) == 0, "export");
	CHECK(!memcmp(l->rep.host_pub, pub, sizeof(pub)), "host key");
	for (i = 0; i < NCOMP; i++) {
		const struct ofs_image_component *ic = &l->rep.components[n];

		if (!l->present[i])
			continue;
		CHECK(n < l->rep.n_components && ic->component == i,
		      "component %u missing from the report", i);
		CHECK(!memcmp(ic->sha256, l->digest[i], 32) && ic->size == l->len[i],
		      "component %u: wrong digest or size", i);
		n++;
	}
	CHECK(n == l->rep.n_components, "%u components reported, %u measured",
	      l->rep.n_components, n);
	return 0;
}

/* The RAS's answer: affirming, for exactly this report. */
static int make_confirmation(struct launch *l, uint32_t verdict)
{
	struct ofs_confirmation c = { .verdict = verdict };
	uint64_t now = time(NULL);
	int r;

	c.issued_at = now - 60;
	c.expiry = now + 3600;
	memcpy(c.nonce, l->nonce, sizeof(c.nonce));
	CHECK(ofs_report_digest(l->report, l->report_len, c.report_sha256) == 0,
	      "report digest");
	strcpy(c.policy_id, "vm-test");
	memset(c.policy_digest, 0x5a, sizeof(c.policy_digest));
	memcpy(c.ras_kid, "vm-test-ras", 11);
	c.ras_kid_len = 11;
	r = ofs_confirmation_sign(ras_key, &c, l->conf, sizeof(l->conf), &l->conf_len);
	CHECK(r == 0, "sign the confirmation: %s", strerror(-r));
	return 0;
}

static int confirm(struct launch *l)
{
	struct offload_sec_confirm cf = {
		.addr = (uintptr_t)l->conf, .len = l->conf_len,
	};
	int r;

	r = ofs_session_confirm(l->sfd, &cf);
	CHECK(r == 0, "CONFIRM: %s, device status %u", strerror(-r), cf.device_status);
	return 0;
}

static int derive_keys(struct launch *l)
{
	struct ofs_launch_kdf_input in = {
		.shared_secret_len = OFS_ECDH_SECRET_LEN,
		.confirmation = l->conf,
		.confirmation_len = l->conf_len,
		.report = l->report,
		.report_len = l->report_len,
	};
	uint8_t z[OFS_ECDH_SECRET_LEN];
	struct ofs_ecdh_key *peer;
	int c, r;

	r = ofs_ecdh_import_public(&peer, l->rep.device_pub, sizeof(l->rep.device_pub));
	CHECK(r == 0, "device key: %s", strerror(-r));
	r = ofs_ecdh_derive(l->host, peer, z);
	ofs_ecdh_free(peer);
	CHECK(r == 0, "ECDH: %s", strerror(-r));
	in.shared_secret = z;
	CHECK(l->rep.n_regs == OFS_NUM_MEAS_REGS, "%u registers", l->rep.n_regs);
	CHECK(ofs_measure_composite(l->rep.regs, in.boot_measurement) == 0, "composite");
	for (c = 0; c < NCOMP; c++)
		in.image_digest[c] = l->present[c] ? l->digest[c] : NULL;
	memcpy(in.session_id, l->session_id, sizeof(in.session_id));
	r = ofs_launch_kdf(&in, &l->keys);
	OPENSSL_cleanse(z, sizeof(z));
	CHECK(r == 0, "KDF: %s", strerror(-r));
	return 0;
}

static int encrypt(struct launch *l, int c)
{
	struct ofs_stream_params p = {
		.stream_id = c + 1, .chunk_size = l->chunk, .total_len = l->len[c],
	};
	struct ofs_stream_enc *e;
	size_t off = 0, roff = 0, clen, rlen;
	uint64_t n, i;

	memcpy(p.session_id, l->session_id, sizeof(p.session_id));
	CHECK(ofs_stream_chunk_count(&p, &n) == 0, "chunk count");
	l->rec_len[c] = l->len[c] + n * OFFLOAD_SEC_RECORD_OVERHEAD;
	l->rec[c] = map_pages(l->rec_len[c]);
	CHECK(l->rec[c], "mmap");
	CHECK(ofs_stream_enc_new(&e, l->keys.aead_key, &p) == 0, "encryptor");
	for (i = 0; i < n; i++) {
		CHECK(ofs_stream_chunk_len(&p, i, &clen) == 0, "chunk length");
		CHECK(ofs_stream_seal(e, l->pt[c] + off, clen, l->rec[c] + roff,
				      l->rec_len[c] - roff, &rlen) == 0, "seal");
		off += clen;
		roff += rlen;
	}
	CHECK(ofs_stream_enc_finish(e) == 0 && roff == l->rec_len[c], "stream end");
	ofs_stream_enc_free(e);
	return 0;
}

/* A destination a little larger than the component, pre-filled. */
static int set_dest(struct launch *l, int c)
{
	struct offload_sec_set_dest d = { .component = c };
	int r;

	l->dest_len[c] = l->len[c] + 8192;
	l->dest[c] = map_pages(l->dest_len[c]);
	CHECK(l->dest[c], "mmap");
	memset(l->dest[c], 0xa5, l->dest_len[c]);
	d.addr = (uintptr_t)l->dest[c];
	d.len = l->dest_len[c];
	r = ofs_session_set_dest(l->sfd, &d);
	CHECK(r == 0, "SET_DEST %d: %s, device status %u", c, strerror(-r),
	      d.device_status);
	return 0;
}

static int load(struct launch *l, int c, bool report)
{
	struct offload_sec_load ld = {
		.component = c, .addr = (uintptr_t)l->rec[c], .len = l->rec_len[c],
	};
	double mib = l->len[c] / (double)MiB;
	int r;

	r = ofs_session_load(l->sfd, &ld);
	CHECK(r == 0, "LOAD %d: %s, device status %u", c, strerror(-r), ld.device_status);
	CHECK(ld.loaded == l->len[c] && ld.complete, "loaded %llu of %zu, complete %u",
	      (unsigned long long)ld.loaded, l->len[c], ld.complete);
	if (report && mib >= 1)
		printf("# LOAD of %.2f MiB (chunk %u KiB): %u mailbox commands, %.3f per MiB\n",
		       mib, l->chunk >> 10, ld.mbox_commands, ld.mbox_commands / mib);
	if (l->chunk == OFFLOAD_SEC_CHUNK_DEFAULT && mib >= 1)
		CHECK(ld.mbox_commands <= mib, "%u commands for %.2f MiB",
		      ld.mbox_commands, mib);
	return 0;
}

static int finish(struct launch *l)
{
	struct offload_sec_finish f = {};
	const uint8_t *digest[NCOMP];
	uint8_t report_sha[32], mac[32];
	int c, r;

	r = ofs_session_finish(l->sfd, &f);
	CHECK(r == 0, "FINISH: %s, device status %u", strerror(-r), f.device_status);
	for (c = 0; c < NCOMP; c++) {
		digest[c] = l->present[c] ? l->digest[c] : NULL;
		CHECK(f.loaded[c] == (l->present[c] ? l->len[c] : 0),
		      "receipt: component %d loaded %llu", c,
		      (unsigned long long)f.loaded[c]);
	}
	SHA256(l->report, l->report_len, report_sha);
	CHECK(ofs_launch_receipt_mac(&l->keys, l->session_id, report_sha, digest, mac) == 0,
	      "receipt MAC");
	CHECK(!CRYPTO_memcmp(mac, f.mac, sizeof(mac)), "receipt MAC differs");
	return 0;
}

static int check_dest(struct launch *l, int c)
{
	size_t i;

	CHECK(!memcmp(l->dest[c], l->pt[c], l->len[c]),
	      "destination %d does not hold the image", c);
	for (i = l->len[c]; i < l->dest_len[c]; i++)
		CHECK(l->dest[c][i] == 0xa5, "device wrote past component %d at +%zu",
		      c, i - l->len[c]);
	return 0;
}

/* Everything up to CONFIRM, for the given component sizes (0 = absent). */
static int prepare(struct launch *l, uint32_t chunk, const size_t size[NCOMP],
		   uint64_t seed)
{
	int c;

	if (launch_create(l, chunk))
		return 1;
	for (c = 0; c < NCOMP; c++) {
		if (size[c] == SIZE_MAX)
			continue;
		if (add_component(l, c, size[c], seed + c) || measure(l, c, 0))
			return 1;
	}
	if (attest(l) || verify_report(l) || make_confirmation(l, OFS_VERDICT_AFFIRMING) ||
	    confirm(l) || derive_keys(l))
		return 1;
	return 0;
}

static int full_launch(uint32_t chunk, const size_t size[NCOMP], uint64_t seed,
		       bool report)
{
	struct launch l;
	int c, r = 1;

	if (prepare(&l, chunk, size, seed))
		goto out;
	for (c = 0; c < NCOMP; c++)
		if (l.present[c] && (encrypt(&l, c) || set_dest(&l, c) || load(&l, c, report)))
			goto out;
	if (finish(&l))
		goto out;
	for (c = 0; c < NCOMP; c++)
		if (l.present[c] && check_dest(&l, c))
			goto out;
	r = 0;
out:
	launch_free(&l);
	return r;
}

static int test_launch(void)
{
	static const char cmdline[] = "console=ttyS0 quiet offload-sec=test";
	const size_t size[NCOMP] = { 3 * MiB + 5, 9 * MiB + 4097, sizeof(cmdline) - 1 };
	struct offload_sec_finish f = {};
	struct offload_sec_measure m = {};
	struct launch l;
	int c, r = 1;

	if (launch_create(&l, 0))
		goto out;
	/* The kernel in odd pieces: the driver keeps the offset. */
	if (add_component(&l, 0, size[0], 11) || measure(&l, 0, 1000 * 1000 + 3) ||
	    add_component(&l, 1, size[1], 12) || measure(&l, 1, 0) ||
	    add_component(&l, 2, size[2], 13))
		goto out;
	memcpy(l.pt[2], cmdline, size[2]);
	SHA256(l.pt[2], size[2], l.digest[2]);
	if (measure(&l, 2, 0) || attest(&l) || verify_report(&l) ||
	    make_confirmation(&l, OFS_VERDICT_AFFIRMING) || confirm(&l) || derive_keys(&l))
		goto out;
	for (c = 0; c < NCOMP; c++)
		if (encrypt(&l, c) || set_dest(&l, c) || load(&l, c, true))
			goto out;
	if (finish(&l))
		goto out;
	for (c = 0; c < NCOMP; c++)
		if (check_dest(&l, c))
			goto out;
	/* The session is over: nothing more on it. */
	errno = 0;
	if (ioctl(l.sfd, OFFLOAD_SEC_IOC_FINISH, &f) != -1 || errno != EBADFD) {
		printf("# FINISH twice: errno %s\n", strerrorname_np(errno));
		goto out;
	}
	if (ioctl(l.sfd, OFFLOAD_SEC_IOC_MEASURE, &m) != -1 || errno != EBADFD) {
		printf("# MEASURE after FINISH: errno %s\n", strerrorname_np(errno));
		goto out;
	}
	r = 0;
out:
	launch_free(&l);
	return r;
}

static int test_launch_small_chunks(void)
{
	const size_t size[NCOMP] = { SIZE_MAX, 1 * MiB + 77, 0 };

	/* 64 KiB chunks; no kernel, an empty command line. */
	return full_launch(64 << 10, size, 21, true);
}

static int test_state_order(void)
{
	struct offload_sec_confirm cf = {};
	struct offload_sec_finish f = {};
	struct offload_sec_load ld = { .len = MiB + 32 };
	uint8_t buf[4096] = {};
	struct launch l;

	if (launch_create(&l, 0))
		return 1;
	CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_FINISH, &f), EBADFD);
	CHECK(f.device_status == OFFLOAD_SEC_DS_BAD_STATE, "FINISH status %u",
	      f.device_status);
	cf.addr = (uintptr_t)buf;
	cf.len = 64;
	CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_CONFIRM, &cf), EBADFD);
	CHECK(cf.device_status == OFFLOAD_SEC_DS_BAD_STATE, "CONFIRM status %u",
	      cf.device_status);
	ld.addr = (uintptr_t)map_pages(ld.len);
	CHECK(ld.addr, "mmap");
	CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_LOAD, &ld), EBADFD);
	CHECK(ld.device_status == OFFLOAD_SEC_DS_BAD_STATE, "LOAD status %u",
	      ld.device_status);
	unmap_pages((void *)(uintptr_t)ld.addr, ld.len);
	/* Out of order changed nothing: the session still measures. */
	if (add_component(&l, 2, 100, 5) || measure(&l, 2, 0))
		return 1;
	launch_free(&l);
	return 0;
}

static int test_attest_before_measure(void)
{
	struct offload_sec_attest a = {};
	uint8_t report[OFS_REPORT_MAX];
	struct ofs_ecdh_key *k;
	struct launch l;

	if (launch_create(&l, 0))
		return 1;
	CHECK(ofs_ecdh_generate(&k) == 0 && ofs_ecdh_export_public(k, a.host_pub) == 0,
	      "key");
	ofs_ecdh_free(k);
	a.report = (uintptr_t)report;
	a.report_len = sizeof(report);
	CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_ATTEST, &a), EBADFD);
	CHECK(a.device_status == OFFLOAD_SEC_DS_BAD_STATE, "status %u", a.device_status);
	launch_free(&l);
	return 0;
}

static int test_bad_create(void)
{
	struct offload_sec_session_create sc = {};

	sc.flags = 1;
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_SESSION_CREATE, &sc), EOPNOTSUPP);
	sc.flags = 0;
	sc.reserved[3] = 1;
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_SESSION_CREATE, &sc), EINVAL);
	sc.reserved[3] = 0;
	sc.chunk_size = 1000 * 1000;
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_SESSION_CREATE, &sc), EINVAL);
	sc.chunk_size = 2048;
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_SESSION_CREATE, &sc), EINVAL);
	sc.chunk_size = 32u << 20;
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_SESSION_CREATE, &sc), EINVAL);
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_SESSION_CREATE, (void *)8), EFAULT);
	return 0;
}

static int test_bad_args(void)
{
	uint8_t *ro = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t buf[256] = {};
	struct launch l;

	CHECK(ro != MAP_FAILED, "mmap");
	if (launch_create(&l, 0))
		return 1;
	{
		struct offload_sec_measure m = { .addr = (uintptr_t)buf, .len = 16 };

		m.flags = 2;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_MEASURE, &m), EOPNOTSUPP);
		m.flags = 0;
		m.reserved[1] = 1;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_MEASURE, &m), EINVAL);
		m.reserved[1] = 0;
		m.component = 3;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_MEASURE, &m), EINVAL);
		m.component = 0;
		m.addr = 4096;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_MEASURE, &m), EFAULT);
		m.addr = 0xffffffff81000000ULL;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_MEASURE, &m), EFAULT);
		m.addr = UINT64_MAX - 7;
		CHECK(ioctl(l.sfd, OFFLOAD_SEC_IOC_MEASURE, &m) == -1 &&
		      (errno == EFAULT || errno == EINVAL), "wrapping: %s",
		      strerrorname_np(errno));
		/* Nothing was measured by any of that. */
		m.addr = (uintptr_t)buf;
		m.len = 0;
		CHECK(ioctl(l.sfd, OFFLOAD_SEC_IOC_MEASURE, &m) == 0 && m.measured == 0,
		      "empty MEASURE: %s, measured %llu", strerrorname_np(errno),
		      (unsigned long long)m.measured);
	}
	{
		struct offload_sec_attest a = {};

		a.flags = 1;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_ATTEST, &a), EOPNOTSUPP);
		a.flags = 0;
		a.pad[6] = 1;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_ATTEST, &a), EINVAL);
		a.pad[6] = 0;
		a.reserved0 = 1;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_ATTEST, &a), EINVAL);
		a.reserved0 = 0;
		/* The device writes the report: read-only memory is refused. */
		a.report = (uintptr_t)ro;
		a.report_len = 8192;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_ATTEST, &a), EFAULT);
	}
	{
		struct offload_sec_confirm cf = { .addr = (uintptr_t)buf };

		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_CONFIRM, &cf), EINVAL);
		cf.len = OFFLOAD_SEC_BLOB_MAX + 1;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_CONFIRM, &cf), EINVAL);
		cf.len = 16;
		cf.reserved[0] = 1;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_CONFIRM, &cf), EINVAL);
		cf.reserved[0] = 0;
		cf.flags = 8;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_CONFIRM, &cf), EOPNOTSUPP);
	}
	{
		struct offload_sec_set_dest d = { .addr = (uintptr_t)buf };

		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_SET_DEST, &d), EINVAL);
		d.len = OFFLOAD_SEC_DEST_MAX + 1;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_SET_DEST, &d), EINVAL);
		d.addr = (uintptr_t)ro;
		d.len = 8192;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_SET_DEST, &d), EFAULT);
		d.component = 7;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_SET_DEST, &d), EINVAL);
	}
	{
		struct offload_sec_load ld = { .addr = (uintptr_t)buf };

		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_LOAD, &ld), EINVAL);
		ld.len = 31;	/* shorter than any record */
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_LOAD, &ld), EINVAL);
		ld.len = MiB + 32 + 31;	/* a whole record and a scrap */
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_LOAD, &ld), EINVAL);
		ld.len = 64;
		ld.reserved0 = 1;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_LOAD, &ld), EINVAL);
		ld.reserved0 = 0;
		ld.flags = 1;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_LOAD, &ld), EOPNOTSUPP);
	}
	{
		struct offload_sec_finish f = { .flags = 1 };

		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_FINISH, &f), EOPNOTSUPP);
		f.flags = 0;
		f.reserved[1] = 1;
		CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_FINISH, &f), EINVAL);
	}
	CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_LOAD, NULL), EFAULT);
	CHECK_ERRNO(ioctl(l.sfd, OFFLOAD_SEC_IOC_GET_INFO, buf), ENOTTY);
	CHECK_ERRNO(ioctl(l.sfd, _IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x10, char[16]), buf), ENOTTY);
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_MEASURE, buf), ENOTTY);
	launch_free(&l);
	munmap(ro, 8192);
	return 0;
}

static int test_chain_on_device(void)
{
	X509 *deviceid = NULL, *alias = NULL;
	struct offload_sec_get_chain g = { .flags = 1 };

	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_GET_CHAIN, &g), EOPNOTSUPP);
	g.flags = 0;
	g.reserved0 = 1;
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_GET_CHAIN, &g), EINVAL);
	if (get_chain(dev, &deviceid, &alias))
		return 1;
	CHECK(X509_verify(alias, X509_get0_pubkey(deviceid)) == 1, "chain");
	X509_free(deviceid);
	X509_free(alias);
	return 0;
}

static int test_untrusted_confirmation(void)
{
	const size_t size[NCOMP] = { SIZE_MAX, 4096, SIZE_MAX };
	struct offload_sec_confirm cf = {};
	struct launch l;
	EVP_PKEY *good = ras_key;
	int r = 1;

	if (launch_create(&l, 0) || add_component(&l, 1, size[1], 3) || measure(&l, 1, 0) ||
	    attest(&l))
		goto out;
	/* Signed by a key the card does not trust. */
	ras_key = EVP_EC_gen("P-384");
	CHECK(ras_key, "key");
	r = make_confirmation(&l, OFS_VERDICT_AFFIRMING);
	EVP_PKEY_free(ras_key);
	ras_key = good;
	if (r)
		goto out;
	r = 1;
	cf.addr = (uintptr_t)l.conf;
	cf.len = l.conf_len;
	errno = 0;
	if (ioctl(l.sfd, OFFLOAD_SEC_IOC_CONFIRM, &cf) != -1 || errno != EKEYREJECTED ||
	    cf.device_status != OFFLOAD_SEC_DS_UNTRUSTED) {
		printf("# untrusted CONFIRM: %s, status %u\n", strerrorname_np(errno),
		       cf.device_status);
		goto out;
	}
	/* A failed session takes nothing but close. */
	if (ioctl(l.sfd, OFFLOAD_SEC_IOC_CONFIRM, &cf) != -1 || errno != EBADFD ||
	    cf.device_status != OFFLOAD_SEC_DS_FAILED) {
		printf("# CONFIRM after failure: %s, status %u\n", strerrorname_np(errno),
		       cf.device_status);
		goto out;
	}
	r = 0;
out:
	launch_free(&l);
	return r;
}

static int test_tampered_record(void)
{
	const size_t size[NCOMP] = { 2 * MiB + 100, SIZE_MAX, SIZE_MAX };
	struct offload_sec_load ld = { .component = 0 };
	struct launch l;
	size_t i;
	int r = 1;

	if (prepare(&l, 0, size, 31) || encrypt(&l, 0) || set_dest(&l, 0))
		goto out;
	l.rec[0][MiB + 32 + 500] ^= 1;	/* in the second record */
	ld.addr = (uintptr_t)l.rec[0];
	ld.len = l.rec_len[0];
	errno = 0;
	if (ioctl(l.sfd, OFFLOAD_SEC_IOC_LOAD, &ld) != -1 || errno != EBADMSG ||
	    ld.device_status != OFFLOAD_SEC_DS_STREAM_REJECTED) {
		printf("# tampered LOAD: %s, status %u\n", strerrorname_np(errno),
		       ld.device_status);
		goto out;
	}
	close(l.sfd);
	l.sfd = -1;
	/* Scrubbed by the card: not even the good first chunk is left. */
	for (i = 0; i < l.dest_len[0]; i++)
		if (l.dest[0][i] != 0 && !(i >= l.len[0] && l.dest[0][i] == 0xa5)) {
			printf("# destination byte %zu is %#x after the failure\n", i,
			       l.dest[0][i]);
			goto out;
		}
	r = 0;
out:
	launch_free(&l);
	return r;
}

/* Holds every slot of the card; returns how many it got before EBUSY. */
static int fill_slots(int *fds, int max, int *first_err, uint32_t *status)
{
	int n;

	for (n = 0; n < max; n++) {
		struct offload_sec_session_create sc = {};

		fds[n] = ofs_session_create(dev, &sc);
		if (fds[n] < 0) {
			*first_err = -fds[n];
			*status = sc.device_status;
			break;
		}
	}
	return n;
}

static int test_64_sessions(void)
{
	struct offload_sec_info info;
	int fds[MAX_SESSIONS + 1], n, err = 0, i;
	uint32_t status = 0;

	CHECK(ofs_device_get_info(dev, &info) == 0, "GET_INFO");
	CHECK(info.max_sessions == MAX_SESSIONS, "max_sessions %u", info.max_sessions);
	n = fill_slots(fds, MAX_SESSIONS + 1, &err, &status);
	CHECK(n == MAX_SESSIONS, "got %d sessions (%s)", n, strerrorname_np(err));
	CHECK(err == EBUSY && status == OFFLOAD_SEC_DS_NO_SLOT,
	      "session 65: %s, status %u", strerrorname_np(err), status);
	/* A closed one frees its slot at once. */
	close(fds[17]);
	fds[17] = fill_slots(&fds[17], 1, &err, &status) == 1 ? fds[17] : -1;
	CHECK(fds[17] >= 0, "no slot after close: %s", strerrorname_np(err));
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}

/* After the test before it, every slot must be free again. */
static int slots_all_free(void)
{
	int fds[MAX_SESSIONS], n, err = 0, i;
	uint32_t status = 0;

	n = fill_slots(fds, MAX_SESSIONS, &err, &status);
	for (i = 0; i < n; i++)
		close(fds[i]);
	CHECK(n == MAX_SESSIONS, "only %d free slots (%s, status %u)", n,
	      strerrorname_np(err), status);
	return 0;
}

static int test_two_processes(void)
{
	const size_t size[NCOMP] = { 2 * MiB + 9, 3 * MiB + 1, 100 };
	pid_t pid[2];
	int i, st, bad = 0;

	fflush(stdout);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		CHECK(pid[i] >= 0, "fork");
		if (pid[i] == 0) {
			int j, r = 0;

			/* Each child: two launches back to back. */
			for (j = 0; j < 2 && !r; j++)
				r = full_launch(0, size, 100 * i + j, false);
			fflush(stdout);
			_exit(r);
		}
	}
	for (i = 0; i < 2; i++) {
		CHECK(waitpid(pid[i], &st, 0) == pid[i], "waitpid");
		bad += !WIFEXITED(st) || WEXITSTATUS(st);
	}
	CHECK(!bad, "%d of 2 processes failed", bad);
	return slots_all_free();
}

struct closer {
	int fd;
	atomic_int loads;
};

static void *close_soon(void *arg)
{
	struct closer *c = arg;

	while (atomic_load(&c->loads) < 3)
		usleep(100);
	close(c->fd);
	return NULL;
}

static int test_close_mid_load(void)
{
	const size_t size[NCOMP] = { SIZE_MAX, 24 * MiB, SIZE_MAX };
	struct closer cl = {};
	struct launch l;
	pthread_t t;
	size_t off, rec = MiB + OFFLOAD_SEC_RECORD_OVERHEAD, i;
	int r = 1, fails = 0, fd;

	if (prepare(&l, 0, size, 41) || encrypt(&l, 1) || set_dest(&l, 1))
		goto out;
	fd = cl.fd = l.sfd;
	l.sfd = -1;	/* the other thread closes it */
	CHECK(!pthread_create(&t, NULL, close_soon, &cl), "pthread_create");
	/* One record per call, so that the close lands between or in them. */
	for (off = 0; off < l.rec_len[1]; off += rec) {
		struct offload_sec_load ld = {
			.component = 1, .addr = (uintptr_t)(l.rec[1] + off), .len = rec,
		};

		if (ioctl(fd, OFFLOAD_SEC_IOC_LOAD, &ld) < 0) {
			if (errno != EBADF)
				fails++;
			break;
		}
		atomic_fetch_add(&cl.loads, 1);
	}
	pthread_join(t, NULL);
	CHECK(!fails, "LOAD failed with %s, not EBADF", strerrorname_np(errno));
	CHECK(off < l.rec_len[1], "every LOAD went through: close was too late");
	printf("# closed after %zu of 24 records\n", off / rec);
	/* ABORT scrubbed what was loaded, then the pages went back. */
	for (i = 0; i < l.len[1]; i++)
		if (l.dest[1][i]) {
			printf("# destination byte %zu not scrubbed\n", i);
			goto out;
		}
	r = slots_all_free();
out:
	launch_free(&l);
	return r;
}

static int test_kill_mid_measure(void)
{
	/* Untouched anonymous memory: 4 pieces per call, no RAM used. */
	const size_t len = 4 * OFFLOAD_SEC_PIECE_MAX;
	int pfd[2], st, k;
	char c;
	pid_t pid;

	CHECK(pipe(pfd) == 0, "pipe");
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct offload_sec_session_create sc = {};
		uint8_t *big = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int sfd = ofs_session_create(dev, &sc);

		if (sfd < 0 || big == MAP_FAILED)
			_exit(2);
		if (write(pfd[1], "r", 1) != 1)
			_exit(3);
		for (;;) {
			struct offload_sec_measure m = {
				.addr = (uintptr_t)big, .len = len, .component = 1,
			};

			if (ofs_session_measure(sfd, &m))
				_exit(4);
		}
	}
	close(pfd[1]);
	CHECK(read(pfd[0], &c, 1) == 1, "child did not start");
	close(pfd[0]);
	usleep(300 * 1000);
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child status %#x", st);
	/* Its session is gone from the card: all 64 slots again, repeatedly. */
	for (k = 0; k < 2; k++)
		if (slots_all_free())
			return 1;
	return 0;
}

static const struct tap_test tests[] = {
	{ "launch: 3 MiB kernel, 9 MiB initrd, cmdline; report, receipt, memory", test_launch },
	{ "launch with 64 KiB chunks, empty cmdline, no kernel", test_launch_small_chunks },
	{ "out of order -> EBADFD, device status BAD_STATE", test_state_order },
	{ "ATTEST before MEASURE -> EBADFD", test_attest_before_measure },
	{ "SESSION_CREATE: bad flags, reserved, chunk size, pointer", test_bad_create },
	{ "session ioctls: bad flags, reserved, lengths, pointers, numbers", test_bad_args },
	{ "GET_CHAIN on the device node, ENOSPC negotiation", test_chain_on_device },
	{ "confirmation from an untrusted RAS -> EKEYREJECTED, then EBADFD", test_untrusted_confirmation },
	{ "tampered record -> EBADMSG, destination scrubbed", test_tampered_record },
	{ "64 sessions, the 65th -> EBUSY (NO_SLOT); close frees a slot", test_64_sessions },
	{ "two processes launching concurrently", test_two_processes },
	{ "close from another thread mid-LOAD: aborted, scrubbed, slot freed", test_close_mid_load },
	{ "child killed mid-MEASURE: session aborted, 64 slots free", test_kill_mid_measure },
};

int main(void)
{
	const char *path = getenv("OFS_TEST_RAS_KEY");
	int r;

	dev = ofs_device_open(NULL);
	if (dev < 0) {
		printf("1..1\nnot ok 1 - session: open %s: %s\n", OFS_DEVICE_PATH,
		       strerror(-dev));
		return 1;
	}
	r = path ? ofs_key_load_pem(path, &ras_key) : -ENOENT;
	if (r < 0) {
		printf("1..1\nnot ok 1 - session: RAS key %s: %s\n", path ? path : "(unset)",
		       strerror(-r));
		return 1;
	}
	r = tap_run("session", tests, sizeof(tests) / sizeof(tests[0]));
	EVP_PKEY_free(ras_key);
	return r;
}
