// SPDX-License-Identifier: MIT
/*
 * libFuzzer entry point for every decoder of untrusted report and
 * confirmation bytes.  Signatures are not checked (a fuzzer cannot forge
 * them), so this drives the envelope and claims parsers the way a verifier
 * reaches them only after the signature, and the claims decoders directly.
 *
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Ilib \
 *         tests/fuzz/fuzz-report.c lib/report.c lib/cose.c lib/confirm.c \
 *         lib/cbor.c lib/measure.c lib/ecdh.c -lcbor -lcrypto
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ofs-report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A decoder that fails must say why; one that succeeds must say nothing. */
static void check(int r, const struct ofs_decode_error *err)
{
	if ((r < 0 && (err->err != r || !err->what[0])) || (r == 0 && err->err))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ofs_decode_error err;
	struct ofs_confirmation conf;
	struct ofs_cose_sign1 cs;
	struct ofs_report rep;
	char profile[OFS_POLICY_ID_MAX + 1];
	uint8_t again[OFS_REPORT_MAX];
	size_t len;

	check(ofs_cose_sign1_parse(data, size, &cs, &err), &err);
	check(ofs_report_parse_unverified(data, size, &rep, &err), &err);
	check(ofs_confirmation_parse_unverified(data, size, &conf, &err), &err);
	ofs_claims_profile(data, size, profile, sizeof(profile), &err);

	/* Whatever the claims decoder accepts re-encodes to the same bytes. */
	if (ofs_report_decode(data, size, &rep, &err) == 0) {
		if (ofs_report_encode(&rep, again, sizeof(again), &len) ||
		    len != size || memcmp(again, data, size))
			__builtin_trap();
	}
	if (ofs_confirmation_decode(data, size, &conf, &err) == 0) {
		if (ofs_confirmation_encode(&conf, again, sizeof(again), &len) ||
		    len != size || memcmp(again, data, size))
			__builtin_trap();
	}
	return 0;
}
