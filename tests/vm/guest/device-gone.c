// SPDX-License-Identifier: MIT
/*
 * The card stops answering: the harness kills the device model when it
 * sees our marker.  The waiting ioctl must fail with ETIMEDOUT within the
 * driver's mailbox timeout, and every later command with EIO at once.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ofs-device.h"
#include "tap.h"

static int dev = -1;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

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

static int test_alive_before(void)
{
	struct offload_sec_info info;
	int r = ofs_device_get_info(dev, &info);

	CHECK(r == 0, "GET_INFO before: %s", strerror(-r));
	return 0;
}

static int test_timeout(void)
{
	unsigned int ms = timeout_ms();
	struct offload_sec_info info;
	double t0, waited;
	int r;

	CHECK(ms > 0, "cannot read mbox_timeout_ms");
	printf("@@harness: kill-model@@\n");
	fflush(stdout);
	sleep(2);

	t0 = now();
	r = ofs_device_get_info(dev, &info);
	waited = now() - t0;
	printf("# waited %.2f s (timeout %u ms)\n", waited, ms);
	CHECK(r == -ETIMEDOUT, "got %s", r ? strerror(-r) : "success");
	CHECK(info.device_status == OFFLOAD_SEC_DS_NO_RESPONSE, "status %u",
	      info.device_status);
	CHECK(waited < ms / 1000.0 + 2, "waited %.2f s", waited);
	return 0;
}

static int test_dead_after(void)
{
	struct offload_sec_dma_selftest st = {};
	struct offload_sec_info info;
	double t0 = now();
	int r = ofs_device_get_info(dev, &info);

	CHECK(r == -EIO, "GET_INFO after: %s", r ? strerror(-r) : "success");
	r = ofs_device_dma_selftest(dev, &st);
	CHECK(r == -EIO, "DMA_SELFTEST after: %s", r ? strerror(-r) : "success");
	CHECK(now() - t0 < 0.5, "failing took %.2f s", now() - t0);
	return 0;
}

static int test_open_close(void)
{
	int fd = ofs_device_open(NULL);

	CHECK(fd >= 0, "open after death: %s", strerror(-fd));
	close(fd);
	return 0;
}

static const struct tap_test tests[] = {
	{ "card answers before the model stops", test_alive_before },
	{ "model killed: waiting call fails ETIMEDOUT within the timeout", test_timeout },
	{ "later calls fail EIO at once", test_dead_after },
	{ "open and close still work", test_open_close },
};

int main(void)
{
	dev = ofs_device_open(NULL);
	if (dev < 0) {
		printf("1..1\nnot ok 1 - device-gone: open: %s\n", strerror(-dev));
		return 1;
	}
	return tap_run("device-gone", tests, sizeof(tests) / sizeof(tests[0]));
}
