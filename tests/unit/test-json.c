// SPDX-License-Identifier: MIT
/*
 * lib/json.c: one JSON value in strict mode, nothing after it but white
 * space; each fault named with the byte it is at, nothing left allocated.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "ofs-json.h"

static int parse(const char *text, size_t len, unsigned int depth,
		 struct ofs_json_error *err)
{
	struct json_object *doc;
	int r = ofs_json_parse(text, len, depth, &doc, err);

	if (r)
		assert_null(doc);
	json_object_put(doc);
	return r;
}

static void accepted(void **state)
{
	static const char *const good[] = {
		"{}", "{\"a\": [1, 2.5, true, \"x\"]}\n", " \t[]\r\n ", "\"\xc3\xa9\"", "[0]",
	};
	struct ofs_json_error err;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(parse(good[i], strlen(good[i]), 32, &err), 0);
		assert_int_equal(err.fault, OFS_JSON_OK);
	}
	assert_int_equal(parse("{}", 2, 32, NULL), 0);
}

static void faults_and_offsets(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		enum ofs_json_fault fault;
		size_t offset;
	} bad[] = {
		{ "{\"a\":1}\0 ", 9, OFS_JSON_NUL, 7 },
		{ "{\"a\":", 5, OFS_JSON_TRUNCATED, 5 },
		{ "", 0, OFS_JSON_TRUNCATED, 0 },
		{ "{\"a\":1,}", 8, OFS_JSON_SYNTAX, 7 },
		{ "{\"a\" 1}", 7, OFS_JSON_SYNTAX, 5 },
		{ "{}\n x", 5, OFS_JSON_SYNTAX, 4 },
		{ "\"\xff\"", 3, OFS_JSON_SYNTAX, 1 },
		{ "null\n", 5, OFS_JSON_SYNTAX, 0 },
	};
	struct ofs_json_error err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].text, bad[i].len, 32, &err), -EBADMSG);
		assert_int_equal(err.fault, bad[i].fault);
		assert_int_equal(err.offset, bad[i].offset);
		assert_non_null(err.detail);
	}
}

static void depth_limited(void **state)
{
	struct ofs_json_error err;

	/* json-c's depth counts the innermost value too. */
	assert_int_equal(parse("[[1]]", 5, 3, &err), 0);
	assert_int_equal(parse("[[[1]]]", 7, 3, &err), -EBADMSG);
	assert_int_equal(err.fault, OFS_JSON_SYNTAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted),
		cmocka_unit_test(faults_and_offsets),
		cmocka_unit_test(depth_limited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
