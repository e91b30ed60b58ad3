// SPDX-License-Identifier: MIT
/*
 * The RAS round trip (docs/ras-api.md §1), JSON over HTTP(S): a nonce
 * from POST /v1/challenge, then POST /v1/attest with the report and the
 * chain.  A challenge is retried on transport failures and 5xx; an
 * attestation only when it cannot have reached the RAS, because one that
 * did may have used the nonce, and a second try would be refused as a
 * replay.  Answers are read strictly: anything but what §1 and §3 say is
 * -EPROTO with a sentence naming the RAS.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ofs-http.h"
#include "ofs-json.h"
#include "ofs-util.h"
#include "secd.h"

#define ANSWER_MAX	(1024 * 1024)
#define FAILED_MAX	8	/* failed checks named in a refusal's sentence */

__attribute__((format(printf, 3, 4)))
static int fail(struct secd_ras_call *call, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(call->reason, sizeof(call->reason), fmt, ap);
	va_end(ap);
	return r;
}

static int endpoint(struct secd_ras_call *call, const char *path, char *out,
		    size_t size)
{
	const char *base = call->config->ras_url;
	size_t n = base ? strlen(base) : 0;

	if (!n)
		return fail(call, -EINVAL, "RAS.URL= is not set");
	if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))
		return fail(call, -EINVAL, "RAS.URL=%s: expected http(s)://HOST:PORT",
			    base);
	while (n && base[n - 1] == '/')
		n--;
	if ((size_t)snprintf(out, size, "%.*s%s", (int)n, base, path) >= size)
		return fail(call, -ENAMETOOLONG, "RAS.URL=: too long");
	return 0;
}

static int post(struct secd_ras_call *call, const char *url, const char *json,
		enum ofs_http_retry retry, struct ofs_http_result *res)
{
	const struct secd_config *c = call->config;
	struct ofs_http_opts o = {
		.what = "RAS",
		.timeout_ms = c->ras_timeout > UINT_MAX / 1000u ? UINT_MAX :
			      c->ras_timeout * 1000u,
		.retries = c->ras_retries,
		.retry = retry,
		.ca_file = c->ras_ca && c->ras_ca[0] ? c->ras_ca : NULL,
		.max_size = ANSWER_MAX,
		.cancel = call->cancel,
	};
	int r = ofs_http_post_json(url, json, &o, res);

	return r ? fail(call, r, "%s", res->reason) : 0;
}

/* The whole answer as one JSON object, or NULL. */
static struct json_object *parse_object(const struct ofs_http_result *res)
{
	struct json_object *doc;

	if (!res->len || res->len > ANSWER_MAX ||
	    ofs_json_parse(res->body, res->len, JSON_TOKENER_DEFAULT_DEPTH, &doc, NULL))
		return NULL;
	if (!json_object_is_type(doc, json_type_object))
		doc = (json_object_put(doc), NULL);
	return doc;
}

static const char *member_string(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static const char *attempts(const struct ofs_http_result *res, char *buf, size_t size)
{
	if (res->attempts < 2)
		return "";
	snprintf(buf, size, " (%u attempts)", res->attempts);
	return buf;
}

/* An answer this client has no use for: its status and what it said. */
static int unexpected(struct secd_ras_call *call, const char *url,
		      const struct ofs_http_result *res)
{
	struct json_object *doc = parse_object(res);
	const char *error = member_string(doc, "error");
	const char *reason = member_string(doc, "reason");
	char note[32];

	attempts(res, note, sizeof(note));
	fail(call, -EPROTO, "RAS %s: HTTP %ld%s%s%s%s%s", url, res->status,
	     error ? ": " : "", error ? error : "", reason ? ": " : "",
	     reason ? reason : "", note);
	json_object_put(doc);
	return -EPROTO;
}

static int not_json(struct secd_ras_call *call, const char *url, long status)
{
	return fail(call, -EPROTO, "RAS %s: HTTP %ld with something that is not "
		    "a JSON object", url, status);
}

int secd_ras_call_challenge(struct secd_ras_call *call,
			    uint8_t nonce[OFS_NONCE_LEN])
{
	struct ofs_http_result res;
	struct json_object *doc;
	const char *hex;
	char url[4200];
	int r;

	call->reason[0] = '\0';
	r = endpoint(call, "/v1/challenge", url, sizeof(url));
	if (!r)
		r = post(call, url, "{}", OFS_HTTP_RETRY_IDEMPOTENT, &res);
	if (r)
		return r;
	if (res.status != 200) {
		r = unexpected(call, url, &res);
		ofs_http_result_free(&res);
		return r;
	}
	doc = parse_object(&res);
	hex = member_string(doc, "nonce");
	if (!doc)
		r = not_json(call, url, res.status);
	else if (!hex || strlen(hex) != 2 * OFS_NONCE_LEN ||
		 ofs_unhex(hex, nonce, OFS_NONCE_LEN) != OFS_NONCE_LEN)
		r = fail(call, -EPROTO, "RAS %s: the answer has no nonce of %d hex "
			 "digits", url, 2 * OFS_NONCE_LEN);
	json_object_put(doc);
	ofs_http_result_free(&res);
	return r;
}

/* Strict base64 (ofs_base64_decode) into a buffer of its own. */
static int unbase64(const char *in, uint8_t **out, size_t *len)
{
	size_t n = strlen(in);
	uint8_t *buf;
	ssize_t got;

	if (!n)
		return -EBADMSG;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	got = ofs_base64_decode(in, n, buf, n / 4 * 3 + 1);
	if (got < 0) {
		free(buf);
		return (int)got;
	}
	*out = buf;
	*len = (size_t)got;
	return 0;
}

static char *attest_request(const struct secd_ras_attestation *a)
{
	char hex[2 * OFS_NONCE_LEN + 1], *b_report, *b_id, *b_alias, *text = NULL;
	struct json_object *o = json_object_new_object();
	struct json_object *chain = json_object_new_array();

	ofs_hex(a->nonce, OFS_NONCE_LEN, hex);
	b_report = ofs_base64_encode(a->report, a->report_len);
	b_id = ofs_base64_encode(a->deviceid, a->deviceid_len);
	b_alias = ofs_base64_encode(a->alias, a->alias_len);
	if (o && chain && b_report && b_id && b_alias &&
	    !json_object_array_add(chain, json_object_new_string(b_id)) &&
	    !json_object_array_add(chain, json_object_new_string(b_alias)) &&
	    !json_object_object_add(o, "nonce", json_object_new_string(hex)) &&
	    !json_object_object_add(o, "report", json_object_new_string(b_report)) &&
	    !json_object_object_add(o, "chain", chain)) {
		chain = NULL;	/* o owns it */
		text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	}
	json_object_put(chain);
	json_object_put(o);
	free(b_report);
	free(b_id);
	free(b_alias);
	return text;
}

/* "failed checks: image, nonce freshness" from a refusal (§3). */
static void failed_checks(struct json_object *doc, char *out, size_t size)
{
	struct json_object *list, *v;
	size_t i, n, len = 0;

	out[0] = '\0';
	if (!json_object_object_get_ex(doc, "failed", &list) ||
	    !json_object_is_type(list, json_type_array))
		return;
	n = json_object_array_length(list);
	for (i = 0; i < n && i < FAILED_MAX && len < size; i++) {
		v = json_object_array_get_idx(list, i);
		if (json_object_is_type(v, json_type_string))
			len += (size_t)snprintf(out + len, size - len, "%s%s",
						len ? ", " : ": failed checks: ",
						json_object_get_string(v));
	}
}

static int take_confirmation(struct secd_ras_call *call, const char *url,
			     struct json_object *doc, struct secd_ras_attestation *a)
{
	const char *b64 = member_string(doc, "confirmation");

	if (!b64 || unbase64(b64, &a->confirmation, &a->confirmation_len))
		return fail(call, -EPROTO, "RAS %s: HTTP 200 without a base64 "
			    "confirmation", url);
	return 0;
}

static int read_attest_answer(struct secd_ras_call *call, const char *url,
			      const struct ofs_http_result *res,
			      struct secd_ras_attestation *a)
{
	struct json_object *doc;
	char checks[256];
	int r;

	if (res->status != 200 && res->status != 403)
		return unexpected(call, url, res);
	doc = parse_object(res);
	if (!doc)
		return not_json(call, url, res->status);
	if (res->status == 200) {
		r = take_confirmation(call, url, doc, a);
	} else {
		failed_checks(doc, checks, sizeof(checks));
		r = fail(call, -EACCES, "RAS %s refused the launch (verdict %s)%s",
			 url, member_string(doc, "verdict") ?: "missing", checks);
	}
	json_object_put(doc);
	a->result_json = strdup(res->body);
	if (!a->result_json) {
		if (!r) {
			free(a->confirmation);
			a->confirmation = NULL;
			a->confirmation_len = 0;
		}
		r = -ENOMEM;
	}
	return r;
}

int secd_ras_call_attest(struct secd_ras_call *call, struct secd_ras_attestation *a)
{
	struct ofs_http_result res;
	char url[4200], *body;
	int r;

	a->confirmation = NULL;
	a->confirmation_len = 0;
	a->result_json = NULL;
	call->reason[0] = '\0';
	r = endpoint(call, "/v1/attest", url, sizeof(url));
	if (r)
		return r;
	body = attest_request(a);
	if (!body)
		return fail(call, -ENOMEM, "out of memory for the attestation request");
	r = post(call, url, body, OFS_HTTP_RETRY_UNSENT, &res);
	free(body);
	if (r)
		return r;
	r = read_attest_answer(call, url, &res, a);
	ofs_http_result_free(&res);
	return r;
}

int secd_ras_challenge(struct secd_launch *l, const struct secd_config *c,
		       uint8_t nonce[OFS_NONCE_LEN])
{
	struct secd_ras_call call = { .config = c, .cancel = &l->cancel };
	int r = secd_ras_call_challenge(&call, nonce);

	return r ? secd_launch_fail(l, r, "%s", call.reason) : 0;
}

int secd_ras_attest(struct secd_launch *l, const struct secd_config *c,
		    const uint8_t nonce[OFS_NONCE_LEN],
		    const uint8_t *report, size_t report_len,
		    const uint8_t *deviceid, size_t deviceid_len,
		    const uint8_t *alias, size_t alias_len,
		    uint8_t **confirmation, size_t *confirmation_len,
		    char **result_json)
{
	struct secd_ras_call call = { .config = c, .cancel = &l->cancel };
	struct secd_ras_attestation a = {
		.nonce = nonce,
		.report = report, .report_len = report_len,
		.deviceid = deviceid, .deviceid_len = deviceid_len,
		.alias = alias, .alias_len = alias_len,
	};
	int r = secd_ras_call_attest(&call, &a);

	*confirmation = a.confirmation;
	*confirmation_len = a.confirmation_len;
	*result_json = a.result_json;
	/* A refusal is the engine's to report, with the RAS's answer. */
	if (r && r != -EACCES)
		return secd_launch_fail(l, r, "%s", call.reason);
	return r;
}
