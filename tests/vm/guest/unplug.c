// SPDX-License-Identifier: MIT
/*
 * PCI hot-unplug of the card with a session open: the harness sends QEMU
 * device_del for the card when it sees our marker, QEMU asks the guest to
 * eject it (ACPI), the guest removes the driver from it, then the device
 * goes.  The session must be ended on the card before it goes (its
 * destination scrubbed), its fd must answer ENODEV and close cleanly, the
 * events must say what happened, and the module must unload afterwards.
 *
 * Destructive: it runs in a VM boot of its own (tests/vm/run --suite unplug),
 * and after the unplug it opens nothing on the 9p root (QEMU 7.2 would
 * reuse the card's closed eventfd numbers and crash; docs/testing.md).
 */
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "guest-util.h"
#include "tap.h"

static int dev = -1, sfd = -1;
static char bdf[64];
static uint8_t *dest, *src;
static const size_t dest_len = 16384, src_len = 8192;
static uint8_t session_id[OFFLOAD_SEC_SESSION_ID_LEN];
static struct ofs_nl_monitor *mon;
static struct event_log events;

static int test_session_open(void)
{
	struct offload_sec_session_create sc = {};
	int r;

	CHECK(card_bdf(bdf, sizeof(bdf)) == 0, "no PCI device behind the node");
	r = ofs_nl_monitor_open(&mon);
	CHECK(r == 0, "subscribe: %s", strerror(-r));
	sfd = session_with_dest(dev, &sc, &src, src_len, &dest, dest_len);
	CHECK(sfd >= 0, "a session with a destination: %s", strerror(-sfd));
	memcpy(session_id, sc.session_id, sizeof(session_id));
	return 0;
}

static int test_unplug(void)
{
	char path[128];
	double t0 = now_s();
	struct stat st;

	printf("# unplugging %s\n@@harness: unplug-card@@\n", bdf);
	fflush(stdout);
	CHECK(wait_node(false, 30), "/dev/%s still there after 30 s",
	      OFFLOAD_SEC_DEVICE_NAME);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	while (stat(path, &st) == 0 && now_s() - t0 < 30)
		usleep(50 * 1000);
	CHECK(stat(path, &st) != 0, "%s still there after 30 s", path);
	printf("# card gone after %.2f s\n", now_s() - t0);
	return 0;
}

static int test_fds_after(void)
{
	struct offload_sec_measure m = { .component = 0 };
	struct offload_sec_info info;
	size_t i;

	m.addr = (uintptr_t)src;
	m.len = src_len;
	CHECK_ERRNO(ioctl(sfd, OFFLOAD_SEC_IOC_MEASURE, &m), ENODEV);
	CHECK(ofs_device_get_info(dev, &info) == -ENODEV, "GET_INFO not ENODEV");
	/* Remove aborted the session while the card was still there. */
	for (i = 0; i < dest_len; i++)
		CHECK(dest[i] == 0, "destination byte %zu is %#x after unplug", i, dest[i]);
	CHECK(close(sfd) == 0 && close(dev) == 0, "close");
	sfd = dev = -1;
	return 0;
}

static int test_events(void)
{
	int removed, ended;

	removed = wait_event(mon, &events, OFFLOAD_SEC_CMD_DEVICE_REMOVED, NULL, 5);
	CHECK(removed >= 0, "no device-removed event (%d events)", events.n);
	CHECK(!strcmp(events.ev[removed].device.pci_addr, bdf), "removed %s, not %s",
	      events.ev[removed].device.pci_addr, bdf);
	ended = wait_event(mon, &events, OFFLOAD_SEC_CMD_SESSION_ENDED, session_id, 5);
	CHECK(ended >= 0, "no session-ended event");
	CHECK(events.ev[ended].end_reason == OFFLOAD_SEC_END_DEVICE_REMOVED,
	      "end reason %u", events.ev[ended].end_reason);
	return 0;
}

static int test_dumps_empty(void)
{
	struct ofs_nl_device *devs;
	struct ofs_nl_session *ss;
	size_t n;
	int r;

	r = ofs_nl_dump_devices(&devs, &n);
	CHECK(r == 0, "device dump: %s", strerror(-r));
	free(devs);
	CHECK(n == 0, "%zu devices listed after unplug", n);
	r = ofs_nl_dump_sessions(-1, &ss, &n);
	CHECK(r == 0, "session dump: %s", strerror(-r));
	free(ss);
	CHECK(n == 0, "%zu sessions listed after unplug", n);
	return 0;
}

static int test_unload(void)
{
	long r;

	ofs_nl_monitor_close(mon);
	mon = NULL;
	r = syscall(SYS_delete_module, "offload_sec", O_NONBLOCK);
	CHECK(r == 0, "delete_module: %s", strerror(errno));
	return 0;
}

static int test_kernel_log(void)
{
	int r = kernel_log_clean();

	CHECK(r == 0, "kernel log: %s", r == -EIO ? "a warning, BUG or oops" : strerror(-r));
	return 0;
}

static const struct tap_test tests[] = {
	{ "a session with a destination, events subscribed", test_session_open },
	{ "device_del: the card and its node go away", test_unplug },
	{ "fds get ENODEV, destination scrubbed, close works", test_fds_after },
	{ "events: device removed, session ended (device-removed)", test_events },
	{ "dumps list no card and no session", test_dumps_empty },
	{ "the module unloads", test_unload },
	{ "kernel log: no warning, BUG or oops", test_kernel_log },
};

int main(void)
{
	dev = ofs_device_open(NULL);
	if (dev < 0) {
		printf("1..1\nnot ok 1 - unplug: open: %s\n", strerror(-dev));
		return 1;
	}
	return tap_run("unplug", tests, sizeof(tests) / sizeof(tests[0]));
}
