// SPDX-License-Identifier: MIT
/*
 * The demo's tiny VM on the host: its freestanding SHA-256 (compiled from
 * the VM's own source) against FIPS 180-4 vectors and OpenSSL, and the
 * layout of build/demo/tinyvm.elf that lets the VM's digest of itself
 * equal the file's flat SHA-256: one PT_LOAD that is the whole file from
 * offset 0 at 1 MiB, no section headers, a Multiboot header whose
 * addresses load the same bytes, and a PVH note naming the same entry.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "ofs-util.h"
#include "../../demo/tinyvm/boot.h"
#include "../../demo/tinyvm/sha256.c"

#define TINYVM_IMAGE	"build/demo/tinyvm.elf"

static void digest_of(const void *data, size_t len, char hex[2 * TINYVM_SHA256_LEN + 1])
{
	struct tinyvm_sha256 ctx;
	uint8_t digest[TINYVM_SHA256_LEN];

	tinyvm_sha256_init(&ctx);
	tinyvm_sha256_update(&ctx, data, len);
	tinyvm_sha256_final(&ctx, digest);
	ofs_hex(digest, sizeof(digest), hex);
}

static void fips_vectors(void **state)
{
	static const struct {
		const char *msg, *sha256;
	} vectors[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	char hex[2 * TINYVM_SHA256_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		digest_of(vectors[i].msg, strlen(vectors[i].msg), hex);
		assert_string_equal(hex, vectors[i].sha256);
	}
}

/* A million 'a', fed in pieces that straddle block boundaries. */
static void million_a(void **state)
{
	struct tinyvm_sha256 ctx;
	uint8_t chunk[999], digest[TINYVM_SHA256_LEN];
	char hex[2 * TINYVM_SHA256_LEN + 1];
	size_t left = 1000000, n;

	memset(chunk, 'a', sizeof(chunk));
	tinyvm_sha256_init(&ctx);
	for (; left > 0; left -= n) {
		n = left < sizeof(chunk) ? left : sizeof(chunk);
		tinyvm_sha256_update(&ctx, chunk, n);
	}
	tinyvm_sha256_final(&ctx, digest);
	ofs_hex(digest, sizeof(digest), hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every length up to 17 blocks, each split at a different point: the
 * padding cases (55, 56, 63, 64 bytes in the last block) all occur. */
static void agrees_with_openssl(void **state)
{
	uint8_t data[17 * 64], mine[TINYVM_SHA256_LEN], theirs[SHA256_DIGEST_LENGTH];
	struct tinyvm_sha256 ctx;
	size_t len, split, i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + 7);
	for (len = 0; len <= sizeof(data); len++) {
		split = len ? (len * 7) % len : 0;
		tinyvm_sha256_init(&ctx);
		tinyvm_sha256_update(&ctx, data, split);
		tinyvm_sha256_update(&ctx, data + split, len - split);
		tinyvm_sha256_final(&ctx, mine);
		SHA256(data, len, theirs);
		assert_memory_equal(mine, theirs, sizeof(mine));
	}
}

struct image {
	uint8_t *bytes;
	size_t size;
};

static int read_image(void **state)
{
	struct image *img = calloc(1, sizeof(*img));
	FILE *f = fopen(TINYVM_IMAGE, "rb");
	long size;

	if (!img || !f) {
		fprintf(stderr, "%s: %s (run the test from the top directory after make)\n",
			TINYVM_IMAGE, strerror(errno));
		goto close_file;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		goto close_file;
	img->size = (size_t)size;
	img->bytes = malloc(img->size);
	if (!img->bytes || fread(img->bytes, 1, img->size, f) != img->size)
		goto close_file;
	fclose(f);
	*state = img;
	return 0;

close_file:
	if (f)
		fclose(f);
	if (img)
		free(img->bytes);
	free(img);
	return -1;
}

static int free_image(void **state)
{
	struct image *img = *state;

	/* cmocka tears a group down even when its setup failed. */
	if (img)
		free(img->bytes);
	free(img);
	return 0;
}

static const Elf32_Phdr *find_phdr(const struct image *img, uint32_t type)
{
	const Elf32_Ehdr *eh = (const void *)img->bytes;
	const Elf32_Phdr *ph = (const void *)(img->bytes + eh->e_phoff);
	int i;

	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == type)
			return &ph[i];
	return NULL;
}

static void elf_is_one_segment(void **state)
{
	const struct image *img = *state;
	const Elf32_Ehdr *eh = (const void *)img->bytes;
	const Elf32_Phdr *load, *ph;
	int i, loads = 0;

	assert_true(img->size >= sizeof(*eh));
	assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
	assert_int_equal(eh->e_ident[EI_CLASS], ELFCLASS32);
	assert_int_equal(eh->e_type, ET_EXEC);
	assert_int_equal(eh->e_machine, EM_386);
	assert_int_equal(eh->e_flags, 0);	/* QEMU's PVH loader refuses others */
	assert_int_equal(eh->e_shnum, 0);
	assert_int_equal(eh->e_shoff, 0);
	assert_int_equal(eh->e_phentsize, sizeof(Elf32_Phdr));
	assert_true(eh->e_phoff + eh->e_phnum * sizeof(Elf32_Phdr) <= img->size);

	ph = (const void *)(img->bytes + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		loads += ph[i].p_type == PT_LOAD;
	assert_int_equal(loads, 1);
	load = find_phdr(img, PT_LOAD);
	assert_int_equal(load->p_offset, 0);
	assert_int_equal(load->p_paddr, TINYVM_LOAD_ADDR);
	assert_int_equal(load->p_vaddr, TINYVM_LOAD_ADDR);
	assert_int_equal(load->p_filesz, img->size);
	assert_true(load->p_memsz >= load->p_filesz);
	assert_in_range(eh->e_entry, TINYVM_LOAD_ADDR, TINYVM_LOAD_ADDR + img->size - 1);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void multiboot_loads_the_same_bytes(void **state)
{
	const struct image *img = *state;
	const Elf32_Ehdr *eh = (const void *)img->bytes;
	size_t off, limit = img->size < 8192 ? img->size : 8192;
	const uint8_t *h = NULL;

	for (off = 0; off + 32 <= limit; off += 4) {
		if (le32(img->bytes + off) == MULTIBOOT_HEADER_MAGIC) {
			h = img->bytes + off;
			break;
		}
	}
	assert_non_null(h);
	assert_int_equal((uint32_t)(le32(h) + le32(h + 4) + le32(h + 8)), 0);
	assert_int_equal(le32(h + 4) & 0x10000, 0x10000);
	/* header_addr - load_addr is the header's offset: file offset 0 at load_addr */
	assert_int_equal(le32(h + 16), TINYVM_LOAD_ADDR);
	assert_int_equal(le32(h + 12) - le32(h + 16), off);
	/* load_end_addr: the whole file and nothing after it */
	assert_int_equal(le32(h + 20) - le32(h + 16), img->size);
	assert_true(le32(h + 24) >= le32(h + 20));
	assert_int_equal(le32(h + 28), eh->e_entry);
}

static void pvh_note_names_the_entry(void **state)
{
	const struct image *img = *state;
	const Elf32_Ehdr *eh = (const void *)img->bytes;
	const Elf32_Phdr *note = find_phdr(img, PT_NOTE);
	const Elf32_Nhdr *nh;
	const uint8_t *desc;

	assert_non_null(note);
	assert_true(note->p_offset + note->p_filesz <= img->size);
	assert_int_equal(note->p_paddr, TINYVM_LOAD_ADDR + note->p_offset);
	nh = (const void *)(img->bytes + note->p_offset);
	assert_int_equal(nh->n_namesz, 4);
	assert_int_equal(nh->n_type, XEN_ELFNOTE_PHYS32_ENTRY);
	assert_memory_equal(nh + 1, "Xen", 4);
	/* QEMU reads a 64-bit word from the descriptor. */
	assert_int_equal(nh->n_descsz, 8);
	assert_int_equal(sizeof(*nh) + 4 + 8, note->p_filesz);
	desc = (const uint8_t *)(nh + 1) + 4;
	assert_int_equal(le32(desc), eh->e_entry);
	assert_int_equal(le32(desc + 4), 0);
}

/* What the VM prints for itself is what sha256sum prints for the file. */
static void self_digest_is_the_file_digest(void **state)
{
	const struct image *img = *state;
	uint8_t theirs[SHA256_DIGEST_LENGTH];
	char mine_hex[2 * TINYVM_SHA256_LEN + 1], theirs_hex[sizeof(mine_hex)];

	digest_of(img->bytes, img->size, mine_hex);
	SHA256(img->bytes, img->size, theirs);
	ofs_hex(theirs, sizeof(theirs), theirs_hex);
	assert_string_equal(mine_hex, theirs_hex);
}

int main(void)
{
	const struct CMUnitTest sha256_tests[] = {
		cmocka_unit_test(fips_vectors),
		cmocka_unit_test(million_a),
		cmocka_unit_test(agrees_with_openssl),
	};
	const struct CMUnitTest image_tests[] = {
		cmocka_unit_test(elf_is_one_segment),
		cmocka_unit_test(multiboot_loads_the_same_bytes),
		cmocka_unit_test(pvh_note_names_the_entry),
		cmocka_unit_test(self_digest_is_the_file_digest),
	};

	return cmocka_run_group_tests_name("tinyvm sha256", sha256_tests, NULL, NULL) |
	       cmocka_run_group_tests_name("tinyvm image", image_tests, read_image, free_image);
}
