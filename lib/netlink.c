// SPDX-License-Identifier: MIT
/*
 * The generic netlink family of offload_sec.ko, through libnl-genl-3.
 * Every message is parsed against declared policies before any field is
 * read; a message without the attributes its kind always carries is
 * -EBADMSG.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "ofs-netlink.h"

#define SERIAL_LEN 32

static const struct nla_policy attr_policy[OFFLOAD_SEC_A_MAX + 1] = {
	[OFFLOAD_SEC_A_DEVICE_INDEX] = { .type = NLA_U32 },
	[OFFLOAD_SEC_A_DEVICE_NAME] = { .type = NLA_STRING, .maxlen = 32 },
	[OFFLOAD_SEC_A_DEVICE_PCI_ADDR] = { .type = NLA_STRING, .maxlen = 32 },
	[OFFLOAD_SEC_A_DEVICE_INFO] = { .type = NLA_NESTED },
	[OFFLOAD_SEC_A_DEVICE_SESSIONS] = { .type = NLA_U32 },
	[OFFLOAD_SEC_A_DEVICE_BROKEN] = { .type = NLA_FLAG },
	[OFFLOAD_SEC_A_DEVICE_ERROR] = { .type = NLA_U32 },
	[OFFLOAD_SEC_A_SESSION_ID] = { .minlen = OFFLOAD_SEC_SESSION_ID_LEN,
				       .maxlen = OFFLOAD_SEC_SESSION_ID_LEN },
	[OFFLOAD_SEC_A_SESSION_STATE] = { .type = NLA_U32 },
	[OFFLOAD_SEC_A_SESSION_OWNER] = { .type = NLA_U32 },
	[OFFLOAD_SEC_A_SESSION_COMPONENTS] = { .type = NLA_NESTED },
	[OFFLOAD_SEC_A_SESSION_END_REASON] = { .type = NLA_U32 },
};

static const struct nla_policy info_policy[OFFLOAD_SEC_INFO_A_MAX + 1] = {
	[OFFLOAD_SEC_INFO_A_ABI_MAJOR] = { .type = NLA_U16 },
	[OFFLOAD_SEC_INFO_A_ABI_MINOR] = { .type = NLA_U16 },
	[OFFLOAD_SEC_INFO_A_FW_MAJOR] = { .type = NLA_U16 },
	[OFFLOAD_SEC_INFO_A_FW_MINOR] = { .type = NLA_U16 },
	[OFFLOAD_SEC_INFO_A_FW_PATCH] = { .type = NLA_U32 },
	[OFFLOAD_SEC_INFO_A_MEASUREMENT_REGS] = { .type = NLA_U32 },
	[OFFLOAD_SEC_INFO_A_MAX_SESSIONS] = { .type = NLA_U32 },
	[OFFLOAD_SEC_INFO_A_MAX_DMA_SEGMENTS] = { .type = NLA_U32 },
	[OFFLOAD_SEC_INFO_A_CAPABILITIES] = { .type = NLA_U64 },
	[OFFLOAD_SEC_INFO_A_SERIAL] = { .type = NLA_STRING, .maxlen = SERIAL_LEN },
};

static const struct nla_policy component_policy[OFFLOAD_SEC_COMPONENT_A_MAX + 1] = {
	[OFFLOAD_SEC_COMPONENT_A_INDEX] = { .type = NLA_U32 },
	[OFFLOAD_SEC_COMPONENT_A_MEASURED] = { .type = NLA_U64 },
	[OFFLOAD_SEC_COMPONENT_A_LOADED] = { .type = NLA_U64 },
};

/* libnl's error codes, as errnos. */
static int nl_errno(int nlerr)
{
	switch (-nlerr) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_DUMP_INTR:
		return -EINTR;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AGAIN:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

/* Copies a string attribute the policy bounded, always terminated. */
static void get_string(char *dst, size_t size, struct nlattr *a)
{
	snprintf(dst, size, "%.*s", nla_len(a), (const char *)nla_data(a));
}

static int parse_info(struct nlattr *nest, struct ofs_nl_device *d)
{
	struct nlattr *tb[OFFLOAD_SEC_INFO_A_MAX + 1];
	int i;

	if (nla_parse_nested(tb, OFFLOAD_SEC_INFO_A_MAX, nest, info_policy) < 0)
		return -EBADMSG;
	for (i = 1; i <= OFFLOAD_SEC_INFO_A_MAX; i++)
		if (!tb[i])
			return -EBADMSG;
	d->has_info = true;
	d->abi_major = nla_get_u16(tb[OFFLOAD_SEC_INFO_A_ABI_MAJOR]);
	d->abi_minor = nla_get_u16(tb[OFFLOAD_SEC_INFO_A_ABI_MINOR]);
	d->fw_major = nla_get_u16(tb[OFFLOAD_SEC_INFO_A_FW_MAJOR]);
	d->fw_minor = nla_get_u16(tb[OFFLOAD_SEC_INFO_A_FW_MINOR]);
	d->fw_patch = nla_get_u32(tb[OFFLOAD_SEC_INFO_A_FW_PATCH]);
	d->measurement_regs = nla_get_u32(tb[OFFLOAD_SEC_INFO_A_MEASUREMENT_REGS]);
	d->max_sessions = nla_get_u32(tb[OFFLOAD_SEC_INFO_A_MAX_SESSIONS]);
	d->max_dma_segments = nla_get_u32(tb[OFFLOAD_SEC_INFO_A_MAX_DMA_SEGMENTS]);
	d->capabilities = nla_get_u64(tb[OFFLOAD_SEC_INFO_A_CAPABILITIES]);
	get_string(d->serial, sizeof(d->serial), tb[OFFLOAD_SEC_INFO_A_SERIAL]);
	return 0;
}

/* Index, name and address: in every device message. */
static int parse_device(struct nlattr **tb, struct ofs_nl_device *d)
{
	memset(d, 0, sizeof(*d));
	if (!tb[OFFLOAD_SEC_A_DEVICE_INDEX] || !tb[OFFLOAD_SEC_A_DEVICE_NAME] ||
	    !tb[OFFLOAD_SEC_A_DEVICE_PCI_ADDR])
		return -EBADMSG;
	d->index = nla_get_u32(tb[OFFLOAD_SEC_A_DEVICE_INDEX]);
	get_string(d->name, sizeof(d->name), tb[OFFLOAD_SEC_A_DEVICE_NAME]);
	get_string(d->pci_addr, sizeof(d->pci_addr), tb[OFFLOAD_SEC_A_DEVICE_PCI_ADDR]);
	if (tb[OFFLOAD_SEC_A_DEVICE_INFO] &&
	    parse_info(tb[OFFLOAD_SEC_A_DEVICE_INFO], d))
		return -EBADMSG;
	if (tb[OFFLOAD_SEC_A_DEVICE_SESSIONS])
		d->sessions = nla_get_u32(tb[OFFLOAD_SEC_A_DEVICE_SESSIONS]);
	d->broken = !!tb[OFFLOAD_SEC_A_DEVICE_BROKEN];
	return 0;
}

static int parse_components(struct nlattr *nest, struct ofs_nl_session *s)
{
	struct nlattr *tb[OFFLOAD_SEC_COMPONENT_A_MAX + 1], *c;
	uint32_t i;
	int rem;

	nla_for_each_nested(c, nest, rem) {
		if (nla_parse_nested(tb, OFFLOAD_SEC_COMPONENT_A_MAX, c,
				     component_policy) < 0 ||
		    !tb[OFFLOAD_SEC_COMPONENT_A_INDEX] ||
		    !tb[OFFLOAD_SEC_COMPONENT_A_MEASURED] ||
		    !tb[OFFLOAD_SEC_COMPONENT_A_LOADED])
			return -EBADMSG;
		i = nla_get_u32(tb[OFFLOAD_SEC_COMPONENT_A_INDEX]);
		if (i >= OFFLOAD_SEC_NUM_COMPONENTS)
			continue;	/* a component this library does not know */
		s->measured[i] = nla_get_u64(tb[OFFLOAD_SEC_COMPONENT_A_MEASURED]);
		s->loaded[i] = nla_get_u64(tb[OFFLOAD_SEC_COMPONENT_A_LOADED]);
	}
	return 0;
}

static int parse_session(struct nlattr **tb, struct ofs_nl_session *s)
{
	memset(s, 0, sizeof(*s));
	if (!tb[OFFLOAD_SEC_A_DEVICE_INDEX] || !tb[OFFLOAD_SEC_A_SESSION_ID] ||
	    !tb[OFFLOAD_SEC_A_SESSION_STATE] || !tb[OFFLOAD_SEC_A_SESSION_OWNER] ||
	    !tb[OFFLOAD_SEC_A_SESSION_COMPONENTS])
		return -EBADMSG;
	s->device_index = nla_get_u32(tb[OFFLOAD_SEC_A_DEVICE_INDEX]);
	memcpy(s->id, nla_data(tb[OFFLOAD_SEC_A_SESSION_ID]), sizeof(s->id));
	s->state = nla_get_u32(tb[OFFLOAD_SEC_A_SESSION_STATE]);
	s->owner = nla_get_u32(tb[OFFLOAD_SEC_A_SESSION_OWNER]);
	return parse_components(tb[OFFLOAD_SEC_A_SESSION_COMPONENTS], s);
}

static int parse_attrs(struct nl_msg *msg, struct nlattr **tb, uint8_t *cmd)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (genlmsg_parse(nlh, 0, tb, OFFLOAD_SEC_A_MAX, attr_policy) < 0)
		return -EBADMSG;
	*cmd = genlmsg_hdr(nlh)->cmd;
	return 0;
}

/* A socket for the family; its id in *family. */
static int family_open(struct nl_sock **skp, int *family)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		return -ENOMEM;
	r = genl_connect(sk);
	if (r < 0) {
		nl_socket_free(sk);
		return nl_errno(r);
	}
	r = genl_ctrl_resolve(sk, OFFLOAD_SEC_GENL_NAME);
	if (r < 0) {
		nl_socket_free(sk);
		return -ENOENT;
	}
	*family = r;
	*skp = sk;
	return 0;
}

/* ---- dumps ---- */

struct dump {
	uint8_t cmd;
	size_t size;		/* of one item */
	void *items;
	size_t n, cap;
	int err;		/* a parse error, or the kernel's errno */
};

static void *dump_next_item(struct dump *d)
{
	void *p;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;

		p = realloc(d->items, cap * d->size);
		if (!p)
			return NULL;
		d->items = p;
		d->cap = cap;
	}
	return (char *)d->items + d->n * d->size;
}

static int dump_valid(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[OFFLOAD_SEC_A_MAX + 1];
	struct dump *d = arg;
	uint8_t cmd;
	void *item;
	int r;

	if (d->err)
		return NL_SKIP;
	r = parse_attrs(msg, tb, &cmd);
	if (!r && cmd != d->cmd)
		r = -EBADMSG;
	item = r ? NULL : dump_next_item(d);
	if (!r && !item)
		r = -ENOMEM;
	if (!r)
		r = d->cmd == OFFLOAD_SEC_CMD_GET_DEVICE ? parse_device(tb, item)
							 : parse_session(tb, item);
	if (r)
		d->err = r;
	else
		d->n++;
	return NL_OK;
}

static int dump_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct dump *d = arg;

	d->err = e->error < 0 ? e->error : -EIO;
	return NL_STOP;
}

static int dump_once(struct dump *d, int64_t device_index)
{
	struct nl_sock *sk;
	struct nl_msg *msg;
	int family, r;

	d->n = 0;
	d->err = 0;
	r = family_open(&sk, &family);
	if (r)
		return r;
	msg = nlmsg_alloc();
	if (!msg) {
		r = -ENOMEM;
		goto out;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP,
			 d->cmd, OFFLOAD_SEC_GENL_VERSION) ||
	    (device_index >= 0 &&
	     nla_put_u32(msg, OFFLOAD_SEC_A_DEVICE_INDEX, (uint32_t)device_index) < 0)) {
		r = -EMSGSIZE;
		goto out;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, dump_valid, d);
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, dump_error, d);
	r = nl_send_auto(sk, msg);
	if (r >= 0)
		r = nl_recvmsgs_default(sk);
	r = d->err ? d->err : nl_errno(r);
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return r;
}

static int dump(struct dump *d, int64_t device_index, int tries, void **items,
		size_t *n)
{
	int r;

	do
		r = dump_once(d, device_index);
	while (r == -EINTR && --tries > 0);
	if (r) {
		free(d->items);
		return r == -EINTR ? -EAGAIN : r;
	}
	*items = d->items;
	*n = d->n;
	return 0;
}

int ofs_nl_dump_devices(struct ofs_nl_device **devs, size_t *n)
{
	struct dump d = { .cmd = OFFLOAD_SEC_CMD_GET_DEVICE, .size = sizeof(**devs) };

	return dump(&d, -1, OFS_NL_DUMP_TRIES, (void **)devs, n);
}

int ofs_nl_dump_sessions(int64_t device_index, struct ofs_nl_session **sessions,
			 size_t *n)
{
	struct dump d = { .cmd = OFFLOAD_SEC_CMD_GET_SESSION, .size = sizeof(**sessions) };

	return dump(&d, device_index, OFS_NL_DUMP_TRIES, (void **)sessions, n);
}

int ofs_nl_dump_sessions_once(int64_t device_index,
			      struct ofs_nl_session **sessions, size_t *n)
{
	struct dump d = { .cmd = OFFLOAD_SEC_CMD_GET_SESSION, .size = sizeof(**sessions) };
	int r = dump(&d, device_index, 1, (void **)sessions, n);

	return r == -EAGAIN ? -EINTR : r;
}

/* ---- events ---- */

struct ofs_nl_monitor {
	struct nl_sock *sk;
	ofs_nl_event_fn fn;
	void *arg;
	int delivered;
	bool stop;
};

static int parse_event(struct nl_msg *msg, struct ofs_nl_event *ev)
{
	struct nlattr *tb[OFFLOAD_SEC_A_MAX + 1];
	int r;

	memset(ev, 0, sizeof(*ev));
	r = parse_attrs(msg, tb, &ev->cmd);
	if (r)
		return r;
	switch (ev->cmd) {
	case OFFLOAD_SEC_CMD_DEVICE_ERROR:
		if (!tb[OFFLOAD_SEC_A_DEVICE_ERROR])
			return -EBADMSG;
		ev->error = nla_get_u32(tb[OFFLOAD_SEC_A_DEVICE_ERROR]);
		/* fall through */
	case OFFLOAD_SEC_CMD_DEVICE_ADDED:
	case OFFLOAD_SEC_CMD_DEVICE_REMOVED:
		return parse_device(tb, &ev->device);
	case OFFLOAD_SEC_CMD_SESSION_ENDED:
		if (!tb[OFFLOAD_SEC_A_SESSION_END_REASON])
			return -EBADMSG;
		ev->end_reason = nla_get_u32(tb[OFFLOAD_SEC_A_SESSION_END_REASON]);
		/* fall through */
	case OFFLOAD_SEC_CMD_SESSION_CREATED:
	case OFFLOAD_SEC_CMD_SESSION_STATE:
		return parse_session(tb, &ev->session);
	default:
		return -EOPNOTSUPP;	/* a later kernel's event: skipped */
	}
}

static int monitor_valid(struct nl_msg *msg, void *arg)
{
	struct ofs_nl_monitor *mon = arg;
	struct ofs_nl_event ev;

	if (mon->stop || parse_event(msg, &ev))
		return NL_SKIP;
	mon->delivered++;
	if (mon->fn(&ev, mon->arg)) {
		mon->stop = true;
		return NL_STOP;
	}
	return NL_OK;
}

int ofs_nl_monitor_open(struct ofs_nl_monitor **monp)
{
	struct ofs_nl_monitor *mon = calloc(1, sizeof(*mon));
	int family, grp, r;

	if (!mon)
		return -ENOMEM;
	r = family_open(&mon->sk, &family);
	if (r) {
		free(mon);
		return r;
	}
	grp = genl_ctrl_resolve_grp(mon->sk, OFFLOAD_SEC_GENL_NAME,
				    OFFLOAD_SEC_GENL_MCGRP_EVENTS);
	r = grp < 0 ? -ENOENT : nl_errno(nl_socket_add_membership(mon->sk, grp));
	if (!r)
		r = nl_errno(nl_socket_set_nonblocking(mon->sk));
	if (r) {
		ofs_nl_monitor_close(mon);
		return r;
	}
	nl_socket_disable_seq_check(mon->sk);
	nl_socket_modify_cb(mon->sk, NL_CB_VALID, NL_CB_CUSTOM, monitor_valid, mon);
	*monp = mon;
	return 0;
}

void ofs_nl_monitor_close(struct ofs_nl_monitor *mon)
{
	if (!mon)
		return;
	nl_socket_free(mon->sk);
	free(mon);
}

int ofs_nl_monitor_fd(const struct ofs_nl_monitor *mon)
{
	return nl_socket_get_fd(mon->sk);
}

int ofs_nl_monitor_read(struct ofs_nl_monitor *mon, int timeout_ms,
			ofs_nl_event_fn fn, void *arg)
{
	struct pollfd pfd = { .fd = nl_socket_get_fd(mon->sk), .events = POLLIN };
	int r;

	mon->fn = fn;
	mon->arg = arg;
	mon->delivered = 0;
	mon->stop = false;
	r = poll(&pfd, 1, timeout_ms);
	if (r < 0)
		return -errno;
	/* One datagram per call; take what is queued now. */
	while (r > 0 && !mon->stop) {
		r = nl_recvmsgs_default(mon->sk);
		if (r < 0)
			return r == -NLE_NOMEM ? -ENOBUFS : nl_errno(r);
		r = poll(&pfd, 1, 0);
		if (r < 0)
			return -errno;
	}
	return mon->delivered;
}

/* ---- names ---- */

const char *ofs_nl_session_state_str(uint32_t state)
{
	static const char *const names[] = {
		[OFFLOAD_SEC_SESSION_CREATED] = "created",
		[OFFLOAD_SEC_SESSION_MEASURED] = "measured",
		[OFFLOAD_SEC_SESSION_ATTESTED] = "attested",
		[OFFLOAD_SEC_SESSION_CONFIRMED] = "confirmed",
		[OFFLOAD_SEC_SESSION_LOADING] = "loading",
		[OFFLOAD_SEC_SESSION_DONE] = "done",
		[OFFLOAD_SEC_SESSION_FAILED] = "failed",
		[OFFLOAD_SEC_SESSION_LOST] = "lost",
	};

	return state < sizeof(names) / sizeof(names[0]) && names[state] ?
	       names[state] : "unknown";
}

const char *ofs_nl_event_str(uint8_t cmd)
{
	static const char *const names[] = {
		[OFFLOAD_SEC_CMD_DEVICE_ADDED] = "device-added",
		[OFFLOAD_SEC_CMD_DEVICE_REMOVED] = "device-removed",
		[OFFLOAD_SEC_CMD_DEVICE_ERROR] = "device-error",
		[OFFLOAD_SEC_CMD_SESSION_CREATED] = "session-created",
		[OFFLOAD_SEC_CMD_SESSION_STATE] = "session-state",
		[OFFLOAD_SEC_CMD_SESSION_ENDED] = "session-ended",
	};

	return cmd < sizeof(names) / sizeof(names[0]) && names[cmd] ?
	       names[cmd] : "unknown";
}

const char *ofs_nl_end_reason_str(uint32_t reason)
{
	switch (reason) {
	case OFFLOAD_SEC_END_CLOSED:
		return "closed";
	case OFFLOAD_SEC_END_DEVICE_REMOVED:
		return "device-removed";
	default:
		return "unknown";
	}
}

const char *ofs_nl_device_error_str(uint32_t error)
{
	switch (error) {
	case OFFLOAD_SEC_ERR_TIMEOUT:
		return "timeout";
	case OFFLOAD_SEC_ERR_BAD_RESPONSE:
		return "bad-response";
	case OFFLOAD_SEC_ERR_DISABLED:
		return "disabled";
	default:
		return "unknown";
	}
}
