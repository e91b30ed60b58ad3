/* SPDX-License-Identifier: MIT */
/*
 * libofs: the one strict JSON reader.  Everything the project reads as
 * JSON (Varlink messages, manifests, policies, the RAS's requests and
 * answers) goes through ofs_json_parse(), so that "JSON" means the same
 * thing everywhere; each caller words its own errors from the fault and
 * the byte offset it is given.
 */
#ifndef OFS_JSON_H
#define OFS_JSON_H

#include <stddef.h>

struct json_object;

/* Why a text is not one JSON value. */
enum ofs_json_fault {
	OFS_JSON_OK,
	OFS_JSON_TOO_LARGE,	/* more bytes than json-c can take */
	OFS_JSON_NUL,		/* a NUL byte at offset */
	OFS_JSON_SYNTAX,	/* not JSON from offset on: detail says why */
	OFS_JSON_TRUNCATED,	/* the text ends inside the value (offset = len) */
	OFS_JSON_TRAILING,	/* something other than white space at offset */
};

struct ofs_json_error {
	enum ofs_json_fault fault;
	size_t offset;		/* of the byte at fault, from the start */
	const char *detail;	/* a few words (json-c's for SYNTAX); static */
};

/*
 * Parses text[0..len) as exactly one JSON value: json-c's strict mode,
 * valid UTF-8, nested within json-c's depth (which counts the innermost
 * value: 3 takes [[1]], not [[[1]]]), nothing but white space after it.  Returns 0 with *out set (json_object_put() it), -ENOMEM, or
 * -EBADMSG (-E2BIG for TOO_LARGE) with *err saying where and why; err may
 * be NULL.
 */
int ofs_json_parse(const char *text, size_t len, unsigned int depth,
		   struct json_object **out, struct ofs_json_error *err);

#endif
