// SPDX-License-Identifier: MIT
/*
 * The table of launches.  Each launch runs secd_launch_run() on a thread
 * of its own; the loop thread owns the lists.  A worker touches only its
 * launch and reports through an eventfd the loop watches: the loop then
 * tells the launch's caller what changed and, once the worker has ended,
 * joins it and moves the launch to the finished list, of which it keeps
 * the newest KeepFinished for Status and List.  The manager holds the
 * current configuration; each launch takes a reference to it as it
 * starts and keeps that one until it has ended, so that a reload
 * (secd_manager_set_config()) reaches new launches only.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "ofs-util.h"
#include "secd.h"

/* A launch and what only the manager knows about it. */
struct launch_entry {
	struct secd_launch l;		/* first: the manager hands out &l */
	pthread_mutex_t fail_lock;	/* the first failure, from two threads */
	uint64_t stage_start_usec;	/* CLOCK_MONOTONIC; worker only */
	atomic_bool worker_done;	/* release: outcome and result are final */
	int seen_stage;			/* the stage on_update last heard of */
	bool ended;			/* on the finished list */
};

struct secd_manager {
	sd_event *event;
	struct secd_config *config;	/* for launches started from now on */
	int wake_fd;			/* eventfd: workers post, the loop reads */
	sd_event_source *wake_source;
	struct secd_launch *running;	/* newest first */
	struct secd_launch *finished;	/* most recently ended first */
	unsigned int n_running, n_finished;
};

static const char *const stage_names[SECD_STAGE_MAX] = {
	[SECD_STAGE_QUEUED] = "queued",
	[SECD_STAGE_FETCH] = "fetch",
	[SECD_STAGE_VERIFY] = "verify",
	[SECD_STAGE_MEASURE] = "measure",
	[SECD_STAGE_ATTEST] = "attest",
	[SECD_STAGE_APPRAISE] = "appraise",
	[SECD_STAGE_CONFIRM] = "confirm",
	[SECD_STAGE_KEY] = "key",
	[SECD_STAGE_LOAD] = "load",
	[SECD_STAGE_FINISH] = "finish",
	[SECD_STAGE_DONE] = "done",
};

const char *secd_stage_name(enum secd_stage s)
{
	return (unsigned int)s < SECD_STAGE_MAX ? stage_names[s] : "unknown";
}

const char *secd_outcome_name(enum secd_outcome o)
{
	switch (o) {
	case SECD_RUNNING:
		return "running";
	case SECD_SUCCEEDED:
		return "succeeded";
	case SECD_FAILED:
		return "failed";
	case SECD_REFUSED:
		return "refused";
	case SECD_CANCELLED:
		return "cancelled";
	}
	return "unknown";
}

static struct launch_entry *entry_of(struct secd_launch *l)
{
	return (struct launch_entry *)l;
}

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- worker side ---- */

void secd_launch_post(struct secd_launch *l)
{
	uint64_t one = 1;

	/* Only fails when the counter would overflow: the loop wakes anyway. */
	if (write(l->manager->wake_fd, &one, sizeof(one)) < 0)
		return;
}

/* Adds the time since the current stage began to its total. */
static void close_stage_clock(struct launch_entry *e)
{
	uint64_t now = now_usec(CLOCK_MONOTONIC);
	int s = atomic_load(&e->l.stage);

	if (s >= 0 && s < SECD_STAGE_MAX)
		e->l.result.stage_usec[s] += now - e->stage_start_usec;
	e->stage_start_usec = now;
}

int secd_launch_set_stage(struct secd_launch *l, enum secd_stage s)
{
	struct launch_entry *e = entry_of(l);

	close_stage_clock(e);
	atomic_store(&l->progress_done, 0);
	atomic_store(&l->progress_total, 0);
	atomic_store(&l->stage, (int)s);
	secd_launch_post(l);
	return atomic_load(&l->cancel) ? -ECANCELED : 0;
}

void secd_reason_ellipsize(char *s, size_t size, size_t len)
{
	static const char ellipsis[] = "\xe2\x80\xa6";	/* U+2026 */
	size_t room, end;

	if (len < size || size < sizeof(ellipsis))
		return;
	/*
	 * s[room] is the first byte dropped: a space there ends a word.  A
	 * word longer than half the room (a list of digests without a space)
	 * is cut where it must be, though not inside a UTF-8 character.
	 */
	room = size - sizeof(ellipsis);
	for (end = room; end > room / 2 && s[end] != ' '; end--)
		;
	while (end > room / 2 && s[end - 1] == ' ')
		end--;
	if (end <= room / 2)
		for (end = room; end > 0 && ((unsigned char)s[end] & 0xc0) == 0x80; end--)
			;
	memcpy(s + end, ellipsis, sizeof(ellipsis));
}

__attribute__((format(printf, 3, 0)))
static void vfail(struct launch_entry *e, int err, const char *fmt, va_list ap)
{
	int len;

	pthread_mutex_lock(&e->fail_lock);
	if (!e->l.error) {
		e->l.error = err < 0 ? err : -EIO;
		e->l.failed_stage = (enum secd_stage)atomic_load(&e->l.stage);
		len = vsnprintf(e->l.reason, sizeof(e->l.reason), fmt, ap);
		if (len > 0)
			secd_reason_ellipsize(e->l.reason, sizeof(e->l.reason),
					      (size_t)len);
	}
	pthread_mutex_unlock(&e->fail_lock);
}

int secd_launch_fail(struct secd_launch *l, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(entry_of(l), err, fmt, ap);
	va_end(ap);
	return err;
}

void secd_launch_end(struct secd_launch *l, enum secd_outcome outcome)
{
	close_stage_clock(entry_of(l));
	l->ended_usec = now_usec(CLOCK_REALTIME);
	__atomic_store_n(&l->outcome, outcome, __ATOMIC_RELEASE);
}

static void *worker(void *arg)
{
	struct launch_entry *e = arg;

	secd_launch_run(&e->l, e->l.config);
	if (e->l.outcome == SECD_RUNNING)
		secd_launch_end(&e->l, SECD_FAILED);
	/* The guest memory is the caller's again; our mapping is gone. */
	if (e->l.req.dest_fd >= 0)
		close(e->l.req.dest_fd);
	e->l.req.dest_fd = -1;
	atomic_store_explicit(&e->worker_done, true, memory_order_release);
	secd_launch_post(&e->l);
	return NULL;
}

/* ---- loop side ---- */

static void launch_free(struct secd_launch *l)
{
	struct launch_entry *e = entry_of(l);

	if (l->req.dest_fd >= 0)
		close(l->req.dest_fd);
	free(l->result.ras_result_json);
	free(l->result.report);
	free(l->result.confirmation);
	free(l->result.chain);
	secd_config_unref(l->config);
	pthread_mutex_destroy(&e->fail_lock);
	free(e);
}

static void unlink_launch(struct secd_launch **head, struct secd_launch *l)
{
	struct secd_launch **p;

	for (p = head; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			l->next = NULL;
			return;
		}
}

/* Frees the finished launches beyond the newest KeepFinished. */
static void trim_finished(struct secd_manager *m)
{
	struct secd_launch **p = &m->finished, *l;
	unsigned int kept = 0;

	while (*p && kept < m->config->keep_finished) {
		p = &(*p)->next;
		kept++;
	}
	while ((l = *p)) {
		*p = l->next;
		launch_free(l);
		m->n_finished--;
	}
}

static void launch_ended(struct secd_manager *m, struct secd_launch *l)
{
	struct launch_entry *e = entry_of(l);

	pthread_join(l->thread, NULL);
	/* Finished launches may be kept long: they need no configuration. */
	secd_config_unref(l->config);
	l->config = NULL;
	unlink_launch(&m->running, l);
	m->n_running--;
	e->ended = true;
	l->next = m->finished;
	m->finished = l;
	m->n_finished++;
	if (l->on_update)
		l->on_update(l, true, l->userdata);
}

/* What the workers posted: stage changes and ends, to their callers. */
static int on_wake(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct secd_manager *m = userdata;
	struct secd_launch *l, *next;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return 0;
	for (l = m->running; l; l = next) {
		struct launch_entry *e = entry_of(l);
		int stage = atomic_load(&l->stage);

		/* The callback may start or detach launches: step first. */
		next = l->next;
		if (atomic_load_explicit(&e->worker_done, memory_order_acquire)) {
			launch_ended(m, l);
			continue;
		}
		if (stage != e->seen_stage) {
			e->seen_stage = stage;
			if (l->on_update)
				l->on_update(l, false, l->userdata);
		}
	}
	trim_finished(m);
	return 0;
}

int secd_manager_new(sd_event *event, const struct secd_config *config,
		     struct secd_manager **out)
{
	struct secd_manager *m;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	r = secd_config_dup(config, &m->config);
	if (r)
		goto free_manager;
	m->event = sd_event_ref(event);
	m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->wake_fd < 0) {
		r = -errno;
		goto unref_event;
	}
	r = sd_event_add_io(event, &m->wake_source, m->wake_fd, EPOLLIN, on_wake, m);
	if (r < 0)
		goto close_wake;
	(void)sd_event_source_set_description(m->wake_source, "launch-wake");
	*out = m;
	return 0;

close_wake:
	close(m->wake_fd);
unref_event:
	sd_event_unref(m->event);
	secd_config_unref(m->config);
free_manager:
	free(m);
	return r;
}

struct secd_config *secd_manager_config(const struct secd_manager *m)
{
	return m->config;
}

void secd_manager_set_config(struct secd_manager *m, struct secd_config *config)
{
	struct secd_config *old = m->config;

	m->config = secd_config_ref(config);
	secd_config_unref(old);
	trim_finished(m);
}

void secd_manager_free(struct secd_manager *m)
{
	struct secd_launch *l;

	if (!m)
		return;
	for (l = m->running; l; l = l->next)
		atomic_store(&l->cancel, true);
	while ((l = m->running)) {
		pthread_join(l->thread, NULL);
		m->running = l->next;
		launch_free(l);
	}
	while ((l = m->finished)) {
		m->finished = l->next;
		launch_free(l);
	}
	sd_event_source_disable_unref(m->wake_source);
	close(m->wake_fd);
	sd_event_unref(m->event);
	secd_config_unref(m->config);
	free(m);
}

/* 16 hex digits of fresh randomness, unlike any id still known. */
static int new_id(struct secd_manager *m, char id[SECD_LAUNCH_ID_LEN + 1])
{
	uint8_t raw[SECD_LAUNCH_ID_LEN / 2];

	do {
		if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
			return errno ? -errno : -EIO;
		ofs_hex(raw, sizeof(raw), id);
	} while (secd_launch_find(m, id));
	return 0;
}

/* Workers take no signals: the loop handles them (signalfd). */
static int start_worker(struct launch_entry *e)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&e->l.thread, NULL, worker, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -r;
}

int secd_launch_start(struct secd_manager *m,
		      const struct secd_launch_request *req,
		      void (*on_update)(struct secd_launch *, bool, void *),
		      void *userdata, struct secd_launch **out)
{
	struct launch_entry *e;
	struct secd_launch *l;
	int r;

	if (!m || !req || !out)
		return -EINVAL;
	if (m->n_running >= m->config->max_launches)
		return -EBUSY;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	l = &e->l;
	r = new_id(m, l->id);
	if (r)
		goto free_entry;
	pthread_mutex_init(&e->fail_lock, NULL);
	l->req = *req;
	l->started_usec = now_usec(CLOCK_REALTIME);
	l->outcome = SECD_RUNNING;
	l->failed_stage = SECD_STAGE_QUEUED;
	l->manager = m;
	l->config = secd_config_ref(m->config);
	l->on_update = on_update;
	l->userdata = userdata;
	e->stage_start_usec = now_usec(CLOCK_MONOTONIC);
	e->seen_stage = SECD_STAGE_QUEUED;
	r = start_worker(e);
	if (r)
		goto destroy_lock;
	l->next = m->running;
	m->running = l;
	m->n_running++;
	*out = l;
	return 0;

destroy_lock:
	secd_config_unref(l->config);
	pthread_mutex_destroy(&e->fail_lock);
free_entry:
	free(e);
	return r;
}

int secd_launch_cancel(struct secd_launch *l)
{
	if (entry_of(l)->ended)
		return -EALREADY;
	atomic_store(&l->cancel, true);
	return 0;
}

void secd_launch_detach(struct secd_launch *l)
{
	l->on_update = NULL;
	l->userdata = NULL;
}

struct secd_launch *secd_launch_find(struct secd_manager *m, const char *id)
{
	struct secd_launch *l;

	for (l = secd_launch_first(m); l; l = secd_launch_next(l))
		if (!strcmp(l->id, id))
			return l;
	return NULL;
}

struct secd_launch *secd_launch_first(struct secd_manager *m)
{
	return m->running ? m->running : m->finished;
}

struct secd_launch *secd_launch_next(struct secd_launch *l)
{
	if (l->next || entry_of(l)->ended)
		return l->next;
	return l->manager->finished;
}

unsigned int secd_manager_running(const struct secd_manager *m)
{
	return m->n_running;
}

static bool same_device(const char *configured, const char *device)
{
	const char *base = strrchr(configured, '/');

	return !strcmp(configured, device) ||
	       (base && !strcmp(base + 1, device));
}

/*
 * Only launches that have a session on the card are failed here; those
 * still fetching find out when they open the device.
 */
void secd_manager_device_gone(struct secd_manager *m, const char *device)
{
	struct secd_launch *l;

	if (!device)
		return;
	for (l = m->running; l; l = l->next) {
		int stage = atomic_load(&l->stage);

		/*
		 * Its own card: a reload may have named another one for new
		 * launches.  Ended, or past FINISH: the image is in place,
		 * nothing to fail.
		 */
		if (!same_device(l->config->device, device) ||
		    stage < SECD_STAGE_MEASURE || stage == SECD_STAGE_DONE ||
		    __atomic_load_n(&l->outcome, __ATOMIC_ACQUIRE) != SECD_RUNNING)
			continue;
		secd_launch_fail(l, -ENODEV, "the card went away");
		atomic_store(&l->cancel, true);
	}
}
