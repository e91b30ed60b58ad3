// SPDX-License-Identifier: MIT
/* offload-sec-emu: the emulated offload card, served to QEMU's ivshmem. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "emu.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: offload-sec-emu --socket PATH --guest-ram PATH [OPTIONS]\n"
		"Emulates the offload card's security component for QEMU's\n"
		"ivshmem-doorbell device (vectors=%d).\n\n"
		"  --socket PATH       ivshmem server socket; it appears once listening\n"
		"  --guest-ram PATH    QEMU's memory-backend-file (share=on), <= 2 GiB\n"
		"  --shm-size BYTES    BAR2 size, a power of two >= %u (default %u)\n"
		"  --serial STRING     device serial, 1-31 printable characters\n"
		"                      (default %s)\n"
		"  --verbose           log connections and commands\n"
		"  --help              show this help\n",
		OFS_HW_NUM_VECTORS, OFS_HW_SHM_MIN, EMU_DEFAULT_SHM_SIZE,
		EMU_DEFAULT_SERIAL);
}

static int parse_shm_size(const char *arg, uint32_t *size)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' ||
	    !emu_shm_size_valid(v)) {
		fprintf(stderr, "offload-sec-emu: --shm-size %s: want a power of "
			"two from %u to %u\n", arg, OFS_HW_SHM_MIN,
			EMU_MAX_SHM_SIZE);
		return -EINVAL;
	}
	*size = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct emu_config *cfg)
{
	enum { OPT_SOCKET = 256, OPT_RAM, OPT_SHM, OPT_SERIAL, OPT_VERBOSE };
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "guest-ram", required_argument, NULL, OPT_RAM },
		{ "shm-size", required_argument, NULL, OPT_SHM },
		{ "serial", required_argument, NULL, OPT_SERIAL },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	/* ":" and opterr = 0: our own messages, with our prefix. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			cfg->socket_path = optarg;
			break;
		case OPT_RAM:
			cfg->guest_ram_path = optarg;
			break;
		case OPT_SHM:
			if (parse_shm_size(optarg, &cfg->shm_size) < 0)
				return -EINVAL;
			break;
		case OPT_SERIAL:
			cfg->serial = optarg;
			break;
		case OPT_VERBOSE:
			emu_log_set_verbose(true);
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		case ':':
			fprintf(stderr, "offload-sec-emu: %s needs an argument\n",
				argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, "offload-sec-emu: unknown option '%s' "
				"(see --help)\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "offload-sec-emu: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	if (!cfg->socket_path || !cfg->guest_ram_path) {
		fprintf(stderr, "offload-sec-emu: --socket and --guest-ram are "
			"required (see --help)\n");
		return -EINVAL;
	}
	if (!emu_serial_valid(cfg->serial)) {
		fprintf(stderr, "offload-sec-emu: --serial '%s': want 1-31 "
			"printable characters, no spaces\n", cfg->serial);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct emu_config cfg = {
		.shm_size = EMU_DEFAULT_SHM_SIZE,
		.serial = EMU_DEFAULT_SERIAL,
	};
	struct emu_server *s;
	int r;

	if (parse_args(argc, argv, &cfg) < 0)
		return 2;
	r = emu_server_new(&s, &cfg);
	if (r < 0)
		return EXIT_FAILURE;
	r = emu_server_run(s);
	emu_server_free(s);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
