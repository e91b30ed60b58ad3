/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4) for the tiny VM: freestanding C, no libc.  The host
 * unit test compiles the same source and checks it against known vectors
 * and OpenSSL, so that the digest the VM prints can be trusted to be the
 * one sha256sum computes.
 */
#ifndef TINYVM_SHA256_H
#define TINYVM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define TINYVM_SHA256_LEN	32

struct tinyvm_sha256 {
	uint32_t h[8];
	uint64_t total;		/* bytes hashed so far */
	uint8_t block[64];
	size_t fill;		/* bytes waiting in block */
};

void tinyvm_sha256_init(struct tinyvm_sha256 *c);
void tinyvm_sha256_update(struct tinyvm_sha256 *c, const void *data, size_t len);
void tinyvm_sha256_final(struct tinyvm_sha256 *c, uint8_t digest[TINYVM_SHA256_LEN]);

#endif
