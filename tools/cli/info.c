// SPDX-License-Identifier: MIT
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli.h"
#include "ofs-device.h"

static void serial_string(const struct offload_sec_info *info, char *buf, size_t size)
{
	size_t n = strnlen((const char *)info->serial, sizeof(info->serial));

	if (n >= size)
		n = size - 1;
	memcpy(buf, info->serial, n);
	buf[n] = '\0';
}

static void print_text(const char *path, const struct offload_sec_info *info)
{
	char serial[sizeof(info->serial) + 1];
	unsigned int bit;
	int any = 0;

	serial_string(info, serial, sizeof(serial));
	printf("device:            %s\n", path);
	printf("serial:            %s\n", serial);
	printf("firmware:          %u.%u.%u\n", info->fw_major, info->fw_minor, info->fw_patch);
	printf("interface:         %u.%u\n", info->abi_major, info->abi_minor);
	printf("measurement regs:  %u\n", info->num_measurement_regs);
	printf("max sessions:      %u\n", info->max_sessions);
	printf("max DMA segments:  %u\n", info->max_dma_segments);
	printf("capabilities:     ");
	for (bit = 0; bit < 64; bit++) {
		const char *name = ofs_capability_name(bit);

		if (!(info->capabilities & (1ULL << bit)))
			continue;
		if (name)
			printf(" %s", name);
		else
			printf(" bit%u", bit);
		any = 1;
	}
	printf("%s\n", any ? "" : " none");
}

static void print_json(const char *path, const struct offload_sec_info *info)
{
	char serial[sizeof(info->serial) + 1], fw[48];
	struct json_object *o = json_object_new_object(), *caps = json_object_new_array();
	unsigned int bit;

	serial_string(info, serial, sizeof(serial));
	snprintf(fw, sizeof(fw), "%u.%u.%u", info->fw_major, info->fw_minor, info->fw_patch);
	json_object_object_add(o, "device", json_object_new_string(path));
	json_object_object_add(o, "serial", json_object_new_string(serial));
	json_object_object_add(o, "firmware", json_object_new_string(fw));
	json_object_object_add(o, "abi_major", json_object_new_int(info->abi_major));
	json_object_object_add(o, "abi_minor", json_object_new_int(info->abi_minor));
	json_object_object_add(o, "measurement_registers",
			       json_object_new_int64(info->num_measurement_regs));
	json_object_object_add(o, "max_sessions", json_object_new_int64(info->max_sessions));
	json_object_object_add(o, "max_dma_segments",
			       json_object_new_int64(info->max_dma_segments));
	for (bit = 0; bit < 64; bit++) {
		const char *name = ofs_capability_name(bit);
		char other[16];

		if (!(info->capabilities & (1ULL << bit)))
			continue;
		if (!name) {
			snprintf(other, sizeof(other), "bit%u", bit);
			name = other;
		}
		json_object_array_add(caps, json_object_new_string(name));
	}
	json_object_object_add(o, "capabilities", caps);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: %s info [--device PATH] [--json]\n", prog);
}

int cmd_info(int argc, char **argv)
{
	static const struct option options[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *path = OFS_DEVICE_PATH;
	struct offload_sec_info info;
	int json = 0, c, fd, r;

	while ((c = getopt_long(argc, argv, "d:jh", options, NULL)) != -1) {
		switch (c) {
		case 'd':
			path = optarg;
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

	fd = cli_open_device(path);
	if (fd < 0)
		return 1;
	r = ofs_device_get_info(fd, &info);
	close(fd);
	if (r < 0) {
		fprintf(stderr, "%s: %s: reading device info: %s", prog, path, strerror(-r));
		if (info.device_status)
			fprintf(stderr, " (device: %s)", ofs_device_status_str(info.device_status));
		fputc('\n', stderr);
		return 1;
	}
	if (json)
		print_json(path, &info);
	else
		print_text(path, &info);
	return 0;
}
