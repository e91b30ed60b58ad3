// SPDX-License-Identifier: MIT
/* offload-sec-emu: the emulated offload card, served to QEMU's ivshmem. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "ofs-util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: offload-sec-emu --socket PATH --guest-ram PATH [OPTIONS]\n"
		"       offload-sec-emu provision --dir DIR [OPTIONS] (see provision --help)\n"
		"Emulates the offload card's security component for QEMU's\n"
		"ivshmem-doorbell device (vectors=%d).\n\n"
		"  --socket PATH       ivshmem server socket; it appears once listening\n"
		"  --guest-ram PATH    QEMU's memory-backend-file (share=on) of a pc\n"
		"                      machine, <= 16 GiB\n"
		"  --shm-size BYTES    BAR2 size, a power of two >= %u (default %u)\n"
		"  --serial STRING     device serial, 1-31 printable characters\n"
		"                      (default %s)\n"
		"  --state DIR         the device's provisioning: boot measured, with\n"
		"                      its identity (without it: an ephemeral one,\n"
		"                      made up at start and gone at exit)\n"
		"  --ras-pubkey FILE   without --state: trust the RAS keys in FILE\n"
		"                      (PEM, P-384); else none is trusted\n"
		"  --firmware-stage NAME=FILE\n"
		"                      measure FILE as stage NAME (rom, fmc, runtime)\n"
		"                      instead of the built-in one; needs --state\n"
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
		emu_log_error("--shm-size %s: want a power of two from %u to %u",
			      arg, OFS_HW_SHM_MIN, EMU_MAX_SHM_SIZE);
		return -EINVAL;
	}
	*size = v;
	return 0;
}

static int parse_stage(const char *arg, struct emu_boot_config *boot)
{
	if (emu_boot_stage_arg(boot, arg) == 0)
		return 0;
	emu_log_error("--firmware-stage %s: want NAME=FILE, NAME one of rom, "
		      "fmc, runtime", arg);
	return -EINVAL;
}

static bool stage_given(const struct emu_boot_config *boot)
{
	int i;

	for (i = 0; i < EMU_NUM_STAGES; i++)
		if (boot->stage_files[i])
			return true;
	return false;
}

static int parse_args(int argc, char **argv, struct emu_config *cfg,
		      struct emu_boot_config *boot)
{
	enum { OPT_SOCKET = 256, OPT_RAM, OPT_SHM, OPT_SERIAL, OPT_VERBOSE,
	       OPT_STATE, OPT_STAGE, OPT_RAS };
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "guest-ram", required_argument, NULL, OPT_RAM },
		{ "shm-size", required_argument, NULL, OPT_SHM },
		{ "serial", required_argument, NULL, OPT_SERIAL },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "firmware-stage", required_argument, NULL, OPT_STAGE },
		{ "ras-pubkey", required_argument, NULL, OPT_RAS },
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
		case OPT_STATE:
			boot->state_dir = optarg;
			break;
		case OPT_STAGE:
			if (parse_stage(optarg, boot) < 0)
				return -EINVAL;
			break;
		case OPT_RAS:
			boot->ras_pubkey_path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		case ':':
			emu_log_error("%s needs an argument", argv[optind - 1]);
			return -EINVAL;
		default:
			emu_log_error("unknown option '%s' (see --help)",
				      argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		emu_log_error("unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (!cfg->socket_path || !cfg->guest_ram_path) {
		emu_log_error("--socket and --guest-ram are required (see --help)");
		return -EINVAL;
	}
	if (stage_given(boot) && !boot->state_dir) {
		emu_log_error("--firmware-stage needs --state");
		return -EINVAL;
	}
	if (boot->ras_pubkey_path && boot->state_dir) {
		emu_log_error("--ras-pubkey is for a model without --state; "
			      "a provisioned device's trust store is its "
			      "provisioning (provision --ras-pubkey)");
		return -EINVAL;
	}
	if (!emu_serial_valid(cfg->serial)) {
		emu_log_error("--serial '%s': want 1-31 printable characters, "
			      "no spaces", cfg->serial);
		return -EINVAL;
	}
	return 0;
}

/* Always shown: the identity an operator checks against the RAS. */
static void print_identity(const struct emu_identity *id)
{
	char ueid[2 * OFS_UEID_LEN + 1], composite[2 * OFS_SHA256_LEN + 1];

	ofs_hex(id->ueid, sizeof(id->ueid), ueid);
	ofs_hex(id->meas.composite, sizeof(id->meas.composite), composite);
	if (id->ephemeral)
		emu_log_notice("no --state: ephemeral identity (random UDS, "
			       "throwaway manufacturer CA), gone at exit");
	emu_log_notice("ueid %s, boot %llu", ueid,
		       (unsigned long long)id->boot_count);
	emu_log_notice("firmware composite %s svn %u, %zu RAS key(s) trusted",
		       composite, (unsigned int)id->meas.svn, id->n_ras_keys);
}

static int serve(const struct emu_config *cfg)
{
	struct emu_server *s;
	int r;

	r = emu_server_new(&s, cfg);
	if (r < 0)
		return r;
	r = emu_server_run(s);
	emu_server_free(s);
	return r;
}

int main(int argc, char **argv)
{
	struct emu_config cfg = {
		.shm_size = EMU_DEFAULT_SHM_SIZE,
		.serial = EMU_DEFAULT_SERIAL,
	};
	struct emu_boot_config boot = { 0 };
	struct emu_identity id;
	int r;

	if (argc > 1 && strcmp(argv[1], "provision") == 0)
		return emu_provision_main(argc - 1, argv + 1);
	if (parse_args(argc, argv, &cfg, &boot) < 0)
		return 2;
	/* Boot before listening: a listening socket means a ready device. */
	if (emu_boot(&id, &boot) < 0)
		return EXIT_FAILURE;
	print_identity(&id);
	cfg.identity = &id;
	r = serve(&cfg);
	emu_identity_release(&id);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
