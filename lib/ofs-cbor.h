/* SPDX-License-Identifier: MIT */
/*
 * libofs: strict CBOR reading and deterministic writing, shared by the
 * codecs of libofs (report.c, confirm.c, cose.c), and the claims tables
 * they describe their maps with.  Not a general CBOR API: it only reads
 * what the profile allows (definite lengths, shortest arguments); the
 * rules are docs/report-profile.md section 4.  Errors are reported as in
 * ofs-report.h, through struct ofs_decode_error (ofs-types.h).
 */
#ifndef OFS_CBOR_H
#define OFS_CBOR_H

#include <stddef.h>
#include <stdint.h>

#include "ofs-types.h"

/* Longest eat_profile text a decoder reads (claim 265). */
#define OFS_PROFILE_MAX		64

enum ofs_cbor_type {
	OFS_CBOR_UINT, OFS_CBOR_NEGINT, OFS_CBOR_BYTES, OFS_CBOR_TEXT,
	OFS_CBOR_ARRAY, OFS_CBOR_MAP, OFS_CBOR_TAG, OFS_CBOR_SIMPLE,
	OFS_CBOR_FLOAT, OFS_CBOR_NULL,
};

struct ofs_cbor_item {
	enum ofs_cbor_type type;
	uint64_t arg;		/* value, length, count or tag; negint: -1 - arg */
	const uint8_t *data;	/* strings: their bytes */
	const uint8_t *head;	/* where the item starts in the input */
	size_t head_len;	/* bytes of its header (type + argument) */
};

struct ofs_cbor_reader {
	const uint8_t *start, *p, *end;
	struct ofs_decode_error *err;
};

struct ofs_cbor_writer {
	uint8_t *buf;
	size_t size, len;
	int err;		/* sticky: -ENOBUFS once out of room */
};

void ofs_cbor_reader_init(struct ofs_cbor_reader *rd, const uint8_t *buf, size_t len,
			  struct ofs_decode_error *err);
int ofs_cbor_fail(struct ofs_cbor_reader *rd, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ofs_cbor_next(struct ofs_cbor_reader *rd, struct ofs_cbor_item *it);
int ofs_cbor_expect(struct ofs_cbor_reader *rd, enum ofs_cbor_type type,
		    const char *what, struct ofs_cbor_item *it);
int ofs_cbor_read_key(struct ofs_cbor_reader *rd, const char *what,
		      struct ofs_cbor_item *it, int64_t *key);
int ofs_cbor_read_uint(struct ofs_cbor_reader *rd, const char *what, uint64_t min,
		       uint64_t max, uint64_t *v);
int ofs_cbor_read_bytes(struct ofs_cbor_reader *rd, const char *what, uint8_t *out,
			size_t len);
int ofs_cbor_read_var_bytes(struct ofs_cbor_reader *rd, const char *what, size_t min,
			    size_t max, uint8_t *out, uint32_t *len);
int ofs_cbor_read_text(struct ofs_cbor_reader *rd, const char *what, size_t min,
		       size_t max, char *out);
int ofs_cbor_read_array(struct ofs_cbor_reader *rd, const char *what, uint64_t min,
			uint64_t max, uint32_t *n);
int ofs_cbor_skip(struct ofs_cbor_reader *rd);
int ofs_cbor_end(struct ofs_cbor_reader *rd, const char *what);

void ofs_cbor_writer_init(struct ofs_cbor_writer *w, uint8_t *buf, size_t size);
void ofs_cbor_put_uint(struct ofs_cbor_writer *w, uint64_t v);
void ofs_cbor_put_int(struct ofs_cbor_writer *w, int64_t v);
void ofs_cbor_put_bytes(struct ofs_cbor_writer *w, const uint8_t *data, size_t len);
void ofs_cbor_put_text(struct ofs_cbor_writer *w, const char *s);
void ofs_cbor_put_array(struct ofs_cbor_writer *w, size_t n);
void ofs_cbor_put_map(struct ofs_cbor_writer *w, size_t n);
void ofs_cbor_put_tag(struct ofs_cbor_writer *w, uint64_t tag);
void ofs_cbor_put_null(struct ofs_cbor_writer *w);

/*
 * A claims map described by a table sorted in canonical key order.  Every
 * claim of a table is mandatory: the encoder writes all of them in table
 * order, the decoder enforces that order and rejects unknown, duplicate and
 * missing keys.  At most 64 claims per table.
 */
struct ofs_claim {
	int64_t key;
	const char *name;
	int (*decode)(struct ofs_cbor_reader *rd, const char *what, void *obj);
	void (*encode)(struct ofs_cbor_writer *w, const void *obj);
};

int ofs_claims_decode(struct ofs_cbor_reader *rd, const struct ofs_claim *table,
		      size_t n, void *obj);
int ofs_claims_encode(struct ofs_cbor_writer *w, const struct ofs_claim *table,
		      size_t n, const void *obj);
/* Claim 265: text equal to expected, else -EPROTONOSUPPORT. */
int ofs_decode_profile(struct ofs_cbor_reader *rd, const char *what,
		       const char *expected);

#endif
