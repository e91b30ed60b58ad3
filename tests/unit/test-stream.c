// SPDX-License-Identifier: MIT
/*
 * The encrypted image stream: AES-256-GCM against the GCM specification's
 * AES-256 vectors, the checked-in stream vectors against both lib/stream.c
 * and an independent reference (nonce and AAD built here, byte by byte, from
 * docs/stream-format.md, sealed with a different EVP call sequence), and
 * every attack the decryptor must refuse - each with its own errno and a
 * wiped destination.  All decryption tests run twice: through
 * ofs_stream_open(), then through ofs_stream_open_iov() with records and
 * destinations cut into nasty segmentations (1-byte segments, header and
 * tag straddling, empty segments, src and dst boundaries that never line
 * up), laid out out of order with guard bytes between the segments.
 *
 * Reads tests/vectors/stream-v1.txt relative to the working directory (the
 * top of the tree, as tests/run and make run it), or $OFS_TEST_VECTORS.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "ofs-stream.h"
#include "ofs-util.h"

#define CS		4096u
#define VECTORS		"tests/vectors/stream-v1.txt"

/* ---- helpers ---- */

static size_t unhex_into(const char *hex, uint8_t *out, size_t cap)
{
	/* Even length, hex digits only, at most cap bytes. */
	ssize_t n = ofs_unhex(hex, out, cap);

	assert_true(n >= 0);
	return (size_t)n;
}

static int all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

static void pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 131 + seed + (i >> 12));
}

static size_t min_len(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* ---- the scatter-gather path ---- */

/* Segment lengths, used in turn and cycled; 0 is an empty segment. */
struct cut {
	size_t n;
	size_t len[6];
};

static const struct plan {
	struct cut src, dst;
} plans[] = {
	/* 1-byte segments everywhere */
	{ { 1, { 1 } }, { 1, { 1 } } },
	/* header and tag straddle; src and dst boundaries never line up */
	{ { 5, { 5, 11, 0, 4093, 7 } }, { 4, { 7, 0, 4095, 3 } } },
	/* a lone header, then pages; many tiny dst pieces */
	{ { 2, { 16, 4096 } }, { 3, { 1, 2, 13 } } },
	/* one src segment, page-sized dst pieces */
	{ { 1, { SIZE_MAX } }, { 1, { 4096 } } },
};
#define N_PLANS		(sizeof(plans) / sizeof(plans[0]))
#define GAP		8
#define GUARD		0x5c

/* Decrypt through ofs_stream_open_iov(), each call cut by the next plan. */
static bool via_iov;
static size_t plan_next;

/* A buffer cut into segments laid out in reverse order with guard bytes
 * between them, so that touching a byte past a segment's end shows. */
struct scatter {
	struct ofs_iov *iov;
	size_t n;
	uint8_t *arena;
	size_t arena_len;
};

static size_t cut_count(const struct cut *c, size_t len)
{
	size_t n = 0;

	for (; len; n++)
		len -= min_len(c->len[n % c->n], len);
	return n;
}

static void scatter_new(struct scatter *sc, const uint8_t *buf, size_t len,
			const struct cut *c)
{
	size_t k, seg, at, done = 0;

	sc->n = cut_count(c, len);
	sc->arena_len = len + GAP * (sc->n + 1);
	sc->arena = malloc(sc->arena_len);
	sc->iov = calloc(sc->n + 1, sizeof(*sc->iov));
	assert_non_null(sc->arena);
	assert_non_null(sc->iov);
	memset(sc->arena, GUARD, sc->arena_len);
	at = sc->arena_len;
	for (k = 0; k < sc->n; k++, done += seg) {
		seg = min_len(c->len[k % c->n], len - done);
		at -= seg + GAP;
		sc->iov[k].base = sc->arena + at;
		sc->iov[k].len = seg;
		if (seg)
			memcpy(sc->iov[k].base, buf + done, seg);
	}
}

static struct ofs_iov_cursor scatter_cursor(const struct scatter *sc)
{
	return (struct ofs_iov_cursor){ .iov = sc->iov, .n = sc->n };
}

/* Copies the segments back to buf (unless NULL), checks that nothing
 * outside them was touched, frees. */
static void scatter_take(struct scatter *sc, uint8_t *buf)
{
	size_t k, i, done = 0;

	for (k = 0; k < sc->n; k++) {
		if (buf && sc->iov[k].len)
			memcpy(buf + done, sc->iov[k].base, sc->iov[k].len);
		done += sc->iov[k].len;
		if (sc->iov[k].len)
			memset(sc->iov[k].base, GUARD, sc->iov[k].len);
	}
	for (i = 0; i < sc->arena_len; i++)
		assert_int_equal(sc->arena[i], GUARD);
	free(sc->arena);
	free(sc->iov);
}

static size_t cursor_pos(const struct ofs_iov_cursor *c)
{
	size_t i, pos = c->off;

	for (i = 0; i < c->idx; i++)
		pos += c->iov[i].len;
	return pos;
}

/*
 * ofs_stream_open() through the iov path: the record and dst scattered,
 * the plaintext gathered back into dst.  Checks the cursors: moved past
 * exactly the record and the chunk on success, not moved on failure.
 */
static int open_iov(struct ofs_stream_dec *d, const uint8_t *rec,
		    size_t rec_len, uint8_t *dst, size_t dst_len, size_t *got)
{
	const struct plan *pl = &plans[plan_next++ % N_PLANS];
	struct ofs_iov_cursor src, out, src0, out0;
	struct scatter in, sd;
	int ret;

	scatter_new(&in, rec, rec_len, &pl->src);
	scatter_new(&sd, dst, dst_len, &pl->dst);
	src = src0 = scatter_cursor(&in);
	out = out0 = scatter_cursor(&sd);
	ret = ofs_stream_open_iov(d, &src, &out, got);
	if (ret) {
		assert_memory_equal(&src, &src0, sizeof(src));
		assert_memory_equal(&out, &out0, sizeof(out));
	} else {
		assert_int_equal(cursor_pos(&src), OFS_STREAM_RECORD_LEN(*got));
		assert_int_equal(cursor_pos(&out), *got);
	}
	scatter_take(&in, NULL);
	scatter_take(&sd, dst);
	return ret;
}

static int open_any(struct ofs_stream_dec *d, const uint8_t *rec,
		    size_t rec_len, uint8_t *dst, size_t dst_len, size_t *got)
{
	if (via_iov)
		return open_iov(d, rec, rec_len, dst, dst_len, got);
	return ofs_stream_open(d, rec, rec_len, dst, dst_len, got);
}

/* The iov path wipes what it wrote, nothing more: every byte is either
 * the caller's 0xaa or wiped, none is plaintext. */
static int wiped_or_untouched(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] && p[i] != 0xaa)
			return 0;
	return 1;
}

static const uint8_t key1[32] = {
	0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe,
	0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x81,
	0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61, 0x08, 0xd7,
	0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4,
};

static struct ofs_stream_params params(uint32_t stream_id, uint32_t cs,
				       uint64_t total)
{
	struct ofs_stream_params p = {
		.stream_id = stream_id,
		.chunk_size = cs,
		.total_len = total,
	};
	size_t i;

	for (i = 0; i < sizeof(p.session_id); i++)
		p.session_id[i] = (uint8_t)(0x50 + i);
	return p;
}

/* A whole sealed stream: the plaintext and its records, in order. */
struct sealed {
	struct ofs_stream_params p;
	uint8_t *pt;
	uint64_t n;
	uint8_t **rec;
	size_t *rec_len;
};

static void seal_all(struct sealed *s, const uint8_t *key,
		     const struct ofs_stream_params *p)
{
	struct ofs_stream_enc *e;
	uint64_t i, off = 0;
	size_t len;

	memset(s, 0, sizeof(*s));
	s->p = *p;
	s->pt = malloc(p->total_len ? p->total_len : 1);
	assert_non_null(s->pt);
	pattern(s->pt, p->total_len, p->stream_id);
	assert_int_equal(ofs_stream_chunk_count(p, &s->n), 0);
	s->rec = calloc(s->n, sizeof(*s->rec));
	s->rec_len = calloc(s->n, sizeof(*s->rec_len));
	assert_non_null(s->rec);
	assert_non_null(s->rec_len);
	assert_int_equal(ofs_stream_enc_new(&e, key, p), 0);
	for (i = 0; i < s->n; i++) {
		assert_int_equal(ofs_stream_chunk_len(p, i, &len), 0);
		/* Room to spare, so attacks can append bytes. */
		s->rec[i] = malloc(OFS_STREAM_RECORD_LEN(len) + 64);
		assert_non_null(s->rec[i]);
		assert_int_equal(ofs_stream_enc_finish(e), -ENODATA);
		assert_int_equal(ofs_stream_seal(e, s->pt + off, len, s->rec[i],
						 OFS_STREAM_RECORD_LEN(len) + 64,
						 &s->rec_len[i]), 0);
		assert_int_equal(s->rec_len[i], OFS_STREAM_RECORD_LEN(len));
		off += len;
	}
	assert_int_equal(off, p->total_len);
	assert_int_equal(ofs_stream_enc_finish(e), 0);
	ofs_stream_enc_free(e);
}

static void sealed_free(struct sealed *s)
{
	uint64_t i;

	for (i = 0; i < s->n; i++)
		free(s->rec[i]);
	free(s->rec);
	free(s->rec_len);
	free(s->pt);
}

/* Decrypt everything into one image buffer, where the card would put it. */
static void open_all(const struct sealed *s, const uint8_t *key)
{
	uint8_t *img = malloc(s->p.total_len ? s->p.total_len : 1);
	struct ofs_stream_dec *d;
	uint64_t i, index, off;
	size_t len, got;

	assert_non_null(img);
	assert_int_equal(ofs_stream_dec_new(&d, key, &s->p), 0);
	for (i = 0; i < s->n; i++) {
		assert_int_equal(ofs_stream_dec_finish(d), -ENODATA);
		assert_int_equal(ofs_stream_dec_next(d, &index, &off, &len), 0);
		assert_int_equal(index, i);
		assert_int_equal(open_any(d, s->rec[i], s->rec_len[i],
					  len ? img + off : NULL, len, &got), 0);
		assert_int_equal(got, len);
	}
	assert_int_equal(ofs_stream_dec_finish(d), 0);
	assert_int_equal(ofs_stream_dec_next(d, NULL, NULL, NULL), -EOVERFLOW);
	assert_memory_equal(img, s->pt, s->p.total_len);
	ofs_stream_dec_free(d);
	free(img);
}

/*
 * Open one record into a CS-byte destination full of 0xaa and expect err;
 * whatever the reason, the destination must come back all zero.
 */
static void expect_fail(struct ofs_stream_dec *d, const uint8_t *rec,
			size_t rec_len, int err)
{
	static uint8_t dst[2 * CS];
	size_t got = 12345;

	memset(dst, 0xaa, sizeof(dst));
	assert_int_equal(open_any(d, rec, rec_len, dst, sizeof(dst), &got),
			 err);
	if (via_iov)
		assert_true(wiped_or_untouched(dst, sizeof(dst)));
	else
		assert_true(all_zero(dst, sizeof(dst)));
	assert_int_equal(got, 12345);
}

static void expect_ok(struct ofs_stream_dec *d, const uint8_t *rec,
		      size_t rec_len, const uint8_t *want, size_t want_len)
{
	static uint8_t dst[2 * CS];
	size_t got;

	assert_int_equal(open_any(d, rec, rec_len, dst, sizeof(dst), &got), 0);
	assert_int_equal(got, want_len);
	assert_memory_equal(dst, want, want_len);
}

/* A record error kills the stream: later calls say so, and wipe. */
static void expect_dead(struct ofs_stream_dec *d, const struct sealed *s)
{
	expect_fail(d, s->rec[0], s->rec_len[0], -ECANCELED);
	assert_int_equal(ofs_stream_dec_next(d, NULL, NULL, NULL), -ECANCELED);
	assert_int_equal(ofs_stream_dec_finish(d), -ECANCELED);
}

/* ---- the independent reference (docs/stream-format.md, by hand) ---- */

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static void ref_seal(const uint8_t *key, const struct ofs_stream_params *p,
		     uint64_t index, int final, const uint8_t *pt, size_t len,
		     uint8_t *rec)
{
	uint8_t aad[44], nonce[12];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int outl;

	memset(aad, 0, sizeof(aad));
	aad[0] = 1;				/* version */
	aad[1] = final ? 0x01 : 0x00;		/* flags */
	put_be(aad + 4, p->stream_id, 4);
	put_be(aad + 8, index, 8);
	memcpy(aad + 16, p->session_id, 16);
	put_be(aad + 32, p->total_len, 8);
	put_be(aad + 40, p->chunk_size, 4);
	put_be(nonce, p->stream_id, 4);
	put_be(nonce + 4, index, 8);

	assert_non_null(ctx);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key,
					    nonce), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &outl, aad,
					   sizeof(aad)), 1);
	if (len)
		assert_int_equal(EVP_EncryptUpdate(ctx, rec + 16, &outl, pt,
						   (int)len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, rec + 16 + len, &outl), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16,
					     rec + 16 + len), 1);
	memcpy(rec, aad, 16);			/* the header */
	EVP_CIPHER_CTX_free(ctx);
}

/* ---- AES-256-GCM known answers: GCM specification, test cases 13-16 ---- */

struct gcm_kat {
	const char *key, *iv, *aad, *pt, *ct, *tag;
};

static const struct gcm_kat gcm_kats[] = {
	{	/* 13: empty plaintext, no AAD */
		"0000000000000000000000000000000000000000000000000000000000000000",
		"000000000000000000000000", "", "", "",
		"530f8afbc74536b9a963b4f1c4cb738b",
	},
	{	/* 14 */
		"0000000000000000000000000000000000000000000000000000000000000000",
		"000000000000000000000000", "",
		"00000000000000000000000000000000",
		"cea7403d4d606b6e074ec5d3baf39d18",
		"d0d1c8a799996bf0265b98b5d48ab919",
	},
	{	/* 15 */
		"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		"cafebabefacedbaddecaf888", "",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
		"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		"8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
		"b094dac5d93471bdec1a502270e3cc6c",
	},
	{	/* 16: AAD, plaintext not a whole number of blocks */
		"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		"cafebabefacedbaddecaf888",
		"feedfacedeadbeeffeedfacedeadbeefabaddad2",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		"8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		"76fc6ece0f4e1768cddf8853bb2d551b",
	},
};

static void gcm_known_answers(void **state)
{
	uint8_t key[32], iv[12], aad[64], pt[64], ct[64], tag[16];
	uint8_t out[64], out_tag[16];
	size_t i, aad_len, pt_len;
	struct ofs_gcm *g;

	for (i = 0; i < sizeof(gcm_kats) / sizeof(gcm_kats[0]); i++) {
		const struct gcm_kat *k = &gcm_kats[i];

		unhex_into(k->key, key, sizeof(key));
		unhex_into(k->iv, iv, sizeof(iv));
		aad_len = unhex_into(k->aad, aad, sizeof(aad));
		pt_len = unhex_into(k->pt, pt, sizeof(pt));
		assert_int_equal(unhex_into(k->ct, ct, sizeof(ct)), pt_len);
		unhex_into(k->tag, tag, sizeof(tag));

		assert_int_equal(ofs_gcm_new(&g, key), 0);
		assert_int_equal(ofs_gcm_seal(g, iv, aad, aad_len, pt, pt_len,
					      out, out_tag), 0);
		assert_memory_equal(out, ct, pt_len);
		assert_memory_equal(out_tag, tag, 16);
		/* The same context, reused: open, then seal again. */
		memset(out, 0, sizeof(out));
		assert_int_equal(ofs_gcm_open(g, iv, aad, aad_len, ct, pt_len,
					      tag, out), 0);
		assert_memory_equal(out, pt, pt_len);
		assert_int_equal(ofs_gcm_seal(g, iv, aad, aad_len, pt, pt_len,
					      out, out_tag), 0);
		assert_memory_equal(out_tag, tag, 16);
		/* A wrong tag: refused, and the output is wiped. */
		tag[15] ^= 1;
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(ofs_gcm_open(g, iv, aad, aad_len, ct, pt_len,
					      tag, out), -EBADMSG);
		assert_true(all_zero(out, pt_len));
		ofs_gcm_free(g);
	}
}

static void gcm_in_place(void **state)
{
	const struct gcm_kat *k = &gcm_kats[3];
	uint8_t key[32], iv[12], aad[64], buf[64], ct[64], tag[16], t[16];
	size_t aad_len, len;
	struct ofs_gcm *g;

	unhex_into(k->key, key, sizeof(key));
	unhex_into(k->iv, iv, sizeof(iv));
	aad_len = unhex_into(k->aad, aad, sizeof(aad));
	len = unhex_into(k->pt, buf, sizeof(buf));
	unhex_into(k->ct, ct, sizeof(ct));
	unhex_into(k->tag, tag, sizeof(tag));
	assert_int_equal(ofs_gcm_new(&g, key), 0);
	assert_int_equal(ofs_gcm_seal(g, iv, aad, aad_len, buf, len, buf, t), 0);
	assert_memory_equal(buf, ct, len);
	assert_memory_equal(t, tag, 16);
	assert_int_equal(ofs_gcm_open(g, iv, aad, aad_len, buf, len, t, buf), 0);
	unhex_into(k->pt, ct, sizeof(ct));
	assert_memory_equal(buf, ct, len);
	ofs_gcm_free(g);
}

/* ---- checked-in stream vectors ---- */

struct vector {
	char name[64];
	uint8_t key[32];
	struct ofs_stream_params p;
	uint8_t *pt;
	size_t n_rec;
	uint8_t *rec[8];
	size_t rec_len[8];
};

static void vector_check(const struct vector *v)
{
	uint8_t *rec = malloc(OFS_STREAM_RECORD_LEN(OFS_STREAM_CHUNK_MAX));
	struct ofs_stream_enc *e;
	struct ofs_stream_dec *d;
	uint64_t n, i, off = 0;
	size_t len, rec_len;
	uint8_t *img;

	print_message("# vector %s\n", v->name);
	assert_non_null(rec);
	assert_int_equal(ofs_stream_chunk_count(&v->p, &n), 0);
	assert_int_equal(n, v->n_rec);
	assert_int_equal(ofs_stream_enc_new(&e, v->key, &v->p), 0);
	for (i = 0; i < n; i++, off += len) {
		assert_int_equal(ofs_stream_chunk_len(&v->p, i, &len), 0);
		assert_int_equal(v->rec_len[i], OFS_STREAM_RECORD_LEN(len));
		/* lib/stream.c reproduces the checked-in record... */
		assert_int_equal(ofs_stream_seal(e, v->pt + off, len, rec,
				 OFS_STREAM_RECORD_LEN(OFS_STREAM_CHUNK_MAX),
				 &rec_len), 0);
		assert_memory_equal(rec, v->rec[i], v->rec_len[i]);
		/* ... and so does the reference built from the document. */
		memset(rec, 0, v->rec_len[i]);
		ref_seal(v->key, &v->p, i, i == n - 1, v->pt + off, len, rec);
		assert_memory_equal(rec, v->rec[i], v->rec_len[i]);
	}
	assert_int_equal(off, v->p.total_len);
	assert_int_equal(ofs_stream_enc_finish(e), 0);
	ofs_stream_enc_free(e);

	img = malloc(v->p.total_len + 1);
	assert_non_null(img);
	assert_int_equal(ofs_stream_dec_new(&d, v->key, &v->p), 0);
	for (i = 0, off = 0; i < n; i++, off += len)
		assert_int_equal(open_any(d, v->rec[i], v->rec_len[i],
					  img + off, v->p.total_len + 1 - off,
					  &len), 0);
	assert_int_equal(ofs_stream_dec_finish(d), 0);
	assert_memory_equal(img, v->pt, v->p.total_len);
	ofs_stream_dec_free(d);
	free(img);
	free(rec);
}

static void vector_free(struct vector *v)
{
	size_t i;

	for (i = 0; i < v->n_rec; i++)
		free(v->rec[i]);
	free(v->pt);
	memset(v, 0, sizeof(*v));
}

/* "field = value" lines; a vector starts at "name" and runs to the next. */
static void stream_vectors(void **state)
{
	const char *path = getenv("OFS_TEST_VECTORS");
	struct vector v = { .name = "" };
	char *line = NULL, *val;
	size_t cap = 0, cnt = 0;
	FILE *f;

	if (!path)
		path = VECTORS;
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run from the top of the tree or set "
			 "OFS_TEST_VECTORS)", path);
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || line[0] == 0)
			continue;
		val = strstr(line, " = ");
		if (!val)
			val = strstr(line, " =");	/* empty value */
		assert_non_null(val);
		*val = 0;
		val += strlen(val + 1) >= 2 && val[2] == ' ' ? 3 : 2;
		if (!strcmp(line, "name")) {
			if (v.name[0]) {
				vector_check(&v);
				vector_free(&v);
				cnt++;
			}
			snprintf(v.name, sizeof(v.name), "%s", val);
		} else if (!strcmp(line, "key")) {
			assert_int_equal(unhex_into(val, v.key, 32), 32);
		} else if (!strcmp(line, "session_id")) {
			assert_int_equal(unhex_into(val, v.p.session_id, 16), 16);
		} else if (!strcmp(line, "stream_id")) {
			v.p.stream_id = (uint32_t)strtoul(val, NULL, 0);
		} else if (!strcmp(line, "chunk_size")) {
			v.p.chunk_size = (uint32_t)strtoul(val, NULL, 0);
		} else if (!strcmp(line, "total_len")) {
			v.p.total_len = strtoull(val, NULL, 0);
		} else if (!strcmp(line, "plaintext")) {
			v.pt = malloc(strlen(val) / 2 + 1);
			assert_non_null(v.pt);
			assert_int_equal(unhex_into(val, v.pt, strlen(val) / 2),
					 v.p.total_len);
		} else if (!strcmp(line, "record")) {
			assert_true(v.n_rec < 8);
			v.rec_len[v.n_rec] = strlen(val) / 2;
			v.rec[v.n_rec] = malloc(v.rec_len[v.n_rec]);
			assert_non_null(v.rec[v.n_rec]);
			unhex_into(val, v.rec[v.n_rec], v.rec_len[v.n_rec]);
			v.n_rec++;
		} else {
			fail_msg("%s: unknown field '%s'", path, line);
		}
	}
	if (v.name[0]) {
		vector_check(&v);
		vector_free(&v);
		cnt++;
	}
	free(line);
	fclose(f);
	assert_int_equal(cnt, 4);
}

/* Random-ish streams, checked against the reference record by record. */
static void reference_agrees(void **state)
{
	static const uint64_t totals[] = { 0, 1, CS - 1, CS, CS + 1,
					   3 * CS + 100 };
	uint8_t *rec = malloc(OFS_STREAM_RECORD_LEN(2 * CS));
	struct ofs_stream_params p;
	struct sealed s;
	uint64_t i, off;
	size_t t, len;
	uint32_t cs;

	assert_non_null(rec);
	for (cs = CS; cs <= 2 * CS; cs *= 2) {
		for (t = 0; t < sizeof(totals) / sizeof(totals[0]); t++) {
			p = params(0x80000000u + (uint32_t)t, cs, totals[t]);
			seal_all(&s, key1, &p);
			for (i = 0, off = 0; i < s.n; i++, off += len) {
				assert_int_equal(ofs_stream_chunk_len(&p, i,
								      &len), 0);
				ref_seal(key1, &p, i, i == s.n - 1, s.pt + off,
					 len, rec);
				assert_memory_equal(rec, s.rec[i],
						    s.rec_len[i]);
			}
			open_all(&s, key1);
			sealed_free(&s);
		}
	}
	free(rec);
}

/* ---- round trips ---- */

static void default_chunk_size(void **state)
{
	struct ofs_stream_params p = params(7, 0, (5u << 19) + 1);
	struct sealed s;
	uint64_t n;

	/* 2.5 MiB + 1 at the default 1 MiB: three full chunks and one byte. */
	assert_int_equal(ofs_stream_chunk_count(&p, &n), 0);
	assert_int_equal(n, 3);
	seal_all(&s, key1, &p);
	assert_int_equal(s.rec_len[0], OFS_STREAM_RECORD_LEN(1u << 20));
	assert_int_equal(s.rec_len[2], OFS_STREAM_RECORD_LEN((1u << 19) + 1));
	open_all(&s, key1);
	sealed_free(&s);
}

static void zero_length_image(void **state)
{
	struct ofs_stream_params p = params(1, CS, 0);
	struct ofs_stream_dec *d;
	struct sealed s;
	size_t len = 99;
	uint8_t rec[OFS_STREAM_OVERHEAD + 1];

	seal_all(&s, key1, &p);
	/* One final chunk, nothing but header and tag. */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.rec_len[0], OFS_STREAM_OVERHEAD);
	assert_int_equal(s.rec[0][1], OFS_STREAM_FLAG_FINAL);
	assert_int_equal(ofs_stream_dec_new(&d, key1, &p), 0);
	assert_int_equal(ofs_stream_dec_finish(d), -ENODATA);
	assert_int_equal(ofs_stream_open(d, s.rec[0], s.rec_len[0], NULL, 0,
					 &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(ofs_stream_dec_finish(d), 0);
	ofs_stream_dec_free(d);

	/* A byte too many in the one chunk of an empty image. */
	memcpy(rec, s.rec[0], s.rec_len[0]);
	rec[OFS_STREAM_OVERHEAD] = 0;
	assert_int_equal(ofs_stream_dec_new(&d, key1, &p), 0);
	expect_fail(d, rec, sizeof(rec), -ERANGE);
	ofs_stream_dec_free(d);
	sealed_free(&s);
}

static void in_place(void **state)
{
	struct ofs_stream_params p = params(3, CS, CS + 10);
	uint8_t *buf = malloc(OFS_STREAM_RECORD_LEN(CS));
	struct ofs_stream_enc *e;
	struct ofs_stream_dec *d;
	struct sealed s;
	size_t len;

	assert_non_null(buf);
	seal_all(&s, key1, &p);
	assert_int_equal(ofs_stream_enc_new(&e, key1, &p), 0);
	assert_int_equal(ofs_stream_dec_new(&d, key1, &p), 0);
	/* Encrypt where the plaintext lies, then decrypt there again. */
	memcpy(buf + OFS_STREAM_HDR_LEN, s.pt, CS);
	assert_int_equal(ofs_stream_seal(e, buf + OFS_STREAM_HDR_LEN, CS, buf,
					 OFS_STREAM_RECORD_LEN(CS), &len), 0);
	assert_memory_equal(buf, s.rec[0], s.rec_len[0]);
	assert_int_equal(ofs_stream_open(d, buf, len, buf + OFS_STREAM_HDR_LEN,
					 CS, &len), 0);
	assert_memory_equal(buf + OFS_STREAM_HDR_LEN, s.pt, CS);
	ofs_stream_enc_free(e);
	ofs_stream_dec_free(d);
	sealed_free(&s);
	free(buf);
}

/* ---- attacks: a 4-chunk stream, the last 100 bytes ---- */

struct attack {
	struct ofs_stream_params p;
	struct sealed s;
	struct ofs_stream_dec *d;
};

static int attack_setup(void **state)
{
	struct attack *a = calloc(1, sizeof(*a));

	if (!a)
		return -1;
	a->p = params(1, CS, 3 * CS + 100);
	seal_all(&a->s, key1, &a->p);
	if (ofs_stream_dec_new(&a->d, key1, &a->p))
		return -1;
	*state = a;
	return 0;
}

static int attack_teardown(void **state)
{
	struct attack *a = *state;

	ofs_stream_dec_free(a->d);
	sealed_free(&a->s);
	free(a);
	return 0;
}

/* A copy of record i to tamper with. */
static uint8_t *copy_rec(const struct attack *a, uint64_t i)
{
	static uint8_t buf[OFS_STREAM_RECORD_LEN(2 * CS)];

	memcpy(buf, a->s.rec[i], a->s.rec_len[i]);
	return buf;
}

static void oversize_iov(struct attack *a, uint8_t *rec)
{
	const struct ofs_iov seg = { rec, a->s.rec_len[0] + 16 };
	struct ofs_iov_cursor src = { &seg, 1, 0, 0 }, out, out0;
	static uint8_t dst[CS];
	const struct ofs_iov dseg = { dst, sizeof(dst) };
	size_t got;

	out = (struct ofs_iov_cursor){ &dseg, 1, 0, 0 };
	memset(rec + a->s.rec_len[0], 0x33, 16);
	assert_int_equal(ofs_stream_open_iov(a->d, &src, &out, &got), 0);
	assert_int_equal(got, CS);
	assert_memory_equal(dst, a->s.pt, CS);
	assert_int_equal(cursor_pos(&src), a->s.rec_len[0]);
	out = out0 = (struct ofs_iov_cursor){ &dseg, 1, 0, 0 };
	assert_int_equal(ofs_stream_open_iov(a->d, &src, &out, &got),
			 -EMSGSIZE);
	assert_int_equal(cursor_pos(&src), a->s.rec_len[0]);
	assert_memory_equal(&out, &out0, sizeof(out));
	expect_dead(a->d, &a->s);
}

static void chunk_ok(struct attack *a, uint64_t i)
{
	size_t len;

	assert_int_equal(ofs_stream_chunk_len(&a->p, i, &len), 0);
	expect_ok(a->d, a->s.rec[i], a->s.rec_len[i], a->s.pt + i * CS, len);
}

static void attack_reorder(void **state)
{
	struct attack *a = *state;

	expect_fail(a->d, a->s.rec[1], a->s.rec_len[1], -EPROTO);
	expect_dead(a->d, &a->s);
}

static void attack_skip(void **state)
{
	struct attack *a = *state;

	chunk_ok(a, 0);
	expect_fail(a->d, a->s.rec[2], a->s.rec_len[2], -EPROTO);
	expect_dead(a->d, &a->s);
}

static void attack_replay(void **state)
{
	struct attack *a = *state;

	chunk_ok(a, 0);
	chunk_ok(a, 1);
	expect_fail(a->d, a->s.rec[0], a->s.rec_len[0], -EALREADY);
	expect_dead(a->d, &a->s);
}

static void attack_replay_previous(void **state)
{
	struct attack *a = *state;

	chunk_ok(a, 0);
	expect_fail(a->d, a->s.rec[0], a->s.rec_len[0], -EALREADY);
	expect_dead(a->d, &a->s);
}

static void attack_truncate(void **state)
{
	struct attack *a = *state;

	chunk_ok(a, 0);
	chunk_ok(a, 1);
	chunk_ok(a, 2);
	/* The final chunk never arrives. */
	assert_int_equal(ofs_stream_dec_finish(a->d), -ENODATA);
	assert_int_equal(ofs_stream_dec_next(a->d, NULL, NULL, NULL), 0);
}

static void attack_truncate_early_final(void **state)
{
	struct attack *a = *state;
	struct ofs_stream_params shorter = a->p;
	uint8_t *rec = copy_rec(a, 1);

	/* Chunk 1 sealed as the final chunk of a 2-chunk stream, by someone
	 * holding the key: the declared length says it is not final. */
	shorter.total_len = 2 * CS;
	chunk_ok(a, 0);
	ref_seal(key1, &shorter, 1, 1, a->s.pt + CS, CS, rec);
	expect_fail(a->d, rec, a->s.rec_len[1], -ERANGE);
	expect_dead(a->d, &a->s);
}

static void attack_final_flag_on_non_final(void **state)
{
	struct attack *a = *state;
	uint8_t *rec = copy_rec(a, 0);

	rec[1] |= OFS_STREAM_FLAG_FINAL;
	expect_fail(a->d, rec, a->s.rec_len[0], -ERANGE);
	expect_dead(a->d, &a->s);
}

static void attack_final_flag_missing(void **state)
{
	struct attack *a = *state;
	uint8_t *rec = copy_rec(a, 3);

	chunk_ok(a, 0);
	chunk_ok(a, 1);
	chunk_ok(a, 2);
	rec[1] &= (uint8_t)~OFS_STREAM_FLAG_FINAL;
	expect_fail(a->d, rec, a->s.rec_len[3], -ERANGE);
	expect_dead(a->d, &a->s);
}

static void attack_extend(void **state)
{
	struct attack *a = *state;
	struct ofs_stream_params longer = a->p;
	uint8_t *rec = copy_rec(a, 3);

	chunk_ok(a, 0);
	chunk_ok(a, 1);
	chunk_ok(a, 2);
	chunk_ok(a, 3);
	assert_int_equal(ofs_stream_dec_finish(a->d), 0);
	/* A fifth chunk, sealed properly by someone holding the key. */
	longer.total_len = 5 * CS;
	ref_seal(key1, &longer, 4, 1, a->s.pt, CS, rec);
	expect_fail(a->d, rec, OFS_STREAM_RECORD_LEN(CS), -EOVERFLOW);
	/* Once extended, the stream is no longer a success. */
	expect_dead(a->d, &a->s);
}

static void attack_extend_replay_final(void **state)
{
	struct attack *a = *state;

	chunk_ok(a, 0);
	chunk_ok(a, 1);
	chunk_ok(a, 2);
	chunk_ok(a, 3);
	expect_fail(a->d, a->s.rec[3], a->s.rec_len[3], -EOVERFLOW);
	expect_dead(a->d, &a->s);
}

/* Flip one bit at offset off of record i, opened after chunks 0..i-1. */
static void flip(struct attack *a, uint64_t i, size_t off, uint8_t bit,
		 int err)
{
	uint8_t *rec = copy_rec(a, i);
	uint64_t j;

	for (j = 0; j < i; j++)
		chunk_ok(a, j);
	rec[off] ^= bit;
	expect_fail(a->d, rec, a->s.rec_len[i], err);
	expect_dead(a->d, &a->s);
}

static void attack_flip_ciphertext_first(void **state)
{
	flip(*state, 0, OFS_STREAM_HDR_LEN, 0x01, -EBADMSG);
}

static void attack_flip_ciphertext_last(void **state)
{
	flip(*state, 3, OFS_STREAM_HDR_LEN + 99, 0x80, -EBADMSG);
}

static void attack_flip_tag(void **state)
{
	struct attack *a = *state;

	flip(a, 1, a->s.rec_len[1] - 1, 0x01, -EBADMSG);
}

static void attack_flip_version(void **state)
{
	flip(*state, 0, 0, 0x02, -EOPNOTSUPP);
}

static void attack_flip_unknown_flag(void **state)
{
	flip(*state, 0, 1, 0x02, -EOPNOTSUPP);
}

static void attack_flip_reserved(void **state)
{
	flip(*state, 0, 3, 0x01, -EOPNOTSUPP);
}

static void attack_flip_stream_id(void **state)
{
	flip(*state, 0, 7, 0x01, -EXDEV);
}

static void attack_flip_index(void **state)
{
	flip(*state, 1, 15, 0x04, -EPROTO);	/* index 1 -> 5 */
}

static void attack_flip_index_high(void **state)
{
	flip(*state, 0, 8, 0x80, -EPROTO);	/* index 2^63 */
}

/* A decryptor with other parameters than the encryptor's. */
static void decrypt_with(const struct sealed *s, const uint8_t *key,
			 const struct ofs_stream_params *p, uint64_t i, int err)
{
	struct ofs_stream_dec *d;

	assert_int_equal(ofs_stream_dec_new(&d, key, p), 0);
	expect_fail(d, s->rec[i], s->rec_len[i], err);
	expect_dead(d, s);
	ofs_stream_dec_free(d);
}

static void attack_wrong_session(void **state)
{
	struct attack *a = *state;
	struct ofs_stream_params p = a->p;

	p.session_id[15] ^= 1;
	decrypt_with(&a->s, key1, &p, 0, -EBADMSG);
}

static void attack_wrong_key(void **state)
{
	struct attack *a = *state;
	uint8_t key[32];

	memcpy(key, key1, sizeof(key));
	key[0] ^= 1;
	decrypt_with(&a->s, key, &a->p, 0, -EBADMSG);
}

static void attack_wrong_stream_id(void **state)
{
	struct attack *a = *state;
	struct ofs_stream_params p = a->p;

	p.stream_id = 2;
	decrypt_with(&a->s, key1, &p, 0, -EXDEV);
}

/* Another stream of the same session, its header relabelled. */
static void attack_splice_other_stream(void **state)
{
	struct attack *a = *state;
	struct ofs_stream_params p2 = a->p;
	struct sealed other;
	uint8_t *rec;

	p2.stream_id = 2;
	seal_all(&other, key1, &p2);
	rec = copy_rec(a, 0);
	memcpy(rec, other.rec[0], other.rec_len[0]);
	expect_fail(a->d, rec, other.rec_len[0], -EXDEV);
	expect_dead(a->d, &a->s);
	sealed_free(&other);
}

static void attack_splice_relabelled(void **state)
{
	struct attack *a = *state;
	struct ofs_stream_params p2 = a->p;
	struct sealed other;
	uint8_t *rec;

	p2.stream_id = 2;
	seal_all(&other, key1, &p2);
	rec = copy_rec(a, 0);
	memcpy(rec, other.rec[0], other.rec_len[0]);
	rec[7] = 1;			/* claim to be stream 1 */
	expect_fail(a->d, rec, other.rec_len[0], -EBADMSG);
	expect_dead(a->d, &a->s);
	sealed_free(&other);
}

/*
 * Every chunk's AAD carries the declared total, so a decryptor that was
 * told another length refuses the very first chunk.
 */
static void attack_total_longer(void **state)
{
	struct attack *a = *state;
	struct ofs_stream_params p = a->p;

	/* Same chunk count, the last chunk one byte longer. */
	p.total_len++;
	decrypt_with(&a->s, key1, &p, 0, -EBADMSG);
}

static void attack_total_shorter(void **state)
{
	struct attack *a = *state;
	struct ofs_stream_params p = a->p;

	p.total_len = 2 * CS;
	decrypt_with(&a->s, key1, &p, 0, -EBADMSG);
	/* So short that chunk 0 should be final: caught before the tag. */
	p.total_len = 100;
	decrypt_with(&a->s, key1, &p, 0, -ERANGE);
}

static void attack_chunk_size_mismatch(void **state)
{
	struct ofs_stream_params p = params(1, CS, CS);
	struct ofs_stream_params q = p;
	struct sealed s;

	/* The one chunk has the same length at both sizes: only the AAD can
	 * tell, and does. */
	seal_all(&s, key1, &p);
	q.chunk_size = 2 * CS;
	decrypt_with(&s, key1, &q, 0, -EBADMSG);
	sealed_free(&s);
}

static void attack_oversize(void **state)
{
	struct attack *a = *state;
	uint8_t *rec = copy_rec(a, 0);

	if (via_iov) {
		/* No record length on this path: the 16 extra bytes are
		 * left in src and taken as the next record, a runt. */
		oversize_iov(a, rec);
		return;
	}
	expect_fail(a->d, rec, a->s.rec_len[0] + 16, -EMSGSIZE);
	expect_dead(a->d, &a->s);
}

static void attack_undersize(void **state)
{
	struct attack *a = *state;

	expect_fail(a->d, a->s.rec[0], a->s.rec_len[0] - 16, -EMSGSIZE);
	expect_dead(a->d, &a->s);
}

static void attack_runt(void **state)
{
	struct attack *a = *state;

	expect_fail(a->d, a->s.rec[0], OFS_STREAM_OVERHEAD - 1, -EMSGSIZE);
	expect_dead(a->d, &a->s);
}

static void attack_final_wrong_length(void **state)
{
	struct attack *a = *state;

	chunk_ok(a, 0);
	chunk_ok(a, 1);
	chunk_ok(a, 2);
	/* The final chunk one byte short of the declared total. */
	expect_fail(a->d, a->s.rec[3], a->s.rec_len[3] - 1, -ERANGE);
	expect_dead(a->d, &a->s);
}

static void small_destination(void **state)
{
	struct attack *a = *state;
	uint8_t dst[CS];
	size_t len;

	memset(dst, 0xaa, sizeof(dst));
	assert_int_equal(open_any(a->d, a->s.rec[0], a->s.rec_len[0], dst,
				  CS - 1, &len), -ENOBUFS);
	/* ofs_stream_open() wipes all of dst; the iov path wrote nothing. */
	if (via_iov)
		assert_true(wiped_or_untouched(dst, CS - 1) && dst[0] == 0xaa);
	else
		assert_true(all_zero(dst, CS - 1));
	/* The caller's mistake does not kill the stream. */
	chunk_ok(a, 0);
}

static void bad_args_keep_stream(void **state)
{
	struct attack *a = *state;
	uint8_t dst[CS];
	size_t len;

	assert_int_equal(ofs_stream_open(a->d, NULL, 0, dst, CS, &len), -EINVAL);
	assert_int_equal(ofs_stream_open(a->d, a->s.rec[0], a->s.rec_len[0],
					 dst, CS, NULL), -EINVAL);
	assert_int_equal(ofs_stream_open(a->d, a->s.rec[0], a->s.rec_len[0],
					 NULL, CS, &len), -EINVAL);
	chunk_ok(a, 0);
}

/* ---- the iov path only ---- */

/* The way the card uses it: the records back to back in scattered host
 * pages, the image in scattered guest pages; one call per record. */
static void iov_whole_stream(void **state)
{
	struct ofs_stream_params p = params(5, CS, 3 * CS + 100);
	struct ofs_iov_cursor src, out;
	struct ofs_stream_dec *d;
	struct scatter in, img;
	size_t i, off, all, got;
	uint8_t *recs, *back;
	struct sealed s;

	seal_all(&s, key1, &p);
	for (all = 0, i = 0; i < s.n; i++)
		all += s.rec_len[i];
	recs = malloc(all);
	back = calloc(1, p.total_len);
	assert_non_null(recs);
	assert_non_null(back);
	for (off = 0, i = 0; i < s.n; off += s.rec_len[i++])
		memcpy(recs + off, s.rec[i], s.rec_len[i]);
	for (i = 0; i < N_PLANS; i++) {
		scatter_new(&in, recs, all, &plans[i].src);
		scatter_new(&img, back, p.total_len, &plans[i].dst);
		src = scatter_cursor(&in);
		out = scatter_cursor(&img);
		assert_int_equal(ofs_stream_dec_new(&d, key1, &p), 0);
		while (ofs_stream_dec_finish(d) == -ENODATA)
			assert_int_equal(ofs_stream_open_iov(d, &src, &out,
							     &got), 0);
		assert_int_equal(cursor_pos(&src), all);
		assert_int_equal(cursor_pos(&out), p.total_len);
		/* Nothing after the final chunk, even with src at its end. */
		assert_int_equal(ofs_stream_open_iov(d, &src, &out, &got),
				 -EOVERFLOW);
		ofs_stream_dec_free(d);
		scatter_take(&in, NULL);
		scatter_take(&img, back);
		assert_memory_equal(back, s.pt, p.total_len);
		memset(back, 0, p.total_len);
	}
	free(back);
	free(recs);
	sealed_free(&s);
}

/* A failed tag wipes exactly the chunk's bytes of dst, and no more. */
static void iov_wipe_exact(void **state)
{
	struct attack *a = *state;
	uint8_t *rec = copy_rec(a, 0);
	static uint8_t dst[2 * CS];
	struct ofs_stream_dec *d;
	size_t i, j, got;

	rec[a->s.rec_len[0] - 1] ^= 1;
	for (i = 0; i < N_PLANS; i++) {
		memset(dst, 0xaa, sizeof(dst));
		plan_next = i;
		assert_int_equal(ofs_stream_dec_new(&d, key1, &a->p), 0);
		assert_int_equal(open_iov(d, rec, a->s.rec_len[0], dst,
					  sizeof(dst), &got), -EBADMSG);
		assert_true(all_zero(dst, CS));
		for (j = CS; j < sizeof(dst); j++)
			assert_int_equal(dst[j], 0xaa);
		ofs_stream_dec_free(d);
	}
}

static void expect_einval(struct ofs_stream_dec *d,
			  struct ofs_iov_cursor *src,
			  struct ofs_iov_cursor *dst, size_t *got)
{
	assert_int_equal(ofs_stream_open_iov(d, src, dst, got), -EINVAL);
}

/* Malformed cursors and arguments: refused, the stream lives on. */
static void iov_bad_args_keep_stream(void **state)
{
	struct attack *a = *state;
	static uint8_t dst[CS];
	const struct ofs_iov rseg = { a->s.rec[0], a->s.rec_len[0] };
	const struct ofs_iov dseg = { dst, sizeof(dst) };
	struct ofs_iov_cursor src = { &rseg, 1, 0, 0 };
	struct ofs_iov_cursor out = { &dseg, 1, 0, 0 };
	struct ofs_iov_cursor bad;
	size_t got;

	bad = src;
	bad.idx = 2;
	expect_einval(a->d, &bad, &out, &got);
	bad = src;
	bad.off = rseg.len + 1;
	expect_einval(a->d, &bad, &out, &got);
	bad = src;
	bad.idx = 1;
	bad.off = 1;
	expect_einval(a->d, &bad, &out, &got);
	bad = (struct ofs_iov_cursor){ NULL, 1, 0, 0 };
	expect_einval(a->d, &src, &bad, &got);
	expect_einval(a->d, NULL, &out, &got);
	expect_einval(a->d, &src, NULL, &got);
	expect_einval(a->d, &src, &out, NULL);
	expect_einval(a->d, &src, &src, &got);
	expect_einval(NULL, &src, &out, &got);
	assert_int_equal(cursor_pos(&src), 0);
	assert_int_equal(ofs_stream_open_iov(a->d, &src, &out, &got), 0);
	assert_memory_equal(dst, a->s.pt, CS);
}

/* ---- encryptor, parameters, messages ---- */

static void encryptor_misuse(void **state)
{
	struct ofs_stream_params p = params(9, CS, CS + 1);
	uint8_t pt[CS], rec[OFS_STREAM_RECORD_LEN(CS)];
	struct ofs_stream_enc *e;
	size_t len;

	memset(pt, 1, sizeof(pt));
	assert_int_equal(ofs_stream_enc_new(&e, key1, &p), 0);
	assert_int_equal(ofs_stream_seal(e, pt, CS - 1, rec, sizeof(rec), &len),
			 -EMSGSIZE);
	assert_int_equal(ofs_stream_seal(e, pt, CS, rec, sizeof(rec) - 1, &len),
			 -ENOBUFS);
	assert_int_equal(ofs_stream_seal(e, NULL, CS, rec, sizeof(rec), &len),
			 -EINVAL);
	assert_int_equal(ofs_stream_seal(e, pt, CS, rec, sizeof(rec), &len), 0);
	assert_int_equal(ofs_stream_enc_finish(e), -ENODATA);
	assert_int_equal(ofs_stream_seal(e, pt, CS, rec, sizeof(rec), &len),
			 -EMSGSIZE);
	assert_int_equal(ofs_stream_seal(e, pt, 1, rec, sizeof(rec), &len), 0);
	assert_int_equal(len, OFS_STREAM_RECORD_LEN(1));
	assert_int_equal(ofs_stream_enc_finish(e), 0);
	assert_int_equal(ofs_stream_seal(e, pt, 1, rec, sizeof(rec), &len),
			 -EOVERFLOW);
	ofs_stream_enc_free(e);
}

static void parameters(void **state)
{
	static const uint32_t bad[] = { 1, 2048, CS - 1, CS + 1, 3 * CS,
					OFS_STREAM_CHUNK_MAX * 2, UINT32_MAX };
	struct ofs_stream_params p = params(1, CS, 0);
	struct ofs_stream_enc *e;
	struct ofs_stream_dec *d;
	uint64_t n;
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.chunk_size = bad[i];
		assert_int_equal(ofs_stream_enc_new(&e, key1, &p), -EINVAL);
		assert_null(e);
		assert_int_equal(ofs_stream_dec_new(&d, key1, &p), -EINVAL);
		assert_null(d);
		assert_int_equal(ofs_stream_chunk_count(&p, &n), -EINVAL);
	}
	p.chunk_size = OFS_STREAM_CHUNK_MAX;
	assert_int_equal(ofs_stream_enc_new(&e, key1, &p), 0);
	ofs_stream_enc_free(e);
	assert_int_equal(ofs_stream_dec_new(&d, NULL, &p), -EINVAL);

	/* Chunk arithmetic, up to a total that would wrap a naive ceil(). */
	p.chunk_size = CS;
	p.total_len = UINT64_MAX;
	assert_int_equal(ofs_stream_chunk_count(&p, &n), 0);
	assert_int_equal(n, UINT64_MAX / CS + 1);
	assert_int_equal(ofs_stream_chunk_len(&p, n - 1, &len), 0);
	assert_int_equal(len, CS - 1);
	assert_int_equal(ofs_stream_chunk_len(&p, n, &len), -ERANGE);
	p.total_len = 2 * CS;
	assert_int_equal(ofs_stream_chunk_count(&p, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ofs_stream_chunk_len(&p, 1, &len), 0);
	assert_int_equal(len, CS);
	p.total_len = 0;
	assert_int_equal(ofs_stream_chunk_count(&p, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ofs_stream_chunk_len(&p, 0, &len), 0);
	assert_int_equal(len, 0);
}

static void messages_distinct(void **state)
{
	static const int errs[] = { EINVAL, ENOBUFS, ENOMEM, EIO, EOPNOTSUPP,
				    EXDEV, EALREADY, EPROTO, EOVERFLOW,
				    EMSGSIZE, ERANGE, EBADMSG, ENODATA,
				    ECANCELED };
	const char *unknown = ofs_stream_strerror(-EPERM);
	size_t i, j;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		const char *m = ofs_stream_strerror(-errs[i]);

		assert_string_not_equal(m, unknown);
		assert_string_equal(m, ofs_stream_strerror(errs[i]));
		for (j = 0; j < i; j++)
			assert_string_not_equal(m,
					ofs_stream_strerror(-errs[j]));
	}
}

#define ATTACK(f) cmocka_unit_test_setup_teardown(f, attack_setup, \
						  attack_teardown)

/* Every attack, each expected to fail with its own errno. */
#define ATTACKS \
	ATTACK(attack_reorder), \
	ATTACK(attack_skip), \
	ATTACK(attack_replay), \
	ATTACK(attack_replay_previous), \
	ATTACK(attack_truncate), \
	ATTACK(attack_truncate_early_final), \
	ATTACK(attack_final_flag_on_non_final), \
	ATTACK(attack_final_flag_missing), \
	ATTACK(attack_extend), \
	ATTACK(attack_extend_replay_final), \
	ATTACK(attack_flip_ciphertext_first), \
	ATTACK(attack_flip_ciphertext_last), \
	ATTACK(attack_flip_tag), \
	ATTACK(attack_flip_version), \
	ATTACK(attack_flip_unknown_flag), \
	ATTACK(attack_flip_reserved), \
	ATTACK(attack_flip_stream_id), \
	ATTACK(attack_flip_index), \
	ATTACK(attack_flip_index_high), \
	ATTACK(attack_wrong_session), \
	ATTACK(attack_wrong_key), \
	ATTACK(attack_wrong_stream_id), \
	ATTACK(attack_splice_other_stream), \
	ATTACK(attack_splice_relabelled), \
	ATTACK(attack_total_longer), \
	ATTACK(attack_total_shorter), \
	cmocka_unit_test(attack_chunk_size_mismatch), \
	ATTACK(attack_oversize), \
	ATTACK(attack_undersize), \
	ATTACK(attack_runt), \
	ATTACK(attack_final_wrong_length), \
	ATTACK(small_destination)

static int iov_group(void **state)
{
	via_iov = true;
	return 0;
}

int main(void)
{
	const struct CMUnitTest flat[] = {
		cmocka_unit_test(gcm_known_answers),
		cmocka_unit_test(gcm_in_place),
		cmocka_unit_test(stream_vectors),
		cmocka_unit_test(reference_agrees),
		cmocka_unit_test(default_chunk_size),
		cmocka_unit_test(zero_length_image),
		cmocka_unit_test(in_place),
		ATTACKS,
		ATTACK(bad_args_keep_stream),
		cmocka_unit_test(encryptor_misuse),
		cmocka_unit_test(parameters),
		cmocka_unit_test(messages_distinct),
	};
	/* The same decryptions again, through the scatter-gather path. */
	const struct CMUnitTest iov[] = {
		cmocka_unit_test(stream_vectors),
		cmocka_unit_test(reference_agrees),
		cmocka_unit_test(default_chunk_size),
		ATTACKS,
		cmocka_unit_test(iov_whole_stream),
		ATTACK(iov_wipe_exact),
		ATTACK(iov_bad_args_keep_stream),
	};

	return cmocka_run_group_tests_name("ofs_stream_open", flat, NULL,
					   NULL) |
	       cmocka_run_group_tests_name("ofs_stream_open_iov", iov,
					   iov_group, NULL);
}
