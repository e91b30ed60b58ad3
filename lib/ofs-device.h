/* SPDX-License-Identifier: MIT */
/*
 * libofs: user-space access to the offload-sec device node.  Shared by the
 * CLI, the daemon and the tests; every call returns 0 or a negative errno.
 */
#ifndef OFS_DEVICE_H
#define OFS_DEVICE_H

#include <stdint.h>
#include <linux/offload_sec.h>

#define OFS_DEVICE_PATH "/dev/" OFFLOAD_SEC_DEVICE_NAME

int ofs_device_open(const char *path);
int ofs_device_get_info(int fd, struct offload_sec_info *info);
int ofs_device_dma_selftest(int fd, struct offload_sec_dma_selftest *st);

const char *ofs_device_status_str(uint32_t status);
const char *ofs_capability_name(unsigned int bit);

#endif
