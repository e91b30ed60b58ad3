// SPDX-License-Identifier: MIT
/*
 * The RAS store: a nonce is used once (also across a reopen), unknown and
 * expired ones are told apart, and the audit log is append-only.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "ras.h"

static void nonces_and_audit(void **state)
{
	char dir[] = "/tmp/test-ras-store-XXXXXX", path[64], why[128];
	uint8_t a[OFS_NONCE_LEN] = { 1 }, b[OFS_NONCE_LEN] = { 2 }, c[OFS_NONCE_LEN] = { 3 };
	struct ras_audit rec = { .at = 5, .client = "127.0.0.1", .verdict = "affirming",
				 .reasons = "[]" };
	struct ras_store *s;
	sqlite3 *db;
	int64_t n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ras.db", dir);
	assert_int_equal(ras_store_open(path, false, &s), 0);
	assert_int_equal(ras_store_nonce_add(s, a, 100, 200, "x"), 0);
	assert_int_equal(ras_store_nonce_add(s, b, 100, 150, "x"), 0);
	assert_int_equal(ras_store_nonce_add(s, a, 100, 200, "x"), -EIO);
	assert_int_equal(ras_store_nonce_consume(s, a, 120, why, sizeof(why)), 0);
	assert_int_equal(ras_store_nonce_consume(s, a, 121, why, sizeof(why)), -EALREADY);
	assert_non_null(strstr(why, "used at 120"));
	assert_int_equal(ras_store_nonce_consume(s, b, 150, why, sizeof(why)), -ETIME);
	assert_int_equal(ras_store_nonce_consume(s, c, 120, why, sizeof(why)), -ENOENT);
	assert_int_equal(ras_store_audit(s, &rec), 0);
	ras_store_close(s);

	assert_int_equal(ras_store_open(path, false, &s), 0);
	assert_int_equal(ras_store_nonce_consume(s, a, 122, why, sizeof(why)), -EALREADY);
	assert_int_equal(ras_store_audit_count(s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ras_store_prune(s, 1000), 0);
	assert_int_equal(ras_store_nonce_consume(s, a, 123, why, sizeof(why)), -ENOENT);
	assert_int_equal(ras_store_ping(s), 0);
	ras_store_close(s);

	/* The audit log refuses changes, whoever asks. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE audit SET verdict='x'", NULL,
					  NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit", NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(db);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nonces_and_audit),
	};

	return cmocka_run_group_tests_name("ras-store", tests, NULL, NULL);
}
