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

/*
 * Returns the session fd (O_CLOEXEC), also left in sc->fd, or a negative
 * errno; sc->device_status says why the device refused.
 */
int ofs_session_create(int fd, struct offload_sec_session_create *sc)
{
	int r = ioctl_errno(fd, OFFLOAD_SEC_IOC_SESSION_CREATE, sc);

	return r < 0 ? r : sc->fd;
}

int ofs_device_get_chain(int fd, struct offload_sec_get_chain *gc)
{
	return ioctl_errno(fd, OFFLOAD_SEC_IOC_GET_CHAIN, gc);
}

int ofs_session_measure(int sfd, struct offload_sec_measure *m)
{
	return ioctl_errno(sfd, OFFLOAD_SEC_IOC_MEASURE, m);
}

int ofs_session_attest(int sfd, struct offload_sec_attest *a)
{
	return ioctl_errno(sfd, OFFLOAD_SEC_IOC_ATTEST, a);
}

int ofs_session_confirm(int sfd, struct offload_sec_confirm *c)
{
	return ioctl_errno(sfd, OFFLOAD_SEC_IOC_CONFIRM, c);
}

int ofs_session_set_dest(int sfd, struct offload_sec_set_dest *d)
{
	return ioctl_errno(sfd, OFFLOAD_SEC_IOC_SET_DEST, d);
}

int ofs_session_load(int sfd, struct offload_sec_load *l)
{
	return ioctl_errno(sfd, OFFLOAD_SEC_IOC_LOAD, l);
}

int ofs_session_finish(int sfd, struct offload_sec_finish *f)
{
	return ioctl_errno(sfd, OFFLOAD_SEC_IOC_FINISH, f);
}
