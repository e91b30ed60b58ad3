// SPDX-License-Identifier: MIT
/*
 * Messages on stderr.  Errors always, progress only with --verbose: the
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

static void vlog(const char *fmt, va_list ap)
{
	fputs(PREFIX, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void emu_log_info(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void emu_log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

int emu_log_errno(int err, const char *fmt, ...)
{
	va_list ap;

	/* glibc's %m prints strerror(errno). */
	errno = err < 0 ? -err : err;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	return err;
}
