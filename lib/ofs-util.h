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

/* RFC 4648 base64 with padding, NUL-ended and malloc'd; NULL: no memory. */
char *ofs_base64_encode(const uint8_t *data, size_t len);
/*
 * Strict RFC 4648 base64: the standard alphabet, padded to a multiple of
 * 4, '=' only at the end and zero bits under it (the one encoding of the
 * bytes).  Returns the bytes written to out, or -EBADMSG (also when they
 * would not fit in size).
 */
ssize_t ofs_base64_decode(const char *in, size_t len, uint8_t *out, size_t size);

/*
 * Parses a whole string of hex digits (either case) into out.  Returns the
 * number of bytes, or -EINVAL (odd length, not a hex digit) or -ENOBUFS
 * (more than size bytes).
 */
ssize_t ofs_unhex(const char *hex, uint8_t *out, size_t size);

/*
 * A whole file into *out (malloc'd, NUL-ended, *len bytes before the
 * NUL).  -E2BIG when it holds more than max bytes, -errno when it cannot
 * be opened or read, -ENOMEM.  Not for secrets: growing the buffer may
 * leave copies behind.
 */
int ofs_read_file(const char *path, size_t max, char **out, size_t *len);

#endif
