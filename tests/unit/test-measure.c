// SPDX-License-Identifier: MIT
/*
 * Measured boot: the extend rule, the event log and its replay, the
 * composite and the svn summary, checked against their definitions.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "ofs-identity.h"

static void sha256(const void *a, size_t alen, const void *b, size_t blen,
		   uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	assert_non_null(md);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(md, a, alen), 1);
	if (blen)
		assert_int_equal(EVP_DigestUpdate(md, b, blen), 1);
	assert_int_equal(EVP_DigestFinal_ex(md, out, NULL), 1);
	EVP_MD_CTX_free(md);
}

static void three_stages(struct ofs_measure_log *log)
{
	ofs_measure_init(log);
	assert_int_equal(ofs_measure_stage(log, 0, "rom", "R", 1, 3), 0);
	assert_int_equal(ofs_measure_stage(log, 1, "fmc", "F", 1, 2), 0);
	assert_int_equal(ofs_measure_stage(log, 2, "runtime", "T", 1, 5), 0);
}

/* new = SHA-256(old || digest), from all zeros. */
static void extend_rule(void **state)
{
	struct ofs_measure_log log;
	uint8_t d1[32], d2[32], want[32], zero[32] = { 0 };

	ofs_measure_init(&log);
	sha256("one", 3, NULL, 0, d1);
	sha256("two", 3, NULL, 0, d2);
	assert_int_equal(ofs_measure_extend(&log, 1, "a", d1, 1), 0);
	sha256(zero, 32, d1, 32, want);
	assert_memory_equal(log.regs[1], want, 32);
	assert_int_equal(ofs_measure_extend(&log, 1, "b", d2, 1), 0);
	sha256(want, 32, d2, 32, want);
	assert_memory_equal(log.regs[1], want, 32);
	/* Other registers untouched. */
	assert_memory_equal(log.regs[0], zero, 32);
	assert_memory_equal(log.regs[3], zero, 32);
	assert_int_equal(log.n_events, 2);
	assert_string_equal(log.events[1].stage, "b");
	assert_memory_equal(log.events[0].digest, d1, 32);
}

static void stage_is_sha256_of_bytes(void **state)
{
	struct ofs_measure_log log;
	uint8_t d[32];

	ofs_measure_init(&log);
	assert_int_equal(ofs_measure_stage(&log, 0, "rom", "abc", 3, 9), 0);
	sha256("abc", 3, NULL, 0, d);
	assert_memory_equal(log.events[0].digest, d, 32);
	assert_int_equal(log.events[0].svn, 9);
	assert_int_equal(log.events[0].reg, 0);
}

static void replay_agrees(void **state)
{
	struct ofs_measure_log log;
	struct ofs_boot_event ev[OFS_MAX_BOOT_EVENTS];
	uint8_t regs[OFS_NUM_MEAS_REGS][OFS_SHA256_LEN];
	int n;

	three_stages(&log);
	assert_int_equal(ofs_measure_stage(&log, 2, "runtime-cfg", "C", 1, 5),
			 0);
	n = ofs_measure_events(&log, ev, OFS_MAX_BOOT_EVENTS);
	assert_int_equal(n, 4);
	assert_int_equal(ofs_measure_events(&log, ev, 3), -ENOSPC);
	assert_int_equal(ofs_measure_replay(ev, n, regs), 0);
	assert_memory_equal(regs, log.regs, sizeof(regs));
	/* Order within a register matters. */
	ev[2] = log.events[3];
	ev[3] = log.events[2];
	assert_int_equal(ofs_measure_replay(ev, n, regs), 0);
	assert_memory_not_equal(regs[2], log.regs[2], 32);
}

static void composite_definition(void **state)
{
	struct ofs_measure_log log;
	struct ofs_fw_measurement m;
	uint8_t want[32];

	three_stages(&log);
	sha256(log.regs, sizeof(log.regs), NULL, 0, want);
	assert_int_equal(ofs_measure_summary(log.events, log.n_events, &m), 0);
	assert_memory_equal(m.composite, want, 32);
	assert_memory_equal(m.regs, log.regs, sizeof(log.regs));
	assert_int_equal(m.svn, 2);	/* the lowest */
	assert_int_equal(ofs_measure_composite(log.regs, want), 0);
	assert_memory_equal(m.composite, want, 32);
}

static void empty_log(void **state)
{
	struct ofs_fw_measurement m;
	uint8_t zero[OFS_NUM_MEAS_REGS * 32] = { 0 }, want[32];

	assert_int_equal(ofs_measure_summary(NULL, 0, &m), 0);
	sha256(zero, sizeof(zero), NULL, 0, want);
	assert_memory_equal(m.composite, want, 32);
	assert_int_equal(m.svn, 0);
}

static void verify_log(void **state)
{
	struct ofs_measure_log log;
	struct ofs_fw_measurement m;
	struct ofs_boot_event ev[3];

	three_stages(&log);
	assert_int_equal(ofs_measure_summary(log.events, 3, &m), 0);
	memcpy(ev, log.events, sizeof(ev));
	assert_int_equal(ofs_measure_verify_log(ev, 3, &m), 0);
	ev[1].digest[0] ^= 1;
	assert_int_equal(ofs_measure_verify_log(ev, 3, &m), -EBADMSG);
	memcpy(ev, log.events, sizeof(ev));
	ev[0].svn = 7;	/* the svn is part of the claim */
	assert_int_equal(ofs_measure_verify_log(ev, 3, &m), 0);
	ev[1].svn = 1;
	assert_int_equal(ofs_measure_verify_log(ev, 3, &m), -EBADMSG);
	assert_int_equal(ofs_measure_verify_log(ev, 2, &m), -EBADMSG);
	memcpy(ev, log.events, sizeof(ev));
	ev[2].reg = 3;
	assert_int_equal(ofs_measure_verify_log(ev, 3, &m), -EBADMSG);
}

static void bad_events(void **state)
{
	struct ofs_measure_log log;
	struct ofs_boot_event ev = { .reg = 0, .stage = "rom" };
	uint8_t d[32] = { 0 }, regs[OFS_NUM_MEAS_REGS][32];
	char long_name[80];

	ofs_measure_init(&log);
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(ofs_measure_extend(&log, OFS_NUM_MEAS_REGS, "rom", d,
					    1), -EINVAL);
	assert_int_equal(ofs_measure_extend(&log, 0, "", d, 1), -EINVAL);
	assert_int_equal(ofs_measure_extend(&log, 0, "a b", d, 1), -EINVAL);
	assert_int_equal(ofs_measure_extend(&log, 0, long_name, d, 1),
			 -EINVAL);
	long_name[OFS_STAGE_NAME_LEN - 1] = '\0';
	assert_int_equal(ofs_measure_extend(&log, 0, long_name, d, 1), 0);
	/* Nothing moved for the refused ones. */
	assert_int_equal(log.n_events, 1);

	assert_int_equal(ofs_boot_event_valid(&ev), 0);
	ev.stage[10] = 'x';	/* junk after the NUL */
	assert_int_equal(ofs_boot_event_valid(&ev), -EINVAL);
	assert_int_equal(ofs_measure_replay(&ev, 1, regs), -EINVAL);
	memset(ev.stage, 'a', sizeof(ev.stage));	/* no NUL */
	assert_int_equal(ofs_boot_event_valid(&ev), -EINVAL);
	assert_int_equal(ofs_measure_replay(&ev, OFS_MAX_BOOT_EVENTS + 1,
					    regs), -EINVAL);
}

static void log_full(void **state)
{
	struct ofs_measure_log log;
	uint8_t d[32] = { 0 }, before[32];
	int i;

	ofs_measure_init(&log);
	for (i = 0; i < OFS_MAX_BOOT_EVENTS; i++)
		assert_int_equal(ofs_measure_extend(&log, 3, "s", d, 1), 0);
	memcpy(before, log.regs[3], 32);
	assert_int_equal(ofs_measure_extend(&log, 3, "s", d, 1), -ENOSPC);
	/* A register never moves without its event. */
	assert_memory_equal(log.regs[3], before, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(extend_rule),
		cmocka_unit_test(stage_is_sha256_of_bytes),
		cmocka_unit_test(replay_agrees),
		cmocka_unit_test(composite_definition),
		cmocka_unit_test(empty_log),
		cmocka_unit_test(verify_log),
		cmocka_unit_test(bad_events),
		cmocka_unit_test(log_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
