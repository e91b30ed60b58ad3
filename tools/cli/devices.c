// SPDX-License-Identifier: MIT
/*
 * offload-sec devices: every bound card, as the driver's netlink family
 * describes it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cli.h"
#include "ofs-device.h"
#include "ofs-netlink.h"

static void print_caps(uint64_t caps)
{
	unsigned int bit;
	int any = 0;

	for (bit = 0; bit < 64; bit++) {
		const char *name = ofs_capability_name(bit);

		if (!(caps & (1ULL << bit)))
			continue;
		if (name)
			printf(" %s", name);
		else
			printf(" bit%u", bit);
		any = 1;
	}
	printf("%s\n", any ? "" : " none");
}

static void print_text(const struct ofs_nl_device *d)
{
	printf("device %u: /dev/%s at %s%s\n", d->index, d->name, d->pci_addr,
	       d->broken ? " (broken: the driver no longer talks to it)" : "");
	if (d->has_info) {
		printf("  serial:            %s\n", d->serial);
		printf("  firmware:          %u.%u.%u\n", d->fw_major, d->fw_minor, d->fw_patch);
		printf("  interface:         %u.%u\n", d->abi_major, d->abi_minor);
		printf("  measurement regs:  %u\n", d->measurement_regs);
		printf("  max sessions:      %u\n", d->max_sessions);
		printf("  max DMA segments:  %u\n", d->max_dma_segments);
		printf("  capabilities:     ");
		print_caps(d->capabilities);
	} else {
		printf("  (the card did not answer GET_INFO when it was bound)\n");
	}
	printf("  open sessions:     %u\n", d->sessions);
}

struct json_object *cli_device_json(const struct ofs_nl_device *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "index", json_object_new_int64(d->index));
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "pci_address", json_object_new_string(d->pci_addr));
	if (d->has_info) {
		char fw[48];

		snprintf(fw, sizeof(fw), "%u.%u.%u", d->fw_major, d->fw_minor, d->fw_patch);
		json_object_object_add(o, "serial", json_object_new_string(d->serial));
		json_object_object_add(o, "firmware", json_object_new_string(fw));
		json_object_object_add(o, "abi_major", json_object_new_int(d->abi_major));
		json_object_object_add(o, "abi_minor", json_object_new_int(d->abi_minor));
		json_object_object_add(o, "measurement_registers",
				       json_object_new_int64(d->measurement_regs));
		json_object_object_add(o, "max_sessions", json_object_new_int64(d->max_sessions));
		json_object_object_add(o, "max_dma_segments",
				       json_object_new_int64(d->max_dma_segments));
		json_object_object_add(o, "capabilities",
				       json_object_new_uint64(d->capabilities));
	}
	json_object_object_add(o, "sessions", json_object_new_int64(d->sessions));
	json_object_object_add(o, "broken", json_object_new_boolean(d->broken));
	return o;
}

void cli_print_json(struct json_object *o, int pretty)
{
	puts(json_object_to_json_string_ext(o, (pretty ? JSON_C_TO_STRING_PRETTY :
						JSON_C_TO_STRING_PLAIN) |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: %s devices [--json]\n", prog);
}

int cmd_devices(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct ofs_nl_device *devs;
	int json = 0, c, r;
	size_t n, i;

	while ((c = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (c) {
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
	r = ofs_nl_dump_devices(&devs, &n);
	if (r < 0)
		return cli_netlink_error("listing devices", r);
	if (json) {
		struct json_object *a = json_object_new_array();

		for (i = 0; i < n; i++)
			json_object_array_add(a, cli_device_json(&devs[i]));
		cli_print_json(a, 1);
	} else {
		for (i = 0; i < n; i++)
			print_text(&devs[i]);
		if (!n)
			printf("no devices\n");
	}
	free(devs);
	return 0;
}

int cli_netlink_error(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s%s\n", prog, what, strerror(-err),
		err == -ENOENT ? " (is offload_sec.ko loaded?)" : "");
	return 1;
}
