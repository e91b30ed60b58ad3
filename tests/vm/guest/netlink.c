// SPDX-License-Identifier: MIT
/*
 * The driver's generic netlink family: the device and session dumps show
 * what the device node and the sessions say, the events group announces
 * a launch's steps and the card's departure and return, requests are
 * validated strictly, a dump that spans a change is flagged
 * NLM_F_DUMP_INTR (and the library's dump retries it), and an
 * unprivileged user may read but not open the card.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "guest-util.h"
#include "ofs-crypto.h"
#include "tap.h"

static int dev = -1;

static struct ofs_nl_device *find_device(struct ofs_nl_device *devs, size_t n,
					 uint32_t index)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (devs[i].index == index)
			return &devs[i];
	return NULL;
}

static int test_device_dump(void)
{
	struct ofs_nl_device *devs, *d;
	struct offload_sec_info info;
	char bdf[64];
	size_t n;
	int r;

	CHECK(card_bdf(bdf, sizeof(bdf)) == 0, "no PCI device behind the node");
	r = ofs_device_get_info(dev, &info);
	CHECK(r == 0, "GET_INFO: %s", strerror(-r));
	r = ofs_nl_dump_devices(&devs, &n);
	CHECK(r == 0, "dump: %s", strerror(-r));
	d = find_device(devs, n, 0);
	CHECK(d, "device 0 not in a dump of %zu", n);
	CHECK(!strcmp(d->name, OFFLOAD_SEC_DEVICE_NAME), "name %s", d->name);
	CHECK(!strcmp(d->pci_addr, bdf), "PCI address %s, sysfs says %s", d->pci_addr, bdf);
	CHECK(d->has_info, "no info");
	CHECK(d->fw_major == info.fw_major && d->fw_minor == info.fw_minor &&
	      d->fw_patch == info.fw_patch, "firmware differs from GET_INFO");
	CHECK(d->abi_major == info.abi_major && d->capabilities == info.capabilities &&
	      d->measurement_regs == info.num_measurement_regs &&
	      d->max_sessions == info.max_sessions &&
	      !strcmp(d->serial, (const char *)info.serial), "info differs from GET_INFO");
	CHECK(d->sessions == 0 && !d->broken, "sessions %u, broken %d", d->sessions, d->broken);
	free(devs);
	return 0;
}

static struct ofs_nl_session *find_session(struct ofs_nl_session *ss, size_t n,
					   const uint8_t *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(ss[i].id, id, sizeof(ss[i].id)))
			return &ss[i];
	return NULL;
}

static int test_session_dump(void)
{
	struct offload_sec_session_create sc[2] = {};
	struct offload_sec_measure m = { .component = OFFLOAD_SEC_COMPONENT_INITRD };
	struct ofs_nl_session *ss, *a, *b;
	struct ofs_nl_device *devs;
	static uint8_t buf[12345];
	int fd[2], i, r;
	size_t n;

	for (i = 0; i < 2; i++) {
		fd[i] = ofs_session_create(dev, &sc[i]);
		CHECK(fd[i] >= 0, "SESSION_CREATE: %s", strerror(-fd[i]));
	}
	m.addr = (uintptr_t)buf;
	m.len = sizeof(buf);
	r = ofs_session_measure(fd[0], &m);
	CHECK(r == 0, "MEASURE: %s", strerror(-r));

	r = ofs_nl_dump_devices(&devs, &n);
	CHECK(r == 0 && n >= 1, "device dump: %s", strerror(-r));
	CHECK(find_device(devs, n, 0)->sessions == 2, "device counts %u sessions",
	      find_device(devs, n, 0)->sessions);
	free(devs);

	r = ofs_nl_dump_sessions(-1, &ss, &n);
	CHECK(r == 0, "session dump: %s", strerror(-r));
	CHECK(n == 2, "%zu sessions", n);
	a = find_session(ss, n, sc[0].session_id);
	b = find_session(ss, n, sc[1].session_id);
	CHECK(a && b, "a session id is missing");
	CHECK(a->owner == (uint32_t)getpid() && b->owner == (uint32_t)getpid(),
	      "owners %u %u, I am %d", a->owner, b->owner, getpid());
	CHECK(a->state == OFFLOAD_SEC_SESSION_MEASURED, "state %s",
	      ofs_nl_session_state_str(a->state));
	CHECK(b->state == OFFLOAD_SEC_SESSION_CREATED, "state %s",
	      ofs_nl_session_state_str(b->state));
	CHECK(a->measured[OFFLOAD_SEC_COMPONENT_INITRD] == sizeof(buf) &&
	      a->measured[OFFLOAD_SEC_COMPONENT_KERNEL] == 0 && b->measured[1] == 0,
	      "measured %llu", (unsigned long long)a->measured[1]);
	free(ss);

	r = ofs_nl_dump_sessions(0, &ss, &n);
	free(ss);
	CHECK(r == 0 && n == 2, "filtered to device 0: %d, %zu", r, n);
	r = ofs_nl_dump_sessions(7, &ss, &n);
	free(ss);
	CHECK(r == 0 && n == 0, "filtered to device 7: %d, %zu", r, n);

	close(fd[0]);
	close(fd[1]);
	r = ofs_nl_dump_sessions(-1, &ss, &n);
	free(ss);
	CHECK(r == 0 && n == 0, "after close: %d, %zu sessions", r, n);
	return 0;
}

/* A launch as far as a refused confirmation: every state change is seen. */
static int test_session_events(void)
{
	static const uint32_t want[] = {
		OFFLOAD_SEC_SESSION_MEASURED, OFFLOAD_SEC_SESSION_ATTESTED,
		OFFLOAD_SEC_SESSION_FAILED,
	};
	struct offload_sec_session_create sc = {};
	struct offload_sec_measure m = { .component = 0, .flags = OFFLOAD_SEC_MEASURE_FINAL };
	struct offload_sec_attest a = {};
	struct offload_sec_confirm c = {};
	struct ofs_nl_monitor *mon;
	struct ofs_ecdh_key *key = NULL;
	static struct event_log log;
	static uint8_t image[4096], report[16384], junk[64];
	int sfd, r, i, k, seen = 0;

	r = ofs_nl_monitor_open(&mon);
	CHECK(r == 0, "subscribe: %s", strerror(-r));
	sfd = ofs_session_create(dev, &sc);
	CHECK(sfd >= 0, "SESSION_CREATE: %s", strerror(-sfd));
	m.addr = (uintptr_t)image;
	m.len = sizeof(image);
	CHECK(ofs_session_measure(sfd, &m) == 0, "MEASURE");
	CHECK(ofs_ecdh_generate(&key) == 0 && ofs_ecdh_export_public(key, a.host_pub) == 0,
	      "ECDH key");
	ofs_ecdh_free(key);
	a.report = (uintptr_t)report;
	a.report_len = sizeof(report);
	r = ofs_session_attest(sfd, &a);
	CHECK(r == 0, "ATTEST: %s, status %u", strerror(-r), a.device_status);
	memset(junk, 0x5a, sizeof(junk));
	c.addr = (uintptr_t)junk;
	c.len = sizeof(junk);
	r = ofs_session_confirm(sfd, &c);
	CHECK(r == -EBADMSG, "CONFIRM of junk: %s", strerror(-r));
	close(sfd);

	k = wait_event(mon, &log, OFFLOAD_SEC_CMD_SESSION_ENDED, sc.session_id, 5);
	ofs_nl_monitor_close(mon);
	CHECK(k >= 0, "no session-ended event (%d events)", log.n);
	CHECK(log.ev[k].end_reason == OFFLOAD_SEC_END_CLOSED, "reason %u", log.ev[k].end_reason);
	CHECK(log.ev[k].session.state == OFFLOAD_SEC_SESSION_FAILED, "ended %s",
	      ofs_nl_session_state_str(log.ev[k].session.state));
	CHECK(log.ev[k].session.owner == (uint32_t)getpid(), "owner %u", log.ev[k].session.owner);
	for (i = 0; i < k; i++) {
		const struct ofs_nl_event *ev = &log.ev[i];

		if (memcmp(ev->session.id, sc.session_id, sizeof(sc.session_id)))
			continue;
		if (ev->cmd == OFFLOAD_SEC_CMD_SESSION_CREATED) {
			CHECK(seen == 0, "created after a state change");
			seen = 1;
		} else if (ev->cmd == OFFLOAD_SEC_CMD_SESSION_STATE) {
			CHECK(seen >= 1 && seen <= 3, "state event %d unexpected", seen);
			CHECK(ev->session.state == want[seen - 1], "state %d is %s", seen,
			      ofs_nl_session_state_str(ev->session.state));
			seen++;
		}
	}
	CHECK(seen == 4, "saw created and %d state changes", seen - 1);
	CHECK(log.ev[k].session.measured[0] == sizeof(image), "measured %llu",
	      (unsigned long long)log.ev[k].session.measured[0]);
	return 0;
}

static int test_device_events(void)
{
	struct ofs_nl_monitor *mon;
	static struct event_log log;
	char bdf[64];
	int k, r;

	CHECK(card_bdf(bdf, sizeof(bdf)) == 0, "no PCI device behind the node");
	r = ofs_nl_monitor_open(&mon);
	CHECK(r == 0, "subscribe: %s", strerror(-r));
	close(dev);
	dev = -1;
	r = sysfs_write(DRIVER_DIR "/unbind", bdf);
	CHECK(r == 0, "unbind: %s", strerror(-r));
	k = wait_event(mon, &log, OFFLOAD_SEC_CMD_DEVICE_REMOVED, NULL, 5);
	CHECK(k >= 0, "no device-removed event");
	CHECK(!strcmp(log.ev[k].device.pci_addr, bdf) && log.ev[k].device.index == 0,
	      "removed %u at %s", log.ev[k].device.index, log.ev[k].device.pci_addr);
	r = sysfs_write(DRIVER_DIR "/bind", bdf);
	CHECK(r == 0, "bind: %s", strerror(-r));
	k = wait_event(mon, &log, OFFLOAD_SEC_CMD_DEVICE_ADDED, NULL, 5);
	ofs_nl_monitor_close(mon);
	CHECK(k >= 0, "no device-added event");
	CHECK(!strcmp(log.ev[k].device.name, OFFLOAD_SEC_DEVICE_NAME) &&
	      log.ev[k].device.has_info && log.ev[k].device.sessions == 0,
	      "added %s, info %d", log.ev[k].device.name, log.ev[k].device.has_info);
	CHECK(wait_node(true, 5), "node did not come back");
	dev = ofs_device_open(NULL);
	CHECK(dev >= 0, "open after bind: %s", strerror(-dev));
	return 0;
}

/* Raw requests, to see what the kernel answers to malformed ones. */
struct raw {
	struct nl_sock *sk;
	int family;
	int err;
};

static int raw_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	((struct raw *)arg)->err = e->error;
	return NL_STOP;
}

static int raw_ack(struct nl_msg *msg, void *arg)
{
	return NL_STOP;
}

static int raw_open(struct raw *raw)
{
	raw->sk = nl_socket_alloc();
	if (!raw->sk || genl_connect(raw->sk) < 0)
		return -1;
	raw->family = genl_ctrl_resolve(raw->sk, OFFLOAD_SEC_GENL_NAME);
	return raw->family < 0 ? -1 : 0;
}

/* Sends cmd with one attribute (type, len bytes of val); returns the errno. */
static int raw_request(struct raw *raw, uint8_t cmd, int flags, int type,
		       const void *val, int len)
{
	struct nl_msg *msg = nlmsg_alloc();
	int r;

	raw->err = 0;
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, raw->family, 0, flags | NLM_F_ACK,
		    cmd, OFFLOAD_SEC_GENL_VERSION);
	if (type)
		nla_put(msg, type, len, val);
	nl_socket_modify_err_cb(raw->sk, NL_CB_CUSTOM, raw_error, raw);
	nl_socket_modify_cb(raw->sk, NL_CB_ACK, NL_CB_CUSTOM, raw_ack, raw);
	nl_socket_modify_cb(raw->sk, NL_CB_FINISH, NL_CB_CUSTOM, raw_ack, raw);
	r = nl_send_auto(raw->sk, msg);
	nlmsg_free(msg);
	if (r < 0)
		return -EIO;
	nl_recvmsgs_default(raw->sk);
	return raw->err;
}

static int test_strict(void)
{
	struct raw raw = {};
	uint32_t u32 = 0;
	uint8_t u8 = 0;
	int r;

	CHECK(raw_open(&raw) == 0, "family not found");
	r = raw_request(&raw, OFFLOAD_SEC_CMD_GET_DEVICE, NLM_F_DUMP,
			OFFLOAD_SEC_A_DEVICE_INDEX, &u32, 4);
	CHECK(r == 0, "a valid filtered dump: %s", strerror(-r));
	r = raw_request(&raw, OFFLOAD_SEC_CMD_GET_DEVICE, NLM_F_DUMP, 200, &u32, 4);
	CHECK(r == -EINVAL, "unknown attribute type: %s", strerror(-r));
	r = raw_request(&raw, OFFLOAD_SEC_CMD_GET_SESSION, NLM_F_DUMP,
			OFFLOAD_SEC_A_SESSION_STATE, &u32, 4);
	CHECK(r == -EINVAL, "reply-only attribute in a request: %s", strerror(-r));
	r = raw_request(&raw, OFFLOAD_SEC_CMD_GET_DEVICE, NLM_F_DUMP,
			OFFLOAD_SEC_A_DEVICE_INDEX, &u8, 1);
	CHECK(r == -EINVAL, "a 1-byte device index: %s", strerror(-r));
	r = raw_request(&raw, OFFLOAD_SEC_CMD_GET_DEVICE, 0, 0, NULL, 0);
	CHECK(r == -EOPNOTSUPP, "GET_DEVICE without NLM_F_DUMP: %s", strerror(-r));
	r = raw_request(&raw, OFFLOAD_SEC_CMD_DEVICE_ADDED, 0, 0, NULL, 0);
	CHECK(r == -EOPNOTSUPP, "an event command as a request: %s", strerror(-r));
	r = raw_request(&raw, 99, NLM_F_DUMP, 0, NULL, 0);
	CHECK(r == -EOPNOTSUPP, "unknown command: %s", strerror(-r));
	nl_socket_free(raw.sk);
	return 0;
}

/*
 * 60 sessions make a dump of several parts (each recv takes one page).
 * Closing one between two parts must flag the later messages.  (The
 * kernel makes the next part as soon as one is read, so the flag shows
 * from the part after next.)
 */
static int test_dump_intr(void)
{
	enum { N = 60 };
	static uint8_t buf[4096];
	int fds[N], i, n, r, family, msgs = 0, intr = 0, done = 0;
	struct ofs_nl_session *ss;
	struct raw raw = {};
	struct nl_msg *msg;
	size_t count;

	for (n = 0; n < N; n++) {
		struct offload_sec_session_create sc = {};

		fds[n] = ofs_session_create(dev, &sc);
		CHECK(fds[n] >= 0, "SESSION_CREATE %d: %s", n, strerror(-fds[n]));
	}
	CHECK(raw_open(&raw) == 0, "family not found");
	family = raw.family;
	nl_socket_free(raw.sk);
	/*
	 * A fresh socket: the kernel sizes a dump's parts by the largest
	 * receive the socket has done, and resolving the family did a big one.
	 */
	raw.sk = nl_socket_alloc();
	CHECK(raw.sk && nl_connect(raw.sk, NETLINK_GENERIC) == 0, "socket");
	msg = nlmsg_alloc();
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP,
		    OFFLOAD_SEC_CMD_GET_SESSION, OFFLOAD_SEC_GENL_VERSION);
	r = nl_send_auto(raw.sk, msg);
	nlmsg_free(msg);
	CHECK(r >= 0, "send");
	for (i = 0; !done && i < 100; i++) {
		struct nlmsghdr *h;
		int len = recv(nl_socket_get_fd(raw.sk), buf, sizeof(buf), MSG_TRUNC);

		CHECK(len > 0, "recv: %s", strerror(errno));
		CHECK(len <= (int)sizeof(buf), "a part of %d bytes", len);
		for (h = (struct nlmsghdr *)buf; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
			/* NLMSG_DONE carries the flag too. */
			intr += !!(h->nlmsg_flags & NLM_F_DUMP_INTR);
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			msgs++;
		}
		/* After the first part, change the list. */
		if (i == 0) {
			close(fds[N - 1]);
			fds[N - 1] = -1;
		}
	}
	nl_socket_free(raw.sk);
	printf("# %d messages in %d parts, %d flagged\n", msgs, i, intr);
	CHECK(done && i >= 2, "the dump came in %d part(s)", i);
	CHECK(intr > 0, "no message flagged NLM_F_DUMP_INTR");

	r = ofs_nl_dump_sessions(-1, &ss, &count);
	free(ss);
	CHECK(r == 0 && count == N - 1, "retried dump: %d, %zu sessions", r, count);
	for (i = 0; i < N; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}

static int test_unprivileged(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct ofs_nl_device *devs;
		size_t n;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (ofs_nl_dump_devices(&devs, &n) || n < 1)
			_exit(11);
		if (ofs_device_open(NULL) != -EACCES)
			_exit(12);
		_exit(0);
	}
	CHECK(pid > 0, "fork");
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status), "child died");
	CHECK(WEXITSTATUS(status) != 10, "cannot drop privileges");
	CHECK(WEXITSTATUS(status) != 11, "nobody cannot dump the devices");
	CHECK(WEXITSTATUS(status) != 12, "nobody can open the device node");
	return 0;
}

static const struct tap_test tests[] = {
	{ "device dump: the card, as GET_INFO describes it", test_device_dump },
	{ "session dump: owner, state, bytes measured, filter", test_session_dump },
	{ "events: created, measured, attested, failed, ended", test_session_events },
	{ "events: device removed and added (unbind, bind)", test_device_events },
	{ "strict requests: unknown attrs and commands refused", test_strict },
	{ "a dump spanning a change is flagged, the library retries", test_dump_intr },
	{ "nobody may dump, but not open the node", test_unprivileged },
};

int main(void)
{
	dev = ofs_device_open(NULL);
	if (dev < 0) {
		printf("1..1\nnot ok 1 - netlink: open: %s\n", strerror(-dev));
		return 1;
	}
	return tap_run("netlink", tests, sizeof(tests) / sizeof(tests[0]));
}
