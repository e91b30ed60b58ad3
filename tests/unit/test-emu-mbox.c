// SPDX-License-Identifier: MIT
/*
 * The mailbox: request validation, GET_INFO, and how the response is
 * published.  One test per behaviour; fake guest RAM and a fake mailbox.
 */
#include "emu-test.h"

static void get_info(void **state)
{
	struct fake *f = *state;
	struct ofs_hw_info info;

	fake_request(f, OFS_HW_OP_GET_INFO, NULL, 0);
	fake_expect(f, OFFLOAD_SEC_DS_OK);
	assert_int_equal(le32toh(f->mbox.rsp.out_len), sizeof(info));
	memcpy(&info, f->mbox.rsp.out, sizeof(info));
	assert_int_equal(le32toh(info.magic), OFS_HW_MAGIC);
	assert_int_equal(le16toh(info.abi_major), OFS_HW_ABI_MAJOR);
	assert_int_equal(le16toh(info.abi_minor), OFS_HW_ABI_MINOR);
	assert_int_equal(le16toh(info.fw_major), 0);
	assert_int_equal(le16toh(info.fw_minor), 1);
	assert_int_equal(le32toh(info.fw_patch), 0);
	assert_int_equal(le32toh(info.num_measurement_regs), 4);
	assert_int_equal(le32toh(info.max_sessions), 64);
	assert_int_equal(le32toh(info.max_sg), OFS_HW_MAX_SG);
	assert_int_equal(le64toh(info.capabilities),
			 OFFLOAD_SEC_CAP_DMA_SELFTEST |
			 OFFLOAD_SEC_CAP_LAUNCH_SESSIONS);
	assert_string_equal((char *)info.serial, EMU_DEFAULT_SERIAL);
	assert_int_equal(info.reserved0, 0);
	assert_true(info.reserved[0] == 0 && info.reserved[3] == 0);
}

static void get_info_serial(void **state)
{
	struct fake *f = *state;
	const char *serial = "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234";	/* 31 */
	struct ofs_hw_info info;
	size_t i;

	f->dev.serial = serial;
	fake_request(f, OFS_HW_OP_GET_INFO, NULL, 0);
	fake_expect(f, OFFLOAD_SEC_DS_OK);
	memcpy(&info, f->mbox.rsp.out, sizeof(info));
	assert_memory_equal(info.serial, serial, 31);
	assert_int_equal(info.serial[31], 0);
	f->dev.serial = EMU_DEFAULT_SERIAL;
	fake_request(f, OFS_HW_OP_GET_INFO, NULL, 0);
	fake_expect(f, OFFLOAD_SEC_DS_OK);
	memcpy(&info, f->mbox.rsp.out, sizeof(info));
	/* NUL-padded: nothing of the longer serial may remain. */
	for (i = strlen(EMU_DEFAULT_SERIAL); i < sizeof(info.serial); i++)
		assert_int_equal(info.serial[i], 0);
}

static void serial_valid(void **state)
{
	assert_true(emu_serial_valid("EMU-0001"));
	assert_true(emu_serial_valid("ABCDEFGHIJKLMNOPQRSTUVWXYZ01234"));
	assert_false(emu_serial_valid(""));
	assert_false(emu_serial_valid("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"));
	assert_false(emu_serial_valid("has space"));
	assert_false(emu_serial_valid("tab\there"));
	assert_false(emu_serial_valid("\xc3\xa9"));
}

static void unknown_opcode(void **state)
{
	struct fake *f = *state;

	fake_request(f, 0, NULL, 0);
	fake_expect(f, OFFLOAD_SEC_DS_BAD_OPCODE);
	fake_request(f, OFS_HW_OP_ABORT + 1, NULL, 0);
	fake_expect(f, OFFLOAD_SEC_DS_BAD_OPCODE);
	fake_request(f, UINT32_MAX, NULL, 0);
	fake_expect(f, OFFLOAD_SEC_DS_BAD_OPCODE);
}

static void nonzero_flags(void **state)
{
	struct fake *f = *state;
	uint32_t bit;

	for (bit = 0; bit < 32; bit++) {
		fake_request(f, OFS_HW_OP_GET_INFO, NULL, 0);
		f->mbox.req.flags = htole32(1U << bit);
		fake_expect(f, OFFLOAD_SEC_DS_BAD_FIELD);
	}
}

static void nonzero_reserved(void **state)
{
	struct fake *f = *state;

	fake_request(f, OFS_HW_OP_GET_INFO, NULL, 0);
	f->mbox.req.reserved = htole32(0x80000000);
	fake_expect(f, OFFLOAD_SEC_DS_BAD_FIELD);
}

static void wrong_in_len(void **state)
{
	struct fake *f = *state;
	uint8_t in[OFS_HW_MBOX_PAYLOAD] = { 0 };

	fake_request(f, OFS_HW_OP_GET_INFO, in, 1);
	fake_expect(f, OFFLOAD_SEC_DS_BAD_LENGTH);
	fake_request(f, OFS_HW_OP_DMA_SELFTEST, in,
		     sizeof(struct ofs_hw_dma_selftest) - 1);
	fake_expect(f, OFFLOAD_SEC_DS_BAD_LENGTH);
	fake_request(f, OFS_HW_OP_DMA_SELFTEST, in,
		     sizeof(struct ofs_hw_dma_selftest) + 8);
	fake_expect(f, OFFLOAD_SEC_DS_BAD_LENGTH);
	fake_request(f, OFS_HW_OP_DMA_SELFTEST, in, 0);
	fake_expect(f, OFFLOAD_SEC_DS_BAD_LENGTH);
}

static void in_len_beyond_payload(void **state)
{
	struct fake *f = *state;

	fake_request(f, OFS_HW_OP_GET_INFO, NULL, 0);
	f->mbox.req.in_len = htole32(OFS_HW_MBOX_PAYLOAD + 1);
	fake_expect(f, OFFLOAD_SEC_DS_BAD_LENGTH);
	/* Also for an unknown opcode: lengths are checked before opcodes. */
	fake_request(f, 99, NULL, 0);
	f->mbox.req.in_len = htole32(UINT32_MAX);
	fake_expect(f, OFFLOAD_SEC_DS_BAD_LENGTH);
}

/* The tag is the last word written, and is the request's, every time. */
static void tag_echoed(void **state)
{
	struct fake *f = *state;
	uint64_t tags[] = { 1, 0x8000000000000000ULL, UINT64_MAX, 42 };
	size_t i;

	for (i = 0; i < EMU_ARRAY_SIZE(tags); i++) {
		fake_request(f, i % 2 ? 77 : OFS_HW_OP_GET_INFO, NULL, 0);
		f->mbox.req.tag = htole64(tags[i]);
		memset(&f->mbox.rsp, 0xa5, sizeof(f->mbox.rsp));
		emu_mbox_process(&f->mbox, &f->dev);
		assert_true(le64toh(f->mbox.rsp.tag) == tags[i]);
	}
}

/* A failed command clears out_len even if a previous one set it. */
static void failure_clears_out_len(void **state)
{
	struct fake *f = *state;

	fake_request(f, OFS_HW_OP_GET_INFO, NULL, 0);
	fake_expect(f, OFFLOAD_SEC_DS_OK);
	assert_int_not_equal(le32toh(f->mbox.rsp.out_len), 0);
	fake_request(f, 0x55, NULL, 0);
	fake_expect(f, OFFLOAD_SEC_DS_BAD_OPCODE);
}

static void dma_without_guest_ram(void **state)
{
	struct fake *f = *state;
	struct ofs_hw_dma_selftest st = { .seed = 0 };

	f->dev.mem = NULL;
	fake_request(f, OFS_HW_OP_DMA_SELFTEST, &st, sizeof(st));
	fake_expect(f, OFFLOAD_SEC_DS_INTERNAL);
	f->dev.mem = &f->gm;
}

static void reset_clears(void **state)
{
	struct fake *f = *state;
	struct ofs_hw_mbox zero;

	memset(&zero, 0, sizeof(zero));
	fake_request(f, OFS_HW_OP_GET_INFO, NULL, 0);
	fake_expect(f, OFFLOAD_SEC_DS_OK);
	emu_mbox_reset(&f->mbox);
	assert_memory_equal(&f->mbox, &zero, sizeof(zero));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_info),
		cmocka_unit_test(get_info_serial),
		cmocka_unit_test(serial_valid),
		cmocka_unit_test(unknown_opcode),
		cmocka_unit_test(nonzero_flags),
		cmocka_unit_test(nonzero_reserved),
		cmocka_unit_test(wrong_in_len),
		cmocka_unit_test(in_len_beyond_payload),
		cmocka_unit_test(tag_echoed),
		cmocka_unit_test(failure_clears_out_len),
		cmocka_unit_test(dma_without_guest_ram),
		cmocka_unit_test(reset_clears),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
