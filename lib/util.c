// SPDX-License-Identifier: MIT
/* General helpers (ofs-util.h). */
#include <errno.h>
#include <string.h>

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
