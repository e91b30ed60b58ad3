// SPDX-License-Identifier: MIT
/*
 * The policy document: a valid one loads with every setting; each way of
 * getting it wrong is refused with the file, the line and the setting.
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

#include "ofs-policy.h"

#define H64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define UEID "01" H64

static const char good_doc[] =
	"{\n"						/* 1 */
	"  \"version\": 1,\n"				/* 2 */
	"  \"policy_id\": \"prod-2026-11\",\n"		/* 3 */
	"  \"confirmation_lifetime\": 300,\n"		/* 4 */
	"  \"debug\": [\"disabled-permanently\"],\n"	/* 5 */
	"  \"firmware\": {\n"				/* 6 */
	"    \"min_svn\": 1, \"recommended_svn\": 2,\n"	/* 7 */
	"    \"stages\": [\n"				/* 8 */
	"      {\"stage\": \"rom\", \"register\": 0,\n"	/* 9 */
	"       \"sha256\": [\"" H64 "\"]}\n"		/* 10 */
	"    ]\n"					/* 11 */
	"  },\n"					/* 12 */
	"  \"images\": [\n"				/* 13 */
	"    {\"name\": \"a\", \"initrd\": {\"sha256\": \"" H64 "\"}}\n" /* 14 */
	"  ],\n"					/* 15 */
	"  \"revoked_devices\": [\"" UEID "\"]\n"	/* 16 */
	"}\n";

static void good(void **state)
{
	struct ofs_policy_error err;
	struct ofs_policy *p = NULL;

	assert_int_equal(ofs_policy_parse(good_doc, strlen(good_doc), "p.json",
					  &p, &err), 0);
	assert_string_equal(p->id, "prod-2026-11");
	assert_int_equal(p->lifetime, 300);
	assert_int_equal(p->debug_allowed, 1u << OFS_DBG_DISABLED_PERMANENTLY);
	assert_int_equal(p->min_svn, 1);
	assert_int_equal(p->recommended_svn, 2);
	assert_int_equal(p->n_stages, 1);
	assert_string_equal(p->stages[0].stage, "rom");
	assert_int_equal(p->n_images, 1);
	assert_int_equal(p->images[0].present, 1u << OFS_COMPONENT_INITRD);
	assert_int_equal(p->n_revoked, 1);
	assert_int_equal(p->text_len, strlen(good_doc));
	ofs_policy_free(p);
}

/* Replaces the first `from` of the good document with `to`. */
static char *edit(const char *from, const char *to)
{
	const char *at = strstr(good_doc, from);
	char *out;

	assert_non_null(at);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - good_doc), good_doc,
			     to, at + strlen(from)) > 0);
	return out;
}

static void expect_refused(const char *from, const char *to, unsigned int line,
			   const char *needle)
{
	char *doc = edit(from, to);
	struct ofs_policy_error err;
	struct ofs_policy *p = NULL;
	char prefix[32];
	int r;

	r = ofs_policy_parse(doc, strlen(doc), "p.json", &p, &err);
	free(doc);
	if (r != -EINVAL || err.line != line || !strstr(err.what, needle))
		fail_msg("%s -> %s: got %d, line %u: \"%s\"; expected line %u "
			 "with \"%s\"", from, to, r, err.line, err.what, line,
			 needle);
	snprintf(prefix, sizeof(prefix), "p.json:%u: ", line);
	assert_memory_equal(err.what, prefix, strlen(prefix));
	assert_null(p);
}

static void syntax(void **state)
{
	expect_refused("  \"firmware\": {", "  \"firmware\": {,", 6, "not JSON");
	expect_refused("\n}\n", "\n", 17, "ends early");
	expect_refused("\n}\n", "\n} x\n", 17, "not JSON");
}

static void settings(void **state)
{
	expect_refused("\"version\": 1", "\"version\": 2", 2, "version: version 2");
	expect_refused("\"version\": 1", "\"verzion\": 1", 2, "verzion: unknown");
	expect_refused("\"policy_id\": \"prod-2026-11\"", "\"policy_id\": 7", 3,
		       "policy_id: expected a string");
	expect_refused("300", "0", 4, "confirmation_lifetime: must be");
	expect_refused("300", "86401", 4, "out of range");
	expect_refused("300", "3.5", 4, "expected an integer");
	expect_refused("\"disabled-permanently\"]", "\"off\"]", 5, "debug[0]: unknown");
	expect_refused("\"min_svn\": 1, \"recommended_svn\": 2",
		       "\"min_svn\": 3, \"recommended_svn\": 2", 6, "below min_svn");
	expect_refused("\"register\": 0", "\"register\": 4", 9,
		       "firmware.stages[0].register: 4 out of range 0..3");
	expect_refused("[\"" H64 "\"]}", "[\"00\"]}", 10,
		       "firmware.stages[0].sha256[0]: expected 64 hex digits");
	expect_refused("\"stage\": \"rom\"", "\"stage\": \"r m\"", 9, "printable");
	expect_refused("{\"name\": \"a\", ", "{", 14, "images[0]: missing setting \"name\"");
	expect_refused("\"initrd\": {\"sha256\": \"" H64 "\"}", "\"initrd\": {}", 14,
		       "images[0].initrd: missing setting \"sha256\"");
	expect_refused("[\"" UEID "\"]", "[\"02" H64 "\"]", 16,
		       "revoked_devices[0]: a ueid starts with 01");
	expect_refused("  \"images\": [", "  \"imagez\": [", 13, "imagez: unknown");
}

static void structure(void **state)
{
	/* json-c keeps the last of duplicate keys: refuse them instead. */
	expect_refused("\"version\": 1,", "\"version\": 1, \"version\": 1,", 2,
		       "duplicate key \"version\"");
	expect_refused("\"min_svn\": 1,", "\"min_svn\": 1, \"min_svn\": 1,", 7,
		       "duplicate key");
	expect_refused("\"stages\": [\n      {\"stage\": \"rom\", \"register\": 0,\n"
		       "       \"sha256\": [\"" H64 "\"]}\n    ]\n",
		       "\"composites\": []\n", 8, "expected 1..256 entries");
	expect_refused("{\"name\": \"a\", \"initrd\": {\"sha256\": \"" H64 "\"}}",
		       "{\"name\": \"a\"}", 14, "at least one of kernel");
	expect_refused("\"images\": [\n    {\"name\": \"a\", \"initrd\": {\"sha256\": \""
		       H64 "\"}}\n  ],\n",
		       "\"images\": [\n    {\"name\": \"a\", \"initrd\": {\"sha256\": \""
		       H64 "\"}},\n {\"name\": \"b\", \"initrd\": {\"sha256\": \""
		       H64 "\"}}],\n", 15, "same components as images[0]");
}

static void firmware_needs_values(void **state)
{
	expect_refused("2,\n    \"stages\": [\n      {\"stage\": \"rom\", \"register\": 0,\n"
		       "       \"sha256\": [\"" H64 "\"]}\n    ]\n", "2\n", 6,
		       "needs \"stages\" or \"composites\"");
}

static void bounds(void **state)
{
	struct ofs_policy_error err;
	struct ofs_policy *p = NULL;
	size_t big = OFS_POLICY_MAX_SIZE + 1;
	char *doc = malloc(big);

	assert_non_null(doc);
	memset(doc, ' ', big);
	assert_int_equal(ofs_policy_parse(doc, big, "big", &p, &err), -E2BIG);
	assert_int_equal(ofs_policy_parse("{\"a\":\0}", 7, "nul", &p, &err), -EINVAL);
	assert_int_equal(ofs_policy_parse("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
					  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
					  80, "deep", &p, &err), -EINVAL);
	free(doc);
	assert_int_equal(ofs_policy_load("/nonexistent/policy.json", &p, &err), -ENOENT);
	assert_non_null(strstr(err.what, "/nonexistent/policy.json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good),
		cmocka_unit_test(syntax),
		cmocka_unit_test(settings),
		cmocka_unit_test(structure),
		cmocka_unit_test(firmware_needs_values),
		cmocka_unit_test(bounds),
	};

	return cmocka_run_group_tests_name("ras-policy", tests, NULL, NULL);
}
