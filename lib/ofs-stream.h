/* SPDX-License-Identifier: MIT */
/*
 * libofs: the encrypted image stream (AES-256-GCM, fixed-size chunks) that
 * carries an image from the host to the card once the launch key exists.
 * The byte layouts (record, nonce, AAD) are in docs/stream-format.md; the
 * encryptor runs on the host, the decryptor on the card, and both are this
 * one implementation.
 *
 * A record on the wire is
 *
 *   header (16 bytes) || ciphertext (chunk length) || GCM tag (16 bytes)
 *
 * Every chunk but the last carries exactly chunk_size bytes; the last
 * carries the rest (1..chunk_size bytes) and the FINAL flag.  A zero-length
 * image is one FINAL chunk of zero bytes.
 *
 * Objects are not thread-safe; one stream is driven by one thread.
 */
#ifndef OFS_STREAM_H
#define OFS_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "ofs-crypto.h"

#define OFS_STREAM_VERSION	1
#define OFS_STREAM_FLAG_FINAL	0x01

#define OFS_STREAM_HDR_LEN	16
#define OFS_STREAM_TAG_LEN	16
#define OFS_STREAM_OVERHEAD	(OFS_STREAM_HDR_LEN + OFS_STREAM_TAG_LEN)
#define OFS_STREAM_RECORD_LEN(chunk_len) ((size_t)(chunk_len) + \
					   OFS_STREAM_OVERHEAD)
#define OFS_STREAM_NONCE_LEN	12
#define OFS_STREAM_AAD_LEN	44

#define OFS_STREAM_CHUNK_MIN	(4u << 10)
#define OFS_STREAM_CHUNK_MAX	(16u << 20)
#define OFS_STREAM_CHUNK_DEFAULT (1u << 20)

/*
 * What both ends agree on before the first chunk.  The session id and the
 * total length are not sent in records, only authenticated: a decryptor
 * with a different value fails every tag.
 */
struct ofs_stream_params {
	uint8_t session_id[OFS_SESSION_ID_LEN];
	/*
	 * Distinguishes the streams of one session (one per image component:
	 * docs/stream-format.md).  It is half of the GCM nonce, so two
	 * streams under one key must never share an id.
	 */
	uint32_t stream_id;
	/* Power of two in [OFS_STREAM_CHUNK_MIN, OFS_STREAM_CHUNK_MAX]; 0 =
	 * OFS_STREAM_CHUNK_DEFAULT. */
	uint32_t chunk_size;
	uint64_t total_len;	/* plaintext bytes in the whole stream */
};

/*
 * The errnos of the stream, each for one reason (ofs_stream_strerror()
 * explains them).  Errors marked * are about the record, not about the
 * caller's arguments: after one, the stream is dead and every later call
 * returns -ECANCELED.
 *
 *   -EINVAL       bad argument or parameters
 *   -ENOBUFS      caller's output buffer too small for this chunk
 *   -ENOMEM       allocation failed (only when a stream is created)
 *   -EIO        * the crypto library failed
 *   -EOPNOTSUPP * header: unknown version, unknown flag, reserved not zero
 *   -EXDEV      * header: another stream's id
 *   -EALREADY   * chunk index already accepted: replay
 *   -EPROTO     * chunk index ahead of the next one: reordered or skipped
 *   -EOVERFLOW  * anything after the final chunk: extension
 *   -EMSGSIZE   * record too short, chunk over chunk_size, or a non-final
 *                 chunk that is not exactly chunk_size
 *   -ERANGE     * FINAL flag or final chunk length disagrees with the
 *                 declared total length
 *   -EBADMSG    * tag mismatch: wrong key, wrong session id, wrong total
 *                 length, or altered bytes (indistinguishable by design)
 *   -ENODATA      finish before the final chunk: truncation
 *   -ECANCELED    the stream failed earlier
 */
const char *ofs_stream_strerror(int err);

/* How many chunks a stream has (at least 1), and chunk index's length.
 * -EINVAL bad parameters, -ERANGE index past the last chunk. */
int ofs_stream_chunk_count(const struct ofs_stream_params *p,
			   uint64_t *count);
int ofs_stream_chunk_len(const struct ofs_stream_params *p, uint64_t index,
			 size_t *len);

/*
 * AES-256-GCM with a 12-byte nonce and a 16-byte tag: the primitive under
 * the stream, exposed so that it can be checked against published vectors.
 * The key schedule is computed once; seal/open only set the nonce.  A
 * (key, nonce) pair must never seal two different messages.  out may be
 * in (exactly) or disjoint from it.  len at most OFS_GCM_MAX_LEN.
 */
#define OFS_GCM_MAX_LEN		(1u << 30)
struct ofs_gcm;

int ofs_gcm_new(struct ofs_gcm **out, const uint8_t key[OFS_AEAD_KEY_LEN]);
/* -EINVAL, -EMSGSIZE (len), -EIO; on -EIO out and tag are wiped. */
int ofs_gcm_seal(struct ofs_gcm *g, const uint8_t nonce[OFS_STREAM_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *in, size_t len, uint8_t *out,
		 uint8_t tag[OFS_STREAM_TAG_LEN]);
/* -EINVAL, -EMSGSIZE, -EBADMSG, -EIO; on failure out[0..len) is wiped. */
int ofs_gcm_open(struct ofs_gcm *g, const uint8_t nonce[OFS_STREAM_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *in, size_t len,
		 const uint8_t tag[OFS_STREAM_TAG_LEN], uint8_t *out);
/* Frees and wipes the key schedule.  NULL is a no-op. */
void ofs_gcm_free(struct ofs_gcm *g);

/* Host side. */
struct ofs_stream_enc;

/* -EINVAL, -ENOMEM, -EIO.  The key is not kept outside the cipher state. */
int ofs_stream_enc_new(struct ofs_stream_enc **out,
		       const uint8_t key[OFS_AEAD_KEY_LEN],
		       const struct ofs_stream_params *p);
/*
 * Seal the next chunk: pt_len must be that chunk's length (chunk_size, or
 * the remainder for the last).  Writes OFS_STREAM_RECORD_LEN(pt_len) bytes
 * to rec.  pt may be rec + OFS_STREAM_HDR_LEN (in place), else disjoint.
 *   -EINVAL, -EMSGSIZE (pt_len), -ENOBUFS (rec_cap), -EOVERFLOW (all
 *   chunks sealed already), -ECANCELED, -EIO (then rec is wiped and the
 *   stream is dead, so that no nonce is ever used twice)
 */
int ofs_stream_seal(struct ofs_stream_enc *e, const void *pt, size_t pt_len,
		    void *rec, size_t rec_cap, size_t *rec_len);
/* 0 once the final chunk is sealed; -ENODATA before, -ECANCELED. */
int ofs_stream_enc_finish(const struct ofs_stream_enc *e);
void ofs_stream_enc_free(struct ofs_stream_enc *e);

/* Device side. */
struct ofs_stream_dec;

/* -EINVAL, -ENOMEM, -EIO. */
int ofs_stream_dec_new(struct ofs_stream_dec **out,
		       const uint8_t key[OFS_AEAD_KEY_LEN],
		       const struct ofs_stream_params *p);
/*
 * The chunk the decryptor takes next: its index, the offset of its
 * plaintext in the image and its length.  -EOVERFLOW once the final chunk
 * is in, -ECANCELED after a failure.
 */
int ofs_stream_dec_next(const struct ofs_stream_dec *d, uint64_t *index,
			uint64_t *offset, size_t *len);
/*
 * Check and decrypt one record into dst (dst_len >= the chunk's length;
 * dst may be rec + OFS_STREAM_HDR_LEN, else disjoint).  Plaintext is
 * written to dst before the tag is checked - dst must not be visible to
 * anything untrusted until this returns 0 (for the card: the VM has not
 * started).  On any failure dst[0..dst_len) is wiped, so no unauthenticated
 * plaintext is left.  *pt_len gets the chunk's length on success.
 * Errnos: see above.
 */
int ofs_stream_open(struct ofs_stream_dec *d, const void *rec, size_t rec_len,
		    void *dst, size_t dst_len, size_t *pt_len);

/*
 * Scatter-gather: the card decrypts from scattered host pages straight into
 * scattered guest pages.  A cursor is a position in a list of segments;
 * empty segments are allowed and skipped.  Every segment from the cursor on
 * must be valid for its whole length (only the cursor itself is checked).
 */
struct ofs_iov {
	uint8_t *base;
	size_t len;
};

struct ofs_iov_cursor {
	const struct ofs_iov *iov;
	size_t n;	/* segments in iov */
	size_t idx;	/* current segment, <= n */
	size_t off;	/* offset in it, <= iov[idx].len */
};

/*
 * Consumes exactly one record from src (its length follows from the
 * decoder's next expected chunk), writes its plaintext at dst, advances
 * both cursors.  Same checks, errors and finality as ofs_stream_open(); on
 * failure wipes every plaintext byte it wrote and leaves the cursors where
 * they were.
 *
 * Records carry no length of their own: bytes in src beyond the expected
 * record are left for the next call, and a src holding fewer bytes than
 * the expected record is a short record (-EMSGSIZE, or -ERANGE for the
 * final chunk).  -ENOBUFS when dst holds fewer bytes than the chunk (the
 * stream stays usable); -EINVAL for a malformed cursor.  Src and dst must
 * not overlap.
 */
int ofs_stream_open_iov(struct ofs_stream_dec *d, struct ofs_iov_cursor *src,
			struct ofs_iov_cursor *dst, size_t *pt_len);

/* 0 once the final chunk is in; -ENODATA before (truncation), -ECANCELED. */
int ofs_stream_dec_finish(const struct ofs_stream_dec *d);
void ofs_stream_dec_free(struct ofs_stream_dec *d);

#endif
