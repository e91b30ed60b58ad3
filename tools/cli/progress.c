// SPDX-License-Identifier: MIT
/*
 * A progress bar for long transfers, and the byte and duration formats
 * every launch line shares.  The bar goes to stderr only when stderr is a
 * terminal that can take a carriage return, so logs and pipes never see
 * it; it redraws at most ten times a second.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define REDRAW_USEC	100000
#define BAR_WIDTH	24

uint64_t cli_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void cli_format_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%" PRIu64 " B", bytes);
		return;
	}
	for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]); v /= 1024)
		u++;
	/* Three significant digits at most: "1.0 GiB", "460 MiB". */
	snprintf(buf, size, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

void cli_format_usec(uint64_t usec, char *buf, size_t size)
{
	if (usec < 1000)
		snprintf(buf, size, "%" PRIu64 " us", usec);
	else if (usec < 1000000)
		snprintf(buf, size, "%.1f ms", (double)usec / 1e3);
	else if (usec < 60000000)
		snprintf(buf, size, "%.2f s", (double)usec / 1e6);
	else
		snprintf(buf, size, "%" PRIu64 " min %02" PRIu64 " s",
			 usec / 60000000, usec / 1000000 % 60);
}

/* "12.3 ms" for ages would be silly: "4 s", "3 min", "2 h", "5 d". */
void cli_format_age(uint64_t usec, char *buf, size_t size)
{
	uint64_t s = usec / 1000000;

	if (s < 120)
		snprintf(buf, size, "%" PRIu64 " s", s);
	else if (s < 7200)
		snprintf(buf, size, "%" PRIu64 " min", s / 60);
	else if (s < 172800)
		snprintf(buf, size, "%" PRIu64 " h", s / 3600);
	else
		snprintf(buf, size, "%" PRIu64 " d", s / 86400);
}

void cli_format_rate(uint64_t bytes, uint64_t usec, char *buf, size_t size)
{
	char per_second[32];

	if (!usec) {
		snprintf(buf, size, "-");
		return;
	}
	cli_format_bytes((uint64_t)((double)bytes * 1e6 / (double)usec),
			 per_second, sizeof(per_second));
	snprintf(buf, size, "%s/s", per_second);
}

static int terminal_columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) || ws.ws_col < 20)
		return 80;
	return ws.ws_col;
}

void cli_progress_init(struct cli_progress *p, bool wanted)
{
	const char *term = getenv("TERM");

	memset(p, 0, sizeof(*p));
	p->enabled = wanted && isatty(STDERR_FILENO) && term && *term &&
		     strcmp(term, "dumb");
}

static void draw(struct cli_progress *p, uint64_t done, uint64_t total, uint64_t now)
{
	char line[512], bar[BAR_WIDTH + 1], d[32], t[32], rate[32];
	unsigned int filled, pct;
	int cols = terminal_columns();

	if (done > total)
		done = total;
	pct = total ? (unsigned int)(done * 100 / total) : 0;
	filled = total ? (unsigned int)(done * BAR_WIDTH / total) : 0;
	memset(bar, '#', filled);
	memset(bar + filled, '.', BAR_WIDTH - filled);
	bar[BAR_WIDTH] = '\0';
	cli_format_bytes(done, d, sizeof(d));
	cli_format_bytes(total, t, sizeof(t));
	cli_format_rate(done, now - p->start_usec, rate, sizeof(rate));
	snprintf(line, sizeof(line), "%-8s [%s] %3u%% %s/%s  %s", p->label, bar,
		 pct, d, t, rate);
	/* Never wrap: a wrapped line cannot be redrawn with \r. */
	if ((int)strlen(line) >= cols)
		line[cols - 1] = '\0';
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->drawn = true;
	p->last_draw_usec = now;
}

void cli_progress_update(struct cli_progress *p, const char *label,
			 uint64_t done, uint64_t total)
{
	uint64_t now = cli_now_usec();

	if (!p->enabled || !total)
		return;
	if (strcmp(p->label, label)) {
		snprintf(p->label, sizeof(p->label), "%s", label);
		p->start_usec = now;
		p->last_draw_usec = 0;
	}
	if (done < total && now - p->last_draw_usec < REDRAW_USEC)
		return;
	draw(p, done, total, now);
}

void cli_progress_clear(struct cli_progress *p)
{
	if (!p->drawn)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->drawn = false;
}
