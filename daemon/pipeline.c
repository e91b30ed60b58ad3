// SPDX-License-Identifier: MIT
/*
 * The image data path (pipeline.h).  The reader keeps every buffer but the
 * one the consumer holds busy with a read; the reads are queued with
 * IOSQE_ASYNC so that a kernel worker copies the page cache into them on
 * another core while this thread hashes and seals the buffer before.  A
 * read that would complete inline would put that copy back on the
 * critical path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <liburing.h>
#include <openssl/evp.h>

#include "pipeline.h"

struct read_buffer {
	uint8_t *data;
	uint64_t offset;	/* of data[0] in the file */
	size_t want;		/* bytes this piece holds once read */
	size_t have;		/* bytes read so far */
	int err;		/* the read failed: negative errno */
};

struct secd_reader {
	int fd;
	uint64_t size;
	uint64_t next_offset;	/* the first byte no buffer was given yet */
	uint64_t handed_out;	/* bytes given to the consumer and released */
	unsigned int nbuf;
	unsigned int head;	/* the buffer holding the next piece */
	bool held;		/* the consumer holds buf[head] */
	size_t buf_size;
	uint8_t *mem;
	size_t mem_len;
	struct io_uring ring;
	bool have_ring;
	unsigned int in_flight;
	int err;		/* the failure handed out; sticky */
	char reason[160];
	struct read_buffer buf[SECD_READ_BUFFERS];
};

static bool is_power_of_two(uint64_t x)
{
	return x && !(x & (x - 1));
}

static uint64_t round_up(uint64_t x, uint64_t align)
{
	return (x + align - 1) / align * align;
}

/*
 * A read's failure stays with its buffer until the consumer reaches that
 * piece: the bytes before it are delivered first, and a read past the end
 * of a short file does not hide where the file really ended.
 */
static int buffer_fail(struct read_buffer *b, int err)
{
	if (!b->err)
		b->err = err;
	return b->err;
}

/* Makes buffer b's failure the reader's, with a sentence. */
static int surface(struct secd_reader *r, const struct read_buffer *b)
{
	unsigned long long at = b->offset + b->have;

	r->err = b->err;
	if (b->err == -ENODATA)
		snprintf(r->reason, sizeof(r->reason),
			 "the file ends at byte %llu, %llu expected", at,
			 (unsigned long long)r->size);
	else
		snprintf(r->reason, sizeof(r->reason), "read at byte %llu: %s",
			 at, strerror(-b->err));
	return r->err;
}

/* Queues the rest of buffer i; the kernel fills it on its own time. */
static int queue_read(struct secd_reader *r, unsigned int i)
{
	struct read_buffer *b = &r->buf[i];
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
	int ret;

	/* One entry per buffer and one read per buffer at a time. */
	if (!sqe)
		return buffer_fail(b, -EBUSY);
	io_uring_prep_read(sqe, r->fd, b->data + b->have,
			   (unsigned int)(b->want - b->have), b->offset + b->have);
	sqe->flags |= IOSQE_ASYNC;
	io_uring_sqe_set_data64(sqe, i);
	ret = io_uring_submit(&r->ring);
	if (ret < 0)
		return buffer_fail(b, ret);
	r->in_flight++;
	return 0;
}

/* Gives buffer i the next piece of the file and starts reading it. */
static void arm(struct secd_reader *r, unsigned int i)
{
	struct read_buffer *b = &r->buf[i];
	uint64_t left = r->size - r->next_offset;

	b->offset = r->next_offset;
	b->want = left < r->buf_size ? (size_t)left : r->buf_size;
	b->have = 0;
	b->err = 0;
	r->next_offset += b->want;
	if (r->have_ring)
		queue_read(r, i);
}

/* One completion: counts it into its buffer, re-queues a short read. */
static void reap(struct secd_reader *r)
{
	struct io_uring_cqe *cqe;
	struct read_buffer *b;
	unsigned int i;
	int ret, res;

	ret = io_uring_wait_cqe(&r->ring, &cqe);
	if (ret == -EINTR)
		return;
	if (ret < 0) {
		buffer_fail(&r->buf[r->head], ret);
		return;
	}
	i = (unsigned int)(io_uring_cqe_get_data64(cqe) % r->nbuf);
	b = &r->buf[i];
	res = cqe->res;
	io_uring_cqe_seen(&r->ring, cqe);
	r->in_flight--;
	if (res == -EINTR || res == -EAGAIN)
		queue_read(r, i);
	else if (res < 0)
		buffer_fail(b, res);
	else if (res == 0)
		buffer_fail(b, -ENODATA);
	else if ((b->have += (size_t)res) < b->want)
		queue_read(r, i);
}

/* Without io_uring: the same buffer, filled now. */
static void fill_sync(struct secd_reader *r, struct read_buffer *b)
{
	while (b->have < b->want) {
		ssize_t n = pread(r->fd, b->data + b->have, b->want - b->have,
				  (off_t)(b->offset + b->have));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			buffer_fail(b, n < 0 ? -errno : -ENODATA);
			return;
		}
		b->have += (size_t)n;
	}
}

/* Waits until buffer b is full or failed. */
static void wait_for(struct secd_reader *r, struct read_buffer *b)
{
	if (!r->have_ring) {
		fill_sync(r, b);
		return;
	}
	while (b->have < b->want && !b->err) {
		if (!r->in_flight) {
			buffer_fail(b, -EIO);
			return;
		}
		reap(r);
	}
}

static int alloc_buffers(struct secd_reader *r, uint32_t align)
{
	uint64_t pieces;
	unsigned int i;

	r->buf_size = round_up(SECD_READ_BUFFER_SIZE, align);
	if (r->size && r->size < r->buf_size)
		r->buf_size = round_up(r->size, 4096);
	pieces = r->size ? (r->size + r->buf_size - 1) / r->buf_size : 1;
	r->nbuf = pieces < SECD_READ_BUFFERS ? (unsigned int)pieces : SECD_READ_BUFFERS;
	r->mem_len = r->nbuf * r->buf_size;
	r->mem = mmap(NULL, r->mem_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->mem == MAP_FAILED) {
		r->mem = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < r->nbuf; i++)
		r->buf[i].data = r->mem + i * r->buf_size;
	return 0;
}

int secd_reader_new(struct secd_reader **out, int fd, uint64_t size,
		    uint32_t align)
{
	struct secd_reader *r;
	unsigned int i;
	int ret;

	if (!out || fd < 0)
		return -EINVAL;
	*out = NULL;
	align = align ? align : OFS_STREAM_CHUNK_DEFAULT;
	if (!is_power_of_two(align) || align > OFS_STREAM_CHUNK_MAX)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	r->size = size;
	ret = alloc_buffers(r, align);
	if (ret)
		goto free_reader;
	/* Sandboxes may forbid io_uring: reading in line is slower, not wrong. */
	r->have_ring = io_uring_queue_init(r->nbuf, &r->ring, 0) == 0;
	/* A failure to queue shows when the consumer reaches that piece. */
	for (i = 0; i < r->nbuf && r->next_offset < size; i++)
		arm(r, i);
	*out = r;
	return 0;

free_reader:
	free(r);
	return ret;
}

int secd_reader_next(struct secd_reader *r, const uint8_t **buf, size_t *len)
{
	struct read_buffer *b = &r->buf[r->head];

	*buf = NULL;
	*len = 0;
	if (r->held)
		return -EBUSY;
	if (r->err)
		return r->err;
	if (r->handed_out == r->size)
		return 0;
	wait_for(r, b);
	if (b->err)
		return surface(r, b);
	r->held = true;
	*buf = b->data;
	*len = b->want;
	return 0;
}

void secd_reader_release(struct secd_reader *r)
{
	unsigned int done = r->head;

	if (!r->held)
		return;
	r->held = false;
	r->handed_out += r->buf[done].want;
	r->head = (r->head + 1) % r->nbuf;
	if (r->next_offset < r->size)
		arm(r, done);
}

const char *secd_reader_reason(const struct secd_reader *r)
{
	return r->reason;
}

void secd_reader_free(struct secd_reader *r)
{
	struct io_uring_cqe *cqe;

	if (!r)
		return;
	/* A read still in flight would write into unmapped (or reused) memory. */
	while (r->have_ring && r->in_flight) {
		int ret = io_uring_wait_cqe(&r->ring, &cqe);

		if (ret == -EINTR)
			continue;
		if (ret < 0)
			break;
		io_uring_cqe_seen(&r->ring, cqe);
		r->in_flight--;
	}
	if (r->have_ring)
		io_uring_queue_exit(&r->ring);
	munmap(r->mem, r->mem_len);
	free(r);
}

/* ---- measure and seal ---- */

size_t secd_pipeline_batch_size(uint32_t chunk_size)
{
	chunk_size = chunk_size ? chunk_size : OFS_STREAM_CHUNK_DEFAULT;
	return SECD_BATCH_RECORDS * OFS_STREAM_RECORD_LEN(chunk_size);
}

static int fail(struct secd_pipeline *p, int err, const char *why)
{
	if (!p->reason[0])
		snprintf(p->reason, sizeof(p->reason), "%s", why);
	return err;
}

static int start(struct secd_pipeline *p, struct secd_reader **r)
{
	int ret;

	p->reason[0] = '\0';
	memset(p->sha256, 0, sizeof(p->sha256));
	if (!p->sink)
		return fail(p, -EINVAL, "the pipeline has no sink");
	if (p->chunk_size && (!is_power_of_two(p->chunk_size) ||
			      p->chunk_size < OFS_STREAM_CHUNK_MIN ||
			      p->chunk_size > OFS_STREAM_CHUNK_MAX))
		return fail(p, -EINVAL, "the chunk size is not a power of two from 4 KiB to 16 MiB");
	ret = secd_reader_new(r, p->fd, p->size, p->chunk_size);
	if (ret)
		return fail(p, ret, "cannot set up the reads of the file");
	return 0;
}

/* The next piece, unless the launch was cancelled or a read failed. */
static int next_piece(struct secd_pipeline *p, struct secd_reader *r,
		      const uint8_t **buf, size_t *len)
{
	int ret;

	if (p->cancel && atomic_load(p->cancel))
		return fail(p, -ECANCELED, "cancelled");
	ret = secd_reader_next(r, buf, len);
	if (ret)
		return fail(p, ret, secd_reader_reason(r));
	return 0;
}

static void piece_done(struct secd_pipeline *p, struct secd_reader *r, size_t len)
{
	secd_reader_release(r);
	if (p->progress)
		atomic_fetch_add(p->progress, len);
}

int secd_pipeline_measure(struct secd_pipeline *p)
{
	struct secd_reader *r;
	const uint8_t *buf;
	size_t len;
	int ret;

	ret = start(p, &r);
	if (ret)
		return ret;
	for (;;) {
		ret = next_piece(p, r, &buf, &len);
		if (ret || !len)
			break;
		ret = p->sink(p->sink_ctx, buf, len);
		if (ret) {
			fail(p, ret, "the sink refused the data");
			break;
		}
		piece_done(p, r, len);
	}
	secd_reader_free(r);
	return ret;
}

/* The records sealed so far, to the sink. */
static int flush(struct secd_pipeline *p, size_t *batch_len)
{
	int ret;

	if (!*batch_len)
		return 0;
	ret = p->sink(p->sink_ctx, p->batch, *batch_len);
	*batch_len = 0;
	return ret ? fail(p, ret, "the sink refused the records") : 0;
}

static int seal_chunk(struct secd_pipeline *p, struct ofs_stream_enc *enc,
		      EVP_MD_CTX *md, const uint8_t *pt, size_t len,
		      size_t *batch_len)
{
	size_t rec_len;
	int ret;

	if (p->batch_cap - *batch_len < OFS_STREAM_RECORD_LEN(len)) {
		ret = flush(p, batch_len);
		if (ret)
			return ret;
	}
	if (!EVP_DigestUpdate(md, pt, len))
		return fail(p, -EIO, "SHA-256 failed");
	ret = ofs_stream_seal(enc, pt, len, p->batch + *batch_len,
			      p->batch_cap - *batch_len, &rec_len);
	if (ret)
		return fail(p, ret, ofs_stream_strerror(ret));
	*batch_len += rec_len;
	return 0;
}

/* Every chunk of the file, in pieces as the reader hands them out. */
static int seal_file(struct secd_pipeline *p, struct secd_reader *r,
		     struct ofs_stream_enc *enc, EVP_MD_CTX *md)
{
	size_t chunk = p->chunk_size ? p->chunk_size : OFS_STREAM_CHUNK_DEFAULT;
	size_t batch_len = 0, len, off, n;
	const uint8_t *buf;
	int ret;

	/* An empty image is still one authenticated, final record. */
	if (!p->size) {
		ret = seal_chunk(p, enc, md, (const uint8_t *)"", 0, &batch_len);
		return ret ? ret : flush(p, &batch_len);
	}
	for (;;) {
		ret = next_piece(p, r, &buf, &len);
		if (ret || !len)
			break;
		for (off = 0; off < len && !ret; off += n) {
			n = len - off < chunk ? len - off : chunk;
			ret = seal_chunk(p, enc, md, buf + off, n, &batch_len);
		}
		if (ret)
			break;
		piece_done(p, r, len);
	}
	return ret ? ret : flush(p, &batch_len);
}

int secd_pipeline_seal(struct secd_pipeline *p, struct ofs_stream_enc *enc)
{
	size_t chunk = p->chunk_size ? p->chunk_size : OFS_STREAM_CHUNK_DEFAULT;
	struct secd_reader *r;
	EVP_MD_CTX *md;
	int ret;

	if (!enc || !p->batch || p->batch_cap < OFS_STREAM_RECORD_LEN(chunk))
		return fail(p, -EINVAL, "the batch buffer cannot hold one record");
	ret = start(p, &r);
	if (ret)
		return ret;
	md = EVP_MD_CTX_new();
	if (!md) {
		ret = fail(p, -ENOMEM, "out of memory");
		goto free_reader;
	}
	if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		ret = fail(p, -EIO, "SHA-256 failed");
		goto free_md;
	}
	ret = seal_file(p, r, enc, md);
	if (!ret && ofs_stream_enc_finish(enc))
		ret = fail(p, -EPROTO, "the stream did not end with its final record");
	if (!ret && !EVP_DigestFinal_ex(md, p->sha256, NULL))
		ret = fail(p, -EIO, "SHA-256 failed");
free_md:
	EVP_MD_CTX_free(md);
free_reader:
	secd_reader_free(r);
	return ret;
}
