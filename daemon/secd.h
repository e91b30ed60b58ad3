/* SPDX-License-Identifier: MIT */
/*
 * offload-secd: the host daemon that drives every launch (docs/daemon.md).
 *
 * Files, one concept each:
 *
 *   main.c        arguments, configuration, the sd_event loop, READY/STATUS,
 *                 watchdog, signals
 *   config.c      offload-secd.conf (a table of keys over lib/conf.c)
 *   kmod.c        loads offload_sec.ko through libkmod when it is absent
 *   events.c      follows the driver's generic-netlink events: a card that
 *                 goes away fails the launches running on it
 *   varlink.c     the Unix-socket server: NUL-framed JSON messages, file
 *                 descriptors received with SCM_RIGHTS, peer credentials
 *   api.c         the methods of io.offload-sec.Launcher (docs/daemon-api.md)
 *                 mapped onto the manager
 *   api-request.c Launch's parameters checked (api.h: what varlink.c,
 *                 api.c and their tests share)
 *   api-reply.c   a launch as reply or error JSON: results, verdicts,
 *                 failures, progress
 *   manager.c     the table of launches: ids, limits, worker threads, their
 *                 completions delivered back on the event loop
 *   launch.c      one launch, start to finish, on its own worker thread
 *   ras-client.c  the RAS round trip over HTTP(S) with libcurl
 *   pipeline.c    the image data path: large io_uring reads overlapped with
 *                 hashing and AES-256-GCM sealing, records handed to a sink
 *   repo.c        the signed repository: fetch, verify, cache
 *   repo-cache.c  its component cache: downloads, resuming, locks
 *   log.c         journal logging with the launch's structured fields
 *
 * Threads: the event loop thread owns the manager, the Varlink connections
 * and the netlink monitor.  Each launch runs on a worker thread of its own
 * and touches only its struct secd_launch; it reports progress and its end
 * through secd_launch_post(), which wakes the loop.  Every function that
 * returns int returns 0 or a negative errno.
 */
#ifndef SECD_H
#define SECD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "ofs-manifest.h"
#include "ofs-report.h"
#include "ofs-types.h"

/* ---- config.c ---- */

#define SECD_CONFIG_PATH	"/etc/offload-sec/offload-secd.conf"

struct secd_config {
	/* [Device] */
	char *device;			/* Path=, default /dev/offload-sec */
	bool load_module;		/* LoadModule=, default yes */
	char *module;			/* Module=, default offload_sec */
	/* [Repository] */
	char *repo_url;			/* URL=: a directory, file:// or https:// */
	char *repo_key;			/* Key=: PEM public key(s) of the signer */
	char *repo_ca;			/* CA=: PEM bundle pinned for https (unset: system) */
	char *cache_dir;		/* Cache=, default /var/cache/offload-sec */
	char *state_dir;		/* State=, default /var/lib/offload-sec */
	unsigned int fetch_timeout;	/* FetchTimeoutSec=, default 300 */
	unsigned int fetch_retries;	/* FetchRetries=, default 4 */
	uint64_t cache_max;		/* CacheMax= bytes, default 16G; 0: unbounded */
	/* [RAS] */
	char *ras_url;			/* URL=: http(s)://host:port, required */
	char *ras_ca;			/* CA=: PEM bundle pinned for https */
	unsigned int ras_timeout;	/* TimeoutSec=, per request, default 10 */
	unsigned int ras_retries;	/* Retries=, default 3 */
	/* [API] */
	char *api_socket;		/* Socket=: when not socket-activated */
	char *api_group;		/* Group=, default offload-sec */
	/* [Launch] */
	unsigned int max_launches;	/* MaxConcurrent=, default 8 */
	unsigned int chunk_size;	/* ChunkSize=, default 1 MiB */
	unsigned int keep_finished;	/* KeepFinished=, default 64 kept for Status */

	/*
	 * References, when made by secd_config_new() or secd_config_dup():
	 * the manager holds the current one and each launch the one it
	 * started with.  0 for one made by secd_config_init().
	 */
	atomic_uint n_ref;
};

void secd_config_init(struct secd_config *c);
void secd_config_free(struct secd_config *c);
/* A configuration of defaults, with one reference; NULL without memory. */
struct secd_config *secd_config_new(void);
/* A copy of c with one reference of its own: -ENOMEM. */
int secd_config_dup(const struct secd_config *c, struct secd_config **out);
/* Any thread: workers drop theirs on their own. */
struct secd_config *secd_config_ref(struct secd_config *c);
void secd_config_unref(struct secd_config *c);
/* Errors are logged as "FILE:LINE: what" and the load fails (-EINVAL). */
int secd_config_load(struct secd_config *c, const char *path);
/* The same over text called name; each error to error() (NULL: logged). */
int secd_config_parse(struct secd_config *c, const char *name,
		      const char *text, size_t len,
		      void (*error)(const char *message, void *userdata),
		      void *userdata);
/* "Section.Key" or a bare "Key" that only one section has (--set). */
int secd_config_set(struct secd_config *c, const char *key, const char *value);
/* Required keys set; warns about plain http:// to a host not on loopback. */
int secd_config_check(const struct secd_config *c);
/* Repository.Key= and both CA= files readable and well formed (--check). */
int secd_config_check_files(const struct secd_config *c);

/* Where the configuration comes from: the file, then each --set. */
struct secd_config_source {
	const char *path;		/* NULL: SECD_CONFIG_PATH, if it exists */
	char *const *sets;		/* "Key=Value", in order */
	size_t n_sets;
	bool check_files;		/* secd_config_check_files() too */
};

/*
 * A new configuration from src, checked; every problem logged (file:line
 * for the file's).  On failure *out is left alone.
 */
int secd_config_read(const struct secd_config_source *src,
		     struct secd_config **out);
/* Calls changed() with "Section.Key" of each key whose value differs. */
void secd_config_diff(const struct secd_config *a, const struct secd_config *b,
		      void (*changed)(const char *key, void *userdata),
		      void *userdata);

/* ---- launches ---- */

/*
 * A launch's stages, in order.  The names (secd_stage_name()) appear in
 * the API's timings and errors, the journal and the CLI.
 */
enum secd_stage {
	SECD_STAGE_QUEUED,
	SECD_STAGE_FETCH,	/* repository: manifest + components into the cache */
	SECD_STAGE_VERIFY,	/* manifest signature, component digests */
	SECD_STAGE_MEASURE,	/* session created, components measured */
	SECD_STAGE_ATTEST,	/* RAS challenge, signed report */
	SECD_STAGE_APPRAISE,	/* RAS appraisal: confirmation or refusal */
	SECD_STAGE_CONFIRM,	/* confirmation to the card */
	SECD_STAGE_KEY,		/* launch key derived on the host */
	SECD_STAGE_LOAD,	/* encrypted stream decrypted into the destination */
	SECD_STAGE_FINISH,	/* receipt checked */
	SECD_STAGE_DONE,
	SECD_STAGE_MAX
};

const char *secd_stage_name(enum secd_stage s);

/* How a launch ended. */
enum secd_outcome {
	SECD_RUNNING,
	SECD_SUCCEEDED,
	SECD_FAILED,
	SECD_REFUSED,		/* the RAS said contraindicated */
	SECD_CANCELLED,		/* Cancel, the caller went away, or shutdown */
};

const char *secd_outcome_name(enum secd_outcome o);

#define SECD_LAUNCH_ID_LEN	16	/* hex of 8 random bytes */
/* Longest reason a launch (or one of its steps) gives, NUL included. */
#define SECD_REASON_MAX		2048

/* What a caller asks for (api.c fills it, the manager copies it). */
struct secd_launch_request {
	char image[OFS_MANIFEST_NAME_MAX + 1];
	char version[OFS_MANIFEST_NAME_MAX + 1];	/* "" = newest the manifest lists */
	int dest_fd;			/* guest memory; the launch owns it once started */
	uint64_t dest_offset;		/* page aligned */
	uint64_t dest_size;
	uint32_t chunk_size;		/* 0 = the configured one */
	uid_t uid;			/* the caller, for the journal and List */
	pid_t pid;
};

struct secd_component_result {
	bool present;
	uint8_t sha256[OFS_SHA256_LEN];
	uint64_t size;
	uint64_t offset;		/* in the destination, from dest_offset */
};

/*
 * The RAS's answer, kept as the JSON text it sent (docs/ras-api.md §3):
 * api.c passes it on to the caller unchanged, parsed, so that nothing the
 * RAS explained is lost.
 */
struct secd_launch_result {
	char version[OFS_MANIFEST_NAME_MAX + 1];	/* the version launched */
	char device[32];
	uint8_t session_id[OFS_SESSION_ID_LEN];
	struct secd_component_result comp[OFS_MAX_COMPONENTS];
	uint8_t boot_measurement[OFS_SHA256_LEN];
	char *ras_result_json;		/* malloc'd; NULL before APPRAISE */
	uint8_t receipt[OFS_SHA256_LEN];
	/* The evidence of this launch, for the caller to keep. */
	uint8_t *report, *confirmation, *chain;	/* malloc'd */
	size_t report_len, confirmation_len;
	size_t deviceid_len, alias_len;	/* chain = DeviceID DER || Alias DER */
	/* Duration of each stage, microseconds (0 for stages not reached). */
	uint64_t stage_usec[SECD_STAGE_MAX];
};

struct secd_launch {
	char id[SECD_LAUNCH_ID_LEN + 1];
	struct secd_launch_request req;
	uint64_t started_usec;		/* CLOCK_REALTIME */
	uint64_t ended_usec;

	/* Written by the worker, read by the loop (atomics: no lock). */
	_Atomic int stage;		/* enum secd_stage */
	_Atomic uint64_t progress_done;	/* bytes of the current stage */
	_Atomic uint64_t progress_total;
	atomic_bool cancel;		/* set by the loop; the worker stops at
					 * the next chunk or HTTP poll */

	/* Valid once the worker has ended (outcome != SECD_RUNNING). */
	enum secd_outcome outcome;
	int error;			/* negative errno */
	enum secd_stage failed_stage;
	uint32_t device_status;		/* enum offload_sec_device_status */
	/*
	 * One sentence, for people: room for the RAS naming every failed
	 * check; cut longer ones at a word, ending in "…".
	 */
	char reason[SECD_REASON_MAX];
	struct secd_launch_result result;

	/* Manager bookkeeping. */
	struct secd_manager *manager;
	/*
	 * The configuration current when the launch started, a reference
	 * the launch holds until it has ended: a reload never changes it
	 * halfway.  NULL once dropped.
	 */
	struct secd_config *config;
	pthread_t thread;
	void (*on_update)(struct secd_launch *l, bool ended, void *userdata);
	void *userdata;
	struct secd_launch *next;
};

/* ---- manager.c ---- */

struct secd_manager;

/* The manager keeps a copy of config (secd_config_dup()). */
int secd_manager_new(sd_event *event, const struct secd_config *config,
		     struct secd_manager **out);
/* The configuration new launches get (loop thread). */
struct secd_config *secd_manager_config(const struct secd_manager *m);
/*
 * Launches started from now on get config (the manager takes a
 * reference); running ones keep theirs.  Launch.MaxConcurrent and
 * Launch.KeepFinished apply at once, to the next start and trim.
 */
void secd_manager_set_config(struct secd_manager *m, struct secd_config *config);
/* Cancels every running launch and waits for its worker. */
void secd_manager_free(struct secd_manager *m);

/*
 * Starts a launch.  On success the launch owns req->dest_fd; on failure
 * the caller still does.  on_update runs on the loop thread whenever the
 * stage changes and once more with ended = true; it may be NULL.
 * -EBUSY at MaxConcurrent running launches.
 */
int secd_launch_start(struct secd_manager *m,
		      const struct secd_launch_request *req,
		      void (*on_update)(struct secd_launch *, bool, void *),
		      void *userdata, struct secd_launch **out);
/* Asks a running launch to stop; -EALREADY once it has ended. */
int secd_launch_cancel(struct secd_launch *l);
/* Forgets the callback (the caller went away); the launch runs on. */
void secd_launch_detach(struct secd_launch *l);
struct secd_launch *secd_launch_find(struct secd_manager *m, const char *id);
/* Running launches first, then finished ones, newest first. */
struct secd_launch *secd_launch_first(struct secd_manager *m);
struct secd_launch *secd_launch_next(struct secd_launch *l);
unsigned int secd_manager_running(const struct secd_manager *m);
/* Fails every running launch on that card (events.c, on removal). */
void secd_manager_device_gone(struct secd_manager *m, const char *device);

/* Worker side: wakes the loop to report a stage change or the end. */
void secd_launch_post(struct secd_launch *l);
/*
 * Worker side: closes the current stage's clock into
 * result.stage_usec[], starts the next, resets the progress counters and
 * posts.  Returns -ECANCELED when the launch was asked to stop.
 */
int secd_launch_set_stage(struct secd_launch *l, enum secd_stage s);
/* Worker side: fails the launch with a sentence for people; returns err. */
int secd_launch_fail(struct secd_launch *l, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * s holds the first size - 1 bytes of a text len bytes long, as snprintf
 * leaves it: when that is not all of it, ends it at the last word that
 * fits, followed by "…", rather than in the middle of one.
 */
void secd_reason_ellipsize(char *s, size_t size, size_t len);
/*
 * Worker side, last: closes the current stage's clock, stamps ended_usec
 * and publishes the outcome (a release store: what the worker wrote
 * before is visible to whoever reads an outcome other than RUNNING).
 */
void secd_launch_end(struct secd_launch *l, enum secd_outcome outcome);

/* ---- launch.c: the worker's body ---- */

/*
 * Runs the whole launch with c, the launch's own l->config, for its whole
 * life; sets outcome, error, reason and result.
 */
void secd_launch_run(struct secd_launch *l, const struct secd_config *c);

/* ---- repo.c: the signed repository ---- */

/* One image, verified and ready to read. */
struct secd_image {
	struct ofs_manifest_image img;	/* name, version, digests, sizes */
	uint64_t manifest_serial;
	/*
	 * Read-only fds of the verified component files in the cache (or in
	 * a local repository directory), -1 when the component is absent.
	 * Their contents were hashed and matched the signed manifest after
	 * they were written; the pipeline hashes them again as it streams.
	 */
	int fd[OFS_MAX_COMPONENTS];
};

/*
 * Stages FETCH and VERIFY of a launch: fetches the manifest and its
 * signature (https:// or a directory), verifies the signature against
 * Repository.Key and the serial against the highest seen (rollback),
 * picks image/version (newest version when version is ""), fetches the
 * image's missing components into the cache (resuming partial files) and
 * checks their sizes and SHA-256.  Progress in bytes goes to l.  Failures
 * call secd_launch_fail() with the reason: -ENOENT (no such image or
 * version, and nothing else), -ENODATA (a file the repository should
 * have is missing), -ENOKEY (Repository.Key= unreadable),
 * -EKEYREJECTED (signature), -ESTALE (rollback), -EBADMSG
 * (digest or size), -ETIMEDOUT / -EHOSTUNREACH / -ECONNREFUSED (network,
 * after the retries), -ECANCELED.
 */
int secd_repo_open_image(struct secd_launch *l, const struct secd_config *c,
			 struct secd_image *out);
void secd_image_close(struct secd_image *img);

/*
 * The body of secd_repo_open_image() without a launch (tests, tools):
 * Repository.* from config; progress counters and the stage hook may be
 * NULL; a stage hook that fails (-ECANCELED) stops the fetch.  On failure
 * reason holds the sentence.
 */
struct secd_repo_fetch {
	const struct secd_config *config;
	const char *image;
	const char *version;		/* "" or NULL: the newest */
	atomic_bool *cancel;
	_Atomic uint64_t *progress_done, *progress_total;
	int (*set_stage)(void *userdata, enum secd_stage s);
	void *userdata;
	char reason[SECD_REASON_MAX];
};

int secd_repo_fetch_image(struct secd_repo_fetch *f, struct secd_image *out);

/* ---- ras-client.c: the RAS round trip (docs/ras-api.md) ---- */

/* POST /v1/challenge: a fresh nonce.  Retries transport errors and 5xx. */
int secd_ras_challenge(struct secd_launch *l, const struct secd_config *c,
		       uint8_t nonce[OFS_NONCE_LEN]);
/*
 * POST /v1/attest with the nonce, the report and the chain.  On 200:
 * *confirmation (malloc'd COSE_Sign1 bytes) and *result_json (the whole
 * answer).  On 403: -EACCES with *result_json set (the refusal, naming
 * every failed check).  Other answers and transport failures: -EPROTO,
 * -ETIMEDOUT, ... with the launch's reason set.  Only failures that
 * cannot have used the nonce (no connection) are retried.
 */
int secd_ras_attest(struct secd_launch *l, const struct secd_config *c,
		    const uint8_t nonce[OFS_NONCE_LEN],
		    const uint8_t *report, size_t report_len,
		    const uint8_t *deviceid, size_t deviceid_len,
		    const uint8_t *alias, size_t alias_len,
		    uint8_t **confirmation, size_t *confirmation_len,
		    char **result_json);

/*
 * The same two calls without a launch (tests, tools): RAS.* from config,
 * a sentence in reason on failure (also for a 403).  The launch versions
 * above are these with the launch's cancel flag and secd_launch_fail().
 */
struct secd_ras_call {
	const struct secd_config *config;
	atomic_bool *cancel;		/* may be NULL */
	char reason[SECD_REASON_MAX];
};

/* What POST /v1/attest sends, and what secd_ras_call_attest() sets. */
struct secd_ras_attestation {
	const uint8_t *nonce;		/* OFS_NONCE_LEN bytes */
	const uint8_t *report, *deviceid, *alias;
	size_t report_len, deviceid_len, alias_len;
	uint8_t *confirmation;		/* malloc'd; NULL unless 200 */
	size_t confirmation_len;
	char *result_json;		/* malloc'd: the whole 200 or 403 answer */
};

int secd_ras_call_challenge(struct secd_ras_call *call,
			    uint8_t nonce[OFS_NONCE_LEN]);
int secd_ras_call_attest(struct secd_ras_call *call, struct secd_ras_attestation *a);

/* ---- varlink.c + api.c: the API socket ---- */

struct secd_api;

/*
 * Serves io.offload-sec.Launcher (daemon/io.offload-sec.Launcher.varlink)
 * and org.varlink.service on the socket systemd passed
 * (sd_listen_fds()), else on config->api_socket, which it creates (mode
 * 0660, group api_group).  Callers that are not root and not in
 * api_group are refused with PermissionDenied.
 */
int secd_api_start(sd_event *event, struct secd_manager *m,
		   const struct secd_config *config, struct secd_api **out);
void secd_api_free(struct secd_api *api);
unsigned int secd_api_connections(const struct secd_api *api);

/* ---- kmod.c, events.c ---- */

/*
 * Loads config->module through libkmod unless the device node exists,
 * then waits up to 5 s for the node.  -ENODEV (LoadModule=no, or the
 * module is in but no card is bound) and -ETIMEDOUT (no node appeared)
 * mean "no card yet"; other errors mean the module cannot be loaded.
 * Every failure is logged with its reason.
 */
int secd_kmod_ensure(const struct secd_config *config);

struct secd_events;
/*
 * Follows the driver's netlink events on the loop.  When the family is
 * absent (module not loaded, or unloaded later) it logs so and retries
 * every few seconds; an error is returned only for other failures.
 */
int secd_events_start(sd_event *event, struct secd_manager *m,
		      struct secd_events **out);
void secd_events_free(struct secd_events *ev);

/* ---- log.c ---- */

/*
 * sd_journal_send() with MESSAGE plus, when l is given, LAUNCH_ID=,
 * IMAGE=, IMAGE_VERSION= and (once known) VERDICT= on every line; also to
 * stderr when stderr is not the journal.
 */
void secd_log(const struct secd_launch *l, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
