// SPDX-License-Identifier: MIT
/*
 * The strict Varlink call decoder (ofs_varlink_parse_call in
 * ofs-varlink.h): the server's only view of what a client asked, so
 * anything a well-behaved client would not send is refused with a reason.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofs-json.h"
#include "ofs-varlink.h"
#include "varlink-internal.h"

#define JSON_DEPTH_MAX	16

static int why_fail(char *why, size_t why_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why_fail(char *why, size_t why_size, const char *fmt, ...)
{
	va_list ap;

	if (why && why_size) {
		va_start(ap, fmt);
		vsnprintf(why, why_size, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/*
 * varlink.org: dot-separated segments (at least two) of letters, digits
 * and inner dashes; the first segment starts with a letter.
 */
static bool interface_name_valid(const char *s, size_t len)
{
	size_t i, segments = 1;
	bool seg_start = true;

	if (len == 0 || len > 255 || !is_alpha(s[0]))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (seg_start || s[i - 1] == '-')
				return false;
			segments++;
			seg_start = true;
			continue;
		}
		if (s[i] == '-') {
			if (seg_start)
				return false;
		} else if (!is_alnum(s[i])) {
			return false;
		}
		seg_start = false;
	}
	return !seg_start && s[len - 1] != '-' && segments >= 2;
}

static bool method_name_valid(const char *s)
{
	if (!(*s >= 'A' && *s <= 'Z'))
		return false;
	for (s++; *s; s++)
		if (!is_alnum(*s))
			return false;
	return true;
}

/*
 * json-c keeps the last of duplicate members and cannot report them, so
 * duplicates are not detected.
 */
json_object *ofs_varlink_parse_json(const char *text, size_t len, char *why,
				    size_t why_size)
{
	struct ofs_json_error err;
	json_object *doc;
	int r;

	if (len > OFS_VARLINK_MSG_MAX) {
		why_fail(why, why_size, "not a Varlink message");
		return NULL;
	}
	r = ofs_json_parse(text, len, JSON_DEPTH_MAX, &doc, &err);
	if (r == -ENOMEM)
		why_fail(why, why_size, "out of memory");
	else if (err.fault == OFS_JSON_NUL)
		why_fail(why, why_size, "not a Varlink message");
	else if (err.fault == OFS_JSON_TRAILING)
		why_fail(why, why_size, "text after the JSON object");
	else if (err.fault == OFS_JSON_TRUNCATED)
		why_fail(why, why_size, "not JSON: the message ends early");
	else if (r)
		why_fail(why, why_size, "not JSON: %s", err.detail);
	else if (!json_object_is_type(doc, json_type_object))
		why_fail(why, why_size, "not a JSON object");
	else
		return doc;
	json_object_put(doc);
	return NULL;
}

static int call_method(struct ofs_varlink_call *call, json_object *val,
		       char *why, size_t why_size)
{
	const char *s, *dot;

	if (!json_object_is_type(val, json_type_string))
		return why_fail(why, why_size, "method: expected a string");
	s = json_object_get_string(val);
	if (strlen(s) != (size_t)json_object_get_string_len(val))
		return why_fail(why, why_size, "method: NUL in the name");
	dot = strrchr(s, '.');
	if (!dot || !interface_name_valid(s, (size_t)(dot - s)))
		return why_fail(why, why_size, "method: not a valid interface name");
	if (!method_name_valid(dot + 1))
		return why_fail(why, why_size, "method: not a valid method name");
	call->method = strdup(s);
	return call->method ? 0 : -ENOMEM;
}

static int call_member(struct ofs_varlink_call *call, const char *key,
		       json_object *val, char *why, size_t why_size)
{
	if (!strcmp(key, "method"))
		return call_method(call, val, why, why_size);
	if (!strcmp(key, "parameters")) {
		if (!json_object_is_type(val, json_type_object))
			return why_fail(why, why_size, "parameters: expected an object");
		call->parameters = json_object_get(val);
		return 0;
	}
	if (!strcmp(key, "more") || !strcmp(key, "oneway")) {
		if (!json_object_is_type(val, json_type_boolean))
			return why_fail(why, why_size, "%s: expected true or false", key);
		*(key[0] == 'm' ? &call->more : &call->oneway) =
			json_object_get_boolean(val);
		return 0;
	}
	if (!strcmp(key, "upgrade"))
		return why_fail(why, why_size, "upgrade: not supported");
	return why_fail(why, why_size, "%.64s: unknown member of a call", key);
}

int ofs_varlink_parse_call(const char *text, size_t len,
			   struct ofs_varlink_call *call,
			   char *why, size_t why_size)
{
	json_object *doc;
	int r = 0;

	memset(call, 0, sizeof(*call));
	if (why && why_size)
		why[0] = '\0';
	doc = ofs_varlink_parse_json(text, len, why, why_size);
	if (!doc)
		return -EBADMSG;
	json_object_object_foreach(doc, key, val) {
		r = call_member(call, key, val, why, why_size);
		if (r)
			break;
	}
	if (!r && !call->method)
		r = why_fail(why, why_size, "method: missing");
	if (!r && call->more && call->oneway)
		r = why_fail(why, why_size, "more and oneway together");
	if (!r && !call->parameters) {
		call->parameters = json_object_new_object();
		if (!call->parameters)
			r = -ENOMEM;
	}
	json_object_put(doc);
	if (r)
		ofs_varlink_call_release(call);
	return r;
}

void ofs_varlink_call_release(struct ofs_varlink_call *call)
{
	free(call->method);
	json_object_put(call->parameters);
	memset(call, 0, sizeof(*call));
}
