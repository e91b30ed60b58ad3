/* SPDX-License-Identifier: MIT */
/*
 * Shared fixtures of the device-model unit tests: fake guest RAM over a
 * heap buffer, a fake mailbox, and helpers that lay out scatter-gather
 * lists the way the driver does.  Header-only because each test program
 * is built from one source file.
 */
#ifndef OFFLOAD_SEC_EMU_TEST_H
#define OFFLOAD_SEC_EMU_TEST_H

#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/emu/emu.h"

/* Covers the legacy hole with room to spare above 1 MiB. */
#define FAKE_RAM_SIZE		(4ULL << 20)
/* Where tests put descriptor lists and data: plain RAM above 1 MiB. */
#define FAKE_SG_AREA		0x100000ULL
#define FAKE_DATA_AREA		0x200000ULL

struct fake {
	uint8_t *ram;
	struct emu_guest_mem gm;
	struct ofs_hw_mbox mbox;
	struct emu_device dev;
	uint64_t next_tag;
};

static inline int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ram = calloc(1, FAKE_RAM_SIZE);
	if (!f->ram) {
		free(f);
		return -1;
	}
	emu_guest_mem_init_buffer(&f->gm, f->ram, FAKE_RAM_SIZE);
	f->dev.serial = EMU_DEFAULT_SERIAL;
	f->dev.mem = &f->gm;
	f->next_tag = 0x1000;
	*state = f;
	return 0;
}

static inline int fake_teardown(void **state)
{
	struct fake *f = *state;

	free(f->ram);
	free(f);
	return 0;
}

/* Writes one descriptor at index i of the list stored at list_addr. */
static inline void fake_put_sg(struct fake *f, uint64_t list_addr,
			       uint32_t i, uint64_t addr, uint32_t len,
			       uint32_t reserved)
{
	struct ofs_hw_sg sg = {
		.addr = htole64(addr),
		.len = htole32(len),
		.reserved = htole32(reserved),
	};

	memcpy(f->ram + list_addr + i * sizeof(sg), &sg, sizeof(sg));
}

static inline struct ofs_hw_sg_list fake_list(uint64_t addr, uint32_t nents,
					      uint64_t len)
{
	struct ofs_hw_sg_list l = {
		.addr = htole64(addr),
		.nents = htole32(nents),
		.len = htole64(len),
	};

	return l;
}

/* Fills the request the way the driver does; returns the tag used. */
static inline uint64_t fake_request(struct fake *f, uint32_t opcode,
				    const void *in, uint32_t in_len)
{
	struct ofs_hw_request *req = &f->mbox.req;

	req->opcode = htole32(opcode);
	req->flags = 0;
	req->reserved = 0;
	req->in_len = htole32(in_len);
	if (in_len && in_len <= sizeof(req->in))
		memcpy(req->in, in, in_len);
	req->tag = htole64(++f->next_tag);
	return f->next_tag;
}

/* Runs the mailbox and checks the response's status and tag. */
static inline void fake_expect(struct fake *f, uint32_t status)
{
	uint64_t tag = le64toh(f->mbox.req.tag);

	assert_int_equal(emu_mbox_process(&f->mbox, &f->dev), status);
	assert_int_equal(le32toh(f->mbox.rsp.status), status);
	assert_int_equal(le64toh(f->mbox.rsp.tag), tag);
	if (status != OFFLOAD_SEC_DS_OK)
		assert_int_equal(le32toh(f->mbox.rsp.out_len), 0);
}

/* Temporary files go where the runner says, else /tmp. */
static inline const char *fake_tmpdir(void)
{
	const char *d = getenv("TMPDIR");

	return d && *d ? d : "/tmp";
}

/* The self-test pattern, from its definition in the uapi header. */
static inline uint8_t pattern_byte(uint64_t seed, uint64_t i)
{
	return offload_sec_selftest_word(seed, i / 8) >> (8 * (i % 8));
}

#endif /* OFFLOAD_SEC_EMU_TEST_H */
