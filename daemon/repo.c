// SPDX-License-Identifier: MIT
/*
 * The signed repository (docs/repository.md §6): stages FETCH and VERIFY
 * of a launch.
 *
 * FETCH reads manifest.json and manifest.sig (a directory, file:// or
 * http(s)://), checks the signature against Repository.Key and the serial
 * against the highest one seen (rollback), picks the image, and downloads
 * the components the cache lacks into CACHE/sha256/<hex>.part files,
 * resuming what an earlier attempt left.  VERIFY hashes what was
 * downloaded and renames each .part into place only when its size and
 * SHA-256 are the manifest's; a directory repository's components are
 * hashed where they are.  A component already in the cache was hashed
 * before it was renamed there, and is taken when its size is right.  The
 * cache and the downloads are repo-cache.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "ofs-http.h"
#include "ofs-identity.h"
#include "ofs-util.h"
#include "repo.h"

#define SERIAL_FILE	"manifest-serial"
#define SERIAL_LOCK	"manifest-serial.lock"
#define HASH_CHUNK	(256 * 1024)
#define LIST_MAX	6	/* images named when the one asked for is missing */
#define CONNECT_TIMEOUT_MAX_MS	30000

int secd_repo_fail(struct secd_repo_job *j, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->f->reason, sizeof(j->f->reason), fmt, ap);
	va_end(ap);
	return r;
}

bool secd_repo_cancelled(const struct secd_repo_job *j)
{
	return j->f->cancel && atomic_load(j->f->cancel);
}

static int set_stage(struct secd_repo_job *j, enum secd_stage s)
{
	int r = j->f->set_stage ? j->f->set_stage(j->f->userdata, s) : 0;

	if (!r && secd_repo_cancelled(j))
		r = -ECANCELED;
	return r ? secd_repo_fail(j, r, "cancelled") : 0;
}

void secd_repo_progress(struct secd_repo_job *j, uint64_t done, uint64_t total)
{
	if (j->f->progress_total && total)
		atomic_store(j->f->progress_total, total);
	if (j->f->progress_done)
		atomic_store(j->f->progress_done, done);
}

static void on_http_progress(void *userdata, uint64_t done, uint64_t total)
{
	struct secd_repo_job *j = userdata;

	if (j->f->progress_done)
		atomic_store(j->f->progress_done, j->progress_base + done);
}

/* ---- where the repository is ---- */

static int parse_url(struct secd_repo_job *j, const char *url)
{
	const char *dir = NULL;
	size_t n;

	if (!url || !url[0])
		return secd_repo_fail(j, -EINVAL, "Repository.URL= is not set");
	if (url[0] == '/')
		dir = url;
	else if (!strncmp(url, "file://localhost/", 17))
		dir = url + 16;
	else if (!strncmp(url, "file:///", 8))
		dir = url + 7;
	else if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return secd_repo_fail(j, -EINVAL,
				      "Repository.URL=%s: expected a directory, "
				      "file:///DIR or http(s)://",
				      url);
	n = strlen(dir ? dir : url);
	if (n + 2 > sizeof(j->src.base))
		return secd_repo_fail(j, -ENAMETOOLONG, "Repository.URL=: too long");
	j->src.http = !dir;
	snprintf(j->src.base, sizeof(j->src.base), "%s%s", dir ? dir : url,
		 !dir && url[n - 1] != '/' ? "/" : "");
	return 0;
}

struct ofs_http_opts secd_repo_http_opts(struct secd_repo_job *j, size_t max_size)
{
	unsigned int timeout_ms = j->c->fetch_timeout > UINT_MAX / 1000u ? UINT_MAX :
				  j->c->fetch_timeout * 1000u;

	return (struct ofs_http_opts){
		.what = "repository",
		.timeout_ms = timeout_ms,
		.connect_timeout_ms = timeout_ms && timeout_ms < CONNECT_TIMEOUT_MAX_MS ?
				      timeout_ms : CONNECT_TIMEOUT_MAX_MS,
		.retries = j->c->fetch_retries,
		.retry = OFS_HTTP_RETRY_IDEMPOTENT,
		.ca_file = j->c->repo_ca && j->c->repo_ca[0] ? j->c->repo_ca : NULL,
		.max_size = max_size,
		.cancel = j->f->cancel,
		.progress = on_http_progress,
		.userdata = j,
	};
}

/* An answer other than 200 (206) as an errno and a sentence. */
int secd_repo_http_status(struct secd_repo_job *j, const char *url, long status)
{
	/* -ENOENT is kept for an image the manifest does not list. */
	return secd_repo_fail(j, status == 404 ? -ENODATA : -EPROTO,
			      "repository %s: HTTP %ld", url, status);
}

/* A whole file of the directory, at most max bytes. */
static int read_dir_file(struct secd_repo_job *j, const char *name, size_t max,
			 char **out, size_t *len)
{
	char path[sizeof(j->src.base) + 64];
	int r;

	snprintf(path, sizeof(path), "%s/%s", j->src.base, name);
	r = ofs_read_file(path, max, out, len);
	if (!r || r == -ENOMEM)
		return r;
	if (r == -E2BIG)
		return secd_repo_fail(j, r, "repository %s: larger than %zu bytes",
				      path, max);
	return secd_repo_fail(j, r == -ENOENT ? -ENODATA : r, "repository %s: %s",
			      path, strerror(-r));
}

static int fetch_member(struct secd_repo_job *j, const char *name, size_t max,
			char **out, size_t *len)
{
	struct ofs_http_opts o;
	struct ofs_http_result res;
	char url[sizeof(j->src.base) + 64];
	int r;

	if (!j->src.http)
		return read_dir_file(j, name, max, out, len);
	snprintf(url, sizeof(url), "%s%s", j->src.base, name);
	o = secd_repo_http_opts(j, max);
	o.progress = NULL;
	r = ofs_http_get(url, &o, &res);
	if (r)
		secd_repo_fail(j, r, "%s", res.reason);
	else if (res.status != 200)
		r = secd_repo_http_status(j, url, res.status);
	if (r) {
		ofs_http_result_free(&res);
		return r;
	}
	*out = res.body;
	*len = res.len;
	return 0;
}

/* ---- the manifest: signature, rollback, the image ---- */

static int load_keys(struct secd_repo_job *j, EVP_PKEY ***keys, size_t *n)
{
	const char *path = j->c->repo_key;
	int r;

	if (!path || !path[0])
		return secd_repo_fail(j, -EINVAL,
				      "Repository.Key= is not set: the repository "
				      "cannot be verified");
	r = ofs_pubkeys_load_pem(path, keys, n);
	if (!r && !*n)
		r = -ENOKEY;
	if (r)
		return secd_repo_fail(
			j, r == -ENOENT ? -ENOKEY : -EINVAL, "Repository.Key=%s: %s", path,
			r == -ENOKEY ? "no public key in it" : strerror(-r));
	return 0;
}

/* The highest serial recorded for repository id; 0 when none. */
static int read_serial(struct secd_repo_job *j, int dfd, const char *id,
		       uint64_t *serial)
{
	char line[256], name[OFS_MANIFEST_NAME_MAX + 2];
	unsigned long long value;
	unsigned int no = 0;
	FILE *fp;
	int fd, r = 0;

	*serial = 0;
	fd = openat(dfd, SERIAL_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return secd_repo_fail(j, -errno, "%s/%s: %m", j->c->state_dir,
				      SERIAL_FILE);
	fp = fdopen(fd, "r");
	if (!fp) {
		close(fd);
		return -ENOMEM;
	}
	while (!r && fgets(line, sizeof(line), fp)) {
		no++;
		if (sscanf(line, "%65s %llu", name, &value) != 2 ||
		    ofs_manifest_name_valid(name))
			r = secd_repo_fail(j, -EBADMSG,
					   "%s/%s:%u: expected \"REPOSITORY-ID "
					   "SERIAL\"",
					   j->c->state_dir, SERIAL_FILE, no);
		else if (!strcmp(name, id))
			*serial = value;
	}
	fclose(fp);
	return r;
}

/* Rewrites the serial file with id at serial: a temporary file, rename(). */
static int write_serial(struct secd_repo_job *j, int dfd, const char *id,
			uint64_t serial)
{
	char line[256], name[OFS_MANIFEST_NAME_MAX + 2];
	unsigned long long value;
	FILE *in, *out;
	int fd, r = 0;

	fd = openat(dfd, SERIAL_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
	out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return secd_repo_fail(j, r, "%s/%s.tmp: %s", j->c->state_dir,
				      SERIAL_FILE, strerror(-r));
	}
	fd = openat(dfd, SERIAL_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	in = fd >= 0 ? fdopen(fd, "r") : NULL;
	while (in && fgets(line, sizeof(line), in))
		if (sscanf(line, "%65s %llu", name, &value) == 2 && strcmp(name, id))
			fprintf(out, "%s %llu\n", name, value);
	if (in)
		fclose(in);
	fprintf(out, "%s %" PRIu64 "\n", id, serial);
	if (fflush(out) || fsync(fileno(out)))
		r = -errno;
	if (fclose(out) && !r)
		r = -errno;
	if (!r && renameat(dfd, SERIAL_FILE ".tmp", dfd, SERIAL_FILE))
		r = -errno;
	if (r) {
		unlinkat(dfd, SERIAL_FILE ".tmp", 0);
		return secd_repo_fail(j, r, "%s/%s: %s", j->c->state_dir, SERIAL_FILE,
				      strerror(-r));
	}
	return 0;
}

/*
 * Refuses a manifest older than the newest this host has seen of that
 * repository, and remembers a newer one; under a lock, so that two
 * launches cannot interleave their check and their write.
 */
static int check_rollback(struct secd_repo_job *j)
{
	const char *dir = j->c->state_dir;
	uint64_t seen;
	int dfd, lfd, r;

	if (!dir || !dir[0])
		return 0;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return secd_repo_fail(j, -errno, "State=%s: %m", dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return secd_repo_fail(j, -errno, "State=%s: %m", dir);
	lfd = openat(dfd, SERIAL_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX)) {
		r = secd_repo_fail(j, -errno, "%s/%s: %m", dir, SERIAL_LOCK);
		goto close_dir;
	}
	r = read_serial(j, dfd, j->m->id, &seen);
	if (!r && j->m->serial < seen)
		r = secd_repo_fail(j, -ESTALE,
				   "repository %s: manifest serial %" PRIu64
				   " is older than %" PRIu64
				   ", the newest this host has "
				   "seen (a rollback?)",
				   j->m->id, j->m->serial, seen);
	else if (!r && j->m->serial > seen)
		r = write_serial(j, dfd, j->m->id, j->m->serial);
close_dir:
	if (lfd >= 0)
		close(lfd);
	close(dfd);
	return r;
}

static int fetch_manifest(struct secd_repo_job *j)
{
	struct ofs_manifest_error err;
	EVP_PKEY **keys = NULL;
	size_t n_keys = 0, len, sig_len;
	char *text = NULL, *sig = NULL;
	int r;

	r = load_keys(j, &keys, &n_keys);
	if (!r)
		r = fetch_member(j, OFS_MANIFEST_FILE, OFS_MANIFEST_MAX_SIZE, &text,
				 &len);
	if (!r)
		r = fetch_member(j, OFS_MANIFEST_SIG_FILE, OFS_MANIFEST_SIG_MAX_SIZE,
				 &sig, &sig_len);
	if (!r) {
		r = ofs_manifest_verify_signed(text, len, (const uint8_t *)sig, sig_len,
					       keys, n_keys, 0, &j->m, &err);
		if (r)
			secd_repo_fail(j, r, "repository %s: %s", j->c->repo_url,
				       err.what);
	}
	free(text);
	free(sig);
	ofs_pubkeys_free(keys, n_keys);
	return r ? r : check_rollback(j);
}

/* "it has: vm 1.0, vm 1.1, other 2 (and 3 more)" */
static void list_images(const struct ofs_manifest *m, const char *name,
			char *out, size_t size)
{
	size_t i, shown = 0, n = 0, len = 0;

	out[0] = '\0';
	/* The versions of that name first: most likely what was meant. */
	for (int pass = 0; pass < 2; pass++)
		for (i = 0; i < m->n_images; i++) {
			const struct ofs_manifest_image *img = &m->images[i];

			if ((pass == 0) != !strcmp(img->name, name))
				continue;
			n++;
			if (shown == LIST_MAX || len >= size)
				continue;
			len += (size_t)snprintf(out + len, size - len, "%s%s %s",
						shown ? ", " : "", img->name,
						img->version);
			shown++;
		}
	if (n > shown && len < size)
		snprintf(out + len, size - len, " (and %zu more)", n - shown);
	if (!n)
		snprintf(out, size, "no images");
}

static int check_request(struct secd_repo_job *j)
{
	const char *version = j->f->version;

	if (!j->f->image || ofs_manifest_name_valid(j->f->image))
		return secd_repo_fail(j, -EINVAL,
				      "image name \"%.64s\": expected 1 to %d of "
				      "A-Z a-z 0-9 . _ + -",
				      j->f->image ? j->f->image : "",
				      OFS_MANIFEST_NAME_MAX);
	if (version && version[0] && ofs_manifest_name_valid(version))
		return secd_repo_fail(j, -EINVAL,
				      "image version \"%.64s\": expected 1 to %d "
				      "of A-Z a-z 0-9 . _ + -",
				      version, OFS_MANIFEST_NAME_MAX);
	return 0;
}

static int pick_image(struct secd_repo_job *j)
{
	const char *version = j->f->version ? j->f->version : "";
	char list[256];

	j->img = ofs_manifest_find(j->m, j->f->image, version);
	if (j->img)
		return 0;
	list_images(j->m, j->f->image, list, sizeof(list));
	return secd_repo_fail(j, -ENOENT,
			      "image %s%s%s is not in repository %s (serial %" PRIu64
			      "); it has: %s",
			      j->f->image, version[0] ? " version " : "", version,
			      j->m->id, j->m->serial, list);
}

/* ---- hashing ---- */

/*
 * Size and SHA-256 of fd against the manifest's, reading exactly size
 * bytes; progress counts them.
 */
int secd_repo_check_digest(struct secd_repo_job *j, int fd, uint32_t k,
			   uint64_t *hashed, uint64_t total)
{
	const struct ofs_manifest_component *mc = &j->img->comp[k];
	char want[2 * OFS_SHA256_LEN + 1], got[2 * OFS_SHA256_LEN + 1];
	uint8_t d[OFS_SHA256_LEN], *buf;
	EVP_MD_CTX *ctx;
	struct stat st;
	uint64_t at = 0;
	ssize_t n = 0;
	int r = 0;

	if (fstat(fd, &st))
		return secd_repo_fail(j, -errno, "%s: %m", ofs_component_name(k));
	if ((uint64_t)st.st_size != mc->size)
		return secd_repo_fail(
			j, -EBADMSG,
			"%s: %" PRIu64 " bytes, the manifest says %" PRIu64,
			ofs_component_name(k), (uint64_t)st.st_size, mc->size);
	buf = malloc(HASH_CHUNK);
	ctx = EVP_MD_CTX_new();
	if (!buf || !ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		r = -ENOMEM;
	while (!r && at < mc->size) {
		if (secd_repo_cancelled(j)) {
			r = secd_repo_fail(j, -ECANCELED, "cancelled");
			break;
		}
		n = pread(fd, buf, mc->size - at < HASH_CHUNK ? mc->size - at :
			  HASH_CHUNK, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = secd_repo_fail(j, -errno, "%s: %m", ofs_component_name(k));
		else if (!n)
			r = secd_repo_fail(j, -EBADMSG, "%s: shorter than the manifest "
					   "says", ofs_component_name(k));
		else if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			r = -EIO;
		at += n > 0 ? (uint64_t)n : 0;
		secd_repo_progress(j, *hashed + at, total);
	}
	if (!r && EVP_DigestFinal_ex(ctx, d, NULL) != 1)
		r = -EIO;
	EVP_MD_CTX_free(ctx);
	free(buf);
	*hashed += at;
	if (r || !memcmp(d, mc->sha256, OFS_SHA256_LEN))
		return r;
	ofs_hex(d, OFS_SHA256_LEN, got);
	ofs_hex(mc->sha256, OFS_SHA256_LEN, want);
	return secd_repo_fail(j, -EBADMSG, "%s: SHA-256 %s, expected %s",
			      ofs_component_name(k), got, want);
}

/* VERIFY of a directory repository: each component hashed where it is. */
static int verify_in_place(struct secd_repo_job *j, uint32_t k, uint64_t *hashed,
			   uint64_t total, struct secd_image *out)
{
	struct ofs_manifest_error err;
	int fd;

	fd = ofs_manifest_open_component(j->src.base, j->img->comp[k].path, &err);
	if (fd < 0)
		return secd_repo_fail(j, fd == -EINVAL ? -EBADMSG :
				      fd == -ENOENT ? -ENODATA : fd, "%s: %s",
				      ofs_component_name(k), err.what);
	out->fd[k] = fd;
	return secd_repo_check_digest(j, fd, k, hashed, total);
}

static int verify_components(struct secd_repo_job *j, struct secd_image *out)
{
	uint64_t total = 0, hashed = 0;
	uint32_t k;
	int r = 0;

	for (k = 0; k < OFS_MAX_COMPONENTS; k++)
		if (j->comp[k].present && j->comp[k].dup_of < 0 &&
		    (!j->src.http || j->comp[k].part_fd >= 0))
			total += j->img->comp[k].size;
	secd_repo_progress(j, 0, total);
	for (k = 0; !r && k < OFS_MAX_COMPONENTS; k++) {
		if (!j->comp[k].present || j->comp[k].dup_of >= 0)
			continue;
		if (!j->src.http)
			r = verify_in_place(j, k, &hashed, total, out);
		else if (j->comp[k].part_fd >= 0)
			r = secd_repo_cache_commit(j, k, &hashed, total, out);
	}
	for (k = 0; !r && k < OFS_MAX_COMPONENTS; k++) {
		if (j->comp[k].dup_of < 0)
			continue;
		out->fd[k] = dup(out->fd[j->comp[k].dup_of]);
		if (out->fd[k] < 0)
			r = secd_repo_fail(j, -errno, "%s: %m", ofs_component_name(k));
	}
	return r;
}

static void plan(struct secd_repo_job *j)
{
	uint32_t k, i;

	for (k = 0; k < OFS_MAX_COMPONENTS; k++) {
		struct secd_repo_comp *cp = &j->comp[k];

		cp->part_fd = -1;
		cp->dup_of = -1;
		cp->present = j->img->present & (1u << k);
		if (!cp->present)
			continue;
		ofs_hex(j->img->comp[k].sha256, OFS_SHA256_LEN, cp->hex);
		for (i = 0; i < k && cp->dup_of < 0; i++)
			if (j->comp[i].present && !strcmp(j->comp[i].hex, cp->hex))
				cp->dup_of = (int)i;
	}
}

int secd_repo_fetch_image(struct secd_repo_fetch *f, struct secd_image *out)
{
	struct secd_repo_job j = {.f = f, .c = f->config};
	uint32_t k;
	int r;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < OFS_MAX_COMPONENTS; k++)
		out->fd[k] = j.comp[k].part_fd = -1;
	f->reason[0] = '\0';
	r = set_stage(&j, SECD_STAGE_FETCH);
	if (!r)
		r = check_request(&j);
	if (!r)
		r = parse_url(&j, j.c->repo_url);
	if (!r)
		r = fetch_manifest(&j);
	if (!r)
		r = pick_image(&j);
	if (!r) {
		plan(&j);
		if (j.src.http)
			r = secd_repo_cache_fetch(&j, out);
	}
	if (!r)
		r = set_stage(&j, SECD_STAGE_VERIFY);
	if (!r)
		r = verify_components(&j, out);
	if (!r && j.src.http)
		secd_repo_cache_prune(&j);
	if (!r) {
		out->img = *j.img;
		out->manifest_serial = j.m->serial;
	}
	for (k = 0; k < OFS_MAX_COMPONENTS; k++)
		if (j.comp[k].part_fd >= 0)
			close(j.comp[k].part_fd);	/* kept to resume */
	ofs_manifest_free(j.m);
	if (r)
		secd_image_close(out);
	return r;
}

static int launch_set_stage(void *userdata, enum secd_stage s)
{
	return secd_launch_set_stage(userdata, s);
}

int secd_repo_open_image(struct secd_launch *l, const struct secd_config *c,
			 struct secd_image *out)
{
	struct secd_repo_fetch f = {
		.config = c,
		.image = l->req.image,
		.version = l->req.version,
		.cancel = &l->cancel,
		.progress_done = &l->progress_done,
		.progress_total = &l->progress_total,
		.set_stage = launch_set_stage,
		.userdata = l,
	};
	int r = secd_repo_fetch_image(&f, out);

	if (r)
		return secd_launch_fail(l, r, "%s", f.reason);
	snprintf(l->result.version, sizeof(l->result.version), "%s", out->img.version);
	secd_log(l, LOG_INFO, "image %s %s from repository serial %" PRIu64 " verified",
		 out->img.name, out->img.version, out->manifest_serial);
	return 0;
}

void secd_image_close(struct secd_image *img)
{
	uint32_t k;

	for (k = 0; k < OFS_MAX_COMPONENTS; k++) {
		if (img->fd[k] >= 0)
			close(img->fd[k]);
		img->fd[k] = -1;
	}
}
