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
#include <openssl/evp.h>

#include "ofs-http.h"
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
	struct json_tokener *tok;
	size_t end;

	if (!res->len || res->len > ANSWER_MAX || memchr(res->body, '\0', res->len))
		return NULL;
	tok = json_tokener_new();
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, res->body, (int)res->len);
	end = json_tokener_get_parse_end(tok);
	if (json_tokener_get_error(tok) != json_tokener_success)
		doc = (json_object_put(doc), NULL);
	json_tokener_free(tok);
	while (doc && end < res->len && strchr(" \t\r\n", res->body[end]))
		end++;
	if (doc && (end < res->len || !json_object_is_type(doc, json_type_object)))
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

/* RFC 4648 base64 with padding, NUL-ended; free() it. */
static char *base64(const uint8_t *data, size_t len)
{
	char *out;

	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/* Strict: the alphabet, padded to a multiple of 4, '=' only at the end. */
static int unbase64(const char *in, uint8_t **out, size_t *len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), pad = 0, i;
	uint8_t *buf;
	int got;

	if (!n || n % 4 || n > (size_t)INT32_MAX)
		return -EBADMSG;
	while (pad < 2 && in[n - 1 - pad] == '=')
		pad++;
	for (i = 0; i < n - pad; i++)
		if (!in[i] || !strchr(alphabet, in[i]))
			return -EBADMSG;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	got = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n);
	if (got < 0 || (size_t)got != n / 4 * 3) {
		free(buf);
		return -EBADMSG;
	}
	*out = buf;
	*len = (size_t)got - pad;
	return 0;
}

static char *attest_request(const uint8_t nonce[OFS_NONCE_LEN],
			    const uint8_t *report, size_t report_len,
			    const uint8_t *deviceid, size_t deviceid_len,
			    const uint8_t *alias, size_t alias_len)
{
	char hex[2 * OFS_NONCE_LEN + 1], *b_report, *b_id, *b_alias, *text = NULL;
	struct json_object *o = json_object_new_object();
	struct json_object *chain = json_object_new_array();

	ofs_hex(nonce, OFS_NONCE_LEN, hex);
	b_report = base64(report, report_len);
	b_id = base64(deviceid, deviceid_len);
	b_alias = base64(alias, alias_len);
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
			     struct json_object *doc, uint8_t **confirmation,
			     size_t *confirmation_len)
{
	const char *b64 = member_string(doc, "confirmation");

	if (!b64 || unbase64(b64, confirmation, confirmation_len))
		return fail(call, -EPROTO, "RAS %s: HTTP 200 without a base64 "
			    "confirmation", url);
	return 0;
}

static int read_attest_answer(struct secd_ras_call *call, const char *url,
			      const struct ofs_http_result *res,
			      uint8_t **confirmation, size_t *confirmation_len,
			      char **result_json)
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
		r = take_confirmation(call, url, doc, confirmation, confirmation_len);
	} else {
		failed_checks(doc, checks, sizeof(checks));
		r = fail(call, -EACCES, "RAS %s refused the launch (verdict %s)%s",
			 url, member_string(doc, "verdict") ?: "missing", checks);
	}
	json_object_put(doc);
	*result_json = strdup(res->body);
	if (!*result_json) {
		if (!r) {
			free(*confirmation);
			*confirmation = NULL;
		}
		r = -ENOMEM;
	}
	return r;
}

int secd_ras_call_attest(struct secd_ras_call *call,
			 const uint8_t nonce[OFS_NONCE_LEN],
			 const uint8_t *report, size_t report_len,
			 const uint8_t *deviceid, size_t deviceid_len,
			 const uint8_t *alias, size_t alias_len,
			 uint8_t **confirmation, size_t *confirmation_len,
			 char **result_json)
{
	struct ofs_http_result res;
	char url[4200], *body;
	int r;

	*confirmation = NULL;
	*confirmation_len = 0;
	*result_json = NULL;
	call->reason[0] = '\0';
	r = endpoint(call, "/v1/attest", url, sizeof(url));
	if (r)
		return r;
	body = attest_request(nonce, report, report_len, deviceid, deviceid_len,
			      alias, alias_len);
	if (!body)
		return fail(call, -ENOMEM, "out of memory for the attestation request");
	r = post(call, url, body, OFS_HTTP_RETRY_UNSENT, &res);
	free(body);
	if (r)
		return r;
	r = read_attest_answer(call, url, &res, confirmation, confirmation_len,
			       result_json);
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
	int r = secd_ras_call_attest(&call, nonce, report, report_len, deviceid,
				     deviceid_len, alias, alias_len, confirmation,
				     confirmation_len, result_json);

	/* A refusal is the engine's to report, with the RAS's answer. */
	if (r && r != -EACCES)
		return secd_launch_fail(l, r, "%s", call.reason);
	return r;
}
