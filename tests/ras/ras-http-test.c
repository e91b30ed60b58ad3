// SPDX-License-Identifier: MIT
/*
 * offload-ras over HTTP on 127.0.0.1, driven by tests/ras/run:
 *
 *   ras-http-test setup DIR          device, root, policy, RAS key in DIR
 *   ras-http-test run DIR PORT PID   the API, bad input, SIGHUP reload
 *   ras-http-test replay DIR PORT    after a restart: the saved request
 *                                    is refused as a replay
 *   ras-http-test report DIR OUT [debug]  a signed report, for the CLI
 *
 * Prints "ok - ..." / "not ok - ..." lines.  A raw socket client, so that
 * the bad-input cases (garbage, slow clients, lies in headers) can be sent
 * exactly as an attacker would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/pem.h>

#include "evidence.h"

#define UDS_SEED	7

static int failures;
static unsigned int port;
static const char *dir;

static void result(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures += !ok;
}

/* ---- the client ---- */

struct reply {
	int status;
	char body[65536];
	size_t len;
};

static int connect_ras(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n) {
		w = send(fd, c, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until the server closes, up to timeout_ms; parses the status. */
static int read_reply(int fd, struct reply *rep, int timeout_ms)
{
	static char raw[sizeof(rep->body) + 4096];
	struct pollfd p = { fd, POLLIN, 0 };
	size_t len = 0;
	ssize_t n;
	char *body;

	memset(rep, 0, sizeof(*rep));
	rep->status = -1;
	while (len < sizeof(raw) - 1 && poll(&p, 1, timeout_ms) == 1) {
		n = recv(fd, raw + len, sizeof(raw) - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	raw[len] = '\0';
	if (len == 0)
		return -1;
	sscanf(raw, "HTTP/1.%*d %d", &rep->status);
	body = strstr(raw, "\r\n\r\n");
	if (body) {
		rep->len = len - (size_t)(body + 4 - raw);
		memcpy(rep->body, body + 4, rep->len);
	}
	return 0;
}

static int request(const char *method, const char *path, const char *ctype,
		   const void *body, size_t len, struct reply *rep)
{
	char head[512];
	int fd = connect_ras(), r;

	if (fd < 0)
		return -1;
	snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		 "Connection: close\r\n%s%s%sContent-Length: %zu\r\n\r\n",
		 method, path, ctype ? "Content-Type: " : "", ctype ? ctype : "",
		 ctype ? "\r\n" : "", len);
	r = send_all(fd, head, strlen(head));
	if (!r && len)
		r = send_all(fd, body, len);
	if (!r)
		r = read_reply(fd, rep, 10000);
	close(fd);
	return r;
}

static struct json_object *reply_json(const struct reply *rep)
{
	return json_tokener_parse(rep->body);
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/* ---- evidence ---- */

static char *path_in(const char *name)
{
	static char buf[8][4096];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int load_device(struct ev_device *d)
{
	if (ev_device_keys(d, UDS_SEED, 1))
		return -1;
	return ofs_cert_load(path_in("deviceid.pem"), &d->devid) ||
	       ofs_cert_load(path_in("alias.pem"), &d->alias);
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int setup(void)
{
	struct ev_device d = { 0 };
	EVP_PKEY *ras = EVP_EC_gen("P-384");
	char *policy;
	FILE *f;
	int r;

	r = ev_device_make(&d, UDS_SEED, 1);
	policy = r ? NULL : ev_policy_json(&d, "test-a", NULL);
	r = !ras || !policy ||
	    ofs_cert_save_pem(path_in("root.pem"), d.root, 0644) ||
	    ofs_cert_save_pem(path_in("deviceid.pem"), d.devid, 0644) ||
	    ofs_cert_save_pem(path_in("alias.pem"), d.alias, 0644) ||
	    ofs_key_save_pem(path_in("ras.key"), ras, 0600) ||
	    write_text(path_in("policy.json"), policy);
	f = r ? NULL : fopen(path_in("ras.pem"), "w");
	if (f) {
		r = !PEM_write_PUBKEY(f, ras);
		fclose(f);
	}
	free(policy);
	EVP_PKEY_free(ras);
	ev_device_free(&d);
	if (r)
		fprintf(stderr, "ras-http-test: setup failed\n");
	return r ? 1 : 0;
}

/* A nonce from the RAS. */
static int challenge(uint8_t nonce[OFS_NONCE_LEN])
{
	struct reply rep;
	struct json_object *o;
	int r = -1;

	if (request("POST", "/v1/challenge", NULL, NULL, 0, &rep) || rep.status != 200)
		return -1;
	o = reply_json(&rep);
	if (o && ofs_unhex(jstr(o, "nonce"), nonce, OFS_NONCE_LEN) == OFS_NONCE_LEN)
		r = 0;
	json_object_put(o);
	return r;
}

/* A JSON attest body answering a fresh nonce; report bytes in out. */
static char *attest_body(const struct ev_device *d, uint32_t dbgstat)
{
	static uint8_t buf[OFS_REPORT_MAX];
	uint8_t nonce[OFS_NONCE_LEN];
	struct ofs_report r;
	size_t len;

	if (challenge(nonce))
		return NULL;
	ev_report(d, nonce, &r);
	r.dbgstat = dbgstat;
	if (ev_sign(d, &r, buf, &len))
		return NULL;
	return ev_request_json(d, buf, len, nonce);
}

static int attest(const char *body, struct reply *rep)
{
	return request("POST", "/v1/attest", "application/json", body,
		       strlen(body), rep);
}

/* ---- the tests ---- */

static void test_good(const struct ev_device *d, char **policy_digest)
{
	char *body = attest_body(d, OFS_DBG_DISABLED_PERMANENTLY);
	struct json_object *o = NULL, *pol;
	struct reply rep;
	bool ok;

	ok = body && !attest(body, &rep) && rep.status == 200 &&
	     (o = reply_json(&rep));
	result(ok && !strcmp(jstr(o, "verdict"), "affirming") &&
	       strlen(jstr(o, "confirmation")) > 100,
	       "attest: a good report gets an affirming confirmation");
	if (o && json_object_object_get_ex(o, "policy", &pol))
		*policy_digest = strdup(jstr(pol, "digest"));
	json_object_put(o);
	if (body)
		write_text(path_in("replay.json"), body);
	ok = body && !attest(body, &rep) && rep.status == 403 &&
	     strstr(rep.body, "replay");
	result(ok, "attest: the same report again is refused as a replay");
	free(body);
}

static void test_refusal(const struct ev_device *d)
{
	char *body = attest_body(d, OFS_DBG_ENABLED);
	struct json_object *o = NULL, *failed, *vec, *v;
	struct reply rep;
	bool ok;

	ok = body && !attest(body, &rep) && rep.status == 403 &&
	     (o = reply_json(&rep));
	ok = ok && !strcmp(jstr(o, "verdict"), "contraindicated") &&
	     json_object_object_get_ex(o, "failed", &failed) &&
	     json_object_array_length(failed) == 1 &&
	     !strcmp(json_object_get_string(json_object_array_get_idx(failed, 0)),
		     "debug state") &&
	     json_object_object_get_ex(o, "trustworthiness_vector", &vec) &&
	     json_object_object_get_ex(vec, "configuration", &v) &&
	     json_object_get_int(v) == 96 && !strstr(rep.body, "\"confirmation\"");
	result(ok, "attest: debug enabled is refused, naming only 'debug state' "
	       "(configuration: contraindicated)");
	json_object_put(o);
	free(body);
}

static void expect_status(const char *what, int want, const char *method,
			  const char *path, const char *ctype, const void *body,
			  size_t len, const char *needle)
{
	struct reply rep;
	int r = request(method, path, ctype, body, len, &rep);

	result(!r && rep.status == want && (!needle || strstr(rep.body, needle)),
	       "%s: %d%s%s (got %d)", what, want, needle ? " naming " : "",
	       needle ? needle : "", r ? -1 : rep.status);
}

static void test_bad_input(const struct ev_device *d)
{
	static const uint8_t garbage_cbor[] = { 0xa3, 0x65, 'n', 'o', 'n', 'c', 'e',
						0x58, 0x20, 1, 2, 3 };
	static const uint8_t indefinite[] = { 0xbf, 0xff };
	char *body = attest_body(d, OFS_DBG_DISABLED_PERMANENTLY), *big;

	expect_status("malformed JSON", 400, "POST", "/v1/attest",
		      "application/json", "{\"nonce\": ", 10, "malformed JSON");
	expect_status("JSON of the wrong shape", 400, "POST", "/v1/attest",
		      "application/json", "[1,2]", 5, "expected a JSON object");
	expect_status("unknown member", 400, "POST", "/v1/attest",
		      "application/json", "{\"x\": 1}", 8, "unknown member");
	expect_status("bad base64", 400, "POST", "/v1/attest", "application/json",
		      "{\"nonce\": \"" "0000000000000000000000000000000000000000000000000000000000000000"
		      "\", \"report\": \"@@@@\", \"chain\": [\"AA==\", \"AA==\"]}", 122,
		      "base64");
	expect_status("truncated CBOR", 400, "POST", "/v1/attest",
		      "application/cbor", garbage_cbor, sizeof(garbage_cbor), "CBOR");
	expect_status("garbage CBOR", 400, "POST", "/v1/attest", "application/cbor",
		      "\xff\xff\xff\xff", 4, "CBOR");
	expect_status("indefinite-length CBOR", 400, "POST", "/v1/attest",
		      "application/cbor", indefinite, sizeof(indefinite), "CBOR");
	expect_status("wrong content type", 415, "POST", "/v1/attest",
		      "text/plain", "hello", 5, "Content-Type");
	expect_status("no content type", 415, "POST", "/v1/attest", NULL,
		      "{}", 2, "missing");
	big = calloc(1, 200000);
	if (big) {
		memset(big, 'a', 199999);
		expect_status("body over the limit", 413, "POST", "/v1/attest",
			      "application/json", big, 199999, "limit");
	}
	free(big);
	expect_status("unknown API version", 404, "POST", "/v2/attest",
		      "application/json", "{}", 2, "unknown API version 'v2'");
	expect_status("unknown path", 404, "GET", "/v1/nothing", NULL, NULL, 0, NULL);
	expect_status("wrong method", 405, "GET", "/v1/attest", NULL, NULL, 0, "POST");
	expect_status("challenge with a body", 400, "POST", "/v1/challenge",
		      "application/json", "{\"a\":1}", 7, NULL);
	if (body) {
		char *tampered = strdup(body), *at = strstr(tampered, "\"chain\": [\"") + 11;

		at[5] = at[5] == 'A' ? 'B' : 'A';
		expect_status("a certificate that does not parse", 400, "POST",
			      "/v1/attest", "application/json", tampered,
			      strlen(tampered), "chain[0]");
		free(tampered);
	}
	free(body);
}

/* Headers, then the body one byte a second: cut off after the deadline. */
static void test_slow_body(void)
{
	const char head[] = "POST /v1/attest HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			    "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n";
	int fd = connect_ras(), i, closed_after = -1;
	struct pollfd p;
	char c;

	if (fd >= 0 && !send_all(fd, head, sizeof(head) - 1)) {
		for (i = 0; i < 8 && closed_after < 0; i++) {
			if (send_all(fd, "{", 1)) {
				closed_after = i;
				break;
			}
			p = (struct pollfd){ fd, POLLIN, 0 };
			if (poll(&p, 1, 1000) == 1 && recv(fd, &c, 1, 0) <= 0)
				closed_after = i + 1;
		}
	}
	if (fd >= 0)
		close(fd);
	result(closed_after >= 2 && closed_after <= 6, "a body trickled past the "
	       "3 s deadline is cut off (after %d s)", closed_after);
}

/* A client that sends half a header and stops is disconnected. */
static void test_slowloris(void)
{
	struct reply rep;
	int fd = connect_ras(), r = -2;

	if (fd >= 0 && !send_all(fd, "GET /healthz HTTP/1.1\r\nHost:", 28))
		r = read_reply(fd, &rep, 6000);
	if (fd >= 0)
		close(fd);
	result(r == -1, "an idle half-sent request is disconnected by the timeout");
}

static void test_endpoints(void)
{
	struct reply rep;

	expect_status("healthz", 200, "GET", "/healthz", NULL, NULL, 0, "ok");
	expect_status("policy", 200, "GET", "/v1/policy", NULL, NULL, 0, "test-a");
	result(!request("GET", "/metrics", NULL, NULL, 0, &rep) && rep.status == 200 &&
	       strstr(rep.body, "ras_verdicts_total{verdict=\"affirming\"}") &&
	       strstr(rep.body, "ras_refusals_total{reason=\"debug_state\"} 1") &&
	       strstr(rep.body, "ras_request_duration_seconds_bucket{le=\"+Inf\"}") &&
	       strstr(rep.body, "code=\"413\"}") &&
	       strstr(rep.body, "ras_chain_cache_misses_total 1\n") &&
	       !strstr(rep.body, "ras_chain_cache_hits_total 0\n"),
	       "metrics: Prometheus text with verdicts, refusals by reason, latency, "
	       "chain cache hits");
}

static void test_reload(const struct ev_device *d, pid_t pid, const char *before)
{
	char *policy = ev_policy_json(d, "test-b", NULL), *body;
	struct json_object *o = NULL, *pol;
	struct reply rep;
	bool ok;
	int i;

	write_text(path_in("policy.json"), policy);
	free(policy);
	kill(pid, SIGHUP);
	for (i = 0; i < 50; i++) {
		if (!request("GET", "/v1/policy", NULL, NULL, 0, &rep) &&
		    strstr(rep.body, "test-b"))
			break;
		usleep(100000);
	}
	body = attest_body(d, OFS_DBG_DISABLED_PERMANENTLY);
	ok = body && !attest(body, &rep) && rep.status == 200 && (o = reply_json(&rep)) &&
	     json_object_object_get_ex(o, "policy", &pol) &&
	     !strcmp(jstr(pol, "id"), "test-b") && before &&
	     strcmp(jstr(pol, "digest"), before) && strlen(jstr(pol, "digest")) == 64;
	result(ok, "SIGHUP: the new policy's id and digest go into confirmations");
	json_object_put(o);
	free(body);
	write_text(path_in("policy.json"), "{\"version\": 1,\n \"oops\": 2}\n");
	kill(pid, SIGHUP);
	usleep(300000);
	expect_status("SIGHUP with a broken policy keeps the old one", 200, "GET",
		      "/v1/policy", NULL, NULL, 0, "test-b");
	policy = ev_policy_json(d, "test-b", NULL);
	write_text(path_in("policy.json"), policy);
	free(policy);
}

static int run(pid_t pid)
{
	struct ev_device d = { 0 };
	char *digest = NULL;

	if (load_device(&d)) {
		fprintf(stderr, "ras-http-test: no device in %s\n", dir);
		return 1;
	}
	test_good(&d, &digest);
	test_refusal(&d);
	test_bad_input(&d);
	test_slow_body();
	test_slowloris();
	test_endpoints();
	test_reload(&d, pid, digest);
	free(digest);
	ev_device_free(&d);
	return failures ? 1 : 0;
}

static int replay(void)
{
	static char body[65536];
	FILE *f = fopen(path_in("replay.json"), "r");
	struct reply rep;
	size_t n = 0;

	if (f) {
		n = fread(body, 1, sizeof(body) - 1, f);
		fclose(f);
	}
	body[n] = '\0';
	result(n && !attest(body, &rep) && rep.status == 403 &&
	       strstr(rep.body, "replay"),
	       "after a restart, the used nonce is still refused as a replay");
	return failures ? 1 : 0;
}

/* A signed report for a random nonce, for offline verification. */
static int write_report(const char *out, uint32_t dbgstat)
{
	static uint8_t buf[OFS_REPORT_MAX];
	uint8_t nonce[OFS_NONCE_LEN];
	struct ev_device d = { 0 };
	struct ofs_report r;
	size_t len;
	FILE *f;
	int ok;

	RAND_bytes(nonce, sizeof(nonce));
	if (load_device(&d))
		return 1;
	ev_report(&d, nonce, &r);
	r.dbgstat = dbgstat;
	ok = !ev_sign(&d, &r, buf, &len) && (f = fopen(out, "wb")) &&
	     fwrite(buf, 1, len, f) == len && !fclose(f);
	ev_device_free(&d);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "report")) {
		dir = argv[2];
		return write_report(argv[3], argc > 4 ? OFS_DBG_ENABLED :
				    OFS_DBG_DISABLED_PERMANENTLY);
	}
	if (argc >= 3 && !strcmp(argv[1], "setup")) {
		dir = argv[2];
		return setup();
	}
	if (argc >= 5 && !strcmp(argv[1], "run")) {
		dir = argv[2];
		port = (unsigned int)atoi(argv[3]);
		return run((pid_t)atoi(argv[4]));
	}
	if (argc >= 4 && !strcmp(argv[1], "replay")) {
		dir = argv[2];
		port = (unsigned int)atoi(argv[3]);
		return replay();
	}
	fprintf(stderr, "usage: ras-http-test setup DIR | run DIR PORT PID | "
		"replay DIR PORT\n");
	return 2;
}
