/* SPDX-License-Identifier: MIT */
/*
 * libofs: the driver's generic netlink family "offload_sec" (uapi header,
 * "Generic netlink"): dumps of the cards and their launch sessions, and
 * the events multicast group.  The structs here are the library's own
 * model of what the kernel sends, not the attribute layout.  Every call
 * returns 0 (or a count) or a negative errno; -ENOENT means the family is
 * not registered (offload_sec.ko not loaded).
 */
#ifndef OFS_NETLINK_H
#define OFS_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/offload_sec.h>

struct ofs_nl_device {
	uint32_t index;
	char name[32];
	char pci_addr[32];
	bool has_info;		/* the card answered GET_INFO at probe */
	uint16_t abi_major, abi_minor;
	uint16_t fw_major, fw_minor;
	uint32_t fw_patch;
	uint32_t measurement_regs;
	uint32_t max_sessions;
	uint32_t max_dma_segments;
	uint64_t capabilities;
	char serial[33];
	uint32_t sessions;
	bool broken;
};

struct ofs_nl_session {
	uint32_t device_index;
	uint8_t id[OFFLOAD_SEC_SESSION_ID_LEN];
	uint32_t state;		/* enum offload_sec_session_state */
	uint32_t owner;		/* tgid */
	uint64_t measured[OFFLOAD_SEC_NUM_COMPONENTS];
	uint64_t loaded[OFFLOAD_SEC_NUM_COMPONENTS];
};

struct ofs_nl_event {
	uint8_t cmd;		/* OFFLOAD_SEC_CMD_DEVICE_* or _SESSION_* */
	struct ofs_nl_device device;	/* device events */
	struct ofs_nl_session session;	/* session events */
	uint32_t error;		/* DEVICE_ERROR: enum offload_sec_device_error */
	uint32_t end_reason;	/* SESSION_ENDED: enum offload_sec_end_reason */
};

/* How many times a dump interrupted by a change (NLM_F_DUMP_INTR) is redone. */
#define OFS_NL_DUMP_TRIES 10

/*
 * Every card, into a malloc'd array the caller frees.  -EAGAIN if the
 * cards kept changing for OFS_NL_DUMP_TRIES dumps.
 */
int ofs_nl_dump_devices(struct ofs_nl_device **devs, size_t *n);

/*
 * Every open session, or those of one card if device_index >= 0.
 * ofs_nl_dump_sessions_once() does not retry: -EINTR for a dump that
 * spanned a change.
 */
int ofs_nl_dump_sessions(int64_t device_index, struct ofs_nl_session **sessions,
			 size_t *n);
int ofs_nl_dump_sessions_once(int64_t device_index,
			      struct ofs_nl_session **sessions, size_t *n);

/* A subscription to the events group. */
struct ofs_nl_monitor;

typedef int (*ofs_nl_event_fn)(const struct ofs_nl_event *ev, void *arg);

int ofs_nl_monitor_open(struct ofs_nl_monitor **mon);
void ofs_nl_monitor_close(struct ofs_nl_monitor *mon);
/* For poll(): readable when events are waiting. */
int ofs_nl_monitor_fd(const struct ofs_nl_monitor *mon);
/*
 * Waits up to timeout_ms (-1: forever) for events and hands each to fn;
 * a non-zero return from fn stops the delivery of the rest of the batch.
 * Returns the number of events delivered (0 on timeout), or -errno
 * (-ENOBUFS: the socket overflowed and events were lost).
 */
int ofs_nl_monitor_read(struct ofs_nl_monitor *mon, int timeout_ms,
			ofs_nl_event_fn fn, void *arg);

const char *ofs_nl_session_state_str(uint32_t state);
const char *ofs_nl_event_str(uint8_t cmd);
const char *ofs_nl_end_reason_str(uint32_t reason);
const char *ofs_nl_device_error_str(uint32_t error);

#endif
