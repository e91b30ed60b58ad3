/* SPDX-License-Identifier: MIT */
/*
 * The first bytes of the tiny VM: its ELF header and program headers,
 * written by hand, then the Multiboot header, the PVH note and the entry.
 *
 * Why by hand: the build turns the linked program into a flat file
 * (objcopy -O binary) that starts with these headers, so the file is an
 * ELF whose one PT_LOAD segment is the whole file, from offset 0, at
 * 1 MiB; it has no section headers and nothing after the segment.  Every
 * loader therefore puts exactly the file's bytes at 1 MiB, and the SHA-256
 * the VM computes over them is the flat SHA-256 of the file: the digest
 * the card measures for the kernel component.
 */
#include "boot.h"

#define PT_LOAD		1
#define PT_NOTE		4
#define PF_RWX		7
#define PF_R		4

	.section .head, "ax"
	.code32

ehdr:
	.byte	0x7f, 'E', 'L', 'F'
	.byte	1, 1, 1, 0		/* 32-bit, little-endian, version 1, SysV */
	.fill	8, 1, 0
	.word	2			/* ET_EXEC */
	.word	3			/* EM_386 */
	.long	1			/* EV_CURRENT */
	.long	tinyvm_entry
	.long	phdrs - ehdr		/* e_phoff */
	.long	0			/* e_shoff: no section headers */
	.long	0			/* e_flags */
	.word	phdrs - ehdr		/* e_ehsize */
	.word	32			/* e_phentsize */
	.word	2			/* e_phnum */
	.word	40			/* e_shentsize */
	.word	0			/* e_shnum */
	.word	0			/* e_shstrndx */

phdrs:
	.long	PT_LOAD
	.long	0			/* p_offset: the headers are loaded too */
	.long	_image_start		/* p_vaddr */
	.long	_image_start		/* p_paddr */
	.long	_image_filesz		/* the whole file */
	.long	_image_memsz		/* + .bss, zeroed by the loader */
	.long	PF_RWX
	.long	0x1000

	.long	PT_NOTE
	.long	pvh_note - ehdr
	.long	pvh_note
	.long	pvh_note
	.long	pvh_note_end - pvh_note
	.long	pvh_note_end - pvh_note
	.long	PF_R
	.long	4

	/* Multiboot v1 wants it 4-byte aligned in the first 8 KiB. */
	.balign	4
	.globl	multiboot_header	/* for tinyvm.ld's check */
multiboot_header:
	.long	MULTIBOOT_HEADER_MAGIC
	.long	MULTIBOOT_HEADER_FLAGS
	.long	-(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)
	.long	multiboot_header	/* header_addr */
	.long	_image_start		/* load_addr: file offset 0 */
	.long	_load_end		/* load_end_addr: trailing bytes ignored */
	.long	_bss_end		/* bss_end_addr */
	.long	tinyvm_entry		/* entry_addr */

	/*
	 * The PVH entry point.  The descriptor is 8 bytes, as Linux writes
	 * it on x86-64: QEMU reads a host word from there.
	 */
	.balign	4
pvh_note:
	.long	4			/* namesz: "Xen\0" */
	.long	8			/* descsz */
	.long	XEN_ELFNOTE_PHYS32_ENTRY
	.asciz	"Xen"
	.long	tinyvm_entry, 0
pvh_note_end:

/*
 * Multiboot: %eax = 0x2badb002, %ebx = multiboot_info.  PVH: %ebx =
 * hvm_start_info.  Flat 32-bit segments and no stack in both cases.
 */
	.globl	tinyvm_entry
tinyvm_entry:
	cli
	cld
	movl	$stack_top, %esp
	pushl	%ebx
	pushl	%eax
	call	tinyvm_main
halt:
	hlt
	jmp	halt

	.section .bss
	.balign	16
	.space	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
