// SPDX-License-Identifier: MIT
/* Output on COM1 by polling, and the way out through isa-debug-exit. */
#include "io.h"

#define UART_DATA	0	/* DLAB=0 */
#define UART_IER	1
#define UART_DLL	0	/* DLAB=1 */
#define UART_DLM	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_LSR_THRE	0x20	/* transmit holding register empty */

/* 115200 8N1, FIFOs on; QEMU needs none of it, real UARTs do. */
void tinyvm_console_init(void)
{
	outb(COM1_PORT + UART_IER, 0);
	outb(COM1_PORT + UART_LCR, 0x80);
	outb(COM1_PORT + UART_DLL, 1);
	outb(COM1_PORT + UART_DLM, 0);
	outb(COM1_PORT + UART_LCR, 0x03);
	outb(COM1_PORT + UART_FCR, 0xc7);
	outb(COM1_PORT + UART_MCR, 0x03);
}

static void put_char(char c)
{
	while (!(inb(COM1_PORT + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1_PORT + UART_DATA, (uint8_t)c);
}

/* "\n" becomes "\r\n": the console may be a terminal in raw mode. */
void tinyvm_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			put_char('\r');
		put_char(*s);
	}
}

void tinyvm_put_dec(uint32_t v)
{
	char digits[11];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n > 0)
		put_char(digits[--n]);
}

static void put_nibble(unsigned int v)
{
	put_char("0123456789abcdef"[v & 0xf]);
}

void tinyvm_put_hex32(uint32_t v)
{
	int shift;

	tinyvm_puts("0x");
	for (shift = 28; shift >= 0; shift -= 4)
		put_nibble(v >> shift);
}

void tinyvm_put_hex(const uint8_t *p, uint32_t len)
{
	while (len--) {
		put_nibble(*p >> 4);
		put_nibble(*p++);
	}
}

void tinyvm_exit(uint32_t code)
{
	outl(DEBUG_EXIT_PORT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}
