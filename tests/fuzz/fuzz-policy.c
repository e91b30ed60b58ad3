// SPDX-License-Identifier: MIT
/*
 * libFuzzer over the policy parser (lib/policy.c): any bytes are refused
 * with "NAME:LINE: ..." or accepted into a policy whose digest is that of
 * the bytes.  Seeds: tests/fuzz/corpus/fuzz-policy and the documented
 * sample policy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "ofs-policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ofs_policy_error err;
	struct ofs_policy *p = NULL;
	uint8_t digest[SHA256_DIGEST_LENGTH];
	int r;

	r = ofs_policy_parse((const char *)data, size, "fuzz", &p, &err);
	if (r) {
		if (p || err.err != r || strncmp(err.what, "fuzz", 4))
			__builtin_trap();
		return 0;
	}
	SHA256(data, size, digest);
	if (memcmp(digest, p->digest, sizeof(digest)) || !p->id[0] ||
	    !p->lifetime || !p->debug_allowed)
		__builtin_trap();
	ofs_policy_free(p);
	return 0;
}
