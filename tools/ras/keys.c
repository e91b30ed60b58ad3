// SPDX-License-Identifier: MIT
/*
 * The RAS's keys: the confirmation signing key, a secret that every
 * device trusting this RAS would accept confirmations from, so it is read
 * only from a file no one else may read; its key id; the manufacturer
 * roots that device chains must anchor in; and the cache of chains
 * verified under them (keyed by the roots too, so it cannot outlive them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "ofs-crypto.h"
#include "ofs-identity.h"
#include "ras.h"

#define MAX_ROOTS	64
#define DEFAULT_KID_LEN	8

/* The key file: ours, a regular file, not readable by group or others. */
static int key_file_ok(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "offload-ras: %s: not a regular file\n", path);
		return -EPERM;
	}
	if (st.st_mode & 0077) {
		fprintf(stderr, "offload-ras: %s: mode %04o lets others read the "
			"signing key; chmod 0600 it\n", path, st.st_mode & 07777);
		return -EPERM;
	}
	if (st.st_uid != geteuid()) {
		fprintf(stderr, "offload-ras: %s: not owned by this user\n", path);
		return -EPERM;
	}
	return 0;
}

static int load_signing_key(struct ras_keys *k, const char *path)
{
	int r = key_file_ok(path);

	if (!r)
		r = ofs_key_load_pem(path, &k->sign);
	if (!r && !ofs_key_is_p384(k->sign)) {
		fprintf(stderr, "offload-ras: %s: not an ECDSA P-384 key\n", path);
		return -EINVAL;
	}
	if (r && r != -EPERM)
		fprintf(stderr, "offload-ras: %s: %s\n", path, strerror(-r));
	return r;
}

/* Default key id: the first bytes of SHA-256 of the public point. */
static int derive_kid(struct ras_keys *k, const char *configured)
{
	uint8_t point[OFS_P384_POINT_LEN], digest[SHA256_DIGEST_LENGTH];

	if (configured) {
		k->kid_len = strlen(configured);
		memcpy(k->kid, configured, k->kid_len);
		return 0;
	}
	if (ofs_ec_public_point(k->sign, point))
		return -EINVAL;
	SHA256(point, sizeof(point), digest);
	k->kid_len = DEFAULT_KID_LEN;
	memcpy(k->kid, digest, DEFAULT_KID_LEN);
	return 0;
}

static int load_roots(struct ras_keys *k, const char *path)
{
	FILE *f = fopen(path, "re");
	X509 *x;

	if (!f) {
		fprintf(stderr, "offload-ras: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	k->roots = calloc(MAX_ROOTS, sizeof(*k->roots));
	while (k->roots && k->n_roots < MAX_ROOTS &&
	       (x = PEM_read_X509(f, NULL, NULL, NULL)))
		k->roots[k->n_roots++] = x;
	ERR_clear_error();
	fclose(f);
	if (!k->roots)
		return -ENOMEM;
	if (!k->n_roots) {
		fprintf(stderr, "offload-ras: %s: no PEM certificate\n", path);
		return -EINVAL;
	}
	return 0;
}

int ras_keys_load(struct ras_keys *k, const struct ras_config *c)
{
	int r;

	memset(k, 0, sizeof(*k));
	r = load_signing_key(k, c->signing_key);
	if (!r)
		r = derive_kid(k, c->key_id);
	if (!r)
		r = load_roots(k, c->roots);
	if (r)
		ras_keys_free(k);
	return r;
}

void ras_keys_free(struct ras_keys *k)
{
	/* EVP_PKEY_free() clears the private scalar. */
	EVP_PKEY_free(k->sign);
	while (k->n_roots)
		X509_free(k->roots[--k->n_roots]);
	free(k->roots);
	memset(k, 0, sizeof(*k));
}

int ras_chain_cache_new(const struct ras_config *c,
			struct ofs_chain_cache **out)
{
	*out = NULL;
	if (!c->chain_cache_lifetime)
		return 0;
	return ofs_chain_cache_new(c->chain_cache_size,
				   c->chain_cache_lifetime, out);
}
