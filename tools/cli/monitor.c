// SPDX-License-Identifier: MIT
/*
 * offload-sec monitor: the driver's events as they happen, one line each
 * (or one JSON object per line), until interrupted or --count events.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cli.h"
#include "ofs-netlink.h"
#include "ofs-util.h"

struct monitor {
	int json;
	long left;		/* events still to show; < 0: no limit */
};

static void print_text(const struct ofs_nl_event *ev)
{
	const struct ofs_nl_session *s = &ev->session;
	const struct ofs_nl_device *d = &ev->device;
	char id[2 * OFFLOAD_SEC_SESSION_ID_LEN + 1];

	printf("%-16s", ofs_nl_event_str(ev->cmd));
	switch (ev->cmd) {
	case OFFLOAD_SEC_CMD_DEVICE_ADDED:
	case OFFLOAD_SEC_CMD_DEVICE_REMOVED:
		printf(" device %u /dev/%s at %s\n", d->index, d->name, d->pci_addr);
		break;
	case OFFLOAD_SEC_CMD_DEVICE_ERROR:
		printf(" device %u /dev/%s: %s%s\n", d->index, d->name,
		       ofs_nl_device_error_str(ev->error), d->broken ? ", disabled" : "");
		break;
	default:
		ofs_hex(s->id, sizeof(s->id), id);
		printf(" session %s on device %u: %s, owner pid %u", id, s->device_index,
		       ofs_nl_session_state_str(s->state), s->owner);
		if (ev->cmd == OFFLOAD_SEC_CMD_SESSION_ENDED)
			printf(", %s", ofs_nl_end_reason_str(ev->end_reason));
		printf("\n");
		break;
	}
	fflush(stdout);
}

static void print_json(const struct ofs_nl_event *ev)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(ofs_nl_event_str(ev->cmd)));
	switch (ev->cmd) {
	case OFFLOAD_SEC_CMD_DEVICE_ERROR:
		json_object_object_add(o, "error",
				       json_object_new_string(ofs_nl_device_error_str(ev->error)));
		/* fall through */
	case OFFLOAD_SEC_CMD_DEVICE_ADDED:
	case OFFLOAD_SEC_CMD_DEVICE_REMOVED:
		json_object_object_add(o, "device", cli_device_json(&ev->device));
		break;
	default:
		if (ev->cmd == OFFLOAD_SEC_CMD_SESSION_ENDED)
			json_object_object_add(o, "reason", json_object_new_string(
				ofs_nl_end_reason_str(ev->end_reason)));
		json_object_object_add(o, "session", cli_session_json(&ev->session));
		break;
	}
	cli_print_json(o, 0);
}

static int on_event(const struct ofs_nl_event *ev, void *arg)
{
	struct monitor *m = arg;

	if (m->json)
		print_json(ev);
	else
		print_text(ev);
	return m->left > 0 && --m->left == 0;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: %s monitor [--count N] [--json]\n", prog);
}

int cmd_monitor(int argc, char **argv)
{
	static const struct option options[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct monitor m = { .left = -1 };
	struct ofs_nl_monitor *mon;
	char *end;
	int c, r;

	while ((c = getopt_long(argc, argv, "c:jh", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			m.left = strtol(optarg, &end, 10);
			if (*end || end == optarg || m.left <= 0) {
				fprintf(stderr, "%s: bad count '%s'\n", prog, optarg);
				return 2;
			}
			break;
		case 'j':
			m.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	r = ofs_nl_monitor_open(&mon);
	if (r < 0)
		return cli_netlink_error("subscribing to events", r);
	while (m.left != 0) {
		r = ofs_nl_monitor_read(mon, -1, on_event, &m);
		if (r == -ENOBUFS) {
			fprintf(stderr, "%s: events were lost (socket overflow)\n", prog);
			continue;
		}
		if (r < 0 && r != -EINTR)
			break;
	}
	ofs_nl_monitor_close(mon);
	if (r < 0 && m.left != 0)
		return cli_netlink_error("reading events", r);
	return 0;
}
