// SPDX-License-Identifier: MIT
/* General helpers (ofs-util.h). */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ofs-util.h"

void ofs_hex(const uint8_t *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0xf];
	}
	out[2 * len] = '\0';
}

char *ofs_base64_encode(const uint8_t *data, size_t len)
{
	char *out;

	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t ofs_unhex(const char *hex, uint8_t *out, size_t size)
{
	size_t len = strlen(hex), i;
	int hi, lo;

	if (len % 2)
		return -EINVAL;
	if (len / 2 > size)
		return -ENOBUFS;
	for (i = 0; i < len / 2; i++) {
		hi = nibble(hex[2 * i]);
		lo = nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (ssize_t)(len / 2);
}

/* Room for size + 1 bytes and a NUL, doubling from 16 KiB up to max + 1. */
static int grow(char **buf, size_t *cap, size_t max)
{
	size_t want = *cap ? 2 * *cap : 16384;
	char *grown;

	if (want > max + 1)
		want = max + 1;
	grown = realloc(*buf, want + 1);
	if (!grown)
		return -ENOMEM;
	*buf = grown;
	*cap = want;
	return 0;
}

int ofs_read_file(const char *path, size_t max, char **out, size_t *len)
{
	size_t size = 0, cap = 0;
	char *buf = NULL;
	ssize_t n;
	int fd, r = 0;

	if (max >= SIZE_MAX / 2)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (size > max) {
			r = -E2BIG;
			break;
		}
		if (size == cap) {
			r = grow(&buf, &cap, max);
			if (r)
				break;
		}
		n = read(fd, buf + size, cap - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		size += (size_t)n;
	}
	close(fd);
	if (r) {
		free(buf);
		return r;
	}
	buf[size] = '\0';
	*out = buf;
	*len = size;
	return 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

ssize_t ofs_base64_decode(const char *in, size_t len, uint8_t *out, size_t size)
{
	size_t i, n = 0, pad = 0;
	uint32_t acc;
	int j, v;

	if (len % 4)
		return -EBADMSG;
	if (len && in[len - 1] == '=')
		pad = len >= 2 && in[len - 2] == '=' ? 2 : 1;
	if (len / 4 * 3 - pad > size)
		return -EBADMSG;
	for (i = 0; i < len; i += 4) {
		acc = 0;
		for (j = 0; j < 4; j++) {
			bool last = i + 4 == len;

			v = b64_value(in[i + j]);
			if (v < 0 && !(last && in[i + j] == '=' && j >= 4 - (int)pad))
				return -EBADMSG;
			acc = acc << 6 | (uint32_t)(v < 0 ? 0 : v);
		}
		out[n++] = (uint8_t)(acc >> 16);
		if (i + 4 < len || pad < 2)
			out[n++] = (uint8_t)(acc >> 8);
		if (i + 4 < len || pad < 1)
			out[n++] = (uint8_t)acc;
		/* The bits under the padding are zero in the one encoding. */
		if (i + 4 == len && ((pad == 1 && (acc & 0xff)) ||
				     (pad == 2 && (acc & 0xffff))))
			return -EBADMSG;
	}
	return (ssize_t)n;
}
