/* SPDX-License-Identifier: MIT */
/*
 * Benchmarks print our figure next to this machine's own limit for the same
 * work, measured in the same run, and the ratio between them: absolute
 * times on shared machines are noise, ratios are not (or much less).
 */
#ifndef OFS_BENCH_H
#define OFS_BENCH_H

#include <stddef.h>
#include <stdint.h>

double bench_now(void);

/* Single-core limits, measured with OpenSSL EVP on buffers of chunk bytes. */
double bench_limit_sha256(size_t chunk, double seconds);		/* bytes/s */
double bench_limit_aes256gcm(size_t chunk, double seconds);		/* bytes/s */
double bench_limit_p384_sign(double seconds);				/* ops/s */
double bench_limit_p384_verify(double seconds);				/* ops/s */

/* One result line: what, our figure, the limit, the ratio and the goal. */
void bench_report(const char *what, double ours, double limit, const char *unit,
		  double goal);

#endif
