// SPDX-License-Identifier: MIT
/*
 * offload-sec selftest: proves the DMA path both ways on this host's
 * memory — the card hashes a buffer we filled and writes a known pattern
 * into another — and checks every byte, the way an operator checks a card
 * before trusting it with launches.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/sha.h>

#include "cli.h"
#include "ofs-device.h"
#include "ofs-selftest.h"
#include "ofs-util.h"

struct run_result {
	double best_s;
	double total_s;
	unsigned int runs;
	uint8_t digest[SHA256_DIGEST_LENGTH];
};

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' && shift)
		end++;
	if (*end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t *map_buffer(size_t len)
{
	uint8_t *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int fill_random(uint8_t *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom(p + done, len - done, 0);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			done += n;
	}
	return 0;
}

static int run_once(int fd, uint8_t *src, uint8_t *dst, uint64_t size,
		    const uint8_t *want, unsigned int run, struct run_result *res)
{
	struct offload_sec_dma_selftest st = {
		.src = (uintptr_t)src, .src_len = size,
		.dst = (uintptr_t)dst, .dst_len = size,
		.seed = ((uint64_t)run << 32) ^ (uint64_t)getpid(),
	};
	double t0, t;
	size_t bad;
	int r;

	memset(dst, 0, size);
	t0 = now();
	r = ofs_device_dma_selftest(fd, &st);
	t = now() - t0;
	if (r < 0) {
		fprintf(stderr, "%s: DMA self-test: %s", prog, strerror(-r));
		if (st.device_status)
			fprintf(stderr, " (device: %s)", ofs_device_status_str(st.device_status));
		fputc('\n', stderr);
		return r;
	}
	if (memcmp(st.src_sha256, want, SHA256_DIGEST_LENGTH)) {
		fprintf(stderr, "%s: DMA self-test: the card's SHA-256 of the source differs from ours\n",
			prog);
		return -EIO;
	}
	bad = ofs_selftest_mismatch(st.seed, dst, size);
	if (bad) {
		fprintf(stderr, "%s: DMA self-test: byte %zu written by the card is wrong\n",
			prog, bad - 1);
		return -EIO;
	}
	if (!res->runs || t < res->best_s)
		res->best_s = t;
	res->total_s += t;
	res->runs++;
	return 0;
}

static int run_selftest(int fd, uint64_t size, unsigned int repeat, struct run_result *res)
{
	uint8_t *src = map_buffer(size), *dst = map_buffer(size);
	unsigned int i;
	int r = -ENOMEM;

	if (!src || !dst) {
		fprintf(stderr, "%s: cannot allocate 2 x %" PRIu64 " bytes\n", prog, size);
		goto unmap;
	}
	r = fill_random(src, size);
	if (r < 0) {
		fprintf(stderr, "%s: getrandom: %s\n", prog, strerror(-r));
		goto unmap;
	}
	SHA256(src, size, res->digest);
	for (i = 0; i < repeat && r >= 0; i++)
		r = run_once(fd, src, dst, size, res->digest, i, res);
unmap:
	if (src)
		munmap(src, size ? size : 1);
	if (dst)
		munmap(dst, size ? size : 1);
	return r;
}

static void print_result(uint64_t size, const struct run_result *res, int json)
{
	/* The card reads and writes size bytes each: count both. */
	double mib = 2.0 * size / (1 << 20);
	char hex[2 * SHA256_DIGEST_LENGTH + 1];

	ofs_hex(res->digest, SHA256_DIGEST_LENGTH, hex);
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "bytes_each_way", json_object_new_int64(size));
		json_object_object_add(o, "runs", json_object_new_int(res->runs));
		json_object_object_add(o, "best_seconds", json_object_new_double(res->best_s));
		json_object_object_add(o, "mean_seconds",
				       json_object_new_double(res->total_s / res->runs));
		json_object_object_add(o, "best_mib_per_second",
				       json_object_new_double(res->best_s > 0 ? mib / res->best_s : 0));
		json_object_object_add(o, "source_sha256", json_object_new_string(hex));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
		return;
	}
	printf("DMA self-test passed: %u run%s, %.1f MiB read and hashed + %.1f MiB written per run\n",
	       res->runs, res->runs == 1 ? "" : "s", mib / 2, mib / 2);
	printf("  source SHA-256 (card = host): %s\n", hex);
	printf("  pattern written by the card:  every byte checked\n");
	if (res->best_s > 0)
		printf("  best run: %.1f ms, %.0f MiB/s through the card\n",
		       res->best_s * 1e3, mib / res->best_s);
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: %s selftest [--device PATH] [--size BYTES] [--repeat N] [--json]\n"
		"  --size    bytes each way, up to 64M (default 16M; K, M, G suffixes)\n"
		"  --repeat  runs, each checked (default 1)\n", prog);
}

int cmd_selftest(int argc, char **argv)
{
	static const struct option options[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *path = OFS_DEVICE_PATH;
	struct run_result res = {};
	uint64_t size = 16 << 20, repeat = 1;
	int json = 0, c, fd, r;

	while ((c = getopt_long(argc, argv, "d:s:r:jh", options, NULL)) != -1) {
		switch (c) {
		case 'd':
			path = optarg;
			break;
		case 's':
			if (parse_size(optarg, &size) < 0 || size > OFFLOAD_SEC_DMA_SELFTEST_MAX) {
				fprintf(stderr, "%s: --size %s: not a size up to 64M\n", prog, optarg);
				return 2;
			}
			break;
		case 'r':
			if (parse_size(optarg, &repeat) < 0 || repeat < 1 || repeat > 1000) {
				fprintf(stderr, "%s: --repeat %s: not a number from 1 to 1000\n",
					prog, optarg);
				return 2;
			}
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	fd = cli_open_device(path);
	if (fd < 0)
		return 1;
	r = run_selftest(fd, size, repeat, &res);
	close(fd);
	if (r < 0)
		return 1;
	print_result(size, &res, json);
	return 0;
}
