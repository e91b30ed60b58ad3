// SPDX-License-Identifier: MIT
/*
 * The HTTP API (docs/ras-api.md): a table of routes, each a method and a
 * handler; content types and versions checked before any handler runs.
 * Bodies arrive whole and within the size limit (server.c); everything
 * here answers with JSON, errors as {"error": ..., "reason": ...}.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "ofs-util.h"
#include "ras.h"

#define API_VERSION	"v1"

static const char *status_text(unsigned int status)
{
	switch (status) {
	case 200: return "ok";
	case 400: return "bad request";
	case 403: return "attestation refused";
	case 404: return "not found";
	case 405: return "method not allowed";
	case 408: return "request timeout";
	case 413: return "payload too large";
	case 415: return "unsupported media type";
	case 503: return "service unavailable";
	default: return "internal error";
	}
}

/* Takes o; the body is its text with a newline. */
static void respond_json(struct ras_response *resp, unsigned int status,
			 struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);

	resp->status = status;
	resp->content_type = "application/json";
	resp->body = NULL;
	resp->len = 0;
	if (s && asprintf(&resp->body, "%s\n", s) >= 0)
		resp->len = strlen(resp->body);
	json_object_put(o);
}

void ras_api_error(struct ras_response *resp, unsigned int status,
		   const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(status_text(status)));
	json_object_object_add(o, "reason", json_object_new_string(why));
	respond_json(resp, status, o);
}

/* "application/json; charset=utf-8" is application/json. */
static bool media_type_is(const char *content_type, const char *want)
{
	size_t n = strlen(want);

	if (!content_type || strncasecmp(content_type, want, n))
		return false;
	return content_type[n] == '\0' || content_type[n] == ';' ||
	       content_type[n] == ' ';
}

struct request {
	struct ras *ras;
	const char *content_type;
	const uint8_t *body;
	size_t len;
	const char *client;
};

/* ---- handlers ---- */

static void challenge(const struct request *rq, struct ras_response *resp)
{
	uint8_t nonce[OFS_NONCE_LEN];
	char hex[2 * OFS_NONCE_LEN + 1];
	struct json_object *o;
	uint64_t expires;

	if (rq->len && (!media_type_is(rq->content_type, "application/json") ||
			rq->len != 2 || memcmp(rq->body, "{}", 2)))
		return ras_api_error(resp, rq->len && !media_type_is(
			rq->content_type, "application/json") ? 415 : 400,
			"a challenge takes no body, or the JSON object {}");
	if (ras_challenge(rq->ras, rq->client, nonce, &expires))
		return ras_api_error(resp, 503, "cannot store the nonce");
	ofs_hex(nonce, sizeof(nonce), hex);
	o = json_object_new_object();
	json_object_object_add(o, "nonce", json_object_new_string(hex));
	json_object_object_add(o, "expires", json_object_new_uint64(expires));
	json_object_object_add(o, "expires_in", json_object_new_uint64(
				       rq->ras->conf.nonce_lifetime));
	respond_json(resp, 200, o);
}

static void attest(const struct request *rq, struct ras_response *resp)
{
	struct ras_decision *d = calloc(1, sizeof(*d));
	struct ras_attest_req req;
	char why[256] = "";
	int r;

	if (!d)
		return ras_api_error(resp, 503, "out of memory");
	if (media_type_is(rq->content_type, "application/json"))
		r = ras_request_decode_json((const char *)rq->body, rq->len, &req,
					    why, sizeof(why));
	else if (media_type_is(rq->content_type, "application/cbor"))
		r = ras_request_decode_cbor(rq->body, rq->len, &req, why, sizeof(why));
	else
		r = -EPROTONOSUPPORT;
	if (r == -EPROTONOSUPPORT)
		ras_api_error(resp, 415, "Content-Type %s: application/json or "
			      "application/cbor expected", rq->content_type ?
			      rq->content_type : "missing");
	else if (r)
		ras_api_error(resp, r == -ENOMEM ? 503 : 400, "%s", why);
	if (r)
		goto free_decision;
	r = ras_attest(rq->ras, &req, rq->client, d, why, sizeof(why));
	ras_request_release(&req);
	if (r) {
		ras_api_error(resp, r == -EBADMSG ? 400 : 503, "%s", why);
		goto free_decision;
	}
	ras_metrics_decision(rq->ras->metrics, d);
	respond_json(resp, d->confirmation_len ? 200 : 403, ras_result_json(d));
free_decision:
	free(d);
}

static void policy(const struct request *rq, struct ras_response *resp)
{
	struct ras_policy *rp = ras_policy_get(&rq->ras->policy);
	char digest[2 * OFS_SHA256_LEN + 1];
	struct json_object *o = json_object_new_object(), *doc;

	ofs_hex(rp->p->digest, OFS_SHA256_LEN, digest);
	json_object_object_add(o, "policy_id", json_object_new_string(rp->p->id));
	json_object_object_add(o, "digest", json_object_new_string(digest));
	json_object_object_add(o, "loaded_at", json_object_new_uint64(rp->loaded_at));
	doc = json_tokener_parse(rp->p->text);
	json_object_object_add(o, "policy", doc);
	ras_policy_put(rp);
	respond_json(resp, 200, o);
}

static void healthz(const struct request *rq, struct ras_response *resp)
{
	struct json_object *o = json_object_new_object();
	bool ok = !ras_store_ping(rq->ras->store);

	json_object_object_add(o, "status", json_object_new_string(ok ? "ok" : "store unavailable"));
	respond_json(resp, ok ? 200 : 503, o);
}

static void metrics(const struct request *rq, struct ras_response *resp)
{
	resp->body = ras_metrics_text(rq->ras->metrics, rq->ras->chain_cache);
	if (!resp->body)
		return ras_api_error(resp, 503, "out of memory");
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	resp->len = strlen(resp->body);
}

static const struct route {
	const char *path, *method;
	enum ras_endpoint ep;
	void (*handle)(const struct request *rq, struct ras_response *resp);
} routes[] = {
	{ "/" API_VERSION "/challenge", "POST", RAS_EP_CHALLENGE, challenge },
	{ "/" API_VERSION "/attest", "POST", RAS_EP_ATTEST, attest },
	{ "/" API_VERSION "/policy", "GET", RAS_EP_POLICY, policy },
	{ "/healthz", "GET", RAS_EP_HEALTH, healthz },
	{ "/metrics", "GET", RAS_EP_METRICS, metrics },
};

/* "/v2/..." is a version this RAS does not serve: say which it does. */
static bool other_version(const char *url, char *version, size_t size)
{
	size_t n = 0;

	if (url[0] != '/' || url[1] != 'v' || !isdigit((unsigned char)url[2]))
		return false;
	for (n = 2; isdigit((unsigned char)url[n]); n++)
		;
	if (url[n] != '/' && url[n] != '\0')
		return false;
	snprintf(version, size, "%.*s", (int)(n - 1 > 16 ? 16 : n - 1), url + 1);
	return strcmp(version, API_VERSION) != 0;
}

void ras_api_handle(struct ras *ras, const char *method, const char *url,
		    const char *content_type, const uint8_t *body, size_t len,
		    const char *client, struct ras_response *resp,
		    enum ras_endpoint *ep)
{
	const struct request rq = { ras, content_type, body, len, client };
	char version[20];
	size_t i;

	memset(resp, 0, sizeof(*resp));
	*ep = RAS_EP_OTHER;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(url, routes[i].path))
			continue;
		*ep = routes[i].ep;
		if (strcmp(method, routes[i].method)) {
			resp->allow = routes[i].method;
			return ras_api_error(resp, 405, "%s %s: use %s", method,
					     url, routes[i].method);
		}
		return routes[i].handle(&rq, resp);
	}
	if (other_version(url, version, sizeof(version)))
		return ras_api_error(resp, 404, "unknown API version '%s'; this "
				     "RAS serves /%s", version, API_VERSION);
	ras_api_error(resp, 404, "no such resource (see /%s/challenge, /%s/attest,"
		      " /%s/policy, /healthz, /metrics)", API_VERSION,
		      API_VERSION, API_VERSION);
}
