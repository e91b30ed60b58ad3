// SPDX-License-Identifier: MIT
/*
 * offload-secd's image data path (daemon/pipeline.c) on real files: every
 * size at the edges of a chunk and of a read buffer, sealed into small
 * batches and decrypted back with the card's decryptor, hashes checked
 * against SHA-256 of the file; measure mode handing the file on as it is;
 * and the ways it must stop cleanly: a file shorter than announced, a read
 * that fails, a sink that refuses, a cancellation.  LeakSanitizer checks
 * that every path gives back its buffers and its ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "ofs-stream.h"
#include "pipeline.h"

#define KiB		(1u << 10)
#define MiB		(1u << 20)

static const uint8_t key[OFS_AEAD_KEY_LEN] = { 0x42, 0x13, 0x37 };

/* ---- files ---- */

struct file {
	char path[64];
	int fd;
	uint8_t *data;
	size_t len;
};

static void pattern(uint8_t *p, size_t len, unsigned int seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

static void file_new(struct file *f, size_t len, unsigned int seed)
{
	const char *dir = getenv("TMPDIR");
	size_t off = 0;

	snprintf(f->path, sizeof(f->path), "%s/test-pipeline-XXXXXX",
		 dir && strlen(dir) < 32 ? dir : "/tmp");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	f->len = len;
	f->data = malloc(len ? len : 1);
	assert_non_null(f->data);
	pattern(f->data, len, seed);
	while (off < len) {
		ssize_t n = write(f->fd, f->data + off, len - off);

		assert_true(n > 0);
		off += (size_t)n;
	}
}

static void file_free(struct file *f)
{
	close(f->fd);
	unlink(f->path);
	free(f->data);
}

/* ---- a sink that keeps everything ---- */

struct sink {
	uint8_t *data;
	size_t len, cap;
	unsigned int calls;
	size_t largest;
	int fail_at;		/* 1-based call to fail with -EPIPE; 0 never */
	atomic_bool *cancel_at_first;
};

static int keep(void *ctx, const void *data, size_t len)
{
	struct sink *s = ctx;

	s->calls++;
	if (s->fail_at && s->calls == (unsigned int)s->fail_at)
		return -EPIPE;
	if (s->cancel_at_first)
		atomic_store(s->cancel_at_first, true);
	assert_true(len > 0);
	if (s->len + len > s->cap) {
		s->cap = (s->len + len) * 2;
		s->data = realloc(s->data, s->cap);
		assert_non_null(s->data);
	}
	memcpy(s->data + s->len, data, len);
	s->len += len;
	s->largest = len > s->largest ? len : s->largest;
	return 0;
}

/* ---- sealing ---- */

struct run {
	struct secd_pipeline p;
	struct ofs_stream_params sp;
	struct ofs_stream_enc *enc;
	struct sink sink;
	_Atomic uint64_t progress;
	atomic_bool cancel;
};

/* A pipeline over f with batches of `records` records of chunk. */
static void run_init(struct run *r, const struct file *f, uint64_t size,
		     uint32_t chunk, unsigned int records)
{
	memset(r, 0, sizeof(*r));
	r->sp.stream_id = 2;
	r->sp.chunk_size = chunk;
	r->sp.total_len = size;
	memset(r->sp.session_id, 0x77, sizeof(r->sp.session_id));
	assert_int_equal(ofs_stream_enc_new(&r->enc, key, &r->sp), 0);
	r->p.fd = f->fd;
	r->p.size = size;
	r->p.chunk_size = chunk;
	r->p.cancel = &r->cancel;
	r->p.progress = &r->progress;
	r->p.sink = keep;
	r->p.sink_ctx = &r->sink;
	r->p.batch_cap = records * OFS_STREAM_RECORD_LEN(chunk);
	r->p.batch = malloc(r->p.batch_cap);
	assert_non_null(r->p.batch);
}

static void run_free(struct run *r)
{
	ofs_stream_enc_free(r->enc);
	free(r->p.batch);
	free(r->sink.data);
}

/* Decrypts what the sink got, as the card would, and compares with f. */
static void check_records(const struct run *r, const struct file *f)
{
	struct ofs_stream_dec *d;
	uint8_t *pt = malloc(f->len ? f->len : 1);
	size_t off = 0, at = 0, len, got;
	uint64_t index, offset;

	assert_non_null(pt);
	assert_int_equal(ofs_stream_dec_new(&d, key, &r->sp), 0);
	while (ofs_stream_dec_next(d, &index, &offset, &len) == 0) {
		assert_int_equal(offset, at);
		assert_true(off + OFS_STREAM_RECORD_LEN(len) <= r->sink.len);
		assert_int_equal(ofs_stream_open(d, r->sink.data + off,
						 OFS_STREAM_RECORD_LEN(len),
						 pt + at, len, &got), 0);
		assert_int_equal(got, len);
		off += OFS_STREAM_RECORD_LEN(len);
		at += len;
	}
	assert_int_equal(ofs_stream_dec_finish(d), 0);
	assert_int_equal(off, r->sink.len);
	assert_int_equal(at, f->len);
	assert_memory_equal(pt, f->data, f->len);
	ofs_stream_dec_free(d);
	free(pt);
}

static void seal_roundtrip(size_t size, uint32_t chunk, unsigned int records)
{
	uint8_t sha[OFS_SHA256_LEN];
	struct file f;
	struct run r;

	file_new(&f, size, (unsigned int)size);
	run_init(&r, &f, size, chunk, records);
	assert_int_equal(secd_pipeline_seal(&r.p, r.enc), 0);
	assert_string_equal(r.p.reason, "");
	SHA256(f.data, f.len, sha);
	assert_memory_equal(r.p.sha256, sha, sizeof(sha));
	assert_int_equal(atomic_load(&r.progress), size);
	assert_true(r.sink.largest <= r.p.batch_cap);
	check_records(&r, &f);
	run_free(&r);
	file_free(&f);
}

static void seal_edge_sizes(void **state)
{
	const uint32_t chunks[] = { 4 * KiB, 64 * KiB, MiB };
	size_t i;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		size_t c = chunks[i];
		const size_t sizes[] = { 0, 1, c - 1, c, c + 1, 3 * c + c / 2 };
		size_t k;

		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
			seal_roundtrip(sizes[k], (uint32_t)c, 3);
	}
}

/* Around the read buffers' edges: the ring cycles several times. */
static void seal_buffer_edges(void **state)
{
	seal_roundtrip(SECD_READ_BUFFER_SIZE - 1, 64 * KiB, 5);
	seal_roundtrip(SECD_READ_BUFFER_SIZE, 64 * KiB, 5);
	seal_roundtrip(SECD_READ_BUFFERS * SECD_READ_BUFFER_SIZE + 1, 64 * KiB, 7);
}

static void seal_40mib(void **state)
{
	seal_roundtrip(40 * MiB, MiB, SECD_BATCH_RECORDS);
	seal_roundtrip(40 * MiB + 12345, 16 * KiB, 100);
}

/* A file that changed size after it was verified: the reader stops. */
static void seal_truncated(void **state)
{
	struct file f;
	struct run r;

	file_new(&f, 5 * MiB + 3, 9);
	run_init(&r, &f, 9 * MiB, MiB, 2);
	assert_int_equal(secd_pipeline_seal(&r.p, r.enc), -ENODATA);
	assert_non_null(strstr(r.p.reason, "ends at byte 5242883"));
	run_free(&r);
	file_free(&f);

	/* Shorter than one buffer: the first read already ends early. */
	file_new(&f, 100, 9);
	run_init(&r, &f, 101, 4 * KiB, 2);
	assert_int_equal(secd_pipeline_seal(&r.p, r.enc), -ENODATA);
	assert_int_equal(r.sink.calls, 0);
	run_free(&r);
	file_free(&f);
}

static void seal_read_error(void **state)
{
	struct file f;
	struct run r;
	int wfd;

	file_new(&f, 3 * MiB, 4);
	wfd = open(f.path, O_WRONLY);
	assert_true(wfd >= 0);
	run_init(&r, &f, f.len, MiB, 2);
	r.p.fd = wfd;
	assert_int_equal(secd_pipeline_seal(&r.p, r.enc), -EBADF);
	assert_non_null(strstr(r.p.reason, "read at byte 0"));
	close(wfd);
	run_free(&r);
	file_free(&f);
}

static void seal_sink_error(void **state)
{
	struct file f;
	struct run r;

	file_new(&f, 20 * MiB, 5);
	run_init(&r, &f, f.len, MiB, 2);
	r.sink.fail_at = 3;
	assert_int_equal(secd_pipeline_seal(&r.p, r.enc), -EPIPE);
	assert_int_equal(r.sink.calls, 3);
	assert_true(r.p.reason[0]);
	run_free(&r);
	file_free(&f);
}

static void seal_cancel(void **state)
{
	struct file f;
	struct run r;

	file_new(&f, 6 * SECD_READ_BUFFER_SIZE, 6);
	run_init(&r, &f, f.len, MiB, 2);
	r.sink.cancel_at_first = &r.cancel;
	assert_int_equal(secd_pipeline_seal(&r.p, r.enc), -ECANCELED);
	/* It stopped at the next buffer, not at the end of the file. */
	assert_true(atomic_load(&r.progress) <= SECD_READ_BUFFER_SIZE);
	run_free(&r);

	/* Cancelled before it began: the sink never runs. */
	run_init(&r, &f, f.len, MiB, 2);
	atomic_store(&r.cancel, true);
	assert_int_equal(secd_pipeline_seal(&r.p, r.enc), -ECANCELED);
	assert_int_equal(r.sink.calls, 0);
	run_free(&r);
	file_free(&f);
}

static void seal_bad_arguments(void **state)
{
	struct file f;
	struct run r;

	file_new(&f, 10, 7);
	run_init(&r, &f, f.len, 4 * KiB, 1);
	r.p.chunk_size = 5000;
	assert_int_equal(secd_pipeline_seal(&r.p, r.enc), -EINVAL);
	r.p.chunk_size = 4 * KiB;
	r.p.batch_cap = OFS_STREAM_RECORD_LEN(4 * KiB) - 1;
	assert_int_equal(secd_pipeline_seal(&r.p, r.enc), -EINVAL);
	assert_true(r.p.reason[0]);
	r.p.batch_cap = OFS_STREAM_RECORD_LEN(4 * KiB);
	r.p.sink = NULL;
	assert_int_equal(secd_pipeline_seal(&r.p, r.enc), -EINVAL);
	r.p.sink = keep;
	r.p.fd = -1;
	assert_int_equal(secd_pipeline_seal(&r.p, r.enc), -EINVAL);
	run_free(&r);
	file_free(&f);
}

/* ---- measure mode ---- */

static void measure_file(size_t size, uint32_t chunk)
{
	struct secd_pipeline p = { .chunk_size = chunk, .sink = keep };
	struct sink s = { 0 };
	_Atomic uint64_t progress = 0;
	struct file f;

	file_new(&f, size, (unsigned int)size + 1);
	p.fd = f.fd;
	p.size = size;
	p.sink_ctx = &s;
	p.progress = &progress;
	assert_int_equal(secd_pipeline_measure(&p), 0);
	assert_int_equal(s.len, size);
	if (size)
		assert_memory_equal(s.data, f.data, size);
	else
		assert_int_equal(s.calls, 0);
	assert_true(s.largest <= SECD_READ_BUFFER_SIZE + chunk);
	assert_int_equal(atomic_load(&progress), size);
	free(s.data);
	file_free(&f);
}

static void measure_sizes(void **state)
{
	measure_file(0, 0);
	measure_file(1, 0);
	measure_file(MiB - 1, 0);
	measure_file(SECD_READ_BUFFER_SIZE + 1, 4 * KiB);
	measure_file(23 * MiB + 7, 0);
}

static void measure_failures(void **state)
{
	struct secd_pipeline p = { .sink = keep };
	struct sink s = { .fail_at = 2 };
	atomic_bool cancel = false;
	struct file f;

	file_new(&f, 3 * SECD_READ_BUFFER_SIZE, 8);
	p.fd = f.fd;
	p.size = f.len;
	p.sink_ctx = &s;
	assert_int_equal(secd_pipeline_measure(&p), -EPIPE);

	free(s.data);
	memset(&s, 0, sizeof(s));
	p.size = f.len + 1;
	assert_int_equal(secd_pipeline_measure(&p), -ENODATA);
	assert_int_equal(s.len, f.len);

	free(s.data);
	memset(&s, 0, sizeof(s));
	s.cancel_at_first = &cancel;
	p.size = f.len;
	p.cancel = &cancel;
	assert_int_equal(secd_pipeline_measure(&p), -ECANCELED);
	assert_int_equal(s.calls, 1);
	free(s.data);
	file_free(&f);
}

/* ---- the reader alone ---- */

static void reader_contract(void **state)
{
	struct secd_reader *r;
	const uint8_t *buf;
	struct file f;
	size_t len, at = 0;

	assert_int_equal(secd_reader_new(&r, 0, 10, 3), -EINVAL);
	assert_int_equal(secd_reader_new(&r, -1, 10, 0), -EINVAL);
	file_new(&f, 9 * MiB + 1, 10);
	assert_int_equal(secd_reader_new(&r, f.fd, f.len, 2 * MiB), 0);
	for (;;) {
		assert_int_equal(secd_reader_next(r, &buf, &len), 0);
		if (!len)
			break;
		assert_true(len % (2 * MiB) == 0 || at + len == f.len);
		assert_memory_equal(buf, f.data + at, len);
		at += len;
		/* Held: a second next without a release is refused. */
		assert_int_equal(secd_reader_next(r, &buf, &len), -EBUSY);
		assert_null(buf);
		secd_reader_release(r);
	}
	assert_int_equal(at, f.len);
	/* After the end it stays at the end. */
	assert_int_equal(secd_reader_next(r, &buf, &len), 0);
	assert_int_equal(len, 0);
	secd_reader_free(r);
	/* Freed with reads still in flight. */
	assert_int_equal(secd_reader_new(&r, f.fd, f.len, 0), 0);
	assert_int_equal(secd_reader_next(r, &buf, &len), 0);
	secd_reader_free(r);
	file_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seal_edge_sizes),
		cmocka_unit_test(seal_buffer_edges),
		cmocka_unit_test(seal_40mib),
		cmocka_unit_test(seal_truncated),
		cmocka_unit_test(seal_read_error),
		cmocka_unit_test(seal_sink_error),
		cmocka_unit_test(seal_cancel),
		cmocka_unit_test(seal_bad_arguments),
		cmocka_unit_test(measure_sizes),
		cmocka_unit_test(measure_failures),
		cmocka_unit_test(reader_contract),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
