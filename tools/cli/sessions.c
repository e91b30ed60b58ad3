// SPDX-License-Identifier: MIT
/*
 * offload-sec sessions: every open launch session, with its state as the
 * driver mirrors it and how far measuring and loading got.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cli.h"
#include "ofs-netlink.h"
#include "ofs-util.h"

static const char *const component_names[OFFLOAD_SEC_NUM_COMPONENTS] = {
	"kernel", "initrd", "cmdline",
};

static void print_text(const struct ofs_nl_session *s)
{
	char id[2 * OFFLOAD_SEC_SESSION_ID_LEN + 1];
	int c;

	ofs_hex(s->id, sizeof(s->id), id);
	printf("session %s on device %u: %s, owner pid %u\n", id, s->device_index,
	       ofs_nl_session_state_str(s->state), s->owner);
	for (c = 0; c < OFFLOAD_SEC_NUM_COMPONENTS; c++)
		if (s->measured[c] || s->loaded[c])
			printf("  %-8s measured %llu, loaded %llu bytes\n", component_names[c],
			       (unsigned long long)s->measured[c],
			       (unsigned long long)s->loaded[c]);
}

struct json_object *cli_session_json(const struct ofs_nl_session *s)
{
	struct json_object *o = json_object_new_object(), *comps = json_object_new_object();
	char id[2 * OFFLOAD_SEC_SESSION_ID_LEN + 1];
	int c;

	ofs_hex(s->id, sizeof(s->id), id);
	json_object_object_add(o, "device", json_object_new_int64(s->device_index));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "state",
			       json_object_new_string(ofs_nl_session_state_str(s->state)));
	json_object_object_add(o, "owner", json_object_new_int64(s->owner));
	for (c = 0; c < OFFLOAD_SEC_NUM_COMPONENTS; c++) {
		struct json_object *x = json_object_new_object();

		json_object_object_add(x, "measured", json_object_new_uint64(s->measured[c]));
		json_object_object_add(x, "loaded", json_object_new_uint64(s->loaded[c]));
		json_object_object_add(comps, component_names[c], x);
	}
	json_object_object_add(o, "components", comps);
	return o;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: %s sessions [--device INDEX] [--json]\n", prog);
}

int cmd_sessions(int argc, char **argv)
{
	static const struct option options[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct ofs_nl_session *ss;
	int64_t device = -1;
	int json = 0, c, r;
	size_t n, i;
	char *end;

	while ((c = getopt_long(argc, argv, "d:jh", options, NULL)) != -1) {
		switch (c) {
		case 'd':
			device = strtoll(optarg, &end, 10);
			if (*end || end == optarg || device < 0 || device > UINT32_MAX) {
				fprintf(stderr, "%s: bad device index '%s'\n", prog, optarg);
				return 2;
			}
			break;
		case 'j':
			json = 1;
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
	r = ofs_nl_dump_sessions(device, &ss, &n);
	if (r < 0)
		return cli_netlink_error("listing sessions", r);
	if (json) {
		struct json_object *a = json_object_new_array();

		for (i = 0; i < n; i++)
			json_object_array_add(a, cli_session_json(&ss[i]));
		cli_print_json(a, 1);
	} else {
		for (i = 0; i < n; i++)
			print_text(&ss[i]);
		if (!n)
			printf("no sessions\n");
	}
	free(ss);
	return 0;
}
