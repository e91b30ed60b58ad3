// SPDX-License-Identifier: MIT
#include <endian.h>
#include <string.h>

#include <linux/offload_sec.h>

#include "ofs-selftest.h"

void ofs_selftest_pattern(uint64_t seed, uint64_t offset, uint8_t *buf, size_t len)
{
	uint64_t word;
	size_t n;

	/* Segments need not be word-aligned in the stream: go word by word. */
	while (len > 0) {
		word = htole64(offload_sec_selftest_word(seed, offset / 8));
		n = 8 - offset % 8;
		if (n > len)
			n = len;
		memcpy(buf, (uint8_t *)&word + offset % 8, n);
		buf += n;
		offset += n;
		len -= n;
	}
}

size_t ofs_selftest_mismatch(uint64_t seed, const uint8_t *buf, size_t len)
{
	uint8_t want[4096];
	size_t off, n, i;

	for (off = 0; off < len; off += n) {
		n = len - off < sizeof(want) ? len - off : sizeof(want);
		ofs_selftest_pattern(seed, off, want, n);
		if (!memcmp(buf + off, want, n))
			continue;
		for (i = 0; buf[off + i] == want[i]; i++)
			;
		return off + i + 1;
	}
	return 0;
}
