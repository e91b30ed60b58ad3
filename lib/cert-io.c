// SPDX-License-Identifier: MIT
/*
 * The identity's files: certificates (PEM or DER), private keys (PKCS#8
 * PEM) and lists of public keys (the RAS trust store).  Files are read
 * bounded, since they may be hostile, and written with exactly the mode
 * asked for, never through a symlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "ofs-identity.h"

#define MAX_FILE_SIZE		(256 * 1024)
#define MAX_TRUSTED_KEYS	64

/*
 * Creates or truncates path with exactly mode (umask and an older file's
 * mode do not count), never through a symlink.
 */
static BIO *open_write(const char *path, unsigned int mode)
{
	BIO *bio;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0)
		return NULL;
	if (fchmod(fd, mode) < 0) {
		close(fd);
		return NULL;
	}
	bio = BIO_new_fd(fd, BIO_CLOSE);
	if (!bio)
		close(fd);
	return bio;
}

/* write_fn's result as an errno; the file is closed either way. */
static int finish_write(BIO *bio, int ok)
{
	int err = errno;

	if (ok && BIO_flush(bio) != 1)
		ok = 0;
	BIO_free(bio);
	ERR_clear_error();
	if (ok)
		return 0;
	return err ? -err : -EIO;
}

int ofs_cert_save_pem(const char *path, X509 *cert, unsigned int mode)
{
	BIO *bio = open_write(path, mode);

	if (!bio)
		return -errno;
	errno = 0;
	return finish_write(bio, PEM_write_bio_X509(bio, cert));
}

int ofs_cert_save_der(const char *path, X509 *cert, unsigned int mode)
{
	BIO *bio = open_write(path, mode);

	if (!bio)
		return -errno;
	errno = 0;
	return finish_write(bio, i2d_X509_bio(bio, cert));
}

int ofs_key_save_pem(const char *path, EVP_PKEY *key, unsigned int mode)
{
	BIO *bio = open_write(path, mode);

	if (!bio)
		return -errno;
	errno = 0;
	/* PKCS#8, unencrypted: the file mode is the protection. */
	return finish_write(bio, PEM_write_bio_PrivateKey(bio, key, NULL, NULL,
							  0, NULL, NULL));
}

int ofs_pubkeys_save_pem(const char *path, EVP_PKEY *const *keys, size_t n,
			 unsigned int mode)
{
	BIO *bio = open_write(path, mode);
	int ok = 1;
	size_t i;

	if (!bio)
		return -errno;
	errno = 0;
	for (i = 0; ok && i < n; i++)
		ok = PEM_write_bio_PUBKEY(bio, keys[i]);
	return finish_write(bio, ok);
}

/* The whole file in a memory BIO, bounded: inputs may be hostile. */
static int read_file(const char *path, BIO **out)
{
	char buf[4096];
	BIO *in, *mem;
	int n, total = 0, r = 0;

	in = BIO_new_file(path, "rb");
	if (!in) {
		r = errno ? -errno : -EIO;
		ERR_clear_error();
		return r;
	}
	mem = BIO_new(BIO_s_mem());
	if (!mem) {
		BIO_free(in);
		return -ENOMEM;
	}
	while ((n = BIO_read(in, buf, sizeof(buf))) > 0) {
		total += n;
		if (total > MAX_FILE_SIZE || BIO_write(mem, buf, n) != n) {
			r = total > MAX_FILE_SIZE ? -EFBIG : -ENOMEM;
			break;
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	BIO_free(in);
	if (r < 0) {
		BIO_free(mem);
		return r;
	}
	*out = mem;
	return 0;
}

int ofs_cert_from_der(const uint8_t *der, size_t len, X509 **out)
{
	const unsigned char *p = der;
	X509 *x;

	if (len > MAX_FILE_SIZE)
		return -EFBIG;
	x = d2i_X509(NULL, &p, len);
	ERR_clear_error();
	if (!x)
		return -EBADMSG;
	if (p != der + len) {
		X509_free(x);
		return -EBADMSG;
	}
	*out = x;
	return 0;
}

int ofs_cert_to_der(X509 *cert, uint8_t **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n = i2d_X509(cert, &buf);

	if (n <= 0)
		return -ENOMEM;
	*der = buf;
	*len = n;
	return 0;
}

int ofs_cert_load(const char *path, X509 **out)
{
	const unsigned char *data;
	BIO *mem, *view;
	long len;
	X509 *x;
	int r;

	r = read_file(path, &mem);
	if (r < 0)
		return r;
	/* A read-only view: a failed PEM parse must not consume the bytes. */
	len = BIO_get_mem_data(mem, (char **)&data);
	view = len > 0 ? BIO_new_mem_buf(data, len) : NULL;
	x = view ? PEM_read_bio_X509(view, NULL, NULL, NULL) : NULL;
	if (x) {
		*out = x;
	} else {
		/* Not PEM: the same bytes as DER. */
		r = len > 0 ? ofs_cert_from_der(data, len, out) : -EBADMSG;
	}
	BIO_free(view);
	BIO_free(mem);
	ERR_clear_error();
	return r;
}

/* Never prompt for a passphrase: the model runs unattended. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

int ofs_key_load_pem(const char *path, EVP_PKEY **out)
{
	EVP_PKEY *key;
	BIO *mem;
	int r;

	r = read_file(path, &mem);
	if (r < 0)
		return r;
	key = PEM_read_bio_PrivateKey(mem, NULL, no_passphrase, NULL);
	/* The memory BIO held the key: BUF_MEM_free() clears it. */
	BIO_free(mem);
	ERR_clear_error();
	if (!key)
		return -EBADMSG;
	*out = key;
	return 0;
}

void ofs_pubkeys_free(EVP_PKEY **keys, size_t n)
{
	size_t i;

	if (!keys)
		return;
	for (i = 0; i < n; i++)
		EVP_PKEY_free(keys[i]);
	OPENSSL_free(keys);
}

/* The next PEM block as a public key; -ENOENT: no more blocks. */
static int read_pubkey(BIO *mem, EVP_PKEY **out)
{
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	const unsigned char *p;
	unsigned long e;
	long len;
	int r = -EBADMSG;

	if (!PEM_read_bio(mem, &name, &header, &data, &len)) {
		e = ERR_peek_last_error();
		return ERR_GET_LIB(e) == ERR_LIB_PEM &&
		       ERR_GET_REASON(e) == PEM_R_NO_START_LINE ? -ENOENT :
								   -EBADMSG;
	}
	p = data;
	if (strcmp(name, PEM_STRING_PUBLIC) == 0 && !*header) {
		*out = d2i_PUBKEY(NULL, &p, len);
		if (*out && p == data + len)
			r = 0;
		else if (*out)
			EVP_PKEY_free(*out);
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	return r;
}

static int read_pubkeys(BIO *mem, EVP_PKEY **keys, size_t *n)
{
	EVP_PKEY *key;
	int r;

	for (;;) {
		r = read_pubkey(mem, &key);
		if (r < 0)
			return r == -ENOENT ? 0 : r;
		if (*n == MAX_TRUSTED_KEYS || !ofs_key_is_p384(key)) {
			EVP_PKEY_free(key);
			return *n == MAX_TRUSTED_KEYS ? -E2BIG : -EINVAL;
		}
		keys[(*n)++] = key;
	}
}

int ofs_pubkeys_load_pem(const char *path, EVP_PKEY ***keys, size_t *n)
{
	EVP_PKEY **list;
	BIO *mem;
	size_t count = 0;
	int r;

	r = read_file(path, &mem);
	if (r < 0)
		return r;
	list = OPENSSL_zalloc(MAX_TRUSTED_KEYS * sizeof(*list));
	r = list ? read_pubkeys(mem, list, &count) : -ENOMEM;
	BIO_free(mem);
	ERR_clear_error();
	if (r < 0) {
		ofs_pubkeys_free(list, count);
		return r;
	}
	*keys = list;
	*n = count;
	return 0;
}
