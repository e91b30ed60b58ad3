/* SPDX-License-Identifier: MIT */
/*
 * libofs: the Varlink wire format (https://varlink.org) over a Unix stream
 * socket, for offload-secd's API (docs/daemon-api.md) and its clients.
 *
 * A message is one JSON object followed by a NUL byte.  A call is
 *
 *   {"method": "io.offload-sec.Launcher.Launch", "parameters": {...},
 *    "more": true, "oneway": false}
 *
 * and a reply {"parameters": {...}, "continues": true} or an error
 * {"error": "io.offload-sec.Launcher.NoSuchLaunch", "parameters": {...}}.
 * File descriptors travel with SCM_RIGHTS on the sendmsg() of the message
 * that names them (by index); a receiver takes them with the message.
 *
 * Connections are non-blocking on the server side (driven by the caller's
 * event loop) and blocking with a timeout on the client side.  Every
 * function returning int returns 0 (or what it documents) or a negative
 * errno.
 */
#ifndef OFS_VARLINK_H
#define OFS_VARLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

/* Longest message accepted, NUL included: larger is -EMSGSIZE. */
#define OFS_VARLINK_MSG_MAX	(1024 * 1024)
/* Most fds one message may carry; more are closed and fail the message. */
#define OFS_VARLINK_FDS_MAX	8

#define OFS_VARLINK_SOCKET	"/run/offload-sec/offload-secd.sock"
#define OFS_VARLINK_INTERFACE	"io.offload-sec.Launcher"

/* The errors of org.varlink.service every server may answer. */
#define OFS_VARLINK_ERR_INTERFACE_NOT_FOUND "org.varlink.service.InterfaceNotFound"
#define OFS_VARLINK_ERR_METHOD_NOT_FOUND "org.varlink.service.MethodNotFound"
#define OFS_VARLINK_ERR_INVALID_PARAMETER "org.varlink.service.InvalidParameter"
#define OFS_VARLINK_ERR_EXPECTED_MORE	"org.varlink.service.ExpectedMore"
#define OFS_VARLINK_ERR_PERMISSION_DENIED "org.varlink.service.PermissionDenied"

struct ofs_varlink;

/* ---- a decoded call (the server's view of a request) ---- */

struct ofs_varlink_call {
	char *method;			/* "interface.Method", validated */
	json_object *parameters;	/* an object, never NULL ({} if absent) */
	bool more, oneway;
};

/*
 * Strict decoding of one call message (without its NUL): strict JSON
 * (valid UTF-8, nested at most 16 deep, nothing but white space after
 * it; json-c keeps the last of duplicate members without saying so), an
 * object with
 * "method" (a string: an interface name as varlink.org defines it, a dot,
 * a method name [A-Z][A-Za-z0-9]*), optional "parameters" (an object),
 * "more", "oneway" (booleans) and nothing else; "upgrade" is refused.
 * -EBADMSG with why[] saying what was wrong (e.g. "parameters: expected
 * an object"), -ENOMEM.  Free with ofs_varlink_call_release().
 */
int ofs_varlink_parse_call(const char *text, size_t len,
			   struct ofs_varlink_call *call,
			   char *why, size_t why_size);
void ofs_varlink_call_release(struct ofs_varlink_call *call);

/* ---- a connection ---- */

/* Server side: wraps an accepted socket (made non-blocking, CLOEXEC). */
int ofs_varlink_from_fd(int fd, struct ofs_varlink **out);
/* Client side: connects (blocking) to path; -ENOENT, -ECONNREFUSED, ... */
int ofs_varlink_connect(const char *path, struct ofs_varlink **out);
/* Closes the socket and every fd received and not taken. */
void ofs_varlink_free(struct ofs_varlink *v);
int ofs_varlink_fd(const struct ofs_varlink *v);

/* SO_PEERCRED and SO_PEERGROUPS of the peer, as the kernel saw them. */
int ofs_varlink_peer(const struct ofs_varlink *v, pid_t *pid, uid_t *uid,
		     gid_t *gid);
/* 1 when the peer is root or has gid among its groups, else 0. */
int ofs_varlink_peer_in_group(const struct ofs_varlink *v, gid_t gid);

/*
 * Queues msg (serialised compactly, NUL added) and the fds (duplicated:
 * the caller keeps its own) to go with its first byte.  Nothing is
 * written until ofs_varlink_flush().  -EMSGSIZE, -ENOMEM, -ENOBUFS when
 * more than 4 MiB wait for a peer that does not read.
 */
int ofs_varlink_queue(struct ofs_varlink *v, json_object *msg,
		      const int *fds, size_t n_fds);
/*
 * Writes what is queued.  0 when all is written, -EAGAIN when the socket
 * is full (wait for EPOLLOUT), -EPIPE/-ECONNRESET when the peer left.
 */
int ofs_varlink_flush(struct ofs_varlink *v);
bool ofs_varlink_pending(const struct ofs_varlink *v);

/*
 * Reads whatever the socket has (non-blocking): 0 with more bytes
 * buffered, -EAGAIN when nothing was there, -ECONNRESET at EOF, -EMSGSIZE
 * when a message grows past OFS_VARLINK_MSG_MAX, -EBADMSG when one
 * sendmsg() carried more than OFS_VARLINK_FDS_MAX fds (MSG_CTRUNC; those
 * that arrived are closed), -ENOBUFS when whole messages were left unread
 * (call ofs_varlink_next() until it gives 0 first).  After -EMSGSIZE or
 * -EBADMSG the connection is unusable.  Received fds are kept, CLOEXEC,
 * in arrival order.
 */
int ofs_varlink_fill(struct ofs_varlink *v);
/*
 * The next whole message, if one is buffered: 1 and *text (NUL-ended,
 * valid until the next call on v) with *len, or 0 when none is complete.
 * The fds that arrived with it (with the sendmsg() that carried its first
 * byte) are handed over in fds[] (*n_fds of them, at most
 * OFS_VARLINK_FDS_MAX): the caller owns and closes them.  -EBADMSG when
 * more than that came with the message (they are closed, the message is
 * skipped), -EMSGSIZE as for ofs_varlink_fill().
 */
int ofs_varlink_next(struct ofs_varlink *v, const char **text, size_t *len,
		     int *fds, size_t *n_fds);

/* ---- replies (server) ---- */

/* {"parameters": params} (+ "continues": true); takes a reference of params. */
int ofs_varlink_reply(struct ofs_varlink *v, json_object *params,
		      bool continues);
/* {"error": error, "parameters": params}; params may be NULL. */
int ofs_varlink_error(struct ofs_varlink *v, const char *error,
		      json_object *params);
/* InvalidParameter naming the parameter (a dotted path for nested ones). */
int ofs_varlink_error_invalid_parameter(struct ofs_varlink *v,
					const char *parameter);

/* ---- calls (client, blocking) ---- */

#define OFS_VARLINK_CALL_MORE	(1u << 0)

/*
 * Sends a call (with fds), then waits up to timeout_ms (-1: forever) for
 * the next reply.  Returns 0 with *reply set (the caller puts it) and
 * *error NULL, or 0 with *error set to the error name (valid while
 * *reply lives; *reply is then its parameters); -ETIMEDOUT,
 * -ECONNRESET, -EBADMSG (the server sent something not Varlink, or a
 * reply with members other than parameters, error and continues).
 * *continues says whether more replies follow (only with
 * OFS_VARLINK_CALL_MORE): fetch them with ofs_varlink_wait_reply().
 */
int ofs_varlink_call(struct ofs_varlink *v, const char *method,
		     json_object *params, const int *fds, size_t n_fds,
		     unsigned int flags, int timeout_ms, json_object **reply,
		     const char **error, bool *continues);
int ofs_varlink_wait_reply(struct ofs_varlink *v, int timeout_ms,
			   json_object **reply, const char **error,
			   bool *continues);

#endif
