// SPDX-License-Identifier: MIT
/*
 * daemon/repo.c: a repository built and signed with the library, opened
 * as a directory (by openat2() and by the openat() walk that stands in for
 * it under a seccomp filter), as file:// and over HTTP (the in-process
 * server); the second HTTP open served from the cache; the newest version
 * picked; refusals: another signer (-EKEYREJECTED), a component that is
 * not the signed one (-EBADMSG, nothing left in the cache), an older
 * manifest after a newer one (-ESTALE), an image or version the manifest
 * lacks (-ENOENT, naming what it has); cancellation; two launches fetching
 * the same components at once (one download each); CacheMax: the least
 * recently used go, not what a launch holds nor the fetching launch's own,
 * and 0 keeps everything.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ofs-http.h"
#include "ofs-identity.h"
#include "ofs-manifest.h"
#include "ofs-util.h"
#include "secd.h"
#include "http-test.h"
#include "repo-test.h"

#define N_FILES		6

/* name, bytes: the repository's component files */
static const struct {
	const char *path;
	size_t len;
} files[N_FILES] = {
	{ "kernel-1.0", 3000 }, { "initrd-1.0", 5000 },
	{ "kernel-1.9", 3100 }, { "initrd-1.9", 5100 },
	{ "initrd-1.10", 20000 }, { "cmdline#1.10", 40 },
};

struct fx {
	char root[64], repo[96], cache[96], state[96], pub[96], other_pub[96];
	char url[160];
	EVP_PKEY *key, *other;
	uint8_t *data[N_FILES];
	char *manifest, *sig;		/* served over HTTP */
	size_t manifest_len, sig_len;
	struct test_server s;
	struct secd_config c;
	struct secd_image img;
	struct secd_repo_fetch f;
	atomic_bool cancel;
	_Atomic uint64_t done, total;
	enum secd_stage stages[4];
	unsigned int n_stages;
};

/* Component k of img: file i of the table. */
static void component(struct ofs_manifest_image *img, uint32_t k,
		      const struct fx *f, unsigned int i)
{
	rt_component(img, k, files[i].path, f->data[i], files[i].len);
}

static void add(struct ofs_manifest *m, struct fx *f, const char *version,
		int kernel, int initrd, int cmdline)
{
	struct ofs_manifest_image img = { .name = "vm" };

	snprintf(img.version, sizeof(img.version), "%s", version);
	if (kernel >= 0)
		component(&img, OFS_COMPONENT_KERNEL, f, (unsigned int)kernel);
	if (initrd >= 0)
		component(&img, OFS_COMPONENT_INITRD, f, (unsigned int)initrd);
	if (cmdline >= 0)
		component(&img, OFS_COMPONENT_CMDLINE, f, (unsigned int)cmdline);
	assert_int_equal(ofs_manifest_add(m, &img, NULL), 0);
}

/* The manifest and signature, as the server hands them out. */
static void serve_manifest(struct fx *f)
{
	free(f->manifest);
	free(f->sig);
	f->manifest = rt_get(f->repo, OFS_MANIFEST_FILE, &f->manifest_len);
	f->sig = rt_get(f->repo, OFS_MANIFEST_SIG_FILE, &f->sig_len);
	ts_add_file(&f->s, "/repo/" OFS_MANIFEST_FILE, f->manifest, f->manifest_len);
	ts_add_file(&f->s, "/repo/" OFS_MANIFEST_SIG_FILE, f->sig, f->sig_len);
}

static int stage_hook(void *userdata, enum secd_stage s)
{
	struct fx *f = userdata;

	if (f->n_stages < 4)
		f->stages[f->n_stages++] = s;
	atomic_store(&f->done, 0);
	atomic_store(&f->total, 0);
	return atomic_load(&f->cancel) ? -ECANCELED : 0;
}

/* vm 1.0 (kernel, initrd), 1.9 (kernel, initrd), 1.10 (1.9's kernel, initrd, cmdline). */
static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct ofs_manifest *m;
	struct fx *f = calloc(1, sizeof(*f));
	char path[256];
	unsigned int i;
	size_t b;

	if (!f)
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/test-secd-repo.XXXXXX",
		 tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(f->root))
		return -1;
	snprintf(f->repo, sizeof(f->repo), "%s/repo", f->root);
	snprintf(f->cache, sizeof(f->cache), "%s/cache", f->root);
	snprintf(f->state, sizeof(f->state), "%s/state", f->root);
	snprintf(f->pub, sizeof(f->pub), "%s/key.pub.pem", f->root);
	snprintf(f->other_pub, sizeof(f->other_pub), "%s/other.pub.pem", f->root);
	f->key = EVP_EC_gen("P-384");
	f->other = EVP_EC_gen("P-384");
	if (mkdir(f->repo, 0700) || !f->key || !f->other ||
	    ofs_pubkeys_save_pem(f->pub, &f->key, 1, 0644) ||
	    ofs_pubkeys_save_pem(f->other_pub, &f->other, 1, 0644))
		return -1;
	for (i = 0; i < N_FILES; i++) {
		f->data[i] = malloc(files[i].len);
		if (!f->data[i])
			return -1;
		for (b = 0; b < files[i].len; b++)
			f->data[i][b] = (uint8_t)(b * (7 + 2 * i) + i);
		rt_put(f->repo, files[i].path, f->data[i], files[i].len);
	}
	if (ofs_manifest_new("test-repo", &m))
		return -1;
	add(m, f, "1.0", 0, 1, -1);
	add(m, f, "1.9", 2, 3, -1);
	add(m, f, "1.10", 2, 4, 5);
	if (ofs_manifest_save(f->repo, m, NULL) ||
	    ofs_manifest_sign(f->repo, f->key, NULL, NULL))
		return -1;
	ofs_manifest_free(m);

	if (ts_start(&f->s))
		return -1;
	for (i = 0; i < N_FILES; i++) {
		snprintf(path, sizeof(path), "/repo/%s", files[i].path);
		ts_add_file(&f->s, path, f->data[i], files[i].len);
	}
	serve_manifest(f);

	f->c.repo_url = f->repo;
	f->c.repo_key = f->pub;
	f->c.cache_dir = f->cache;
	f->c.state_dir = f->state;
	f->c.fetch_timeout = 10;
	f->c.fetch_retries = 1;
	f->f = (struct secd_repo_fetch){
		.config = &f->c, .image = "vm", .version = "1.0",
		.cancel = &f->cancel, .progress_done = &f->done,
		.progress_total = &f->total, .set_stage = stage_hook, .userdata = f,
	};
	for (i = 0; i < OFS_MAX_COMPONENTS; i++)
		f->img.fd[i] = -1;
	*state = f;
	return 0;
}

static void remove_tree(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			remove_tree(path);
		else
			unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	unsigned int i;

	ts_stop(&f->s);
	secd_image_close(&f->img);
	remove_tree(f->root);
	for (i = 0; i < N_FILES; i++)
		free(f->data[i]);
	free(f->manifest);
	free(f->sig);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->other);
	free(f);
	return 0;
}

/* A directory repository read as under systemd's RestrictSUIDSGID= filter. */
static int setup_walk(void **state)
{
	ofs_manifest_test_walk_only(true);
	return setup(state);
}

static int teardown_walk(void **state)
{
	ofs_manifest_test_walk_only(false);
	return teardown(state);
}

static void use_http(struct fx *f)
{
	snprintf(f->url, sizeof(f->url), "%s/repo", f->s.url);
	f->c.repo_url = f->url;
}

/* fd holds exactly file i. */
static void check_fd(const struct fx *f, int fd, unsigned int i)
{
	uint8_t *buf = malloc(files[i].len + 1);
	struct stat st;

	assert_non_null(buf);
	assert_true(fd >= 0);
	assert_true((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, files[i].len);
	assert_int_equal(pread(fd, buf, files[i].len + 1, 0), files[i].len);
	assert_memory_equal(buf, f->data[i], files[i].len);
	free(buf);
}

/* Files in the cache, and whether any is a leftover .part. */
static unsigned int cache_files(const struct fx *f, bool *parts)
{
	char path[512];
	unsigned int n = 0;
	struct dirent *e;
	struct stat st;
	DIR *d;

	snprintf(path, sizeof(path), "%s/sha256", f->cache);
	d = opendir(path);
	*parts = false;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		*parts |= strstr(e->d_name, ".part") != NULL;
		snprintf(path, sizeof(path), "%s/sha256/%s", f->cache, e->d_name);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	if (d)
		closedir(d);
	return n;
}

static void directory_ok(void **state)
{
	struct fx *f = *state;
	bool parts;

	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), 0);
	assert_string_equal(f->img.img.name, "vm");
	assert_string_equal(f->img.img.version, "1.0");
	assert_int_equal(f->img.manifest_serial, 1);
	check_fd(f, f->img.fd[OFS_COMPONENT_KERNEL], 0);
	check_fd(f, f->img.fd[OFS_COMPONENT_INITRD], 1);
	assert_int_equal(f->img.fd[OFS_COMPONENT_CMDLINE], -1);
	assert_int_equal(f->n_stages, 2);
	assert_int_equal(f->stages[0], SECD_STAGE_FETCH);
	assert_int_equal(f->stages[1], SECD_STAGE_VERIFY);
	assert_int_equal(atomic_load(&f->total), 8000);
	assert_int_equal(atomic_load(&f->done), 8000);
	assert_int_equal(cache_files(f, &parts), 0);	/* read in place */
	secd_image_close(&f->img);

	snprintf(f->url, sizeof(f->url), "file://%s", f->repo);
	f->c.repo_url = f->url;
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), 0);
	check_fd(f, f->img.fd[OFS_COMPONENT_INITRD], 1);
}

static void newest_version(void **state)
{
	struct fx *f = *state;

	f->f.version = "";
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), 0);
	assert_string_equal(f->img.img.version, "1.10");	/* not 1.9 */
	check_fd(f, f->img.fd[OFS_COMPONENT_KERNEL], 2);
	check_fd(f, f->img.fd[OFS_COMPONENT_INITRD], 4);
	check_fd(f, f->img.fd[OFS_COMPONENT_CMDLINE], 5);
}

static void http_then_cache(void **state)
{
	struct fx *f = *state;
	unsigned int before;
	bool parts;

	use_http(f);
	f->f.version = "1.10";
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), 0);
	check_fd(f, f->img.fd[OFS_COMPONENT_KERNEL], 2);
	check_fd(f, f->img.fd[OFS_COMPONENT_INITRD], 4);
	check_fd(f, f->img.fd[OFS_COMPONENT_CMDLINE], 5);	/* "#" escaped */
	assert_int_equal(atomic_load(&f->s.file_requests), 5);
	assert_int_equal(cache_files(f, &parts), 3);
	assert_false(parts);
	assert_string_equal(f->s.last_agent, OFS_HTTP_USER_AGENT);
	secd_image_close(&f->img);

	/* Again: only the manifest and its signature cross the network. */
	before = atomic_load(&f->s.file_requests);
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), 0);
	assert_int_equal(atomic_load(&f->s.file_requests), before + 2);
	check_fd(f, f->img.fd[OFS_COMPONENT_INITRD], 4);
	secd_image_close(&f->img);

	/* A cached file of the wrong size is fetched again. */
	{
		char path[256], hex[2 * OFS_SHA256_LEN + 1];
		uint8_t d[OFS_SHA256_LEN];

		SHA256(f->data[4], files[4].len, d);
		ofs_hex(d, sizeof(d), hex);
		snprintf(path, sizeof(path), "%s/sha256/%s", f->cache, hex);
		assert_int_equal(truncate(path, 100), 0);
	}
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), 0);
	assert_int_equal(atomic_load(&f->s.file_requests), before + 5);
	check_fd(f, f->img.fd[OFS_COMPONENT_INITRD], 4);
}

static void resume_partial(void **state)
{
	struct fx *f = *state;
	char path[256], hex[2 * OFS_SHA256_LEN + 1];
	uint8_t d[OFS_SHA256_LEN];

	use_http(f);
	mkdir(f->cache, 0700);
	snprintf(path, sizeof(path), "%s/sha256", f->cache);
	mkdir(path, 0700);
	SHA256(f->data[1], files[1].len, d);
	ofs_hex(d, sizeof(d), hex);
	snprintf(path, sizeof(path), "sha256/%s.part", hex);
	rt_put(f->cache, path, f->data[1], 1234);
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), 0);
	check_fd(f, f->img.fd[OFS_COMPONENT_INITRD], 1);
	/* The initrd was fetched last (the kernel's digest sorts first)? */
	SHA256(f->data[0], files[0].len, d);
	{
		char khex[2 * OFS_SHA256_LEN + 1];

		ofs_hex(d, sizeof(d), khex);
		assert_string_equal(f->s.last_range,
				    strcmp(khex, hex) < 0 ? "bytes=1234-" : "");
	}
}

static void bad_signature(void **state)
{
	struct fx *f = *state;

	f->c.repo_key = f->other_pub;
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), -EKEYREJECTED);
	assert_non_null(strstr(f->f.reason, "does not verify under the repository key"));
	assert_int_equal(f->img.fd[OFS_COMPONENT_KERNEL], -1);

	/* Over HTTP, with the signature of another signer served. */
	f->c.repo_key = f->pub;
	use_http(f);
	assert_int_equal(ofs_manifest_sign(f->repo, f->other, NULL, NULL), 0);
	serve_manifest(f);
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), -EKEYREJECTED);
	assert_int_equal(f->n_stages, 2);
	assert_int_equal(f->stages[1], SECD_STAGE_FETCH);

	/* Nor does a missing key file make anything verify. */
	f->c.repo_key = "/nonexistent/key.pem";
	assert_int_not_equal(secd_repo_fetch_image(&f->f, &f->img), 0);
	assert_non_null(strstr(f->f.reason, "Repository.Key=/nonexistent/key.pem"));
}

static void wrong_digest(void **state)
{
	struct fx *f = *state;
	uint8_t *evil = malloc(files[1].len);
	bool parts;

	assert_non_null(evil);
	memcpy(evil, f->data[1], files[1].len);
	evil[100] ^= 1;

	/* Over HTTP: refused, and nothing of it stays in the cache. */
	use_http(f);
	ts_add_file(&f->s, "/repo/initrd-1.0", evil, files[1].len);
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), -EBADMSG);
	assert_non_null(strstr(f->f.reason, "initrd: SHA-256 "));
	assert_non_null(strstr(f->f.reason, ", expected "));
	assert_int_equal(f->stages[f->n_stages - 1], SECD_STAGE_VERIFY);
	assert_int_equal(f->img.fd[OFS_COMPONENT_KERNEL], -1);
	cache_files(f, &parts);
	assert_false(parts);

	/* One byte too many: refused as well. */
	evil = realloc(evil, files[1].len + 1);
	assert_non_null(evil);
	memcpy(evil, f->data[1], files[1].len);
	evil[files[1].len] = 'x';
	ts_add_file(&f->s, "/repo/initrd-1.0", evil, files[1].len + 1);
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), -EBADMSG);
	cache_files(f, &parts);
	assert_false(parts);

	/* In a directory: the file as it is now is what counts. */
	evil[100] ^= 1;
	f->c.repo_url = f->repo;
	rt_put(f->repo, "initrd-1.0", evil, files[1].len);
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), -EBADMSG);
	assert_non_null(strstr(f->f.reason, "initrd: SHA-256 "));
	free(evil);
}

static void rollback(void **state)
{
	struct fx *f = *state;
	char *old_manifest, *old_sig;
	size_t old_len, old_sig_len;

	old_manifest = rt_get(f->repo, OFS_MANIFEST_FILE, &old_len);
	old_sig = rt_get(f->repo, OFS_MANIFEST_SIG_FILE, &old_sig_len);
	assert_int_equal(ofs_manifest_sign(f->repo, f->key, NULL, NULL), 0);
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), 0);
	assert_int_equal(f->img.manifest_serial, 2);
	secd_image_close(&f->img);

	/* The older, validly signed manifest comes back: refused. */
	rt_put(f->repo, OFS_MANIFEST_FILE, old_manifest, old_len);
	rt_put(f->repo, OFS_MANIFEST_SIG_FILE, old_sig, old_sig_len);
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), -ESTALE);
	assert_non_null(strstr(f->f.reason, "serial 1 is older than 2"));
	free(old_manifest);
	free(old_sig);
}

static void unknown_image(void **state)
{
	struct fx *f = *state;

	f->f.image = "nope";
	f->f.version = "";
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), -ENOENT);
	assert_string_equal(f->f.reason, "image nope is not in repository test-repo "
			    "(serial 1); it has: vm 1.0, vm 1.9, vm 1.10");

	f->f.image = "vm";
	f->f.version = "2.0";
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), -ENOENT);
	assert_non_null(strstr(f->f.reason, "image vm version 2.0 is not in "));

	f->f.version = "../1.0";
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), -EINVAL);
	assert_non_null(strstr(f->f.reason, "image version \"../1.0\": expected"));
}

static void cancelled(void **state)
{
	struct fx *f = *state;

	use_http(f);
	atomic_store(&f->cancel, true);
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), -ECANCELED);
	assert_int_equal(f->img.fd[OFS_COMPONENT_KERNEL], -1);
}

static bool trickle_hook(struct test_server *s, const char *method,
			 const char *path, const char *body, size_t len,
			 struct ts_answer *a)
{
	struct fx *f = s->data;

	if (strcmp(path, "/repo/initrd-1.10"))
		return false;
	atomic_fetch_add(&s->file_requests, 1);
	ts_answer_copy(a, 200, f->data[4], files[4].len);
	a->trickle_ms = 20;
	return true;
}

struct racer {
	struct fx *f;
	struct secd_repo_fetch rf;
	struct secd_image img;
	int r;
};

static void *race(void *arg)
{
	struct racer *x = arg;

	x->r = secd_repo_fetch_image(&x->rf, &x->img);
	return NULL;
}

static void concurrent_fetch(void **state)
{
	struct fx *f = *state;
	struct racer x[3];
	pthread_t t[3];
	unsigned int i;
	bool parts;

	use_http(f);
	f->s.data = f;
	f->s.hook = trickle_hook;
	for (i = 0; i < 3; i++) {
		x[i].f = f;
		x[i].rf = (struct secd_repo_fetch){ .config = &f->c, .image = "vm",
						    .version = "1.10" };
		assert_int_equal(pthread_create(&t[i], NULL, race, &x[i]), 0);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(x[i].r, 0);
		check_fd(f, x[i].img.fd[OFS_COMPONENT_INITRD], 4);
		secd_image_close(&x[i].img);
	}
	/* Three manifests and signatures, each component once. */
	assert_int_equal(atomic_load(&f->s.file_requests), 3 * 2 + 3);
	assert_int_equal(cache_files(f, &parts), 3);
	assert_false(parts);
}

/* ---- CacheMax ---- */

/* cache/sha256/<digest of file i><suffix> */
static void cached_path(const struct fx *f, unsigned int i, const char *suffix,
			char *out, size_t size)
{
	char hex[2 * OFS_SHA256_LEN + 1];
	uint8_t d[OFS_SHA256_LEN];

	SHA256(f->data[i], files[i].len, d);
	ofs_hex(d, sizeof(d), hex);
	snprintf(out, size, "%s/sha256/%s%s", f->cache, hex, suffix);
}

static bool cached(const struct fx *f, unsigned int i)
{
	char path[256];

	cached_path(f, i, "", path, sizeof(path));
	return !access(path, F_OK);
}

/* File i of the cache last used that many seconds ago. */
static void age(const struct fx *f, unsigned int i, time_t seconds)
{
	struct timespec t[2] = { { time(NULL) - seconds, 0 } };
	char path[256];

	t[1] = t[0];
	cached_path(f, i, "", path, sizeof(path));
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static void fetch(struct fx *f, const char *image, const char *version)
{
	f->f.image = image;
	f->f.version = version;
	assert_int_equal(secd_repo_fetch_image(&f->f, &f->img), 0);
}

/* Images a (file 0, 3000 bytes), b (file 2, 3100) and c (file 1, 5000), over HTTP. */
static void single_images(struct fx *f)
{
	static const struct { const char *name; unsigned int file; } list[] = {
		{ "a", 0 }, { "b", 2 }, { "c", 1 },
	};
	struct ofs_manifest *m;
	unsigned int i;

	assert_int_equal(ofs_manifest_new("test-repo", &m), 0);
	for (i = 0; i < 3; i++) {
		struct ofs_manifest_image img = { .version = "1" };

		snprintf(img.name, sizeof(img.name), "%s", list[i].name);
		component(&img, OFS_COMPONENT_KERNEL, f, list[i].file);
		assert_int_equal(ofs_manifest_add(m, &img, NULL), 0);
	}
	assert_int_equal(ofs_manifest_save(f->repo, m, NULL), 0);
	assert_int_equal(ofs_manifest_sign(f->repo, f->key, NULL, NULL), 0);
	ofs_manifest_free(m);
	serve_manifest(f);
	use_http(f);
}

static void cache_lru(void **state)
{
	struct fx *f = *state;
	unsigned int before;
	char path[256];
	struct stat st;

	single_images(f);
	f->c.cache_max = 8200;
	fetch(f, "a", "");
	secd_image_close(&f->img);
	age(f, 0, 100);
	fetch(f, "b", "");
	secd_image_close(&f->img);
	age(f, 2, 50);
	assert_true(cached(f, 0) && cached(f, 2));	/* 6100 bytes fit */

	/* a used again, from the cache: now b is the least recently used. */
	before = atomic_load(&f->s.file_requests);
	fetch(f, "a", "");
	assert_int_equal(atomic_load(&f->s.file_requests), before + 2);
	secd_image_close(&f->img);
	cached_path(f, 0, "", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_mtime >= time(NULL) - 10);

	fetch(f, "c", "");	/* 11100 bytes: b goes, 8000 stay */
	check_fd(f, f->img.fd[OFS_COMPONENT_KERNEL], 1);
	assert_true(cached(f, 0));
	assert_true(cached(f, 1));
	assert_false(cached(f, 2));
}

static void cache_in_use_kept(void **state)
{
	struct fx *f = *state;
	struct secd_image held;
	char path[256], part[256];
	unsigned int k;
	bool parts;
	int fd;

	single_images(f);
	f->c.cache_max = 5000;
	fetch(f, "a", "");
	held = f->img;		/* a launch still streaming a */
	for (k = 0; k < OFS_MAX_COMPONENTS; k++)
		f->img.fd[k] = -1;
	cached_path(f, 0, "", path, sizeof(path));
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);	/* held shared */
	assert_int_equal(errno, EWOULDBLOCK);
	close(fd);
	age(f, 0, 100);
	/* Someone's download on its way: not a component yet, never pruned. */
	snprintf(part, sizeof(part), "%s/sha256/%064d.part", f->cache, 0);
	rt_put(f->cache, part + strlen(f->cache) + 1, f->data[0], 64);
	assert_int_equal(chmod(part, 0600), 0);

	fetch(f, "b", "");	/* 6100 bytes, but a is in use */
	secd_image_close(&f->img);
	assert_true(cached(f, 0) && cached(f, 2));
	check_fd(f, held.fd[OFS_COMPONENT_KERNEL], 0);
	secd_image_close(&held);
	age(f, 2, 50);

	fetch(f, "c", "");	/* a and b go: exactly CacheMax stays */
	assert_false(cached(f, 0));
	assert_false(cached(f, 2));
	assert_true(cached(f, 1));
	assert_int_equal(access(part, F_OK), 0);
	assert_int_equal(cache_files(f, &parts), 2);
	assert_true(parts);
}

static void cache_unbounded(void **state)
{
	struct fx *f = *state;
	unsigned int i;
	bool parts;

	use_http(f);
	f->c.cache_max = 0;
	fetch(f, "vm", "1.0");
	secd_image_close(&f->img);
	for (i = 0; i < 2; i++)
		age(f, i, 1000);
	fetch(f, "vm", "1.9");
	secd_image_close(&f->img);
	fetch(f, "vm", "1.10");
	assert_int_equal(cache_files(f, &parts), N_FILES);
	assert_false(parts);
}

static void cache_own_kept(void **state)
{
	struct fx *f = *state;
	bool parts;

	use_http(f);
	f->c.cache_max = 1000;	/* less than any image */
	fetch(f, "vm", "1.10");
	check_fd(f, f->img.fd[OFS_COMPONENT_KERNEL], 2);
	check_fd(f, f->img.fd[OFS_COMPONENT_INITRD], 4);
	check_fd(f, f->img.fd[OFS_COMPONENT_CMDLINE], 5);
	assert_int_equal(cache_files(f, &parts), 3);
	secd_image_close(&f->img);

	fetch(f, "vm", "1.0");	/* 1.10's go, 1.0's stay though too large */
	check_fd(f, f->img.fd[OFS_COMPONENT_KERNEL], 0);
	check_fd(f, f->img.fd[OFS_COMPONENT_INITRD], 1);
	assert_int_equal(cache_files(f, &parts), 2);
	assert_true(cached(f, 0) && cached(f, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(directory_ok, setup, teardown),
		{ "directory_ok (openat walk)", directory_ok, setup_walk,
		  teardown_walk, NULL },
		cmocka_unit_test_setup_teardown(newest_version, setup, teardown),
		cmocka_unit_test_setup_teardown(http_then_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(resume_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_image, setup, teardown),
		cmocka_unit_test_setup_teardown(cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(cache_lru, setup, teardown),
		cmocka_unit_test_setup_teardown(cache_in_use_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(cache_unbounded, setup, teardown),
		cmocka_unit_test_setup_teardown(cache_own_kept, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
