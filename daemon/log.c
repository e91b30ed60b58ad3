// SPDX-License-Identifier: MIT
/*
 * Journal logging.  A line about a launch carries the launch's fields
 * (LAUNCH_ID=, IMAGE=, IMAGE_VERSION=, LAUNCH_STAGE=, then VERDICT= and
 * OUTCOME= once known), so that `journalctl LAUNCH_ID=...` tells one
 * launch's story.  Lines come from the loop and from worker threads alike:
 * only fields that never change after the start, or that the worker
 * publishes through the atomic stage, are read here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <json-c/json.h>
#include <systemd/sd-journal.h>

#include "secd.h"

#define FIELD_MAX	(OFS_MANIFEST_NAME_MAX + 32)
#define MESSAGE_MAX	2048
#define VERDICT_MAX	32

static bool stderr_is_journal;
static pthread_once_t stderr_once = PTHREAD_ONCE_INIT;

/* systemd sets JOURNAL_STREAM to the device:inode of the stream it gave. */
static void check_stderr(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	stderr_is_journal = env &&
		sscanf(env, "%llu:%llu", &dev, &ino) == 2 &&
		!fstat(STDERR_FILENO, &st) &&
		st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

/* The RAS's verdict, from the answer it sent (docs/ras-api.md §3). */
static void ras_verdict(const char *json, char out[VERDICT_MAX])
{
	struct json_object *root, *v;

	out[0] = '\0';
	root = json ? json_tokener_parse(json) : NULL;
	if (root && json_object_object_get_ex(root, "verdict", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(out, VERDICT_MAX, "%s", json_object_get_string(v));
	json_object_put(root);
}

struct launch_fields {
	char version[FIELD_MAX];
	char verdict[VERDICT_MAX];
	enum secd_stage stage;
	enum secd_outcome outcome;
};

/*
 * The worker writes result.version while it fetches and result's RAS
 * answer while it appraises, both before it moves on to the next stage:
 * a stage read past those stages makes them safe to read.  The outcome
 * is written once, as the worker ends.
 */
static void read_launch(const struct secd_launch *l, struct launch_fields *f)
{
	f->stage = (enum secd_stage)atomic_load(&l->stage);
	f->outcome = __atomic_load_n(&l->outcome, __ATOMIC_ACQUIRE);
	snprintf(f->version, sizeof(f->version), "%s",
		 f->stage > SECD_STAGE_VERIFY && l->result.version[0] ?
		 l->result.version : l->req.version);
	f->verdict[0] = '\0';
	if (f->stage > SECD_STAGE_APPRAISE ||
	    (f->stage == SECD_STAGE_APPRAISE && f->outcome != SECD_RUNNING))
		ras_verdict(l->result.ras_result_json, f->verdict);
	if (f->stage >= SECD_STAGE_MAX)
		f->stage = SECD_STAGE_QUEUED;
}

static void add(struct iovec *iov, size_t *n, char *buf, size_t size,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(struct iovec *iov, size_t *n, char *buf, size_t size,
		const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	iov[*n].iov_base = buf;
	iov[*n].iov_len = (size_t)len < size ? (size_t)len : size - 1;
	(*n)++;
}

static void send_launch(const struct secd_launch *l,
			const struct launch_fields *f, struct iovec *iov,
			size_t n)
{
	char id[32], image[FIELD_MAX], version[FIELD_MAX], stage[48];
	char verdict[VERDICT_MAX + 16], outcome[48];

	add(iov, &n, id, sizeof(id), "LAUNCH_ID=%s", l->id);
	add(iov, &n, image, sizeof(image), "IMAGE=%s", l->req.image);
	if (f->version[0])
		add(iov, &n, version, sizeof(version), "IMAGE_VERSION=%s",
		    f->version);
	add(iov, &n, stage, sizeof(stage), "LAUNCH_STAGE=%s",
	    secd_stage_name(f->stage));
	if (f->verdict[0])
		add(iov, &n, verdict, sizeof(verdict), "VERDICT=%s", f->verdict);
	if (f->outcome != SECD_RUNNING)
		add(iov, &n, outcome, sizeof(outcome), "OUTCOME=%s",
		    secd_outcome_name(f->outcome));
	sd_journal_sendv(iov, (int)n);
}

void secd_log(const struct secd_launch *l, int priority, const char *fmt, ...)
{
	char message[MESSAGE_MAX + 8], prio[16];
	struct launch_fields f;
	struct iovec iov[10];
	size_t n = 0;
	va_list ap;
	int saved = errno;	/* callers may log "%m" after us */

	va_start(ap, fmt);
	add(iov, &n, message, sizeof(message), "MESSAGE=");
	vsnprintf(message + 8, sizeof(message) - 8, fmt, ap);
	va_end(ap);
	iov[0].iov_len = strlen(message);
	add(iov, &n, prio, sizeof(prio), "PRIORITY=%d", priority & 7);
	iov[n].iov_base = (char *)"SYSLOG_IDENTIFIER=offload-secd";
	iov[n++].iov_len = strlen("SYSLOG_IDENTIFIER=offload-secd");

	if (l) {
		read_launch(l, &f);
		send_launch(l, &f, iov, n);
	} else {
		sd_journal_sendv(iov, (int)n);
	}

	pthread_once(&stderr_once, check_stderr);
	if (stderr_is_journal) {
		errno = saved;
		return;
	}
	if (l)
		fprintf(stderr, "offload-secd[launch %.8s %s%s%s]: %s\n", l->id,
			l->req.image, f.version[0] ? "@" : "", f.version,
			message + 8);
	else
		fprintf(stderr, "offload-secd: %s\n", message + 8);
	errno = saved;
}
