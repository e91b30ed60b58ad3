/* SPDX-License-Identifier: MIT */
/*
 * libofs: small general helpers with one home, for the library, the tools
 * and the tests alike.
 */
#ifndef OFS_UTIL_H
#define OFS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Lower-case hex of len bytes; out holds 2 * len + 1 bytes (NUL-ended). */
void ofs_hex(const uint8_t *buf, size_t len, char *out);

/*
 * Parses a whole string of hex digits (either case) into out.  Returns the
 * number of bytes, or -EINVAL (odd length, not a hex digit) or -ENOBUFS
 * (more than size bytes).
 */
ssize_t ofs_unhex(const char *hex, uint8_t *out, size_t size);

#endif
