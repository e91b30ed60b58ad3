// SPDX-License-Identifier: MIT
/*
 * offload-secd's API without a card: Launch's parameter checks (each
 * rejection names its parameter or says what is wrong with the
 * destination), the reply and every error an ended launch maps to, the
 * interface description served byte for byte, and the server on a real
 * socket and event loop: GetInfo, GetInterfaceDescription, List, Status,
 * Cancel, unknown methods and interfaces, PermissionDenied, garbage
 * answered with InvalidCall, the connection limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "api.h"
#include "ofs-device.h"

#define LAUNCHER OFS_VARLINK_INTERFACE

static json_object *parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t num(json_object *o, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	assert_true(json_object_is_type(v, json_type_int));
	return json_object_get_int64(v);
}

static int guest_memfd(size_t size)
{
	int fd = memfd_create("guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

/* ---- Launch's parameters ---- */

static void request_good(void **state)
{
	struct secd_launch_request req;
	const char *parameter;
	char why[256];
	int fds[2] = { guest_memfd(1 << 20), guest_memfd(2 << 20) };
	json_object *p = parse("{\"image\":\"demo\",\"version\":\"1.0\","
			       "\"destination\":1,\"offset\":4096,"
			       "\"size\":1044480,\"chunk_size\":65536}");

	assert_int_equal(secd_api_launch_request(p, fds, 2, &req, &parameter, why,
						 sizeof(why)), 0);
	assert_string_equal(req.image, "demo");
	assert_string_equal(req.version, "1.0");
	assert_int_equal(req.dest_fd, fds[1]);
	assert_int_equal(req.dest_offset, 4096);
	assert_int_equal(req.dest_size, 1044480);
	assert_int_equal(req.chunk_size, 65536);
	json_object_put(p);

	/* Optional members absent or null. */
	p = parse("{\"image\":\"demo\",\"version\":null,\"destination\":0,"
		  "\"size\":1048576}");
	assert_int_equal(secd_api_launch_request(p, fds, 2, &req, &parameter, why,
						 sizeof(why)), 0);
	assert_string_equal(req.version, "");
	assert_int_equal(req.dest_fd, fds[0]);
	assert_int_equal(req.dest_offset, 0);
	assert_int_equal(req.chunk_size, 0);
	json_object_put(p);
	close(fds[0]);
	close(fds[1]);
}

static void request_bad_parameters(void **state)
{
	static const struct {
		const char *json, *parameter;
	} bad[] = {
		{ "{\"destination\":0,\"size\":4096}", "image" },
		{ "{\"image\":1,\"destination\":0,\"size\":4096}", "image" },
		{ "{\"image\":\"\",\"destination\":0,\"size\":4096}", "image" },
		{ "{\"image\":\"../etc\",\"destination\":0,\"size\":4096}", "image" },
		{ "{\"image\":\"a/b\",\"destination\":0,\"size\":4096}", "image" },
		{ "{\"image\":\"a\\u0000b\",\"destination\":0,\"size\":4096}", "image" },
		{ "{\"image\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
		  "\"destination\":0,\"size\":4096}", "image" },
		{ "{\"image\":\"a\",\"version\":true,\"destination\":0,\"size\":4096}", "version" },
		{ "{\"image\":\"a\",\"size\":4096}", "destination" },
		{ "{\"image\":\"a\",\"destination\":-1,\"size\":4096}", "destination" },
		{ "{\"image\":\"a\",\"destination\":0.0,\"size\":4096}", "destination" },
		{ "{\"image\":\"a\",\"destination\":\"0\",\"size\":4096}", "destination" },
		{ "{\"image\":\"a\",\"destination\":0}", "size" },
		{ "{\"image\":\"a\",\"destination\":0,\"size\":0}", "size" },
		{ "{\"image\":\"a\",\"destination\":0,\"size\":-4096}", "size" },
		{ "{\"image\":\"a\",\"destination\":0,\"size\":1e3}", "size" },
		{ "{\"image\":\"a\",\"destination\":0,\"size\":4096,\"offset\":-1}", "offset" },
		{ "{\"image\":\"a\",\"destination\":0,\"size\":4096,\"chunk_size\":1000}",
		  "chunk_size" },
		{ "{\"image\":\"a\",\"destination\":0,\"size\":4096,\"chunk_size\":2048}",
		  "chunk_size" },
		{ "{\"image\":\"a\",\"destination\":0,\"size\":4096,\"chunk_size\":33554432}",
		  "chunk_size" },
		{ "{\"image\":\"a\",\"destination\":0,\"size\":4096,\"memory\":1}", "memory" },
	};
	struct secd_launch_request req;
	const char *parameter;
	char why[256];
	int fd = guest_memfd(1 << 20);
	json_object *p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = parse(bad[i].json);
		assert_int_equal(secd_api_launch_request(p, &fd, 1, &req, &parameter,
							 why, sizeof(why)), -EINVAL);
		if (!parameter || strcmp(parameter, bad[i].parameter))
			fail_msg("%s: named %s, expected %s", bad[i].json,
				 parameter ? parameter : "nothing", bad[i].parameter);
		assert_int_equal(req.dest_fd, -1);
		json_object_put(p);
	}
	close(fd);
}

static void expect_destination(json_object *p, int fd, size_t n_fds,
			       const char *because)
{
	struct secd_launch_request req;
	const char *parameter;
	char why[256];

	assert_int_equal(secd_api_launch_request(p, &fd, n_fds, &req, &parameter,
						 why, sizeof(why)), -EBADF);
	if (!strstr(why, because))
		fail_msg("got \"%s\", expected \"%s\"", why, because);
	assert_int_equal(req.dest_fd, -1);
}

static void request_bad_destinations(void **state)
{
	json_object *p = parse("{\"image\":\"a\",\"destination\":0,\"size\":8192}");
	json_object *far = parse("{\"image\":\"a\",\"destination\":0,\"size\":4096,"
				 "\"offset\":1048576}");
	json_object *odd = parse("{\"image\":\"a\",\"destination\":0,\"size\":4096,"
				 "\"offset\":100}");
	json_object *wrap = parse("{\"image\":\"a\",\"destination\":0,"
				  "\"size\":18446744073709551615,\"offset\":4096}");
	int fd = guest_memfd(1 << 20), small = guest_memfd(4096), pipes[2], ro;
	char path[] = "/tmp/test-secd-api.XXXXXX";

	expect_destination(p, fd, 0, "names none of the 0 file descriptors");
	assert_int_equal(pipe2(pipes, O_CLOEXEC), 0);
	expect_destination(p, pipes[1], 1, "not a regular file or memfd");
	expect_destination(p, small, 1, "fewer than offset + size");
	expect_destination(far, fd, 1, "fewer than offset + size");
	expect_destination(wrap, fd, 1, "fewer than offset + size");
	expect_destination(odd, fd, 1, "not a multiple of the page size");
	ro = mkstemp(path);
	assert_true(ro >= 0);
	assert_int_equal(ftruncate(ro, 1 << 20), 0);
	close(ro);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	expect_destination(p, ro, 1, "not open for reading and writing");
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
	expect_destination(p, fd, 1, "sealed against writes");
	close(ro);
	close(pipes[0]);
	close(pipes[1]);
	close(fd);
	close(small);
	json_object_put(p);
	json_object_put(far);
	json_object_put(odd);
	json_object_put(wrap);
}

/* ---- an ended launch: the reply and the errors ---- */

static const char ras_refusal[] =
	"{\"profile\":\"tag:offload-sec,2026:ras-result/v1\","
	"\"verdict\":\"contraindicated\",\"report_sha256\":\"00\","
	"\"policy\":{\"id\":\"prod-1\",\"digest\":\"abcd\"},"
	"\"failed\":[\"image\",7],"
	"\"checks\":[{\"check\":\"image\",\"claim\":\"executables\","
	"\"status\":\"contraindicated\",\"expected\":\"one of 2 digests\","
	"\"actual\":\"3f2a\",\"reason\":\"initrd digest not in policy\","
	"\"error\":\"EKEYREJECTED\",\"extra\":{\"x\":1}},\"junk\"]}";

static void fill_launch(struct secd_launch *l)
{
	memset(l, 0, sizeof(*l));
	strcpy(l->id, "0123456789abcdef");
	strcpy(l->req.image, "demo");
	strcpy(l->req.version, "");
	l->req.uid = 1000;
	l->req.pid = 42;
	l->started_usec = 1000;
	l->ended_usec = 2000;
	atomic_store(&l->stage, SECD_STAGE_DONE);
	l->outcome = SECD_SUCCEEDED;
	strcpy(l->result.version, "1.0");
	strcpy(l->result.device, "card0");
	memset(l->result.session_id, 0x11, sizeof(l->result.session_id));
	l->result.comp[OFS_COMPONENT_KERNEL] = (struct secd_component_result){
		.present = true, .size = 100, .offset = 0,
	};
	memset(l->result.comp[0].sha256, 0xaa, OFS_SHA256_LEN);
	l->result.comp[OFS_COMPONENT_INITRD] = (struct secd_component_result){
		.present = true, .size = 200, .offset = 4096,
	};
	memset(l->result.boot_measurement, 0xbb, OFS_SHA256_LEN);
	memset(l->result.receipt, 0xcc, OFS_SHA256_LEN);
	l->result.report = (uint8_t *)"rep";
	l->result.report_len = 3;
	l->result.chain = (uint8_t *)"DEVALIAS";
	l->result.deviceid_len = 3;
	l->result.alias_len = 5;
	l->result.confirmation = (uint8_t *)"c";
	l->result.confirmation_len = 1;
	l->result.stage_usec[SECD_STAGE_FETCH] = 5;
	l->result.stage_usec[SECD_STAGE_LOAD] = 7;
	l->result.ras_result_json = (char *)ras_refusal;
}

static void result_reply(void **state)
{
	struct secd_launch l;
	json_object *o, *a, *c, *v, *e, *t, *params;

	fill_launch(&l);
	assert_null(secd_api_launch_error(&l, &params));
	assert_null(params);
	o = secd_api_result_json(&l);
	assert_string_equal(str(o, "id"), "0123456789abcdef");
	assert_string_equal(str(o, "version"), "1.0");
	assert_string_equal(str(o, "stage"), "done");
	assert_string_equal(str(o, "device"), "card0");
	assert_string_equal(str(o, "session_id"), "11111111111111111111111111111111");
	assert_true(json_object_object_get_ex(o, "components", &a));
	assert_int_equal(json_object_array_length(a), 2);
	c = json_object_array_get_idx(a, 1);
	assert_string_equal(str(c, "kind"), "initrd");
	assert_int_equal(num(c, "size"), 200);
	assert_int_equal(num(c, "offset"), 4096);
	c = json_object_array_get_idx(a, 0);
	assert_int_equal(strlen(str(c, "sha256")), 64);
	assert_string_equal(str(o, "receipt"),
			    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc");
	assert_true(json_object_object_get_ex(o, "verdict", &v));
	assert_string_equal(str(v, "verdict"), "contraindicated");
	assert_string_equal(str(v, "policy_id"), "prod-1");
	assert_string_equal(str(v, "policy_digest"), "abcd");
	assert_true(json_object_object_get_ex(v, "failed", &a));
	assert_int_equal(json_object_array_length(a), 1);	/* 7 dropped */
	assert_true(json_object_object_get_ex(v, "checks", &a));
	assert_int_equal(json_object_array_length(a), 1);	/* "junk" dropped */
	c = json_object_array_get_idx(a, 0);
	assert_string_equal(str(c, "reason"), "initrd digest not in policy");
	assert_string_equal(str(c, "error"), "EKEYREJECTED");
	assert_false(json_object_object_get_ex(c, "extra", NULL));
	assert_true(json_object_object_get_ex(o, "evidence", &e));
	assert_string_equal(str(e, "report"), "cmVw");
	assert_string_equal(str(e, "confirmation"), "Yw==");
	assert_true(json_object_object_get_ex(e, "chain", &a));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 0)), "REVW");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 1)),
			    "QUxJQVM=");
	assert_true(json_object_object_get_ex(o, "timings", &t));
	assert_int_equal(num(t, "fetch"), 5);
	assert_int_equal(num(t, "load"), 7);
	assert_false(json_object_object_get_ex(t, "verify", NULL));
	json_object_put(o);

	/* A verifier answer that is not JSON is left out, not invented. */
	l.result.ras_result_json = (char *)"{\"verdict\":";
	o = secd_api_result_json(&l);
	assert_false(json_object_object_get_ex(o, "verdict", NULL));
	json_object_put(o);

	o = secd_api_launch_json(&l);
	assert_string_equal(str(o, "outcome"), "succeeded");
	assert_int_equal(num(o, "uid"), 1000);
	assert_int_equal(num(o, "ended_usec"), 2000);
	assert_false(json_object_object_get_ex(o, "progress", NULL));
	json_object_put(o);
}

static const char *error_of(struct secd_launch *l, json_object **params)
{
	const char *name = secd_api_launch_error(l, params);

	assert_non_null(name);
	assert_non_null(*params);
	assert_string_equal(str(*params, "id"), l->id);
	return name;
}

static void ended(struct secd_launch *l, enum secd_outcome o, int err,
		  enum secd_stage stage, uint32_t device_status)
{
	fill_launch(l);
	l->outcome = o;
	l->error = err;
	l->failed_stage = stage;
	l->device_status = device_status;
	strcpy(l->reason, "what went wrong");
}

/* An ended launch, the error it maps to and what that error's parameters say. */
struct error_case {
	enum secd_outcome outcome;
	int err;
	enum secd_stage stage;
	uint32_t device_status;
	const char *error;		/* after the interface's name and a dot */
	const char *params[3][2];	/* member, its string value */
};

static void expect_error(const struct error_case *c)
{
	struct secd_launch l;
	char name[128];
	json_object *p;
	size_t i;

	ended(&l, c->outcome, c->err, c->stage, c->device_status);
	snprintf(name, sizeof(name), LAUNCHER ".%s", c->error);
	assert_string_equal(error_of(&l, &p), name);
	for (i = 0; i < 3 && c->params[i][0]; i++)
		assert_string_equal(str(p, c->params[i][0]), c->params[i][1]);
	json_object_put(p);
}

static void error_mapping(void **state)
{
	const struct error_case cases[] = {
		{ SECD_FAILED, -EKEYREJECTED, SECD_STAGE_VERIFY, 0, "RepositoryFailed",
		  { { "stage", "verify" }, { "errno", "EKEYREJECTED" },
		    { "reason", "what went wrong" } } },
		{ SECD_FAILED, -ETIMEDOUT, SECD_STAGE_ATTEST, 0, "VerifierUnavailable",
		  { { "errno", "ETIMEDOUT" } } },
		{ SECD_FAILED, -EBADMSG, SECD_STAGE_LOAD, 21, "DeviceFailed",
		  { { "stage", "load" }, { "errno", "EBADMSG" },
		    { "device_status", ofs_device_status_str(21) } } },
		{ SECD_FAILED, -ENODEV, SECD_STAGE_LOAD, 0, "DeviceFailed",
		  { { "errno", "ENODEV" },
		    { "device_status", "none: the card was removed" } } },
		{ SECD_CANCELLED, -ECANCELED, SECD_STAGE_LOAD, 0, "Cancelled",
		  { { "stage", "load" } } },
		{ SECD_FAILED, -ECANCELED, SECD_STAGE_MEASURE, 0, "Cancelled", { { NULL } } },
		{ SECD_FAILED, -EIO, SECD_STAGE_KEY, 0, "LaunchFailed",
		  { { "errno", "EIO" } } },
		{ SECD_FAILED, -EBADMSG, SECD_STAGE_ATTEST, 0, "LaunchFailed", { { NULL } } },
	};
	struct secd_launch l;
	json_object *p, *v;
	size_t i;

	ended(&l, SECD_REFUSED, -EACCES, SECD_STAGE_APPRAISE, 0);
	assert_string_equal(error_of(&l, &p), LAUNCHER ".Refused");
	assert_true(json_object_object_get_ex(p, "verdict", &v));
	assert_string_equal(str(v, "verdict"), "contraindicated");
	assert_true(json_object_object_get_ex(p, "timings", NULL));
	json_object_put(p);

	l.result.ras_result_json = NULL;
	assert_string_equal(error_of(&l, &p), LAUNCHER ".Refused");
	assert_true(json_object_object_get_ex(p, "verdict", &v));
	assert_true(json_object_object_get_ex(v, "checks", NULL));
	json_object_put(p);

	ended(&l, SECD_FAILED, -ENOENT, SECD_STAGE_FETCH, 0);
	assert_string_equal(error_of(&l, &p), LAUNCHER ".NoSuchImage");
	assert_string_equal(str(p, "image"), "demo");
	assert_null(str(p, "version"));
	json_object_put(p);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(&cases[i]);
}

static void errno_names(void **state)
{
	char buf[16];

	assert_string_equal(secd_api_errno_name(-EBADMSG, buf), "EBADMSG");
	assert_string_equal(secd_api_errno_name(ENOENT, buf), "ENOENT");
	assert_string_equal(secd_api_errno_name(-4000, buf), "E4000");
}

static void interface_description(void **state)
{
	const char *text = secd_api_interface_description();
	char buf[32768];
	size_t n;
	FILE *f = fopen("daemon/io.offload-sec.Launcher.varlink", "r");

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(text, buf);
}

/* ---- the server on a socket ---- */

struct srv {
	char dir[64], path[128];
	sd_event *event;
	struct secd_config config;
	struct secd_manager *manager;
	struct secd_api *api;
	void (*client)(struct srv *s);
	_Atomic int done;
};

static int srv_setup(void **state)
{
	struct srv *s = calloc(1, sizeof(*s));
	struct group *g = getgrgid(getegid());

	if (!s)
		return -1;
	snprintf(s->dir, sizeof(s->dir), "/tmp/test-secd-api.XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	snprintf(s->path, sizeof(s->path), "%s/run/api.sock", s->dir);
	secd_config_init(&s->config);
	free(s->config.api_socket);
	s->config.api_socket = strdup(s->path);
	free(s->config.api_group);
	s->config.api_group = strdup(g ? g->gr_name : "root");
	s->config.max_launches = 2;
	if (sd_event_new(&s->event) < 0 ||
	    secd_manager_new(s->event, &s->config, &s->manager) ||
	    secd_api_start(s->event, s->manager, &s->config, &s->api))
		return -1;
	*state = s;
	return 0;
}

static int srv_teardown(void **state)
{
	struct srv *s = *state;
	char sub[160];

	secd_api_free(s->api);
	secd_manager_free(s->manager);
	sd_event_unref(s->event);
	secd_config_free(&s->config);
	snprintf(sub, sizeof(sub), "%s/run", s->dir);
	rmdir(sub);
	rmdir(s->dir);
	free(s);
	return 0;
}

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: %s\n", \
	__FILE__, __LINE__, #cond); failures++; } } while (0)

/* What CHECK saw go wrong in the client thread; read once it is joined. */
static int failures;

static void *client_thread(void *arg)
{
	struct srv *s = arg;

	s->client(s);
	atomic_store(&s->done, 1);
	return NULL;
}

/*
 * Runs client on a thread of its own (its calls block) and the server's
 * loop here until the client is done; nothing the client checked failed.
 */
static void run_client(struct srv *s, void (*client)(struct srv *s))
{
	pthread_t t;

	failures = 0;
	s->client = client;
	assert_int_equal(pthread_create(&t, NULL, client_thread, s), 0);
	while (!atomic_load(&s->done))
		assert_true(sd_event_run(s->event, 20 * 1000) >= 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(failures, 0);
}

static json_object *call(struct ofs_varlink *v, const char *method,
			 const char *params, const int *fds, size_t n_fds,
			 const char **error)
{
	json_object *p = params ? json_tokener_parse(params) : NULL, *reply = NULL;
	bool more;
	int r;

	r = ofs_varlink_call(v, method, p, fds, n_fds, 0, 5000, &reply, error, &more);
	json_object_put(p);
	if (r) {
		fprintf(stderr, "%s: %s\n", method, strerror(-r));
		return NULL;
	}
	return reply;
}

static void methods_client(struct srv *s)
{
	struct ofs_varlink *v = NULL;
	const char *err;
	json_object *r, *a;
	int fd = guest_memfd(1 << 20);

	CHECK(ofs_varlink_connect(s->path, &v) == 0);
	if (!v)
		goto out;
	r = call(v, "org.varlink.service.GetInfo", NULL, NULL, 0, &err);
	CHECK(r && !err && !strcmp(str(r, "product"), "offload-secd"));
	CHECK(r && json_object_object_get_ex(r, "interfaces", &a) &&
	      json_object_array_length(a) == 2);
	json_object_put(r);

	r = call(v, "org.varlink.service.GetInterfaceDescription",
		 "{\"interface\":\"io.offload-sec.Launcher\"}", NULL, 0, &err);
	CHECK(r && !err && !strcmp(str(r, "description"),
				   secd_api_interface_description()));
	json_object_put(r);
	r = call(v, "org.varlink.service.GetInterfaceDescription",
		 "{\"interface\":\"org.example.Nope\"}", NULL, 0, &err);
	CHECK(r && err && !strcmp(err, OFS_VARLINK_ERR_INTERFACE_NOT_FOUND));
	json_object_put(r);

	r = call(v, LAUNCHER ".List", NULL, NULL, 0, &err);
	CHECK(r && !err && json_object_object_get_ex(r, "launches", &a) &&
	      json_object_array_length(a) == 0);
	json_object_put(r);
	r = call(v, LAUNCHER ".List", "{\"all\":true}", NULL, 0, &err);
	CHECK(r && err && !strcmp(err, OFS_VARLINK_ERR_INVALID_PARAMETER) &&
	      !strcmp(str(r, "parameter"), "all"));
	json_object_put(r);

	r = call(v, LAUNCHER ".Status", "{\"id\":\"0123456789abcdef\"}", NULL, 0, &err);
	CHECK(r && err && !strcmp(err, LAUNCHER ".NoSuchLaunch") &&
	      !strcmp(str(r, "id"), "0123456789abcdef"));
	json_object_put(r);
	r = call(v, LAUNCHER ".Cancel", "{\"id\":7}", NULL, 0, &err);
	CHECK(r && err && !strcmp(err, OFS_VARLINK_ERR_INVALID_PARAMETER) &&
	      !strcmp(str(r, "parameter"), "id"));
	json_object_put(r);

	r = call(v, LAUNCHER ".Explode", NULL, NULL, 0, &err);
	CHECK(r && err && !strcmp(err, OFS_VARLINK_ERR_METHOD_NOT_FOUND) &&
	      !strcmp(str(r, "method"), LAUNCHER ".Explode"));
	json_object_put(r);
	r = call(v, "org.example.Thing.Do", NULL, NULL, 0, &err);
	CHECK(r && err && !strcmp(err, OFS_VARLINK_ERR_INTERFACE_NOT_FOUND) &&
	      !strcmp(str(r, "interface"), "org.example.Thing"));
	json_object_put(r);

	/* Launches refused before anything starts. */
	r = call(v, LAUNCHER ".Launch", "{\"image\":\"demo\",\"destination\":0,"
		 "\"size\":4096,\"colour\":\"red\"}", &fd, 1, &err);
	CHECK(r && err && !strcmp(str(r, "parameter"), "colour"));
	json_object_put(r);
	r = call(v, LAUNCHER ".Launch", "{\"image\":\"demo\",\"destination\":1,"
		 "\"size\":4096}", &fd, 1, &err);
	CHECK(r && err && !strcmp(err, LAUNCHER ".DestinationInvalid") &&
	      strstr(str(r, "reason"), "names none"));
	json_object_put(r);
	r = call(v, LAUNCHER ".Launch", "{\"image\":\"demo\",\"destination\":0,"
		 "\"size\":4096}", NULL, 0, &err);
	CHECK(r && err && !strcmp(err, LAUNCHER ".DestinationInvalid"));
	json_object_put(r);
	ofs_varlink_free(v);
out:
	close(fd);
}

static void server_methods(void **state)
{
	struct srv *s = *state;
	struct stat st;

	assert_int_equal(stat(s->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	run_client(s, methods_client);
}

/* Raw bytes, then what comes back until EOF. */
static void garbage_client(struct srv *s)
{
	struct ofs_varlink *v = NULL;
	json_object *r = NULL;
	const char *err = NULL;
	static const char junk[] = "{\"method\":\"a.b.C\",\"parameters\":[]}";

	CHECK(ofs_varlink_connect(s->path, &v) == 0);
	if (v) {
		CHECK(send(ofs_varlink_fd(v), junk, sizeof(junk), MSG_NOSIGNAL) ==
		      (ssize_t)sizeof(junk));
		CHECK(ofs_varlink_wait_reply(v, 5000, &r, &err, NULL) == 0);
		CHECK(err && !strcmp(err, SECD_API_ERR_INVALID_CALL));
		CHECK(r && strstr(str(r, "reason"), "parameters"));
		json_object_put(r);
		CHECK(ofs_varlink_wait_reply(v, 5000, &r, &err, NULL) == -ECONNRESET);
		ofs_varlink_free(v);
	}
}

static void server_garbage(void **state)
{
	run_client(*state, garbage_client);
	assert_int_equal(secd_api_connections(((struct srv *)*state)->api), 0);
}

static void crowd_client(struct srv *s)
{
	struct ofs_varlink *v[SECD_API_CONNECTIONS_MAX + 1] = { 0 };
	json_object *r = NULL;
	const char *err;
	int i;

	for (i = 0; i < SECD_API_CONNECTIONS_MAX + 1; i++)
		CHECK(ofs_varlink_connect(s->path, &v[i]) == 0);
	/* The first ones are served; the one too many is closed unanswered. */
	r = call(v[0], "org.varlink.service.GetInfo", NULL, NULL, 0, &err);
	CHECK(r && !err);
	json_object_put(r);
	r = NULL;
	if (v[SECD_API_CONNECTIONS_MAX])
		CHECK(ofs_varlink_call(v[SECD_API_CONNECTIONS_MAX],
				       "org.varlink.service.GetInfo", NULL, NULL, 0,
				       0, 5000, &r, &err, NULL) == -ECONNRESET);
	CHECK(secd_api_connections(s->api) == SECD_API_CONNECTIONS_MAX);
	for (i = 0; i < SECD_API_CONNECTIONS_MAX + 1; i++)
		ofs_varlink_free(v[i]);
}

static void server_connection_limit(void **state)
{
	run_client(*state, crowd_client);
}

/* {"id": id}, for Status and Cancel. */
static json_object *call_id(struct ofs_varlink *v, const char *method,
			    const char *id, const char **error)
{
	char params[64];

	snprintf(params, sizeof(params), "{\"id\":\"%s\"}", id);
	return call(v, method, params, NULL, 0, error);
}

/*
 * A Launch with "more" of an image this test has no repository for, into
 * a memfd (*fd): its first reply in *reply.
 */
static struct ofs_varlink *start_launch(struct srv *s, int *fd, json_object **reply,
					const char **error, bool *more)
{
	json_object *p = json_tokener_parse("{\"image\":\"missing\",\"destination\":0,"
					    "\"size\":65536}");
	struct ofs_varlink *v = NULL;

	*fd = guest_memfd(1 << 20);
	*reply = NULL;
	CHECK(ofs_varlink_connect(s->path, &v) == 0);
	CHECK(ofs_varlink_call(v, LAUNCHER ".Launch", p, fd, 1, OFS_VARLINK_CALL_MORE,
			       5000, reply, error, more) == 0);
	json_object_put(p);
	return v;
}

/*
 * A Launch followed to its end.  Whatever the engine makes of the image,
 * the caller hears the id and stage first and one of the interface's
 * answers last.
 */
static void launch_client(struct srv *s)
{
	const char *err = NULL;
	char id[SECD_LAUNCH_ID_LEN + 1] = "";
	bool more = false;
	json_object *r, *o;
	int fd, n = 0;
	struct ofs_varlink *v = start_launch(s, &fd, &r, &err, &more);

	CHECK(r && !err && more && str(r, "id") && str(r, "stage"));
	if (r && str(r, "id"))
		snprintf(id, sizeof(id), "%s", str(r, "id"));
	CHECK(strlen(id) == SECD_LAUNCH_ID_LEN);
	while (r && more && n++ < 1000) {
		json_object_put(r);
		r = NULL;
		CHECK(ofs_varlink_wait_reply(v, 30000, &r, &err, &more) == 0);
		CHECK(!more || !strcmp(str(r, "id"), id));
	}
	CHECK(r && !more);
	if (err)
		CHECK(!strncmp(err, LAUNCHER ".", strlen(LAUNCHER ".")));
	else
		CHECK(r && !strcmp(str(r, "stage"), "done"));
	json_object_put(r);

	r = call(v, LAUNCHER ".Status", NULL, NULL, 0, &err);
	CHECK(r && err && !strcmp(str(r, "parameter"), "id"));
	json_object_put(r);
	r = call_id(v, LAUNCHER ".Status", id, &err);
	CHECK(r && !err && json_object_object_get_ex(r, "launch", &o) &&
	      strcmp(str(o, "outcome"), "running") && !strcmp(str(o, "image"), "missing"));
	json_object_put(r);
	r = call_id(v, LAUNCHER ".Cancel", id, &err);
	CHECK(r && !err);
	json_object_put(r);
	r = call(v, LAUNCHER ".List", NULL, NULL, 0, &err);
	CHECK(r && json_object_object_get_ex(r, "launches", &o) &&
	      json_object_array_length(o) == 1);
	json_object_put(r);
	ofs_varlink_free(v);
	close(fd);
}

static void server_launch(void **state)
{
	run_client(*state, launch_client);
}

/* The caller hangs up while its launch runs: the launch is cancelled. */
static void hangup_client(struct srv *s)
{
	const char *err = NULL;
	json_object *r;
	int fd;
	struct ofs_varlink *v = start_launch(s, &fd, &r, &err, NULL);

	json_object_put(r);
	ofs_varlink_free(v);
	close(fd);
}

static void server_hangup_cancels(void **state)
{
	struct srv *s = *state;
	struct secd_launch *l;
	int i;

	run_client(s, hangup_client);
	for (i = 0; i < 500 && (secd_manager_running(s->manager) ||
				secd_api_connections(s->api)); i++)
		assert_true(sd_event_run(s->event, 20 * 1000) >= 0);
	assert_int_equal(secd_api_connections(s->api), 0);
	assert_int_equal(secd_manager_running(s->manager), 0);
	l = secd_launch_first(s->manager);
	assert_non_null(l);
	assert_true(l->outcome != SECD_RUNNING && l->outcome != SECD_SUCCEEDED);
}

/* A caller outside the group: every call is PermissionDenied. */
static void permission_denied(void **state)
{
	struct secd_api api = { 0 };
	struct secd_conn c = { .api = &api };
	struct ofs_varlink_call vc = { 0 };
	json_object *reply;
	const char *err;
	int sv[2], fd = guest_memfd(4096);
	struct ofs_varlink *client;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(ofs_varlink_from_fd(sv[0], &c.v), 0);
	assert_int_equal(ofs_varlink_from_fd(sv[1], &client), 0);
	vc.method = (char *)"org.varlink.service.GetInfo";
	vc.parameters = json_object_new_object();
	assert_int_equal(secd_api_dispatch(&c, &vc, NULL, 0), 0);
	vc.method = (char *)LAUNCHER ".Launch";
	assert_int_equal(secd_api_dispatch(&c, &vc, &fd, 1), 0);	/* takes fd */
	assert_int_equal(ofs_varlink_flush(c.v), 0);
	assert_int_equal(ofs_varlink_wait_reply(client, 1000, &reply, &err, NULL), 0);
	assert_string_equal(err, OFS_VARLINK_ERR_PERMISSION_DENIED);
	json_object_put(reply);
	assert_int_equal(ofs_varlink_wait_reply(client, 1000, &reply, &err, NULL), 0);
	assert_string_equal(err, OFS_VARLINK_ERR_PERMISSION_DENIED);
	json_object_put(reply);
	assert_true(fcntl(fd, F_GETFD) < 0);
	json_object_put(vc.parameters);
	ofs_varlink_free(c.v);
	ofs_varlink_free(client);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_good),
		cmocka_unit_test(request_bad_parameters),
		cmocka_unit_test(request_bad_destinations),
		cmocka_unit_test(result_reply),
		cmocka_unit_test(error_mapping),
		cmocka_unit_test(errno_names),
		cmocka_unit_test(interface_description),
		cmocka_unit_test(permission_denied),
		cmocka_unit_test_setup_teardown(server_methods, srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(server_garbage, srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(server_connection_limit, srv_setup,
						srv_teardown),
		cmocka_unit_test_setup_teardown(server_launch, srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(server_hangup_cancels, srv_setup,
						srv_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
