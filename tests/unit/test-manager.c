// SPDX-License-Identifier: MIT
/*
 * offload-secd's table of launches (daemon/manager.c) on a real event
 * loop and real worker threads.  The launches fail at once (their
 * repository does not exist), which is enough to follow the manager's
 * contract: ids, the limit, the callbacks on the loop thread, the finished
 * launches kept and freed, the destination fd given back, and shutdown
 * with workers still running.
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

static void setup_config(struct secd_config *c, unsigned int max, unsigned int keep)
{
	secd_config_init(c);
	free(c->repo_url);
	c->repo_url = strdup("/nonexistent/offload-sec-repository");
	free(c->cache_dir);
	c->cache_dir = strdup("/nonexistent/offload-sec-cache");
	free(c->ras_url);
	c->ras_url = strdup("http://127.0.0.1:9");
	c->max_launches = max;
	c->keep_finished = keep;
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
		cmocka_unit_test(names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
