// SPDX-License-Identifier: MIT
/*
 * libFuzzer over offload-secd.conf (daemon/config.c over lib/conf.c): any
 * bytes either parse into values inside their documented ranges with no
 * error reported, or fail with -EINVAL after at least one "fuzz:LINE: ..."
 * report.  Nothing leaks either way.  Seeds: tests/fuzz/corpus and the
 * documented sample configuration.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* config.c logs whole-config warnings only from secd_config_check(). */
void secd_log(const struct secd_launch *l, int priority, const char *fmt, ...)
{
}

struct reports {
	unsigned int n;
	bool misnamed;
};

static void count(const char *message, void *userdata)
{
	struct reports *rep = userdata;

	rep->n++;
	if (strncmp(message, "fuzz:", 5) || strchr(message, '\n'))
		rep->misnamed = true;
}

static bool in_ranges(const struct secd_config *c)
{
	return c->fetch_timeout >= 1 && c->fetch_timeout <= 86400 &&
	       c->fetch_retries <= 100 && c->ras_timeout >= 1 &&
	       c->ras_timeout <= 3600 && c->ras_retries <= 100 &&
	       c->max_launches >= 1 && c->max_launches <= 1024 &&
	       c->chunk_size >= 4096 && c->chunk_size <= (16u << 20) &&
	       !(c->chunk_size & (c->chunk_size - 1)) &&
	       c->keep_finished <= 65536 &&
	       (!c->repo_key || c->repo_key[0] == '/') &&
	       (!c->device || c->device[0] == '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reports rep = { 0 };
	struct secd_config c;
	int r;

	secd_config_init(&c);
	r = secd_config_parse(&c, "fuzz", (const char *)data, size, count, &rep);
	if (rep.misnamed || (r && (r != -EINVAL || !rep.n)) || (!r && rep.n) ||
	    !in_ranges(&c))
		__builtin_trap();
	secd_config_free(&c);
	return 0;
}
