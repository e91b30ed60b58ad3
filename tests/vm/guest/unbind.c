// SPDX-License-Identifier: MIT
/*
 * The card goes away under open session fds: the driver is unbound from
 * it (what PCI removal does to the driver).  The module must stay loaded
 * while fds are open, remove must end the sessions on the card (scrubbing
 * their destinations) and release the pinned memory, the fds must answer
 * ENODEV and close cleanly, and the card, bound again, must have every
 * session slot free.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest-util.h"
#include "tap.h"

#define SLOTS 64
#define DRIVER DRIVER_DIR

static int dev = -1, sfd = -1;
static char bdf[64];
static uint8_t *dest, *src;
static const size_t dest_len = 16384, src_len = 8192;

static int test_session_with_dest(void)
{
	struct offload_sec_session_create sc = {};

	CHECK(card_bdf(bdf, sizeof(bdf)) == 0, "no PCI device behind the node: %s",
	      strerror(errno));
	sfd = session_with_dest(dev, &sc, &src, src_len, &dest, dest_len);
	CHECK(sfd >= 0, "a session with a destination: %s", strerror(-sfd));
	return 0;
}

static int test_no_unload(void)
{
	long r = syscall(SYS_delete_module, "offload_sec", O_NONBLOCK);

	CHECK(r == -1 && (errno == EWOULDBLOCK || errno == EBUSY),
	      "delete_module with open fds: %ld, %s", r, strerrorname_np(errno));
	return 0;
}

static int test_unbind(void)
{
	struct offload_sec_measure m = { .component = 0 };
	struct offload_sec_get_chain g = {};
	struct offload_sec_info info;
	size_t i;
	int r;

	r = sysfs_write(DRIVER "/unbind", bdf);
	CHECK(r == 0, "unbind %s: %s", bdf, strerror(-r));
	m.addr = (uintptr_t)src;
	m.len = src_len;
	CHECK_ERRNO(ioctl(sfd, OFFLOAD_SEC_IOC_MEASURE, &m), ENODEV);
	CHECK_ERRNO(ioctl(sfd, OFFLOAD_SEC_IOC_GET_CHAIN, &g), ENODEV);
	CHECK(ofs_device_get_info(dev, &info) == -ENODEV, "GET_INFO not ENODEV");
	/* Remove aborted the session while the card was there: scrubbed. */
	for (i = 0; i < dest_len; i++)
		CHECK(dest[i] == 0, "destination byte %zu is %#x after remove", i, dest[i]);
	CHECK(close(sfd) == 0 && close(dev) == 0, "close");
	sfd = dev = -1;
	return 0;
}

static int test_rebind(void)
{
	int fds[SLOTS], i, n, r;

	r = sysfs_write(DRIVER "/bind", bdf);
	CHECK(r == 0, "bind %s: %s", bdf, strerror(-r));
	for (i = 0; i < 50 && dev < 0; i++) {
		dev = ofs_device_open(NULL);
		if (dev < 0)
			usleep(100 * 1000);
	}
	CHECK(dev >= 0, "open after bind: %s", strerror(-dev));
	for (n = 0; n < SLOTS; n++) {
		struct offload_sec_session_create sc = {};

		fds[n] = ofs_session_create(dev, &sc);
		if (fds[n] < 0)
			break;
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	CHECK(n == SLOTS, "only %d free slots after rebind", n);
	return 0;
}

static const struct tap_test tests[] = {
	{ "a session with a destination", test_session_with_dest },
	{ "module cannot be unloaded while fds are open", test_no_unload },
	{ "unbind: session fd gets ENODEV, destination scrubbed, close works", test_unbind },
	{ "bound again: card works, every session slot free", test_rebind },
};

int main(void)
{
	dev = ofs_device_open(NULL);
	if (dev < 0) {
		printf("1..1\nnot ok 1 - unbind: open: %s\n", strerror(-dev));
		return 1;
	}
	return tap_run("unbind", tests, sizeof(tests) / sizeof(tests[0]));
}
