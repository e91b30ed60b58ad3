// SPDX-License-Identifier: MIT
/*
 * The Varlink wire format (ofs-varlink.h): NUL-framed JSON over a Unix
 * stream socket, fds with SCM_RIGHTS, peer credentials and replies.  The
 * strict call decoder is varlink-call.c, the blocking client
 * varlink-client.c.
 *
 * Which message do received fds belong to?  The kernel never merges the
 * data of a sendmsg() that carried fds with later data into one
 * recvmsg(): the read that returns the fds ends inside the first piece of
 * the message whose sendmsg() carried them.  So a batch of fds is tied to
 * the stream offset of the last byte of the read that returned it, and
 * handed over with the message that contains that byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ofs-varlink.h"

#define READ_SIZE	(64 * 1024)
#define IN_MAX		(OFS_VARLINK_MSG_MAX + READ_SIZE)
/* Replies a slow reader has not taken yet; past this the caller is told. */
#define OUT_MAX		(4 * OFS_VARLINK_MSG_MAX)
/* Received fds waiting for their message: one full message's worth, twice. */
#define RFDS_MAX	(2 * OFS_VARLINK_FDS_MAX)

struct out_msg {
	struct out_msg *next;
	char *data;
	size_t len, sent;
	int fds[OFS_VARLINK_FDS_MAX];
	size_t n_fds;
};

struct rfd {
	int fd;
	uint64_t pos;		/* stream offset of the byte it arrived with */
};

struct ofs_varlink {
	int fd;

	char *in;
	size_t in_start, in_len, in_scan, in_size;
	uint64_t in_base;	/* stream offset of in[0] */

	struct rfd rfds[RFDS_MAX];
	size_t n_rfds;

	struct out_msg *out_head, *out_tail;
	size_t out_bytes;

	bool have_cred;
	struct ucred cred;
	gid_t *groups;
	size_t n_groups;
};

/* ---- a connection ---- */

static int read_cred(struct ofs_varlink *v)
{
	socklen_t len = sizeof(v->cred);

	if (getsockopt(v->fd, SOL_SOCKET, SO_PEERCRED, &v->cred, &len) < 0)
		return -errno;
	v->have_cred = true;
	return 0;
}

/* SO_PEERGROUPS says ERANGE and the size it needs when the buffer is short. */
static int read_groups(struct ofs_varlink *v)
{
	socklen_t len = 16 * sizeof(gid_t);
	gid_t *g = NULL, *grown;

	for (;;) {
		grown = realloc(g, len ? len : sizeof(gid_t));
		if (!grown) {
			free(g);
			return -ENOMEM;
		}
		g = grown;
		if (getsockopt(v->fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0)
			break;
		if (errno != ERANGE) {
			free(g);
			return -errno;
		}
	}
	v->groups = g;
	v->n_groups = len / sizeof(gid_t);
	return 0;
}

static int wrap(int fd, struct ofs_varlink **out)
{
	struct ofs_varlink *v;
	int flags;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->fd = fd;
	*out = v;
	return 0;
}

int ofs_varlink_from_fd(int fd, struct ofs_varlink **out)
{
	if (fd < 0 || !out)
		return -EINVAL;
	return wrap(fd, out);
}

int ofs_varlink_connect(const char *path, struct ofs_varlink **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (!path || !out)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto close_fd;
	}
	r = wrap(fd, out);
	if (r)
		goto close_fd;
	return 0;

close_fd:
	close(fd);
	return r;
}

static void out_msg_free(struct out_msg *m)
{
	size_t i;

	for (i = 0; i < m->n_fds; i++)
		close(m->fds[i]);
	free(m->data);
	free(m);
}

void ofs_varlink_free(struct ofs_varlink *v)
{
	struct out_msg *m;
	size_t i;

	if (!v)
		return;
	while ((m = v->out_head)) {
		v->out_head = m->next;
		out_msg_free(m);
	}
	for (i = 0; i < v->n_rfds; i++)
		close(v->rfds[i].fd);
	if (v->fd >= 0)
		close(v->fd);
	free(v->groups);
	free(v->in);
	free(v);
}

int ofs_varlink_fd(const struct ofs_varlink *v)
{
	return v->fd;
}

int ofs_varlink_peer(const struct ofs_varlink *v, pid_t *pid, uid_t *uid,
		     gid_t *gid)
{
	struct ofs_varlink *mv = (struct ofs_varlink *)v;
	int r;

	if (!v->have_cred) {
		r = read_cred(mv);
		if (r)
			return r;
	}
	if (pid)
		*pid = v->cred.pid;
	if (uid)
		*uid = v->cred.uid;
	if (gid)
		*gid = v->cred.gid;
	return 0;
}

int ofs_varlink_peer_in_group(const struct ofs_varlink *v, gid_t gid)
{
	struct ofs_varlink *mv = (struct ofs_varlink *)v;
	uid_t uid;
	gid_t primary;
	size_t i;
	int r;

	r = ofs_varlink_peer(v, NULL, &uid, &primary);
	if (r)
		return r;
	if (uid == 0 || primary == gid)
		return 1;
	if (!v->groups) {
		r = read_groups(mv);
		if (r)
			return r;
	}
	for (i = 0; i < v->n_groups; i++)
		if (v->groups[i] == gid)
			return 1;
	return 0;
}

/* ---- writing ---- */

static int dup_fds(struct out_msg *m, const int *fds, size_t n_fds)
{
	size_t i;

	if (n_fds > OFS_VARLINK_FDS_MAX)
		return -EINVAL;
	for (i = 0; i < n_fds; i++) {
		m->fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
		if (m->fds[i] < 0)
			return -errno;
		m->n_fds++;
	}
	return 0;
}

int ofs_varlink_queue(struct ofs_varlink *v, json_object *msg,
		      const int *fds, size_t n_fds)
{
	struct out_msg *m;
	const char *text;
	size_t len;
	int r;

	text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return -ENOMEM;
	len = strlen(text) + 1;
	if (len > OFS_VARLINK_MSG_MAX)
		return -EMSGSIZE;
	if (v->out_bytes + len > OUT_MAX)
		return -ENOBUFS;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->data = malloc(len);
	if (!m->data) {
		r = -ENOMEM;
		goto free_msg;
	}
	memcpy(m->data, text, len);
	m->len = len;
	r = dup_fds(m, fds, n_fds);
	if (r)
		goto free_msg;
	if (v->out_tail)
		v->out_tail->next = m;
	else
		v->out_head = m;
	v->out_tail = m;
	v->out_bytes += len;
	return 0;

free_msg:
	out_msg_free(m);
	return r;
}

/* One sendmsg() of the head message; its fds go with its first byte. */
static ssize_t send_head(struct ofs_varlink *v, struct out_msg *m)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * OFS_VARLINK_FDS_MAX)];
	} control;
	struct iovec iov = {
		.iov_base = m->data + m->sent, .iov_len = m->len - m->sent,
	};
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (m->sent == 0 && m->n_fds) {
		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * m->n_fds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * m->n_fds);
		memcpy(CMSG_DATA(c), m->fds, sizeof(int) * m->n_fds);
	}
	return sendmsg(v->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

int ofs_varlink_flush(struct ofs_varlink *v)
{
	struct out_msg *m;
	ssize_t n;

	while ((m = v->out_head)) {
		n = send_head(v, m);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		m->sent += (size_t)n;
		if (m->sent < m->len)
			continue;
		v->out_head = m->next;
		if (!v->out_head)
			v->out_tail = NULL;
		v->out_bytes -= m->len;
		out_msg_free(m);
	}
	return 0;
}

bool ofs_varlink_pending(const struct ofs_varlink *v)
{
	return v->out_head != NULL;
}

/* ---- reading ---- */

/* How many fds an ancillary header carries: none unless SCM_RIGHTS. */
static size_t rights_count(const struct cmsghdr *c)
{
	if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return 0;
	return (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
}

/* CMSG_DATA need not be aligned for an int. */
static int rights_fd(const struct cmsghdr *c, size_t i)
{
	int fd;

	memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	return fd;
}

static void close_cmsg_fds(struct msghdr *mh)
{
	struct cmsghdr *c;
	size_t i;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		for (i = 0; i < rights_count(c); i++)
			close(rights_fd(c, i));
}

/* Files the fds of one read under the offset of its last byte. */
static int keep_cmsg_fds(struct ofs_varlink *v, struct msghdr *mh, uint64_t pos)
{
	struct cmsghdr *c;
	size_t i, n = 0;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		n += rights_count(c);
	if (v->n_rfds + n > RFDS_MAX) {
		close_cmsg_fds(mh);
		return -EBADMSG;
	}
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		for (i = 0; i < rights_count(c); i++)
			v->rfds[v->n_rfds++] = (struct rfd){
				.fd = rights_fd(c, i), .pos = pos,
			};
	return 0;
}

/* Moves what is not consumed to the front and makes room for one read. */
static int make_room(struct ofs_varlink *v)
{
	char *grown;
	size_t want;

	if (v->in_start) {
		memmove(v->in, v->in + v->in_start, v->in_len - v->in_start);
		v->in_base += v->in_start;
		v->in_len -= v->in_start;
		v->in_scan -= v->in_start;
		v->in_start = 0;
	}
	if (v->in_len >= IN_MAX)
		return -ENOBUFS;
	want = v->in_len + READ_SIZE;
	if (want > IN_MAX)
		want = IN_MAX;
	if (v->in_size < want) {
		grown = realloc(v->in, want);
		if (!grown)
			return -ENOMEM;
		v->in = grown;
		v->in_size = want;
	}
	return 0;
}

/* A message that has not ended within OFS_VARLINK_MSG_MAX bytes never will. */
static bool tail_too_long(struct ofs_varlink *v)
{
	if (v->in_scan < v->in_len &&
	    memchr(v->in + v->in_scan, '\0', v->in_len - v->in_scan))
		return false;
	v->in_scan = v->in_len;
	return v->in_len - v->in_start >= OFS_VARLINK_MSG_MAX;
}

int ofs_varlink_fill(struct ofs_varlink *v)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * OFS_VARLINK_FDS_MAX)];
	} control;
	struct iovec iov;
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	ssize_t n;
	int r;

	if (tail_too_long(v))
		return -EMSGSIZE;
	r = make_room(v);
	if (r)
		return r;
	iov.iov_base = v->in + v->in_len;
	iov.iov_len = v->in_size - v->in_len;
	do {
		n = recvmsg(v->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (mh.msg_flags & MSG_CTRUNC) {
		close_cmsg_fds(&mh);
		return -EBADMSG;
	}
	if (n == 0) {
		close_cmsg_fds(&mh);
		return -ECONNRESET;
	}
	r = keep_cmsg_fds(v, &mh, v->in_base + v->in_len + (size_t)n - 1);
	if (r)
		return r;
	v->in_len += (size_t)n;
	return tail_too_long(v) ? -EMSGSIZE : 0;
}

/* Hands over the fds that arrived within [.., end]; too many fail the message. */
static int take_fds(struct ofs_varlink *v, uint64_t end, int *fds,
		    size_t *n_fds)
{
	size_t n = 0, i;

	while (n < v->n_rfds && v->rfds[n].pos <= end)
		n++;
	if (n > OFS_VARLINK_FDS_MAX || (n && !fds)) {
		for (i = 0; i < n; i++)
			close(v->rfds[i].fd);
	} else {
		for (i = 0; i < n; i++)
			fds[i] = v->rfds[i].fd;
	}
	v->n_rfds -= n;
	memmove(v->rfds, v->rfds + n, v->n_rfds * sizeof(v->rfds[0]));
	if (n_fds)
		*n_fds = n > OFS_VARLINK_FDS_MAX || !fds ? 0 : n;
	return n > OFS_VARLINK_FDS_MAX ? -EBADMSG : 0;
}

int ofs_varlink_next(struct ofs_varlink *v, const char **text, size_t *len,
		     int *fds, size_t *n_fds)
{
	char *nul;
	size_t end;
	int r;

	if (n_fds)
		*n_fds = 0;
	nul = v->in_scan < v->in_len ?
		memchr(v->in + v->in_scan, '\0', v->in_len - v->in_scan) : NULL;
	if (!nul) {
		v->in_scan = v->in_len;
		return v->in_len - v->in_start >= OFS_VARLINK_MSG_MAX ? -EMSGSIZE : 0;
	}
	end = (size_t)(nul - v->in);
	if (end + 1 - v->in_start > OFS_VARLINK_MSG_MAX)
		return -EMSGSIZE;
	r = take_fds(v, v->in_base + end, fds, n_fds);
	*text = v->in + v->in_start;
	*len = end - v->in_start;
	v->in_start = end + 1;
	v->in_scan = v->in_start;
	return r ? r : 1;
}

/* ---- replies ---- */

static int queue_reply(struct ofs_varlink *v, const char *error,
		       json_object *params, bool continues)
{
	json_object *msg = json_object_new_object();
	int r = -ENOMEM;

	if (!msg)
		return -ENOMEM;
	if (error && json_object_object_add(msg, "error",
					    json_object_new_string(error)))
		goto put_msg;
	params = params ? json_object_get(params) : json_object_new_object();
	if (json_object_object_add(msg, "parameters", params))
		goto put_msg;
	if (continues && json_object_object_add(msg, "continues",
						json_object_new_boolean(1)))
		goto put_msg;
	r = ofs_varlink_queue(v, msg, NULL, 0);
put_msg:
	json_object_put(msg);
	return r;
}

int ofs_varlink_reply(struct ofs_varlink *v, json_object *params,
		      bool continues)
{
	return queue_reply(v, NULL, params, continues);
}

int ofs_varlink_error(struct ofs_varlink *v, const char *error,
		      json_object *params)
{
	return queue_reply(v, error, params, false);
}

int ofs_varlink_error_invalid_parameter(struct ofs_varlink *v,
					const char *parameter)
{
	json_object *params = json_object_new_object();
	int r;

	if (!params)
		return -ENOMEM;
	if (json_object_object_add(params, "parameter",
				   json_object_new_string(parameter))) {
		json_object_put(params);
		return -ENOMEM;
	}
	r = ofs_varlink_error(v, OFS_VARLINK_ERR_INVALID_PARAMETER, params);
	json_object_put(params);
	return r;
}
