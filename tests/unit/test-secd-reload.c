// SPDX-License-Identifier: MIT
/*
 * offload-secd's reload (SIGHUP): a configuration read from its file and
 * --set overrides, checked as at start; a broken one leaves the manager's
 * in force; the keys that changed are named; the manager hands a new one
 * to new launches only (test-manager.c follows the launches).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "secd.h"

static const char good[] =
	"[Repository]\n"
	"URL=/nonexistent/repository\n"
	"Key=/nonexistent/key.pem\n"
	"[RAS]\n"
	"URL=http://127.0.0.1:9\n";

/* A file holding text, its path in path (removed by the caller). */
static void write_file(char path[64], const char *text)
{
	int fd;

	snprintf(path, 64, "/tmp/test-secd-reload-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

struct seen {
	char keys[512];
	unsigned int n;
};

static void on_changed(const char *key, void *userdata)
{
	struct seen *s = userdata;
	size_t len = strlen(s->keys);

	snprintf(s->keys + len, sizeof(s->keys) - len, "%s%s", len ? " " : "", key);
	s->n++;
}

static void read_applies_sets_and_names_changes(void **state)
{
	char *sets[] = { "RAS.TimeoutSec=30", "Group=launchers" };
	struct secd_config_source src = { .sets = sets, .n_sets = 2 };
	struct secd_config *a = NULL, *b = NULL;
	struct seen seen = {};
	char path[64];

	write_file(path, good);
	src.path = path;
	assert_int_equal(secd_config_read(&src, &a), 0);
	assert_int_equal(atomic_load(&a->n_ref), 1);
	assert_int_equal(a->ras_timeout, 30);
	assert_string_equal(a->api_group, "launchers");

	/* The same source again: nothing changed. */
	assert_int_equal(secd_config_read(&src, &b), 0);
	secd_config_diff(a, b, on_changed, &seen);
	assert_int_equal(seen.n, 0);
	secd_config_unref(b);

	src.n_sets = 0;
	assert_int_equal(secd_config_read(&src, &b), 0);
	secd_config_diff(a, b, on_changed, &seen);
	assert_string_equal(seen.keys, "RAS.TimeoutSec API.Group");
	secd_config_unref(b);

	/* A copy is equal, and its own. */
	assert_int_equal(secd_config_dup(a, &b), 0);
	assert_ptr_not_equal(a->repo_url, b->repo_url);
	seen.n = 0;
	secd_config_diff(a, b, on_changed, &seen);
	assert_int_equal(seen.n, 0);
	secd_config_unref(b);

	/* Two holders: the last one frees it. */
	secd_config_ref(a);
	secd_config_unref(a);
	assert_int_equal(atomic_load(&a->n_ref), 1);
	secd_config_unref(a);
	unlink(path);
}

static void broken_file_keeps_the_old_config(void **state)
{
	struct secd_config_source src = {};
	struct secd_config *before, *c = NULL;
	struct secd_manager *m;
	char path[64];
	sd_event *e;

	write_file(path, good);
	src.path = path;
	assert_int_equal(secd_config_read(&src, &c), 0);
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(secd_manager_new(e, c, &m), 0);
	secd_config_unref(c);
	before = secd_manager_config(m);

	/* What a SIGHUP does: read, and only on success hand it over. */
	unlink(path);
	write_file(path, "[Repository]\nURL=relative/path\n[Nonsense]\nKey=1\n");
	c = NULL;
	assert_int_equal(secd_config_read(&src, &c), -EINVAL);
	assert_null(c);
	/* A required key missing is an error too. */
	unlink(path);
	write_file(path, "[Repository]\nURL=/nonexistent/repository\n");
	assert_int_equal(secd_config_read(&src, &c), -EINVAL);
	assert_null(c);
	/* So is a file that went away. */
	unlink(path);
	assert_int_equal(secd_config_read(&src, &c), -ENOENT);
	assert_null(c);
	assert_ptr_equal(secd_manager_config(m), before);
	assert_string_equal(before->repo_url, "/nonexistent/repository");

	secd_manager_free(m);
	sd_event_unref(e);
}

/* SIGHUP checks what --check does: the key file must be readable. */
static void check_files(void **state)
{
	struct secd_config_source src = { .check_files = true };
	struct secd_config *c = NULL;
	char path[64];

	write_file(path, good);
	src.path = path;
	assert_int_not_equal(secd_config_read(&src, &c), 0);
	assert_null(c);
	src.check_files = false;
	assert_int_equal(secd_config_read(&src, &c), 0);
	secd_config_unref(c);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(read_applies_sets_and_names_changes),
		cmocka_unit_test(broken_file_keeps_the_old_config),
		cmocka_unit_test(check_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
