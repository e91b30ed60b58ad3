// SPDX-License-Identifier: MIT
/*
 * POST /v1/attest bodies, from untrusted bytes (docs/ras-api.md §2):
 *
 *   application/json  {"nonce": hex, "report": base64, "chain": [base64 x2]}
 *   application/cbor  {"nonce": bstr, "report": bstr, "chain": [bstr x2]}
 *
 * Exactly these three members, each once; anything else is refused with
 * a reason.  The evidence itself (report, certificates) is only sized
 * here: judging it is the appraisal's job.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ofs-cbor.h"
#include "ofs-json.h"
#include "ofs-util.h"
#include "ras.h"

#define MAX_CERT	8192
#define JSON_DEPTH_MAX	8	/* the body is two levels deep */

__attribute__((format(printf, 3, 4)))
static int refuse(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

void ras_request_release(struct ras_attest_req *req)
{
	free(req->owned);
	memset(req, 0, sizeof(*req));
}

/* ---- JSON ---- */

static int json_b64(struct json_object *v, const char *what, size_t max,
		    uint8_t **at, const uint8_t **out, size_t *len,
		    char *why, size_t why_len)
{
	const char *s;
	ssize_t n;

	if (!json_object_is_type(v, json_type_string))
		return refuse(why, why_len, "%s: expected a base64 string", what);
	s = json_object_get_string(v);
	n = ofs_base64_decode(s, (size_t)json_object_get_string_len(v), *at, max);
	if (n == -EBADMSG && (size_t)json_object_get_string_len(v) / 4 * 3 > max + 2)
		return refuse(why, why_len, "%s: larger than %zu bytes", what, max);
	if (n <= 0)
		return refuse(why, why_len, "%s: not padded base64 (RFC 4648 "
			      "section 4)", what);
	*out = *at;
	*len = (size_t)n;
	*at += n;
	return 0;
}

static int json_nonce(struct json_object *v, uint8_t *nonce, char *why,
		      size_t why_len)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return refuse(why, why_len, "nonce: expected a string");
	s = json_object_get_string(v);
	if (strlen(s) != 2 * OFS_NONCE_LEN ||
	    ofs_unhex(s, nonce, OFS_NONCE_LEN) != OFS_NONCE_LEN)
		return refuse(why, why_len, "nonce: expected %d hex digits",
			      2 * OFS_NONCE_LEN);
	return 0;
}

static int json_members(struct json_object *o, char *why, size_t why_len)
{
	static const char *const known[] = { "nonce", "report", "chain" };
	size_t i;

	if (!json_object_is_type(o, json_type_object))
		return refuse(why, why_len, "expected a JSON object");
	json_object_object_foreach(o, key, val) {
		(void)val;
		for (i = 0; i < 3 && strcmp(key, known[i]); i++)
			;
		if (i == 3)
			return refuse(why, why_len, "unknown member \"%.64s\"", key);
	}
	for (i = 0; i < 3; i++)
		if (!json_object_object_get_ex(o, known[i], NULL))
			return refuse(why, why_len, "missing member \"%s\"", known[i]);
	return 0;
}

static int json_request(struct json_object *o, struct ras_attest_req *req,
			size_t body_len, char *why, size_t why_len)
{
	struct json_object *chain;
	uint8_t *at;
	size_t i;
	int r;

	r = json_members(o, why, why_len);
	if (!r)
		r = json_nonce(json_object_object_get(o, "nonce"), req->nonce,
			       why, why_len);
	if (r)
		return r;
	chain = json_object_object_get(o, "chain");
	if (!json_object_is_type(chain, json_type_array) ||
	    json_object_array_length(chain) != RAS_CHAIN_LEN)
		return refuse(why, why_len, "chain: expected an array of %d "
			      "certificates (DeviceID, Alias)", RAS_CHAIN_LEN);
	at = req->owned = malloc(body_len + 1);
	if (!at)
		return -ENOMEM;
	r = json_b64(json_object_object_get(o, "report"), "report",
		     OFS_REPORT_MAX, &at, &req->report, &req->report_len, why,
		     why_len);
	for (i = 0; !r && i < RAS_CHAIN_LEN; i++)
		r = json_b64(json_object_array_get_idx(chain, i),
			     i ? "chain[1]" : "chain[0]", MAX_CERT, &at,
			     &req->cert[i], &req->cert_len[i], why, why_len);
	return r;
}

int ras_request_decode_json(const char *body, size_t len,
			    struct ras_attest_req *req, char *why, size_t why_len)
{
	struct ofs_json_error err;
	struct json_object *o;
	int r;

	memset(req, 0, sizeof(*req));
	if (!len)
		return refuse(why, why_len, "empty body");
	r = ofs_json_parse(body, len, JSON_DEPTH_MAX, &o, &err);
	if (r == -ENOMEM)
		return r;
	if (err.fault == OFS_JSON_NUL)
		return refuse(why, why_len, "NUL byte in JSON");
	if (err.fault == OFS_JSON_TRAILING)
		return refuse(why, why_len, "text after the JSON object at byte %zu",
			      err.offset);
	if (r)
		return refuse(why, why_len, "malformed JSON at byte %zu: %s",
			      err.offset, err.fault == OFS_JSON_TRUNCATED ?
			      "unexpected end" : err.detail);
	r = json_request(o, req, len, why, why_len);
	json_object_put(o);
	if (r)
		ras_request_release(req);
	return r;
}

/* ---- CBOR ---- */

static int cbor_bytes(struct ofs_cbor_reader *rd, const char *what, size_t min,
		      size_t max, const uint8_t **out, size_t *len)
{
	struct ofs_cbor_item it;
	int r = ofs_cbor_expect(rd, OFS_CBOR_BYTES, what, &it);

	if (r)
		return r;
	if (it.arg < min || it.arg > max)
		return ofs_cbor_fail(rd, -EMSGSIZE, "%s: %llu bytes, expected "
				     "%zu..%zu", what, (unsigned long long)it.arg,
				     min, max);
	*out = it.data;
	*len = (size_t)it.arg;
	return 0;
}

static int cbor_member(struct ofs_cbor_reader *rd, struct ras_attest_req *req,
		       unsigned int *seen)
{
	static const char *const names[] = { "nonce", "report", "chain" };
	const uint8_t *nonce;
	char key[8];
	size_t len, k;
	uint32_t n, i;
	int r;

	r = ofs_cbor_read_text(rd, "member name", 1, sizeof(key) - 1, key);
	if (r)
		return r;
	for (k = 0; k < 3 && strcmp(key, names[k]); k++)
		;
	if (k == 3 || (*seen & (1u << k)))
		return ofs_cbor_fail(rd, -EBADMSG, "%s member \"%s\"",
				     k == 3 ? "unknown" : "duplicate", key);
	*seen |= 1u << k;
	if (k == 0) {
		r = cbor_bytes(rd, "nonce", OFS_NONCE_LEN, OFS_NONCE_LEN, &nonce, &len);
		if (!r)
			memcpy(req->nonce, nonce, OFS_NONCE_LEN);
		return r;
	}
	if (k == 1)
		return cbor_bytes(rd, "report", 1, OFS_REPORT_MAX, &req->report,
				  &req->report_len);
	r = ofs_cbor_read_array(rd, "chain", RAS_CHAIN_LEN, RAS_CHAIN_LEN, &n);
	for (i = 0; !r && i < n; i++)
		r = cbor_bytes(rd, "chain certificate", 1, MAX_CERT, &req->cert[i],
			       &req->cert_len[i]);
	return r;
}

int ras_request_decode_cbor(const uint8_t *body, size_t len,
			    struct ras_attest_req *req, char *why, size_t why_len)
{
	struct ofs_decode_error err = { 0 };
	struct ofs_cbor_reader rd;
	struct ofs_cbor_item map;
	unsigned int seen = 0;
	uint64_t i;
	int r;

	memset(req, 0, sizeof(*req));
	ofs_cbor_reader_init(&rd, body, len, &err);
	r = ofs_cbor_expect(&rd, OFS_CBOR_MAP, "request", &map);
	if (!r && map.arg != 3)
		r = ofs_cbor_fail(&rd, -EBADMSG, "request: a map of %llu members, "
				  "expected 3", (unsigned long long)map.arg);
	for (i = 0; !r && i < map.arg; i++)
		r = cbor_member(&rd, req, &seen);
	if (!r)
		r = ofs_cbor_end(&rd, "request");
	if (r) {
		memset(req, 0, sizeof(*req));
		return refuse(why, why_len, "CBOR: %s", err.what[0] ? err.what :
			      "malformed");
	}
	return 0;
}
