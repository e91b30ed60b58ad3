// SPDX-License-Identifier: MIT
/*
 * daemon/ras-client.c against an in-process server speaking
 * docs/ras-api.md §1: a challenge; an attestation (the request's shape,
 * the confirmation decoded); a 403 refusal passed on whole; answers that
 * are not JSON or lack what they must carry; a 503 retried then reported
 * with the RAS's own reason; a refused connection retried for an
 * attestation, but not one that reached a server that never answers; a
 * silent server bounded by the timeout.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "ofs-util.h"
#include "secd.h"
#include "http-test.h"

#define NONCE_HEX "9c1f00112233445566778899aabbccddeeff00112233445566778899aabbccdd"
/* base64 of "confirm-bytes" */
#define CONFIRMATION_B64 "Y29uZmlybS1ieXRlcw=="
#define REFUSAL "{\"verdict\": \"contraindicated\", \"failed\": [\"image\", " \
		"\"nonce freshness\"], \"checks\": []}"

enum mode { GOOD, GARBAGE, SHORT_NONCE, BUSY, REFUSE, BAD_REQUEST, BAD_CONFIRMATION };

struct fx {
	struct test_server s;
	struct secd_config c;
	struct secd_ras_call call;
	char url[96];
	enum mode mode;
	int listener;
	uint8_t *confirmation;
	char *result;
};

static const uint8_t report[] = "a report";
static const uint8_t deviceid[] = "device-id-der";
static const uint8_t alias[] = "alias-der";

static void answer(struct ts_answer *a, unsigned int status, const char *body)
{
	ts_answer_copy(a, status, body, strlen(body));
}

static bool ras(struct test_server *s, const char *method, const char *path,
		const char *body, size_t len, struct ts_answer *a)
{
	struct fx *f = s->data;

	if (strcmp(method, "POST"))
		return false;
	switch (f->mode) {
	case GARBAGE:
		answer(a, 200, "<html>hello</html>");
		break;
	case SHORT_NONCE:
		answer(a, 200, "{\"nonce\": \"9c1f\"}");
		break;
	case BUSY:
		answer(a, 503, "{\"error\": \"unavailable\", \"reason\": \"the store failed\"}");
		break;
	case REFUSE:
		answer(a, 403, REFUSAL);
		break;
	case BAD_REQUEST:
		answer(a, 400, "{\"error\": \"bad request\", \"reason\": \"nonce: expected 64 hex digits\"}");
		break;
	case BAD_CONFIRMATION:
		answer(a, 200, "{\"verdict\": \"affirming\", \"confirmation\": \"Y29u!\"}");
		break;
	default:
		if (!strcmp(path, "/v1/challenge"))
			answer(a, 200, "{\"nonce\": \"" NONCE_HEX "\", \"expires\": 1767225720, "
			       "\"expires_in\": 120}\n");
		else
			answer(a, 200, "{\"verdict\": \"affirming\", \"confirmation\": \""
			       CONFIRMATION_B64 "\"}\n");
	}
	return true;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->s.hook = ras;
	f->s.data = f;
	f->listener = -1;
	if (ts_start(&f->s))
		return -1;
	snprintf(f->url, sizeof(f->url), "%s/", f->s.url);
	f->c.ras_url = f->url;
	f->c.ras_timeout = 5;
	f->c.ras_retries = 2;
	f->call.config = &f->c;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ts_stop(&f->s);
	if (f->listener >= 0)
		close(f->listener);
	free(f->confirmation);
	free(f->result);
	free(f);
	return 0;
}

static int attest_with(struct fx *f, const uint8_t *nonce, size_t evidence_len,
		       size_t *confirmation_len)
{
	struct secd_ras_attestation a = {
		.nonce = nonce,
		.report = report, .report_len = evidence_len ?: sizeof(report) - 1,
		.deviceid = deviceid, .deviceid_len = evidence_len ?: sizeof(deviceid) - 1,
		.alias = alias, .alias_len = evidence_len ?: sizeof(alias) - 1,
	};
	int r;

	free(f->confirmation);
	free(f->result);
	r = secd_ras_call_attest(&f->call, &a);
	f->confirmation = a.confirmation;
	f->result = a.result_json;
	*confirmation_len = a.confirmation_len;
	return r;
}

static int attest(struct fx *f)
{
	static const uint8_t nonce[OFS_NONCE_LEN] = { 1, 2, 3 };
	size_t len;

	return attest_with(f, nonce, 0, &len);
}

static void challenge_ok(void **state)
{
	struct fx *f = *state;
	uint8_t nonce[OFS_NONCE_LEN];
	char hex[2 * OFS_NONCE_LEN + 1];

	assert_int_equal(secd_ras_call_challenge(&f->call, nonce), 0);
	ofs_hex(nonce, sizeof(nonce), hex);
	assert_string_equal(hex, NONCE_HEX);
	assert_int_equal(atomic_load(&f->s.requests), 1);
}

static void attest_ok(void **state)
{
	struct fx *f = *state;
	struct json_object *req, *v;
	size_t len;

	assert_int_equal(attest(f), 0);
	assert_non_null(f->confirmation);
	assert_non_null(f->result);
	assert_non_null(strstr(f->result, "\"affirming\""));

	/* The request, as §1 has it. */
	req = json_tokener_parse(f->s.last_body);
	assert_non_null(req);
	assert_true(json_object_object_get_ex(req, "nonce", &v));
	assert_string_equal(json_object_get_string(v),
			    "0102030000000000000000000000000000000000000000000000000000000000");
	assert_true(json_object_object_get_ex(req, "report", &v));
	assert_string_equal(json_object_get_string(v), "YSByZXBvcnQ=");
	assert_true(json_object_object_get_ex(req, "chain", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 1)),
			    "YWxpYXMtZGVy");
	assert_int_equal(json_object_object_length(req), 3);
	json_object_put(req);

	/* The confirmation's bytes, decoded exactly. */
	assert_int_equal(attest_with(f, (uint8_t[OFS_NONCE_LEN]){ 0 }, 1, &len), 0);
	assert_int_equal(len, 13);
	assert_memory_equal(f->confirmation, "confirm-bytes", 13);
}

static void garbage_refused(void **state)
{
	struct fx *f = *state;
	uint8_t nonce[OFS_NONCE_LEN];

	f->mode = GARBAGE;
	assert_int_equal(secd_ras_call_challenge(&f->call, nonce), -EPROTO);
	assert_non_null(strstr(f->call.reason, "not a JSON object"));
	assert_int_equal(attest(f), -EPROTO);
	assert_null(f->confirmation);
	assert_null(f->result);

	f->mode = SHORT_NONCE;
	assert_int_equal(secd_ras_call_challenge(&f->call, nonce), -EPROTO);
	assert_non_null(strstr(f->call.reason, "no nonce of 64 hex digits"));

	f->mode = BAD_CONFIRMATION;
	assert_int_equal(attest(f), -EPROTO);
	assert_non_null(strstr(f->call.reason, "without a base64 confirmation"));
	assert_null(f->confirmation);

	f->mode = BAD_REQUEST;
	assert_int_equal(attest(f), -EPROTO);
	assert_non_null(strstr(f->call.reason, "HTTP 400: bad request: nonce: "
			       "expected 64 hex digits"));
}

static void busy_retried_then_reported(void **state)
{
	struct fx *f = *state;
	uint8_t nonce[OFS_NONCE_LEN];

	f->mode = BUSY;
	assert_int_equal(secd_ras_call_challenge(&f->call, nonce), -EPROTO);
	assert_int_equal(atomic_load(&f->s.requests), 3);
	assert_non_null(strstr(f->call.reason, "/v1/challenge: HTTP 503: "
			       "unavailable: the store failed (3 attempts)"));

	/* An attestation that reached the RAS is not sent twice. */
	atomic_store(&f->s.requests, 0);
	assert_int_equal(attest(f), -EPROTO);
	assert_int_equal(atomic_load(&f->s.requests), 1);
}

static void refusal_passed_on(void **state)
{
	struct fx *f = *state;

	f->mode = REFUSE;
	assert_int_equal(attest(f), -EACCES);
	assert_null(f->confirmation);
	assert_string_equal(f->result, REFUSAL);
	assert_non_null(strstr(f->call.reason, "refused the launch (verdict "
			       "contraindicated): failed checks: image, nonce freshness"));
}

static void refused_connection_retried(void **state)
{
	struct fx *f = *state;
	unsigned int port = ts_dead_port(false, NULL);

	assert_true(port);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u", port);
	assert_int_equal(attest(f), -ECONNREFUSED);
	assert_non_null(strstr(f->call.reason, "RAS http://127.0.0.1:"));
	assert_non_null(strstr(f->call.reason, "/v1/attest: connection refused "
			       "(3 attempts)"));
}

static void silent_server_times_out(void **state)
{
	struct fx *f = *state;
	uint8_t nonce[OFS_NONCE_LEN];
	unsigned int port = ts_dead_port(true, &f->listener);
	double t0;

	assert_true(port);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u", port);
	f->c.ras_timeout = 1;
	f->c.ras_retries = 1;

	/* A challenge is tried twice: two timeouts and a short pause. */
	t0 = ts_now();
	assert_int_equal(secd_ras_call_challenge(&f->call, nonce), -ETIMEDOUT);
	assert_true(ts_now() - t0 < 3.0);
	assert_non_null(strstr(f->call.reason, "timed out after 1 s (2 attempts)"));

	/* The attestation may have been delivered: once only. */
	t0 = ts_now();
	assert_int_equal(attest(f), -ETIMEDOUT);
	assert_true(ts_now() - t0 < 1.8);
	assert_non_null(strstr(f->call.reason, "timed out after 1 s"));
	assert_null(strstr(f->call.reason, "attempts"));
}

static void bad_url(void **state)
{
	struct fx *f = *state;
	uint8_t nonce[OFS_NONCE_LEN];

	f->c.ras_url = "ftp://ras";
	assert_int_equal(secd_ras_call_challenge(&f->call, nonce), -EINVAL);
	assert_non_null(strstr(f->call.reason, "RAS.URL=ftp://ras"));
	f->c.ras_url = NULL;
	assert_int_equal(attest(f), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(challenge_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(attest_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(garbage_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(busy_retried_then_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(refusal_passed_on, setup, teardown),
		cmocka_unit_test_setup_teardown(refused_connection_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(silent_server_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_url, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
