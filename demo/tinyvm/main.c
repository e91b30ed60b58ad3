// SPDX-License-Identifier: MIT
/*
 * The tiny VM: says how it was booted, then the SHA-256 of its own loaded
 * image and of each module (the initrd), and exits.  The demo compares the
 * kernel line with the digest the card measured and the verifier approved
 * (demo/README.md says what that proves).
 */
#include "boot.h"
#include "io.h"
#include "sha256.h"

#define MAX_MODULES	4

struct boot {
	const char *protocol;
	const char *cmdline;		/* NULL: none given */
	uint32_t mem_kib;		/* 0: unknown */
	uint32_t nr_modules;		/* as the loader said, may exceed MAX_MODULES */
	struct {
		uint32_t start;
		uint32_t size;
	} modules[MAX_MODULES];
};

/* QEMU and GRUB put the kernel's path in front of its arguments. */
static const char *skip_first_word(const char *s)
{
	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	return s;
}

static void from_multiboot(struct boot *b, const struct multiboot_info *mbi)
{
	const struct multiboot_module *mods;
	uint32_t i;

	b->protocol = "Multiboot";
	if (mbi->flags & MULTIBOOT_INFO_MEMORY)
		b->mem_kib = 1024 + mbi->mem_upper;
	if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
		b->cmdline = skip_first_word((const char *)mbi->cmdline);
	if (!(mbi->flags & MULTIBOOT_INFO_MODS))
		return;
	mods = (const struct multiboot_module *)mbi->mods_addr;
	b->nr_modules = mbi->mods_count;
	for (i = 0; i < b->nr_modules && i < MAX_MODULES; i++) {
		b->modules[i].start = mods[i].start;
		b->modules[i].size = mods[i].end > mods[i].start ?
				     mods[i].end - mods[i].start : 0;
	}
}

/* Paging is off: only what lies below 4 GiB can be read. */
static int below_4g(uint64_t paddr, uint64_t size)
{
	return paddr <= 0xffffffffu && size <= 0x100000000ull - paddr;
}

static void from_pvh(struct boot *b, const struct pvh_start_info *si)
{
	const struct pvh_module *mods;
	uint32_t i;

	b->protocol = "PVH";
	if (si->cmdline_paddr && below_4g(si->cmdline_paddr, 1))
		b->cmdline = (const char *)(uint32_t)si->cmdline_paddr;
	if (!si->nr_modules || !below_4g(si->modlist_paddr,
					 (uint64_t)si->nr_modules * sizeof(*mods)))
		return;
	mods = (const struct pvh_module *)(uint32_t)si->modlist_paddr;
	b->nr_modules = si->nr_modules;
	for (i = 0; i < b->nr_modules && i < MAX_MODULES; i++) {
		if (!below_4g(mods[i].paddr, mods[i].size))
			continue;	/* reported with size 0 */
		b->modules[i].start = (uint32_t)mods[i].paddr;
		b->modules[i].size = (uint32_t)mods[i].size;
	}
}

static void put_digest_line(const char *what, const void *start, uint32_t size)
{
	struct tinyvm_sha256 ctx;
	uint8_t digest[TINYVM_SHA256_LEN];

	tinyvm_sha256_init(&ctx);
	tinyvm_sha256_update(&ctx, start, size);
	tinyvm_sha256_final(&ctx, digest);
	tinyvm_puts("tinyvm: ");
	tinyvm_puts(what);
	tinyvm_puts(" sha256 ");
	tinyvm_put_hex(digest, sizeof(digest));
	tinyvm_puts(" (");
	tinyvm_put_dec(size);
	tinyvm_puts(" bytes at ");
	tinyvm_put_hex32((uint32_t)start);
	tinyvm_puts(")\n");
}

static void report(const struct boot *b)
{
	uint32_t i;

	tinyvm_puts("tinyvm: hello from the attested VM, booted by ");
	tinyvm_puts(b->protocol);
	if (b->mem_kib) {
		tinyvm_puts(" with ");
		tinyvm_put_dec(b->mem_kib / 1024);
		tinyvm_puts(" MiB");
	}
	tinyvm_puts("\n");
	if (b->cmdline) {
		tinyvm_puts("tinyvm: cmdline \"");
		tinyvm_puts(b->cmdline);
		tinyvm_puts("\"\n");
	}
	put_digest_line("kernel", _image_start, (uint32_t)(_load_end - _image_start));
	for (i = 0; i < b->nr_modules && i < MAX_MODULES; i++)
		put_digest_line(i == 0 ? "initrd" : "module",
				(const void *)b->modules[i].start, b->modules[i].size);
	if (b->nr_modules > MAX_MODULES) {
		tinyvm_put_dec(b->nr_modules - MAX_MODULES);
		tinyvm_puts(" more modules not shown\n");
	}
}

void tinyvm_main(uint32_t magic, uint32_t info)
{
	struct boot b = { 0 };

	tinyvm_console_init();
	/* qboot enters PVH kernels with the Multiboot magic in %eax too. */
	if (info && ((const struct pvh_start_info *)info)->magic == PVH_START_MAGIC) {
		from_pvh(&b, (const struct pvh_start_info *)info);
	} else if (magic == MULTIBOOT_LOADER_MAGIC && info) {
		from_multiboot(&b, (const struct multiboot_info *)info);
	} else {
		tinyvm_puts("tinyvm: entered by an unknown loader (eax ");
		tinyvm_put_hex32(magic);
		tinyvm_puts("): neither Multiboot nor PVH\n");
		tinyvm_exit(TINYVM_EXIT_BAD_BOOT);
	}
	report(&b);
	tinyvm_puts("tinyvm: done, exit code 0x10\n");
	tinyvm_exit(TINYVM_EXIT_OK);
}
