// SPDX-License-Identifier: MIT
/*
 * The methods of io.offload-sec.Launcher and org.varlink.service
 * (docs/daemon-api.md), mapped onto the manager.  A Launch is followed
 * through its on_update callback: stage changes and (throttled) progress
 * go to callers that asked for "more", the end becomes the last reply or
 * one of the interface's errors.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "api.h"
#include "ofs-device.h"
#include "ofs-util.h"

#ifndef OFS_VERSION
#define OFS_VERSION	"0.1.0"
#endif
/* GetInfo's url: none until the project has a public home (-DOFS_URL=...). */
#ifndef OFS_URL
#define OFS_URL		""
#endif

#define SERVICE_INTERFACE	"org.varlink.service"
#define RESULT_DEPTH_MAX	16

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

/* ---- small JSON helpers: a NULL member is simply left out ---- */

static void add(json_object *o, const char *key, json_object *val)
{
	if (val)
		json_object_object_add(o, key, val);
}

static void add_str(json_object *o, const char *key, const char *s)
{
	if (s)
		add(o, key, json_object_new_string(s));
}

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	add(o, key, json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v));
}

static json_object *hex(const uint8_t *buf, size_t len)
{
	char out[2 * 64 + 1];

	if (len > 64)
		return NULL;
	ofs_hex(buf, len, out);
	return json_object_new_string(out);
}

static json_object *base64(const uint8_t *buf, size_t len)
{
	json_object *o;
	char *out;

	if (!buf || len > INT32_MAX / 2)
		return NULL;
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	o = json_object_new_string(out);
	free(out);
	return o;
}

static bool all_zero(const uint8_t *buf, size_t len)
{
	while (len--)
		if (buf[len])
			return false;
	return true;
}

/* Stage and outcome names as the interface spells them: lower case. */
static json_object *lower(const char *s)
{
	char buf[32];
	size_t i;

	for (i = 0; s && s[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[i] = '\0';
	return json_object_new_string(buf);
}

static json_object *stage_name(int stage)
{
	return lower(stage >= 0 && stage < SECD_STAGE_MAX ?
		     secd_stage_name((enum secd_stage)stage) : "unknown");
}

const char *secd_api_errno_name(int err, char buf[16])
{
	const char *name;

	if (err < 0)
		err = -err;
	name = strerrorname_np(err);
	if (name)
		return name;
	snprintf(buf, 16, "E%d", err);
	return buf;
}

static json_object *errno_name(int err)
{
	char buf[16];

	return json_object_new_string(secd_api_errno_name(err, buf));
}

/* ---- a launch, as Status and List show it ---- */

static json_object *progress_json(const struct secd_launch *l)
{
	struct secd_launch *ml = (struct secd_launch *)l;
	json_object *p = json_object_new_object();

	if (!p)
		return NULL;
	add(p, "stage", stage_name(atomic_load(&ml->stage)));
	add_u64(p, "done", atomic_load(&ml->progress_done));
	add_u64(p, "total", atomic_load(&ml->progress_total));
	return p;
}

/* The worker publishes its end with a release store: pair with it. */
static enum secd_outcome outcome_of(const struct secd_launch *l)
{
	return __atomic_load_n(&l->outcome, __ATOMIC_ACQUIRE);
}

/* The version launched once known, else the one asked for ("" = newest). */
static const char *version_of(const struct secd_launch *l)
{
	if (outcome_of(l) != SECD_RUNNING && l->result.version[0])
		return l->result.version;
	return l->req.version;
}

json_object *secd_api_launch_json(const struct secd_launch *l)
{
	struct secd_launch *ml = (struct secd_launch *)l;
	enum secd_outcome outcome = outcome_of(l);
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add_str(o, "id", l->id);
	add_str(o, "image", l->req.image);
	add_str(o, "version", version_of(l));
	add(o, "stage", stage_name(atomic_load(&ml->stage)));
	add(o, "outcome", lower(secd_outcome_name(outcome)));
	add_u64(o, "uid", l->req.uid);
	add_u64(o, "pid", (uint64_t)l->req.pid);
	add_u64(o, "started_usec", l->started_usec);
	if (outcome == SECD_RUNNING) {
		add(o, "progress", progress_json(l));
	} else {
		add_u64(o, "ended_usec", l->ended_usec);
		if (outcome != SECD_SUCCEEDED && l->reason[0])
			add_str(o, "error", l->reason);
	}
	return o;
}

/* ---- the verifier's appraisal, passed on ---- */

static void copy_strings(json_object *to, json_object *from,
			 const char *const *keys)
{
	json_object *v;

	for (; *keys; keys++)
		if (json_object_object_get_ex(from, *keys, &v) &&
		    json_object_is_type(v, json_type_string))
			add_str(to, *keys, json_object_get_string(v));
}

static json_object *checks_json(json_object *checks)
{
	static const char *const keys[] = {
		"check", "claim", "status", "expected", "actual", "reason", "error",
		NULL,
	};
	json_object *out = json_object_new_array(), *c, *item;
	size_t i, n;

	if (!out || !json_object_is_type(checks, json_type_array))
		return out;
	n = json_object_array_length(checks);
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(checks, i);
		if (!json_object_is_type(c, json_type_object))
			continue;
		item = json_object_new_object();
		if (!item)
			continue;
		copy_strings(item, c, keys);
		if (!json_object_object_get_ex(item, "reason", NULL))
			add_str(item, "reason", "");
		json_object_array_add(out, item);
	}
	return out;
}

static json_object *failed_json(json_object *failed)
{
	json_object *out = json_object_new_array(), *f;
	size_t i, n;

	if (!out || !json_object_is_type(failed, json_type_array))
		return out;
	n = json_object_array_length(failed);
	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(failed, i);
		if (json_object_is_type(f, json_type_string))
			json_object_array_add(out, json_object_get(f));
	}
	return out;
}

static const char *verdict_word(json_object *doc)
{
	static const char *const words[] = {
		"affirming", "warning", "contraindicated", "none",
	};
	json_object *v;
	size_t i;

	if (json_object_object_get_ex(doc, "verdict", &v) &&
	    json_object_is_type(v, json_type_string))
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (!strcmp(json_object_get_string(v), words[i]))
				return words[i];
	return "none";
}

static json_object *parse_result(const char *text)
{
	struct json_tokener *tok;
	json_object *doc;

	if (!text)
		return NULL;
	tok = json_tokener_new_ex(RESULT_DEPTH_MAX);
	if (!tok)
		return NULL;
	doc = json_tokener_parse_ex(tok, text, (int)strnlen(text, OFS_VARLINK_MSG_MAX));
	json_tokener_free(tok);
	if (doc && !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		doc = NULL;
	}
	return doc;
}

/* Verdict: verdict, policy id and digest, failed and checks, as the RAS said. */
static json_object *verdict_json(const struct secd_launch *l)
{
	static const char *const policy_keys[] = { "id", "digest", NULL };
	json_object *doc = parse_result(l->result.ras_result_json);
	json_object *o, *pol, *failed = NULL, *checks = NULL, *v;

	if (!doc)
		return NULL;
	o = json_object_new_object();
	if (o) {
		add_str(o, "verdict", verdict_word(doc));
		if (json_object_object_get_ex(doc, "policy", &v) &&
		    json_object_is_type(v, json_type_object)) {
			pol = json_object_new_object();
			if (pol)
				copy_strings(pol, v, policy_keys);
			if (pol && json_object_object_get_ex(pol, "id", &v))
				add(o, "policy_id", json_object_get(v));
			if (pol && json_object_object_get_ex(pol, "digest", &v))
				add(o, "policy_digest", json_object_get(v));
			json_object_put(pol);
		}
		json_object_object_get_ex(doc, "failed", &failed);
		json_object_object_get_ex(doc, "checks", &checks);
		add(o, "failed", failed_json(failed));
		add(o, "checks", checks_json(checks));
	}
	json_object_put(doc);
	return o;
}

/* A refusal always carries a verdict, even when the RAS's text was lost. */
static json_object *refusal_verdict(const struct secd_launch *l)
{
	json_object *o = verdict_json(l);

	if (o)
		return o;
	o = json_object_new_object();
	if (!o)
		return NULL;
	add_str(o, "verdict", "contraindicated");
	add(o, "failed", json_object_new_array());
	add(o, "checks", json_object_new_array());
	return o;
}

/* ---- the result of a launch ---- */

static json_object *timings_json(const struct secd_launch *l)
{
	json_object *o = json_object_new_object(), *name;
	int s;

	if (!o)
		return NULL;
	for (s = 0; s < SECD_STAGE_MAX; s++) {
		if (!l->result.stage_usec[s])
			continue;
		name = stage_name(s);
		if (name)
			add_u64(o, json_object_get_string(name), l->result.stage_usec[s]);
		json_object_put(name);
	}
	return o;
}

static json_object *components_json(const struct secd_launch *l)
{
	json_object *a = json_object_new_array(), *c;
	const struct secd_component_result *r;
	uint32_t k;

	if (!a)
		return NULL;
	for (k = 0; k < OFS_MAX_COMPONENTS; k++) {
		r = &l->result.comp[k];
		if (!r->present)
			continue;
		c = json_object_new_object();
		if (!c)
			continue;
		add_str(c, "kind", ofs_component_name(k));
		add(c, "sha256", hex(r->sha256, sizeof(r->sha256)));
		add_u64(c, "size", r->size);
		add_u64(c, "offset", r->offset);
		json_object_array_add(a, c);
	}
	return a;
}

static json_object *evidence_json(const struct secd_launch *l)
{
	const struct secd_launch_result *r = &l->result;
	json_object *o, *chain;

	if (!r->report)
		return NULL;
	o = json_object_new_object();
	if (!o)
		return NULL;
	add(o, "report", base64(r->report, r->report_len));
	chain = json_object_new_array();
	if (chain && r->chain) {
		json_object_array_add(chain, base64(r->chain, r->deviceid_len));
		json_object_array_add(chain, base64(r->chain + r->deviceid_len,
						    r->alias_len));
	}
	add(o, "chain", chain);
	if (r->confirmation)
		add(o, "confirmation", base64(r->confirmation, r->confirmation_len));
	return o;
}

json_object *secd_api_result_json(const struct secd_launch *l)
{
	const struct secd_launch_result *r = &l->result;
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add_str(o, "id", l->id);
	add_str(o, "image", l->req.image);
	add_str(o, "version", version_of(l));
	add(o, "stage", stage_name(SECD_STAGE_DONE));
	if (r->device[0])
		add_str(o, "device", r->device);
	if (!all_zero(r->session_id, sizeof(r->session_id)))
		add(o, "session_id", hex(r->session_id, sizeof(r->session_id)));
	add(o, "components", components_json(l));
	add(o, "boot_measurement", hex(r->boot_measurement,
				       sizeof(r->boot_measurement)));
	add(o, "verdict", verdict_json(l));
	add(o, "receipt", hex(r->receipt, sizeof(r->receipt)));
	add(o, "evidence", evidence_json(l));
	add(o, "timings", timings_json(l));
	return o;
}

/* ---- how a launch failed ---- */

static bool repository_stage(enum secd_stage s)
{
	return s == SECD_STAGE_FETCH || s == SECD_STAGE_VERIFY;
}

/* Failures of the round trip itself, not of the launch's evidence. */
static bool transport_error(int err)
{
	switch (-err) {
	case ETIMEDOUT: case ECONNREFUSED: case ECONNRESET: case ECONNABORTED:
	case EHOSTUNREACH: case EHOSTDOWN: case ENETUNREACH: case ENETDOWN:
	case ENOTCONN: case EPIPE: case EPROTO: case EAGAIN:
		return true;
	default:
		return false;
	}
}

static json_object *failure(const struct secd_launch *l, bool with_errno)
{
	json_object *p = json_object_new_object();

	if (!p)
		return NULL;
	add_str(p, "id", l->id);
	add(p, "stage", stage_name(l->failed_stage));
	if (with_errno)
		add(p, "errno", errno_name(l->error));
	add_str(p, "reason", l->reason[0] ? l->reason : strerror(-l->error));
	return p;
}

const char *secd_api_launch_error(const struct secd_launch *l,
				  json_object **params)
{
	json_object *p;

	*params = NULL;
	switch (outcome_of(l)) {
	case SECD_RUNNING:
	case SECD_SUCCEEDED:
		return NULL;
	case SECD_CANCELLED:
		goto cancelled;
	case SECD_REFUSED:
		p = *params = json_object_new_object();
		if (p) {
			add_str(p, "id", l->id);
			add_str(p, "reason", l->reason);
			add(p, "verdict", refusal_verdict(l));
			add(p, "timings", timings_json(l));
		}
		return OFS_VARLINK_INTERFACE ".Refused";
	case SECD_FAILED:
		break;
	}
	if (l->error == -ECANCELED)
		goto cancelled;
	if (repository_stage(l->failed_stage) && l->error == -ENOENT) {
		p = *params = json_object_new_object();
		if (p) {
			add_str(p, "id", l->id);
			add_str(p, "image", l->req.image);
			if (l->req.version[0])
				add_str(p, "version", l->req.version);
		}
		return OFS_VARLINK_INTERFACE ".NoSuchImage";
	}
	if (repository_stage(l->failed_stage)) {
		*params = failure(l, true);
		return OFS_VARLINK_INTERFACE ".RepositoryFailed";
	}
	/* A card that went away has no word of its own to give. */
	if (l->device_status || l->error == -ENODEV) {
		p = *params = failure(l, true);
		add_str(p, "device_status", l->device_status ?
			ofs_device_status_str(l->device_status) : "none: the card was removed");
		return OFS_VARLINK_INTERFACE ".DeviceFailed";
	}
	if ((l->failed_stage == SECD_STAGE_ATTEST ||
	     l->failed_stage == SECD_STAGE_APPRAISE) && transport_error(l->error)) {
		p = *params = failure(l, true);
		json_object_object_del(p, "stage");
		return OFS_VARLINK_INTERFACE ".VerifierUnavailable";
	}
	*params = failure(l, true);
	return OFS_VARLINK_INTERFACE ".LaunchFailed";

cancelled:
	p = *params = json_object_new_object();
	if (p) {
		add_str(p, "id", l->id);
		add(p, "stage", stage_name(l->failed_stage));
	}
	return OFS_VARLINK_INTERFACE ".Cancelled";
}

/* ---- replies (nothing for a oneway call) ---- */

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
	json_object *p = json_object_new_object();

	if (!p)
		return -ENOMEM;
	add_str(p, key, value);
	return error(c, name, p);
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
	json_object *p, *ifaces;
	int r = only(c, call->parameters, NULL, NULL);

	if (r)
		return r < 0 ? r : 0;
	p = json_object_new_object();
	ifaces = json_object_new_array();
	if (!p || !ifaces) {
		json_object_put(p);
		json_object_put(ifaces);
		return -ENOMEM;
	}
	json_object_array_add(ifaces, json_object_new_string(SERVICE_INTERFACE));
	json_object_array_add(ifaces, json_object_new_string(OFS_VARLINK_INTERFACE));
	add_str(p, "vendor", "offload-sec");
	add_str(p, "product", "offload-secd");
	add_str(p, "version", OFS_VERSION);
	add_str(p, "url", OFS_URL);
	add(p, "interfaces", ifaces);
	return reply(c, p, false);
}

static int get_interface_description(struct secd_conn *c,
				     const struct ofs_varlink_call *call)
{
	const char *name = NULL, *text = NULL;
	json_object *p;
	int r = only(c, call->parameters, "interface", &name);

	if (r)
		return r < 0 ? r : 0;
	if (!strcmp(name, OFS_VARLINK_INTERFACE))
		text = launcher_varlink;
	else if (!strcmp(name, SERVICE_INTERFACE))
		text = service_varlink;
	else
		return error1(c, OFS_VARLINK_ERR_INTERFACE_NOT_FOUND, "interface", name);
	p = json_object_new_object();
	if (!p)
		return -ENOMEM;
	add_str(p, "description", text);
	return reply(c, p, false);
}

/* ---- Launch ---- */

static json_object *progress_reply(const struct secd_launch *l)
{
	struct secd_launch *ml = (struct secd_launch *)l;
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add_str(o, "id", l->id);
	add_str(o, "image", l->req.image);
	add_str(o, "version", l->req.version);
	add(o, "stage", stage_name(atomic_load(&ml->stage)));
	add(o, "progress", progress_json(l));
	return o;
}

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
	if (reply(c, progress_reply(l), true))
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
	json_object *p = json_object_new_object();

	if (!p)
		return -ENOMEM;
	if (err == -EBUSY) {
		add_u64(p, "max", c->api->config->max_launches);
		return error(c, OFS_VARLINK_INTERFACE ".TooManyLaunches", p);
	}
	add_str(p, "id", "");
	add(p, "stage", stage_name(SECD_STAGE_QUEUED));
	add(p, "errno", errno_name(err));
	add_str(p, "reason", "the launch could not be started");
	return error(c, OFS_VARLINK_INTERFACE ".LaunchFailed", p);
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
	json_object *p;
	int r = find(c, call, &l);

	if (r)
		return r < 0 ? r : 0;
	p = json_object_new_object();
	if (!p)
		return -ENOMEM;
	add(p, "launch", secd_api_launch_json(l));
	return reply(c, p, false);
}

static int list(struct secd_conn *c, const struct ofs_varlink_call *call)
{
	json_object *p, *a;
	struct secd_launch *l;
	int r = only(c, call->parameters, NULL, NULL);

	if (r)
		return r < 0 ? r : 0;
	p = json_object_new_object();
	a = json_object_new_array();
	if (!p || !a) {
		json_object_put(p);
		json_object_put(a);
		return -ENOMEM;
	}
	for (l = secd_launch_first(c->api->manager); l; l = secd_launch_next(l))
		json_object_array_add(a, secd_api_launch_json(l));
	add(p, "launches", a);
	return reply(c, p, false);
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
	{ SERVICE_INTERFACE ".GetInfo", get_info },
	{ SERVICE_INTERFACE ".GetInterfaceDescription", get_interface_description },
	{ OFS_VARLINK_INTERFACE ".Status", status },
	{ OFS_VARLINK_INTERFACE ".List", list },
	{ OFS_VARLINK_INTERFACE ".Cancel", cancel },
};

static int unknown_method(struct secd_conn *c, const char *method)
{
	const char *dot = strrchr(method, '.');
	size_t len = (size_t)(dot - method);
	char iface[256];

	if ((len == strlen(SERVICE_INTERFACE) &&
	     !strncmp(method, SERVICE_INTERFACE, len)) ||
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
