// SPDX-License-Identifier: MIT
/*
 * lib/util.c: ofs_read_file() reads a whole file up to its limit, across
 * the buffer's growth, and refuses one byte more; base64 with padding.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ofs-util.h"

struct fx {
	char path[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int fd;

	if (!f)
		return -1;
	snprintf(f->path, sizeof(f->path), "/tmp/test-util-XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0)
		return -1;
	close(fd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->path);
	free(f);
	return 0;
}

static void fill(const char *path, size_t len)
{
	FILE *fp = fopen(path, "w");
	size_t i;

	assert_non_null(fp);
	for (i = 0; i < len; i++)
		fputc('a' + (int)(i % 26), fp);
	assert_int_equal(fclose(fp), 0);
}

static void whole_file(void **state)
{
	struct fx *f = *state;
	size_t sizes[] = { 0, 1, 16384, 16385, 100000 }, i, len;
	char *text;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fill(f->path, sizes[i]);
		assert_int_equal(ofs_read_file(f->path, 100000, &text, &len), 0);
		assert_int_equal(len, sizes[i]);
		assert_int_equal(strlen(text), sizes[i]);
		if (len)
			assert_int_equal(text[len - 1], 'a' + (int)((len - 1) % 26));
		free(text);
	}
}

static void limits(void **state)
{
	struct fx *f = *state;
	char *text = NULL;
	size_t len;

	fill(f->path, 20000);
	assert_int_equal(ofs_read_file(f->path, 19999, &text, &len), -E2BIG);
	assert_null(text);
	assert_int_equal(ofs_read_file(f->path, 20000, &text, &len), 0);
	free(text);
	text = NULL;
	unlink(f->path);
	assert_int_equal(ofs_read_file(f->path, 10, &text, &len), -ENOENT);
	assert_int_equal(ofs_read_file("/", 10, &text, &len), -EISDIR);
	assert_null(text);
}

static void base64(void **state)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foobar", "Zm9vYmFy" },
	};
	size_t i;
	char *out;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		out = ofs_base64_encode((const uint8_t *)v[i].in, strlen(v[i].in));
		assert_non_null(out);
		assert_string_equal(out, v[i].out);
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(whole_file, setup, teardown),
		cmocka_unit_test_setup_teardown(limits, setup, teardown),
		cmocka_unit_test(base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
