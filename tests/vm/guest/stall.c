// SPDX-License-Identifier: MIT
/*
 * The card stalls: the harness stops the device model (SIGSTOP) when it
 * sees our marker.  A session command must fail with ETIMEDOUT (status
 * NO_RESPONSE) within the mailbox timeout, every later call with EIO at
 * once, the session fd must close cleanly, and netlink must report the
 * timeout and the broken card.  Then the model continues and the card is
 * bound again, so that device-gone after us finds a working card.
 *
 * The stalled command is a MEASURE: the card only reads its pages.  A
 * stalled model that wakes up later may still DMA for the request it
 * missed, and the emulated card cannot be cut off the bus as a real one
 * can (the model maps guest RAM directly), so the test never lets it
 * write into memory that has been given back.
 *
 * Late: the model keeps the timed-out session's slot, so no test that
 * needs every slot may follow.
 */
#include <stdlib.h>
#include <sys/ioctl.h>

#include "guest-util.h"
#include "tap.h"

static int dev = -1, sfd = -1;
static struct ofs_nl_monitor *mon;
static struct event_log events;
static uint8_t buf[8192];

static unsigned int timeout_ms(void)
{
	FILE *f = fopen("/sys/module/offload_sec/parameters/mbox_timeout_ms", "r");
	unsigned int ms = 0;

	if (f) {
		if (fscanf(f, "%u", &ms) != 1)
			ms = 0;
		fclose(f);
	}
	return ms;
}

static int measure(struct offload_sec_measure *m)
{
	memset(m, 0, sizeof(*m));
	m->addr = (uintptr_t)buf;
	m->len = sizeof(buf);
	return ofs_session_measure(sfd, m);
}

static int test_before(void)
{
	struct offload_sec_session_create sc = {};
	struct offload_sec_measure m;
	int r;

	r = ofs_nl_monitor_open(&mon);
	CHECK(r == 0, "subscribe: %s", strerror(-r));
	sfd = ofs_session_create(dev, &sc);
	CHECK(sfd >= 0, "SESSION_CREATE: %s", strerror(-sfd));
	r = measure(&m);
	CHECK(r == 0, "MEASURE: %s", strerror(-r));
	return 0;
}

static int test_timeout(void)
{
	unsigned int ms = timeout_ms();
	struct offload_sec_measure m;
	double t0, waited;
	int r, k;

	CHECK(ms > 0, "cannot read mbox_timeout_ms");
	printf("@@harness: stop-model@@\n");
	fflush(stdout);
	sleep(1);
	t0 = now_s();
	r = measure(&m);
	waited = now_s() - t0;
	printf("# waited %.2f s (timeout %u ms)\n", waited, ms);
	CHECK(r == -ETIMEDOUT, "got %s", r ? strerror(-r) : "success");
	CHECK(m.device_status == OFFLOAD_SEC_DS_NO_RESPONSE, "status %u", m.device_status);
	CHECK(waited < ms / 1000.0 + 2, "waited %.2f s", waited);
	k = wait_event(mon, &events, OFFLOAD_SEC_CMD_DEVICE_ERROR, NULL, 2);
	CHECK(k >= 0, "no device-error event");
	CHECK(events.ev[k].error == OFFLOAD_SEC_ERR_TIMEOUT && events.ev[k].device.broken,
	      "error %u, broken %d", events.ev[k].error, events.ev[k].device.broken);
	return 0;
}

static int test_eio_after(void)
{
	struct ofs_nl_device *devs;
	struct offload_sec_measure m;
	struct offload_sec_info info;
	double t0 = now_s();
	size_t n;
	int r;

	r = measure(&m);
	CHECK(r == -EIO, "MEASURE after: %s", r ? strerror(-r) : "success");
	r = ofs_device_get_info(dev, &info);
	CHECK(r == -EIO, "GET_INFO after: %s", r ? strerror(-r) : "success");
	CHECK(now_s() - t0 < 0.5, "failing took %.2f s", now_s() - t0);
	r = ofs_nl_dump_devices(&devs, &n);
	CHECK(r == 0 && n == 1, "dump: %d, %zu", r, n);
	CHECK(devs[0].broken, "dump does not say broken");
	free(devs);
	return 0;
}

static int test_close(void)
{
	struct ofs_nl_session *ss;
	double t0 = now_s();
	size_t n;
	int r, k;

	CHECK(close(sfd) == 0, "close: %s", strerror(errno));
	sfd = -1;
	CHECK(now_s() - t0 < 0.5, "close took %.2f s", now_s() - t0);
	k = wait_event(mon, &events, OFFLOAD_SEC_CMD_SESSION_ENDED, NULL, 2);
	CHECK(k >= 0, "no session-ended event");
	r = ofs_nl_dump_sessions(-1, &ss, &n);
	free(ss);
	CHECK(r == 0 && n == 0, "dump: %d, %zu sessions", r, n);
	return 0;
}

static int test_rebind(void)
{
	struct offload_sec_info info;
	char bdf[64];
	int r;

	CHECK(card_bdf(bdf, sizeof(bdf)) == 0, "no PCI device behind the node");
	printf("@@harness: cont-model@@\n");
	fflush(stdout);
	sleep(1);
	close(dev);
	dev = -1;
	r = sysfs_write(DRIVER_DIR "/unbind", bdf);
	CHECK(r == 0, "unbind: %s", strerror(-r));
	r = sysfs_write(DRIVER_DIR "/bind", bdf);
	CHECK(r == 0, "bind: %s", strerror(-r));
	CHECK(wait_node(true, 5), "no node after bind");
	dev = ofs_device_open(NULL);
	CHECK(dev >= 0, "open: %s", strerror(-dev));
	r = ofs_device_get_info(dev, &info);
	CHECK(r == 0, "GET_INFO after rebind: %s", strerror(-r));
	return 0;
}

static const struct tap_test tests[] = {
	{ "a session measures before the stall", test_before },
	{ "model stopped: MEASURE fails ETIMEDOUT, netlink says timeout", test_timeout },
	{ "later calls fail EIO at once, dump says broken", test_eio_after },
	{ "the session fd closes at once and is announced ended", test_close },
	{ "model continued, card rebound: it answers again", test_rebind },
};

int main(void)
{
	int r;

	dev = ofs_device_open(NULL);
	if (dev < 0) {
		printf("1..1\nnot ok 1 - stall: open: %s\n", strerror(-dev));
		return 1;
	}
	r = tap_run("stall", tests, sizeof(tests) / sizeof(tests[0]));
	ofs_nl_monitor_close(mon);
	return r;
}
