/* SPDX-License-Identifier: MIT */
/*
 * What the parts of libofs's Varlink code share and no caller sees:
 * varlink-call.c (the strict call decoder) owns the JSON reader that
 * varlink-client.c also decodes replies with.
 */
#ifndef OFS_VARLINK_INTERNAL_H
#define OFS_VARLINK_INTERNAL_H

#include <stddef.h>

#include <json-c/json.h>

/*
 * One message (without its NUL) as a JSON object: strict JSON, valid
 * UTF-8, nested at most 16 deep, nothing but white space after it.  NULL
 * with why[] saying what was wrong (why may be NULL).
 */
json_object *ofs_varlink_parse_json(const char *text, size_t len, char *why,
				    size_t why_size);

#endif
