// SPDX-License-Identifier: MIT
/*
 * The signed image repository: the manifest's round trip, each strict-
 * parse rejection, signing and verification (another key, a tampered
 * manifest or signature, tampered component files, a symlink out of the
 * repository, a rollback), and the offload-ras policy generated from it,
 * loaded by the policy parser.  Component paths are resolved both by
 * openat2() and by the walk that stands in for it under a seccomp filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ofs-manifest.h"
#include "ofs-policy.h"
#include "repo-test.h"

#define H64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

struct fx {
	char dir[64];
	EVP_PKEY *key, *other;
	uint8_t kernel[3000], initrd[5000];
	struct ofs_manifest_error err;
};

/* A repository with one image (kernel, initrd), signed once: serial 1. */
static int setup(void **state)
{
	struct ofs_manifest_image img = { .name = "vm", .version = "1.0" };
	struct ofs_manifest *m;
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	size_t i;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/test-manifest.XXXXXX",
		 tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	f->key = EVP_EC_gen("P-384");
	f->other = EVP_EC_gen("P-384");
	if (!mkdtemp(f->dir) || !f->key || !f->other)
		return -1;
	for (i = 0; i < sizeof(f->kernel); i++)
		f->kernel[i] = (uint8_t)(i * 7);
	for (i = 0; i < sizeof(f->initrd); i++)
		f->initrd[i] = (uint8_t)(i * 13 + 1);
	rt_put(f->dir, "kernel", f->kernel, sizeof(f->kernel));
	rt_put(f->dir, "initrd", f->initrd, sizeof(f->initrd));
	rt_component(&img, OFS_COMPONENT_KERNEL, "kernel", f->kernel, sizeof(f->kernel));
	rt_component(&img, OFS_COMPONENT_INITRD, "initrd", f->initrd, sizeof(f->initrd));
	if (ofs_manifest_new("test-repo", &m) || ofs_manifest_add(m, &img, NULL) ||
	    ofs_manifest_save(f->dir, m, NULL) ||
	    ofs_manifest_sign(f->dir, f->key, NULL, NULL))
		return -1;
	ofs_manifest_free(m);
	*state = f;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->other);
	free(f);
	return 0;
}

/* The same, with component paths resolved as under a seccomp filter. */
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

static void round_trip(void **state)
{
	struct fx *f = *state;
	struct ofs_manifest *m, *again;
	char *text, *text2;
	size_t len, len2;

	assert_int_equal(ofs_manifest_verify(f->dir, f->key, 1, &m, &f->err), 0);
	assert_string_equal(m->id, "test-repo");
	assert_int_equal(m->serial, 1);
	assert_int_equal(m->n_images, 1);
	assert_string_equal(m->images[0].name, "vm");
	assert_int_equal(m->images[0].present, 3);
	assert_int_equal(m->images[0].comp[OFS_COMPONENT_INITRD].size, 5000);
	assert_int_equal(ofs_manifest_encode(m, &text, &len), 0);
	assert_int_equal(ofs_manifest_parse(text, len, &again, &f->err), 0);
	assert_int_equal(ofs_manifest_encode(again, &text2, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(text, text2, len);
	assert_memory_equal(m->images, again->images, sizeof(*m->images));
	free(text);
	free(text2);
	ofs_manifest_free(again);
	/* Signing again bumps the serial; the old one is then a rollback floor. */
	assert_int_equal(ofs_manifest_sign(f->dir, f->key, &len, &f->err), 0);
	assert_int_equal(len, 2);
	assert_int_equal(ofs_manifest_verify(f->dir, f->key, 2, NULL, &f->err), 0);
	assert_int_equal(ofs_manifest_verify(f->dir, f->key, 3, NULL, &f->err), -ESTALE);
	assert_non_null(strstr(f->err.what, "rollback"));
	ofs_manifest_free(m);
}

#define COMP(kind, sha, size, path) \
	"{\"kind\": \"" kind "\", \"sha256\": \"" sha "\", \"size\": " size \
	", \"path\": \"" path "\"}"
#define IMG(name, ver, comps) \
	"{\"name\": \"" name "\", \"version\": \"" ver "\", \"components\": [" comps "]}"
#define DOC(images) \
	"{\"format\": 1, \"repository\": \"r\", \"serial\": 7, \"images\": [" images "]}"
#define GOOD_COMP COMP("kernel", H64, "10", "k")

static void strict_parse(void **state)
{
	static const struct {
		const char *doc, *why;
	} bad[] = {
		{ "{", "ends early" },
		{ DOC("") " x", "not JSON" },
		{ "[]", "expected an object" },
		{ "{\"format\": 1, \"repository\": \"r\", \"images\": []}",
		  "missing member \"serial\"" },
		{ "{\"format\": 1, \"repository\": \"r\", \"serial\": 1, \"images\": [], "
		  "\"x\": 1}", "unknown member \"x\"" },
		{ "{\"format\": 2, \"repository\": \"r\", \"serial\": 1, \"images\": []}",
		  "format 2 is not supported" },
		{ "{\"format\": 1, \"repository\": \"a b\", \"serial\": 1, \"images\": []}",
		  "repository: \"a b\"" },
		{ "{\"format\": 1, \"repository\": \"r\", \"serial\": -1, \"images\": []}",
		  "serial: expected an integer" },
		{ DOC(IMG("a", "1", GOOD_COMP) ", " IMG("a", "1", COMP("initrd", H64, "1", "i"))),
		  "a 1 is already images[0]" },
		{ DOC(IMG("a", "1", GOOD_COMP) ", " IMG("a", "2", GOOD_COMP)),
		  "same components as images[0]" },
		{ DOC(IMG("a", "1", "")), "expected 1..3 components" },
		{ DOC(IMG("..", "1", GOOD_COMP)), "images[0].name" },
		{ DOC(IMG("a", "1/2", GOOD_COMP)), "images[0].version" },
		{ DOC("{\"name\": \"a\", \"version\": \"1\", \"components\": [], \"y\": 0}"),
		  "images[0]: unknown member \"y\"" },
		{ DOC(IMG("a", "1", GOOD_COMP ", " GOOD_COMP)), "a second kernel" },
		{ DOC(IMG("a", "1", COMP("bios", H64, "10", "k"))), "expected kernel, initrd" },
		{ DOC(IMG("a", "1", COMP("kernel", "0011", "10", "k"))),
		  "components[0].sha256: expected 64" },
		{ DOC(IMG("a", "1", COMP("kernel", "00112233445566778899AABBCCDDEEFF"
					 "00112233445566778899aabbccddeeff", "10", "k"))),
		  "lower-case hex" },
		{ DOC(IMG("a", "1", COMP("kernel", H64, "0", "k"))), "components[0].size" },
		{ DOC(IMG("a", "1", COMP("kernel", H64, "-5", "k"))), "components[0].size" },
		{ DOC(IMG("a", "1", COMP("kernel", H64, "\"10\"", "k"))), "expected an integer" },
		{ DOC(IMG("a", "1", COMP("kernel", H64, "1.5", "k"))), "expected an integer" },
		{ DOC(IMG("a", "1", COMP("kernel", H64, "99999999999999999999", "k"))),
		  "components[0].size" },
		{ DOC(IMG("a", "1", COMP("kernel", H64, "10", "/etc/passwd"))), "leading /" },
		{ DOC(IMG("a", "1", COMP("kernel", H64, "10", "../k"))), "stays in" },
		{ DOC(IMG("a", "1", COMP("kernel", H64, "10", "a/../../k"))), "stays in" },
		{ DOC(IMG("a", "1", COMP("kernel", H64, "10", "a//k"))), "stays in" },
		{ DOC(IMG("a", "1", COMP("kernel", H64, "10", ""))), "stays in" },
		{ DOC(IMG("a", "1", "{\"kind\": \"kernel\", \"sha256\": \"" H64 "\", "
			  "\"size\": 1}")), "missing member \"path\"" },
	};
	struct ofs_manifest_error err;
	struct ofs_manifest *m;
	size_t i;

	assert_int_equal(ofs_manifest_parse(DOC(IMG("a", "1", GOOD_COMP)),
					    strlen(DOC(IMG("a", "1", GOOD_COMP))),
					    &m, &err), 0);
	ofs_manifest_free(m);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = NULL;
		assert_int_not_equal(ofs_manifest_parse(bad[i].doc, strlen(bad[i].doc),
							&m, &err), 0);
		assert_null(m);
		if (!strstr(err.what, bad[i].why))
			fail_msg("bad[%zu]: \"%s\" does not say \"%s\"", i, err.what,
				 bad[i].why);
		assert_non_null(strstr(err.what, OFS_MANIFEST_FILE ": "));
	}
}

static void add_rules(void **state)
{
	struct ofs_manifest_image img = { .name = "x", .version = "1" };
	struct ofs_manifest *m;
	struct ofs_manifest_error err;

	assert_int_equal(ofs_manifest_new("r", &m), 0);
	rt_component(&img, OFS_COMPONENT_KERNEL, "../k", "k", 1);
	assert_int_equal(ofs_manifest_add(m, &img, &err), -EINVAL);
	snprintf(img.comp[0].path, sizeof(img.comp[0].path), "k");
	assert_int_equal(ofs_manifest_add(m, &img, &err), 0);
	assert_int_equal(ofs_manifest_add(m, &img, &err), -EEXIST);
	assert_int_equal(m->n_images, 1);
	ofs_manifest_free(m);
	assert_int_equal(ofs_manifest_new("a/b", &m), -EINVAL);
}

static void another_key(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ofs_manifest_verify(f->dir, f->other, 0, NULL, &f->err),
			 -EKEYREJECTED);
	assert_non_null(strstr(f->err.what, "does not verify"));
	/* Re-signed by the other key: refused under the repository's. */
	assert_int_equal(ofs_manifest_sign(f->dir, f->other, NULL, &f->err), 0);
	assert_int_equal(ofs_manifest_verify(f->dir, f->key, 0, NULL, &f->err),
			 -EKEYREJECTED);
}

static void tampered_manifest(void **state)
{
	struct fx *f = *state;
	size_t len, i;
	char *buf = rt_get(f->dir, OFS_MANIFEST_FILE, &len);
	char *at = strstr(buf, "\"serial\": 1");

	/* One byte of the manifest: the signature signs other bytes. */
	assert_non_null(at);
	at[10] = '9';
	rt_put(f->dir, OFS_MANIFEST_FILE, buf, len);
	assert_int_equal(ofs_manifest_verify(f->dir, f->key, 0, NULL, &f->err),
			 -EKEYREJECTED);
	assert_non_null(strstr(f->err.what, "signs other bytes"));
	/* One byte of the signature's payload, then of the signature. */
	at[10] = '1';
	rt_put(f->dir, OFS_MANIFEST_FILE, buf, len);
	free(buf);
	buf = rt_get(f->dir, OFS_MANIFEST_SIG_FILE, &len);
	for (i = len - 200; i < len; i += 97) {
		buf[i] ^= 0x01;
		rt_put(f->dir, OFS_MANIFEST_SIG_FILE, buf, len);
		assert_int_not_equal(ofs_manifest_verify(f->dir, f->key, 0, NULL,
							 &f->err), 0);
		buf[i] ^= 0x01;
	}
	rt_put(f->dir, OFS_MANIFEST_SIG_FILE, buf, len);
	free(buf);
	assert_int_equal(ofs_manifest_verify(f->dir, f->key, 0, NULL, &f->err), 0);
}

static void tampered_component(void **state)
{
	struct fx *f = *state;
	char path[256];

	/* Longer by a byte: the size. */
	rt_put(f->dir, "initrd", f->initrd, sizeof(f->initrd) - 1);
	assert_int_equal(ofs_manifest_verify(f->dir, f->key, 0, NULL, &f->err),
			 -EBADMSG);
	assert_non_null(strstr(f->err.what, "vm 1.0: initrd initrd: 4999 bytes, "
				       "the manifest says 5000"));
	/* Same size, one bit: the digest. */
	f->initrd[100] ^= 0x80;
	rt_put(f->dir, "initrd", f->initrd, sizeof(f->initrd));
	assert_int_equal(ofs_manifest_verify(f->dir, f->key, 0, NULL, &f->err),
			 -EBADMSG);
	assert_non_null(strstr(f->err.what, "vm 1.0: initrd initrd: SHA-256 "));
	/* Missing. */
	snprintf(path, sizeof(path), "%s/initrd", f->dir);
	unlink(path);
	assert_int_equal(ofs_manifest_verify(f->dir, f->key, 0, NULL, &f->err),
			 -ENOENT);
	assert_non_null(strstr(f->err.what, "vm 1.0: initrd initrd: No such file"));
}

/* A symlink out of the repository, to the right bytes, is not followed. */
static void path_traversal(void **state)
{
	struct fx *f = *state;
	char path[256], outside[256];
	uint8_t d[OFS_SHA256_LEN];
	uint64_t size;

	snprintf(outside, sizeof(outside), "%s.outside", f->dir);
	rt_put("", outside + 1, f->kernel, sizeof(f->kernel));
	snprintf(path, sizeof(path), "%s/kernel", f->dir);
	unlink(path);
	assert_int_equal(symlink(outside, path), 0);
	assert_int_equal(ofs_manifest_verify(f->dir, f->key, 0, NULL, &f->err),
			 -ELOOP);
	assert_non_null(strstr(f->err.what, "symlink"));
	unlink(path);
	unlink(outside);
	assert_int_equal(ofs_manifest_hash_file(f->dir, "../x", d, &size, &f->err),
			 -EINVAL);
	assert_int_equal(ofs_manifest_hash_file(f->dir, "/etc/passwd", d, &size,
						&f->err), -EINVAL);
}

/* fd is open on a regular file, blocking, holding exactly len bytes of data. */
static void assert_component(int fd, const uint8_t *data, size_t len)
{
	uint8_t buf[8192];

	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDONLY);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), len);
	assert_memory_equal(buf, data, len);
	close(fd);
}

/*
 * Each way out of the repository or onto something else than a file:
 * symlinks as the last name or as a directory on the way (even one that
 * stays inside), a file used as a directory, a FIFO (refused, not waited
 * on); and a file in a subdirectory, which is fine.
 */
static void beneath(void **state)
{
	struct fx *f = *state;
	char path[256], target[256];

	snprintf(path, sizeof(path), "%s/sub", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/dir", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	rt_put(f->dir, "sub/dir/file", f->initrd, 100);
	assert_component(ofs_manifest_open_component(f->dir, "sub/dir/file", &f->err),
			 f->initrd, 100);

	snprintf(path, sizeof(path), "%s/link", f->dir);
	assert_int_equal(symlink("sub", path), 0);
	assert_int_equal(ofs_manifest_open_component(f->dir, "link/dir/file", &f->err),
			 -ELOOP);
	assert_non_null(strstr(f->err.what, "symlink"));
	snprintf(path, sizeof(path), "%s/sub/up", f->dir);
	assert_int_equal(symlink("..", path), 0);
	assert_int_equal(ofs_manifest_open_component(f->dir, "sub/up/kernel", &f->err),
			 -ELOOP);
	snprintf(path, sizeof(path), "%s/sub/file", f->dir);
	snprintf(target, sizeof(target), "%s/kernel", f->dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ofs_manifest_open_component(f->dir, "sub/file", &f->err),
			 -ELOOP);

	assert_int_equal(ofs_manifest_open_component(f->dir, "kernel/x", &f->err),
			 -ENOTDIR);
	assert_int_equal(ofs_manifest_open_component(f->dir, "sub/none/x", &f->err),
			 -ENOENT);
	assert_int_equal(ofs_manifest_open_component(f->dir, "sub/dir", &f->err),
			 -EINVAL);
	snprintf(path, sizeof(path), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(ofs_manifest_open_component(f->dir, "fifo", &f->err), -EINVAL);
	assert_non_null(strstr(f->err.what, "not a regular file"));
	assert_component(ofs_manifest_open_component(f->dir, "kernel", &f->err),
			 f->kernel, sizeof(f->kernel));
}

static const char policy_head[] =
	"{\"version\": 1, \"policy_id\": \"gen\", \"confirmation_lifetime\": 60,\n"
	" \"debug\": [\"disabled-permanently\"],\n"
	" \"firmware\": {\"min_svn\": 1, \"composites\": [\"" H64 "\"]},\n"
	" \"images\": ";

/* The generated entries are exactly what the policy parser accepts. */
static void policy(void **state)
{
	struct ofs_manifest_image img2 = { .name = "vm", .version = "1.1" };
	struct fx *f = *state;
	struct ofs_policy_error perr;
	struct ofs_policy *p;
	struct ofs_manifest *m;
	char *json, doc[8192];

	assert_int_equal(ofs_manifest_load(f->dir, &m, &f->err), 0);
	rt_component(&img2, OFS_COMPONENT_KERNEL, "kernel", f->kernel, sizeof(f->kernel));
	rt_component(&img2, OFS_COMPONENT_CMDLINE, "initrd", f->initrd, sizeof(f->initrd));
	assert_int_equal(ofs_manifest_add(m, &img2, &f->err), 0);
	assert_int_equal(ofs_manifest_save(f->dir, m, &f->err), 0);
	ofs_manifest_free(m);
	assert_int_equal(ofs_manifest_sign(f->dir, f->key, NULL, &f->err), 0);
	assert_int_equal(ofs_manifest_verify(f->dir, f->key, 0, &m, &f->err), 0);

	assert_int_equal(ofs_manifest_policy_images(m, NULL, NULL, &json), 0);
	snprintf(doc, sizeof(doc), "%s%s}\n", policy_head, json);
	free(json);
	assert_int_equal(ofs_policy_parse(doc, strlen(doc), "gen.json", &p, &perr), 0);
	assert_int_equal(p->n_images, 2);
	assert_string_equal(p->images[1].name, "vm");
	assert_int_equal(p->images[0].present, 3);
	assert_int_equal(p->images[1].present, 5);
	assert_memory_equal(p->images[0].sha256[OFS_COMPONENT_INITRD],
			    m->images[0].comp[OFS_COMPONENT_INITRD].sha256, OFS_SHA256_LEN);
	assert_int_equal(p->images[0].size[OFS_COMPONENT_KERNEL], 3000);
	assert_int_equal(p->images[1].size[OFS_COMPONENT_CMDLINE], 5000);
	ofs_policy_free(p);

	assert_int_equal(ofs_manifest_policy_images(m, "vm", "1.1", &json), 0);
	snprintf(doc, sizeof(doc), "%s%s}\n", policy_head, json);
	free(json);
	assert_int_equal(ofs_policy_parse(doc, strlen(doc), "gen.json", &p, &perr), 0);
	assert_int_equal(p->n_images, 1);
	assert_int_equal(p->images[0].present, 5);
	ofs_policy_free(p);
	assert_int_equal(ofs_manifest_policy_images(m, "vm", "9", &json), -ENOENT);
	ofs_manifest_free(m);
}

#define WALK_TEST(f) { #f " (openat walk)", f, setup_walk, teardown_walk, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
		cmocka_unit_test(strict_parse),
		cmocka_unit_test(add_rules),
		cmocka_unit_test_setup_teardown(another_key, setup, teardown),
		cmocka_unit_test_setup_teardown(tampered_manifest, setup, teardown),
		cmocka_unit_test_setup_teardown(tampered_component, setup, teardown),
		cmocka_unit_test_setup_teardown(path_traversal, setup, teardown),
		cmocka_unit_test_setup_teardown(beneath, setup, teardown),
		WALK_TEST(round_trip),
		WALK_TEST(tampered_component),
		WALK_TEST(path_traversal),
		WALK_TEST(beneath),
		cmocka_unit_test_setup_teardown(policy, setup, teardown),
	};

	return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
