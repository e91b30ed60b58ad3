// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ofs-device.h"

int cli_open_device(const char *path)
{
	int fd = ofs_device_open(path);

	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s%s\n", prog, path, strerror(-fd),
			fd == -ENOENT ? " (is offload_sec.ko loaded and a card bound?)" : "");
		return -1;
	}
	return fd;
}
