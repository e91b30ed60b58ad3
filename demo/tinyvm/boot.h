/* SPDX-License-Identifier: MIT */
/*
 * The two ways the tiny VM is entered, both in 32-bit protected mode with
 * paging off: Multiboot v1 (QEMU's -kernel tries it first) and the PVH
 * direct boot ABI (Xen's hvm_start_info, used by QEMU, Firecracker and
 * Cloud Hypervisor for ELF kernels).  Both leave a pointer to their boot
 * information in %ebx; head.S passes %eax and %ebx to tinyvm_main().
 */
#ifndef TINYVM_BOOT_H
#define TINYVM_BOOT_H

#define TINYVM_LOAD_ADDR	0x100000

#define MULTIBOOT_HEADER_MAGIC	0x1badb002
#define MULTIBOOT_LOADER_MAGIC	0x2badb002	/* in %eax at entry */
/* Modules page aligned, memory information, and the a.out kludge: the
 * header's addresses place the file's bytes, unchanged, at the load
 * address, which is what lets the VM hash itself (head.S). */
#define MULTIBOOT_HEADER_FLAGS	0x00010003

#define MULTIBOOT_INFO_MEMORY	(1u << 0)
#define MULTIBOOT_INFO_CMDLINE	(1u << 2)
#define MULTIBOOT_INFO_MODS	(1u << 3)

#define PVH_START_MAGIC		0x336ec578	/* hvm_start_info.magic */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* What the VM reports, whichever way it was booted. */
#define TINYVM_EXIT_OK		0x10	/* QEMU exits with (0x10 << 1) | 1 = 33 */
#define TINYVM_EXIT_BAD_BOOT	0x11	/* 35: neither Multiboot nor PVH */

#ifndef __ASSEMBLER__

#include <stdint.h>

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;		/* KiB below 1 MiB */
	uint32_t mem_upper;		/* KiB above 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;		/* "kernel-path args", NUL-terminated */
	uint32_t mods_count;
	uint32_t mods_addr;		/* struct multiboot_module[mods_count] */
};

struct multiboot_module {
	uint32_t start;
	uint32_t end;			/* one past the last byte */
	uint32_t cmdline;
	uint32_t reserved;
};

struct pvh_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;		/* struct pvh_module[nr_modules] */
	uint64_t cmdline_paddr;		/* "args", NUL-terminated */
	uint64_t rsdp_paddr;
};

struct pvh_module {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

_Static_assert(sizeof(struct multiboot_module) == 16, "Multiboot module entry");
_Static_assert(sizeof(struct pvh_start_info) == 40, "hvm_start_info, version 0");
_Static_assert(sizeof(struct pvh_module) == 32, "hvm_modlist_entry");

/* Linker-script symbols (tinyvm.ld): the image's bytes, as loaded. */
extern const uint8_t _image_start[], _load_end[];

void tinyvm_main(uint32_t magic, uint32_t info);

#endif
#endif
