// SPDX-License-Identifier: MIT
/*
 * libFuzzer over the image-repository manifest parser (lib/manifest.c):
 * any bytes are refused with a reason, or accepted into a manifest whose
 * canonical text parses again to the same canonical text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ofs-manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ofs_manifest *m = NULL, *again = NULL;
	struct ofs_manifest_error err;
	char *text = NULL, *text2 = NULL;
	size_t len, len2;
	int r;

	r = ofs_manifest_parse((const char *)data, size, &m, &err);
	if (r) {
		if (m || !err.what[0])
			__builtin_trap();
		return 0;
	}
	if (ofs_manifest_encode(m, &text, &len) ||
	    ofs_manifest_parse(text, len, &again, &err) ||
	    ofs_manifest_encode(again, &text2, &len2) ||
	    len != len2 || memcmp(text, text2, len))
		__builtin_trap();
	free(text);
	free(text2);
	ofs_manifest_free(m);
	ofs_manifest_free(again);
	return 0;
}
