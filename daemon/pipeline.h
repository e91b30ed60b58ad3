/* SPDX-License-Identifier: MIT */
/*
 * offload-secd: the image data path, from a component file to whatever
 * consumes it (the card's MEASURE or LOAD, a benchmark's null sink, a
 * test).  It knows nothing of devices, repositories or verifiers, so that
 * it links alone.
 *
 *   reader    large io_uring reads of a file, several in flight, handed
 *             out in file order; memory bounded by the buffers, whatever
 *             the file's size
 *   measure   the reader's buffers as they are: the card hashes them by
 *             DMA
 *   seal      SHA-256 of the plaintext and the encrypted stream
 *             (lib/stream.c) written as whole records into a batch
 *             buffer, handed on when full; reads stay in flight while the
 *             thread hashes and seals
 *
 * One pipeline is driven by one thread.  Every int function returns 0 or
 * a negative errno; a failure leaves a sentence for people in reason.
 */
#ifndef SECD_PIPELINE_H
#define SECD_PIPELINE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ofs-stream.h"
#include "ofs-types.h"

/* Reads in flight, and the size of each (rounded up to whole chunks). */
#define SECD_READ_BUFFERS	4
#define SECD_READ_BUFFER_SIZE	(4u << 20)
/*
 * Records handed to the sink at once: 16 MiB at 1 MiB chunks, enough to
 * amortise a LOAD, and few enough that the batch stays in the cache (at
 * 32 the sealing itself ran 10% slower).
 */
#define SECD_BATCH_RECORDS	16

/* ---- reader ---- */

struct secd_reader;

/*
 * Reads bytes [0, size) of fd.  align (a power of two, 0 = 1 MiB) makes
 * every buffer but the last a multiple of it, so that a piece never splits
 * a chunk.  Falls back to plain pread() where io_uring is not allowed.
 * -EINVAL, -ENOMEM.
 */
int secd_reader_new(struct secd_reader **out, int fd, uint64_t size,
		    uint32_t align);
/*
 * The next piece, in file order: *len > 0 bytes at *buf, valid until
 * secd_reader_release().  *len == 0 once all size bytes were handed out.
 * -ENODATA when the file ends early, -EIO (or the read's errno) when a
 * read fails; secd_reader_reason() says which and where.
 */
int secd_reader_next(struct secd_reader *r, const uint8_t **buf, size_t *len);
/* Gives the piece back, so that its buffer reads ahead again. */
void secd_reader_release(struct secd_reader *r);
const char *secd_reader_reason(const struct secd_reader *r);
/* Waits for reads still in flight (they write into the buffers). */
void secd_reader_free(struct secd_reader *r);

/* ---- measure and seal ---- */

/* What the pipeline reads and where its output goes. */
struct secd_pipeline {
	int fd;				/* read from offset 0 */
	uint64_t size;			/* bytes expected */
	uint32_t chunk_size;		/* the stream's; 0 = 1 MiB */
	const atomic_bool *cancel;	/* checked per buffer; may be NULL */
	_Atomic uint64_t *progress;	/* bytes consumed are added; may be NULL */
	/*
	 * Takes plaintext pieces (measure) or whole records (seal); a
	 * negative errno stops the pipeline and is returned as it is (the
	 * sink explains itself).
	 */
	int (*sink)(void *ctx, const void *data, size_t len);
	void *sink_ctx;
	/* seal: the batch buffer, at least one record of chunk_size */
	uint8_t *batch;
	size_t batch_cap;

	/* out */
	uint8_t sha256[OFS_SHA256_LEN];	/* seal: of the plaintext read */
	char reason[256];		/* set on failure, "" otherwise */
};

/* The batch buffer size for SECD_BATCH_RECORDS records of chunk_size. */
size_t secd_pipeline_batch_size(uint32_t chunk_size);

/*
 * The file in pieces of up to SECD_READ_BUFFER_SIZE to p->sink.  Nothing
 * is sent for an empty file.  -ECANCELED when *p->cancel was set.
 */
int secd_pipeline_measure(struct secd_pipeline *p);

/*
 * The file through enc (made for total_len p->size and chunk_size
 * p->chunk_size) into p->batch, each full batch and the last to p->sink,
 * and its SHA-256 into p->sha256.  An empty file is one final record.
 * -ECANCELED when *p->cancel was set.
 */
int secd_pipeline_seal(struct secd_pipeline *p, struct ofs_stream_enc *enc);

#endif
