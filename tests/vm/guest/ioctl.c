// SPDX-License-Identifier: MIT
/*
 * /dev/offload-sec ioctls against the emulated card: GET_INFO, the DMA
 * self-test on page-scattered multi-megabyte buffers checked byte for
 * byte, and every kind of bad input the ABI promises to refuse.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>
#include <openssl/sha.h>

#include "ofs-device.h"
#include "ofs-selftest.h"
#include "tap.h"

static int dev = -1;

/* Page-backed memory with THP off, so that it really is scattered. */
static uint8_t *map_pages(size_t len)
{
	uint8_t *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len ? len : 1, MADV_NOHUGEPAGE);
	return p;
}

static void fill_random(uint8_t *p, size_t len)
{
	uint64_t x = 0x243f6a8885a308d3ULL;
	size_t i;

	/* A fixed seed is fine too; variety only widens coverage. */
	if (getrandom(&x, sizeof(x), 0) != sizeof(x))
		x = 0x243f6a8885a308d3ULL;
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

static int selftest(size_t src_len, size_t src_off, size_t dst_len, size_t dst_off)
{
	const size_t guard = 4096;
	size_t src_map = src_len + src_off + guard, dst_map = dst_len + dst_off + 2 * guard;
	uint8_t *src = map_pages(src_map), *dst = map_pages(dst_map);
	uint8_t want[SHA256_DIGEST_LENGTH];
	struct offload_sec_dma_selftest st = {};
	size_t bad, i;
	int r;

	CHECK(src && dst, "mmap failed");
	fill_random(src, src_map);
	memset(dst, 0xa5, dst_map);
	SHA256(src + src_off, src_len, want);

	st.src = (uintptr_t)(src + src_off);
	st.src_len = src_len;
	st.dst = (uintptr_t)(dst + guard + dst_off);
	st.dst_len = dst_len;
	st.seed = 0x0ff10ad5ecULL + src_len;
	r = ofs_device_dma_selftest(dev, &st);
	CHECK(r == 0, "DMA_SELFTEST: %s, device status %u", strerror(-r), st.device_status);
	CHECK(st.device_status == OFFLOAD_SEC_DS_OK, "device status %u", st.device_status);
	CHECK(!memcmp(st.src_sha256, want, sizeof(want)), "digest differs from SHA-256 of src");
	bad = ofs_selftest_mismatch(st.seed, dst + guard + dst_off, dst_len);
	CHECK(!bad, "dst byte %zu differs from the pattern", bad - 1);
	for (i = 0; i < guard + dst_off; i++)
		CHECK(dst[i] == 0xa5, "device wrote before dst, at -%zu", guard + dst_off - i);
	for (i = guard + dst_off + dst_len; i < dst_map; i++)
		CHECK(dst[i] == 0xa5, "device wrote past dst, at +%zu", i - guard - dst_off - dst_len);
	munmap(src, src_map);
	munmap(dst, dst_map);
	return 0;
}

static int test_info(void)
{
	struct offload_sec_info info;
	int r = ofs_device_get_info(dev, &info);

	CHECK(r == 0, "GET_INFO: %s", strerror(-r));
	CHECK(info.device_status == OFFLOAD_SEC_DS_OK, "status %u", info.device_status);
	CHECK(info.abi_major == 1, "abi_major %u", info.abi_major);
	CHECK((info.capabilities & OFFLOAD_SEC_CAP_DMA_SELFTEST) &&
	      (info.capabilities & OFFLOAD_SEC_CAP_LAUNCH_SESSIONS), "caps %llx",
	      (unsigned long long)info.capabilities);
	CHECK(info.num_measurement_regs > 0, "no measurement registers");
	CHECK(info.max_sessions >= 64, "max_sessions %u", info.max_sessions);
	CHECK(info.serial[0] && memchr(info.serial, 0, sizeof(info.serial)),
	      "serial empty or not NUL-terminated");
	return 0;
}

static int test_dma_page(void) { return selftest(4096, 0, 4096, 0); }
static int test_dma_unaligned(void) { return selftest(3 * 4096 + 5, 123, 2 * 4096 + 11, 4001); }
static int test_dma_16m_scattered(void) { return selftest(16 << 20, 7, 16 << 20, 3); }
static int test_dma_max(void)
{
	return selftest(OFFLOAD_SEC_DMA_SELFTEST_MAX, 0, OFFLOAD_SEC_DMA_SELFTEST_MAX, 0);
}

static int test_dma_empty(void)
{
	static const uint8_t empty_sha256[] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8,
		0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
		0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};
	struct offload_sec_dma_selftest st = {};
	int r = ofs_device_dma_selftest(dev, &st);

	CHECK(r == 0, "empty DMA_SELFTEST: %s", strerror(-r));
	CHECK(!memcmp(st.src_sha256, empty_sha256, 32), "wrong digest of nothing");
	return 0;
}

static int test_bad_arg_pointer(void)
{
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_GET_INFO, (void *)8), EFAULT);
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_DMA_SELFTEST, NULL), EFAULT);
	return 0;
}

static int test_bad_buffer_pointer(void)
{
	struct offload_sec_dma_selftest st = { .src = 4096, .src_len = 4096 };
	uint8_t *ro = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *hole = map_pages(3 * 4096);

	CHECK(ro != MAP_FAILED && hole, "mmap failed");
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_DMA_SELFTEST, &st), EFAULT);

	/* The device writes dst, so read-only memory must be refused. */
	memset(&st, 0, sizeof(st));
	st.dst = (uintptr_t)ro;
	st.dst_len = 8192;
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_DMA_SELFTEST, &st), EFAULT);

	/* A buffer that runs into an unmapped page. */
	munmap(hole + 2 * 4096, 4096);
	memset(&st, 0, sizeof(st));
	st.src = (uintptr_t)hole;
	st.src_len = 3 * 4096;
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_DMA_SELFTEST, &st), EFAULT);

	/* Kernel addresses are not user memory. */
	memset(&st, 0, sizeof(st));
	st.src = 0xffffffff81000000ULL;
	st.src_len = 4096;
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_DMA_SELFTEST, &st), EFAULT);
	munmap(ro, 8192);
	munmap(hole, 2 * 4096);
	return 0;
}

static int test_bad_lengths(void)
{
	struct offload_sec_dma_selftest st = {};
	uint8_t buf[64];

	st.src = (uintptr_t)buf;
	st.src_len = OFFLOAD_SEC_DMA_SELFTEST_MAX + 1;
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_DMA_SELFTEST, &st), EINVAL);
	st.src_len = 0;
	st.dst = (uintptr_t)buf;
	st.dst_len = OFFLOAD_SEC_DMA_SELFTEST_MAX + 4096;
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_DMA_SELFTEST, &st), EINVAL);
	st.dst_len = 0;
	st.src = UINT64_MAX - 4095;
	st.src_len = 8192;
	CHECK(ioctl(dev, OFFLOAD_SEC_IOC_DMA_SELFTEST, &st) == -1 &&
	      (errno == EINVAL || errno == EFAULT),
	      "wrapping range: errno %s", strerrorname_np(errno));
	return 0;
}

static int test_unknown_flags(void)
{
	struct offload_sec_info info = { .flags = 1 };
	struct offload_sec_dma_selftest st = { .flags = 1u << 31 };

	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_GET_INFO, &info), EOPNOTSUPP);
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_DMA_SELFTEST, &st), EOPNOTSUPP);
	return 0;
}

static int test_reserved_nonzero(void)
{
	struct offload_sec_info info = {};
	struct offload_sec_dma_selftest st = {};

	info.reserved[3] = 1;
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_GET_INFO, &info), EINVAL);
	st.reserved[0] = 1;
	CHECK_ERRNO(ioctl(dev, OFFLOAD_SEC_IOC_DMA_SELFTEST, &st), EINVAL);
	return 0;
}

static int test_wrong_size_and_unknown_ioctl(void)
{
	char big[sizeof(struct offload_sec_info) + 8] = {};

	CHECK_ERRNO(ioctl(dev, _IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x00, char[8]), big), ENOTTY);
	CHECK_ERRNO(ioctl(dev, _IOWR(OFFLOAD_SEC_IOC_MAGIC, 0x00, char[sizeof(big)]), big),
		    ENOTTY);
	CHECK_ERRNO(ioctl(dev, _IOR(OFFLOAD_SEC_IOC_MAGIC, 0x00, struct offload_sec_info), big),
		    ENOTTY);
	CHECK_ERRNO(ioctl(dev, _IO(OFFLOAD_SEC_IOC_MAGIC, 0x7f), 0), ENOTTY);
	CHECK_ERRNO(ioctl(dev, _IO('T', 0x01), 0), ENOTTY);
	return 0;
}

static void *hammer(void *arg)
{
	uint8_t buf[3 * 4096 + 17], want[32];
	long fails = 0;
	int i;

	fill_random(buf, sizeof(buf));
	SHA256(buf, sizeof(buf), want);
	for (i = 0; i < 100; i++) {
		struct offload_sec_dma_selftest st = {
			.src = (uintptr_t)buf, .src_len = sizeof(buf),
		};
		struct offload_sec_info info;

		if (ofs_device_get_info(dev, &info) || ofs_device_dma_selftest(dev, &st) ||
		    memcmp(st.src_sha256, want, 32))
			fails++;
	}
	return (void *)fails;
}

static int test_concurrent_callers(void)
{
	pthread_t t[4];
	void *fails;
	long total = 0;
	int i;

	for (i = 0; i < 4; i++)
		CHECK(!pthread_create(&t[i], NULL, hammer, NULL), "pthread_create");
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &fails);
		total += (long)fails;
	}
	CHECK(total == 0, "%ld of 400 concurrent command pairs failed", total);
	return 0;
}

static int test_many_opens(void)
{
	int fds[32], i;

	for (i = 0; i < 32; i++) {
		fds[i] = ofs_device_open(NULL);
		CHECK(fds[i] >= 0, "open #%d: %s", i, strerror(-fds[i]));
	}
	for (i = 0; i < 32; i++)
		close(fds[i]);
	return 0;
}

static const struct tap_test tests[] = {
	{ "GET_INFO describes the card", test_info },
	{ "DMA self-test, one page", test_dma_page },
	{ "DMA self-test, unaligned odd lengths", test_dma_unaligned },
	{ "DMA self-test, 16 MiB page-scattered", test_dma_16m_scattered },
	{ "DMA self-test, 64 MiB (the maximum)", test_dma_max },
	{ "DMA self-test, empty buffers", test_dma_empty },
	{ "bad argument pointer -> EFAULT", test_bad_arg_pointer },
	{ "bad buffer pointers -> EFAULT", test_bad_buffer_pointer },
	{ "lengths over the maximum or wrapping -> EINVAL", test_bad_lengths },
	{ "unknown flags -> EOPNOTSUPP", test_unknown_flags },
	{ "non-zero reserved -> EINVAL", test_reserved_nonzero },
	{ "wrong struct size, unknown ioctl -> ENOTTY", test_wrong_size_and_unknown_ioctl },
	{ "four threads share the mailbox", test_concurrent_callers },
	{ "32 open file descriptors", test_many_opens },
};

int main(void)
{
	dev = ofs_device_open(NULL);
	if (dev < 0) {
		printf("1..1\nnot ok 1 - ioctl: open %s: %s\n", OFS_DEVICE_PATH, strerror(-dev));
		return 1;
	}
	return tap_run("ioctl", tests, sizeof(tests) / sizeof(tests[0]));
}
