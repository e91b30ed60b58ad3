// SPDX-License-Identifier: MIT
/*
 * Messages on stderr.  Errors and notices (what an operator must see, such
 * as the device's identity) always, progress only with --verbose: the
 * model runs beside QEMU in a test harness whose logs should stay short.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "emu.h"

#define PREFIX "offload-sec-emu: "

static bool log_verbose;

void emu_log_set_verbose(bool verbose)
{
	log_verbose = verbose;
}

/* errnum is what %m prints: fputs() may have clobbered errno. */
static void vlog(int errnum, const char *fmt, va_list ap)
{
	fputs(PREFIX, stderr);
	errno = errnum;
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void emu_log_info(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(errnum, fmt, ap);
	va_end(ap);
}

void emu_log_notice(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(errnum, fmt, ap);
	va_end(ap);
}

void emu_log_error(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(errnum, fmt, ap);
	va_end(ap);
}

int emu_log_errno(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(err < 0 ? -err : err, fmt, ap);
	va_end(ap);
	return err;
}
