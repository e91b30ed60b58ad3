// SPDX-License-Identifier: MIT
/* The strict JSON reader (ofs-json.h) over json-c's tokener. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <json-c/json.h>

#include "ofs-json.h"

static int fault(struct ofs_json_error *err, enum ofs_json_fault f,
		 size_t offset, const char *detail)
{
	if (err) {
		err->fault = f;
		err->offset = offset;
		err->detail = detail;
	}
	return f == OFS_JSON_TOO_LARGE ? -E2BIG : -EBADMSG;
}

/* Strict json-c takes trailing white space itself; this is the backstop. */
static size_t skip_space(const char *text, size_t at, size_t len)
{
	while (at < len && strchr(" \t\r\n", text[at]))
		at++;
	return at;
}

int ofs_json_parse(const char *text, size_t len, unsigned int depth,
		   struct json_object **out, struct ofs_json_error *err)
{
	struct json_tokener *tok;
	enum json_tokener_error e;
	struct json_object *doc;
	const char *nul;
	size_t end;

	*out = NULL;
	if (err)
		*err = (struct ofs_json_error){ .fault = OFS_JSON_OK };
	if (len > INT_MAX || depth > INT_MAX)
		return fault(err, OFS_JSON_TOO_LARGE, 0, "too large");
	nul = memchr(text, '\0', len);
	if (nul)
		return fault(err, OFS_JSON_NUL, (size_t)(nul - text), "a NUL byte");
	tok = json_tokener_new_ex((int)depth);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	doc = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!doc || e != json_tokener_success) {
		json_object_put(doc);
		if (e == json_tokener_continue)
			return fault(err, OFS_JSON_TRUNCATED, len, "the text ends early");
		/* json-c's null is a NULL object: no caller can take it. */
		if (e == json_tokener_success)
			return fault(err, OFS_JSON_SYNTAX, 0, "a bare null");
		return fault(err, OFS_JSON_SYNTAX, end, json_tokener_error_desc(e));
	}
	end = skip_space(text, end, len);
	if (end < len) {
		json_object_put(doc);
		return fault(err, OFS_JSON_TRAILING, end, "text after the value");
	}
	*out = doc;
	return 0;
}
