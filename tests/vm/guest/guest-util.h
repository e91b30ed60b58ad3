/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the in-guest tests that move the card around (sysfs
 * bind/unbind, module reload, hot-unplug) and watch the driver's events.
 */
#ifndef OFS_GUEST_UTIL_H
#define OFS_GUEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ofs-device.h"
#include "ofs-netlink.h"

#define DRIVER_DIR "/sys/bus/pci/drivers/offload_sec"

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* The PCI address of the card behind /dev/offload-sec, e.g. 0000:00:04.0. */
static inline int card_bdf(char *bdf, size_t size)
{
	char link[PATH_MAX];
	ssize_t n;

	n = readlink("/sys/class/misc/" OFFLOAD_SEC_DEVICE_NAME "/device", link,
		     sizeof(link) - 1);
	if (n <= 0)
		return -errno;
	link[n] = 0;
	snprintf(bdf, size, "%s", strrchr(link, '/') + 1);
	return 0;
}

/* Waits up to secs for the node to exist (want) or be gone (!want). */
/*
 * A session holding something for the card to scrub: the initrd measured
 * from *src (0x3c bytes) and *dest (0xa5 bytes) registered as its
 * destination.  Returns the session fd, or a negative errno after a "#"
 * line naming the step that failed.
 */
static inline int session_with_dest(int dev, struct offload_sec_session_create *sc,
				    uint8_t **src, size_t src_len,
				    uint8_t **dest, size_t dest_len)
{
	struct offload_sec_measure m = {
		.component = OFFLOAD_SEC_COMPONENT_INITRD,
		.flags = OFFLOAD_SEC_MEASURE_FINAL,
	};
	struct offload_sec_set_dest d = { .component = OFFLOAD_SEC_COMPONENT_INITRD };
	int sfd, r;

	sfd = ofs_session_create(dev, sc);
	if (sfd < 0) {
		printf("# SESSION_CREATE: %s\n", strerror(-sfd));
		return sfd;
	}
	*src = mmap(NULL, src_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*dest = mmap(NULL, dest_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*src == MAP_FAILED || *dest == MAP_FAILED) {
		printf("# mmap: %s\n", strerror(errno));
		r = -ENOMEM;
		goto close_session;
	}
	memset(*src, 0x3c, src_len);
	memset(*dest, 0xa5, dest_len);
	m.addr = (uintptr_t)*src;
	m.len = src_len;
	r = ofs_session_measure(sfd, &m);
	if (r) {
		printf("# MEASURE: %s\n", strerror(-r));
		goto close_session;
	}
	d.addr = (uintptr_t)*dest;
	d.len = dest_len;
	r = ofs_session_set_dest(sfd, &d);
	if (r) {
		printf("# SET_DEST: %s, status %u\n", strerror(-r), d.device_status);
		goto close_session;
	}
	return sfd;

close_session:
	close(sfd);
	return r;
}

static inline bool wait_node(bool want, double secs)
{
	double end = now_s() + secs;
	struct stat st;

	for (;;) {
		if ((stat("/dev/" OFFLOAD_SEC_DEVICE_NAME, &st) == 0) == want)
			return true;
		if (now_s() > end)
			return false;
		usleep(50 * 1000);
	}
}

/* The kernel log has no warning, BUG or oops (read without a program). */
static inline int kernel_log_clean(void)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);

	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (strstr(buf, "WARNING:") || strstr(buf, "BUG:") || strstr(buf, "Oops") ||
	    strstr(buf, "Call Trace"))
		return -EIO;
	return 0;
}

/* Events seen so far, for tests that look for a sequence. */
struct event_log {
	struct ofs_nl_event ev[256];
	int n;
};

static inline int log_event(const struct ofs_nl_event *ev, void *arg)
{
	struct event_log *log = arg;

	if (log->n < (int)(sizeof(log->ev) / sizeof(log->ev[0])))
		log->ev[log->n++] = *ev;
	return 0;
}

/*
 * Reads events into log until one with cmd (and, for session events,
 * the session id, if id is not NULL) arrives or secs pass.  Returns its
 * index in log, or -1.
 */
static inline int wait_event(struct ofs_nl_monitor *mon, struct event_log *log,
			     uint8_t cmd, const uint8_t *id, double secs)
{
	double end = now_s() + secs;
	int i = 0;

	for (;;) {
		for (; i < log->n; i++)
			if (log->ev[i].cmd == cmd &&
			    (!id || !memcmp(log->ev[i].session.id, id,
					    OFFLOAD_SEC_SESSION_ID_LEN)))
				return i;
		if (now_s() > end)
			return -1;
		if (ofs_nl_monitor_read(mon, 100, log_event, log) < 0)
			return -1;
	}
}

#endif
