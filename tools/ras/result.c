// SPDX-License-Identifier: MIT
/*
 * A decision as JSON (docs/ras-api.md §3): every check with its EAR tier
 * (affirming / warning / contraindicated, "none" when it could not run),
 * expected and actual values and the reason; the tiers folded into an
 * EAR-like trustworthiness vector; the policy and report they concern.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "ofs-util.h"
#include "ras.h"

#define RESULT_PROFILE	"tag:offload-sec,2026:ras-result/v1"

static const char *tier_name(uint32_t tier)
{
	return tier ? ofs_verdict_name(tier) : "none";
}

/* Which EAR trustworthiness claim a check informs. */
static const struct {
	const char *check, *claim;
} claims[] = {
	{ OFS_CHECK_CHAIN, "instance-identity" },
	{ OFS_CHECK_REPORT_SIG, "instance-identity" },
	{ OFS_CHECK_UEID, "instance-identity" },
	{ OFS_CHECK_REVOKED, "instance-identity" },
	{ OFS_CHECK_DEBUG, "configuration" },
	{ OFS_CHECK_MEASUREMENT, "hardware" },
	{ OFS_CHECK_SVN, "hardware" },
	{ OFS_CHECK_EVENT_LOG, "hardware" },
	{ OFS_CHECK_MIN_SVN, "hardware" },
	{ OFS_CHECK_STAGES, "hardware" },
	{ OFS_CHECK_COMPOSITE, "hardware" },
	{ OFS_CHECK_IMAGE, "executables" },
	{ OFS_CHECK_NONCE, "freshness" },
	{ OFS_CHECK_FRESHNESS, "freshness" },
};

static const char *claim_of(const char *check)
{
	size_t i;

	for (i = 0; i < sizeof(claims) / sizeof(claims[0]); i++)
		if (!strcmp(claims[i].check, check))
			return claims[i].claim;
	return "other";
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_hex(struct json_object *o, const char *k, const uint8_t *p,
		    size_t n)
{
	char buf[2 * OFS_CONFIRM_MAX + 1];

	ofs_hex(p, n, buf);
	add_str(o, k, buf);
}

static struct json_object *check_json(const struct ofs_check *c)
{
	struct json_object *o = json_object_new_object();
	const char *name = c->err ? strerrorname_np(-c->err) : NULL;

	add_str(o, "check", c->name);
	add_str(o, "claim", claim_of(c->name));
	add_str(o, "status", tier_name(ofs_check_tier(c)));
	add_str(o, "expected", c->expected);
	add_str(o, "actual", c->actual);
	if (c->err || c->warn)
		add_str(o, "reason", c->why);
	if (c->err)
		add_str(o, "error", name ? name : "unknown");
	return o;
}

/* Each claim gets the worst tier of its checks. */
static struct json_object *vector_json(const struct ofs_appraisal *a)
{
	struct json_object *v = json_object_new_object(), *cur;
	const char *claim;
	uint32_t tier;
	size_t i;

	for (i = 0; i < a->n_checks; i++) {
		claim = claim_of(a->checks[i].name);
		tier = ofs_check_tier(&a->checks[i]);
		if (json_object_object_get_ex(v, claim, &cur) &&
		    (uint32_t)json_object_get_int(cur) >= tier)
			continue;
		json_object_object_add(v, claim, json_object_new_int((int)tier));
	}
	return v;
}

static void add_b64(struct json_object *o, const char *k, const uint8_t *p,
		    size_t n)
{
	char buf[4 * (OFS_CONFIRM_MAX + 2) / 3 + 4];

	EVP_EncodeBlock((unsigned char *)buf, p, (int)n);
	add_str(o, k, buf);
}

struct json_object *ras_result_json(const struct ras_decision *d)
{
	struct json_object *o = json_object_new_object();
	struct json_object *checks = json_object_new_array();
	struct json_object *failed = json_object_new_array();
	struct json_object *policy = json_object_new_object();
	size_t i;

	add_str(o, "profile", RESULT_PROFILE);
	add_str(o, "verdict", ofs_verdict_name(d->verdict));
	add_hex(o, "report_sha256", d->report_sha256, OFS_SHA256_LEN);
	add_str(policy, "id", d->policy_id);
	add_hex(policy, "digest", d->policy_digest, OFS_SHA256_LEN);
	json_object_object_add(o, "policy", policy);
	json_object_object_add(o, "issued_at", json_object_new_uint64(d->issued_at));
	for (i = 0; i < d->a.n_checks; i++) {
		json_object_array_add(checks, check_json(&d->a.checks[i]));
		if (d->a.checks[i].err && d->a.checks[i].err != -ECANCELED)
			json_object_array_add(failed, json_object_new_string(
						      d->a.checks[i].name));
	}
	json_object_object_add(o, "trustworthiness_vector", vector_json(&d->a));
	json_object_object_add(o, "failed", failed);
	json_object_object_add(o, "checks", checks);
	if (d->confirmation_len) {
		json_object_object_add(o, "expiry", json_object_new_uint64(d->expiry));
		add_b64(o, "confirmation", d->confirmation, d->confirmation_len);
	}
	return o;
}

char *ras_result_reasons(const struct ofs_appraisal *a)
{
	struct json_object *list = json_object_new_array(), *e;
	const struct ofs_check *c;
	char *out;
	size_t i;

	for (i = 0; i < a->n_checks; i++) {
		c = &a->checks[i];
		if (!c->err && !c->warn)
			continue;
		e = json_object_new_object();
		add_str(e, "check", c->name);
		add_str(e, "status", tier_name(ofs_check_tier(c)));
		add_str(e, "reason", c->why);
		json_object_array_add(list, e);
	}
	out = strdup(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(list);
	return out;
}
