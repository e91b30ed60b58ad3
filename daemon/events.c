// SPDX-License-Identifier: MIT
/*
 * The driver's netlink events, on the loop.  A card that goes away, or
 * that the driver disables, fails the launches running on it at once
 * instead of at their next device call.  The family exists only while
 * offload_sec.ko is loaded: without it, a timer tries again every few
 * seconds, and after a card is removed the family is checked again in
 * case the module went with it (its groups are then gone for good and
 * must be joined anew when it comes back).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/epoll.h>

#include "ofs-netlink.h"
#include "secd.h"

#define RETRY_USEC	(5ULL * 1000000)

struct secd_events {
	sd_event *event;
	struct secd_manager *manager;
	struct ofs_nl_monitor *mon;
	sd_event_source *io;
	sd_event_source *retry;
	bool absent_logged;
};

static int on_event(const struct ofs_nl_event *e, void *userdata)
{
	struct secd_events *ev = userdata;
	const struct ofs_nl_device *d = &e->device;

	switch (e->cmd) {
	case OFFLOAD_SEC_CMD_DEVICE_ADDED:
		secd_log(NULL, LOG_INFO, "card %s added (%s, serial %s)", d->name,
			 d->pci_addr, d->serial[0] ? d->serial : "unknown");
		break;
	case OFFLOAD_SEC_CMD_DEVICE_REMOVED:
		secd_log(NULL, LOG_WARNING, "card %s (%s) removed: failing its "
			 "launches", d->name, d->pci_addr);
		secd_manager_device_gone(ev->manager, d->name);
		/* If the module went with it, the family did too. */
		sd_event_source_set_time_relative(ev->retry, RETRY_USEC);
		sd_event_source_set_enabled(ev->retry, SD_EVENT_ONESHOT);
		break;
	case OFFLOAD_SEC_CMD_DEVICE_ERROR:
		secd_log(NULL, d->broken ? LOG_ERR : LOG_WARNING,
			 "card %s (%s) error: %s%s", d->name, d->pci_addr,
			 ofs_nl_device_error_str(e->error),
			 d->broken ? "; the driver disabled it, failing its "
			 "launches" : "");
		if (d->broken)
			secd_manager_device_gone(ev->manager, d->name);
		break;
	default:
		break;	/* session events: the launches see their own */
	}
	return 0;
}

static void stop_monitor(struct secd_events *ev)
{
	ev->io = sd_event_source_disable_unref(ev->io);
	ofs_nl_monitor_close(ev->mon);
	ev->mon = NULL;
}

static void retry_later(struct secd_events *ev)
{
	sd_event_source_set_time_relative(ev->retry, RETRY_USEC);
	sd_event_source_set_enabled(ev->retry, SD_EVENT_ONESHOT);
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents,
		       void *userdata)
{
	struct secd_events *ev = userdata;
	int r;

	r = ofs_nl_monitor_read(ev->mon, 0, on_event, ev);
	if (r == -ENOBUFS) {
		secd_log(NULL, LOG_WARNING, "netlink events were lost (socket "
			 "overflow); a launch on a card removed meanwhile fails "
			 "at its next device call");
		return 0;
	}
	if (r >= 0 || r == -EAGAIN || r == -EINTR)
		return 0;
	secd_log(NULL, LOG_WARNING, "netlink events: %s; subscribing again",
		 strerror(-r));
	stop_monitor(ev);
	retry_later(ev);
	return 0;
}

static int subscribe(struct secd_events *ev)
{
	int r;

	r = ofs_nl_monitor_open(&ev->mon);
	if (r == -ENOENT) {
		if (!ev->absent_logged)
			secd_log(NULL, LOG_WARNING, "the offload_sec netlink "
				 "family is absent (module not loaded); "
				 "retrying every %llu s", RETRY_USEC / 1000000);
		ev->absent_logged = true;
		retry_later(ev);
		return 0;
	}
	if (r < 0) {
		secd_log(NULL, LOG_ERR, "cannot follow the driver's netlink "
			 "events: %s", strerror(-r));
		return r;
	}
	r = sd_event_add_io(ev->event, &ev->io, ofs_nl_monitor_fd(ev->mon),
			    EPOLLIN, on_readable, ev);
	if (r < 0) {
		ofs_nl_monitor_close(ev->mon);
		ev->mon = NULL;
		return r;
	}
	if (ev->absent_logged)
		secd_log(NULL, LOG_INFO, "the offload_sec netlink family is "
			 "back: following its events");
	ev->absent_logged = false;
	return 0;
}

/* Still subscribed after a removal?  The module may have been unloaded. */
static bool family_gone(void)
{
	struct ofs_nl_device *devs = NULL;
	size_t n = 0;
	int r;

	r = ofs_nl_dump_devices(&devs, &n);
	free(devs);
	return r == -ENOENT;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct secd_events *ev = userdata;
	int r;

	if (ev->mon && !family_gone())
		return 0;
	if (ev->mon) {
		stop_monitor(ev);
		secd_log(NULL, LOG_WARNING, "the offload_sec module was "
			 "unloaded; waiting for it to come back");
		ev->absent_logged = true;
	}
	r = subscribe(ev);
	if (r < 0)
		retry_later(ev);	/* transient (memory, sockets): again */
	return 0;
}

int secd_events_start(sd_event *event, struct secd_manager *m,
		      struct secd_events **out)
{
	struct secd_events *ev = calloc(1, sizeof(*ev));
	int r;

	if (!ev)
		return -ENOMEM;
	ev->event = sd_event_ref(event);
	ev->manager = m;
	r = sd_event_add_time_relative(event, &ev->retry, CLOCK_MONOTONIC,
				       RETRY_USEC, 0, on_retry, ev);
	if (r < 0)
		goto free_events;
	sd_event_source_set_enabled(ev->retry, SD_EVENT_OFF);
	r = subscribe(ev);
	if (r < 0)
		goto free_events;
	*out = ev;
	return 0;

free_events:
	secd_events_free(ev);
	return r;
}

void secd_events_free(struct secd_events *ev)
{
	if (!ev)
		return;
	stop_monitor(ev);
	sd_event_source_disable_unref(ev->retry);
	sd_event_unref(ev->event);
	free(ev);
}
