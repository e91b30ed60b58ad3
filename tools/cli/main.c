// SPDX-License-Identifier: MIT
/*
 * offload-sec: command-line access to the card's security component.
 * One file per subcommand; this file only dispatches.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const char *prog;

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} subcommands[] = {
	{ "info", cmd_info, "Show the security component's identity and capabilities" },
	{ "selftest", cmd_selftest, "Check the card's DMA path both ways, byte for byte" },
	{ "report", cmd_report, "Decode an attestation report or RAS confirmation" },
	{ "verify", cmd_verify, "Appraise a report against a RAS policy, offline" },
	{ "devices", cmd_devices, "List the bound cards (generic netlink)" },
	{ "sessions", cmd_sessions, "List the open launch sessions and their progress" },
	{ "monitor", cmd_monitor, "Show the driver's events as they happen" },
	{ "repo", cmd_repo, "Keep and check a signed image repository" },
	{ "launch", cmd_launch, "Launch an image into guest memory through offload-secd" },
	{ "status", cmd_status, "Show offload-secd's launches, or one of them" },
	{ "cancel", cmd_cancel, "Stop a running launch" },
	{ "measure", cmd_measure, "Print the digests the card will attest, offline" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "Usage: %s <command> [<args>]\n\nCommands:\n", prog);
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\nRun '%s <command> --help' for a command's options.\n", prog);
}

int main(int argc, char **argv)
{
	size_t i;

	prog = argv[0] && strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : "offload-sec";
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n\n", prog, argv[1]);
	usage(stderr);
	return 2;
}
