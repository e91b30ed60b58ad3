// SPDX-License-Identifier: MIT
/*
 * Blocking Varlink calls (the client half of ofs-varlink.h), built only on
 * the connection's public queue/flush/fill/next: a deadline for the whole
 * call, poll() while the socket is not ready, and a reply decoder that
 * accepts nothing but parameters, error and continues.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ofs-varlink.h"
#include "varlink-internal.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events until the deadline (-1: none). */
static int wait_fd(struct ofs_varlink *v, short events, int64_t deadline)
{
	struct pollfd p = { .fd = ofs_varlink_fd(v), .events = events };
	int64_t left = -1;
	int n;

	if (deadline >= 0) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
	}
	n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ETIMEDOUT;
	return 0;
}

static int flush_until(struct ofs_varlink *v, int64_t deadline)
{
	int r;

	while ((r = ofs_varlink_flush(v)) == -EAGAIN) {
		r = wait_fd(v, POLLOUT, deadline);
		if (r)
			return r;
	}
	return r == -EPIPE ? -ECONNRESET : r;
}

/* The error name lives as long as the parameters object it is attached to. */
static void free_error_name(json_object *o, void *name)
{
	free(name);
}

static int decode_reply(const char *text, size_t len, json_object **reply,
			const char **error, bool *continues)
{
	json_object *doc, *params = NULL, *name_obj = NULL;
	char *name = NULL;
	bool more = false;
	int r = 0;

	doc = ofs_varlink_parse_json(text, len, NULL, 0);
	if (!doc)
		return -EBADMSG;
	json_object_object_foreach(doc, key, val) {
		if (!strcmp(key, "parameters") &&
		    json_object_is_type(val, json_type_object))
			params = val;
		else if (!strcmp(key, "error") &&
			 json_object_is_type(val, json_type_string))
			name_obj = val;
		else if (!strcmp(key, "continues") &&
			 json_object_is_type(val, json_type_boolean))
			more = json_object_get_boolean(val);
		else
			r = -EBADMSG;
	}
	if (!r && name_obj) {
		name = strdup(json_object_get_string(name_obj));
		if (!name)
			r = -ENOMEM;
	}
	params = params ? json_object_get(params) : json_object_new_object();
	json_object_put(doc);
	if (!r && !params)
		r = -ENOMEM;
	if (r) {
		free(name);
		json_object_put(params);
		return r;
	}
	if (name)
		json_object_set_userdata(params, name, free_error_name);
	*reply = params;
	*error = name;
	if (continues)
		*continues = more && !name;
	return 0;
}

int ofs_varlink_wait_reply(struct ofs_varlink *v, int timeout_ms,
			   json_object **reply, const char **error,
			   bool *continues)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	const char *text;
	size_t len, n_fds;
	int fds[OFS_VARLINK_FDS_MAX], r;

	*reply = NULL;
	*error = NULL;
	if (continues)
		*continues = false;
	for (;;) {
		r = ofs_varlink_next(v, &text, &len, fds, &n_fds);
		/* A reply that carries fds is not part of this API. */
		while (r == 1 && n_fds)
			close(fds[--n_fds]);
		if (r == 1)
			return decode_reply(text, len, reply, error, continues);
		if (r < 0)
			return r == -EMSGSIZE ? -EBADMSG : r;
		r = ofs_varlink_fill(v);
		if (r == -EAGAIN)
			r = wait_fd(v, POLLIN, deadline);
		if (r)
			return r == -EMSGSIZE ? -EBADMSG : r;
	}
}

static json_object *make_call(const char *method, json_object *params,
			      unsigned int flags)
{
	json_object *msg = json_object_new_object();

	if (!msg)
		return NULL;
	params = params ? json_object_get(params) : json_object_new_object();
	if (json_object_object_add(msg, "method", json_object_new_string(method)) ||
	    json_object_object_add(msg, "parameters", params) ||
	    ((flags & OFS_VARLINK_CALL_MORE) &&
	     json_object_object_add(msg, "more", json_object_new_boolean(1)))) {
		json_object_put(msg);
		return NULL;
	}
	return msg;
}

int ofs_varlink_call(struct ofs_varlink *v, const char *method,
		     json_object *params, const int *fds, size_t n_fds,
		     unsigned int flags, int timeout_ms, json_object **reply,
		     const char **error, bool *continues)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	json_object *msg;
	int r;

	*reply = NULL;
	*error = NULL;
	if (continues)
		*continues = false;
	if (flags & ~OFS_VARLINK_CALL_MORE)
		return -EINVAL;
	msg = make_call(method, params, flags);
	if (!msg)
		return -ENOMEM;
	r = ofs_varlink_queue(v, msg, fds, n_fds);
	json_object_put(msg);
	if (r)
		return r;
	r = flush_until(v, deadline);
	if (r)
		return r;
	if (timeout_ms >= 0) {
		timeout_ms = (int)(deadline - now_ms());
		if (timeout_ms <= 0)
			return -ETIMEDOUT;
	}
	return ofs_varlink_wait_reply(v, timeout_ms, reply, error, continues);
}
