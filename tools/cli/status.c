// SPDX-License-Identifier: MIT
/*
 * offload-sec status [ID]: offload-secd's launches (List) as a table, or
 * one of them (Status) in full.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "cli.h"
#include "ofs-varlink.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s status [--socket PATH] [--json] [ID]\n"
		"Without ID: every launch offload-secd runs or still remembers, running\n"
		"ones first.  With ID: that launch in full.\n", prog);
}

static uint64_t realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static const char *str(struct json_object *o, const char *key)
{
	const char *s = cli_json_str(o, key);

	return s ? s : "?";
}

/* "load 45%" while bytes move, else the stage alone. */
static void stage_text(struct json_object *l, char *buf, size_t size)
{
	struct json_object *p;
	int64_t done, total;

	if (json_object_object_get_ex(l, "progress", &p) &&
	    (total = cli_json_int(p, "total", 0)) > 0) {
		done = cli_json_int(p, "done", 0);
		snprintf(buf, size, "%s %d%%", str(l, "stage"),
			 (int)(done < 0 ? 0 : done > total ? 100 : done * 100 / total));
	} else {
		snprintf(buf, size, "%s", str(l, "stage"));
	}
}

static void age_text(struct json_object *l, uint64_t now, char *buf, size_t size)
{
	int64_t started = cli_json_int(l, "started_usec", -1);

	if (started < 0 || (uint64_t)started > now)
		snprintf(buf, size, "-");
	else
		cli_format_age(now - (uint64_t)started, buf, size);
}

static void print_table(struct json_object *launches)
{
	char image[160], stage[32], age[32];
	uint64_t now = realtime_usec();
	struct json_object *l;
	size_t i, n = json_object_array_length(launches);

	if (!n) {
		printf("no launches\n");
		return;
	}
	printf("%-16s  %-32s  %-12s  %-9s  %7s  %6s  %7s\n", "ID", "IMAGE", "STAGE",
	       "OUTCOME", "AGE", "UID", "PID");
	for (i = 0; i < n; i++) {
		l = json_object_array_get_idx(launches, i);
		snprintf(image, sizeof(image), "%s@%s", str(l, "image"), str(l, "version"));
		stage_text(l, stage, sizeof(stage));
		age_text(l, now, age, sizeof(age));
		printf("%-16s  %-32s  %-12s  %-9s  %7s  %6" PRId64 "  %7" PRId64 "\n",
		       str(l, "id"), image, stage, str(l, "outcome"), age,
		       cli_json_int(l, "uid", -1), cli_json_int(l, "pid", -1));
	}
}

static void print_time(const char *label, int64_t usec, const char *extra)
{
	time_t t = (time_t)(usec / 1000000);
	char when[64];
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%F %T %Z", &tm))
		snprintf(when, sizeof(when), "%" PRId64 " us", usec);
	printf("%-10s %s%s\n", label, when, extra);
}

static void print_launch(struct json_object *l)
{
	int64_t started = cli_json_int(l, "started_usec", -1);
	int64_t ended = cli_json_int(l, "ended_usec", -1);
	char stage[32], age[32], took[48], dur[32];
	struct json_object *p;

	stage_text(l, stage, sizeof(stage));
	printf("%-10s %s\n%-10s %s@%s\n%-10s %s\n%-10s %s\n", "launch", str(l, "id"),
	       "image", str(l, "image"), str(l, "version"), "stage", stage,
	       "outcome", str(l, "outcome"));
	if (json_object_object_get_ex(l, "progress", &p) && cli_json_int(p, "total", 0) > 0) {
		char done[32], total[32];

		cli_format_bytes((uint64_t)cli_json_int(p, "done", 0), done, sizeof(done));
		cli_format_bytes((uint64_t)cli_json_int(p, "total", 0), total, sizeof(total));
		printf("%-10s %s of %s\n", "progress", done, total);
	}
	printf("%-10s uid %" PRId64 ", pid %" PRId64 "\n", "caller",
	       cli_json_int(l, "uid", -1), cli_json_int(l, "pid", -1));
	if (started >= 0) {
		age_text(l, realtime_usec(), age, sizeof(age));
		snprintf(took, sizeof(took), " (%s ago)", age);
		print_time("started", started, took);
	}
	if (started >= 0 && ended >= started) {
		cli_format_usec((uint64_t)(ended - started), dur, sizeof(dur));
		snprintf(took, sizeof(took), " (after %s)", dur);
		print_time("ended", ended, took);
	}
	if (cli_json_str(l, "error"))
		printf("%-10s %s\n", "error", cli_json_str(l, "error"));
}

static int show(const char *socket, const char *id, int json)
{
	struct json_object *reply, *x;
	int r;

	r = cli_daemon_call_once(socket, id ? OFS_VARLINK_INTERFACE ".Status" :
				 OFS_VARLINK_INTERFACE ".List", id, json, &reply);
	if (!reply)
		return r;
	if (!json_object_object_get_ex(reply, id ? "launch" : "launches", &x) ||
	    !json_object_is_type(x, id ? json_type_object : json_type_array)) {
		fprintf(stderr, "%s: offload-secd's answer has no %s\n", prog,
			id ? "launch" : "launches");
		r = 1;
	} else if (id) {
		print_launch(x);
	} else {
		print_table(x);
	}
	json_object_put(reply);
	return r;
}

int cmd_status(int argc, char **argv)
{
	const char *socket = NULL;
	int json = 0, r;

	r = cli_daemon_options(argc, argv, usage, &socket, &json);
	if (r >= 0)
		return r;
	if (argc - optind > 1) {
		usage(stderr);
		return 2;
	}
	return show(socket, optind < argc ? argv[optind] : NULL, json);
}
