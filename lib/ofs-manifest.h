/* SPDX-License-Identifier: MIT */
/*
 * libofs: the signed image repository (docs/repository.md).
 *
 *   manifest.c       the manifest document (JSON) and its model: strict
 *                    parsing, canonical writing, the offload-ras policy
 *                    `images` entries generated from it
 *   manifest-repo.c  the repository directory: component files, signing
 *                    (manifest.sig, a COSE_Sign1 ES384 whose payload is the
 *                    exact bytes of manifest.json) and verification
 *
 * A component's digest is what the card measures: flat SHA-256 of its
 * bytes (sha256sum).  Component paths are relative to the repository
 * directory and never leave it.
 *
 * Every function returning int returns 0 or a negative errno; those that
 * take a struct ofs_manifest_error fill it with a sentence naming the file
 * and the member (e.g. "manifest.json: images[1].components[0].sha256:
 * expected 64 hex digits").
 */
#ifndef OFS_MANIFEST_H
#define OFS_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "ofs-report.h"	/* enum ofs_component, OFS_MAX_COMPONENTS */

#define OFS_MANIFEST_FORMAT	1
#define OFS_MANIFEST_FILE	"manifest.json"
#define OFS_MANIFEST_SIG_FILE	"manifest.sig"
#define OFS_MANIFEST_MAX_SIZE	(1024 * 1024)
/* The signature's cap: the manifest plus the COSE envelope around it. */
#define OFS_MANIFEST_SIG_MAX_SIZE	(OFS_MANIFEST_MAX_SIZE + 256)
/* As many as one policy may allow (OFS_POLICY_MAX_IMAGES). */
#define OFS_MANIFEST_MAX_IMAGES	4096
/* Names, versions and the repository id: [A-Za-z0-9._+-], not "." or "..". */
#define OFS_MANIFEST_NAME_MAX	64
#define OFS_MANIFEST_PATH_MAX	255

struct ofs_manifest_component {
	uint8_t sha256[OFS_SHA256_LEN];
	uint64_t size;				/* > 0 */
	char path[OFS_MANIFEST_PATH_MAX + 1];	/* relative, no "..", no "//" */
};

struct ofs_manifest_image {
	char name[OFS_MANIFEST_NAME_MAX + 1];
	char version[OFS_MANIFEST_NAME_MAX + 1];
	uint32_t present;			/* bit (1 << enum ofs_component) */
	struct ofs_manifest_component comp[OFS_MAX_COMPONENTS];
};

struct ofs_manifest {
	char id[OFS_MANIFEST_NAME_MAX + 1];	/* the repository's */
	uint64_t serial;			/* bumped by every signing */
	size_t n_images;
	struct ofs_manifest_image *images;
};

struct ofs_manifest_error {
	int err;
	char what[512];
};

/* ---- manifest.c ---- */

/* 0 when s is a valid name, version or repository id, else -EINVAL. */
int ofs_manifest_name_valid(const char *s);
/* 0 when path stays inside the repository directory, else -EINVAL. */
int ofs_manifest_path_valid(const char *path);

int ofs_manifest_new(const char *id, struct ofs_manifest **out);
void ofs_manifest_free(struct ofs_manifest *m);
/*
 * Strict: unknown or missing members, wrong types, bad names, digests,
 * sizes or paths, a kind twice in one image, name + version twice, two
 * images with the same components (no policy could tell them apart).
 * -EINVAL, -E2BIG (over OFS_MANIFEST_MAX_SIZE), -ENOMEM.
 */
int ofs_manifest_parse(const char *text, size_t len, struct ofs_manifest **out,
		       struct ofs_manifest_error *err);
/* The canonical text (what parse accepts), NUL-ended; free() it. */
int ofs_manifest_encode(const struct ofs_manifest *m, char **text, size_t *len);
/* Appends img under the parser's rules: -EINVAL, -EEXIST, -E2BIG, -ENOMEM. */
int ofs_manifest_add(struct ofs_manifest *m, const struct ofs_manifest_image *img,
		     struct ofs_manifest_error *err);
/*
 * The `images` array of an offload-ras policy (docs/ras-api.md §4.3),
 * pretty-printed and NUL-ended: the images of m, or only those named name
 * (and of that version), when given.  -ENOENT when none match.
 */
int ofs_manifest_policy_images(const struct ofs_manifest *m, const char *name,
			       const char *version, char **json);

/* ---- manifest-repo.c: the repository directory ---- */

/* DIR/manifest.json, parsed but NOT verified: for the publishing side. */
int ofs_manifest_load(const char *dir, struct ofs_manifest **out,
		      struct ofs_manifest_error *err);
/* Writes DIR/manifest.json (atomically) with the canonical text of m. */
int ofs_manifest_save(const char *dir, const struct ofs_manifest *m,
		      struct ofs_manifest_error *err);
/*
 * The regular file path, relative to dir, opened read-only beneath it (no
 * symlinks, no ".."): an fd, or a negative errno (-EINVAL: a path out of
 * the repository or not a regular file; -EXDEV, -ELOOP: a symlink).
 */
int ofs_manifest_open_component(const char *dir, const char *path,
				struct ofs_manifest_error *err);
/*
 * For tests: resolve component paths by the openat() walk that stands in
 * for openat2() where a seccomp filter refuses it (as systemd's
 * RestrictSUIDSGID= does), as if openat2() were always refused.  Set it
 * before any thread opens components.
 */
void ofs_manifest_test_walk_only(bool on);
/*
 * Flat SHA-256 and size of the regular file path, relative to dir and
 * resolved beneath it (no symlinks, no "..").
 */
int ofs_manifest_hash_file(const char *dir, const char *path,
			   uint8_t sha256[OFS_SHA256_LEN], uint64_t *size,
			   struct ofs_manifest_error *err);
/* Bumps the serial, saves the manifest and writes DIR/manifest.sig. */
int ofs_manifest_sign(const char *dir, EVP_PKEY *key, uint64_t *serial,
		      struct ofs_manifest_error *err);
/*
 * The consumer's check, in this order: manifest.sig verifies under pub
 * (-EKEYREJECTED) and signs exactly the bytes of manifest.json
 * (-EKEYREJECTED); the manifest parses; its serial is at least min_serial
 * (-ESTALE: a rollback); every component file exists beneath dir
 * (-ENOENT, ...) with the recorded size and SHA-256 (-EBADMSG).  On
 * success *out (when given) is the verified manifest.
 */
int ofs_manifest_verify(const char *dir, EVP_PKEY *pub, uint64_t min_serial,
			struct ofs_manifest **out, struct ofs_manifest_error *err);
/*
 * The same checks but the components', over a manifest and a signature
 * fetched by the caller (who checks the components as it fetches them):
 * sig verifies under one of the n_keys keys (-EKEYREJECTED) and signs
 * exactly text; text parses; its serial is at least min_serial (-ESTALE).
 * -E2BIG over OFS_MANIFEST_MAX_SIZE or OFS_MANIFEST_SIG_MAX_SIZE.
 */
int ofs_manifest_verify_signed(const char *text, size_t len, const uint8_t *sig,
			       size_t sig_len, EVP_PKEY *const *keys, size_t n_keys,
			       uint64_t min_serial, struct ofs_manifest **out,
			       struct ofs_manifest_error *err);
/*
 * The image name of that version, or when version is NULL or "" the
 * newest of that name; NULL when there is none.  Versions compare as by
 * strverscmp(3): digit runs as numbers ("1.10" is newer than "1.9"),
 * everything else byte by byte, and a version that extends another is
 * newer ("2.0-rc1" after "2.0": name pre-releases below, e.g. "1.99.1").
 */
const struct ofs_manifest_image *ofs_manifest_find(const struct ofs_manifest *m,
						   const char *name,
						   const char *version);

#endif
