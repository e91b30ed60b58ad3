/* SPDX-License-Identifier: MIT */
/*
 * Fixtures of the report, confirmation and COSE tests: sample claims, keys,
 * and a way to take a valid claims map apart into (key, value) byte spans,
 * change one entry and put it back together, so that every rejection can
 * be provoked by one precise edit of otherwise valid bytes.  Header-only
 * because each test program is built from one source file.
 */
#ifndef OFFLOAD_SEC_REPORT_TEST_H
#define OFFLOAD_SEC_REPORT_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "ofs-cbor.h"
#include "ofs-report.h"

#define MAX_ENTRIES	32
#define BUF_SIZE	(OFS_REPORT_MAX + 1024)

struct entry {
	int64_t key;
	const uint8_t *k, *v;
	size_t klen, vlen;
};

struct claims {
	struct entry e[MAX_ENTRIES];
	size_t n;
};

static inline EVP_PKEY *test_key(const char *curve)
{
	EVP_PKEY *k = EVP_EC_gen(curve);

	assert_non_null(k);
	return k;
}

static inline void fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static inline void sample_report(struct ofs_report *r)
{
	static const char *const stages[] = { "rom", "bl1", "bl2", "fw" };
	uint32_t i;

	memset(r, 0, sizeof(*r));
	fill(r->nonce, sizeof(r->nonce), 1);
	fill(r->ueid, sizeof(r->ueid), 2);
	r->ueid[0] = OFS_UEID_TYPE_RAND;
	r->dbgstat = OFS_DBG_DISABLED_PERMANENTLY;
	r->boot_count = 4242;
	r->fw = (struct ofs_fw_version){ 0, 1, 70000 };
	r->svn = 3;
	r->n_regs = 2;
	fill(r->regs[0], OFS_SHA256_LEN, 3);
	fill(r->regs[1], OFS_SHA256_LEN, 4);
	r->n_events = 4;
	for (i = 0; i < 4; i++) {
		r->events[i].reg = i / 2;
		snprintf(r->events[i].stage, sizeof(r->events[i].stage), "%s", stages[i]);
		fill(r->events[i].digest, OFS_SHA256_LEN, (uint8_t)(10 + i));
		r->events[i].svn = i;
	}
	r->n_components = 3;
	for (i = 0; i < 3; i++) {
		r->components[i].component = i;
		fill(r->components[i].sha256, OFS_SHA256_LEN, (uint8_t)(20 + i));
		r->components[i].size = 1000000ULL * (i + 1) + 17;
	}
	fill(r->session_id, sizeof(r->session_id), 5);
	fill(r->device_pub, sizeof(r->device_pub), 6);
	r->device_pub[0] = 0x04;
	fill(r->host_pub, sizeof(r->host_pub), 7);
	r->host_pub[0] = 0x04;
}

static inline void sample_confirmation(struct ofs_confirmation *c)
{
	memset(c, 0, sizeof(*c));
	c->issued_at = 1767225600;	/* 2026-01-01 */
	c->expiry = c->issued_at + 300;
	fill(c->nonce, sizeof(c->nonce), 1);
	fill(c->report_sha256, sizeof(c->report_sha256), 8);
	c->verdict = OFS_VERDICT_AFFIRMING;
	snprintf(c->policy_id, sizeof(c->policy_id), "fleet-default/2026-01");
	fill(c->policy_digest, sizeof(c->policy_digest), 9);
	c->ras_kid_len = 8;
	fill(c->ras_kid, c->ras_kid_len, 10);
}

/* Splits a valid claims map into its entries' byte spans. */
static inline void split_claims(const uint8_t *buf, size_t len, struct claims *c)
{
	struct ofs_cbor_reader rd;
	struct ofs_cbor_item map, key;
	uint64_t i;

	ofs_cbor_reader_init(&rd, buf, len, NULL);
	assert_int_equal(ofs_cbor_expect(&rd, OFS_CBOR_MAP, "claims", &map), 0);
	assert_true(map.arg <= MAX_ENTRIES);
	c->n = map.arg;
	for (i = 0; i < map.arg; i++) {
		struct entry *e = &c->e[i];

		assert_int_equal(ofs_cbor_read_key(&rd, "claims", &key, &e->key), 0);
		e->k = key.head;
		e->klen = key.head_len;
		e->v = rd.p;
		assert_int_equal(ofs_cbor_skip(&rd), 0);
		e->vlen = (size_t)(rd.p - e->v);
	}
	assert_true(rd.p == rd.end);
}

/* Writes a map header for n entries, then the entries as they are. */
static inline size_t join_claims(const struct claims *c, uint8_t *out, size_t size)
{
	struct ofs_cbor_writer w;
	size_t i;

	ofs_cbor_writer_init(&w, out, size);
	ofs_cbor_put_map(&w, c->n);
	assert_int_equal(w.err, 0);
	for (i = 0; i < c->n; i++) {
		assert_true(w.len + c->e[i].klen + c->e[i].vlen <= size);
		memcpy(out + w.len, c->e[i].k, c->e[i].klen);
		w.len += c->e[i].klen;
		memcpy(out + w.len, c->e[i].v, c->e[i].vlen);
		w.len += c->e[i].vlen;
	}
	return w.len;
}

static inline struct entry *find_entry(struct claims *c, int64_t key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->e[i].key == key)
			return &c->e[i];
	fail_msg("no claim %lld", (long long)key);
	return NULL;
}

static inline void drop_entry(struct claims *c, int64_t key)
{
	struct entry *e = find_entry(c, key);

	memmove(e, e + 1, (size_t)(&c->e[c->n] - (e + 1)) * sizeof(*e));
	c->n--;
}

static inline void insert_entry(struct claims *c, size_t at, struct entry e)
{
	assert_true(c->n < MAX_ENTRIES);
	memmove(&c->e[at + 1], &c->e[at], (c->n - at) * sizeof(e));
	c->e[at] = e;
	c->n++;
}

/*
 * Scratch space for replacement values and keys; lives as long as the
 * test, so the spans may point into it.
 */
struct scratch {
	uint8_t buf[BUF_SIZE];
	size_t used;
};

static inline const uint8_t *scratch_put(struct scratch *s, const void *p, size_t n)
{
	uint8_t *at = s->buf + s->used;

	assert_true(s->used + n <= sizeof(s->buf));
	memcpy(at, p, n);
	s->used += n;
	return at;
}

/* A byte string of n bytes (all 0x04 so that point prefixes stay valid). */
static inline const uint8_t *scratch_bstr(struct scratch *s, size_t n, size_t *len)
{
	struct ofs_cbor_writer w;
	uint8_t *at = s->buf + s->used;
	uint8_t data[256];

	assert_true(n <= sizeof(data));
	memset(data, 0x04, n);
	ofs_cbor_writer_init(&w, at, sizeof(s->buf) - s->used);
	ofs_cbor_put_bytes(&w, data, n);
	assert_int_equal(w.err, 0);
	s->used += w.len;
	*len = w.len;
	return at;
}

static inline const uint8_t *scratch_int(struct scratch *s, int64_t v, size_t *len)
{
	struct ofs_cbor_writer w;
	uint8_t *at = s->buf + s->used;

	ofs_cbor_writer_init(&w, at, sizeof(s->buf) - s->used);
	ofs_cbor_put_int(&w, v);
	assert_int_equal(w.err, 0);
	s->used += w.len;
	*len = w.len;
	return at;
}

static inline void set_value(struct claims *c, int64_t key, const uint8_t *v, size_t n)
{
	struct entry *e = find_entry(c, key);

	e->v = v;
	e->vlen = n;
}

/* Asserts the errno, and that the reason names what it should. */
static inline void expect_error(int r, const struct ofs_decode_error *err, int errnum,
				const char *needle)
{
	if (r != errnum || err->err != errnum || (needle && !strstr(err->what, needle)))
		fail_msg("got %d (%s), expected %d with \"%s\"", r, err->what, errnum,
			 needle ? needle : "");
}

#endif /* OFFLOAD_SEC_REPORT_TEST_H */
