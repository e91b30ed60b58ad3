// SPDX-License-Identifier: MIT
/*
 * POST /v1/attest bodies: the JSON and CBOR decoders take exactly the
 * documented shape and refuse anything else with a reason; strict base64.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ofs-cbor.h"
#include "ofs-util.h"
#include "ras.h"

#define NONCE "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void base64(void **state)
{
	uint8_t out[16];

	assert_int_equal(ofs_base64_decode("aGk=", 4, out, sizeof(out)), 2);
	assert_memory_equal(out, "hi", 2);
	assert_int_equal(ofs_base64_decode("aGky", 4, out, sizeof(out)), 3);
	assert_int_equal(ofs_base64_decode("aGk", 3, out, sizeof(out)), -EBADMSG);
	assert_int_equal(ofs_base64_decode("aG=k", 4, out, sizeof(out)), -EBADMSG);
	assert_int_equal(ofs_base64_decode("aGl=", 4, out, sizeof(out)), -EBADMSG);
	assert_int_equal(ofs_base64_decode("a-k=", 4, out, sizeof(out)), -EBADMSG);
	assert_int_equal(ofs_base64_decode("aGkhaGkhaGkhaGkhaGkhaGkh", 24, out, 16),
			 -EBADMSG);
}

static int json(const char *body, char *why)
{
	struct ras_attest_req req;
	int r = ras_request_decode_json(body, strlen(body), &req, why, 256);

	if (!r) {
		assert_int_equal(req.report_len, 3);
		assert_memory_equal(req.report, "abc", 3);
		assert_int_equal(req.cert_len[1], 2);
		assert_int_equal(req.nonce[31], 0x1f);
		ras_request_release(&req);
	}
	return r;
}

static void json_bodies(void **state)
{
	char why[256];

	assert_int_equal(json("{\"nonce\":\"" NONCE "\",\"report\":\"YWJj\","
			      "\"chain\":[\"YQ==\",\"YWI=\"]}", why), 0);
	assert_int_equal(json("{\"nonce\":\"" NONCE "\",\"report\":\"YWJj\"}", why),
			 -EBADMSG);
	assert_non_null(strstr(why, "missing member \"chain\""));
	assert_int_equal(json("{\"nonce\":\"00\",\"report\":\"YWJj\",\"chain\":[]}", why),
			 -EBADMSG);
	assert_non_null(strstr(why, "nonce"));
	assert_int_equal(json("{\"nonce\":\"" NONCE "\",\"report\":\"YWJj\","
			      "\"chain\":[\"YQ==\"]}", why), -EBADMSG);
	assert_non_null(strstr(why, "chain"));
	assert_int_equal(json("{\"nonce\":\"" NONCE "\",\"report\":\"\","
			      "\"chain\":[\"YQ==\",\"YWI=\"]}", why), -EBADMSG);
	assert_int_equal(json("{\"nonce\":\"" NONCE "\",\"report\":\"YWJj\","
			      "\"chain\":[\"YQ==\",\"YWI=\"]} {", why), -EBADMSG);
	assert_int_equal(json("{\"a\":", why), -EBADMSG);
	assert_non_null(strstr(why, "malformed JSON"));
	assert_int_equal(json("[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", why), -EBADMSG);
	assert_int_equal(json("", why), -EBADMSG);
}

static size_t cbor_body(uint8_t *buf, size_t size, size_t members, bool dup)
{
	static const uint8_t nonce[32] = { [31] = 0x1f };
	struct ofs_cbor_writer w;

	ofs_cbor_writer_init(&w, buf, size);
	ofs_cbor_put_map(&w, members);
	ofs_cbor_put_text(&w, "nonce");
	ofs_cbor_put_bytes(&w, nonce, 32);
	ofs_cbor_put_text(&w, dup ? "nonce" : "report");
	ofs_cbor_put_bytes(&w, (const uint8_t *)"abc", 3);
	if (members == 3) {
		ofs_cbor_put_text(&w, "chain");
		ofs_cbor_put_array(&w, 2);
		ofs_cbor_put_bytes(&w, (const uint8_t *)"a", 1);
		ofs_cbor_put_bytes(&w, (const uint8_t *)"ab", 2);
	}
	assert_int_equal(w.err, 0);
	return w.len;
}

static void cbor_bodies(void **state)
{
	struct ras_attest_req req;
	uint8_t buf[256];
	char why[256];
	size_t len;

	len = cbor_body(buf, sizeof(buf), 3, false);
	assert_int_equal(ras_request_decode_cbor(buf, len, &req, why, sizeof(why)), 0);
	assert_int_equal(req.report_len, 3);
	assert_int_equal(req.cert_len[1], 2);
	assert_int_equal(ras_request_decode_cbor(buf, len - 1, &req, why, sizeof(why)),
			 -EBADMSG);
	assert_non_null(strstr(why, "CBOR"));
	buf[len] = 0;
	assert_int_equal(ras_request_decode_cbor(buf, len + 1, &req, why, sizeof(why)),
			 -EBADMSG);
	len = cbor_body(buf, sizeof(buf), 2, false);
	assert_int_equal(ras_request_decode_cbor(buf, len, &req, why, sizeof(why)),
			 -EBADMSG);
	len = cbor_body(buf, sizeof(buf), 3, true);
	assert_int_equal(ras_request_decode_cbor(buf, len, &req, why, sizeof(why)),
			 -EBADMSG);
	assert_non_null(strstr(why, "duplicate"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(base64),
		cmocka_unit_test(json_bodies),
		cmocka_unit_test(cbor_bodies),
	};

	return cmocka_run_group_tests_name("ras-request", tests, NULL, NULL);
}
