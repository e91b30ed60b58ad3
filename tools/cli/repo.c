// SPDX-License-Identifier: MIT
/*
 * offload-sec repo: the signed image repository (docs/repository.md).
 * The publishing side (init, add, sign) and the consuming side (verify,
 * policy, and cli_repo_open() for measure); the format and the checks are
 * lib/ofs-manifest.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "cli.h"
#include "ofs-identity.h"
#include "ofs-manifest.h"
#include "ofs-util.h"

struct opts {
	const char *key, *pubkey, *id, *name, *version, *cmdline, *min_serial;
	const char *file[OFS_MAX_COMPONENTS];	/* kernel, initrd, cmdline file */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s repo init DIR --key KEY.pem [--id ID]\n"
		"       %s repo add DIR NAME VERSION [--kernel F] [--initrd F]\n"
		"                       [--cmdline TEXT | --cmdline-file F]\n"
		"       %s repo sign DIR --key KEY.pem\n"
		"       %s repo verify DIR --pubkey PUB.pem [--min-serial N]\n"
		"       %s repo policy DIR --pubkey PUB.pem [--name N [--version V]]\n"
		"init creates DIR with an empty manifest, and KEY.pem (P-384, 0600)\n"
		"with its public key KEY.pub.pem when KEY.pem does not exist.  add\n"
		"copies an image's components into DIR and records their sizes and\n"
		"SHA-256; sign bumps the serial and writes manifest.sig; verify\n"
		"checks the signature and every file; policy prints the `images`\n"
		"array of an offload-ras policy generated from the verified manifest.\n",
		prog, prog, prog, prog, prog);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option options[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "pubkey", required_argument, NULL, 'p' },
		{ "id", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "version", required_argument, NULL, 'v' },
		{ "min-serial", required_argument, NULL, 's' },
		{ "kernel", required_argument, NULL, 'K' },
		{ "initrd", required_argument, NULL, 'I' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "cmdline-file", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'k': o->key = optarg; break;
		case 'p': o->pubkey = optarg; break;
		case 'i': o->id = optarg; break;
		case 'n': o->name = optarg; break;
		case 'v': o->version = optarg; break;
		case 's': o->min_serial = optarg; break;
		case 'K': o->file[OFS_COMPONENT_KERNEL] = optarg; break;
		case 'I': o->file[OFS_COMPONENT_INITRD] = optarg; break;
		case 'c': o->cmdline = optarg; break;
		case 'C': o->file[OFS_COMPONENT_CMDLINE] = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	return -1;
}

static int fail_err(const struct ofs_manifest_error *err)
{
	fprintf(stderr, "%s: %s\n", prog, err->what);
	return 1;
}

/* KEY.pem -> KEY.pub.pem */
static void pub_path(const char *key, char *buf, size_t size)
{
	size_t n = strlen(key);

	if (n > 4 && !strcmp(key + n - 4, ".pem"))
		n -= 4;
	snprintf(buf, size, "%.*s.pub.pem", (int)n, key);
}

static int load_key(const char *path, EVP_PKEY **key)
{
	int r = ofs_key_load_pem(path, key);

	if (r)
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(-r));
	return r;
}

static int load_pubkey(const char *path, EVP_PKEY **key)
{
	EVP_PKEY **keys = NULL;
	size_t n = 0;
	int r = ofs_pubkeys_load_pem(path, &keys, &n);

	if (!r && n != 1) {
		ofs_pubkeys_free(keys, n);
		r = -EINVAL;
	}
	if (r) {
		fprintf(stderr, "%s: %s: expected one P-384 public key (PEM): %s\n",
			prog, path, strerror(-r));
		return r;
	}
	*key = keys[0];
	keys[0] = NULL;
	ofs_pubkeys_free(keys, n);
	return 0;
}

/* KEY.pem, made (with KEY.pub.pem) when it does not exist. */
static int init_key(const char *path, EVP_PKEY **key)
{
	char pub[4096];
	int r;

	if (!access(path, F_OK))
		return load_key(path, key);
	*key = EVP_EC_gen("P-384");
	if (!*key) {
		fprintf(stderr, "%s: generating a P-384 key failed\n", prog);
		return -EIO;
	}
	pub_path(path, pub, sizeof(pub));
	r = ofs_key_save_pem(path, *key, 0600);
	if (!r)
		r = ofs_pubkeys_save_pem(pub, key, 1, 0644);
	if (r) {
		fprintf(stderr, "%s: writing %s or %s: %s\n", prog, path, pub,
			strerror(-r));
		return r;
	}
	printf("new repository key %s (public key %s)\n", path, pub);
	return 0;
}

static int repo_init(const char *dir, const struct opts *o)
{
	struct ofs_manifest_error err;
	struct ofs_manifest *m = NULL;
	uint8_t point[OFS_P384_POINT_LEN];
	char id[OFS_MANIFEST_NAME_MAX + 1], path[4096];
	EVP_PKEY *key = NULL;
	int r = 1;

	if (!o->key) {
		usage(stderr);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, OFS_MANIFEST_FILE);
	if (!access(path, F_OK)) {
		fprintf(stderr, "%s: %s exists: %s is a repository already\n", prog,
			path, dir);
		return 1;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(errno));
		return 1;
	}
	if (init_key(o->key, &key))
		return 1;
	/* The default id: the repository key's, as in manifest.sig's kid. */
	if (!o->id && !ofs_ec_public_point(key, point)) {
		uint8_t d[OFS_SHA256_LEN];

		EVP_Digest(point, sizeof(point), d, NULL, EVP_sha256(), NULL);
		ofs_hex(d, 8, id);
	} else {
		snprintf(id, sizeof(id), "%s", o->id ? o->id : "");
	}
	if (ofs_manifest_new(id, &m)) {
		fprintf(stderr, "%s: --id: 1..%d of A-Z a-z 0-9 . _ + -\n", prog,
			OFS_MANIFEST_NAME_MAX);
		goto free_key;
	}
	if (ofs_manifest_save(dir, m, &err)) {
		fail_err(&err);
		goto free_key;
	}
	printf("%s: empty repository %s (unsigned: run 'repo sign')\n", dir, id);
	r = 0;
free_key:
	ofs_manifest_free(m);
	EVP_PKEY_free(key);
	return r;
}

/* mkdir -p of dir/rel's parent directories, rel already validated. */
static int make_parents(const char *dir, const char *rel)
{
	char path[4096];
	char *slash;
	size_t base;

	base = (size_t)snprintf(path, sizeof(path), "%s/", dir);
	snprintf(path + base, sizeof(path) - base, "%s", rel);
	for (slash = strchr(path + base, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*slash = '/';
	}
	return 0;
}

/* dir/rel gets the bytes of src (a file) or of text. */
static int put_component(const char *dir, const char *rel, const char *src,
			 const char *text)
{
	char path[4096], tmp[4200], buf[65536];
	ssize_t n = 0, w;
	size_t left;
	int in = -1, out, r;

	r = make_parents(dir, rel);
	if (r)
		return r;
	if (src) {
		in = open(src, O_RDONLY | O_CLOEXEC);
		if (in < 0)
			return -errno;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		r = -errno;
		goto close_in;
	}
	for (;;) {
		const char *p = buf;

		if (src) {
			n = read(in, buf, sizeof(buf));
		} else {
			p = text;
			n = (ssize_t)strlen(text);
			text += n;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (left = (size_t)n; left; left -= (size_t)w, p += w) {
			w = write(out, p, left);
			if (w < 0) {
				n = -1;
				break;
			}
		}
		if (n < 0)
			break;
	}
	r = n < 0 ? -errno : 0;
	if (!r && fsync(out))
		r = -errno;
	if (close(out) && !r)
		r = -errno;
	if (!r && rename(tmp, path))
		r = -errno;
	if (r)
		unlink(tmp);
close_in:
	if (in >= 0)
		close(in);
	return r;
}

static int add_component(const char *dir, struct ofs_manifest_image *img,
			 uint32_t k, const char *src, const char *text)
{
	struct ofs_manifest_component *c = &img->comp[k];
	struct ofs_manifest_error err;
	int r;

	snprintf(c->path, sizeof(c->path), "images/%s/%s/%s", img->name,
		 img->version, ofs_component_name(k));
	r = put_component(dir, c->path, src, text);
	if (r) {
		fprintf(stderr, "%s: %s -> %s/%s: %s\n", prog, src ? src : "--cmdline",
			dir, c->path, strerror(-r));
		return r;
	}
	if (ofs_manifest_hash_file(dir, c->path, c->sha256, &c->size, &err)) {
		fail_err(&err);
		return err.err;
	}
	if (!c->size) {
		fprintf(stderr, "%s: %s: an empty %s: the card measures none\n",
			prog, src ? src : "--cmdline", ofs_component_name(k));
		return -EINVAL;
	}
	img->present |= 1u << k;
	return 0;
}

static int repo_add(const char *dir, const char *name, const char *version,
		    const struct opts *o)
{
	struct ofs_manifest_image img = { 0 };
	struct ofs_manifest_error err;
	struct ofs_manifest *m = NULL;
	uint32_t k;
	size_t i;
	int r = 1;

	if ((o->cmdline && o->file[OFS_COMPONENT_CMDLINE]) ||
	    (!o->cmdline && !o->file[0] && !o->file[1] && !o->file[2])) {
		usage(stderr);
		return 2;
	}
	if (cli_check_image_name(name, version))
		return 2;
	if (ofs_manifest_load(dir, &m, &err))
		return fail_err(&err);
	for (i = 0; i < m->n_images; i++)
		if (!strcmp(m->images[i].name, name) &&
		    !strcmp(m->images[i].version, version)) {
			fprintf(stderr, "%s: %s %s is in the repository already\n",
				prog, name, version);
			goto free_m;
		}
	snprintf(img.name, sizeof(img.name), "%s", name);
	snprintf(img.version, sizeof(img.version), "%s", version);
	for (k = 0; k < OFS_MAX_COMPONENTS; k++)
		if ((o->file[k] || (k == OFS_COMPONENT_CMDLINE && o->cmdline)) &&
		    add_component(dir, &img, k, o->file[k], o->cmdline))
			goto free_m;
	if (ofs_manifest_add(m, &img, &err) || ofs_manifest_save(dir, m, &err)) {
		fail_err(&err);
		goto free_m;
	}
	printf("%s: added %s %s (unsigned: run 'repo sign')\n", dir, name, version);
	r = 0;
free_m:
	ofs_manifest_free(m);
	return r;
}

static int repo_sign(const char *dir, const struct opts *o)
{
	struct ofs_manifest_error err;
	EVP_PKEY *key = NULL;
	uint64_t serial;
	int r;

	if (!o->key) {
		usage(stderr);
		return 2;
	}
	if (load_key(o->key, &key))
		return 1;
	r = ofs_manifest_sign(dir, key, &serial, &err);
	EVP_PKEY_free(key);
	if (r)
		return fail_err(&err);
	printf("%s: signed serial %" PRIu64 "\n", dir, serial);
	return 0;
}

struct ofs_manifest *cli_repo_open(const char *dir, const char *pubkey,
				   uint64_t min_serial)
{
	struct ofs_manifest_error err;
	struct ofs_manifest *m = NULL;
	EVP_PKEY *pub = NULL;
	int r;

	if (!pubkey) {
		r = ofs_manifest_load(dir, &m, &err);
	} else if (load_pubkey(pubkey, &pub)) {
		return NULL;
	} else {
		r = ofs_manifest_verify(dir, pub, min_serial, &m, &err);
		EVP_PKEY_free(pub);
	}
	if (r) {
		fprintf(stderr, "%s: %s: %s%s\n", prog, dir,
			pubkey ? "verification failed: " : "", err.what);
		return NULL;
	}
	return m;
}

int cli_check_image_name(const char *name, const char *version)
{
	if ((name && ofs_manifest_name_valid(name)) ||
	    (version && ofs_manifest_name_valid(version))) {
		fprintf(stderr, "%s: an image name or version is 1..%d of "
			"A-Z a-z 0-9 . _ + -\n", prog, OFS_MANIFEST_NAME_MAX);
		return -EINVAL;
	}
	return 0;
}

/* verify and policy: the manifest, verified, or NULL (and said why). */
static struct ofs_manifest *verified(const char *dir, const struct opts *o)
{
	uint64_t min_serial = 0;
	char *end;

	if (o->min_serial) {
		errno = 0;
		min_serial = strtoull(o->min_serial, &end, 10);
		if (errno || !*o->min_serial || *end) {
			fprintf(stderr, "%s: --min-serial: a number\n", prog);
			return NULL;
		}
	}
	return cli_repo_open(dir, o->pubkey, min_serial);
}

static int repo_verify(const char *dir, const struct opts *o)
{
	struct ofs_manifest *m;
	size_t files = 0, i;

	if (!o->pubkey) {
		usage(stderr);
		return 2;
	}
	m = verified(dir, o);
	if (!m)
		return 1;
	for (i = 0; i < m->n_images; i++)
		files += (size_t)__builtin_popcount(m->images[i].present);
	printf("%s: repository %s serial %" PRIu64 ": signature and %zu images "
	       "(%zu files) verified\n", dir, m->id, m->serial, m->n_images, files);
	ofs_manifest_free(m);
	return 0;
}

static int repo_policy(const char *dir, const struct opts *o)
{
	struct ofs_manifest *m;
	char *json = NULL;
	int r;

	if (!o->pubkey || (o->version && !o->name)) {
		usage(stderr);
		return 2;
	}
	m = verified(dir, o);
	if (!m)
		return 1;
	r = ofs_manifest_policy_images(m, o->name, o->version, &json);
	ofs_manifest_free(m);
	if (r) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir, r == -ENOENT ?
			"no image of that name and version" : strerror(-r));
		return 1;
	}
	fputs(json, stdout);
	free(json);
	return 0;
}

int cmd_repo(int argc, char **argv)
{
	struct opts o = { 0 };
	const char *verb;
	int r;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	verb = argv[1];
	r = parse(argc - 1, argv + 1, &o);
	if (r >= 0)
		return r;
	argc -= optind + 1;
	argv += optind + 1;
	if (!strcmp(verb, "add") && argc == 3)
		return repo_add(argv[0], argv[1], argv[2], &o);
	if (argc != 1) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(verb, "init"))
		return repo_init(argv[0], &o);
	if (!strcmp(verb, "sign"))
		return repo_sign(argv[0], &o);
	if (!strcmp(verb, "verify"))
		return repo_verify(argv[0], &o);
	if (!strcmp(verb, "policy"))
		return repo_policy(argv[0], &o);
	usage(stderr);
	return 2;
}
