/* SPDX-License-Identifier: MIT */
/* x86 port I/O, and the devices the tiny VM talks to. */
#ifndef TINYVM_IO_H
#define TINYVM_IO_H

#include <stdint.h>

#define COM1_PORT		0x3f8
#define DEBUG_EXIT_PORT		0xf4	/* -device isa-debug-exit,iobase=0xf4 */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void tinyvm_console_init(void);
void tinyvm_puts(const char *s);
void tinyvm_put_dec(uint32_t v);
void tinyvm_put_hex32(uint32_t v);
void tinyvm_put_hex(const uint8_t *p, uint32_t len);
/* Ends the VM through isa-debug-exit; halts for good where there is none. */
void tinyvm_exit(uint32_t code) __attribute__((noreturn));

#endif
