// SPDX-License-Identifier: MIT
/*
 * The encrypted image stream: AES-256-GCM over fixed-size chunks, one
 * cipher context per stream (the key schedule is computed once; a chunk
 * only sets a nonce), no allocation per chunk.  docs/stream-format.md is
 * the byte-level specification of what is built here.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ofs-stream.h"

/* Record header offsets; the same 16 bytes open the AAD. */
#define HDR_VERSION	0
#define HDR_FLAGS	1
#define HDR_RESERVED	2	/* 2 bytes, zero */
#define HDR_STREAM_ID	4	/* be32 */
#define HDR_INDEX	8	/* be64 */
/* AAD offsets after the header. */
#define AAD_SESSION_ID	16
#define AAD_TOTAL_LEN	32	/* be64 */
#define AAD_CHUNK_SIZE	40	/* be32 */

_Static_assert(AAD_CHUNK_SIZE + 4 == OFS_STREAM_AAD_LEN, "AAD layout");
_Static_assert(OFS_STREAM_CHUNK_MAX <= OFS_GCM_MAX_LEN, "chunk fits GCM");

/* ---- AES-256-GCM ---- */

struct ofs_gcm {
	EVP_CIPHER_CTX *ctx;
};

int ofs_gcm_new(struct ofs_gcm **out, const uint8_t key[OFS_AEAD_KEY_LEN])
{
	struct ofs_gcm *g;
	EVP_CIPHER *cipher;
	int ret;

	if (!out || !key)
		return -EINVAL;
	*out = NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->ctx = EVP_CIPHER_CTX_new();
	if (!g->ctx) {
		ret = -ENOMEM;
		goto free_g;
	}
	/* Fetched once here rather than implicitly at every init. */
	cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (!cipher) {
		ret = -EIO;
		goto free_ctx;
	}
	/* Key only: each message sets its own nonce, reusing the schedule. */
	ret = EVP_EncryptInit_ex2(g->ctx, cipher, key, NULL, NULL) == 1 ?
	      0 : -EIO;
	EVP_CIPHER_free(cipher);
	if (ret)
		goto free_ctx;
	*out = g;
	return 0;

free_ctx:
	EVP_CIPHER_CTX_free(g->ctx);
free_g:
	free(g);
	return ret;
}

void ofs_gcm_free(struct ofs_gcm *g)
{
	if (!g)
		return;
	/* The provider clears its key schedule when the context is freed. */
	EVP_CIPHER_CTX_free(g->ctx);
	free(g);
}

static bool gcm_args_ok(const struct ofs_gcm *g, const uint8_t *nonce,
			const uint8_t *aad, size_t aad_len,
			const uint8_t *in, size_t len, const uint8_t *out,
			const uint8_t *tag)
{
	return g && nonce && tag && (aad || !aad_len) &&
	       ((in && out) || !len) && aad_len <= OFS_GCM_MAX_LEN;
}

static OSSL_PARAM tag_param(uint8_t *tag)
{
	return OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
						 tag, OFS_STREAM_TAG_LEN);
}

/* Nonce and AAD for the next message; the cipher direction comes with it. */
static int gcm_start(struct ofs_gcm *g, int enc, const uint8_t *nonce,
		     const uint8_t *aad, size_t aad_len)
{
	int outl;

	if (EVP_CipherInit_ex2(g->ctx, NULL, NULL, nonce, enc, NULL) != 1)
		return -EIO;
	if (aad_len &&
	    EVP_CipherUpdate(g->ctx, NULL, &outl, aad, (int)aad_len) != 1)
		return -EIO;
	return 0;
}

int ofs_gcm_seal(struct ofs_gcm *g, const uint8_t nonce[OFS_STREAM_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *in, size_t len, uint8_t *out,
		 uint8_t tag[OFS_STREAM_TAG_LEN])
{
	OSSL_PARAM params[2];
	int outl;

	if (!gcm_args_ok(g, nonce, aad, aad_len, in, len, out, tag))
		return -EINVAL;
	if (len > OFS_GCM_MAX_LEN)
		return -EMSGSIZE;
	if (gcm_start(g, 1, nonce, aad, aad_len))
		goto wipe_out;
	if (len && (EVP_EncryptUpdate(g->ctx, out, &outl, in, (int)len) != 1 ||
		    (size_t)outl != len))
		goto wipe_out;
	/* GCM is a stream mode: Final emits no bytes, it computes the tag. */
	if (EVP_EncryptFinal_ex(g->ctx, out + len, &outl) != 1 || outl != 0)
		goto wipe_out;
	params[0] = tag_param(tag);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_get_params(g->ctx, params) != 1)
		goto wipe_out;
	return 0;

wipe_out:
	/* A half-written ciphertext must not go out under a nonce the
	 * caller might be tempted to reuse. */
	if (len)
		OPENSSL_cleanse(out, len);
	OPENSSL_cleanse(tag, OFS_STREAM_TAG_LEN);
	return -EIO;
}

/*
 * Decrypts len bytes of the message gcm_start() began.  GCM is a stream
 * mode: every byte in comes out at once, however the message is split, so
 * a scattered message is decrypted piece by piece with no bounce buffer.
 */
static int gcm_decrypt(struct ofs_gcm *g, const uint8_t *in, size_t len,
		       uint8_t *out)
{
	int outl;

	if (!len)
		return 0;
	if (EVP_DecryptUpdate(g->ctx, out, &outl, in, (int)len) != 1 ||
	    (size_t)outl != len)
		return -EIO;
	return 0;
}

/* Ends a decryption: -EBADMSG unless tag authenticates all of it. */
static int gcm_check_tag(struct ofs_gcm *g,
			 const uint8_t tag[OFS_STREAM_TAG_LEN])
{
	uint8_t none[OFS_STREAM_TAG_LEN];	/* Final writes nothing in GCM */
	OSSL_PARAM params[2];
	int outl;

	params[0] = tag_param((uint8_t *)tag);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_set_params(g->ctx, params) != 1)
		return -EIO;
	/* The tag is compared here, after the plaintext was written. */
	if (EVP_DecryptFinal_ex(g->ctx, none, &outl) != 1)
		return -EBADMSG;
	return 0;
}

int ofs_gcm_open(struct ofs_gcm *g, const uint8_t nonce[OFS_STREAM_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *in, size_t len,
		 const uint8_t tag[OFS_STREAM_TAG_LEN], uint8_t *out)
{
	int ret;

	if (!gcm_args_ok(g, nonce, aad, aad_len, in, len, out, tag)) {
		if (out && len <= OFS_GCM_MAX_LEN)
			OPENSSL_cleanse(out, len);
		return -EINVAL;
	}
	if (len > OFS_GCM_MAX_LEN)
		return -EMSGSIZE;
	ret = gcm_start(g, 0, nonce, aad, aad_len);
	if (ret)
		goto wipe_out;
	ret = gcm_decrypt(g, in, len, out);
	if (ret)
		goto wipe_out;
	ret = gcm_check_tag(g, tag);
	if (ret)
		goto wipe_out;
	return 0;

wipe_out:
	if (len)
		OPENSSL_cleanse(out, len);
	return ret;
}

/* ---- the stream ---- */

enum stream_state {
	STREAM_OPEN,		/* more chunks expected */
	STREAM_COMPLETE,	/* the final chunk went through */
	STREAM_FAILED,		/* dead after a record error */
};

/* What the encryptor and the decryptor share. */
struct stream {
	struct ofs_gcm *gcm;
	struct ofs_stream_params p;	/* chunk_size resolved, never 0 */
	uint64_t next;			/* index of the next chunk */
	uint64_t last;			/* index of the final chunk */
	enum stream_state state;
};

struct ofs_stream_enc {
	struct stream s;
};

struct ofs_stream_dec {
	struct stream s;
};

static const struct {
	int err;
	const char *msg;
} stream_errors[] = {
	{ 0, "success" },
	{ EINVAL, "invalid argument or stream parameters" },
	{ ENOBUFS, "output buffer too small for this chunk" },
	{ ENOMEM, "out of memory" },
	{ EIO, "the crypto library failed" },
	{ EOPNOTSUPP, "record header has an unknown version or flag, "
		      "or a non-zero reserved field" },
	{ EXDEV, "record belongs to another stream (stream id mismatch)" },
	{ EALREADY, "chunk already accepted (replay)" },
	{ EPROTO, "chunk out of order (reordered or skipped)" },
	{ EOVERFLOW, "data after the final chunk (extension)" },
	{ EMSGSIZE, "chunk length wrong for its position" },
	{ ERANGE, "final flag or final chunk length disagrees with the "
		  "declared total length" },
	{ EBADMSG, "authentication failed: wrong key or session, or the "
		   "record was altered" },
	{ ENODATA, "stream ended before the final chunk (truncation)" },
	{ ECANCELED, "stream already failed; nothing more is accepted" },
};

const char *ofs_stream_strerror(int err)
{
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(stream_errors) / sizeof(stream_errors[0]); i++)
		if (stream_errors[i].err == err)
			return stream_errors[i].msg;
	return "unknown stream error";
}

static int resolve_params(const struct ofs_stream_params *in,
			  struct ofs_stream_params *out)
{
	uint32_t cs;

	if (!in)
		return -EINVAL;
	cs = in->chunk_size ? in->chunk_size : OFS_STREAM_CHUNK_DEFAULT;
	if (cs < OFS_STREAM_CHUNK_MIN || cs > OFS_STREAM_CHUNK_MAX ||
	    (cs & (cs - 1)))
		return -EINVAL;
	*out = *in;
	out->chunk_size = cs;
	return 0;
}

/* Index of the final chunk: a zero-length stream still has chunk 0. */
static uint64_t last_index(const struct ofs_stream_params *p)
{
	uint64_t n = p->total_len / p->chunk_size;

	/* Written without total_len + chunk_size - 1, which could wrap. */
	if (p->total_len % p->chunk_size == 0 && n > 0)
		n--;
	return n;
}

static size_t chunk_len(const struct ofs_stream_params *p, uint64_t index,
			uint64_t last)
{
	if (index < last)
		return p->chunk_size;
	return (size_t)(p->total_len - index * (uint64_t)p->chunk_size);
}

int ofs_stream_chunk_count(const struct ofs_stream_params *p, uint64_t *count)
{
	struct ofs_stream_params r;
	int ret;

	if (!count)
		return -EINVAL;
	ret = resolve_params(p, &r);
	if (ret)
		return ret;
	*count = last_index(&r) + 1;
	return 0;
}

int ofs_stream_chunk_len(const struct ofs_stream_params *p, uint64_t index,
			 size_t *len)
{
	struct ofs_stream_params r;
	int ret;

	if (!len)
		return -EINVAL;
	ret = resolve_params(p, &r);
	if (ret)
		return ret;
	if (index > last_index(&r))
		return -ERANGE;
	*len = chunk_len(&r, index, last_index(&r));
	return 0;
}

static int stream_init(struct stream *s, const uint8_t *key,
		       const struct ofs_stream_params *p)
{
	int ret;

	if (!key)
		return -EINVAL;
	ret = resolve_params(p, &s->p);
	if (ret)
		return ret;
	s->next = 0;
	s->last = last_index(&s->p);
	s->state = STREAM_OPEN;
	return ofs_gcm_new(&s->gcm, key);
}

static void stream_fini(struct stream *s)
{
	ofs_gcm_free(s->gcm);
	OPENSSL_cleanse(s, sizeof(*s));
}

/* The 16-byte record header of chunk index, as it is sent and as it
 * opens the AAD. */
static void put_header(uint8_t *h, const struct stream *s, uint64_t index,
		       bool final)
{
	uint32_t id = htobe32(s->p.stream_id);
	uint64_t idx = htobe64(index);

	h[HDR_VERSION] = OFS_STREAM_VERSION;
	h[HDR_FLAGS] = final ? OFS_STREAM_FLAG_FINAL : 0;
	h[HDR_RESERVED] = 0;
	h[HDR_RESERVED + 1] = 0;
	memcpy(h + HDR_STREAM_ID, &id, sizeof(id));
	memcpy(h + HDR_INDEX, &idx, sizeof(idx));
}

/*
 * Nonce and AAD from the stream's own state, never from received bytes:
 * what is authenticated is what this end believes.  The nonce is header
 * bytes 4..15 (stream id || chunk index).
 */
static void chunk_context(const struct stream *s, uint64_t index, bool final,
			  uint8_t aad[OFS_STREAM_AAD_LEN],
			  uint8_t nonce[OFS_STREAM_NONCE_LEN])
{
	uint64_t total = htobe64(s->p.total_len);
	uint32_t cs = htobe32(s->p.chunk_size);

	put_header(aad, s, index, final);
	memcpy(aad + AAD_SESSION_ID, s->p.session_id, OFS_SESSION_ID_LEN);
	memcpy(aad + AAD_TOTAL_LEN, &total, sizeof(total));
	memcpy(aad + AAD_CHUNK_SIZE, &cs, sizeof(cs));
	memcpy(nonce, aad + HDR_STREAM_ID, OFS_STREAM_NONCE_LEN);
}

/* ---- encryptor ---- */

int ofs_stream_enc_new(struct ofs_stream_enc **out,
		       const uint8_t key[OFS_AEAD_KEY_LEN],
		       const struct ofs_stream_params *p)
{
	struct ofs_stream_enc *e;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	ret = stream_init(&e->s, key, p);
	if (ret) {
		free(e);
		return ret;
	}
	*out = e;
	return 0;
}

int ofs_stream_seal(struct ofs_stream_enc *e, const void *pt, size_t pt_len,
		    void *rec, size_t rec_cap, size_t *rec_len)
{
	uint8_t aad[OFS_STREAM_AAD_LEN], nonce[OFS_STREAM_NONCE_LEN];
	struct stream *s;
	uint8_t *r = rec;
	bool final;
	int ret;

	if (!e || !rec || !rec_len || (!pt && pt_len))
		return -EINVAL;
	s = &e->s;
	if (s->state == STREAM_FAILED)
		return -ECANCELED;
	if (s->state == STREAM_COMPLETE)
		return -EOVERFLOW;
	if (pt_len != chunk_len(&s->p, s->next, s->last))
		return -EMSGSIZE;
	if (rec_cap < OFS_STREAM_RECORD_LEN(pt_len))
		return -ENOBUFS;

	final = s->next == s->last;
	chunk_context(s, s->next, final, aad, nonce);
	ret = ofs_gcm_seal(s->gcm, nonce, aad, sizeof(aad), pt, pt_len,
			   r + OFS_STREAM_HDR_LEN,
			   r + OFS_STREAM_HDR_LEN + pt_len);
	if (ret) {
		/* The nonce may be partly spent: never let it seal again. */
		s->state = STREAM_FAILED;
		OPENSSL_cleanse(rec, OFS_STREAM_RECORD_LEN(pt_len));
		return ret;
	}
	/* Only now: a failed seal leaves nothing that looks like a record. */
	memcpy(r, aad, OFS_STREAM_HDR_LEN);
	*rec_len = OFS_STREAM_RECORD_LEN(pt_len);
	s->next++;
	if (final)
		s->state = STREAM_COMPLETE;
	return 0;
}

int ofs_stream_enc_finish(const struct ofs_stream_enc *e)
{
	if (!e)
		return -EINVAL;
	if (e->s.state == STREAM_FAILED)
		return -ECANCELED;
	return e->s.state == STREAM_COMPLETE ? 0 : -ENODATA;
}

void ofs_stream_enc_free(struct ofs_stream_enc *e)
{
	if (!e)
		return;
	stream_fini(&e->s);
	free(e);
}

/* ---- decryptor ---- */

int ofs_stream_dec_new(struct ofs_stream_dec **out,
		       const uint8_t key[OFS_AEAD_KEY_LEN],
		       const struct ofs_stream_params *p)
{
	struct ofs_stream_dec *d;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = stream_init(&d->s, key, p);
	if (ret) {
		free(d);
		return ret;
	}
	*out = d;
	return 0;
}

int ofs_stream_dec_next(const struct ofs_stream_dec *d, uint64_t *index,
			uint64_t *offset, size_t *len)
{
	const struct stream *s;

	if (!d)
		return -EINVAL;
	s = &d->s;
	if (s->state == STREAM_FAILED)
		return -ECANCELED;
	if (s->state == STREAM_COMPLETE)
		return -EOVERFLOW;
	if (index)
		*index = s->next;
	if (offset)
		*offset = s->next * (uint64_t)s->p.chunk_size;
	if (len)
		*len = chunk_len(&s->p, s->next, s->last);
	return 0;
}

/* ---- scatter-gather cursors ---- */

static size_t min_len(size_t a, size_t b)
{
	return a < b ? a : b;
}

static bool cursor_ok(const struct ofs_iov_cursor *c)
{
	if (!c || (!c->iov && c->n) || c->idx > c->n)
		return false;
	return c->idx < c->n ? c->off <= c->iov[c->idx].len : !c->off;
}

/* Bytes left in the current segment, after stepping over exhausted and
 * empty ones; 0 only at the end of the list. */
static size_t cursor_seg(struct ofs_iov_cursor *c)
{
	while (c->idx < c->n && c->off == c->iov[c->idx].len) {
		c->idx++;
		c->off = 0;
	}
	return c->idx < c->n ? c->iov[c->idx].len - c->off : 0;
}

static uint8_t *cursor_ptr(const struct ofs_iov_cursor *c)
{
	return c->iov[c->idx].base + c->off;
}

/* Bytes from the cursor on, but counted no further than want: a guest's
 * list can be long, and one call walks only what one chunk needs. */
static size_t cursor_avail(struct ofs_iov_cursor c, size_t want)
{
	size_t have = 0, n;

	while (have < want && (n = cursor_seg(&c))) {
		have += n;
		c.off += n;
	}
	return min_len(have, want);
}

/* Copies len bytes (the caller counted them) out and advances. */
static void cursor_read(struct ofs_iov_cursor *c, uint8_t *out, size_t len)
{
	size_t n;

	while (len && (n = min_len(cursor_seg(c), len))) {
		memcpy(out, cursor_ptr(c), n);
		out += n;
		len -= n;
		c->off += n;
	}
}

/* Takes the cursor by value: wiping does not move the caller's. */
static void cursor_wipe(struct ofs_iov_cursor c, size_t len)
{
	size_t n;

	while (len && (n = min_len(cursor_seg(&c), len))) {
		OPENSSL_cleanse(cursor_ptr(&c), n);
		len -= n;
		c.off += n;
	}
}

/*
 * Decrypts len bytes from src to dst, each piece as long as both current
 * segments allow.  *written counts the bytes dst may have received, so
 * that a failure can wipe exactly those.
 */
static int gcm_decrypt_iov(struct ofs_gcm *g, struct ofs_iov_cursor *src,
			   struct ofs_iov_cursor *dst, size_t len,
			   size_t *written)
{
	size_t n;
	int ret;

	while (*written < len) {
		n = min_len(len - *written,
			    min_len(cursor_seg(src), cursor_seg(dst)));
		if (!n)
			return -EIO;	/* both were counted: cannot happen */
		*written += n;
		ret = gcm_decrypt(g, cursor_ptr(src), n, cursor_ptr(dst));
		if (ret)
			return ret;
		src->off += n;
		dst->off += n;
	}
	return 0;
}

/*
 * Everything that can be said about a record before decrypting it, in the
 * order that gives the most specific errno.  Returns the chunk's length.
 */
static int check_record(const struct stream *s,
			const uint8_t r[OFS_STREAM_HDR_LEN], size_t rec_len,
			size_t *len)
{
	uint64_t index;
	uint32_t id;
	size_t ct_len, want;
	bool final;

	if (s->state == STREAM_COMPLETE)
		return -EOVERFLOW;
	if (rec_len < OFS_STREAM_OVERHEAD)
		return -EMSGSIZE;
	if (r[HDR_VERSION] != OFS_STREAM_VERSION ||
	    (r[HDR_FLAGS] & ~OFS_STREAM_FLAG_FINAL) ||
	    r[HDR_RESERVED] || r[HDR_RESERVED + 1])
		return -EOPNOTSUPP;
	memcpy(&id, r + HDR_STREAM_ID, sizeof(id));
	if (be32toh(id) != s->p.stream_id)
		return -EXDEV;
	memcpy(&index, r + HDR_INDEX, sizeof(index));
	index = be64toh(index);
	if (index < s->next)
		return -EALREADY;
	if (index > s->next)
		return -EPROTO;
	ct_len = rec_len - OFS_STREAM_OVERHEAD;
	if (ct_len > s->p.chunk_size)
		return -EMSGSIZE;
	final = r[HDR_FLAGS] & OFS_STREAM_FLAG_FINAL;
	if (final != (index == s->last))
		return -ERANGE;
	want = chunk_len(&s->p, index, s->last);
	if (ct_len != want)
		return final ? -ERANGE : -EMSGSIZE;
	*len = ct_len;
	return 0;
}

/*
 * The one decryption path under ofs_stream_open() and ofs_stream_open_iov():
 * the record is the rec_len bytes at src (all of them there).  Works on
 * copies of the cursors and commits them only on success; on failure wipes
 * the plaintext it wrote.
 */
static int open_record(struct stream *s, struct ofs_iov_cursor *src,
		       size_t rec_len, struct ofs_iov_cursor *dst,
		       size_t *pt_len)
{
	uint8_t aad[OFS_STREAM_AAD_LEN], nonce[OFS_STREAM_NONCE_LEN];
	uint8_t hdr[OFS_STREAM_HDR_LEN] = { 0 }, tag[OFS_STREAM_TAG_LEN];
	struct ofs_iov_cursor in = *src, out = *dst;
	size_t len, want, written = 0;
	bool final;
	int ret;

	if (s->state == STREAM_FAILED)
		return -ECANCELED;
	if (s->state == STREAM_OPEN) {
		want = chunk_len(&s->p, s->next, s->last);
		/* The caller's own mistake: reported, but it does not kill
		 * the stream. */
		if (cursor_avail(out, want) < want)
			return -ENOBUFS;
	}
	/* Gathered, as the header may straddle segments; check_record()
	 * looks at no header byte of a record shorter than the overhead. */
	cursor_read(&in, hdr, rec_len < sizeof(hdr) ? rec_len : sizeof(hdr));
	ret = check_record(s, hdr, rec_len, &len);
	if (ret)
		goto kill_stream;

	final = s->next == s->last;
	chunk_context(s, s->next, final, aad, nonce);
	ret = gcm_start(s->gcm, 0, nonce, aad, sizeof(aad));
	if (ret)
		goto kill_stream;
	ret = gcm_decrypt_iov(s->gcm, &in, &out, len, &written);
	if (ret)
		goto wipe_written;
	cursor_read(&in, tag, sizeof(tag));
	ret = gcm_check_tag(s->gcm, tag);
	if (ret)
		goto wipe_written;

	*src = in;
	*dst = out;
	*pt_len = len;
	s->next++;
	if (final)
		s->state = STREAM_COMPLETE;
	return 0;

wipe_written:
	cursor_wipe(*dst, written);
kill_stream:
	s->state = STREAM_FAILED;
	return ret;
}

int ofs_stream_open(struct ofs_stream_dec *d, const void *rec, size_t rec_len,
		    void *dst, size_t dst_len, size_t *pt_len)
{
	/* The core only reads from src: the cast does not lead to a write. */
	const struct ofs_iov src_seg = { (uint8_t *)rec, rec_len };
	const struct ofs_iov dst_seg = { dst, dst_len };
	struct ofs_iov_cursor src = { &src_seg, 1, 0, 0 };
	struct ofs_iov_cursor out = { &dst_seg, 1, 0, 0 };
	int ret;

	if (!d || !rec || !pt_len || (!dst && dst_len))
		ret = -EINVAL;
	else
		ret = open_record(&d->s, &src, rec_len, &out, pt_len);
	/* Stricter than the core: the whole of dst, whatever the reason, as
	 * this function has always promised. */
	if (ret && dst && dst_len)
		OPENSSL_cleanse(dst, dst_len);
	return ret;
}

int ofs_stream_open_iov(struct ofs_stream_dec *d, struct ofs_iov_cursor *src,
			struct ofs_iov_cursor *dst, size_t *pt_len)
{
	const struct stream *s;
	size_t rec_len = 0;

	if (!d || !pt_len || !cursor_ok(src) || !cursor_ok(dst) || src == dst)
		return -EINVAL;
	s = &d->s;
	/* Records carry no length: the one expected is as long as the chunk
	 * the decryptor takes next, or as what src still holds if that is
	 * less (then check_record() calls it short). */
	if (s->state == STREAM_OPEN)
		rec_len = cursor_avail(*src, OFS_STREAM_RECORD_LEN(
				chunk_len(&s->p, s->next, s->last)));
	return open_record(&d->s, src, rec_len, dst, pt_len);
}

int ofs_stream_dec_finish(const struct ofs_stream_dec *d)
{
	if (!d)
		return -EINVAL;
	if (d->s.state == STREAM_FAILED)
		return -ECANCELED;
	return d->s.state == STREAM_COMPLETE ? 0 : -ENODATA;
}

void ofs_stream_dec_free(struct ofs_stream_dec *d)
{
	if (!d)
		return;
	stream_fini(&d->s);
	free(d);
}
