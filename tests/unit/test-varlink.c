// SPDX-License-Identifier: MIT
/*
 * The Varlink codec over a socketpair: framing (several messages in one
 * read, one message over many reads, an oversize one), fd passing (a memfd
 * arrives CLOEXEC, too many fds are closed), the strict call decoder, peer
 * credentials, and the blocking client against a small server thread
 * (replies, errors, "continues", a timeout).
 */
#include <errno.h>
#include <fcntl.h>
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

#include "ofs-varlink.h"

struct fx {
	int sv[2];
	struct ofs_varlink *server;	/* wraps sv[0] */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->sv) ||
	    ofs_varlink_from_fd(f->sv[0], &f->server))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ofs_varlink_free(f->server);
	if (f->sv[1] >= 0)
		close(f->sv[1]);
	free(f);
	return 0;
}

static void send_raw(int fd, const void *buf, size_t len, const int *fds,
		     size_t n_fds)
{
	char control[CMSG_SPACE(sizeof(int) * 16)];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (n_fds) {
		memset(control, 0, sizeof(control));
		mh.msg_control = control;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	assert_int_equal(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* Reads until a whole message is there (the socketpair already holds it). */
static int next_msg(struct ofs_varlink *v, const char **text, size_t *len,
		    int *fds, size_t *n_fds)
{
	int r;

	for (;;) {
		r = ofs_varlink_next(v, text, len, fds, n_fds);
		if (r)
			return r;
		r = ofs_varlink_fill(v);
		if (r)
			return r;
	}
}

static void framing_many_in_one_read(void **state)
{
	static const char wire[] = "{\"a\":1}\0{\"b\":2}\0{\"c\":";
	struct fx *f = *state;
	const char *text;
	size_t len, n_fds;
	int fds[OFS_VARLINK_FDS_MAX];

	send_raw(f->sv[1], wire, sizeof(wire) - 1, NULL, 0);
	assert_int_equal(ofs_varlink_fill(f->server), 0);
	assert_int_equal(ofs_varlink_next(f->server, &text, &len, fds, &n_fds), 1);
	assert_string_equal(text, "{\"a\":1}");
	assert_int_equal(len, 7);
	assert_int_equal(ofs_varlink_next(f->server, &text, &len, fds, &n_fds), 1);
	assert_string_equal(text, "{\"b\":2}");
	assert_int_equal(ofs_varlink_next(f->server, &text, &len, fds, &n_fds), 0);
	send_raw(f->sv[1], "3}", 3, NULL, 0);
	assert_int_equal(next_msg(f->server, &text, &len, fds, &n_fds), 1);
	assert_string_equal(text, "{\"c\":3}");
	assert_int_equal(ofs_varlink_fill(f->server), -EAGAIN);
}

static void framing_one_over_many_reads(void **state)
{
	struct fx *f = *state;
	const char *text;
	size_t len, n_fds, i, size = 300000;
	char *big = malloc(size);
	int fds[OFS_VARLINK_FDS_MAX], r;

	assert_non_null(big);
	memset(big, 'x', size);
	big[0] = '"';
	big[size - 2] = '"';
	big[size - 1] = '\0';
	/* Byte by byte for the first few, then in large pieces. */
	for (i = 0; i < 5; i++) {
		send_raw(f->sv[1], big + i, 1, NULL, 0);
		assert_int_equal(ofs_varlink_fill(f->server), 0);
		assert_int_equal(ofs_varlink_next(f->server, &text, &len, fds,
						  &n_fds), 0);
	}
	for (; i < size; i += 100000) {
		send_raw(f->sv[1], big + i, i + 100000 > size ? size - i : 100000,
			 NULL, 0);
		while ((r = ofs_varlink_fill(f->server)) == 0)
			;
		assert_int_equal(r, -EAGAIN);
	}
	assert_int_equal(ofs_varlink_next(f->server, &text, &len, fds, &n_fds), 1);
	assert_int_equal(len, size - 1);
	assert_memory_equal(text, big, size);
	free(big);
}

static void framing_oversize(void **state)
{
	struct fx *f = *state;
	const char *text;
	size_t len, n_fds, sent = 0;
	char chunk[65536];
	int fds[OFS_VARLINK_FDS_MAX], r = 0;

	memset(chunk, ' ', sizeof(chunk));
	while (sent <= OFS_VARLINK_MSG_MAX + sizeof(chunk)) {
		send_raw(f->sv[1], chunk, sizeof(chunk), NULL, 0);
		sent += sizeof(chunk);
		while ((r = ofs_varlink_fill(f->server)) == 0)
			if ((r = ofs_varlink_next(f->server, &text, &len, fds,
						  &n_fds)))
				break;
		if (r == -EMSGSIZE)
			break;
		assert_int_equal(r, -EAGAIN);
	}
	assert_int_equal(r, -EMSGSIZE);
	assert_true(sent >= OFS_VARLINK_MSG_MAX);
}

static void framing_eof(void **state)
{
	struct fx *f = *state;

	close(f->sv[1]);
	f->sv[1] = -1;
	assert_int_equal(ofs_varlink_fill(f->server), -ECONNRESET);
}

static int fd_count(void)
{
	int n = 0, fd;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static void fds_memfd_arrives_cloexec(void **state)
{
	struct fx *f = *state;
	struct ofs_varlink *client;
	json_object *msg = json_object_new_object();
	int memfd = memfd_create("guest", MFD_CLOEXEC), fds[OFS_VARLINK_FDS_MAX];
	const char *text;
	size_t len, n_fds;
	struct stat a, b;

	assert_true(memfd >= 0);
	assert_int_equal(ftruncate(memfd, 8192), 0);
	/* An earlier message without fds must not take them. */
	send_raw(f->sv[1], "{}", 3, NULL, 0);
	assert_int_equal(ofs_varlink_from_fd(dup(f->sv[1]), &client), 0);
	json_object_object_add(msg, "x", json_object_new_int(1));
	assert_int_equal(ofs_varlink_queue(client, msg, &memfd, 1), 0);
	assert_true(ofs_varlink_pending(client));
	assert_int_equal(ofs_varlink_flush(client), 0);
	assert_false(ofs_varlink_pending(client));

	assert_int_equal(next_msg(f->server, &text, &len, fds, &n_fds), 1);
	assert_string_equal(text, "{}");
	assert_int_equal(n_fds, 0);
	assert_int_equal(next_msg(f->server, &text, &len, fds, &n_fds), 1);
	assert_string_equal(text, "{\"x\":1}");
	assert_int_equal(n_fds, 1);
	assert_int_equal(fstat(memfd, &a), 0);
	assert_int_equal(fstat(fds[0], &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	close(fds[0]);
	close(memfd);
	json_object_put(msg);
	ofs_varlink_free(client);
}

static void fds_too_many_are_closed(void **state)
{
	struct fx *f = *state;
	int many[OFS_VARLINK_FDS_MAX + 1], fds[OFS_VARLINK_FDS_MAX], before, i;
	const char *text;
	size_t len, n_fds;

	before = fd_count();
	for (i = 0; i < OFS_VARLINK_FDS_MAX + 1; i++)
		many[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* More than a message may carry in one sendmsg(): the connection fails. */
	send_raw(f->sv[1], "{}", 3, many, OFS_VARLINK_FDS_MAX + 1);
	assert_int_equal(ofs_varlink_fill(f->server), -EBADMSG);
	for (i = 0; i < OFS_VARLINK_FDS_MAX + 1; i++)
		close(many[i]);
	assert_int_equal(fd_count(), before);

	/* Two batches within one message: the message fails, fds closed. */
	teardown(state);
	assert_int_equal(setup(state), 0);
	f = *state;
	before = fd_count();
	for (i = 0; i < OFS_VARLINK_FDS_MAX + 1; i++)
		many[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	send_raw(f->sv[1], "{", 1, many, 5);
	assert_int_equal(ofs_varlink_fill(f->server), 0);
	send_raw(f->sv[1], "}", 2, many + 5, 4);
	assert_int_equal(ofs_varlink_fill(f->server), 0);
	assert_int_equal(ofs_varlink_next(f->server, &text, &len, fds, &n_fds),
			 -EBADMSG);
	assert_int_equal(n_fds, 0);
	for (i = 0; i < OFS_VARLINK_FDS_MAX + 1; i++)
		close(many[i]);
	assert_int_equal(fd_count(), before);

	/* Fds not taken are closed with the connection. */
	many[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	send_raw(f->sv[1], "{", 1, many, 1);
	close(many[0]);
	assert_int_equal(ofs_varlink_fill(f->server), 0);
	ofs_varlink_free(f->server);
	f->server = NULL;
	f->sv[0] = -1;
	assert_int_equal(fd_count(), before - 1);
}

struct bad_call {
	const char *text, *why;
};

static void parse_call_good(void **state)
{
	static const char *const good[] = {
		"{\"method\":\"io.offload-sec.Launcher.List\"}",
		" {\"method\":\"org.varlink.service.GetInfo\",\"parameters\":{}} \n",
		"{\"method\":\"a.b.C9\",\"more\":true,\"oneway\":false,\"parameters\":{\"x\":[1,2]}}",
	};
	struct ofs_varlink_call call;
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(ofs_varlink_parse_call(good[i], strlen(good[i]),
							&call, why, sizeof(why)), 0);
		assert_non_null(call.parameters);
		assert_true(json_object_is_type(call.parameters, json_type_object));
		ofs_varlink_call_release(&call);
	}
	assert_int_equal(ofs_varlink_parse_call(good[2], strlen(good[2]), &call,
						why, sizeof(why)), 0);
	assert_string_equal(call.method, "a.b.C9");
	assert_true(call.more);
	assert_false(call.oneway);
	ofs_varlink_call_release(&call);
}

static void parse_call_rejects(void **state)
{
	static const struct bad_call bad[] = {
		{ "[1]", "not a JSON object" },
		{ "\"x\"", "not a JSON object" },
		{ "{\"method\":", "not JSON" },
		{ "{\"method\":\"a.b.C\"} x", "JSON" },
		{ "{\"method\":\"a.b.C\"}{}", "JSON" },
		{ "{}", "method: missing" },
		{ "{\"parameters\":{}}", "method: missing" },
		{ "{\"method\":1}", "method: expected a string" },
		{ "{\"method\":\"List\"}", "interface" },
		{ "{\"method\":\"a.List\"}", "interface" },
		{ "{\"method\":\"io.List\"}", "interface" },
		{ "{\"method\":\"1a.b.List\"}", "interface" },
		{ "{\"method\":\"a-.b.List\"}", "interface" },
		{ "{\"method\":\"a..b.List\"}", "interface" },
		{ "{\"method\":\"a.b_c.List\"}", "interface" },
		{ "{\"method\":\"a.b.list\"}", "method name" },
		{ "{\"method\":\"a.b.\"}", "method name" },
		{ "{\"method\":\"a.b.Li-st\"}", "method name" },
		{ "{\"method\":\"a.b.C\",\"parameters\":[]}", "parameters: expected an object" },
		{ "{\"method\":\"a.b.C\",\"parameters\":null}", "parameters: expected an object" },
		{ "{\"method\":\"a.b.C\",\"bogus\":1}", "bogus: unknown member" },
		{ "{\"method\":\"a.b.C\",\"upgrade\":true}", "upgrade" },
		{ "{\"method\":\"a.b.C\",\"more\":1}", "more: expected true or false" },
		{ "{\"method\":\"a.b.C\",\"oneway\":\"yes\"}", "oneway: expected" },
		{ "{\"method\":\"a.b.C\",\"more\":true,\"oneway\":true}", "together" },
		{ "{'method':'a.b.C'}", "not JSON" },
		{ "{\"method\":\"a.b.C\",}", "not JSON" },
		{ "{\"method\":\"a.b.\\u00e9\"}", "method name" },
		{ "{\"method\":\"\xff.b.C\"}", "not JSON" },
		{ "{\"method\":\"a.b.C\",\"parameters\":{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}}",
		  "not JSON" },
	};
	struct ofs_varlink_call call;
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(ofs_varlink_parse_call(bad[i].text, strlen(bad[i].text),
							&call, why, sizeof(why)),
				 -EBADMSG);
		if (!strstr(why, bad[i].why))
			fail_msg("%s: got \"%s\", expected \"%s\"", bad[i].text,
				 why, bad[i].why);
		assert_null(call.method);
		assert_null(call.parameters);
	}
	/* A NUL inside is never a message. */
	assert_int_equal(ofs_varlink_parse_call("{}\0{}", 5, &call, why,
						sizeof(why)), -EBADMSG);
}

static void peer_creds(void **state)
{
	struct fx *f = *state;
	pid_t pid;
	uid_t uid;
	gid_t gid;

	assert_int_equal(ofs_varlink_peer(f->server, &pid, &uid, &gid), 0);
	assert_int_equal(pid, getpid());
	assert_int_equal(uid, geteuid());
	assert_int_equal(gid, getegid());
	assert_int_equal(ofs_varlink_peer_in_group(f->server, getegid()), 1);
	if (geteuid() != 0)
		assert_int_equal(ofs_varlink_peer_in_group(f->server, 54321), 0);
	else
		assert_int_equal(ofs_varlink_peer_in_group(f->server, 54321), 1);
}

/* ---- a small server on a thread ---- */

struct server {
	struct ofs_varlink *v;
	pthread_t thread;
	int silent;		/* never answers (for the timeout) */
};

static int serve_one(struct server *s, const char *text, size_t len,
		     size_t n_fds)
{
	struct ofs_varlink_call call;
	json_object *p;
	char why[128];
	int i, r;

	if (ofs_varlink_parse_call(text, len, &call, why, sizeof(why)))
		return ofs_varlink_error(s->v, "org.test.Bad", NULL);
	p = json_object_new_object();
	if (!strcmp(call.method, "org.test.Echo")) {
		json_object_object_add(p, "echo", json_object_get(call.parameters));
		json_object_object_add(p, "fds", json_object_new_int((int)n_fds));
		r = ofs_varlink_reply(s->v, p, false);
	} else if (!strcmp(call.method, "org.test.Count") && call.more) {
		for (i = 1, r = 0; i <= 3 && !r; i++) {
			json_object_object_add(p, "n", json_object_new_int(i));
			r = ofs_varlink_reply(s->v, p, i < 3);
		}
	} else {
		json_object_object_add(p, "method", json_object_new_string(call.method));
		r = ofs_varlink_error(s->v, OFS_VARLINK_ERR_METHOD_NOT_FOUND, p);
	}
	json_object_put(p);
	ofs_varlink_call_release(&call);
	return r;
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct pollfd p = { .fd = ofs_varlink_fd(s->v), .events = POLLIN };
	int fds[OFS_VARLINK_FDS_MAX], r;
	const char *text;
	size_t len, n_fds, got;

	for (;;) {
		while ((r = ofs_varlink_next(s->v, &text, &len, fds, &n_fds)) == 1) {
			got = n_fds;
			while (n_fds)
				close(fds[--n_fds]);
			if (!s->silent && serve_one(s, text, len, got))
				return NULL;
		}
		while (ofs_varlink_flush(s->v) == -EAGAIN)
			poll(&(struct pollfd){ .fd = p.fd, .events = POLLOUT }, 1, -1);
		r = ofs_varlink_fill(s->v);
		if (r == -EAGAIN)
			poll(&p, 1, -1);
		else if (r)
			return NULL;
	}
}

static void client_calls(void **state)
{
	struct fx *f = *state;
	struct server s = { .v = f->server };
	struct ofs_varlink *c;
	json_object *params = json_object_new_object(), *reply, *o;
	int memfd = memfd_create("guest", MFD_CLOEXEC);
	const char *error;
	bool more;

	assert_int_equal(ofs_varlink_from_fd(f->sv[1], &c), 0);
	f->sv[1] = -1;
	assert_int_equal(pthread_create(&s.thread, NULL, server_main, &s), 0);

	json_object_object_add(params, "image", json_object_new_string("vm"));
	assert_int_equal(ofs_varlink_call(c, "org.test.Echo", params, &memfd, 1, 0,
					  5000, &reply, &error, &more), 0);
	assert_null(error);
	assert_false(more);
	assert_true(json_object_object_get_ex(reply, "echo", &o));
	assert_true(json_object_equal(o, params));
	assert_true(json_object_object_get_ex(reply, "fds", &o));
	assert_int_equal(json_object_get_int(o), 1);
	json_object_put(reply);

	assert_int_equal(ofs_varlink_call(c, "org.test.Nope", NULL, NULL, 0, 0, 5000,
					  &reply, &error, &more), 0);
	assert_string_equal(error, OFS_VARLINK_ERR_METHOD_NOT_FOUND);
	assert_true(json_object_object_get_ex(reply, "method", &o));
	assert_string_equal(json_object_get_string(o), "org.test.Nope");
	json_object_put(reply);

	assert_int_equal(ofs_varlink_call(c, "org.test.Count", NULL, NULL, 0,
					  OFS_VARLINK_CALL_MORE, 5000, &reply,
					  &error, &more), 0);
	assert_null(error);
	assert_true(more);
	json_object_put(reply);
	assert_int_equal(ofs_varlink_wait_reply(c, 5000, &reply, &error, &more), 0);
	assert_true(more);
	json_object_put(reply);
	assert_int_equal(ofs_varlink_wait_reply(c, 5000, &reply, &error, &more), 0);
	assert_false(more);
	assert_true(json_object_object_get_ex(reply, "n", &o));
	assert_int_equal(json_object_get_int(o), 3);
	json_object_put(reply);

	/* A silent server: the client gives up on time. */
	s.silent = 1;
	assert_int_equal(ofs_varlink_call(c, "org.test.Echo", NULL, NULL, 0, 0, 100,
					  &reply, &error, &more), -ETIMEDOUT);
	assert_null(reply);

	ofs_varlink_free(c);	/* the server sees EOF and ends */
	assert_int_equal(pthread_join(s.thread, NULL), 0);
	json_object_put(params);
	close(memfd);
}

static void client_rejects_garbage(void **state)
{
	static const char *const bad[] = {
		"[]", "{\"error\":1}", "{\"parameters\":[]}", "{\"other\":1}", "nope",
	};
	struct fx *f = *state;
	struct ofs_varlink *c;
	json_object *reply;
	const char *error;
	size_t i;

	assert_int_equal(ofs_varlink_from_fd(f->sv[1], &c), 0);
	f->sv[1] = -1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		send_raw(f->sv[0], bad[i], strlen(bad[i]) + 1, NULL, 0);
		assert_int_equal(ofs_varlink_wait_reply(c, 1000, &reply, &error,
							NULL), -EBADMSG);
	}
	ofs_varlink_free(c);
	assert_int_equal(ofs_varlink_connect("/nonexistent/sock", &c), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(framing_many_in_one_read, setup, teardown),
		cmocka_unit_test_setup_teardown(framing_one_over_many_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(framing_oversize, setup, teardown),
		cmocka_unit_test_setup_teardown(framing_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(fds_memfd_arrives_cloexec, setup, teardown),
		cmocka_unit_test_setup_teardown(fds_too_many_are_closed, setup, teardown),
		cmocka_unit_test(parse_call_good),
		cmocka_unit_test(parse_call_rejects),
		cmocka_unit_test_setup_teardown(peer_creds, setup, teardown),
		cmocka_unit_test_setup_teardown(client_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(client_rejects_garbage, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
