/* SPDX-License-Identifier: MIT */
#ifndef OFS_CLI_H
#define OFS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern const char *prog;

/* Opens the card's node, or says why not and returns -1. */
int cli_open_device(const char *path);

int cmd_info(int argc, char **argv);
int cmd_selftest(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_sessions(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_repo(int argc, char **argv);
int cmd_launch(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_measure(int argc, char **argv);

/* Netlink: says what failed and returns the exit status 1. */
int cli_netlink_error(const char *what, int err);

struct json_object;
struct ofs_nl_device;
struct ofs_nl_session;
struct json_object *cli_device_json(const struct ofs_nl_device *d);
struct json_object *cli_session_json(const struct ofs_nl_session *s);
/* Prints o on one line (or pretty) and drops it. */
void cli_print_json(struct json_object *o, int pretty);

/* report.c, shared with verify.c (offline appraisal). */
struct ofs_appraisal;
typedef struct x509_st X509;
int cli_load_roots(const char *path, X509 ***out, size_t *n);
void cli_release_certs(X509 **certs, size_t n);
int cli_load_cert(const char *dir, const char *name, X509 **out);
/* Prints each check (text or JSON); 1 when one failed, else 0. */
int cli_print_appraisal(const char *what, const struct ofs_appraisal *a, int json);

/* repo.c, shared with measure.c and launch.c. */
struct ofs_manifest;
/*
 * dir's manifest: with pubkey (a PEM file of one P-384 public key) its
 * signature and every file verified and its serial at least min_serial,
 * without one only parsed.  NULL when it cannot be had (said why).
 */
struct ofs_manifest *cli_repo_open(const char *dir, const char *pubkey,
				   uint64_t min_serial);
/* Either may be NULL; -EINVAL (said why) unless each given is a valid name. */
int cli_check_image_name(const char *name, const char *version);

/* daemon.c: the offload-secd API (io.offload-sec.Launcher) over Varlink. */
struct ofs_varlink;
/* Connects to socket (NULL: the default), or says why not. */
int cli_daemon_connect(const char *socket, struct ofs_varlink **out);
/*
 * One call and its one reply, within a few seconds.  Returns 0 with
 * *reply (put it), 1 when the daemon answered an error (already printed,
 * or in *reply as {"error", "parameters"} when json), or a negative errno
 * (printed).
 */
int cli_daemon_call(struct ofs_varlink *v, const char *method,
		    struct json_object *params, int json,
		    struct json_object **reply);
/*
 * The options of the one-shot subcommands (status, cancel): --socket,
 * --json and --help.  -1 to go on with optind at the first argument, else
 * the exit status.
 */
int cli_daemon_options(int argc, char **argv, void (*usage)(FILE *out),
		       const char **socket, int *json);
/*
 * One call, with {"id": id} (none when id is NULL), on a connection of its
 * own.  Returns the exit status: 0 with *reply for the caller to show and
 * put (with json it is printed here instead, and *reply stays NULL), or 1
 * when the call failed or the daemon answered an error (said, or printed
 * as JSON).
 */
int cli_daemon_call_once(const char *socket, const char *method, const char *id,
			 int json, struct json_object **reply);
/* The daemon's error, one line for people (Refused: each failed check). */
void cli_daemon_print_error(const char *error, struct json_object *params);
/* A member of o, NULL (or fallback) when absent or of another type. */
const char *cli_json_str(struct json_object *o, const char *key);
int64_t cli_json_int(struct json_object *o, const char *key, int64_t fallback);
/* {"error": error, "parameters": params}, taking a reference of params. */
struct json_object *cli_daemon_error_json(const char *error,
					  struct json_object *params);

/* launch.c, launch-result.c, launch-exec.c */
struct cli_launch_opts {
	const char *socket, *image, *version, *memory, *out_dir;
	uint64_t offset, size, chunk_size;
	bool memfd, json, quiet;
	char **exec_argv;		/* after --exec, NULL-ended */
};
/* The final reply of a launch, for people; offsets from the file's start. */
void cli_launch_print(struct json_object *reply, uint64_t dest_offset);
/* DIR (made 0755) gets the evidence and launch.json, each 0644. */
int cli_launch_save(const char *dir, struct json_object *reply);
/* Runs o->exec_argv on the verified memory dest; returns only on failure. */
int cli_launch_exec(const struct cli_launch_opts *o, struct json_object *reply,
		    int dest);

/* progress.c: the progress bar on a terminal's stderr, and formats. */
struct cli_progress {
	bool enabled, drawn;
	char label[16];
	uint64_t start_usec, last_draw_usec;
};
uint64_t cli_now_usec(void);		/* CLOCK_MONOTONIC */
void cli_format_bytes(uint64_t bytes, char *buf, size_t size);
void cli_format_usec(uint64_t usec, char *buf, size_t size);
void cli_format_age(uint64_t usec, char *buf, size_t size);
void cli_format_rate(uint64_t bytes, uint64_t usec, char *buf, size_t size);
/* Draws only when wanted and stderr is a terminal that is not dumb. */
void cli_progress_init(struct cli_progress *p, bool wanted);
void cli_progress_update(struct cli_progress *p, const char *label,
			 uint64_t done, uint64_t total);
void cli_progress_clear(struct cli_progress *p);

#endif
