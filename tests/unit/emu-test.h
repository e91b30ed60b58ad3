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
#include <time.h>

#include <cmocka.h>

#include "../../tools/emu/emu.h"

/* Covers the legacy hole with room to spare above 1 MiB. */
#define FAKE_RAM_SIZE		(4ULL << 20)
/* Room for launch images, their streams and scattered destinations. */
#define FAKE_BIG_RAM_SIZE	(64ULL << 20)
/* Where tests put descriptor lists and data: plain RAM above 1 MiB. */
#define FAKE_SG_AREA		0x100000ULL
#define FAKE_DATA_AREA		0x200000ULL

struct fake {
	uint8_t *ram;
	uint64_t ram_size;
	struct emu_guest_mem gm;
	struct ofs_hw_mbox mbox;
	struct emu_device dev;
	uint64_t next_tag;
	bool have_id;
	struct emu_identity id;	/* ephemeral, as without --state */
	uint64_t now;		/* the device's clock */
};

static inline uint64_t fake_clock(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

/*
 * A device with ram_size bytes of guest RAM (calloc'ed, so only the pages
 * a test touches cost anything), a session table, and with_id an
 * ephemeral identity that trusts no RAS key yet.
 */
static inline int fake_setup_with(void **state, uint64_t ram_size,
				  bool with_id)
{
	struct emu_boot_config boot = { 0 };
	struct fake *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ram = calloc(1, ram_size);
	if (!f->ram || (with_id && emu_boot(&f->id, &boot) < 0) ||
	    emu_device_init(&f->dev, EMU_DEFAULT_SERIAL,
			    with_id ? &f->id : NULL) < 0) {
		free(f->ram);
		free(f);
		return -1;
	}
	f->have_id = with_id;
	f->ram_size = ram_size;
	emu_guest_mem_init_buffer(&f->gm, f->ram, ram_size);
	f->dev.mem = &f->gm;
	f->now = (uint64_t)time(NULL);
	f->dev.clock = fake_clock;
	f->dev.clock_ctx = f;
	f->next_tag = 0x1000;
	*state = f;
	return 0;
}

static inline int fake_setup(void **state)
{
	return fake_setup_with(state, FAKE_RAM_SIZE, false);
}

static inline int fake_teardown(void **state)
{
	struct fake *f = *state;

	f->dev.mem = &f->gm;
	emu_device_release(&f->dev);
	if (f->have_id)
		emu_identity_release(&f->id);
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
	/* NO_SPACE alone among failures says something: the size needed. */
	if (status != OFFLOAD_SEC_DS_OK && status != OFFLOAD_SEC_DS_NO_SPACE)
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
