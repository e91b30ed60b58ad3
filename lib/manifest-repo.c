// SPDX-License-Identifier: MIT
/*
 * The image repository directory (ofs-manifest.h): manifest.json, its
 * signature manifest.sig, and the component files.  The signature is a
 * COSE_Sign1 (ES384, lib/cose.c) carrying the exact bytes of manifest.json
 * as its payload; it lives in its own file so that the manifest stays
 * plain JSON, and a verifier accepts it only when that payload is byte for
 * byte the manifest next to it.  Component files are opened with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), or where a seccomp filter
 * refuses openat2 by a walk with the same rules: even a signed manifest
 * cannot make a verifier read outside the repository.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ofs-crypto.h"
#include "ofs-manifest.h"
#include "ofs-util.h"

#define SIG_MAX		OFS_MANIFEST_SIG_MAX_SIZE
#define KID_LEN		8

__attribute__((format(printf, 3, 4)))
static int fail(struct ofs_manifest_error *err, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->what, sizeof(err->what), fmt, ap);
	va_end(ap);
	return err->err = r;
}

static struct ofs_manifest_error *err_or(struct ofs_manifest_error *err,
					 struct ofs_manifest_error *dummy)
{
	err = err ? err : dummy;
	memset(err, 0, sizeof(*err));
	return err;
}

/* dir/name whole into a malloc'd, NUL-ended buffer of at most max bytes. */
static int read_file(const char *dir, const char *name, size_t max,
		     uint8_t **out, size_t *len, struct ofs_manifest_error *err)
{
	char path[4096];
	uint8_t *buf;
	size_t size = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, -errno, "%s: %s", path, strerror(errno));
	buf = malloc(max + 2);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	do {
		n = read(fd, buf + size, max + 1 - size);
		if (n > 0)
			size += (size_t)n;
	} while ((n > 0 && size <= max) || (n < 0 && errno == EINTR));
	if (n < 0) {
		fail(err, -errno, "%s: %s", path, strerror(errno));
		goto free_buf;
	}
	if (size > max) {
		fail(err, -E2BIG, "%s: larger than %zu bytes", path, max);
		goto free_buf;
	}
	close(fd);
	buf[size] = '\0';
	*out = buf;
	*len = size;
	return 0;
free_buf:
	close(fd);
	free(buf);
	return err->err;
}

/* Writes dir/name through a temporary file and rename(): all or nothing. */
static int write_file(const char *dir, const char *name, const void *data,
		      size_t len, struct ofs_manifest_error *err)
{
	char path[4096], tmp[4200];
	const uint8_t *p = data;
	ssize_t n;
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(err, -errno, "%s: %s", tmp, strerror(errno));
	while (len && !r) {
		n = write(fd, p, len);
		if (n < 0 && errno != EINTR)
			r = -errno;
		else if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	if (!r && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	if (!r && rename(tmp, path))
		r = -errno;
	if (r) {
		unlink(tmp);
		return fail(err, r, "%s: %s", path, strerror(-r));
	}
	return 0;
}

int ofs_manifest_load(const char *dir, struct ofs_manifest **out,
		      struct ofs_manifest_error *err)
{
	struct ofs_manifest_error dummy;
	uint8_t *text;
	size_t len;
	int r;

	err = err_or(err, &dummy);
	r = read_file(dir, OFS_MANIFEST_FILE, OFS_MANIFEST_MAX_SIZE, &text, &len, err);
	if (r)
		return r;
	r = ofs_manifest_parse((const char *)text, len, out, err);
	free(text);
	return r;
}

int ofs_manifest_save(const char *dir, const struct ofs_manifest *m,
		      struct ofs_manifest_error *err)
{
	struct ofs_manifest_error dummy;
	char *text;
	size_t len;
	int r;

	err = err_or(err, &dummy);
	r = ofs_manifest_encode(m, &text, &len);
	if (r)
		return fail(err, r, "%s: %s", OFS_MANIFEST_FILE, strerror(-r));
	r = write_file(dir, OFS_MANIFEST_FILE, text, len, err);
	free(text);
	return r;
}

static bool walk_only;

void ofs_manifest_test_walk_only(bool on)
{
	walk_only = on;
}

static bool dot_or_dotdot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') ||
	       (len == 2 && name[0] == '.' && name[1] == '.');
}

/* A directory name below fd, given as the link itself if it is one. */
static int walk_into(int fd, const char *name, size_t len)
{
	char part[OFS_MANIFEST_PATH_MAX + 1];
	struct stat st;
	int next;

	if (!len || len >= sizeof(part) || dot_or_dotdot(name, len))
		return -EXDEV;
	memcpy(part, name, len);
	part[len] = '\0';
	next = openat(fd, part, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (next < 0)
		return -errno;
	if (fstat(next, &st)) {
		close(next);
		return -EIO;
	}
	if (!S_ISDIR(st.st_mode)) {
		close(next);
		return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
	}
	return next;
}

/*
 * What openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) guarantees, one name
 * at a time: no ".", "..", empty name or symlink anywhere.  Directories
 * are opened O_PATH | O_NOFOLLOW, which yields a link itself rather than
 * its target, so that fstat() tells a symlink (-ELOOP, as openat2 says)
 * from a file (-ENOTDIR) with no window in between.
 */
static int walk_beneath(int dfd, const char *path, int flags)
{
	const char *name = path, *slash;
	int fd, next;

	fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (; (slash = strchr(name, '/')); name = slash + 1) {
		next = walk_into(fd, name, (size_t)(slash - name));
		close(fd);
		if (next < 0)
			return next;
		fd = next;
	}
	if (!*name || dot_or_dotdot(name, strlen(name)))
		next = -EXDEV;
	else if ((next = openat(fd, name, flags | O_NOFOLLOW)) < 0)
		next = -errno;
	close(fd);
	return next;
}

static int sys_openat2(int dfd, const char *path, const struct open_how *how)
{
	int fd = (int)syscall(SYS_openat2, dfd, path, how, sizeof(*how));

	return fd < 0 ? -errno : fd;
}

/*
 * openat2() where the kernel and the seccomp filter allow it.  systemd's
 * RestrictSUIDSGID= (implied by DynamicUser=) answers it with ENOSYS, as a
 * filter cannot look into struct open_how; other filters say EPERM.
 * O_NONBLOCK: a FIFO planted in the repository must not hang the open.
 */
static int open_beneath(const char *dir, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
	};
	int dfd, fd;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = walk_only ? -ENOSYS : sys_openat2(dfd, path, &how);
	if (fd == -ENOSYS || fd == -EPERM)
		fd = walk_beneath(dfd, path, (int)how.flags);
	close(dfd);
	return fd;
}

/* Readers of a component expect a blocking fd; O_NONBLOCK was for open. */
static int clear_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK))
		return -errno;
	return 0;
}

int ofs_manifest_open_component(const char *dir, const char *path,
				struct ofs_manifest_error *err)
{
	struct ofs_manifest_error dummy;
	struct stat st;
	int fd, r;

	err = err_or(err, &dummy);
	if (ofs_manifest_path_valid(path))
		return fail(err, -EINVAL, "%s: a path that leaves the repository", path);
	fd = open_beneath(dir, path);
	if (fd < 0)
		return fail(err, fd, "%s: %s%s", path, strerror(-fd), fd == -EXDEV ||
			    fd == -ELOOP ? " (a symlink or a path out of the "
			    "repository)" : "");
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, -EINVAL, "%s: not a regular file", path);
	}
	r = clear_nonblock(fd);
	if (r) {
		close(fd);
		return fail(err, r, "%s: %s", path, strerror(-r));
	}
	return fd;
}

int ofs_manifest_hash_file(const char *dir, const char *path,
			   uint8_t sha256[OFS_SHA256_LEN], uint64_t *size,
			   struct ofs_manifest_error *err)
{
	struct ofs_manifest_error dummy;
	uint8_t buf[65536];
	EVP_MD_CTX *ctx;
	uint64_t total = 0;
	ssize_t n;
	int fd, r = 0;

	err = err_or(err, &dummy);
	fd = ofs_manifest_open_component(dir, path, err);
	if (fd < 0)
		return fd;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		close(fd);
		return -ENOMEM;
	}
	while (!r && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = fail(err, -errno, "%s: %s", path, strerror(errno));
		else if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			r = -EIO;
		total += n > 0 ? (uint64_t)n : 0;
	}
	close(fd);
	if (!r && EVP_DigestFinal_ex(ctx, sha256, NULL) != 1)
		r = -EIO;
	EVP_MD_CTX_free(ctx);
	*size = total;
	return r;
}

/* The key id in the signature: 8 bytes of SHA-256 of the public point. */
static int key_id(EVP_PKEY *key, uint8_t kid[KID_LEN])
{
	uint8_t point[OFS_P384_POINT_LEN], d[OFS_SHA256_LEN];
	int r = ofs_ec_public_point(key, point);

	if (r)
		return r;
	SHA256(point, sizeof(point), d);
	memcpy(kid, d, KID_LEN);
	return 0;
}

int ofs_manifest_sign(const char *dir, EVP_PKEY *key, uint64_t *serial,
		      struct ofs_manifest_error *err)
{
	struct ofs_manifest_error dummy;
	struct ofs_manifest *m = NULL;
	uint8_t kid[KID_LEN], *sig = NULL;
	char *text = NULL;
	size_t len, sig_len;
	int r;

	err = err_or(err, &dummy);
	if (!ofs_key_is_p384(key) || key_id(key, kid))
		return fail(err, -EINVAL, "the repository key is not a P-384 key");
	r = ofs_manifest_load(dir, &m, err);
	if (r)
		return r;
	if (m->serial >= INT64_MAX - 1) {
		r = fail(err, -EOVERFLOW, "%s: serial at its maximum", OFS_MANIFEST_FILE);
		goto free_all;
	}
	m->serial++;
	sig = malloc(SIG_MAX);
	r = sig ? ofs_manifest_encode(m, &text, &len) : -ENOMEM;
	if (!r)
		r = ofs_cose_sign1_sign(key, (const uint8_t *)text, len, kid,
					sizeof(kid), sig, SIG_MAX, &sig_len);
	if (r) {
		fail(err, r, "signing %s: %s", OFS_MANIFEST_FILE, strerror(-r));
		goto free_all;
	}
	/* The manifest first: a crash in between leaves a stale signature. */
	r = write_file(dir, OFS_MANIFEST_FILE, text, len, err);
	if (!r)
		r = write_file(dir, OFS_MANIFEST_SIG_FILE, sig, sig_len, err);
	if (!r && serial)
		*serial = m->serial;
free_all:
	free(text);
	free(sig);
	ofs_manifest_free(m);
	return r;
}

/* sig verifies under one of keys and carries exactly the bytes text. */
static int check_signature(EVP_PKEY *const *keys, size_t n_keys,
			   const uint8_t *sig, size_t sig_len,
			   const uint8_t *text, size_t len,
			   struct ofs_manifest_error *err)
{
	struct ofs_decode_error derr = { 0 };
	struct ofs_cose_sign1 cs;
	size_t i;
	int r = -EKEYREJECTED;

	for (i = 0; i < n_keys && r == -EKEYREJECTED; i++)
		r = ofs_cose_sign1_verify(keys[i], sig, sig_len, &cs, &derr);
	if (r == -EKEYREJECTED && n_keys > 1)
		return fail(err, r, "%s: the signature verifies under none of the "
			    "%zu repository keys", OFS_MANIFEST_SIG_FILE, n_keys);
	if (r == -EKEYREJECTED)
		return fail(err, r, "%s: the signature does not verify under the "
			    "repository key", OFS_MANIFEST_SIG_FILE);
	if (r)
		return fail(err, r, "%s: %s", OFS_MANIFEST_SIG_FILE,
			    derr.what[0] ? derr.what : strerror(-r));
	if (cs.payload_len != len || memcmp(cs.payload, text, len))
		return fail(err, -EKEYREJECTED, "%s: signs other bytes than %s (%s "
			    "changed after signing, or is of another signing)",
			    OFS_MANIFEST_SIG_FILE, OFS_MANIFEST_FILE, OFS_MANIFEST_FILE);
	return 0;
}

int ofs_manifest_verify_signed(const char *text, size_t len, const uint8_t *sig,
			       size_t sig_len, EVP_PKEY *const *keys, size_t n_keys,
			       uint64_t min_serial, struct ofs_manifest **out,
			       struct ofs_manifest_error *err)
{
	struct ofs_manifest_error dummy;
	struct ofs_manifest *m = NULL;
	size_t i;
	int r;

	err = err_or(err, &dummy);
	for (i = 0; i < n_keys; i++)
		if (!ofs_key_is_p384(keys[i]))
			return fail(err, -EINVAL, "the repository key is not a P-384 key");
	if (len > OFS_MANIFEST_MAX_SIZE)
		return fail(err, -E2BIG, "%s: larger than %d bytes", OFS_MANIFEST_FILE,
			    OFS_MANIFEST_MAX_SIZE);
	if (sig_len > SIG_MAX)
		return fail(err, -E2BIG, "%s: larger than %d bytes",
			    OFS_MANIFEST_SIG_FILE, SIG_MAX);
	r = check_signature(keys, n_keys, sig, sig_len, (const uint8_t *)text, len, err);
	if (!r)
		r = ofs_manifest_parse(text, len, &m, err);
	if (!r && m->serial < min_serial)
		r = fail(err, -ESTALE, "%s: serial %" PRIu64 " is older than %" PRIu64
			 " (a rollback?)", OFS_MANIFEST_FILE, m->serial, min_serial);
	if (r || !out)
		ofs_manifest_free(m);
	else
		*out = m;
	return r;
}

static int check_component(const char *dir, const struct ofs_manifest_image *img,
			   uint32_t k, struct ofs_manifest_error *err)
{
	const struct ofs_manifest_component *c = &img->comp[k];
	char want[2 * OFS_SHA256_LEN + 1], got[2 * OFS_SHA256_LEN + 1];
	uint8_t d[OFS_SHA256_LEN];
	uint64_t size;
	int r;

	r = ofs_manifest_hash_file(dir, c->path, d, &size, err);
	if (r) {
		char why[sizeof(err->what)];

		memcpy(why, err->what, sizeof(why));
		return fail(err, r, "%s %s: %s %s", img->name, img->version,
			    ofs_component_name(k), why);
	}
	if (size != c->size)
		return fail(err, -EBADMSG, "%s %s: %s %s: %" PRIu64 " bytes, the "
			    "manifest says %" PRIu64, img->name, img->version,
			    ofs_component_name(k), c->path, size, c->size);
	if (memcmp(d, c->sha256, OFS_SHA256_LEN)) {
		ofs_hex(c->sha256, OFS_SHA256_LEN, want);
		ofs_hex(d, OFS_SHA256_LEN, got);
		return fail(err, -EBADMSG, "%s %s: %s %s: SHA-256 %s, the manifest "
			    "says %s", img->name, img->version,
			    ofs_component_name(k), c->path, got, want);
	}
	return 0;
}

int ofs_manifest_verify(const char *dir, EVP_PKEY *pub, uint64_t min_serial,
			struct ofs_manifest **out, struct ofs_manifest_error *err)
{
	struct ofs_manifest_error dummy;
	struct ofs_manifest *m = NULL;
	uint8_t *text, *sig = NULL;
	size_t len, sig_len, i;
	uint32_t k;
	int r;

	err = err_or(err, &dummy);
	if (!ofs_key_is_p384(pub))
		return fail(err, -EINVAL, "the repository key is not a P-384 key");
	r = read_file(dir, OFS_MANIFEST_FILE, OFS_MANIFEST_MAX_SIZE, &text, &len, err);
	if (r)
		return r;
	r = read_file(dir, OFS_MANIFEST_SIG_FILE, SIG_MAX, &sig, &sig_len, err);
	if (!r)
		r = ofs_manifest_verify_signed((const char *)text, len, sig, sig_len,
					       &pub, 1, min_serial, &m, err);
	free(text);
	free(sig);
	for (i = 0; !r && i < m->n_images; i++)
		for (k = 0; !r && k < OFS_MAX_COMPONENTS; k++)
			if (m->images[i].present & (1u << k))
				r = check_component(dir, &m->images[i], k, err);
	if (r || !out)
		ofs_manifest_free(m);
	else
		*out = m;
	return r;
}

const struct ofs_manifest_image *ofs_manifest_find(const struct ofs_manifest *m,
						   const char *name,
						   const char *version)
{
	const struct ofs_manifest_image *best = NULL, *img;
	size_t i;

	for (i = 0; i < m->n_images; i++) {
		img = &m->images[i];
		if (strcmp(img->name, name))
			continue;
		if (version && version[0]) {
			if (!strcmp(img->version, version))
				return img;
		} else if (!best || strverscmp(img->version, best->version) > 0) {
			best = img;
		}
	}
	return best;
}
