// SPDX-License-Identifier: MIT
/*
 * Lifetime: hundreds of sessions (created, measured, given a destination,
 * closed so that the driver ABORTs them) leave no slab objects, pinned
 * pages or free memory behind; the module unloads and loads again, five
 * times, with the card working after each round and the netlink family
 * coming and going with it.
 *
 * Leaks are measured, not guessed: /proc/slabinfo per cache, the pin
 * counters in /proc/vmstat (every pin_user_pages() must be unpinned) and
 * /proc/meminfo, compared around rounds of sessions after a warm-up.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "guest-util.h"
#include "tap.h"

#define ROUND 200
#define MAX_CACHES 512

static int dev = -1;

struct snapshot {
	int n;
	char name[MAX_CACHES][64];
	long objs[MAX_CACHES];
	long per_slab[MAX_CACHES];	/* objects in one slab: the counters' step */
	long pins;		/* nr_foll_pin_acquired - nr_foll_pin_released */
	long mem_free_kb, slab_kb;
};

static long meminfo_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			v = atol(line + strlen(key) + 1);
	if (f)
		fclose(f);
	return v;
}

static long vmstat(const char *key)
{
	char name[128];
	long v, r = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	while (f && fscanf(f, "%127s %ld", name, &v) == 2)
		if (!strcmp(name, key))
			r = v;
	if (f)
		fclose(f);
	return r;
}

static void snap(struct snapshot *s)
{
	char line[512];
	FILE *f = fopen("/proc/slabinfo", "r");

	memset(s, 0, sizeof(*s));
	while (f && fgets(line, sizeof(line), f) && s->n < MAX_CACHES) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %ld %*d %*d %ld", s->name[s->n], &s->objs[s->n],
			   &s->per_slab[s->n]) == 3)
			s->n++;
	}
	if (f)
		fclose(f);
	s->pins = vmstat("nr_foll_pin_acquired") - vmstat("nr_foll_pin_released");
	s->mem_free_kb = meminfo_kb("MemFree");
	s->slab_kb = meminfo_kb("SUnreclaim");
}

static long objs_of(const struct snapshot *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return s->objs[i];
	return 0;
}

static int one_session(uint8_t *src, size_t src_len, uint8_t *dest, size_t dest_len)
{
	struct offload_sec_session_create sc = {};
	struct offload_sec_measure m = { .component = 1, .flags = OFFLOAD_SEC_MEASURE_FINAL };
	struct offload_sec_set_dest d = { .component = 1 };
	int sfd, r;

	sfd = ofs_session_create(dev, &sc);
	if (sfd < 0)
		return sfd;
	m.addr = (uintptr_t)src;
	m.len = src_len;
	r = ofs_session_measure(sfd, &m);
	if (!r) {
		d.addr = (uintptr_t)dest;
		d.len = dest_len;
		r = ofs_session_set_dest(sfd, &d);
	}
	close(sfd);
	return r;
}

static int sessions(int n)
{
	static const size_t src_len = 64 << 10, dest_len = 64 << 10;
	static uint8_t *src, *dest;
	int i, r;

	if (!src) {
		src = mmap(NULL, src_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		dest = mmap(NULL, dest_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (src == MAP_FAILED || dest == MAP_FAILED)
			return -ENOMEM;
		memset(src, 0x11, src_len);
		memset(dest, 0x22, dest_len);
	}
	for (i = 0; i < n; i++) {
		r = one_session(src, src_len, dest, dest_len);
		if (r)
			return r;
	}
	return 0;
}

/*
 * A cache that grew by at least half an object per session in each of two
 * rounds leaks; one round alone may be a cache warming up.  The counters
 * move a whole slab at a time (a new slab on another CPU counts all its
 * objects), so growth of one slab or less is not a leak.
 */
static int test_session_leaks(void)
{
	static struct snapshot s0, s1, s2;
	int i, r, leaks = 0;
	double t0;

	r = sessions(ROUND);
	CHECK(r == 0, "warm-up: %s", strerror(-r));
	snap(&s0);
	CHECK(s0.n > 0, "no /proc/slabinfo");
	t0 = now_s();
	r = sessions(ROUND);
	CHECK(r == 0, "round 1: %s", strerror(-r));
	snap(&s1);
	r = sessions(ROUND);
	CHECK(r == 0, "round 2: %s", strerror(-r));
	snap(&s2);
	printf("# %d sessions in %.2f s; MemFree %+ld kB, SUnreclaim %+ld kB, pins %+ld\n",
	       2 * ROUND, now_s() - t0, s2.mem_free_kb - s0.mem_free_kb,
	       s2.slab_kb - s0.slab_kb, s2.pins - s0.pins);
	for (i = 0; i < s2.n; i++) {
		long d1 = objs_of(&s1, s2.name[i]) - objs_of(&s0, s2.name[i]);
		long d2 = s2.objs[i] - objs_of(&s1, s2.name[i]);

		long step = s2.per_slab[i];

		if (d1 >= ROUND / 2 && d2 >= ROUND / 2 && d1 > step && d2 > step) {
			printf("# %s: +%ld, +%ld objects\n", s2.name[i], d1, d2);
			leaks++;
		}
	}
	CHECK(!leaks, "%d slab caches grow with every session", leaks);
	/*
	 * The pin counters are per-CPU batched, so /proc/vmstat is off by a
	 * few dozen; one leaked pin per session would be hundreds.
	 */
	CHECK(labs(s2.pins - s0.pins) < ROUND / 4, "%ld pinned pages not released",
	      s2.pins - s0.pins);
	/* 64 KiB pinned per session would be 25 MiB. */
	CHECK(s0.mem_free_kb - s2.mem_free_kb < 4096, "MemFree fell by %ld kB",
	      s0.mem_free_kb - s2.mem_free_kb);
	CHECK(s2.slab_kb - s0.slab_kb < 1024, "SUnreclaim grew by %ld kB",
	      s2.slab_kb - s0.slab_kb);
	return 0;
}

static char module_path[4096];
static char timeout_param[64];

static int find_module(void)
{
	const char *top = getenv("OFS_TOP");
	char exe[2048], *p;
	ssize_t n;

	if (top) {
		snprintf(module_path, sizeof(module_path), "%s/kernel/offload_sec.ko", top);
		return 0;
	}
	/* $TOP/build/tests/vm/lifetime */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -errno;
	exe[n] = 0;
	p = strstr(exe, "/build/tests/vm/");
	if (!p)
		return -ENOENT;
	*p = 0;
	snprintf(module_path, sizeof(module_path), "%s/kernel/offload_sec.ko", exe);
	return 0;
}

static int reload_round(int round)
{
	struct ofs_nl_device *devs;
	struct offload_sec_info info;
	size_t n;
	int fd, r;

	r = syscall(SYS_delete_module, "offload_sec", O_NONBLOCK);
	CHECK(r == 0, "round %d: delete_module: %s", round, strerror(errno));
	CHECK(access("/sys/module/offload_sec", F_OK) != 0, "still in /sys/module");
	CHECK(ofs_nl_dump_devices(&devs, &n) == -ENOENT, "family still registered");
	fd = open(module_path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "%s: %s", module_path, strerror(errno));
	r = syscall(SYS_finit_module, fd, timeout_param, 0);
	close(fd);
	CHECK(r == 0, "round %d: finit_module: %s", round, strerror(errno));
	r = sysfs_write(DRIVER_DIR "/new_id", "1af4 1110");
	CHECK(r == 0, "new_id: %s", strerror(-r));
	CHECK(wait_node(true, 5), "round %d: no node after bind", round);
	dev = ofs_device_open(NULL);
	CHECK(dev >= 0, "open: %s", strerror(-dev));
	r = ofs_device_get_info(dev, &info);
	close(dev);
	dev = -1;
	CHECK(r == 0, "round %d: GET_INFO: %s", round, strerror(-r));
	r = ofs_nl_dump_devices(&devs, &n);
	free(devs);
	CHECK(r == 0 && n == 1, "round %d: dump: %d, %zu devices", round, r, n);
	return 0;
}

static int test_reload(void)
{
	long free0, free1;
	FILE *f;
	int round;
	unsigned int ms = 0;

	CHECK(find_module() == 0, "cannot find offload_sec.ko");
	f = fopen("/sys/module/offload_sec/parameters/mbox_timeout_ms", "r");
	CHECK(f && fscanf(f, "%u", &ms) == 1, "mbox_timeout_ms");
	fclose(f);
	snprintf(timeout_param, sizeof(timeout_param), "mbox_timeout_ms=%u", ms);
	close(dev);
	dev = -1;
	free0 = meminfo_kb("MemFree");
	for (round = 1; round <= 5; round++)
		if (reload_round(round))
			return 1;
	free1 = meminfo_kb("MemFree");
	printf("# 5 reloads: MemFree %+ld kB\n", free1 - free0);
	CHECK(free0 - free1 < 8192, "MemFree fell by %ld kB", free0 - free1);
	dev = ofs_device_open(NULL);
	CHECK(dev >= 0, "open: %s", strerror(-dev));
	return 0;
}

static int test_sessions_after_reload(void)
{
	int r = sessions(10);

	CHECK(r == 0, "sessions after reload: %s", strerror(-r));
	return 0;
}

static const struct tap_test tests[] = {
	{ "sessions leak no slab objects, pins or memory", test_session_leaks },
	{ "rmmod/insmod x5: card bound and answering each time", test_reload },
	{ "sessions work after the reloads", test_sessions_after_reload },
};

int main(void)
{
	dev = ofs_device_open(NULL);
	if (dev < 0) {
		printf("1..1\nnot ok 1 - lifetime: open: %s\n", strerror(-dev));
		return 1;
	}
	return tap_run("lifetime", tests, sizeof(tests) / sizeof(tests[0]));
}
