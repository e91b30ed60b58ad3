// SPDX-License-Identifier: MIT
/*
 * daemon/manager.c: a launch's reason, cut to fit.  A sentence that fits
 * is left alone; a longer one ends at its last whole word that fits,
 * followed by "…", never inside a word or a UTF-8 character; one long
 * word (a run of digests) is cut where it must be.  The RAS's refusal
 * the end-to-end tests saw cut off as "not in poli" now fits whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "secd.h"

#define ELLIPSIS	"\xe2\x80\xa6"
#define REASON_SIZE	sizeof(((struct secd_launch *)0)->reason)

/* text into a buffer of size bytes, as secd_launch_fail() leaves it. */
static void fit(char *buf, size_t size, const char *text)
{
	int len = snprintf(buf, size, "%s", text);

	assert_true(len >= 0);
	secd_reason_ellipsize(buf, size, (size_t)len);
}

/* buf is a prefix of text ending at a word's end, then "…". */
static void assert_cut_at_word(const char *buf, const char *text)
{
	size_t len = strlen(buf), kept = len - strlen(ELLIPSIS);

	assert_true(len > strlen(ELLIPSIS));
	assert_string_equal(buf + kept, ELLIPSIS);
	assert_memory_equal(buf, text, kept);
	assert_true(text[kept] == ' ');
	assert_true(buf[kept - 1] != ' ');
}

static void fits_unchanged(void **state)
{
	char buf[32];

	(void)state;
	fit(buf, sizeof(buf), "the card went away");
	assert_string_equal(buf, "the card went away");
	/* Exactly size - 1 bytes: all of it is there. */
	fit(buf, 8, "1234567");
	assert_string_equal(buf, "1234567");
	fit(buf, sizeof(buf), "");
	assert_string_equal(buf, "");
}

static void cut_at_word(void **state)
{
	const char *text = "the verifier refused the launch: image (initrd "
			   "digest not in policy 'e2e')";
	char buf[128];
	size_t size;

	(void)state;
	fit(buf, 48, text);
	assert_string_equal(buf, "the verifier refused the launch: image" ELLIPSIS);
	assert_cut_at_word(buf, text);
	/* One byte short, and every size down to where half a word is all. */
	for (size = strlen(text); size > 24; size--) {
		fit(buf, size, text);
		assert_true(strlen(buf) < size);
		assert_cut_at_word(buf, text);
	}
}

/* Double spaces do not leave a space before the "…". */
static void trailing_spaces(void **state)
{
	char buf[19];

	(void)state;
	fit(buf, sizeof(buf), "twelve bytes   and more");
	assert_string_equal(buf, "twelve bytes" ELLIPSIS);
}

/* A digest longer than half the room: cut inside it, not far back. */
static void long_word(void **state)
{
	const char *text = "digest 00112233445566778899aabbccddeeff00112233";
	char buf[32];

	(void)state;
	fit(buf, sizeof(buf), text);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, text, sizeof(buf) - 1 - strlen(ELLIPSIS));
	assert_string_equal(buf + sizeof(buf) - 1 - strlen(ELLIPSIS), ELLIPSIS);
}

/* No half of a multi-byte character before the "…". */
static void utf8_boundary(void **state)
{
	const char *text = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";	/* é x 10 */
	char buf[12];

	(void)state;
	fit(buf, sizeof(buf), text);
	/* Room for 8 bytes: é x 4, the 5th would be the ellipsis's place. */
	assert_string_equal(buf, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" ELLIPSIS);
	fit(buf, 11, text);
	assert_string_equal(buf, "\xc3\xa9\xc3\xa9\xc3\xa9" ELLIPSIS);
}

/* Too small for the ellipsis itself: left as snprintf cut it. */
static void tiny(void **state)
{
	char buf[4];

	(void)state;
	fit(buf, 3, "abcdef");
	assert_string_equal(buf, "ab");
	fit(buf, sizeof(buf), "abcdef");
	assert_string_equal(buf, ELLIPSIS);
}

/*
 * What the RAS says about an image outside its policy, listing the six
 * images it allows, fits whole (it did not in 512 bytes).
 */
static void ras_refusal_fits(void **state)
{
	const char *h = "0123456789abcdef0123456789abcdef"
			"0123456789abcdef0123456789abcdef";
	char text[REASON_SIZE + 1], buf[REASON_SIZE];
	size_t n;
	int i;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text), "the verifier refused the launch: "
			     "image (initrd digest %s not in policy 'e2e', "
			     "allowed:", h);
	for (i = 0; i < 6; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " vm 1.%d (kernel "
				      "%.16s\xe2\x80\xa6, initrd %s)%s", i, h, h,
				      i < 5 ? "," : ")");
	assert_true(n > 512 && n < sizeof(buf));
	fit(buf, sizeof(buf), text);
	assert_string_equal(buf, text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fits_unchanged),
		cmocka_unit_test(cut_at_word),
		cmocka_unit_test(trailing_spaces),
		cmocka_unit_test(long_word),
		cmocka_unit_test(utf8_boundary),
		cmocka_unit_test(tiny),
		cmocka_unit_test(ras_refusal_fits),
	};

	return cmocka_run_group_tests_name("secd-reason", tests, NULL, NULL);
}
