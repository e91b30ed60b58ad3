// SPDX-License-Identifier: MIT
/*
 * lib/http.c against an in-process server: plain GETs and POSTs, retries
 * (then success, then exhausted, with the reason), the per-request
 * timeout, the size cap, resumed downloads (206, a server without ranges,
 * a 416), cancellation of a slow transfer, a POST that must not be
 * retried once it may have been delivered, URLs of other protocols, and
 * HTTPS with a pinned CA (another CA's certificate refused, not retried).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ofs-http.h"
#include "http-test.h"

#define BIG_LEN		(100 * 1000)

struct fx {
	struct test_server s;
	uint8_t big[BIG_LEN];
	char part[64];
	atomic_uint fail_first;		/* the hook answers 503 this often */
	unsigned int delay_ms;		/* the hook waits before answering */
	struct ofs_http_result res;
};

static bool hook(struct test_server *s, const char *method, const char *path,
		 const char *body, size_t len, struct ts_answer *a)
{
	struct fx *f = s->data;

	if (!strcmp(path, "/flaky") && atomic_load(&f->fail_first)) {
		atomic_fetch_sub(&f->fail_first, 1);
		a->status = 503;
		return true;
	}
	if (!strcmp(path, "/flaky") || !strcmp(path, "/echo")) {
		body = body ? body : "ok";
		ts_answer_copy(a, 200, body, strlen(body));
		a->delay_ms = f->delay_ms;
		return true;
	}
	if (!strcmp(path, "/busy")) {
		a->status = 503;
		return true;
	}
	if (!strcmp(path, "/slow")) {
		ts_answer_copy(a, 200, f->big, BIG_LEN);
		a->trickle_ms = 200;
		return true;
	}
	return false;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	size_t i;
	int fd;

	if (!f)
		return -1;
	for (i = 0; i < BIG_LEN; i++)
		f->big[i] = (uint8_t)(i * 31 + i / 977);
	f->s.hook = hook;
	f->s.data = f;
	if (ts_add_file(&f->s, "/big", f->big, BIG_LEN) || ts_start(&f->s))
		return -1;
	snprintf(f->part, sizeof(f->part), "%s/test-http.XXXXXX",
		 tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	fd = mkstemp(f->part);
	if (fd < 0)
		return -1;
	close(fd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ts_stop(&f->s);
	ofs_http_result_free(&f->res);
	unlink(f->part);
	free(f);
	return 0;
}

static struct ofs_http_opts opts(void)
{
	return (struct ofs_http_opts){
		.what = "test", .timeout_ms = 5000, .retries = 3,
		.retry = OFS_HTTP_RETRY_IDEMPOTENT, .backoff_ms = 10,
		.max_size = 1 << 20,
	};
}

static void url(char *buf, size_t size, const struct fx *f, const char *path)
{
	snprintf(buf, size, "%s%s", f->s.url, path);
}

static void get_whole(void **state)
{
	struct fx *f = *state;
	struct ofs_http_opts o = opts();
	char u[128];

	url(u, sizeof(u), f, "/big");
	assert_int_equal(ofs_http_get(u, &o, &f->res), 0);
	assert_int_equal(f->res.status, 200);
	assert_int_equal(f->res.len, BIG_LEN);
	assert_memory_equal(f->res.body, f->big, BIG_LEN);
	assert_int_equal(f->res.attempts, 1);
	assert_string_equal(f->s.last_agent, OFS_HTTP_USER_AGENT);
	ofs_http_result_free(&f->res);

	url(u, sizeof(u), f, "/nothing-here");
	assert_int_equal(ofs_http_get(u, &o, &f->res), 0);
	assert_int_equal(f->res.status, 404);
	assert_int_equal(f->res.attempts, 1);	/* a 404 is an answer */
}

static void retry_then_success(void **state)
{
	struct fx *f = *state;
	struct ofs_http_opts o = opts();
	char u[128];

	atomic_store(&f->fail_first, 2);
	url(u, sizeof(u), f, "/flaky");
	assert_int_equal(ofs_http_post_json(u, "{\"a\":1}", &o, &f->res), 0);
	assert_int_equal(f->res.status, 200);
	assert_int_equal(f->res.attempts, 3);
	assert_string_equal(f->res.body, "{\"a\":1}");
}

static void retry_exhausted(void **state)
{
	struct fx *f = *state;
	struct ofs_http_opts o = opts();
	unsigned int port = ts_dead_port(false, NULL);
	char u[128];

	o.retries = 2;
	url(u, sizeof(u), f, "/busy");
	assert_int_equal(ofs_http_get(u, &o, &f->res), 0);
	assert_int_equal(f->res.status, 503);
	assert_int_equal(f->res.attempts, 3);
	assert_int_equal(atomic_load(&f->s.requests), 3);
	ofs_http_result_free(&f->res);

	assert_true(port);
	snprintf(u, sizeof(u), "http://127.0.0.1:%u/v1/challenge", port);
	assert_int_equal(ofs_http_get(u, &o, &f->res), -ECONNREFUSED);
	assert_int_equal(f->res.status, 0);
	assert_null(f->res.body);
	assert_int_equal(f->res.attempts, 3);
	assert_non_null(strstr(f->res.reason, "test http://127.0.0.1:"));
	assert_non_null(strstr(f->res.reason, ": connection refused (3 attempts)"));
}

static void timeout_bounded(void **state)
{
	struct fx *f = *state;
	struct ofs_http_opts o = opts();
	double t0 = ts_now();
	char u[128];

	f->delay_ms = 3000;
	o.timeout_ms = 300;
	o.retries = 1;
	url(u, sizeof(u), f, "/echo");
	assert_int_equal(ofs_http_get(u, &o, &f->res), -ETIMEDOUT);
	assert_true(ts_now() - t0 < 1.5);
	assert_int_equal(f->res.attempts, 2);
	assert_non_null(strstr(f->res.reason, "timed out after 0.3 s (2 attempts)"));
}

static void oversized_refused(void **state)
{
	struct fx *f = *state;
	struct ofs_http_opts o = opts();
	char u[128];
	int fd;

	o.max_size = 1000;
	url(u, sizeof(u), f, "/big");
	assert_int_equal(ofs_http_get(u, &o, &f->res), -EFBIG);
	assert_null(f->res.body);
	assert_int_equal(f->res.attempts, 1);		/* never worth a retry */
	assert_non_null(strstr(f->res.reason, "larger than 1000 bytes"));

	fd = open(f->part, O_RDWR | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ofs_http_get_file(u, fd, &o, &f->res), -EFBIG);
	close(fd);
}

static void put_part(struct fx *f, const void *data, size_t len)
{
	int fd = open(f->part, O_RDWR | O_TRUNC | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void check_part(struct fx *f)
{
	static uint8_t got[BIG_LEN + 1];
	int fd = open(f->part, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, sizeof(got)), BIG_LEN);
	close(fd);
	assert_memory_equal(got, f->big, BIG_LEN);
}

static int fetch_part(struct fx *f)
{
	struct ofs_http_opts o = opts();
	char u[128];
	int fd = open(f->part, O_RDWR | O_CLOEXEC), r;

	assert_true(fd >= 0);
	url(u, sizeof(u), f, "/big");
	r = ofs_http_get_file(u, fd, &o, &f->res);
	close(fd);
	ofs_http_result_free(&f->res);
	return r;
}

static void resume(void **state)
{
	struct fx *f = *state;
	static const uint8_t junk[BIG_LEN + 10];

	/* A prefix: only the rest is asked for. */
	put_part(f, f->big, 30000);
	assert_int_equal(fetch_part(f), 0);
	assert_string_equal(f->s.last_range, "bytes=30000-");
	check_part(f);

	/* From nothing: no Range at all. */
	put_part(f, NULL, 0);
	assert_int_equal(fetch_part(f), 0);
	assert_string_equal(f->s.last_range, "");
	check_part(f);

	/* A server without ranges answers 200: the file starts over. */
	f->s.no_ranges = true;
	put_part(f, junk, 40000);
	assert_int_equal(fetch_part(f), 0);
	check_part(f);
	f->s.no_ranges = false;

	/* More than the server has: 416, then once more from byte 0. */
	put_part(f, junk, sizeof(junk));
	atomic_store(&f->s.requests, 0);
	assert_int_equal(fetch_part(f), 0);
	assert_int_equal(atomic_load(&f->s.requests), 2);
	check_part(f);
}

static void *cancel_later(void *arg)
{
	struct timespec t = { 0, 300 * 1000000L };

	nanosleep(&t, NULL);
	atomic_store((atomic_bool *)arg, true);
	return NULL;
}

static void cancel_stops_slow_transfer(void **state)
{
	struct fx *f = *state;
	struct ofs_http_opts o = opts();
	atomic_bool cancel = false;
	pthread_t t;
	double t0;
	char u[128];
	int fd;

	o.cancel = &cancel;
	url(u, sizeof(u), f, "/slow");
	fd = open(f->part, O_RDWR | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	t0 = ts_now();
	assert_int_equal(pthread_create(&t, NULL, cancel_later, &cancel), 0);
	assert_int_equal(ofs_http_get_file(u, fd, &o, &f->res), -ECANCELED);
	assert_true(ts_now() - t0 < 1.6);
	assert_int_equal(f->res.attempts, 1);
	assert_non_null(strstr(f->res.reason, "cancelled"));
	pthread_join(t, NULL);
	close(fd);
}

static void post_not_retried_once_sent(void **state)
{
	struct fx *f = *state;
	struct ofs_http_opts o = opts();
	unsigned int port = ts_dead_port(false, NULL);
	char u[128];

	o.retry = OFS_HTTP_RETRY_UNSENT;
	o.retries = 3;

	/* Answered 503: delivered, so not again. */
	url(u, sizeof(u), f, "/busy");
	assert_int_equal(ofs_http_post_json(u, "{}", &o, &f->res), 0);
	assert_int_equal(f->res.status, 503);
	assert_int_equal(f->res.attempts, 1);
	ofs_http_result_free(&f->res);

	/* Timed out waiting for the answer: maybe delivered, not again. */
	f->delay_ms = 2000;
	o.timeout_ms = 300;
	url(u, sizeof(u), f, "/echo");
	atomic_store(&f->s.requests, 0);
	assert_int_equal(ofs_http_post_json(u, "{}", &o, &f->res), -ETIMEDOUT);
	assert_int_equal(f->res.attempts, 1);
	assert_int_equal(atomic_load(&f->s.requests), 1);
	ofs_http_result_free(&f->res);

	/* Refused: it never left, so it is tried again. */
	snprintf(u, sizeof(u), "http://127.0.0.1:%u/v1/attest", port);
	assert_int_equal(ofs_http_post_json(u, "{}", &o, &f->res), -ECONNREFUSED);
	assert_int_equal(f->res.attempts, 4);
}

static void other_protocols_refused(void **state)
{
	struct fx *f = *state;
	struct ofs_http_opts o = opts();

	assert_int_equal(ofs_http_get("file:///etc/passwd", &o, &f->res), -EINVAL);
	assert_int_equal(f->res.attempts, 1);
	assert_int_equal(ofs_http_get("ftp://127.0.0.1/x", &o, &f->res), -EINVAL);
	assert_int_equal(ofs_http_get("not a url", &o, &f->res), -EINVAL);
}

static char *bio_text(BIO *b)
{
	char *data, *out;
	long n = BIO_get_mem_data(b, &data);

	out = n > 0 ? strndup(data, (size_t)n) : NULL;
	BIO_free(b);
	return out;
}

static void add_ext(X509 *x, int nid, const char *value)
{
	X509_EXTENSION *ext;
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A self-signed certificate for 127.0.0.1 and its key, PEM. */
static void self_signed(char **cert, char **key_pem)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	BIO *b;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"127.0.0.1", -1, -1, 0);
	X509_set_issuer_name(x, name);
	add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(x, NID_subject_alt_name, "IP:127.0.0.1");
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	b = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	*cert = bio_text(b);
	b = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL), 1);
	*key_pem = bio_text(b);
	assert_non_null(*cert);
	assert_non_null(*key_pem);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void https_pinned_ca(void **state)
{
	struct fx *f = *state;
	struct test_server tls = { .tls_cert = NULL };
	struct ofs_http_opts o = opts();
	char *cert, *key, *other, *other_key, u[128];
	FILE *fp;

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		skip();
	self_signed(&cert, &key);
	self_signed(&other, &other_key);
	tls.tls_cert = cert;
	tls.tls_key = key;
	assert_int_equal(ts_add_file(&tls, "/big", f->big, BIG_LEN), 0);
	assert_int_equal(ts_start(&tls), 0);
	snprintf(u, sizeof(u), "%s/big", tls.url);
	o.ca_file = f->part;

	/* The server's own certificate pinned: it verifies. */
	fp = fopen(f->part, "w");
	assert_non_null(fp);
	fputs(cert, fp);
	fclose(fp);
	assert_int_equal(ofs_http_get(u, &o, &f->res), 0);
	assert_int_equal(f->res.status, 200);
	assert_int_equal(f->res.len, BIG_LEN);
	ofs_http_result_free(&f->res);

	/* Another CA pinned: refused at once, not retried. */
	fp = fopen(f->part, "w");
	assert_non_null(fp);
	fputs(other, fp);
	fclose(fp);
	assert_int_equal(ofs_http_get(u, &o, &f->res), -EKEYREJECTED);
	assert_int_equal(f->res.attempts, 1);
	assert_non_null(strstr(f->res.reason, "TLS: certificate verify failed: "));

	ts_stop(&tls);
	free(cert);
	free(key);
	free(other);
	free(other_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(get_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(retry_then_success, setup, teardown),
		cmocka_unit_test_setup_teardown(retry_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(timeout_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(oversized_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(resume, setup, teardown),
		cmocka_unit_test_setup_teardown(cancel_stops_slow_transfer, setup, teardown),
		cmocka_unit_test_setup_teardown(post_not_retried_once_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(other_protocols_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(https_pinned_ca, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
