// SPDX-License-Identifier: MIT
/*
 * launch --exec: starts a VMM on the memory the card has just decrypted
 * the image into.  The command inherits the destination and learns where
 * each component lies from the environment:
 *
 *   OFFLOAD_SEC_MEMFD             /proc/self/fd/N: the whole destination
 *   OFFLOAD_SEC_OFFSET, _SIZE     the launch's window in it
 *   OFFLOAD_SEC_<KIND>_OFFSET     where the component starts in the file
 *   OFFLOAD_SEC_<KIND>_SIZE       its length
 *   OFFLOAD_SEC_<KIND>_SHA256     the digest the card attested
 *   OFFLOAD_SEC_<KIND>            /proc/self/fd/M: a sealed copy of it
 *   OFFLOAD_SEC_CMDLINE_TEXT      the command line, when it is text
 *   OFFLOAD_SEC_LAUNCH_ID, OFFLOAD_SEC_IMAGE, OFFLOAD_SEC_VERSION
 *
 * A VMM that boots from guest memory uses the offsets; one that loads
 * files (QEMU's -kernel, -initrd) uses the copies.  Each copy is a memfd
 * sealed against every change, made from the destination and checked
 * against the attested digest on the way, so the file the VMM reads is
 * byte for byte what the card measured, whoever else can write the
 * destination.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "cli.h"
#include "ofs-report.h"
#include "ofs-util.h"

#define COPY_BLOCK	(1u << 20)
#define CMDLINE_TEXT_MAX 4096
#define ALL_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static const char *const env_kind[OFS_MAX_COMPONENTS] = {
	"KERNEL", "INITRD", "CMDLINE",
};

struct component {
	int copy;			/* sealed memfd, -1 when absent */
	uint64_t offset, size;		/* offset from the file's start */
	char sha256[2 * OFS_SHA256_LEN + 1];
};

static int set_env(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int set_env(const char *name, const char *fmt, ...)
{
	char value[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	return setenv(name, value, 1) ? -errno : 0;
}

static int kind_index(const char *kind)
{
	uint32_t k;

	for (k = 0; kind && k < OFS_MAX_COMPONENTS; k++)
		if (!strcmp(kind, ofs_component_name(k)))
			return (int)k;
	return -1;
}

/* Copies [offset, offset + size) of dest into fd, hashing it on the way. */
static int copy_range(int dest, uint64_t offset, uint64_t size, int fd,
		      uint8_t sha256[OFS_SHA256_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *buf = malloc(COPY_BLOCK);
	uint64_t done = 0;
	ssize_t n = 0, w;
	int r = -ENOMEM;

	if (!md || !buf || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto free;
	for (r = 0; !r && done < size; done += (uint64_t)n) {
		n = pread(dest, buf, size - done < COPY_BLOCK ? size - done : COPY_BLOCK,
			  (off_t)(offset + done));
		if (n <= 0)
			r = n < 0 ? -errno : -ENODATA;
		else if (EVP_DigestUpdate(md, buf, (size_t)n) != 1)
			r = -EIO;
		else if ((w = write(fd, buf, (size_t)n)) != n)
			r = w < 0 ? -errno : -ENOSPC;
		if (r)
			n = 0;
	}
	if (!r && EVP_DigestFinal_ex(md, sha256, NULL) != 1)
		r = -EIO;
free:
	free(buf);
	EVP_MD_CTX_free(md);
	return r;
}

/* A sealed memfd holding exactly the attested bytes of one component. */
static int sealed_copy(int dest, const char *kind, struct component *c)
{
	uint8_t digest[OFS_SHA256_LEN];
	char name[32], hex[2 * OFS_SHA256_LEN + 1];
	int fd, r;

	snprintf(name, sizeof(name), "offload-sec-%s", kind);
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		r = -errno;
	else
		r = copy_range(dest, c->offset, c->size, fd, digest);
	if (r) {
		fprintf(stderr, "%s: copying the %s out of the destination: %s\n", prog,
			kind, strerror(-r));
		goto close_fd;
	}
	ofs_hex(digest, sizeof(digest), hex);
	if (strcmp(hex, c->sha256)) {
		fprintf(stderr, "%s: the %s in the destination is not what the card attested "
			"(SHA-256 %s, attested %s): the memory changed after the launch\n",
			prog, kind, hex, c->sha256);
		r = -EBADMSG;
		goto close_fd;
	}
	if (fcntl(fd, F_ADD_SEALS, ALL_SEALS)) {
		r = -errno;
		fprintf(stderr, "%s: sealing the %s copy: %s\n", prog, kind, strerror(-r));
		goto close_fd;
	}
	c->copy = fd;
	return 0;

close_fd:
	if (fd >= 0)
		close(fd);
	return r;
}

static int parse_component(const struct cli_launch_opts *o, struct json_object *j,
			   struct component comps[OFS_MAX_COMPONENTS])
{
	const char *sha = cli_json_str(j, "sha256");
	int64_t size = cli_json_int(j, "size", -1), offset = cli_json_int(j, "offset", -1);
	int k = kind_index(cli_json_str(j, "kind"));

	if (k < 0 || comps[k].size || !sha || strlen(sha) != 2 * OFS_SHA256_LEN ||
	    size <= 0 || offset < 0 || (uint64_t)offset > o->size ||
	    (uint64_t)size > o->size - (uint64_t)offset) {
		fprintf(stderr, "%s: offload-secd described a component that is not in "
			"the destination: %s\n", prog, json_object_to_json_string(j));
		return -EBADMSG;
	}
	comps[k].offset = o->offset + (uint64_t)offset;
	comps[k].size = (uint64_t)size;
	snprintf(comps[k].sha256, sizeof(comps[k].sha256), "%s", sha);
	return 0;
}

/* The command line as text, when it is text (a trailing NUL allowed). */
static void export_cmdline_text(const struct component *c)
{
	char text[CMDLINE_TEXT_MAX + 1];
	ssize_t n;

	if (c->size > CMDLINE_TEXT_MAX)
		return;
	n = pread(c->copy, text, c->size, 0);
	if (n != (ssize_t)c->size)
		return;
	while (n && (text[n - 1] == '\0' || text[n - 1] == '\n'))
		n--;
	text[n] = '\0';
	if (strlen(text) == (size_t)n)
		setenv("OFFLOAD_SEC_CMDLINE_TEXT", text, 1);
}

static int export_component(const char *kind, const struct component *c)
{
	char name[64];
	int r = 0;

	snprintf(name, sizeof(name), "OFFLOAD_SEC_%s", kind);
	if (c->copy < 0) {
		/* Nothing inherited from the caller may pose as a component. */
		unsetenv(name);
		return 0;
	}
	r = set_env(name, "/proc/self/fd/%d", c->copy);
	snprintf(name, sizeof(name), "OFFLOAD_SEC_%s_OFFSET", kind);
	r = r ?: set_env(name, "%" PRIu64, c->offset);
	snprintf(name, sizeof(name), "OFFLOAD_SEC_%s_SIZE", kind);
	r = r ?: set_env(name, "%" PRIu64, c->size);
	snprintf(name, sizeof(name), "OFFLOAD_SEC_%s_SHA256", kind);
	r = r ?: set_env(name, "%s", c->sha256);
	if (!r && fcntl(c->copy, F_SETFD, 0))
		r = -errno;
	return r;
}

static int export_launch(const struct cli_launch_opts *o, struct json_object *reply,
			 int dest)
{
	int r;

	unsetenv("OFFLOAD_SEC_CMDLINE_TEXT");
	r = set_env("OFFLOAD_SEC_MEMFD", "/proc/self/fd/%d", dest);
	r = r ?: set_env("OFFLOAD_SEC_OFFSET", "%" PRIu64, o->offset);
	r = r ?: set_env("OFFLOAD_SEC_SIZE", "%" PRIu64, o->size);
	r = r ?: set_env("OFFLOAD_SEC_LAUNCH_ID", "%s", cli_json_str(reply, "id") ?: "");
	r = r ?: set_env("OFFLOAD_SEC_IMAGE", "%s", cli_json_str(reply, "image") ?: "");
	r = r ?: set_env("OFFLOAD_SEC_VERSION", "%s", cli_json_str(reply, "version") ?: "");
	if (!r && fcntl(dest, F_SETFD, 0))
		r = -errno;
	return r;
}

int cli_launch_exec(const struct cli_launch_opts *o, struct json_object *reply,
		    int dest)
{
	struct component comps[OFS_MAX_COMPONENTS] = { 0 };
	struct json_object *list;
	uint32_t k;
	size_t i;
	int r = 0;

	for (k = 0; k < OFS_MAX_COMPONENTS; k++)
		comps[k].copy = -1;
	if (!json_object_object_get_ex(reply, "components", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		fprintf(stderr, "%s: offload-secd named no components: nothing to run\n", prog);
		return 1;
	}
	for (i = 0; !r && i < json_object_array_length(list); i++)
		r = parse_component(o, json_object_array_get_idx(list, i), comps);
	for (k = 0; !r && k < OFS_MAX_COMPONENTS; k++)
		if (comps[k].size)
			r = sealed_copy(dest, ofs_component_name(k), &comps[k]);
	if (r)
		goto close_copies;
	r = export_launch(o, reply, dest);
	for (k = 0; !r && k < OFS_MAX_COMPONENTS; k++)
		r = export_component(env_kind[k], &comps[k]);
	if (r) {
		fprintf(stderr, "%s: --exec: setting the environment: %s\n", prog,
			strerror(-r));
		goto close_copies;
	}
	if (comps[OFS_COMPONENT_CMDLINE].copy >= 0)
		export_cmdline_text(&comps[OFS_COMPONENT_CMDLINE]);
	fflush(stdout);
	fflush(stderr);
	execvp(o->exec_argv[0], o->exec_argv);
	fprintf(stderr, "%s: --exec %s: %s\n", prog, o->exec_argv[0], strerror(errno));
close_copies:
	for (k = 0; k < OFS_MAX_COMPONENTS; k++)
		if (comps[k].copy >= 0)
			close(comps[k].copy);
	return 1;
}
