// SPDX-License-Identifier: MIT
/*
 * offload-secd's table of launches (daemon/manager.c) on a real event
 * loop and real worker threads.  The launches fail at once (their
 * repository does not exist), which is enough to follow the manager's
 * contract: ids, the limit, the callbacks on the loop thread, the finished
 * launches kept and freed, the destination fd given back, shutdown
 * with workers still running, and a reload: a launch keeps the
 * configuration it started with, new ones get the new one, and every
 * reference is dropped (ASan reports a leak otherwise).
 */
#include <errno.h>
#include <fcntl.h>
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

struct watch {
	unsigned int updates, ends;
	pthread_t loop_thread;
	bool wrong_thread;
};

static void on_update(struct secd_launch *l, bool ended, void *userdata)
{
	struct watch *w = userdata;

	w->wrong_thread |= !pthread_equal(pthread_self(), w->loop_thread);
	if (ended) {
		w->ends++;
		assert_int_not_equal(l->outcome, SECD_RUNNING);
	} else {
		w->updates++;
	}
}

/* Launches under c fail at once, in FETCH. */
static void unreachable(struct secd_config *c, unsigned int max, unsigned int keep)
{
	free(c->repo_url);
	c->repo_url = strdup("/nonexistent/offload-sec-repository");
	free(c->cache_dir);
	c->cache_dir = strdup("/nonexistent/offload-sec-cache");
	free(c->ras_url);
	c->ras_url = strdup("http://127.0.0.1:9");
	c->max_launches = max;
	c->keep_finished = keep;
}

static void setup_config(struct secd_config *c, unsigned int max, unsigned int keep)
{
	secd_config_init(c);
	unreachable(c, max, keep);
}

static struct secd_launch_request request(void)
{
	struct secd_launch_request req = { .dest_size = 1 << 20 };

	snprintf(req.image, sizeof(req.image), "demo");
	req.dest_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(req.dest_fd >= 0);
	return req;
}

static bool is_hex_id(const char *id)
{
	size_t i;

	for (i = 0; i < SECD_LAUNCH_ID_LEN; i++)
		if (!strchr("0123456789abcdef", id[i]))
			return false;
	return id[SECD_LAUNCH_ID_LEN] == '\0';
}

/* Runs the loop until every launch has ended, at most about 10 s. */
static void run_until_idle(sd_event *e, struct secd_manager *m)
{
	int i;

	for (i = 0; i < 1000 && secd_manager_running(m); i++)
		assert_true(sd_event_run(e, 10 * 1000) >= 0);
	assert_int_equal(secd_manager_running(m), 0);
}

static void launches_end_and_are_kept(void **state)
{
	struct secd_launch_request req[3];
	struct secd_launch *l[3], *it;
	struct watch w = { .loop_thread = pthread_self() };
	struct secd_manager *m;
	struct secd_config c;
	sd_event *e;
	unsigned int n;
	int i;

	setup_config(&c, 2, 1);
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(secd_manager_new(e, &c, &m), 0);
	/*
	 * All destinations exist before any worker runs, so that a number a
	 * worker closes cannot come back as one of them.
	 */
	for (i = 0; i < 3; i++)
		req[i] = request();
	for (i = 0; i < 2; i++) {
		assert_int_equal(secd_launch_start(m, &req[i], on_update, &w, &l[i]), 0);
		assert_true(is_hex_id(l[i]->id));
		assert_ptr_equal(secd_launch_find(m, l[i]->id), l[i]);
	}
	assert_string_not_equal(l[0]->id, l[1]->id);
	/* The loop has not run: both still count, the third is one too many. */
	assert_int_equal(secd_manager_running(m), 2);
	assert_int_equal(secd_launch_start(m, &req[2], on_update, &w, &l[2]), -EBUSY);
	for (n = 0, it = secd_launch_first(m); it; it = secd_launch_next(it))
		n++;
	assert_int_equal(n, 2);

	run_until_idle(e, m);
	assert_int_equal(w.ends, 2);
	assert_false(w.wrong_thread);
	/* The workers gave the destinations back. */
	assert_int_equal(fcntl(req[0].dest_fd, F_GETFD), -1);
	assert_int_equal(fcntl(req[1].dest_fd, F_GETFD), -1);

	/* One finished launch is kept: the one that ended last. */
	it = secd_launch_first(m);
	assert_non_null(it);
	assert_null(secd_launch_next(it));
	assert_int_equal(it->outcome, SECD_FAILED);
	assert_true(it->error < 0);
	assert_true(it->reason[0]);
	assert_true(it->ended_usec >= it->started_usec);
	assert_int_equal(secd_launch_cancel(it), -EALREADY);

	/* Room again. */
	assert_int_equal(secd_launch_start(m, &req[2], NULL, NULL, &l[2]), 0);
	run_until_idle(e, m);
	secd_manager_free(m);
	sd_event_unref(e);
	secd_config_free(&c);
}

static void limit_zero_and_bad_arguments(void **state)
{
	struct secd_launch_request req = request();
	struct secd_manager *m;
	struct secd_launch *l;
	struct secd_config c;
	sd_event *e;

	setup_config(&c, 0, 4);
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(secd_manager_new(e, &c, &m), 0);
	assert_int_equal(secd_launch_start(m, &req, NULL, NULL, &l), -EBUSY);
	assert_int_equal(secd_launch_start(m, NULL, NULL, NULL, &l), -EINVAL);
	/* On failure the caller keeps its fd. */
	assert_int_equal(fcntl(req.dest_fd, F_GETFD), FD_CLOEXEC);
	close(req.dest_fd);
	assert_null(secd_launch_find(m, "0123456789abcdef"));
	assert_null(secd_launch_first(m));
	secd_manager_free(m);
	sd_event_unref(e);
	secd_config_free(&c);
}

/* Shutdown with workers running, callbacks detached or not: no leak. */
static void free_with_running_launches(void **state)
{
	struct secd_launch_request req;
	struct watch w = { .loop_thread = pthread_self() };
	struct secd_manager *m;
	struct secd_launch *l;
	struct secd_config c;
	sd_event *e;
	int i;

	setup_config(&c, 8, 0);
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(secd_manager_new(e, &c, &m), 0);
	for (i = 0; i < 4; i++) {
		req = request();
		assert_int_equal(secd_launch_start(m, &req, on_update, &w, &l), 0);
		if (i % 2)
			secd_launch_detach(l);
		else
			assert_int_equal(secd_launch_cancel(l), 0);
	}
	secd_manager_free(m);
	sd_event_unref(e);
	secd_config_free(&c);
}

/* KeepFinished=0: a launch is gone once its caller heard of its end. */
static void keep_none(void **state)
{
	struct secd_launch_request req = request();
	struct watch w = { .loop_thread = pthread_self() };
	struct secd_manager *m;
	struct secd_launch *l;
	struct secd_config c;
	char id[SECD_LAUNCH_ID_LEN + 1];
	sd_event *e;

	setup_config(&c, 8, 0);
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(secd_manager_new(e, &c, &m), 0);
	assert_int_equal(secd_launch_start(m, &req, on_update, &w, &l), 0);
	memcpy(id, l->id, sizeof(id));
	run_until_idle(e, m);
	assert_int_equal(w.ends, 1);
	assert_null(secd_launch_find(m, id));
	secd_manager_free(m);
	sd_event_unref(e);
	secd_config_free(&c);
}

/* A configuration of its own, whose repository key names it (tag). */
static struct secd_config *tagged_config(const char *tag, unsigned int max,
					 unsigned int keep)
{
	struct secd_config *c = secd_config_new();
	char url[128];

	assert_non_null(c);
	unreachable(c, max, keep);
	snprintf(url, sizeof(url), "/nonexistent/offload-sec-key-%s", tag);
	c->repo_key = strdup(url);
	return c;
}

static void reload_reaches_new_launches_only(void **state)
{
	struct secd_launch_request req[2] = { request(), request() };
	struct secd_config *a, *b;
	struct secd_launch *l[2];
	struct secd_manager *m;
	struct secd_config c;
	sd_event *e;

	setup_config(&c, 8, 4);
	c.repo_key = strdup("/nonexistent/offload-sec-key-a");
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(secd_manager_new(e, &c, &m), 0);
	/* The manager keeps a copy: the caller's may go at once. */
	secd_config_free(&c);
	a = secd_manager_config(m);
	assert_int_equal(atomic_load(&a->n_ref), 1);

	assert_int_equal(secd_launch_start(m, &req[0], NULL, NULL, &l[0]), 0);
	assert_ptr_equal(l[0]->config, a);
	assert_int_equal(atomic_load(&a->n_ref), 2);

	b = tagged_config("b", 8, 4);
	secd_manager_set_config(m, b);
	assert_ptr_equal(secd_manager_config(m), b);
	assert_int_equal(atomic_load(&b->n_ref), 2);
	/* The running launch still holds A, now its only holder. */
	assert_ptr_equal(l[0]->config, a);
	assert_int_equal(atomic_load(&a->n_ref), 1);
	assert_string_equal(a->repo_key, "/nonexistent/offload-sec-key-a");

	assert_int_equal(secd_launch_start(m, &req[1], NULL, NULL, &l[1]), 0);
	assert_ptr_equal(l[1]->config, b);
	assert_int_equal(atomic_load(&b->n_ref), 3);

	run_until_idle(e, m);
	/* Each ran with its own: the reasons name their keys. */
	assert_non_null(strstr(l[0]->reason, "offload-sec-key-a"));
	assert_non_null(strstr(l[1]->reason, "offload-sec-key-b"));
	/* Ended launches hold nothing; A is gone (ASan would see it). */
	assert_null(l[0]->config);
	assert_null(l[1]->config);
	assert_int_equal(atomic_load(&b->n_ref), 2);

	secd_manager_free(m);
	assert_int_equal(atomic_load(&b->n_ref), 1);
	secd_config_unref(b);
	sd_event_unref(e);
}

/* MaxConcurrent and KeepFinished of a new configuration apply at once. */
static void reload_limits(void **state)
{
	struct secd_launch_request req = request();
	struct secd_config *b, *c;
	struct secd_manager *m;
	struct secd_launch *l;
	sd_event *e;

	b = tagged_config("b", 8, 4);
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(secd_manager_new(e, b, &m), 0);
	assert_int_equal(secd_launch_start(m, &req, NULL, NULL, &l), 0);
	run_until_idle(e, m);
	assert_non_null(secd_launch_first(m));

	c = tagged_config("c", 0, 0);
	secd_manager_set_config(m, c);
	secd_config_unref(c);
	assert_null(secd_launch_first(m));
	req = request();
	assert_int_equal(secd_launch_start(m, &req, NULL, NULL, &l), -EBUSY);
	close(req.dest_fd);

	secd_manager_free(m);
	secd_config_unref(b);
	sd_event_unref(e);
}

/* Shutdown with launches of two configurations still running: no leak. */
static void reload_then_free_with_running_launches(void **state)
{
	struct secd_launch_request req;
	struct secd_manager *m;
	struct secd_launch *l;
	struct secd_config *a, *b;
	sd_event *e;
	int i;

	a = tagged_config("a", 8, 0);
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(secd_manager_new(e, a, &m), 0);
	secd_config_unref(a);
	for (i = 0; i < 4; i++) {
		if (i == 2) {
			b = tagged_config("b", 8, 0);
			secd_manager_set_config(m, b);
			secd_config_unref(b);
		}
		req = request();
		assert_int_equal(secd_launch_start(m, &req, NULL, NULL, &l), 0);
	}
	secd_manager_free(m);
	sd_event_unref(e);
}

static void names(void **state)
{
	assert_string_equal(secd_stage_name(SECD_STAGE_QUEUED), "queued");
	assert_string_equal(secd_stage_name(SECD_STAGE_LOAD), "load");
	assert_string_equal(secd_stage_name(SECD_STAGE_DONE), "done");
	assert_string_equal(secd_stage_name(SECD_STAGE_MAX), "unknown");
	assert_string_equal(secd_outcome_name(SECD_REFUSED), "refused");
	assert_string_equal(secd_outcome_name(SECD_CANCELLED), "cancelled");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(launches_end_and_are_kept),
		cmocka_unit_test(limit_zero_and_bad_arguments),
		cmocka_unit_test(free_with_running_launches),
		cmocka_unit_test(keep_none),
		cmocka_unit_test(reload_reaches_new_launches_only),
		cmocka_unit_test(reload_limits),
		cmocka_unit_test(reload_then_free_with_running_launches),
		cmocka_unit_test(names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
