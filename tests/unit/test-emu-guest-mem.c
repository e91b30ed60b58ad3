// SPDX-License-Identifier: MIT
/*
 * Guest memory: bus address checks, the pc machine's RAM around the PCI
 * hole, scatter-gather list walking, and the mapping of a real RAM file
 * up to the largest size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>

#include "emu-test.h"

struct seen {
	unsigned int calls;
	uint64_t bytes;
	uint8_t *last;
	int fail_at;	/* call number that fails, or -1 */
};

static int record(void *opaque, uint8_t *data, size_t len)
{
	struct seen *s = opaque;

	if ((int)s->calls == s->fail_at)
		return -EIO;
	s->calls++;
	s->bytes += len;
	s->last = data;
	return 0;
}

static int range(struct fake *f, uint64_t addr, uint64_t len)
{
	uint8_t *p = NULL;
	int r = emu_guest_mem_range(&f->gm, addr, len, &p);

	if (r == 0)
		assert_ptr_equal(p, f->ram + addr);
	return r;
}

static void range_inside(void **state)
{
	struct fake *f = *state;

	assert_int_equal(range(f, 0, 1), 0);
	assert_int_equal(range(f, 0, 0xa0000), 0);
	assert_int_equal(range(f, 0x100000, FAKE_RAM_SIZE - 0x100000), 0);
	assert_int_equal(range(f, FAKE_RAM_SIZE - 1, 1), 0);
}

static void range_outside_ram(void **state)
{
	struct fake *f = *state;

	assert_int_equal(range(f, FAKE_RAM_SIZE, 1), -EFAULT);
	assert_int_equal(range(f, FAKE_RAM_SIZE - 1, 2), -EFAULT);
	assert_int_equal(range(f, 0x100000, FAKE_RAM_SIZE), -EFAULT);
	assert_int_equal(range(f, 1ULL << 40, 4096), -EFAULT);
	assert_int_equal(range(f, 0x200000, 0), -EFAULT);
}

static void range_overflow(void **state)
{
	struct fake *f = *state;

	assert_int_equal(range(f, UINT64_MAX, 1), -EFAULT);
	assert_int_equal(range(f, UINT64_MAX - 10, 100), -EFAULT);
	assert_int_equal(range(f, 0x200000, UINT64_MAX), -EFAULT);
	assert_int_equal(range(f, 0x200000, UINT64_MAX - 0x1fffff), -EFAULT);
}

static void range_legacy_hole(void **state)
{
	struct fake *f = *state;

	assert_int_equal(range(f, 0x9ffff, 1), 0);
	assert_int_equal(range(f, 0x9ffff, 2), -EFAULT);
	assert_int_equal(range(f, 0xa0000, 1), -EFAULT);
	assert_int_equal(range(f, 0xc0000, 4096), -EFAULT);
	assert_int_equal(range(f, 0xfffff, 1), -EFAULT);
	assert_int_equal(range(f, 0x100000, 1), 0);
	/* Spanning the whole hole. */
	assert_int_equal(range(f, 0x90000, 0x80000), -EFAULT);
}

static void range_empty_memory(void **state)
{
	struct emu_guest_mem gm;
	uint8_t *p;

	emu_guest_mem_init_buffer(&gm, NULL, 0);
	assert_int_equal(emu_guest_mem_range(&gm, 0, 1, &p), -EFAULT);
	assert_int_equal(emu_guest_mem_range(&gm, 0x100000, 8, &p), -EFAULT);
}

#define GiB	(1ULL << 30)

/*
 * Address space for size bytes of guest RAM, never touched: the layout
 * tests only compare pointers.
 */
static void layout(struct emu_guest_mem *gm, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_NORESERVE, -1, 0);

	assert_true(p != MAP_FAILED);
	emu_guest_mem_init_buffer(gm, p, size);
}

static void unlayout(struct emu_guest_mem *gm)
{
	munmap(gm->base, gm->size);
}

/* The file offset at bus address addr, or -1 for -EFAULT. */
static int64_t offset_of(const struct emu_guest_mem *gm, uint64_t addr,
			 uint64_t len)
{
	uint8_t *p;

	if (emu_guest_mem_range(gm, addr, len, &p))
		return -1;
	return p - gm->base;
}

/* Under 3.5 GiB, the pc machine puts all of RAM below the PCI hole. */
static void layout_below_split(void **state)
{
	struct emu_guest_mem gm;
	uint64_t size = 0xe0000000ULL - 4096;

	(void)state;
	layout(&gm, size);
	assert_int_equal(gm.low_size, size);
	assert_int_equal(offset_of(&gm, size - 1, 1), size - 1);
	assert_int_equal(offset_of(&gm, 0x100000, size - 0x100000), 0x100000);
	assert_int_equal(offset_of(&gm, size, 1), -1);
	assert_int_equal(offset_of(&gm, 4 * GiB, 1), -1);
	unlayout(&gm);
}

/* From 3.5 GiB: 3 GiB below the hole, the rest from 4 GiB. */
static void layout_split(void **state)
{
	struct emu_guest_mem gm;

	(void)state;
	layout(&gm, 4 * GiB);
	assert_int_equal(gm.low_size, 3 * GiB);
	assert_int_equal(offset_of(&gm, 3 * GiB - 1, 1), 3 * GiB - 1);
	assert_int_equal(offset_of(&gm, 4 * GiB, 1), 3 * GiB);
	assert_int_equal(offset_of(&gm, 4 * GiB, GiB), 3 * GiB);
	assert_int_equal(offset_of(&gm, 5 * GiB - 1, 1), 4 * GiB - 1);
	/* The PCI hole, ranges that cross into it or out of RAM above. */
	assert_int_equal(offset_of(&gm, 3 * GiB, 1), -1);
	assert_int_equal(offset_of(&gm, 4 * GiB - 1, 1), -1);
	assert_int_equal(offset_of(&gm, 3 * GiB - 4096, 8192), -1);
	assert_int_equal(offset_of(&gm, 4 * GiB - 1, 2), -1);
	assert_int_equal(offset_of(&gm, 3 * GiB - 1, GiB + 2), -1);
	assert_int_equal(offset_of(&gm, 4 * GiB, GiB + 1), -1);
	assert_int_equal(offset_of(&gm, 5 * GiB, 1), -1);
	/* The legacy hole and the sums that would wrap, as before. */
	assert_int_equal(offset_of(&gm, 0xa0000, 1), -1);
	assert_int_equal(offset_of(&gm, UINT64_MAX, 1), -1);
	assert_int_equal(offset_of(&gm, 4 * GiB, UINT64_MAX), -1);
	assert_int_equal(offset_of(&gm, UINT64_MAX - GiB, 2 * GiB), -1);
	unlayout(&gm);
}

static void layout_max(void **state)
{
	struct emu_guest_mem gm;

	(void)state;
	layout(&gm, EMU_GUEST_RAM_MAX);
	assert_int_equal(offset_of(&gm, 17 * GiB - 1, 1), 16 * GiB - 1);
	assert_int_equal(offset_of(&gm, 17 * GiB, 1), -1);
	assert_int_equal(offset_of(&gm, 16 * GiB, GiB + 1), -1);
	unlayout(&gm);
}

static int walk(struct fake *f, uint64_t list_addr, uint32_t nents,
		uint64_t len, struct seen *s)
{
	struct ofs_hw_sg_list l = fake_list(list_addr, nents, len);

	memset(s, 0, sizeof(*s));
	s->fail_at = -1;
	return emu_guest_mem_walk_sg(&f->gm, &l, record, s);
}

static void walk_segments_in_order(void **state)
{
	struct fake *f = *state;
	struct seen s;
	uint32_t i;

	for (i = 0; i < 100; i++)
		fake_put_sg(f, FAKE_SG_AREA, i, FAKE_DATA_AREA + i * 4096,
			    i + 1, 0);
	assert_int_equal(walk(f, FAKE_SG_AREA, 100, 5050, &s), 0);
	assert_int_equal(s.calls, 100);
	assert_int_equal(s.bytes, 5050);
	assert_ptr_equal(s.last, f->ram + FAKE_DATA_AREA + 99 * 4096);
}

static void walk_empty(void **state)
{
	struct fake *f = *state;
	struct seen s;

	/* An empty list needs no descriptors: its address is not used. */
	assert_int_equal(walk(f, UINT64_MAX, 0, 0, &s), 0);
	assert_int_equal(s.calls, 0);
	assert_int_equal(walk(f, FAKE_SG_AREA, 0, 1, &s), -EINVAL);
}

static void walk_list_outside_ram(void **state)
{
	struct fake *f = *state;
	struct seen s;

	fake_put_sg(f, FAKE_SG_AREA, 0, FAKE_DATA_AREA, 16, 0);
	assert_int_equal(walk(f, FAKE_RAM_SIZE, 1, 16, &s), -EFAULT);
	assert_int_equal(walk(f, FAKE_RAM_SIZE - 8, 1, 16, &s), -EFAULT);
	assert_int_equal(walk(f, 0xa0000, 1, 16, &s), -EFAULT);
	assert_int_equal(walk(f, UINT64_MAX - 7, 1, 16, &s), -EFAULT);
	assert_int_equal(s.calls, 0);
}

static void walk_entry_outside_ram(void **state)
{
	struct fake *f = *state;
	struct seen s;

	fake_put_sg(f, FAKE_SG_AREA, 0, FAKE_DATA_AREA, 16, 0);
	fake_put_sg(f, FAKE_SG_AREA, 1, FAKE_RAM_SIZE - 8, 16, 0);
	assert_int_equal(walk(f, FAKE_SG_AREA, 2, 32, &s), -EFAULT);
	/* Validation precedes use: the good first entry was not touched. */
	assert_int_equal(s.calls, 0);
}

static void walk_entry_in_hole(void **state)
{
	struct fake *f = *state;
	struct seen s;

	fake_put_sg(f, FAKE_SG_AREA, 0, 0x9f000, 0x1001, 0);
	assert_int_equal(walk(f, FAKE_SG_AREA, 1, 0x1001, &s), -EFAULT);
	fake_put_sg(f, FAKE_SG_AREA, 0, 0xb8000, 4096, 0);
	assert_int_equal(walk(f, FAKE_SG_AREA, 1, 4096, &s), -EFAULT);
	assert_int_equal(s.calls, 0);
}

static void walk_entry_overflow(void **state)
{
	struct fake *f = *state;
	struct seen s;

	fake_put_sg(f, FAKE_SG_AREA, 0, UINT64_MAX - 0xff, 0x1000, 0);
	assert_int_equal(walk(f, FAKE_SG_AREA, 1, 0x1000, &s), -EFAULT);
	assert_int_equal(s.calls, 0);
}

static void walk_too_many(void **state)
{
	struct fake *f = *state;
	struct seen s;

	assert_int_equal(walk(f, FAKE_SG_AREA, OFS_HW_MAX_SG + 1, 0, &s),
			 -E2BIG);
	assert_int_equal(walk(f, FAKE_SG_AREA, UINT32_MAX, 0, &s), -E2BIG);
	assert_int_equal(s.calls, 0);
}

static void walk_max_entries(void **state)
{
	struct fake *f = *state;
	struct seen s;
	uint32_t i;

	for (i = 0; i < OFS_HW_MAX_SG; i++)
		fake_put_sg(f, FAKE_SG_AREA, i, FAKE_DATA_AREA + i, 1, 0);
	assert_int_equal(walk(f, FAKE_SG_AREA, OFS_HW_MAX_SG, OFS_HW_MAX_SG,
			      &s), 0);
	assert_int_equal(s.calls, OFS_HW_MAX_SG);
}

static void walk_zero_length_entry(void **state)
{
	struct fake *f = *state;
	struct seen s;

	fake_put_sg(f, FAKE_SG_AREA, 0, FAKE_DATA_AREA, 16, 0);
	fake_put_sg(f, FAKE_SG_AREA, 1, FAKE_DATA_AREA + 16, 0, 0);
	fake_put_sg(f, FAKE_SG_AREA, 2, FAKE_DATA_AREA + 32, 16, 0);
	assert_int_equal(walk(f, FAKE_SG_AREA, 3, 32, &s), -EINVAL);
	assert_int_equal(s.calls, 0);
}

static void walk_entry_reserved(void **state)
{
	struct fake *f = *state;
	struct seen s;

	fake_put_sg(f, FAKE_SG_AREA, 0, FAKE_DATA_AREA, 16, 0);
	fake_put_sg(f, FAKE_SG_AREA, 1, FAKE_DATA_AREA + 16, 16, 1);
	assert_int_equal(walk(f, FAKE_SG_AREA, 2, 32, &s), -EINVAL);
	assert_int_equal(s.calls, 0);
}

static void walk_sum_mismatch(void **state)
{
	struct fake *f = *state;
	struct seen s;

	fake_put_sg(f, FAKE_SG_AREA, 0, FAKE_DATA_AREA, 100, 0);
	fake_put_sg(f, FAKE_SG_AREA, 1, FAKE_DATA_AREA + 100, 100, 0);
	assert_int_equal(walk(f, FAKE_SG_AREA, 2, 199, &s), -EINVAL);
	assert_int_equal(walk(f, FAKE_SG_AREA, 2, 201, &s), -EINVAL);
	assert_int_equal(walk(f, FAKE_SG_AREA, 2, UINT64_MAX, &s), -EINVAL);
	assert_int_equal(s.calls, 0);
	assert_int_equal(walk(f, FAKE_SG_AREA, 2, 200, &s), 0);
	assert_int_equal(s.calls, 2);
}

static void walk_callback_error_stops(void **state)
{
	struct fake *f = *state;
	struct ofs_hw_sg_list l;
	struct seen s = { .fail_at = 1 };
	uint32_t i;

	for (i = 0; i < 4; i++)
		fake_put_sg(f, FAKE_SG_AREA, i, FAKE_DATA_AREA, 8, 0);
	l = fake_list(FAKE_SG_AREA, 4, 32);
	assert_int_equal(emu_guest_mem_walk_sg(&f->gm, &l, record, &s), -EIO);
	assert_int_equal(s.calls, 1);
}

static void map_file(void **state)
{
	struct emu_guest_mem gm;
	uint8_t *p, byte = 0;
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/offload-sec-emu-ram-XXXXXX",
		 fake_tmpdir());
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(emu_guest_mem_map_file(&gm, path), -ENODATA);
	assert_int_equal(ftruncate(fd, 2 << 20), 0);
	assert_int_equal(emu_guest_mem_map_file(&gm, path), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(gm.size, 2 << 20);
	/* Shared: a device write is what the guest reads. */
	assert_int_equal(emu_guest_mem_range(&gm, 0x123456, 1, &p), 0);
	*p = 0x5a;
	assert_int_equal(pread(fd, &byte, 1, 0x123456), 1);
	assert_int_equal(byte, 0x5a);
	assert_int_equal(emu_guest_mem_range(&gm, 0xa0000, 1, &p), -EFAULT);
	emu_guest_mem_release(&gm);
	assert_null(gm.base);
	assert_int_equal(gm.size, 0);
	close(fd);
	assert_int_equal(emu_guest_mem_map_file(&gm, path), -ENOENT);
}

/*
 * A RAM file of the largest size maps (sparse: nothing is written but a
 * byte); a device write above the PCI hole lands where QEMU keeps that
 * RAM in the file; one page more is refused.
 */
static void map_file_max(void **state)
{
	struct emu_guest_mem gm;
	uint8_t *p, byte = 0;
	char path[4096];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/offload-sec-emu-ram-XXXXXX",
		 fake_tmpdir());
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	assert_int_equal(ftruncate(fd, (off_t)EMU_GUEST_RAM_MAX), 0);
	assert_int_equal(emu_guest_mem_map_file(&gm, path), 0);
	assert_int_equal(gm.size, EMU_GUEST_RAM_MAX);
	assert_int_equal(emu_guest_mem_range(&gm, 4 * GiB + 5, 1, &p), 0);
	*p = 0xa5;
	assert_int_equal(pread(fd, &byte, 1, (off_t)(3 * GiB + 5)), 1);
	assert_int_equal(byte, 0xa5);
	emu_guest_mem_release(&gm);
	assert_int_equal(ftruncate(fd, (off_t)EMU_GUEST_RAM_MAX + 4096), 0);
	assert_int_equal(emu_guest_mem_map_file(&gm, path), -EFBIG);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(range_inside),
		cmocka_unit_test(range_outside_ram),
		cmocka_unit_test(range_overflow),
		cmocka_unit_test(range_legacy_hole),
		cmocka_unit_test(range_empty_memory),
		cmocka_unit_test(layout_below_split),
		cmocka_unit_test(layout_split),
		cmocka_unit_test(layout_max),
		cmocka_unit_test(walk_segments_in_order),
		cmocka_unit_test(walk_empty),
		cmocka_unit_test(walk_list_outside_ram),
		cmocka_unit_test(walk_entry_outside_ram),
		cmocka_unit_test(walk_entry_in_hole),
		cmocka_unit_test(walk_entry_overflow),
		cmocka_unit_test(walk_too_many),
		cmocka_unit_test(walk_max_entries),
		cmocka_unit_test(walk_zero_length_entry),
		cmocka_unit_test(walk_entry_reserved),
		cmocka_unit_test(walk_sum_mismatch),
		cmocka_unit_test(walk_callback_error_stops),
		cmocka_unit_test(map_file),
		cmocka_unit_test(map_file_max),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
