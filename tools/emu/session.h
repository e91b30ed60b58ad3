/* SPDX-License-Identifier: MIT */
/*
 * offload-sec-emu: a launch session as the session commands share it
 * (session.c, measure.c, attest.c, confirm.c, load.c, finish.c).  The
 * state machine and the meaning of each command are in hw.h, "Launch
 * sessions"; the choices hw.h leaves open are noted there too.
 *
 * Secrets (the device's ephemeral ECDH key, the launch keys and the
 * stream decryptors holding the AEAD key schedule) live only in a slot
 * and are wiped by emu_session_wipe_keys() on every way out of a session.
 */
#ifndef OFFLOAD_SEC_EMU_SESSION_H
#define OFFLOAD_SEC_EMU_SESSION_H

#include <openssl/evp.h>

#include "emu.h"
#include "ofs-crypto.h"
#include "ofs-stream.h"

enum session_state {
	SESSION_FREE = 0,	/* the slot holds no session */
	SESSION_CREATED,
	SESSION_MEASURED,	/* a MEASURE succeeded */
	SESSION_ATTESTED,
	SESSION_CONFIRMED,
	SESSION_LOADING,	/* a LOAD succeeded */
	SESSION_DONE,		/* FINISH succeeded; the slot is freed next */
	SESSION_FAILED,		/* a security failure: only ABORT is left */
};

struct component {
	/* MEASURE */
	EVP_MD_CTX *measure;	/* from the first piece to the FINAL one */
	uint64_t size;		/* bytes measured so far */
	bool sealed;		/* FINAL piece taken: size and digest final */
	uint8_t digest[OFS_SHA256_LEN];
	/* SET_DEST: pointers into guest RAM, validated when registered */
	bool dest_set;
	struct ofs_iov *dest;	/* NULL for an empty one */
	size_t dest_n;
	uint64_t dest_len;
	struct ofs_iov_cursor cursor;	/* where the next chunk goes */
	/* LOAD */
	struct ofs_stream_dec *dec;	/* from the first LOAD on */
	EVP_MD_CTX *pt_hash;		/* plaintext, as decrypted */
	uint64_t loaded;
	bool complete;			/* the final chunk was accepted */
	uint8_t pt_digest[OFS_SHA256_LEN];
};

struct session {
	enum session_state state;
	uint32_t handle;
	uint8_t id[OFS_SESSION_ID_LEN];
	uint32_t chunk_size;
	struct component comp[OFS_HW_NUM_COMPONENTS];
	/* ATTEST */
	uint8_t nonce[OFS_NONCE_LEN];
	uint8_t host_pub[OFS_P384_POINT_LEN];
	struct ofs_ecdh_key *dev_eph;	/* ATTEST until CONFIRM */
	uint8_t *report;		/* the signed bytes, as sent */
	size_t report_len;
	uint8_t report_sha256[OFS_SHA256_LEN];
	/* CONFIRM */
	struct ofs_launch_keys keys;
};

struct emu_sessions {
	struct session slot[OFS_HW_MAX_SESSIONS];
	uint32_t last_handle;
};

/*
 * The session named by handle, or NULL with *status set: NO_SESSION, or
 * FAILED for a failed session (unless the caller takes failed ones, as
 * ABORT does), or INTERNAL when the device has no session support.
 */
struct session *emu_session_find(const struct emu_device *dev, uint32_t handle,
			     bool failed_ok, uint32_t *status);
/* Zeroes every registered destination. */
void emu_session_scrub(struct session *s);
/* Wipes and frees every secret of the session; the rest stays. */
void emu_session_wipe_keys(struct session *s);
/*
 * A security failure: destinations scrubbed, keys wiped, state FAILED.
 * Returns status, for the handler to pass on.
 */
uint32_t emu_session_fail(struct session *s, uint32_t status);
/* Ends the session and frees its slot; scrubs unless it is DONE. */
void emu_session_close(struct session *s);

/* The component an untrusted request names, or NULL. */
struct component *emu_session_component(struct session *s, uint32_t index);

#endif /* OFFLOAD_SEC_EMU_SESSION_H */
