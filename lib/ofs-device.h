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

/*
 * Launch sessions: thin wrappers of the ioctls, the structs as the uapi
 * header documents them.  ofs_session_create() returns the session fd;
 * the others take it.  ofs_device_get_chain() works on either fd.
 */
int ofs_session_create(int fd, struct offload_sec_session_create *sc);
int ofs_device_get_chain(int fd, struct offload_sec_get_chain *gc);
int ofs_session_measure(int sfd, struct offload_sec_measure *m);
int ofs_session_attest(int sfd, struct offload_sec_attest *a);
int ofs_session_confirm(int sfd, struct offload_sec_confirm *c);
int ofs_session_set_dest(int sfd, struct offload_sec_set_dest *d);
int ofs_session_load(int sfd, struct offload_sec_load *l);
int ofs_session_finish(int sfd, struct offload_sec_finish *f);

const char *ofs_device_status_str(uint32_t status);
const char *ofs_capability_name(unsigned int bit);

#endif
