// SPDX-License-Identifier: MIT
/*
 * offload-sec measure: offline, the exact values the card will attest for
 * an image (flat SHA-256 and size of each component, in the report's
 * order), from files or from a repository's signed manifest, and the
 * offload-ras policy `images` entry that would allow them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "cli.h"
#include "ofs-manifest.h"
#include "ofs-util.h"

/* Large reads: hashing, not syscalls, should be what a big initrd costs. */
#define READ_BLOCK	(4u << 20)

struct opts {
	const char *file[OFS_MAX_COMPONENTS];	/* kernel, initrd, cmdline file */
	const char *cmdline, *name, *version, *repo, *image, *key;
	bool json;
};

/* One measured thing: a component (kind >= 0) or a plain file. */
struct measured {
	int kind;
	const char *file;
	uint8_t sha256[OFS_SHA256_LEN];
	uint64_t size;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s measure [--kernel F] [--initrd F] [--cmdline TEXT | --cmdline-file F]\n"
		"                  [--name N] [--version V] [--json] [FILE...]\n"
		"       %s measure --repo DIR --image NAME[@VERSION] [--key PUB.pem] [--json]\n"
		"Prints what the card will measure: the flat SHA-256 (as sha256sum) and\n"
		"size of each component, kernel, initrd, cmdline, and the offload-ras\n"
		"policy `images` entry that allows exactly them (named --name and\n"
		"--version).  FILE arguments are measured too, outside the entry.\n"
		"--repo takes the components from a repository's manifest, checks\n"
		"them against its files and, with --key, its signature; without\n"
		"@VERSION the newest version.\n", prog, prog);
}

static int hash_fd(int fd, struct measured *m)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *buf = malloc(READ_BLOCK);
	ssize_t n;
	int r = -ENOMEM;

	if (!md || !buf || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto free;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	m->size = 0;
	for (r = 0; !r && (n = read(fd, buf, READ_BLOCK)) != 0;) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else if (EVP_DigestUpdate(md, buf, (size_t)n) != 1)
			r = -EIO;
		else
			m->size += (uint64_t)n;
	}
	if (!r && EVP_DigestFinal_ex(md, m->sha256, NULL) != 1)
		r = -EIO;
free:
	free(buf);
	EVP_MD_CTX_free(md);
	return r;
}

static int hash_file(struct measured *m)
{
	int fd = strcmp(m->file, "-") ? open(m->file, O_RDONLY | O_CLOEXEC) : 0;
	int r;

	r = fd < 0 ? -errno : hash_fd(fd, m);
	if (fd > 0)
		close(fd);
	if (r) {
		fprintf(stderr, "%s: %s: %s\n", prog, m->file, strerror(-r));
		return r;
	}
	if (m->kind >= 0 && !m->size) {
		fprintf(stderr, "%s: %s: an empty %s: the card measures none\n", prog,
			m->file, ofs_component_name((uint32_t)m->kind));
		return -EINVAL;
	}
	return 0;
}

static int hash_text(const char *text, struct measured *m)
{
	m->size = strlen(text);
	if (!m->size) {
		fprintf(stderr, "%s: --cmdline: an empty cmdline: the card measures none\n",
			prog);
		return -EINVAL;
	}
	return EVP_Digest(text, m->size, m->sha256, NULL, EVP_sha256(), NULL) == 1 ?
	       0 : -EIO;
}

/* The policy entry for image, as offload-ras's parser takes it. */
static struct json_object *policy_entry(const struct ofs_manifest_image *img)
{
	struct ofs_manifest_error err;
	struct ofs_manifest *m = NULL;
	struct json_object *arr, *entry = NULL;
	char *text = NULL;

	if (ofs_manifest_new("measure", &m))
		return NULL;
	if (ofs_manifest_add(m, img, &err)) {
		fprintf(stderr, "%s: %s\n", prog, err.what);
	} else if (!ofs_manifest_policy_images(m, NULL, NULL, &text)) {
		arr = json_tokener_parse(text);
		entry = json_object_get(json_object_array_get_idx(arr, 0));
		json_object_put(arr);
	}
	free(text);
	ofs_manifest_free(m);
	return entry;
}

static void print(const struct measured *ms, size_t n, const char *name,
		  const char *version, struct json_object *entry, bool json)
{
	struct json_object *o, *list, *c;
	char hex[2 * OFS_SHA256_LEN + 1];
	size_t i;

	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		ofs_hex(ms[i].sha256, sizeof(ms[i].sha256), hex);
		if (!json) {
			printf("%-8s %s %10" PRIu64 "  %s\n", ms[i].kind < 0 ? "-" :
			       ofs_component_name((uint32_t)ms[i].kind), hex, ms[i].size,
			       ms[i].file);
			continue;
		}
		c = json_object_new_object();
		if (ms[i].kind >= 0)
			json_object_object_add(c, "kind", json_object_new_string(
				ofs_component_name((uint32_t)ms[i].kind)));
		json_object_object_add(c, "sha256", json_object_new_string(hex));
		json_object_object_add(c, "size", json_object_new_int64((int64_t)ms[i].size));
		json_object_object_add(c, "file", json_object_new_string(ms[i].file));
		json_object_array_add(list, c);
	}
	if (!json) {
		json_object_put(list);
		if (entry)
			printf("\noffload-ras policy, an entry of \"images\":\n%s\n",
			       json_object_to_json_string_ext(entry, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_SPACED));
		return;
	}
	o = json_object_new_object();
	if (entry) {
		json_object_object_add(o, "image", json_object_new_string(name));
		json_object_object_add(o, "version", json_object_new_string(version));
	}
	json_object_object_add(o, "components", list);
	if (entry)
		json_object_object_add(o, "policy_image", json_object_get(entry));
	cli_print_json(o, 1);
}

static int measure_files(const struct opts *o, char **files, size_t n_files)
{
	const char *name = o->name ? o->name : "NAME";
	const char *version = o->version ? o->version : "VERSION";
	struct ofs_manifest_image img = { 0 };
	struct measured *ms = calloc(OFS_MAX_COMPONENTS + n_files, sizeof(*ms));
	struct json_object *entry = NULL;
	size_t n = 0, i;
	int k, r = 1;

	if (!ms)
		return 1;
	for (k = 0; k < OFS_MAX_COMPONENTS; k++) {
		if (!o->file[k] && !(k == OFS_COMPONENT_CMDLINE && o->cmdline))
			continue;
		ms[n].kind = k;
		ms[n].file = o->file[k] ? o->file[k] : "(--cmdline)";
		if (o->file[k] ? hash_file(&ms[n]) : hash_text(o->cmdline, &ms[n]))
			goto free;
		img.present |= 1u << k;
		memcpy(img.comp[k].sha256, ms[n].sha256, OFS_SHA256_LEN);
		img.comp[k].size = ms[n].size;
		snprintf(img.comp[k].path, sizeof(img.comp[k].path), "%s",
			 ofs_component_name((uint32_t)k));
		n++;
	}
	for (i = 0; i < n_files; i++, n++) {
		ms[n].kind = -1;
		ms[n].file = files[i];
		if (hash_file(&ms[n]))
			goto free;
	}
	if (img.present) {
		snprintf(img.name, sizeof(img.name), "%s", name);
		snprintf(img.version, sizeof(img.version), "%s", version);
		entry = policy_entry(&img);
		if (!entry)
			goto free;
	}
	print(ms, n, name, version, entry, o->json);
	r = 0;
free:
	json_object_put(entry);
	free(ms);
	return r;
}

/*
 * The image's components.  What the card reads is the files, so unless
 * the whole repository was just verified they are hashed here and must
 * agree with the manifest.
 */
static int measure_image(const char *dir, const struct ofs_manifest_image *img,
			 bool verified, struct measured *ms, size_t *n)
{
	struct ofs_manifest_error err;
	char want[2 * OFS_SHA256_LEN + 1], got[2 * OFS_SHA256_LEN + 1];
	uint32_t k;

	for (*n = 0, k = 0; k < OFS_MAX_COMPONENTS; k++) {
		if (!(img->present & (1u << k)))
			continue;
		ms[*n].kind = (int)k;
		ms[*n].file = img->comp[k].path;
		if (verified) {
			memcpy(ms[*n].sha256, img->comp[k].sha256, OFS_SHA256_LEN);
			ms[(*n)++].size = img->comp[k].size;
			continue;
		}
		if (ofs_manifest_hash_file(dir, img->comp[k].path, ms[*n].sha256,
					   &ms[*n].size, &err)) {
			fprintf(stderr, "%s: %s: %s\n", prog, dir, err.what);
			return -EIO;
		}
		ofs_hex(img->comp[k].sha256, OFS_SHA256_LEN, want);
		ofs_hex(ms[*n].sha256, OFS_SHA256_LEN, got);
		if (ms[*n].size != img->comp[k].size || strcmp(want, got)) {
			fprintf(stderr, "%s: %s/%s: %" PRIu64 " bytes, SHA-256 %s; the manifest "
				"says %" PRIu64 " bytes, %s\n", prog, dir, img->comp[k].path,
				ms[*n].size, got, img->comp[k].size, want);
			return -EBADMSG;
		}
		(*n)++;
	}
	return 0;
}

static int measure_repo(const struct opts *o)
{
	char name[OFS_MANIFEST_NAME_MAX * 2 + 2], *version;
	struct measured ms[OFS_MAX_COMPONENTS];
	const struct ofs_manifest_image *img;
	struct json_object *entry;
	struct ofs_manifest *m;
	size_t n;
	int r = 1;

	snprintf(name, sizeof(name), "%s", o->image);
	version = strchr(name, '@');
	if (version)
		*version++ = '\0';
	if (!o->key)
		fprintf(stderr, "%s: %s: signature not checked (no --key)\n", prog, o->repo);
	m = cli_repo_open(o->repo, o->key, 0);
	if (!m)
		return 1;
	img = ofs_manifest_find(m, name, version);
	if (!img) {
		fprintf(stderr, "%s: %s: no image %s%s%s in the manifest\n", prog, o->repo,
			name, version ? "@" : "", version ? version : "");
		goto free_m;
	}
	if (measure_image(o->repo, img, o->key != NULL, ms, &n))
		goto free_m;
	entry = policy_entry(img);
	if (entry) {
		print(ms, n, img->name, img->version, entry, o->json);
		json_object_put(entry);
		r = 0;
	}
free_m:
	ofs_manifest_free(m);
	return r;
}

/* 0 to go on, else the exit status (-1: 0 after --help). */
static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option options[] = {
		{ "kernel", required_argument, NULL, 'K' },
		{ "initrd", required_argument, NULL, 'I' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "cmdline-file", required_argument, NULL, 'C' },
		{ "name", required_argument, NULL, 'n' },
		{ "version", required_argument, NULL, 'v' },
		{ "repo", required_argument, NULL, 'r' },
		{ "image", required_argument, NULL, 'i' },
		{ "key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (c) {
		case 'K': o->file[OFS_COMPONENT_KERNEL] = optarg; break;
		case 'I': o->file[OFS_COMPONENT_INITRD] = optarg; break;
		case 'c': o->cmdline = optarg; break;
		case 'C': o->file[OFS_COMPONENT_CMDLINE] = optarg; break;
		case 'n': o->name = optarg; break;
		case 'v': o->version = optarg; break;
		case 'r': o->repo = optarg; break;
		case 'i': o->image = optarg; break;
		case 'k': o->key = optarg; break;
		case 'j': o->json = true; break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return 2;
		}
	}
	return 0;
}

static bool files_given(const struct opts *o, int n_args)
{
	return o->file[0] || o->file[1] || o->file[2] || o->cmdline || n_args;
}

int cmd_measure(int argc, char **argv)
{
	struct opts o = { 0 };
	int r = parse(argc, argv, &o);

	if (r)
		return r < 0 ? 0 : r;
	argc -= optind;
	argv += optind;
	if (o.repo || o.image || o.key) {
		if (!o.repo || !o.image || files_given(&o, argc) || o.name || o.version) {
			usage(stderr);
			return 2;
		}
		return measure_repo(&o);
	}
	if (!files_given(&o, argc) || (o.cmdline && o.file[OFS_COMPONENT_CMDLINE])) {
		usage(stderr);
		return 2;
	}
	if (cli_check_image_name(o.name, o.version))
		return 2;
	return measure_files(&o, argv, (size_t)argc);
}
