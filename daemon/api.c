// SPDX-License-Identifier: MIT
/*
 * The methods of io.offload-sec.Launcher and org.varlink.service
 * (docs/daemon-api.md), mapped onto the manager.  A Launch is followed
 * through its on_update callback: stage changes and (throttled) progress
 * go to callers that asked for "more", the end becomes the last reply or
 * one of the interface's errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <syslog.h>
#include <unistd.h>

#include "api.h"

/*
 * The interface description is daemon/io.offload-sec.Launcher.varlink
 * itself, assembled into the binary: one text, never two copies.
 */
__asm__(".pushsection .rodata\n"
	".balign 8\n"
	".type launcher_varlink, @object\n"
	"launcher_varlink:\n"
	".incbin \"daemon/io.offload-sec.Launcher.varlink\"\n"
	".byte 0\n"
	".size launcher_varlink, . - launcher_varlink\n"
	".popsection\n");
extern const char launcher_varlink[];

static const char service_varlink[] =
	"# The Varlink service interface, answered by every Varlink service.\n"
	"interface org.varlink.service\n"
	"\n"
	"method GetInfo() -> (\n"
	"  vendor: string,\n"
	"  product: string,\n"
	"  version: string,\n"
	"  url: string,\n"
	"  interfaces: []string\n"
	")\n"
	"\n"
	"method GetInterfaceDescription(interface: string) -> (description: string)\n"
	"\n"
	"error InterfaceNotFound (interface: string)\n"
	"error MethodNotFound (method: string)\n"
	"error MethodNotImplemented (method: string)\n"
	"error InvalidParameter (parameter: string)\n"
	"error PermissionDenied ()\n"
	"error ExpectedMore ()\n";

const char *secd_api_interface_description(void)
{
	return launcher_varlink;
}

/* ---- replies (nothing for a oneway call) ---- */

/* {key: val}, or NULL when either cannot be had; val is the object's or freed. */
static json_object *object1(const char *key, json_object *val)
{
	json_object *o = val ? json_object_new_object() : NULL;

	if (o && !json_object_object_add(o, key, val))
		return o;
	json_object_put(o);
	json_object_put(val);
	return NULL;
}

static int reply(struct secd_conn *c, json_object *params, bool continues)
{
	int r;

	if (!params)
		return -ENOMEM;
	r = c->oneway ? 0 : ofs_varlink_reply(c->v, params, continues);
	json_object_put(params);
	return r;
}

static int error(struct secd_conn *c, const char *name, json_object *params)
{
	int r = c->oneway ? 0 : ofs_varlink_error(c->v, name, params);

	json_object_put(params);
	return r;
}

static int error1(struct secd_conn *c, const char *name, const char *key,
		  const char *value)
{
	json_object *p = object1(key, json_object_new_string(value));

	return p ? error(c, name, p) : -ENOMEM;
}

static int invalid(struct secd_conn *c, const char *parameter)
{
	return c->oneway ? 0 : ofs_varlink_error_invalid_parameter(c->v, parameter);
}

/* ---- parameters of the small methods ---- */

/* Only the members listed; a string one is returned in *value. */
static int only(struct secd_conn *c, json_object *params, const char *key,
		const char **value)
{
	json_object *v;

	json_object_object_foreach(params, k, val) {
		(void)val;
		if (!key || strcmp(k, key))
			return invalid(c, k) ?: 1;
	}
	if (!key)
		return 0;
	if (!json_object_object_get_ex(params, key, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return invalid(c, key) ?: 1;
	*value = json_object_get_string(v);
	return 0;
}

/* ---- org.varlink.service ---- */

static int get_info(struct secd_conn *c, const struct ofs_varlink_call *call)
{
	int r = only(c, call->parameters, NULL, NULL);

	if (r)
		return r < 0 ? r : 0;
	return reply(c, secd_api_info_json(), false);
}

static int get_interface_description(struct secd_conn *c,
				     const struct ofs_varlink_call *call)
{
	const char *name = NULL, *text = NULL;
	int r = only(c, call->parameters, "interface", &name);

	if (r)
		return r < 0 ? r : 0;
	if (!strcmp(name, OFS_VARLINK_INTERFACE))
		text = launcher_varlink;
	else if (!strcmp(name, SECD_API_SERVICE_INTERFACE))
		text = service_varlink;
	else
		return error1(c, OFS_VARLINK_ERR_INTERFACE_NOT_FOUND, "interface", name);
	return reply(c, object1("description", json_object_new_string(text)), false);
}

/* ---- Launch ---- */

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* A stage change is always said; progress within a stage ten times a second. */
static void send_progress(struct secd_conn *c, struct secd_launch *l, bool force)
{
	int stage = atomic_load(&l->stage);
	uint64_t now = now_usec();

	if (!force && stage == c->launch_stage &&
	    now - c->progress_usec < SECD_API_PROGRESS_USEC)
		return;
	c->launch_stage = stage;
	c->progress_usec = now;
	if (reply(c, secd_api_progress_json(l), true))
		secd_conn_close_later(c);
	secd_conn_kick(c);
}

/* A oneshot timer, armed again while the launch runs. */
static void arm_progress_timer(struct secd_conn *c)
{
	if (sd_event_source_set_time_relative(c->progress, SECD_API_PROGRESS_USEC) < 0 ||
	    sd_event_source_set_enabled(c->progress, SD_EVENT_ONESHOT) < 0)
		sd_event_source_set_enabled(c->progress, SD_EVENT_OFF);
}

static int on_progress_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct secd_conn *c = userdata;

	if (!c->launch)
		return 0;
	send_progress(c, c->launch, false);
	arm_progress_timer(c);
	return 0;
}

/* Progress within a stage is not posted by the worker: look at it. */
static void start_progress_timer(struct secd_conn *c)
{
	if (!c->progress &&
	    sd_event_add_time_relative(c->api->event, &c->progress, CLOCK_MONOTONIC,
				       SECD_API_PROGRESS_USEC, 0,
				       on_progress_timer, c) < 0)
		return;		/* stage changes are still said */
	arm_progress_timer(c);
}

static void launch_ended(struct secd_conn *c, struct secd_launch *l)
{
	json_object *params;
	const char *name = secd_api_launch_error(l, &params);
	int r;

	c->launch = NULL;
	c->launch_answered = true;
	if (c->progress)
		sd_event_source_set_enabled(c->progress, SD_EVENT_OFF);
	if (name)
		r = error(c, name, params);
	else
		r = reply(c, secd_api_result_json(l), false);
	if (r)
		secd_conn_close_later(c);
	secd_conn_kick(c);
	secd_conn_resume(c);
}

static void on_launch_update(struct secd_launch *l, bool ended, void *userdata)
{
	struct secd_conn *c = userdata;

	if (ended)
		launch_ended(c, l);
	else if (c->launch_more)
		send_progress(c, l, false);
}

static void close_fds_but(int *fds, size_t n_fds, int keep)
{
	size_t i;

	for (i = 0; i < n_fds; i++)
		if (fds[i] != keep)
			close(fds[i]);
}

static int start_failed(struct secd_conn *c, int err)
{
	json_object *params;
	/* The limit in force now: a reload may have changed it. */
	const char *name = secd_api_start_error(
		err, secd_manager_config(c->api->manager)->max_launches, &params);

	return params ? error(c, name, params) : -ENOMEM;
}

static int launch(struct secd_conn *c, const struct ofs_varlink_call *call,
		  int *fds, size_t n_fds)
{
	struct secd_launch_request req;
	struct secd_launch *l;
	const char *parameter;
	char why[256];
	int r;

	if (call->oneway) {
		close_fds_but(fds, n_fds, -1);
		c->oneway = false;	/* the caller must see why */
		return invalid(c, "oneway");
	}
	r = secd_api_launch_request(call->parameters, fds, n_fds, &req,
				    &parameter, why, sizeof(why));
	if (r) {
		close_fds_but(fds, n_fds, -1);
		if (r == -EINVAL)
			return invalid(c, parameter);
		return error1(c, OFS_VARLINK_INTERFACE ".DestinationInvalid",
			      "reason", why);
	}
	req.uid = c->uid;
	req.pid = c->pid;
	c->launch_more = call->more;
	c->launch_stage = -1;
	c->launch_answered = false;
	r = secd_launch_start(c->api->manager, &req, on_launch_update, c, &l);
	if (r) {
		close_fds_but(fds, n_fds, -1);
		return start_failed(c, r);
	}
	close_fds_but(fds, n_fds, req.dest_fd);
	secd_log(l, LOG_INFO, "launch requested by uid %u pid %d",
		 (unsigned int)c->uid, (int)c->pid);
	/* The manager may have reported the end already, from the start. */
	if (c->launch_answered)
		return 0;
	c->launch = l;
	if (call->more) {
		send_progress(c, l, true);
		start_progress_timer(c);
	}
	return 0;
}

/* ---- Status, List, Cancel ---- */

static int find(struct secd_conn *c, const struct ofs_varlink_call *call,
		struct secd_launch **out)
{
	const char *id = NULL;
	int r = only(c, call->parameters, "id", &id);

	if (r)
		return r;
	*out = secd_launch_find(c->api->manager, id);
	if (*out)
		return 0;
	r = error1(c, OFS_VARLINK_INTERFACE ".NoSuchLaunch", "id", id);
	return r ? r : 1;
}

static int status(struct secd_conn *c, const struct ofs_varlink_call *call)
{
	struct secd_launch *l;
	int r = find(c, call, &l);

	if (r)
		return r < 0 ? r : 0;
	return reply(c, object1("launch", secd_api_launch_json(l)), false);
}

static int list(struct secd_conn *c, const struct ofs_varlink_call *call)
{
	struct secd_launch *l;
	json_object *a;
	int r = only(c, call->parameters, NULL, NULL);

	if (r)
		return r < 0 ? r : 0;
	a = json_object_new_array();
	for (l = secd_launch_first(c->api->manager); a && l; l = secd_launch_next(l))
		json_object_array_add(a, secd_api_launch_json(l));
	return reply(c, object1("launches", a), false);
}

static int cancel(struct secd_conn *c, const struct ofs_varlink_call *call)
{
	struct secd_launch *l;
	int r = find(c, call, &l);

	if (r)
		return r < 0 ? r : 0;
	if (c->uid != 0 && c->uid != l->req.uid)
		return error(c, OFS_VARLINK_ERR_PERMISSION_DENIED, NULL);
	r = secd_launch_cancel(l);
	if (r && r != -EALREADY)
		return error1(c, OFS_VARLINK_INTERFACE ".LaunchFailed", "reason",
			      strerror(-r));
	if (!r)
		secd_log(l, LOG_INFO, "cancelled by uid %u", (unsigned int)c->uid);
	return reply(c, json_object_new_object(), false);
}

/* ---- dispatch ---- */

struct method {
	const char *name;
	int (*run)(struct secd_conn *c, const struct ofs_varlink_call *call);
};

static const struct method methods[] = {
	{ SECD_API_SERVICE_INTERFACE ".GetInfo", get_info },
	{ SECD_API_SERVICE_INTERFACE ".GetInterfaceDescription", get_interface_description },
	{ OFS_VARLINK_INTERFACE ".Status", status },
	{ OFS_VARLINK_INTERFACE ".List", list },
	{ OFS_VARLINK_INTERFACE ".Cancel", cancel },
};

static int unknown_method(struct secd_conn *c, const char *method)
{
	const char *dot = strrchr(method, '.');
	size_t len = (size_t)(dot - method);
	char iface[256];

	if ((len == strlen(SECD_API_SERVICE_INTERFACE) &&
	     !strncmp(method, SECD_API_SERVICE_INTERFACE, len)) ||
	    (len == strlen(OFS_VARLINK_INTERFACE) &&
	     !strncmp(method, OFS_VARLINK_INTERFACE, len)))
		return error1(c, OFS_VARLINK_ERR_METHOD_NOT_FOUND, "method", method);
	snprintf(iface, sizeof(iface), "%.*s", (int)len, method);
	return error1(c, OFS_VARLINK_ERR_INTERFACE_NOT_FOUND, "interface", iface);
}

int secd_api_dispatch(struct secd_conn *c, const struct ofs_varlink_call *call,
		      int *fds, size_t n_fds)
{
	size_t i;
	int r;

	c->oneway = call->oneway;
	if (!c->allowed) {
		close_fds_but(fds, n_fds, -1);
		r = error(c, OFS_VARLINK_ERR_PERMISSION_DENIED, NULL);
	} else if (!strcmp(call->method, OFS_VARLINK_INTERFACE ".Launch")) {
		r = launch(c, call, fds, n_fds);
	} else {
		close_fds_but(fds, n_fds, -1);
		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			if (!strcmp(call->method, methods[i].name))
				break;
		r = i < sizeof(methods) / sizeof(methods[0]) ?
			methods[i].run(c, call) : unknown_method(c, call->method);
	}
	c->oneway = false;
	return r;
}

void secd_api_conn_gone(struct secd_conn *c)
{
	struct secd_launch *l = c->launch;

	if (!l)
		return;
	c->launch = NULL;
	/* The memory belonged to a VMM that is gone: nobody can use it. */
	if (secd_launch_cancel(l) == 0)
		secd_log(l, LOG_NOTICE, "caller went away: launch cancelled");
	secd_launch_detach(l);
}
