// SPDX-License-Identifier: MIT
/*
 * The strict CBOR reader and deterministic writer that every codec of
 * libofs uses (report.c, confirm.c, cose.c), and the claims-map machinery
 * on top of them (ofs-cbor.h).
 *
 * The reader pulls one item header at a time out of libcbor's streaming
 * decoder rather than building a tree with cbor_load(): nothing is
 * allocated for untrusted input, the number of bytes each header used is
 * known (so non-shortest encodings can be refused), and every decision is
 * made by a schema-driven caller that knows which claim it is reading and
 * can say so in the error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <cbor.h>

#include "ofs-cbor.h"

/* ---- strict CBOR reading ---- */

void ofs_cbor_reader_init(struct ofs_cbor_reader *rd, const uint8_t *buf, size_t len,
			  struct ofs_decode_error *err)
{
	rd->start = buf;
	rd->p = buf;
	rd->end = buf + len;
	rd->err = err;
}

/* Records the first failure only: later ones are consequences of it. */
int ofs_cbor_fail(struct ofs_cbor_reader *rd, int err, const char *fmt, ...)
{
	va_list ap;

	if (rd->err && !rd->err->err) {
		rd->err->err = err;
		va_start(ap, fmt);
		vsnprintf(rd->err->what, sizeof(rd->err->what), fmt, ap);
		va_end(ap);
	}
	return err;
}

static size_t offset(const struct ofs_cbor_reader *rd, const uint8_t *p)
{
	return (size_t)(p - rd->start);
}

struct head_ctx {
	struct ofs_cbor_item *it;
	int indefinite;
	int is_break;
};

static void set_item(void *c, enum ofs_cbor_type type, uint64_t arg)
{
	struct head_ctx *ctx = c;

	ctx->it->type = type;
	ctx->it->arg = arg;
}

static void on_uint8(void *c, uint8_t v) { set_item(c, OFS_CBOR_UINT, v); }
static void on_uint16(void *c, uint16_t v) { set_item(c, OFS_CBOR_UINT, v); }
static void on_uint32(void *c, uint32_t v) { set_item(c, OFS_CBOR_UINT, v); }
static void on_uint64(void *c, uint64_t v) { set_item(c, OFS_CBOR_UINT, v); }
static void on_negint8(void *c, uint8_t v) { set_item(c, OFS_CBOR_NEGINT, v); }
static void on_negint16(void *c, uint16_t v) { set_item(c, OFS_CBOR_NEGINT, v); }
static void on_negint32(void *c, uint32_t v) { set_item(c, OFS_CBOR_NEGINT, v); }
static void on_negint64(void *c, uint64_t v) { set_item(c, OFS_CBOR_NEGINT, v); }
static void on_array(void *c, size_t n) { set_item(c, OFS_CBOR_ARRAY, n); }
static void on_map(void *c, size_t n) { set_item(c, OFS_CBOR_MAP, n); }
static void on_tag(void *c, uint64_t v) { set_item(c, OFS_CBOR_TAG, v); }
/* No claim is a float: only the type matters, for the error message. */
static void on_float(void *c, float v) { (void)v; set_item(c, OFS_CBOR_FLOAT, 0); }
static void on_double(void *c, double v) { (void)v; set_item(c, OFS_CBOR_FLOAT, 0); }
static void on_null(void *c) { set_item(c, OFS_CBOR_NULL, 0); }
static void on_undefined(void *c) { set_item(c, OFS_CBOR_SIMPLE, 23); }
static void on_bool(void *c, bool v) { set_item(c, OFS_CBOR_SIMPLE, v ? 21 : 20); }

static void on_bytes(void *c, cbor_data data, size_t len)
{
	struct head_ctx *ctx = c;

	set_item(c, OFS_CBOR_BYTES, len);
	ctx->it->data = data;
}

static void on_text(void *c, cbor_data data, size_t len)
{
	struct head_ctx *ctx = c;

	set_item(c, OFS_CBOR_TEXT, len);
	ctx->it->data = data;
}

static void on_indef(void *c)
{
	((struct head_ctx *)c)->indefinite = 1;
}

static void on_break(void *c)
{
	((struct head_ctx *)c)->is_break = 1;
}

static const struct cbor_callbacks head_callbacks = {
	.uint8 = on_uint8, .uint16 = on_uint16, .uint32 = on_uint32, .uint64 = on_uint64,
	.negint8 = on_negint8, .negint16 = on_negint16, .negint32 = on_negint32,
	.negint64 = on_negint64,
	.byte_string = on_bytes, .byte_string_start = on_indef,
	.string = on_text, .string_start = on_indef,
	.array_start = on_array, .indef_array_start = on_indef,
	.map_start = on_map, .indef_map_start = on_indef,
	.tag = on_tag,
	.float2 = on_float, .float4 = on_float, .float8 = on_double,
	.undefined = on_undefined, .null = on_null, .boolean = on_bool,
	.indef_break = on_break,
};

/* Bytes of the shortest header that can carry arg (RFC 8949 4.2.1). */
static size_t shortest_head(uint64_t arg)
{
	if (arg < 24)
		return 1;
	if (arg <= UINT8_MAX)
		return 2;
	if (arg <= UINT16_MAX)
		return 3;
	if (arg <= UINT32_MAX)
		return 5;
	return 9;
}

/*
 * libcbor 0.8's streaming decoder refuses the one-byte tag headers 0xc6 to
 * 0xd4 as "unassigned", yet COSE_Sign1 is tag 18 (0xd2): decode those
 * headers here.
 */
static int one_byte_tag(struct ofs_cbor_reader *rd, struct ofs_cbor_item *it)
{
	if (*rd->p < 0xc6 || *rd->p > 0xd4)
		return 0;
	it->type = OFS_CBOR_TAG;
	it->arg = *rd->p - 0xc0;
	it->head_len = 1;
	rd->p++;
	return 1;
}

static int check_head(struct ofs_cbor_reader *rd, struct ofs_cbor_item *it, size_t read)
{
	int is_string = it->type == OFS_CBOR_BYTES || it->type == OFS_CBOR_TEXT;

	it->head_len = is_string ? read - it->arg : read;
	if (it->type == OFS_CBOR_FLOAT || it->type == OFS_CBOR_SIMPLE ||
	    it->type == OFS_CBOR_NULL)
		return 0;
	if (it->head_len != shortest_head(it->arg))
		return ofs_cbor_fail(rd, -EILSEQ,
				     "non-shortest encoding of an argument at offset %zu",
				     offset(rd, it->head));
	return 0;
}

/* Reads the next item's header; strings come with their bytes. */
int ofs_cbor_next(struct ofs_cbor_reader *rd, struct ofs_cbor_item *it)
{
	struct head_ctx ctx = { .it = it };
	struct cbor_decoder_result res;

	memset(it, 0, sizeof(*it));
	it->head = rd->p;
	if (rd->p >= rd->end)
		return ofs_cbor_fail(rd, -EBADMSG, "truncated: item expected at offset %zu",
				     offset(rd, rd->p));
	if (one_byte_tag(rd, it))
		return 0;
	res = cbor_stream_decode(rd->p, (size_t)(rd->end - rd->p), &head_callbacks, &ctx);
	if (res.status == CBOR_DECODER_NEDATA)
		return ofs_cbor_fail(rd, -EBADMSG, "truncated: item at offset %zu runs past the end",
				     offset(rd, rd->p));
	if (res.status != CBOR_DECODER_FINISHED || ctx.is_break)
		return ofs_cbor_fail(rd, -EBADMSG, "not well-formed CBOR at offset %zu",
				     offset(rd, rd->p));
	if (ctx.indefinite)
		return ofs_cbor_fail(rd, -EILSEQ, "indefinite-length item at offset %zu",
				     offset(rd, rd->p));
	rd->p += res.read;
	return check_head(rd, it, res.read);
}

static const char *type_name(enum ofs_cbor_type type)
{
	static const char *const names[] = {
		[OFS_CBOR_UINT] = "unsigned integer", [OFS_CBOR_NEGINT] = "negative integer",
		[OFS_CBOR_BYTES] = "byte string", [OFS_CBOR_TEXT] = "text string",
		[OFS_CBOR_ARRAY] = "array", [OFS_CBOR_MAP] = "map", [OFS_CBOR_TAG] = "tag",
		[OFS_CBOR_SIMPLE] = "simple value", [OFS_CBOR_FLOAT] = "float",
		[OFS_CBOR_NULL] = "null",
	};

	return names[type];
}

int ofs_cbor_expect(struct ofs_cbor_reader *rd, enum ofs_cbor_type type,
		    const char *what, struct ofs_cbor_item *it)
{
	int r = ofs_cbor_next(rd, it);

	if (r < 0)
		return r;
	if (it->type != type)
		return ofs_cbor_fail(rd, -EPROTO, "%s: %s, expected %s", what,
				     type_name(it->type), type_name(type));
	return 0;
}

int ofs_cbor_read_key(struct ofs_cbor_reader *rd, const char *what,
		      struct ofs_cbor_item *it, int64_t *key)
{
	int r = ofs_cbor_next(rd, it);

	if (r < 0)
		return r;
	if (it->type != OFS_CBOR_UINT && it->type != OFS_CBOR_NEGINT)
		return ofs_cbor_fail(rd, -EPROTO, "%s: map key is a %s, expected an integer",
				     what, type_name(it->type));
	if (it->arg > INT64_MAX)
		return ofs_cbor_fail(rd, -EOPNOTSUPP, "%s: unknown key at offset %zu", what,
				     offset(rd, it->head));
	*key = it->type == OFS_CBOR_UINT ? (int64_t)it->arg : -1 - (int64_t)it->arg;
	return 0;
}

int ofs_cbor_read_uint(struct ofs_cbor_reader *rd, const char *what, uint64_t min,
		       uint64_t max, uint64_t *v)
{
	struct ofs_cbor_item it;
	int r = ofs_cbor_expect(rd, OFS_CBOR_UINT, what, &it);

	if (r < 0)
		return r;
	if (it.arg < min || it.arg > max)
		return ofs_cbor_fail(rd, -ERANGE, "%s: %" PRIu64 " out of range %" PRIu64
				     "..%" PRIu64, what, it.arg, min, max);
	*v = it.arg;
	return 0;
}

static int check_length(struct ofs_cbor_reader *rd, const char *what, const char *kind,
			uint64_t len, uint64_t min, uint64_t max)
{
	if (len >= min && len <= max)
		return 0;
	if (min == max)
		return ofs_cbor_fail(rd, -EMSGSIZE, "%s: %s of %" PRIu64 " %s, expected %"
				     PRIu64, what, kind, len,
				     strcmp(kind, "array") ? "bytes" : "entries", min);
	return ofs_cbor_fail(rd, -EMSGSIZE, "%s: %s of %" PRIu64 " %s, expected %" PRIu64
			     "..%" PRIu64, what, kind, len,
			     strcmp(kind, "array") ? "bytes" : "entries", min, max);
}

int ofs_cbor_read_bytes(struct ofs_cbor_reader *rd, const char *what, uint8_t *out,
			size_t len)
{
	struct ofs_cbor_item it;
	int r = ofs_cbor_expect(rd, OFS_CBOR_BYTES, what, &it);

	if (!r)
		r = check_length(rd, what, "byte string", it.arg, len, len);
	if (!r)
		memcpy(out, it.data, len);
	return r;
}

int ofs_cbor_read_var_bytes(struct ofs_cbor_reader *rd, const char *what, size_t min,
			    size_t max, uint8_t *out, uint32_t *len)
{
	struct ofs_cbor_item it;
	int r = ofs_cbor_expect(rd, OFS_CBOR_BYTES, what, &it);

	if (!r)
		r = check_length(rd, what, "byte string", it.arg, min, max);
	if (r)
		return r;
	memcpy(out, it.data, it.arg);
	*len = (uint32_t)it.arg;
	return 0;
}

/* Length of the UTF-8 sequence at s (RFC 3629), or 0 when it is invalid. */
static size_t utf8_char(const uint8_t *s, size_t left)
{
	uint32_t cp, min;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and beyond Unicode are invalid. */
	if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

static int check_text(struct ofs_cbor_reader *rd, const char *what,
		      const uint8_t *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if (!s[i])
			return ofs_cbor_fail(rd, -EILSEQ, "%s: text contains a NUL byte", what);
		n = utf8_char(s + i, len - i);
		if (!n)
			return ofs_cbor_fail(rd, -EILSEQ, "%s: text is not valid UTF-8 (byte %zu)",
					     what, i);
		i += n;
	}
	return 0;
}

/* out must hold max + 1 bytes; it gets NUL-terminated text. */
int ofs_cbor_read_text(struct ofs_cbor_reader *rd, const char *what, size_t min,
		       size_t max, char *out)
{
	struct ofs_cbor_item it;
	int r = ofs_cbor_expect(rd, OFS_CBOR_TEXT, what, &it);

	if (!r)
		r = check_length(rd, what, "text string", it.arg, min, max);
	if (!r)
		r = check_text(rd, what, it.data, it.arg);
	if (r)
		return r;
	memcpy(out, it.data, it.arg);
	out[it.arg] = '\0';
	return 0;
}

int ofs_cbor_read_array(struct ofs_cbor_reader *rd, const char *what, uint64_t min,
			uint64_t max, uint32_t *n)
{
	struct ofs_cbor_item it;
	int r = ofs_cbor_expect(rd, OFS_CBOR_ARRAY, what, &it);

	if (!r)
		r = check_length(rd, what, "array", it.arg, min, max);
	if (!r)
		*n = (uint32_t)it.arg;
	return r;
}

/*
 * Skips one whole item without recursion: a counter of items still owed.
 * Every item takes at least one byte, so a count larger than what is left
 * of the input is a truncation, which also keeps the counter bounded.
 */
int ofs_cbor_skip(struct ofs_cbor_reader *rd)
{
	struct ofs_cbor_item it;
	uint64_t owed = 1, more, avail;
	int r;

	while (owed--) {
		r = ofs_cbor_next(rd, &it);
		if (r < 0)
			return r;
		avail = (uint64_t)(rd->end - rd->p);
		if (it.type == OFS_CBOR_TAG)
			more = 1;
		else if (it.type == OFS_CBOR_ARRAY)
			more = it.arg;
		else if (it.type == OFS_CBOR_MAP)
			more = it.arg > avail ? UINT64_MAX : 2 * it.arg;
		else
			continue;
		if (more > avail || owed > avail - more)
			return ofs_cbor_fail(rd, -EBADMSG,
					     "truncated: item at offset %zu runs past the end",
					     offset(rd, it.head));
		owed += more;
	}
	return 0;
}

int ofs_cbor_end(struct ofs_cbor_reader *rd, const char *what)
{
	if (rd->p == rd->end)
		return 0;
	return ofs_cbor_fail(rd, -EBADMSG, "%s: %zu trailing bytes at offset %zu", what,
			     (size_t)(rd->end - rd->p), offset(rd, rd->p));
}

/* ---- deterministic CBOR writing ---- */

void ofs_cbor_writer_init(struct ofs_cbor_writer *w, uint8_t *buf, size_t size)
{
	w->buf = buf;
	w->size = size;
	w->len = 0;
	w->err = 0;
}

/* n is what a libcbor encoder wrote: 0 when the buffer was too small. */
static void advance(struct ofs_cbor_writer *w, size_t n)
{
	if (!n)
		w->err = -ENOBUFS;
	w->len += n;
}

#define PUT(w, call) \
	do { if (!(w)->err) advance((w), call); } while (0)

static uint8_t *room(struct ofs_cbor_writer *w)
{
	return w->buf + w->len;
}

static size_t left(const struct ofs_cbor_writer *w)
{
	return w->size - w->len;
}

void ofs_cbor_put_uint(struct ofs_cbor_writer *w, uint64_t v)
{
	PUT(w, cbor_encode_uint(v, room(w), left(w)));
}

void ofs_cbor_put_int(struct ofs_cbor_writer *w, int64_t v)
{
	if (v >= 0)
		PUT(w, cbor_encode_uint((uint64_t)v, room(w), left(w)));
	else
		PUT(w, cbor_encode_negint((uint64_t)(-1 - v), room(w), left(w)));
}

static void put_raw(struct ofs_cbor_writer *w, const void *data, size_t len)
{
	if (w->err)
		return;
	if (len > left(w)) {
		w->err = -ENOBUFS;
		return;
	}
	if (len)
		memcpy(room(w), data, len);
	w->len += len;
}

void ofs_cbor_put_bytes(struct ofs_cbor_writer *w, const uint8_t *data, size_t len)
{
	PUT(w, cbor_encode_bytestring_start(len, room(w), left(w)));
	put_raw(w, data, len);
}

void ofs_cbor_put_text(struct ofs_cbor_writer *w, const char *s)
{
	size_t len = strlen(s);

	PUT(w, cbor_encode_string_start(len, room(w), left(w)));
	put_raw(w, s, len);
}

void ofs_cbor_put_array(struct ofs_cbor_writer *w, size_t n)
{
	PUT(w, cbor_encode_array_start(n, room(w), left(w)));
}

void ofs_cbor_put_map(struct ofs_cbor_writer *w, size_t n)
{
	PUT(w, cbor_encode_map_start(n, room(w), left(w)));
}

void ofs_cbor_put_tag(struct ofs_cbor_writer *w, uint64_t tag)
{
	PUT(w, cbor_encode_tag(tag, room(w), left(w)));
}

void ofs_cbor_put_null(struct ofs_cbor_writer *w)
{
	PUT(w, cbor_encode_null(room(w), left(w)));
}

/* ---- claims maps ---- */

static const struct ofs_claim *find_claim(const struct ofs_claim *table, size_t n,
					  int64_t key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (table[i].key == key)
			return &table[i];
	return NULL;
}

/*
 * RFC 8949 4.2.1: keys sorted by the bytewise order of their encodings.
 * Both keys are shortest-form integer headers (the reader enforces that),
 * so comparing the header bytes is exactly that order.
 */
static int key_after(const struct ofs_cbor_item *prev, const struct ofs_cbor_item *key)
{
	size_t n = prev->head_len < key->head_len ? prev->head_len : key->head_len;
	int c = memcmp(prev->head, key->head, n);

	return c < 0 || (c == 0 && prev->head_len < key->head_len);
}

static int claim_entry(struct ofs_cbor_reader *rd, const struct ofs_claim *table,
		       size_t n, void *obj, uint64_t *seen, struct ofs_cbor_item *prev)
{
	const struct ofs_claim *c;
	struct ofs_cbor_item key;
	char what[64];
	int64_t k;
	int r;

	r = ofs_cbor_read_key(rd, "claims", &key, &k);
	if (r < 0)
		return r;
	c = find_claim(table, n, k);
	if (!c)
		return ofs_cbor_fail(rd, -EOPNOTSUPP, "claim %" PRId64 ": unknown claim key", k);
	snprintf(what, sizeof(what), "claim %" PRId64 " (%s)", k, c->name);
	if (*seen & (1ULL << (c - table)))
		return ofs_cbor_fail(rd, -ENOTUNIQ, "%s: duplicate key", what);
	if (prev->head && !key_after(prev, &key))
		return ofs_cbor_fail(rd, -EILSEQ, "%s: keys not in canonical order", what);
	*seen |= 1ULL << (c - table);
	*prev = key;
	return c->decode(rd, what, obj);
}

int ofs_claims_decode(struct ofs_cbor_reader *rd, const struct ofs_claim *table,
		      size_t n, void *obj)
{
	struct ofs_cbor_item map, prev = { .head = NULL };
	uint64_t seen = 0, i;
	size_t j;
	int r;

	r = ofs_cbor_expect(rd, OFS_CBOR_MAP, "claims", &map);
	for (i = 0; !r && i < map.arg; i++)
		r = claim_entry(rd, table, n, obj, &seen, &prev);
	if (r < 0)
		return r;
	for (j = 0; j < n; j++)
		if (!(seen & (1ULL << j)))
			return ofs_cbor_fail(rd, -ENODATA, "claim %" PRId64 " (%s): missing",
					     table[j].key, table[j].name);
	return ofs_cbor_end(rd, "claims");
}

int ofs_claims_encode(struct ofs_cbor_writer *w, const struct ofs_claim *table,
		      size_t n, const void *obj)
{
	size_t i;

	ofs_cbor_put_map(w, n);
	for (i = 0; i < n; i++) {
		ofs_cbor_put_int(w, table[i].key);
		table[i].encode(w, obj);
	}
	return w->err;
}

int ofs_decode_profile(struct ofs_cbor_reader *rd, const char *what, const char *expected)
{
	char profile[OFS_PROFILE_MAX + 1];
	int r = ofs_cbor_read_text(rd, what, 1, OFS_PROFILE_MAX, profile);

	if (r < 0)
		return r;
	if (strcmp(profile, expected))
		return ofs_cbor_fail(rd, -EPROTONOSUPPORT, "%s: \"%s\", expected \"%s\"",
				     what, profile, expected);
	return 0;
}
