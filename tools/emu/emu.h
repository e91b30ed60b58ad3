/* SPDX-License-Identifier: MIT */
/*
 * offload-sec-emu: the device model of the offload card's security
 * component, served to QEMU's ivshmem-doorbell device.  Internal interfaces;
 * every function returning int returns 0 (or a count) or a negative errno
 * unless it says otherwise.
 *
 *   log.c        messages on stderr, prefixed with the program name
 *   shm.c        the shared memory (BAR2): memfd, header, mailbox
 *   guest-mem.c  guest RAM and every bus address -> pointer translation
 *   mbox.c       one mailbox command: copy, validate, dispatch, respond
 *   info.c       OFS_HW_OP_GET_INFO
 *   selftest.c   OFS_HW_OP_DMA_SELFTEST
 *   ivshmem.c    the ivshmem server protocol and eventfd helpers
 *   server.c     the sd_event loop tying it all together
 *   provision.c  `offload-sec-emu provision`: UDS, manufacturer CA,
 *                DeviceID certificate, RAS trust store
 *   boot.c       measured boot of the model's firmware stages, CDI, Alias
 *                key and certificate (docs/device-identity.md), boot counter
 *   ephemeral.c  an in-memory identity for a model started without --state
 *   device.c     the device state that outlives commands; the clock
 *   session.c    the launch-session table, state machine and teardown;
 *                SESSION_CREATE, ABORT (internals in session.h)
 *   measure.c    MEASURE
 *   attest.c     ATTEST, GET_CHAIN
 *   confirm.c    CONFIRM and the launch-key derivation
 *   load.c       SET_DEST, LOAD
 *   finish.c     FINISH and the launch receipt
 */
#ifndef OFFLOAD_SEC_EMU_H
#define OFFLOAD_SEC_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <offload_sec/hw.h>
#include <ofs-identity.h>

/* The device's identity, reported by OFS_HW_OP_GET_INFO. */
#define EMU_FW_MAJOR			0
#define EMU_FW_MINOR			1
#define EMU_FW_PATCH			0
#define EMU_MAX_SESSIONS		64
#define EMU_CAPABILITIES		(OFFLOAD_SEC_CAP_DMA_SELFTEST | \
					 OFFLOAD_SEC_CAP_LAUNCH_SESSIONS)
#if EMU_MAX_SESSIONS != OFS_HW_MAX_SESSIONS
#error "the session table and GET_INFO disagree"
#endif
#define EMU_DEFAULT_SERIAL		"EMU-0001"

/* ivshmem peer ids: the model is peer 0 and serves one guest at a time. */
#define EMU_DEVICE_PEER			0
#define EMU_CLIENT_PEER			1

#define EMU_DEFAULT_SHM_SIZE		(1U << 20)
/* shm_size is a __le32 and a power of two. */
#define EMU_MAX_SHM_SIZE		(1U << 31)
/* The mailbox gets its own page, away from the read-only header. */
#define EMU_MBOX_OFFSET			4096

/*
 * Guest RAM as QEMU's pc machine lays it out (pc_init1(), gigabyte
 * aligned): all of it from bus address 0 when it is under 3.5 GiB, else
 * its first 3 GiB there and the rest from 4 GiB, above the PCI hole.  The
 * RAM file holds the two in that order.  (q35 splits differently, from
 * 2.75 GiB: the model serves pc.)
 */
#define EMU_GUEST_RAM_MAX		(16ULL << 30)
#define EMU_PC_MAX_RAM_BELOW_4G		0xe0000000ULL
#define EMU_PC_SPLIT_RAM_BELOW_4G	0xc0000000ULL
#define EMU_RAM_ABOVE_4G_START		(1ULL << 32)
/* Legacy VGA/ROM window: never RAM the device may touch. */
#define EMU_LEGACY_HOLE_START		0xa0000ULL
#define EMU_LEGACY_HOLE_END		0x100000ULL

#define EMU_ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* log.c */
void emu_log_set_verbose(bool verbose);
void emu_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Always printed, like errors, but informational. */
void emu_log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void emu_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs with %m meaning strerror(-err) and returns err. */
int emu_log_errno(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* guest-mem.c */
struct emu_guest_mem {
	uint8_t *base;
	uint64_t size;
	uint64_t low_size;	/* from bus address 0; the rest from 4 GiB */
	bool mapped;	/* base came from mmap() and must be unmapped */
};

void emu_guest_mem_init_buffer(struct emu_guest_mem *gm, void *buf,
			       uint64_t size);
/* -ENOENT: no such file yet; -ENODATA: empty file (QEMU has not sized it). */
int emu_guest_mem_map_file(struct emu_guest_mem *gm, const char *path);
void emu_guest_mem_release(struct emu_guest_mem *gm);
/*
 * -EFAULT unless [addr, addr + len) is RAM the device may touch, all below
 * the PCI hole or all above it; len > 0.  -EFBIG from map_file over
 * EMU_GUEST_RAM_MAX.
 */
int emu_guest_mem_range(const struct emu_guest_mem *gm, uint64_t addr,
			uint64_t len, uint8_t **ptr);

/* Called for each segment of a scatter-gather list, in order. */
typedef int (*emu_sg_fn)(void *opaque, uint8_t *data, size_t len);

/*
 * Reads the list's descriptors once, validates all of them, then calls fn
 * for each segment: either no segment is touched or all of them are.
 * -E2BIG: too many entries; -EFAULT: an address the device may not touch;
 * -EINVAL: a malformed entry or lengths that do not add up; or fn's error.
 */
int emu_guest_mem_walk_sg(const struct emu_guest_mem *gm,
			  const struct ofs_hw_sg_list *list,
			  emu_sg_fn fn, void *opaque);

struct ofs_iov;

/*
 * The list (at most max_nents entries), validated as by
 * emu_guest_mem_walk_sg(), as pointers into guest RAM, entries that are
 * adjacent in RAM merged: *iov is malloc'ed (NULL for an empty list) and
 * *n its length.  Same errnos.
 */
int emu_guest_mem_iov(const struct emu_guest_mem *gm,
		      const struct ofs_hw_sg_list *list, uint32_t max_nents,
		      struct ofs_iov **iov, size_t *n);

/* The device status for a guest-memory errno: BAD_DMA, BAD_LENGTH, ... */
uint32_t emu_dma_status(int err);

/* device.c: what outlives one command */
typedef uint64_t (*emu_clock_fn)(void *ctx);

struct emu_identity;
struct emu_sessions;

/*
 * Handlers get the device const: what they may change (the session table)
 * is behind a pointer, the rest is fixed for the device's life.
 */
struct emu_device {
	const char *serial;
	const struct emu_guest_mem *mem;	/* NULL: guest RAM unavailable */
	const struct emu_identity *id;	/* NULL: no session commands */
	struct emu_sessions *sessions;	/* NULL: no session commands */
	emu_clock_fn clock;		/* seconds since the epoch */
	void *clock_ctx;
};

/* Sessions, with the CLOCK_REALTIME clock; id may be NULL. */
int emu_device_init(struct emu_device *dev, const char *serial,
		    const struct emu_identity *id);
/* Aborts every session (scrubbing, if mem is set) and frees the table. */
void emu_device_release(struct emu_device *dev);
uint64_t emu_clock_realtime(void *ctx);
uint64_t emu_device_now(const struct emu_device *dev);

/* Serves the request in mbox and writes the response; returns its status. */
uint32_t emu_mbox_process(struct ofs_hw_mbox *mbox,
			  const struct emu_device *dev);
void emu_mbox_reset(struct ofs_hw_mbox *mbox);

/* A handler returns an enum offload_sec_device_status. */
uint32_t emu_info_get(const struct emu_device *dev, const void *in,
		      void *out, uint32_t *out_len);
bool emu_serial_valid(const char *serial);
uint32_t emu_selftest_run(const struct emu_device *dev, const void *in,
			  void *out, uint32_t *out_len);

/* The launch-session commands (hw.h, "Launch sessions"). */
uint32_t emu_session_create(const struct emu_device *dev, const void *in,
			    void *out, uint32_t *out_len);
uint32_t emu_session_measure(const struct emu_device *dev, const void *in,
			     void *out, uint32_t *out_len);
uint32_t emu_session_attest(const struct emu_device *dev, const void *in,
			    void *out, uint32_t *out_len);
uint32_t emu_get_chain(const struct emu_device *dev, const void *in,
		       void *out, uint32_t *out_len);
uint32_t emu_session_confirm(const struct emu_device *dev, const void *in,
			     void *out, uint32_t *out_len);
uint32_t emu_session_set_dest(const struct emu_device *dev, const void *in,
			      void *out, uint32_t *out_len);
uint32_t emu_session_load(const struct emu_device *dev, const void *in,
			  void *out, uint32_t *out_len);
uint32_t emu_session_finish(const struct emu_device *dev, const void *in,
			    void *out, uint32_t *out_len);
uint32_t emu_session_abort(const struct emu_device *dev, const void *in,
			   void *out, uint32_t *out_len);

/* session.c: the table as a whole */
int emu_sessions_new(struct emu_sessions **out);
/* The guest went away: every session ends as by ABORT. */
void emu_sessions_abort_all(const struct emu_device *dev);
void emu_sessions_free(struct emu_sessions *ss);
unsigned int emu_sessions_open(const struct emu_device *dev);
/*
 * For tests: the non-zero bytes of key material held in every slot, open
 * or not, counting each live ECDH key or stream decryptor as one.  0 once
 * every session has ended.
 */
size_t emu_session_key_bytes_live(const struct emu_device *dev);

/* shm.c */
struct emu_shm {
	int fd;
	uint8_t *base;
	uint32_t size;
};

int emu_shm_create(struct emu_shm *shm, uint32_t size);
void emu_shm_destroy(struct emu_shm *shm);
struct ofs_hw_mbox *emu_shm_mbox(const struct emu_shm *shm);
bool emu_shm_size_valid(uint64_t size);

/* ivshmem.c */
int emu_ivshmem_listen(const char *path);
int emu_ivshmem_send(int sock, int64_t value, int fd);
int emu_ivshmem_handshake(int sock, int shm_fd,
			  const int device_fds[OFS_HW_NUM_VECTORS],
			  const int client_fds[OFS_HW_NUM_VECTORS]);
int emu_eventfds_open(int fds[OFS_HW_NUM_VECTORS]);
void emu_eventfds_close(int fds[OFS_HW_NUM_VECTORS]);
int emu_eventfd_signal(int fd);
/* Returns the counter (0 if nothing was pending) or a negative errno. */
int64_t emu_eventfd_drain(int fd);

/* provision.c: the files of a provisioned device's state directory. */
#define EMU_STATE_UDS		"uds.bin"		/* secret, 0600 */
#define EMU_STATE_CA_KEY	"manufacturer-ca.key"	/* secret, 0600 */
#define EMU_STATE_CA_CERT	"manufacturer-ca.pem"
#define EMU_STATE_DEVICEID	"deviceid.pem"
#define EMU_STATE_TRUST		"ras-trust.pem"
#define EMU_STATE_BOOT_COUNT	"boot-count"		/* decimal, rewritten */
#define EMU_MAX_RAS_KEY_FILES	16

struct emu_provision_config {
	const char *dir;
	const char *ca_key_path;	/* both NULL: create a manufacturer CA */
	const char *ca_cert_path;
	const char *ras_key_paths[EMU_MAX_RAS_KEY_FILES];
	size_t n_ras_key_paths;
	bool force;			/* replace an existing provisioning */
};

/* -EEXIST: already provisioned and not forced. */
int emu_provision(const struct emu_provision_config *cfg);
/* The `provision` subcommand; argv[0] is "provision".  Exit status. */
int emu_provision_main(int argc, char **argv);
/*
 * Opens name in dir for reading, refusing symlinks, files not owned by us,
 * files others may write and, for secrets, files others may read (-EPERM,
 * logged with the fix).
 */
int emu_state_open(const char *dir, const char *name, bool secret);

/* boot.c: the model's firmware, measured at start. */
enum emu_stage {
	EMU_STAGE_ROM,		/* immutable boot ROM */
	EMU_STAGE_FMC,		/* first mutable code */
	EMU_STAGE_RUNTIME,	/* the runtime serving the mailbox */
	EMU_NUM_STAGES
};

struct emu_boot_config {
	const char *state_dir;		/* NULL: an ephemeral identity */
	const char *stage_files[EMU_NUM_STAGES];	/* NULL: built-in */
	const char *ras_pubkey_path;	/* ephemeral only: trusted RAS keys */
};

/*
 * What the device holds after boot, for the session code.  The UDS, CDI
 * and DeviceID private key are gone by then (DICE: each layer keeps only
 * what it hands on).
 */
struct emu_identity {
	uint8_t ueid[OFS_UEID_LEN];
	struct ofs_measure_log log;
	struct ofs_fw_measurement meas;
	EVP_PKEY *alias_key;		/* signs reports */
	X509 *root_cert;		/* the manufacturer CA */
	X509 *deviceid_cert;
	X509 *alias_cert;
	EVP_PKEY **ras_keys;		/* the RAS trust store */
	size_t n_ras_keys;
	uint64_t boot_count;		/* this boot's number, from 1 */
	bool ephemeral;			/* made up at start, not provisioned */
};

/* Parses --firmware-stage NAME=FILE into cfg; -EINVAL if malformed. */
int emu_boot_stage_arg(struct emu_boot_config *cfg, const char *arg);
const char *emu_stage_name(enum emu_stage stage);
/* Without cfg->state_dir, boots an ephemeral identity (ephemeral.c). */
int emu_boot(struct emu_identity *id, const struct emu_boot_config *cfg);
void emu_identity_release(struct emu_identity *id);

/*
 * ephemeral.c: what provisioning would have given: a random UDS, a
 * throwaway manufacturer CA and the DeviceID certificate it issues, and
 * the RAS keys in ras_pubkey_path (NULL: none).  Fills id->root_cert,
 * id->deviceid_cert and the trust store.
 */
int emu_ephemeral_provision(struct emu_identity *id,
			    uint8_t uds[OFS_UDS_LEN],
			    const char *ras_pubkey_path);

/* server.c */
struct emu_config {
	const char *socket_path;
	const char *guest_ram_path;
	uint32_t shm_size;
	const char *serial;
	/* Provisioned (--state) or ephemeral; NULL: no session commands. */
	const struct emu_identity *identity;
};

struct emu_server;
struct sd_event;

int emu_server_new(struct emu_server **ret, const struct emu_config *cfg);
struct emu_server *emu_server_free(struct emu_server *s);
struct sd_event *emu_server_event(struct emu_server *s);
/* Runs until SIGINT or SIGTERM. */
int emu_server_run(struct emu_server *s);

#endif /* OFFLOAD_SEC_EMU_H */
