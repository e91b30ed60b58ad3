// SPDX-License-Identifier: MIT
/*
 * One launch, start to finish, on its worker thread: the image from the
 * repository, measured by the card in a session of its own, attested,
 * appraised by the RAS, confirmed to the card, the launch key derived on
 * this side too, the image streamed encrypted into the guest's memory, and
 * the card's receipt checked (docs/design.md §1).
 *
 * Every way out closes the session fd: until FINISH has succeeded that
 * makes the driver ABORT, so the card scrubs the destination and forgets
 * the session's keys; ours are wiped here on every path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "ofs-crypto.h"
#include "ofs-device.h"
#include "ofs-identity.h"
#include "ofs-stream.h"
#include "ofs-util.h"
#include "pipeline.h"
#include "secd.h"

/* The card's chain is two DER certificates: a few KiB. */
#define CHAIN_GUESS	8192

/* Everything one launch holds; released by release(), whatever happened. */
struct launch {
	struct secd_launch *l;
	const struct secd_config *c;
	struct secd_image img;
	bool have_image;
	int dev_fd;
	int sfd;			/* the session: closing it aborts */
	uint32_t chunk;
	uint8_t session_id[OFS_SESSION_ID_LEN];
	uint8_t nonce[OFS_NONCE_LEN];
	struct ofs_ecdh_key *host;
	uint8_t host_pub[OFS_P384_POINT_LEN];
	bool refused;			/* the RAS said no */
	struct ofs_launch_keys keys;
	uint8_t *dest;			/* the guest memory we write to */
	size_t dest_len;
	uint8_t *batch;
	size_t batch_len;
};

static bool present(const struct launch *x, unsigned int i)
{
	return (x->img.img.present & (1u << i)) && x->img.fd[i] >= 0;
}

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) / align * align;
}

static uint64_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (uint64_t)p : 4096;
}

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* A command the card (or the driver) refused: errno and the card's word. */
static int device_fail(struct launch *x, int err, uint32_t status,
		       const char *what)
{
	if (status)
		x->l->device_status = status;
	if (status == OFFLOAD_SEC_DS_DIGEST_MISMATCH)
		return secd_launch_fail(x->l, err, "the image changed after it was "
					"measured: %s refused by the card (%s)", what,
					ofs_device_status_str(status));
	if (err == -ENODEV)
		return secd_launch_fail(x->l, err, "the card went away during %s",
					what);
	/* The card's own words say more than the errno the driver maps them to. */
	if (status)
		return secd_launch_fail(x->l, err, "%s refused by the card: %s (%s)",
					what, ofs_device_status_str(status),
					strerrorname_np(-err) ? strerrorname_np(-err) : "?");
	return secd_launch_fail(x->l, err, "%s failed: %s", what, strerror(-err));
}

/* ---- FETCH, VERIFY ---- */

static int open_image(struct launch *x)
{
	struct secd_launch_result *res = &x->l->result;
	int r, i;

	for (i = 0; i < OFS_MAX_COMPONENTS; i++)
		x->img.fd[i] = -1;
	r = secd_repo_open_image(x->l, x->c, &x->img);
	if (r)
		return r;
	x->have_image = true;
	if (!res->version[0])
		snprintf(res->version, sizeof(res->version), "%s", x->img.img.version);
	return 0;
}

/* ---- MEASURE ---- */

struct measure_sink {
	struct launch *x;
	unsigned int comp;
	uint64_t done, total;
	bool final;
	uint8_t sha256[OFS_SHA256_LEN];
};

/* A piece of the file to the card, by DMA; FINAL with the last bytes. */
static int measure_piece(void *ctx, const void *data, size_t len)
{
	static const uint8_t nothing;
	struct measure_sink *s = ctx;
	struct offload_sec_measure m = {
		.addr = (uintptr_t)(data ? data : &nothing),
		.len = len,
		.component = s->comp,
	};
	char what[48];
	int r;

	if (s->done + len == s->total)
		m.flags = OFFLOAD_SEC_MEASURE_FINAL;
	r = ofs_session_measure(s->x->sfd, &m);
	if (r) {
		snprintf(what, sizeof(what), "MEASURE of the %s", ofs_component_name(s->comp));
		return device_fail(s->x, r, m.device_status, what);
	}
	s->done += len;
	if (m.flags) {
		s->final = true;
		memcpy(s->sha256, m.sha256, sizeof(s->sha256));
	}
	return 0;
}

static int measure_component(struct launch *x, unsigned int i)
{
	const struct ofs_manifest_component *mc = &x->img.img.comp[i];
	struct measure_sink s = { .x = x, .comp = i, .total = mc->size };
	struct secd_pipeline p = {
		.fd = x->img.fd[i], .size = mc->size, .chunk_size = x->chunk,
		.cancel = &x->l->cancel, .progress = &x->l->progress_done,
		.sink = measure_piece, .sink_ctx = &s,
	};
	char card[2 * OFS_SHA256_LEN + 1], manifest[2 * OFS_SHA256_LEN + 1];
	int r;

	r = secd_pipeline_measure(&p);
	if (r == -ECANCELED)
		return secd_launch_fail(x->l, r, "cancelled");
	if (r)
		return secd_launch_fail(x->l, r, "reading the %s: %s",
					ofs_component_name(i), p.reason);
	/* An empty component is measured by FINAL alone. */
	if (!s.final) {
		r = measure_piece(&s, NULL, 0);
		if (r)
			return r;
	}
	if (CRYPTO_memcmp(s.sha256, mc->sha256, OFS_SHA256_LEN)) {
		ofs_hex(s.sha256, OFS_SHA256_LEN, card);
		ofs_hex(mc->sha256, OFS_SHA256_LEN, manifest);
		return secd_launch_fail(x->l, -EBADMSG, "the card measured the %s as "
					"%s, the manifest says %s: the cache changed "
					"after it was verified", ofs_component_name(i),
					card, manifest);
	}
	return 0;
}

static int open_session(struct launch *x)
{
	struct offload_sec_session_create sc = { 0 };
	const char *base = strrchr(x->c->device, '/');
	int r;

	snprintf(x->l->result.device, sizeof(x->l->result.device), "%s",
		 base ? base + 1 : x->c->device);
	x->dev_fd = ofs_device_open(x->c->device);
	if (x->dev_fd < 0)
		return secd_launch_fail(x->l, x->dev_fd, "cannot open %s: %s",
					x->c->device, strerror(-x->dev_fd));
	sc.chunk_size = x->chunk;
	r = ofs_session_create(x->dev_fd, &sc);
	if (r < 0)
		return device_fail(x, r, sc.device_status, "SESSION_CREATE");
	x->sfd = r;
	memcpy(x->session_id, sc.session_id, sizeof(x->session_id));
	memcpy(x->l->result.session_id, sc.session_id, sizeof(x->session_id));
	return 0;
}

/*
 * Runs step on every present component, in the order the card takes them,
 * with the stage's progress total set to the image's size.
 */
static int each_component(struct launch *x,
			  int (*step)(struct launch *x, unsigned int i))
{
	uint64_t total = 0;
	unsigned int i;
	int r;

	for (i = 0; i < OFS_MAX_COMPONENTS; i++)
		if (present(x, i))
			total += x->img.img.comp[i].size;
	atomic_store(&x->l->progress_total, total);
	for (i = 0; i < OFS_MAX_COMPONENTS; i++) {
		if (!present(x, i))
			continue;
		r = step(x, i);
		if (r)
			return r;
	}
	return 0;
}

static int stage_measure(struct launch *x)
{
	int r;

	x->chunk = x->l->req.chunk_size ? x->l->req.chunk_size : x->c->chunk_size;
	x->chunk = x->chunk ? x->chunk : OFS_STREAM_CHUNK_DEFAULT;
	r = open_session(x);
	return r ? r : each_component(x, measure_component);
}

/* ---- ATTEST ---- */

/*
 * A command that fills a buffer of ours: arg holds the buffer's address,
 * its length (in: the room, out: what the card wrote or needs) and the
 * card's status.
 */
struct filling_cmd {
	const char *name;
	int (*call)(int fd, void *arg);
	void *arg;
	__u64 *addr;
	__u32 *len;
	__u32 *device_status;
};

/*
 * cmd into *buf of size bytes, or, when the card answers -ENOSPC (which
 * leaves the session as it was), once more in the larger size it asks for,
 * if that is one any blob may have.
 */
static int call_filling(struct launch *x, const struct filling_cmd *cmd,
			uint32_t size, uint8_t **buf)
{
	int r = -ENOSPC, tries;

	for (tries = 0; tries < 2 && r == -ENOSPC; tries++) {
		uint8_t *grown = realloc(*buf, size);

		if (!grown)
			return secd_launch_fail(x->l, -ENOMEM, "out of memory for "
						"the answer to %s", cmd->name);
		*buf = grown;
		*cmd->addr = (uintptr_t)grown;
		*cmd->len = size;
		r = cmd->call(x->sfd, cmd->arg);
		if (*cmd->len <= size || *cmd->len > OFFLOAD_SEC_BLOB_MAX)
			break;
		size = *cmd->len;
	}
	return r ? device_fail(x, r, *cmd->device_status, cmd->name) : 0;
}

static int call_attest(int sfd, void *a)
{
	return ofs_session_attest(sfd, a);
}

static int call_get_chain(int fd, void *g)
{
	return ofs_device_get_chain(fd, g);
}

/* The signed report, in a buffer the size the card asks for. */
static int get_report(struct launch *x)
{
	struct secd_launch_result *res = &x->l->result;
	struct offload_sec_attest a = { 0 };
	const struct filling_cmd cmd = {
		.name = "ATTEST", .call = call_attest, .arg = &a,
		.addr = &a.report, .len = &a.report_len,
		.device_status = &a.device_status,
	};
	int r;

	memcpy(a.nonce, x->nonce, sizeof(a.nonce));
	memcpy(a.host_pub, x->host_pub, sizeof(a.host_pub));
	r = call_filling(x, &cmd, OFS_REPORT_MAX, &res->report);
	if (r)
		return r;
	res->report_len = a.report_len;
	return 0;
}

/* DeviceID and Alias certificates, back to back. */
static int get_chain(struct launch *x)
{
	struct secd_launch_result *res = &x->l->result;
	struct offload_sec_get_chain g = { 0 };
	const struct filling_cmd cmd = {
		.name = "GET_CHAIN", .call = call_get_chain, .arg = &g,
		.addr = &g.buf, .len = &g.buf_len,
		.device_status = &g.device_status,
	};
	int r;

	r = call_filling(x, &cmd, CHAIN_GUESS, &res->chain);
	if (r)
		return r;
	if (!g.deviceid_len || !g.alias_len ||
	    (uint64_t)g.deviceid_len + g.alias_len != g.buf_len)
		return secd_launch_fail(x->l, -EPROTO, "the card's certificate chain "
					"is malformed (%u + %u bytes in %u)",
					g.deviceid_len, g.alias_len, g.buf_len);
	res->deviceid_len = g.deviceid_len;
	res->alias_len = g.alias_len;
	return 0;
}

static int stage_attest(struct launch *x)
{
	int r;

	r = secd_ras_challenge(x->l, x->c, x->nonce);
	if (r)
		return r;
	r = ofs_ecdh_generate(&x->host);
	if (!r)
		r = ofs_ecdh_export_public(x->host, x->host_pub);
	if (r)
		return secd_launch_fail(x->l, r, "cannot make the host's key: %s",
					strerror(-r));
	r = get_report(x);
	return r ? r : get_chain(x);
}

/* ---- APPRAISE ---- */

static const char *json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The reason a check failed, from the answer's "checks" array. */
static const char *check_reason(json_object *root, const char *check)
{
	json_object *checks;
	size_t i;

	if (!json_object_object_get_ex(root, "checks", &checks) ||
	    !json_object_is_type(checks, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(checks); i++) {
		json_object *c = json_object_array_get_idx(checks, i);
		const char *name = json_str(c, "check");

		if (name && !strcmp(name, check))
			return json_str(c, "reason");
	}
	return NULL;
}

/*
 * "the verifier refused the launch: image (initrd digest ... not in ...)".
 * Should the checks fill why, the sentence with its prefix is longer than
 * reason, so secd_launch_fail() cuts it at a word before why's own cut.
 * The RAS's whole answer stays in result.ras_result_json.
 */
static int refusal(struct launch *x)
{
	json_object *root = json_tokener_parse(x->l->result.ras_result_json ?
					       x->l->result.ras_result_json : "");
	json_object *failed;
	char why[sizeof(x->l->reason)] = "";
	size_t i, n = 0;

	x->refused = true;
	if (root && json_object_object_get_ex(root, "failed", &failed) &&
	    json_object_is_type(failed, json_type_array)) {
		for (i = 0; i < json_object_array_length(failed); i++) {
			const char *check = json_object_get_string(
				json_object_array_get_idx(failed, i));
			const char *reason = check ? check_reason(root, check) : NULL;

			if (!check || n >= sizeof(why))
				continue;
			n += snprintf(why + n, sizeof(why) - n,
				      "%s%s%s%s%s", i ? "; " : "", check,
				      reason ? " (" : "", reason ? reason : "",
				      reason ? ")" : "");
		}
	}
	json_object_put(root);
	return secd_launch_fail(x->l, -EACCES, "the verifier refused the launch: %s",
				why[0] ? why : "no reason given");
}

static int stage_appraise(struct launch *x)
{
	struct secd_launch_result *res = &x->l->result;
	int r;

	r = secd_ras_attest(x->l, x->c, x->nonce, res->report, res->report_len,
			    res->chain, res->deviceid_len,
			    res->chain + res->deviceid_len, res->alias_len,
			    &res->confirmation, &res->confirmation_len,
			    &res->ras_result_json);
	if (r == -EACCES)
		return refusal(x);
	return r;
}

/* ---- CONFIRM ---- */

static int stage_confirm(struct launch *x)
{
	const struct secd_launch_result *res = &x->l->result;
	struct offload_sec_confirm cf = {
		.addr = (uintptr_t)res->confirmation,
		.len = (uint32_t)res->confirmation_len,
	};
	int r;

	if (!res->confirmation || !res->confirmation_len ||
	    res->confirmation_len > OFFLOAD_SEC_BLOB_MAX)
		return secd_launch_fail(x->l, -EPROTO, "the verifier sent no usable "
					"confirmation");
	r = ofs_session_confirm(x->sfd, &cf);
	return r ? device_fail(x, r, cf.device_status, "CONFIRM") : 0;
}

/* ---- KEY ---- */

/* The report is the card's: it must be about what we asked it. */
static int check_report(struct launch *x, const struct ofs_report *rep)
{
	unsigned int i, n = 0;

	if (CRYPTO_memcmp(rep->session_id, x->session_id, sizeof(x->session_id)))
		return secd_launch_fail(x->l, -EPROTO, "the report names another session");
	if (CRYPTO_memcmp(rep->host_pub, x->host_pub, sizeof(x->host_pub)))
		return secd_launch_fail(x->l, -EPROTO, "the report names another host key");
	if (CRYPTO_memcmp(rep->nonce, x->nonce, sizeof(x->nonce)))
		return secd_launch_fail(x->l, -EPROTO, "the report carries another nonce");
	if (rep->n_regs != OFS_NUM_MEAS_REGS)
		return secd_launch_fail(x->l, -EPROTO, "the report has %u measurement "
					"registers, %u expected", rep->n_regs,
					OFS_NUM_MEAS_REGS);
	for (i = 0; i < OFS_MAX_COMPONENTS; i++) {
		const struct ofs_image_component *ic = &rep->components[n];

		if (!present(x, i))
			continue;
		if (n >= rep->n_components || ic->component != i ||
		    ic->size != x->img.img.comp[i].size ||
		    CRYPTO_memcmp(ic->sha256, x->img.img.comp[i].sha256, OFS_SHA256_LEN))
			return secd_launch_fail(x->l, -EPROTO, "the report's %s is not "
						"the one measured", ofs_component_name(i));
		n++;
	}
	if (n != rep->n_components)
		return secd_launch_fail(x->l, -EPROTO, "the report lists %u components, "
					"%u were measured", rep->n_components, n);
	return 0;
}

static int derive(struct launch *x, const struct ofs_report *rep)
{
	const struct secd_launch_result *res = &x->l->result;
	struct ofs_launch_kdf_input in = {
		.shared_secret_len = OFS_ECDH_SECRET_LEN,
		.confirmation = res->confirmation,
		.confirmation_len = res->confirmation_len,
		.report = res->report,
		.report_len = res->report_len,
	};
	uint8_t z[OFS_ECDH_SECRET_LEN];
	struct ofs_ecdh_key *dev_pub;
	unsigned int i;
	int r;

	r = ofs_ecdh_import_public(&dev_pub, rep->device_pub, sizeof(rep->device_pub));
	if (r)
		return secd_launch_fail(x->l, r, "the card's session key is not a "
					"P-384 point: %s", strerror(-r));
	r = ofs_ecdh_derive(x->host, dev_pub, z);
	ofs_ecdh_free(dev_pub);
	if (!r) {
		in.shared_secret = z;
		memcpy(in.boot_measurement, x->l->result.boot_measurement, OFS_SHA256_LEN);
		for (i = 0; i < OFS_LAUNCH_NCOMPONENTS; i++)
			in.image_digest[i] = present(x, i) ? x->img.img.comp[i].sha256 : NULL;
		memcpy(in.session_id, x->session_id, sizeof(in.session_id));
		r = ofs_launch_kdf(&in, &x->keys);
	}
	OPENSSL_cleanse(z, sizeof(z));
	if (r)
		return secd_launch_fail(x->l, r, "cannot derive the launch key: %s",
					strerror(-r));
	return 0;
}

static int stage_key(struct launch *x)
{
	const struct secd_launch_result *res = &x->l->result;
	struct ofs_decode_error err = { 0 };
	struct ofs_report rep;
	int r;

	/* The RAS verified the signature; we only read what it approved. */
	r = ofs_report_parse_unverified(res->report, res->report_len, &rep, &err);
	if (r)
		return secd_launch_fail(x->l, r, "the card's report does not parse: %s",
					err.what);
	r = check_report(x, &rep);
	if (r)
		return r;
	r = ofs_measure_composite((const uint8_t (*)[OFS_SHA256_LEN])rep.regs,
				  x->l->result.boot_measurement);
	if (r)
		return secd_launch_fail(x->l, r, "cannot compute the boot measurement");
	r = derive(x, &rep);
	ofs_ecdh_free(x->host);
	x->host = NULL;
	return r;
}

/* ---- LOAD ---- */

/*
 * Kernel first, then initrd, then cmdline, each from a page boundary; an
 * empty component still gets a page of its own, as SET_DEST needs one
 * byte at least.
 */
static int layout(struct launch *x, uint64_t *needed)
{
	const struct secd_launch_request *req = &x->l->req;
	uint64_t at = 0, size;
	unsigned int i;

	for (i = 0; i < OFS_MAX_COMPONENTS; i++) {
		if (!present(x, i))
			continue;
		size = x->img.img.comp[i].size;
		if (size > OFFLOAD_SEC_DEST_MAX)
			return secd_launch_fail(x->l, -EFBIG, "the %s is %llu bytes, "
						"the card loads at most %llu per component",
						ofs_component_name(i), (unsigned long long)size,
						(unsigned long long)OFFLOAD_SEC_DEST_MAX);
		x->l->result.comp[i].offset = at;
		at = round_up(at + (size ? size : 1), page_size());
	}
	*needed = at;
	if (at > req->dest_size)
		return secd_launch_fail(x->l, -ENOSPC, "destination: %llu bytes "
					"needed, %llu given", (unsigned long long)at,
					(unsigned long long)req->dest_size);
	if (req->dest_offset % page_size())
		return secd_launch_fail(x->l, -EINVAL, "destination: offset %llu is "
					"not page aligned",
					(unsigned long long)req->dest_offset);
	return 0;
}

static int map_destination(struct launch *x)
{
	uint64_t needed = 0;
	void *p;
	int r;

	r = layout(x, &needed);
	if (r)
		return r;
	p = mmap(NULL, needed, PROT_READ | PROT_WRITE, MAP_SHARED,
		 x->l->req.dest_fd, (off_t)x->l->req.dest_offset);
	if (p == MAP_FAILED)
		return secd_launch_fail(x->l, -errno, "destination: cannot map %llu "
					"bytes at offset %llu: %s",
					(unsigned long long)needed,
					(unsigned long long)x->l->req.dest_offset,
					strerror(errno));
	x->dest = p;
	x->dest_len = needed;
	return 0;
}

static int set_destinations(struct launch *x)
{
	unsigned int i;
	int r;

	for (i = 0; i < OFS_MAX_COMPONENTS; i++) {
		uint64_t size = x->img.img.comp[i].size;
		struct offload_sec_set_dest d = {
			.addr = (uintptr_t)(x->dest + x->l->result.comp[i].offset),
			.len = size ? size : 1,
			.component = i,
		};
		char what[48];

		if (!present(x, i))
			continue;
		r = ofs_session_set_dest(x->sfd, &d);
		if (r) {
			snprintf(what, sizeof(what), "SET_DEST of the %s", ofs_component_name(i));
			return device_fail(x, r, d.device_status, what);
		}
	}
	return 0;
}

struct load_sink {
	struct launch *x;
	unsigned int comp;
};

/* Whole records to the card, which decrypts them into the destination. */
static int load_batch(void *ctx, const void *records, size_t len)
{
	struct load_sink *s = ctx;
	struct offload_sec_load ld = {
		.addr = (uintptr_t)records, .len = len, .component = s->comp,
	};
	char what[48];
	int r;

	if (atomic_load(&s->x->l->cancel))
		return secd_launch_fail(s->x->l, -ECANCELED, "cancelled");
	r = ofs_session_load(s->x->sfd, &ld);
	if (r) {
		snprintf(what, sizeof(what), "LOAD of the %s", ofs_component_name(s->comp));
		return device_fail(s->x, r, ld.device_status, what);
	}
	return 0;
}

static int load_component(struct launch *x, unsigned int i)
{
	const struct ofs_manifest_component *mc = &x->img.img.comp[i];
	struct ofs_stream_params sp = {
		.stream_id = i + 1,	/* docs/stream-format.md §3 */
		.chunk_size = x->chunk,
		.total_len = mc->size,
	};
	struct load_sink s = { .x = x, .comp = i };
	struct secd_pipeline p = {
		.fd = x->img.fd[i], .size = mc->size, .chunk_size = x->chunk,
		.cancel = &x->l->cancel, .progress = &x->l->progress_done,
		.sink = load_batch, .sink_ctx = &s,
		.batch = x->batch, .batch_cap = x->batch_len,
	};
	struct ofs_stream_enc *enc;
	int r;

	memcpy(sp.session_id, x->session_id, sizeof(sp.session_id));
	r = ofs_stream_enc_new(&enc, x->keys.aead_key, &sp);
	if (r)
		return secd_launch_fail(x->l, r, "cannot start the %s's stream: %s",
					ofs_component_name(i), ofs_stream_strerror(r));
	r = secd_pipeline_seal(&p, enc);
	ofs_stream_enc_free(enc);
	if (r == -ECANCELED)
		return secd_launch_fail(x->l, r, "cancelled");
	if (r)
		return secd_launch_fail(x->l, r, "streaming the %s: %s",
					ofs_component_name(i), p.reason);
	/* The card refuses it too (DIGEST_MISMATCH) and scrubs; say why here. */
	if (CRYPTO_memcmp(p.sha256, mc->sha256, OFS_SHA256_LEN))
		return secd_launch_fail(x->l, -EBADMSG, "the image changed after it "
					"was measured: the %s no longer matches the "
					"manifest", ofs_component_name(i));
	return 0;
}

static int stage_load(struct launch *x)
{
	void *p;
	int r;

	r = map_destination(x);
	if (!r)
		r = set_destinations(x);
	if (r)
		return r;
	x->batch_len = secd_pipeline_batch_size(x->chunk);
	p = mmap(NULL, x->batch_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		x->batch_len = 0;
		return secd_launch_fail(x->l, -ENOMEM, "out of memory for the stream");
	}
	x->batch = p;
	return each_component(x, load_component);
}

/* ---- FINISH ---- */

static int check_receipt(struct launch *x, const struct offload_sec_finish *f)
{
	struct secd_launch_result *res = &x->l->result;
	const uint8_t *digest[OFS_LAUNCH_NCOMPONENTS];
	uint8_t report_sha[OFS_SHA256_LEN], mac[OFS_SHA256_LEN];
	unsigned int i;
	int r;

	for (i = 0; i < OFS_LAUNCH_NCOMPONENTS; i++) {
		digest[i] = present(x, i) ? x->img.img.comp[i].sha256 : NULL;
		if (f->loaded[i] != (present(x, i) ? x->img.img.comp[i].size : 0))
			return secd_launch_fail(x->l, -EPROTO, "the card loaded %llu "
						"bytes of the %s, %llu expected",
						(unsigned long long)f->loaded[i],
						ofs_component_name(i), (unsigned long long)
						(present(x, i) ? x->img.img.comp[i].size : 0));
	}
	r = ofs_report_digest(res->report, res->report_len, report_sha);
	if (!r)
		r = ofs_launch_receipt_mac(&x->keys, x->session_id, report_sha,
					   digest, mac);
	if (r)
		return secd_launch_fail(x->l, r, "cannot compute the receipt: %s",
					strerror(-r));
	if (CRYPTO_memcmp(mac, f->mac, sizeof(mac)))
		return secd_launch_fail(x->l, -EKEYREJECTED, "the card's launch "
					"receipt does not verify");
	memcpy(res->receipt, mac, sizeof(res->receipt));
	return 0;
}

static void fill_result(struct launch *x)
{
	struct secd_launch_result *res = &x->l->result;
	unsigned int i;

	for (i = 0; i < OFS_MAX_COMPONENTS; i++) {
		if (!present(x, i))
			continue;
		res->comp[i].present = true;
		res->comp[i].size = x->img.img.comp[i].size;
		memcpy(res->comp[i].sha256, x->img.img.comp[i].sha256, OFS_SHA256_LEN);
	}
}

static int stage_finish(struct launch *x)
{
	struct offload_sec_finish f = { 0 };
	int r;

	r = ofs_session_finish(x->sfd, &f);
	if (r)
		return device_fail(x, r, f.device_status, "FINISH");
	r = check_receipt(x, &f);
	if (r) {
		/* The card let go of the memory: no unproven image is left in it. */
		explicit_bzero(x->dest, x->dest_len);
		return r;
	}
	fill_result(x);
	return 0;
}

/* ---- the launch ---- */

static const struct step {
	enum secd_stage stage;
	int (*run)(struct launch *x);
} steps[] = {
	{ SECD_STAGE_FETCH, open_image },	/* sets FETCH and VERIFY itself */
	{ SECD_STAGE_MEASURE, stage_measure },
	{ SECD_STAGE_ATTEST, stage_attest },
	{ SECD_STAGE_APPRAISE, stage_appraise },
	{ SECD_STAGE_CONFIRM, stage_confirm },
	{ SECD_STAGE_KEY, stage_key },
	{ SECD_STAGE_LOAD, stage_load },
	{ SECD_STAGE_FINISH, stage_finish },
};

static int run_step(struct launch *x, const struct step *s)
{
	uint64_t t0 = monotonic_usec();
	int r;

	if (s->stage != SECD_STAGE_FETCH) {
		r = secd_launch_set_stage(x->l, s->stage);
		if (r)
			return secd_launch_fail(x->l, r, "cancelled");
	}
	secd_log(x->l, LOG_DEBUG, "%s: started", secd_stage_name(s->stage));
	r = s->run(x);
	if (r) {
		if (!x->l->error)
			secd_launch_fail(x->l, r, "%s failed: %s",
					 secd_stage_name(s->stage), strerror(-r));
		return r;
	}
	secd_log(x->l, LOG_INFO, "%s: done in %llu ms", secd_stage_name(s->stage),
		 (unsigned long long)(monotonic_usec() - t0) / 1000);
	return 0;
}

/* Closes the session first: before FINISH, that aborts and scrubs. */
static void release(struct launch *x)
{
	if (x->sfd >= 0)
		close(x->sfd);
	if (x->dest)
		munmap(x->dest, x->dest_len);
	if (x->batch)
		munmap(x->batch, x->batch_len);
	ofs_launch_keys_wipe(&x->keys);
	ofs_ecdh_free(x->host);
	if (x->have_image)
		secd_image_close(&x->img);
	if (x->dev_fd >= 0)
		close(x->dev_fd);
}

static enum secd_outcome outcome_of(const struct launch *x, int r)
{
	const struct secd_launch *l = x->l;

	if (!r)
		return SECD_SUCCEEDED;
	if (x->refused && l->error == -EACCES)
		return SECD_REFUSED;
	/* The card going away is a failure, even though it also cancels. */
	if (atomic_load(&l->cancel) && l->error != -ENODEV &&
	    (l->error == -ECANCELED || l->error == -EINTR))
		return SECD_CANCELLED;
	return SECD_FAILED;
}

static void log_outcome(const struct secd_launch *l)
{
	if (l->outcome == SECD_SUCCEEDED)
		secd_log(l, LOG_INFO, "launch succeeded: %s %s on %s",
			 l->req.image, l->result.version, l->result.device);
	else if (l->outcome == SECD_CANCELLED)
		secd_log(l, LOG_NOTICE, "launch cancelled in %s",
			 secd_stage_name(l->failed_stage));
	else
		secd_log(l, LOG_WARNING, "launch %s in %s: %s",
			 secd_outcome_name(l->outcome),
			 secd_stage_name(l->failed_stage), l->reason);
}

void secd_launch_run(struct secd_launch *l, const struct secd_config *c)
{
	struct launch x = { .l = l, .c = c, .dev_fd = -1, .sfd = -1 };
	enum secd_outcome outcome;
	size_t i;
	int r = 0;

	secd_log(l, LOG_INFO, "launch of %s%s%s for uid %u pid %d",
		 l->req.image, l->req.version[0] ? " " : "", l->req.version,
		 (unsigned int)l->req.uid, (int)l->req.pid);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]) && !r; i++)
		r = run_step(&x, &steps[i]);
	/* A cancel that comes after FINISH undoes nothing: the image is in. */
	if (!r)
		(void)secd_launch_set_stage(l, SECD_STAGE_DONE);
	release(&x);
	outcome = outcome_of(&x, r);
	if (outcome == SECD_SUCCEEDED) {
		l->error = 0;
		l->reason[0] = '\0';
	}
	secd_launch_end(l, outcome);
	log_outcome(l);
}
