// SPDX-License-Identifier: MIT
/*
 * The device as the handlers see it: what outlives one command (identity,
 * session table) and the clock.  The clock is a function so that tests
 * can put a confirmation's validity window anywhere they like.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "emu.h"

uint64_t emu_clock_realtime(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec;
}

uint64_t emu_device_now(const struct emu_device *dev)
{
	if (!dev->clock)
		return emu_clock_realtime(NULL);
	return dev->clock(dev->clock_ctx);
}

int emu_device_init(struct emu_device *dev, const char *serial,
		    const struct emu_identity *id)
{
	memset(dev, 0, sizeof(*dev));
	dev->serial = serial;
	dev->id = id;
	dev->clock = emu_clock_realtime;
	return emu_sessions_new(&dev->sessions);
}

void emu_device_release(struct emu_device *dev)
{
	if (dev->sessions) {
		emu_sessions_abort_all(dev);
		emu_sessions_free(dev->sessions);
	}
	dev->sessions = NULL;
}
