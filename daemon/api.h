/* SPDX-License-Identifier: MIT */
/*
 * offload-secd's API (docs/daemon-api.md), inside the daemon:
 *
 *   varlink.c      the socket and its connections (accept, read, write,
 *                  peer credentials, limits)
 *   api.c          the methods: dispatch, replies, launches followed
 *   api-reply.c    the JSON of replies and errors: launches, their results
 *                  and failures, GetInfo (pure: the tests call it directly)
 *   api-request.c  Launch's parameters checked into a secd_launch_request
 *                  (pure: the fuzzer links it alone)
 *
 * Everything here runs on the event loop thread.
 */
#ifndef SECD_API_H
#define SECD_API_H

#include <stdbool.h>
#include <stdint.h>

#include "ofs-varlink.h"
#include "secd.h"

#define SECD_API_CONNECTIONS_MAX	64
/* Progress replies of one launch: at most ten a second. */
#define SECD_API_PROGRESS_USEC		(100 * 1000)

#define SECD_API_SERVICE_INTERFACE	"org.varlink.service"

/* Our own error for a message that is not a Varlink call at all. */
#define SECD_API_ERR_INVALID_CALL	OFS_VARLINK_INTERFACE ".InvalidCall"

struct secd_conn {
	struct secd_api *api;
	struct ofs_varlink *v;
	sd_event_source *io;
	sd_event_source *reaper;	/* set once the connection must go */
	sd_event_source *resume;	/* reads again once a Launch has ended */
	sd_event_source *progress;	/* timer: progress of a Launch with "more" */
	uid_t uid;
	pid_t pid;
	bool allowed;			/* root or a member of the API group */
	bool oneway;			/* the call being dispatched wants no reply */

	/* The Launch this connection waits for: calls wait behind it. */
	struct secd_launch *launch;
	bool launch_more;
	bool launch_answered;		/* its end was replied */
	int launch_stage;
	uint64_t progress_usec;		/* CLOCK_MONOTONIC of the last one sent */

	struct secd_conn *prev, *next;
};

struct secd_api {
	sd_event *event;
	struct secd_manager *manager;
	const struct secd_config *config;
	int listen_fd;
	char *socket_path;		/* ours to unlink (not socket-activated) */
	sd_event_source *accept_source;
	bool have_group;
	gid_t group;
	struct secd_conn *conns;
	unsigned int n_conns;
	bool said_full;			/* the limit was logged; quiet until below */
};

/* ---- varlink.c ---- */

/* Writes what the connection has queued; a failure closes it (later). */
void secd_conn_kick(struct secd_conn *c);
/* Closes the connection from the loop's next iteration. */
void secd_conn_close_later(struct secd_conn *c);
/* Runs the calls that waited behind a Launch, from the loop's next iteration. */
void secd_conn_resume(struct secd_conn *c);

/* ---- api.c ---- */

/*
 * Runs one call.  Takes the fds that came with it (closes those it does
 * not keep).  Replies are queued on c; the caller kicks.  A negative
 * errno means the connection cannot go on (no memory for a reply).
 */
int secd_api_dispatch(struct secd_conn *c, const struct ofs_varlink_call *call,
		      int *fds, size_t n_fds);
/* The connection goes away: a Launch it waits for is cancelled. */
void secd_api_conn_gone(struct secd_conn *c);

/* The interface description served by GetInterfaceDescription. */
const char *secd_api_interface_description(void);

/* ---- api-reply.c ---- */

/*
 * The members of a Launch, Status or List entry, of a progress reply,
 * and the reply or error of an ended launch: pure functions of l.  NULL
 * only when out of memory.
 */
json_object *secd_api_launch_json(const struct secd_launch *l);
json_object *secd_api_progress_json(const struct secd_launch *l);
json_object *secd_api_result_json(const struct secd_launch *l);
/* The error name of an ended launch (NULL: it succeeded) and its parameters. */
const char *secd_api_launch_error(const struct secd_launch *l,
				  json_object **params);
/* The error of a launch secd_launch_start() refused with err, and its parameters. */
const char *secd_api_start_error(int err, unsigned int max_launches,
				 json_object **params);
/* GetInfo's reply. */
json_object *secd_api_info_json(void);
/* "EBADMSG" for -EBADMSG or EBADMSG; "E123" when the name is not known. */
const char *secd_api_errno_name(int err, char buf[16]);

/* ---- api-request.c ---- */

/*
 * Checks Launch's parameters against the fds of the message and fills
 * req (image, version, dest_fd = one of fds[], offsets, chunk_size).
 * -EINVAL with *parameter naming the bad or unknown parameter
 * (InvalidParameter); -EBADF with why[] saying what is wrong with the
 * destination (DestinationInvalid).
 */
int secd_api_launch_request(json_object *params, const int *fds, size_t n_fds,
			    struct secd_launch_request *req,
			    const char **parameter, char *why, size_t why_size);

#endif
