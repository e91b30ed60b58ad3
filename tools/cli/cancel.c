// SPDX-License-Identifier: MIT
/*
 * offload-sec cancel ID: asks offload-secd to stop a running launch.  The
 * launch stops at its next chunk or verifier poll, the card scrubs what it
 * wrote and the launch's caller gets Cancelled.
 */
#include <getopt.h>
#include <stdio.h>
#include <json-c/json.h>

#include "cli.h"
#include "ofs-varlink.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: %s cancel [--socket PATH] [--json] ID\n", prog);
}

int cmd_cancel(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct json_object *params, *reply = NULL;
	const char *socket = NULL;
	struct ofs_varlink *v;
	int json = 0, c, r;

	while ((c = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (c) {
		case 'S': socket = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	if (cli_daemon_connect(socket, &v))
		return 1;
	params = json_object_new_object();
	json_object_object_add(params, "id", json_object_new_string(argv[optind]));
	r = cli_daemon_call(v, OFS_VARLINK_INTERFACE ".Cancel", params, json, &reply);
	json_object_put(params);
	ofs_varlink_free(v);
	if (r < 0)
		return 1;
	if (json)
		cli_print_json(reply, 1);
	else if (!r)
		printf("launch %s: cancel requested\n", argv[optind]);
	if (!json)
		json_object_put(reply);
	return r;
}
