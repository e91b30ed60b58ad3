// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>

#include "ofs-device.h"

int ofs_device_open(const char *path)
{
	int fd = open(path ? path : OFS_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int ioctl_errno(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

int ofs_device_get_info(int fd, struct offload_sec_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl_errno(fd, OFFLOAD_SEC_IOC_GET_INFO, info);
}

int ofs_device_dma_selftest(int fd, struct offload_sec_dma_selftest *st)
{
	return ioctl_errno(fd, OFFLOAD_SEC_IOC_DMA_SELFTEST, st);
}
