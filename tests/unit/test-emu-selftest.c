// SPDX-License-Identifier: MIT
/*
 * OFS_HW_OP_DMA_SELFTEST through the mailbox: digest against OpenSSL's
 * one-shot SHA-256 of the same bytes, the pattern checked byte for byte
 * against its definition, and every kind of bad descriptor refused
 * without writing guest memory.
 */
#include <openssl/sha.h>

#include "emu-test.h"
#include "ofs-selftest.h"

#define SRC_LIST	FAKE_SG_AREA
#define DST_LIST	(FAKE_SG_AREA + 0x80000)
#define SRC_AREA	FAKE_DATA_AREA	/* src: 1 MiB, dst: 1 MiB */
#define DST_AREA	(FAKE_DATA_AREA + 0x100000)
#define GUARD		0xee

/* Deterministic and independent of libc: xorshift64. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static struct ofs_hw_dma_selftest request(uint32_t src_n, uint64_t src_len,
					  uint32_t dst_n, uint64_t dst_len,
					  uint64_t seed)
{
	struct ofs_hw_dma_selftest st = {
		.src = fake_list(SRC_LIST, src_n, src_len),
		.dst = fake_list(DST_LIST, dst_n, dst_len),
		.seed = htole64(seed),
	};

	return st;
}

static void run(struct fake *f, const struct ofs_hw_dma_selftest *st,
		uint32_t status)
{
	fake_request(f, OFS_HW_OP_DMA_SELFTEST, st, sizeof(*st));
	fake_expect(f, status);
}

static void expect_digest(struct fake *f, const uint8_t *data, size_t len)
{
	uint8_t want[SHA256_DIGEST_LENGTH];

	SHA256(data, len, want);
	assert_int_equal(le32toh(f->mbox.rsp.out_len),
			 sizeof(struct ofs_hw_dma_selftest_out));
	assert_memory_equal(f->mbox.rsp.out, want, sizeof(want));
}

/*
 * src: n random segments of odd sizes, placed in reverse order with gaps,
 * so that list order and memory order differ.  Returns the stream bytes.
 */
static uint8_t *make_src(struct fake *f, uint32_t n, uint64_t *total,
			 uint64_t *rng)
{
	uint64_t addr = SRC_AREA + 0x100000, len, sum = 0;
	uint8_t *stream = malloc(0x100000), *p;
	uint32_t i, j;

	assert_non_null(stream);
	for (i = 0; i < n; i++) {
		len = next_rand(rng) % 1500 * 2 + 1;
		addr -= len + next_rand(rng) % 64;
		p = f->ram + addr;
		for (j = 0; j < len; j++)
			p[j] = next_rand(rng);
		memcpy(stream + sum, p, len);
		fake_put_sg(f, SRC_LIST, i, addr, len, 0);
		sum += len;
	}
	assert_true(addr > SRC_AREA);
	*total = sum;
	return stream;
}

/* dst: n segments of odd sizes, in order, with guard bytes between. */
static uint64_t make_dst(struct fake *f, uint32_t n, uint64_t *rng,
			 uint32_t max_len)
{
	uint64_t addr = DST_AREA, len, sum = 0;
	uint32_t i;

	memset(f->ram + DST_AREA, GUARD, 0x100000);
	for (i = 0; i < n; i++) {
		len = next_rand(rng) % max_len + 1;
		fake_put_sg(f, DST_LIST, i, addr, len, 0);
		addr += len + 1 + next_rand(rng) % 16;
		sum += len;
	}
	assert_true(addr < DST_AREA + 0x100000);
	return sum;
}

/* Walks the dst layout again: pattern inside segments, guards between. */
static void check_dst(struct fake *f, uint32_t n, uint64_t seed)
{
	uint64_t addr = DST_AREA, i = 0;
	struct ofs_hw_sg sg;
	uint32_t k, b;

	for (k = 0; k < n; k++) {
		memcpy(&sg, f->ram + DST_LIST + k * sizeof(sg), sizeof(sg));
		for (; addr < le64toh(sg.addr); addr++)
			assert_int_equal(f->ram[addr], GUARD);
		for (b = 0; b < le32toh(sg.len); b++, addr++, i++)
			assert_int_equal(f->ram[addr], pattern_byte(seed, i));
	}
	assert_int_equal(f->ram[addr], GUARD);
}

static void many_odd_segments(void **state)
{
	struct fake *f = *state;
	uint64_t rng = 0x9e3779b97f4a7c15ULL, src_len, dst_len;
	uint64_t seed = 0x0123456789abcdefULL;
	struct ofs_hw_dma_selftest st;
	uint8_t *stream;

	stream = make_src(f, 300, &src_len, &rng);
	dst_len = make_dst(f, 257, &rng, 2999);
	st = request(300, src_len, 257, dst_len, seed);
	run(f, &st, OFFLOAD_SEC_DS_OK);
	expect_digest(f, stream, src_len);
	check_dst(f, 257, seed);
	free(stream);
}

/* One-byte segments: every word of the pattern spans eight of them. */
static void byte_segments(void **state)
{
	struct fake *f = *state;
	uint64_t rng = 7, dst_len;
	struct ofs_hw_dma_selftest st;

	dst_len = make_dst(f, 61, &rng, 1);
	assert_int_equal(dst_len, 61);
	st = request(0, 0, 61, dst_len, UINT64_MAX);
	run(f, &st, OFFLOAD_SEC_DS_OK);
	check_dst(f, 61, UINT64_MAX);
}

static void empty_src(void **state)
{
	struct fake *f = *state;
	uint64_t rng = 3, dst_len;
	struct ofs_hw_dma_selftest st;

	dst_len = make_dst(f, 5, &rng, 100);
	st = request(0, 0, 5, dst_len, 1);
	run(f, &st, OFFLOAD_SEC_DS_OK);
	expect_digest(f, NULL, 0);
	check_dst(f, 5, 1);
}

static void empty_dst(void **state)
{
	struct fake *f = *state;
	uint64_t rng = 5, src_len;
	struct ofs_hw_dma_selftest st;
	uint8_t *stream;

	stream = make_src(f, 3, &src_len, &rng);
	memset(f->ram + DST_AREA, GUARD, 0x100000);
	st = request(3, src_len, 0, 0, 1);
	run(f, &st, OFFLOAD_SEC_DS_OK);
	expect_digest(f, stream, src_len);
	assert_int_equal(f->ram[DST_AREA], GUARD);
	free(stream);
}

static void empty_both(void **state)
{
	struct fake *f = *state;
	struct ofs_hw_dma_selftest st = request(0, 0, 0, 0, 0);

	run(f, &st, OFFLOAD_SEC_DS_OK);
	expect_digest(f, NULL, 0);
}

static void pattern_any_offset(void **state)
{
	uint8_t buf[40];
	uint64_t off, seed = 0xfeedfacecafef00dULL;
	size_t len, i;

	for (off = 0; off < 17; off++) {
		for (len = 0; len <= sizeof(buf); len += 3) {
			ofs_selftest_pattern(seed, off, buf, len);
			for (i = 0; i < len; i++)
				assert_int_equal(buf[i],
						 pattern_byte(seed, off + i));
		}
	}
}

static void nonzero_reserved(void **state)
{
	struct fake *f = *state;
	struct ofs_hw_dma_selftest st = request(0, 0, 0, 0, 0);

	st.reserved = htole64(1);
	run(f, &st, OFFLOAD_SEC_DS_BAD_FIELD);
	st = request(0, 0, 0, 0, 0);
	st.src.reserved = htole32(1);
	run(f, &st, OFFLOAD_SEC_DS_BAD_FIELD);
	st = request(0, 0, 0, 0, 0);
	st.dst.reserved = htole32(0x100);
	run(f, &st, OFFLOAD_SEC_DS_BAD_FIELD);
}

static void total_too_big(void **state)
{
	struct fake *f = *state;
	struct ofs_hw_dma_selftest st;

	fake_put_sg(f, SRC_LIST, 0, SRC_AREA, 16, 0);
	st = request(1, OFFLOAD_SEC_DMA_SELFTEST_MAX + 1, 0, 0, 0);
	run(f, &st, OFFLOAD_SEC_DS_BAD_LENGTH);
	st = request(0, 0, 1, OFFLOAD_SEC_DMA_SELFTEST_MAX + 1, 0);
	run(f, &st, OFFLOAD_SEC_DS_BAD_LENGTH);
	st = request(0, 0, 1, UINT64_MAX, 0);
	run(f, &st, OFFLOAD_SEC_DS_BAD_LENGTH);
}

static void too_many_entries(void **state)
{
	struct fake *f = *state;
	struct ofs_hw_dma_selftest st;

	st = request(OFS_HW_MAX_SG + 1, 1, 0, 0, 0);
	run(f, &st, OFFLOAD_SEC_DS_BAD_LENGTH);
	st = request(0, 0, UINT32_MAX, 1, 0);
	run(f, &st, OFFLOAD_SEC_DS_BAD_LENGTH);
}

/* A dst whose second entry is bad: the valid first one stays untouched. */
static void bad_dst(struct fake *f, uint64_t addr, uint32_t len,
		    uint32_t reserved, uint64_t total)
{
	struct ofs_hw_dma_selftest st;

	memset(f->ram + DST_AREA, GUARD, 64);
	fake_put_sg(f, DST_LIST, 0, DST_AREA, 64, 0);
	fake_put_sg(f, DST_LIST, 1, addr, len, reserved);
	st = request(0, 0, 2, total ? total : 64ULL + len, 0);
	run(f, &st, OFFLOAD_SEC_DS_BAD_DMA);
	assert_int_equal(f->ram[DST_AREA], GUARD);
	assert_int_equal(f->ram[DST_AREA + 63], GUARD);
}

static void dst_outside_ram(void **state)
{
	bad_dst(*state, FAKE_RAM_SIZE - 10, 11, 0, 0);
	bad_dst(*state, 1ULL << 33, 4096, 0, 0);
}

static void dst_in_legacy_hole(void **state)
{
	bad_dst(*state, 0xa0000, 4096, 0, 0);
	bad_dst(*state, 0xff000, 0x1001, 0, 0);
	bad_dst(*state, 0x9fff0, 0x20, 0, 0);
}

static void dst_addr_overflow(void **state)
{
	bad_dst(*state, UINT64_MAX - 100, 4096, 0, 0);
}

static void dst_zero_length(void **state)
{
	bad_dst(*state, DST_AREA + 128, 0, 0, 0);
}

static void dst_entry_reserved(void **state)
{
	bad_dst(*state, DST_AREA + 128, 8, 1, 0);
}

static void dst_sum_mismatch(void **state)
{
	bad_dst(*state, DST_AREA + 128, 8, 0, 64 + 9);
	bad_dst(*state, DST_AREA + 128, 8, 0, 64 + 7);
}

static void dst_list_outside_ram(void **state)
{
	struct fake *f = *state;
	struct ofs_hw_dma_selftest st = request(0, 0, 1, 8, 0);

	st.dst.addr = htole64(FAKE_RAM_SIZE - 8);
	run(f, &st, OFFLOAD_SEC_DS_BAD_DMA);
	st.dst.addr = htole64(0xa0000);
	run(f, &st, OFFLOAD_SEC_DS_BAD_DMA);
}

/* A bad src fails the command before dst is written. */
static void bad_src_writes_nothing(void **state)
{
	struct fake *f = *state;
	struct ofs_hw_dma_selftest st;

	memset(f->ram + DST_AREA, GUARD, 64);
	fake_put_sg(f, DST_LIST, 0, DST_AREA, 64, 0);
	fake_put_sg(f, SRC_LIST, 0, SRC_AREA, 64, 0);
	fake_put_sg(f, SRC_LIST, 1, 0xb0000, 64, 0);
	st = request(2, 128, 1, 64, 0);
	run(f, &st, OFFLOAD_SEC_DS_BAD_DMA);
	assert_int_equal(f->ram[DST_AREA], GUARD);
}

/* The largest buffers allowed, in RAM of their own. */
static void max_size(void **state)
{
	const uint64_t max = OFFLOAD_SEC_DMA_SELFTEST_MAX, seg = 4 << 20;
	const uint64_t base = 0x200000, seed = 99;
	struct fake *f = *state, big = *f;
	struct ofs_hw_dma_selftest st;
	uint8_t want[SHA256_DIGEST_LENGTH];
	uint64_t size = base + max + 4096, i;
	uint32_t k, n = max / seg;

	big.ram = calloc(1, size);
	assert_non_null(big.ram);
	emu_guest_mem_init_buffer(&big.gm, big.ram, size);
	big.dev.mem = &big.gm;
	for (k = 0; k < max; k += 4096)
		big.ram[base + k] = k >> 12;
	for (k = 0; k < n; k++) {
		fake_put_sg(&big, SRC_LIST, k, base + k * seg, seg, 0);
		fake_put_sg(&big, DST_LIST, k, base + k * seg, seg, 0);
	}
	SHA256(big.ram + base, max, want);
	st = request(n, max, n, max, seed);
	run(&big, &st, OFFLOAD_SEC_DS_OK);
	assert_memory_equal(big.mbox.rsp.out, want, sizeof(want));
	for (i = 0; i < max; i += 4093)
		assert_int_equal(big.ram[base + i], pattern_byte(seed, i));
	assert_int_equal(big.ram[base + max - 1], pattern_byte(seed, max - 1));
	assert_int_equal(big.ram[base + max], 0);
	free(big.ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(many_odd_segments),
		cmocka_unit_test(byte_segments),
		cmocka_unit_test(empty_src),
		cmocka_unit_test(empty_dst),
		cmocka_unit_test(empty_both),
		cmocka_unit_test(pattern_any_offset),
		cmocka_unit_test(nonzero_reserved),
		cmocka_unit_test(total_too_big),
		cmocka_unit_test(too_many_entries),
		cmocka_unit_test(dst_outside_ram),
		cmocka_unit_test(dst_in_legacy_hole),
		cmocka_unit_test(dst_addr_overflow),
		cmocka_unit_test(dst_zero_length),
		cmocka_unit_test(dst_entry_reserved),
		cmocka_unit_test(dst_sum_mismatch),
		cmocka_unit_test(dst_list_outside_ram),
		cmocka_unit_test(bad_src_writes_nothing),
		cmocka_unit_test(max_size),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
