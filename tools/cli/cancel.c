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
	struct json_object *reply;
	const char *socket = NULL;
	int json = 0, r;

	r = cli_daemon_options(argc, argv, usage, &socket, &json);
	if (r >= 0)
		return r;
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	r = cli_daemon_call_once(socket, OFS_VARLINK_INTERFACE ".Cancel", argv[optind],
				 json, &reply);
	if (reply)
		printf("launch %s: cancel requested\n", argv[optind]);
	json_object_put(reply);
	return r;
}
