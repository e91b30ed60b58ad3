/* SPDX-License-Identifier: MIT */
/*
 * The DMA self-test pattern (OFFLOAD_SEC_IOC_DMA_SELFTEST): byte i of the
 * stream is byte i % 8 of the little-endian offload_sec_selftest_word(seed,
 * i / 8).  The device model writes it; the CLI and the tests check it.
 */
#ifndef OFS_SELFTEST_H
#define OFS_SELFTEST_H

#include <stddef.h>
#include <stdint.h>

/* Fills buf with bytes [offset, offset + len) of the stream. */
void ofs_selftest_pattern(uint64_t seed, uint64_t offset, uint8_t *buf, size_t len);

/* Index + 1 of the first byte of buf that differs from the stream at 0, or 0. */
size_t ofs_selftest_mismatch(uint64_t seed, const uint8_t *buf, size_t len);

#endif
