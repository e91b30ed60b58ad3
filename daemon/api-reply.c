// SPDX-License-Identifier: MIT
/*
 * The JSON of the API's replies and errors (docs/daemon-api.md): a
 * launch as Status, List and Launch's progress show it, its result with
 * the verifier's appraisal passed on, the error an ended launch becomes,
 * and GetInfo.  Pure functions of what they are given, for the tests.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "ofs-device.h"
#include "ofs-json.h"
#include "ofs-util.h"

#ifndef OFS_VERSION
#define OFS_VERSION	"0.1.0"
#endif
/* GetInfo's url: none until the project has a public home (-DOFS_URL=...). */
#ifndef OFS_URL
#define OFS_URL		""
#endif

#define RESULT_DEPTH_MAX	16

/* ---- small JSON helpers: a NULL member is simply left out ---- */

static void add(json_object *o, const char *key, json_object *val)
{
	if (o && val && !json_object_object_add(o, key, val))
		return;
	json_object_put(val);
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
	char *text = buf ? ofs_base64_encode(buf, len) : NULL;
	json_object *o = text ? json_object_new_string(text) : NULL;

	free(text);
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

/* How every reply about a launch begins. */
static json_object *launch_head(const struct secd_launch *l, const char *version,
				int stage)
{
	json_object *o = json_object_new_object();

	add_str(o, "id", l->id);
	add_str(o, "image", l->req.image);
	add_str(o, "version", version);
	add(o, "stage", stage_name(stage));
	return o;
}

json_object *secd_api_launch_json(const struct secd_launch *l)
{
	struct secd_launch *ml = (struct secd_launch *)l;
	enum secd_outcome outcome = outcome_of(l);
	json_object *o = launch_head(l, version_of(l), atomic_load(&ml->stage));

	if (!o)
		return NULL;
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

json_object *secd_api_progress_json(const struct secd_launch *l)
{
	struct secd_launch *ml = (struct secd_launch *)l;
	json_object *o = launch_head(l, l->req.version, atomic_load(&ml->stage));

	add(o, "progress", progress_json(l));
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
	json_object *doc;

	if (!text || ofs_json_parse(text, strnlen(text, OFS_VARLINK_MSG_MAX),
				    RESULT_DEPTH_MAX, &doc, NULL))
		return NULL;
	if (!json_object_is_type(doc, json_type_object))
		doc = (json_object_put(doc), NULL);
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
	json_object *o = launch_head(l, version_of(l), SECD_STAGE_DONE);

	if (!o)
		return NULL;
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
		if (p)
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

/* ---- a launch that could not start, GetInfo ---- */

const char *secd_api_start_error(int err, unsigned int max_launches,
				 json_object **params)
{
	json_object *p = *params = json_object_new_object();

	if (err == -EBUSY) {
		add_u64(p, "max", max_launches);
		return OFS_VARLINK_INTERFACE ".TooManyLaunches";
	}
	add_str(p, "id", "");
	add(p, "stage", stage_name(SECD_STAGE_QUEUED));
	add(p, "errno", errno_name(err));
	add_str(p, "reason", "the launch could not be started");
	return OFS_VARLINK_INTERFACE ".LaunchFailed";
}

json_object *secd_api_info_json(void)
{
	json_object *p = json_object_new_object();
	json_object *ifaces = json_object_new_array();

	if (!p || !ifaces) {
		json_object_put(p);
		json_object_put(ifaces);
		return NULL;
	}
	json_object_array_add(ifaces, json_object_new_string(SECD_API_SERVICE_INTERFACE));
	json_object_array_add(ifaces, json_object_new_string(OFS_VARLINK_INTERFACE));
	add_str(p, "vendor", "offload-sec");
	add_str(p, "product", "offload-secd");
	add_str(p, "version", OFS_VERSION);
	add_str(p, "url", OFS_URL);
	add(p, "interfaces", ifaces);
	return p;
}
