// SPDX-License-Identifier: MIT
/*
 * `offload-sec-emu provision`: what the card's factory does once.  A fresh
 * UDS, a manufacturer CA (given, or created for a test fleet), the DeviceID
 * certificate the CA issues for the key the UDS determines, and the trust
 * store of RAS public keys.  Secrets are 0600 in a 0700 directory; an
 * existing provisioning is replaced only with --force, since that gives the
 * device a new identity.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "emu.h"
#include "ofs-util.h"

#define ROOT_LIFETIME	(30L * 365 * 24 * 3600)

/* Every file provisioning writes, in the order it writes them. */
static const char *const state_files[] = {
	EMU_STATE_CA_KEY, EMU_STATE_CA_CERT, EMU_STATE_UDS,
	EMU_STATE_DEVICEID, EMU_STATE_TRUST,
};

struct provision {
	const struct emu_provision_config *cfg;
	int dirfd;
	EVP_PKEY *ca_key;
	X509 *ca_cert;
	bool ca_created;
	uint8_t uds[OFS_UDS_LEN];
	bool created[EMU_ARRAY_SIZE(state_files)];
};

static char *state_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

int emu_state_open(const char *dir, const char *name, bool secret)
{
	mode_t others = secret ? 077 : 022;
	struct stat st;
	char *path;
	int fd, r;

	path = state_path(dir, name);
	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = emu_log_errno(-errno, "%s: %m", path);
		goto free_path;
	}
	r = fstat(fd, &st) < 0 ? -errno : 0;
	if (r == 0 && (!S_ISREG(st.st_mode) || st.st_uid != geteuid()))
		r = emu_log_errno(-EPERM, "%s: not a regular file of ours, "
				  "refused", path);
	else if (r == 0 && (st.st_mode & others))
		r = emu_log_errno(-EPERM, "%s: mode %04o lets group or others "
				  "%s it, refused: chmod %s it", path,
				  (unsigned int)(st.st_mode & 07777),
				  secret ? "access" : "write",
				  secret ? "600" : "go-w");
	if (r < 0) {
		close(fd);
		goto free_path;
	}
	r = fd;
free_path:
	free(path);
	return r;
}

/* The directory, 0700 and ours; created if needed. */
static int prepare_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return emu_log_errno(-errno, "cannot create %s: %m", dir);
	if (lstat(dir, &st) < 0)
		return emu_log_errno(-errno, "%s: %m", dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return emu_log_errno(-EPERM, "%s: not a directory of ours",
				     dir);
	if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) < 0)
		return emu_log_errno(-errno, "cannot chmod 700 %s: %m", dir);
	return 0;
}

/* Refuses an existing provisioning unless forced; then clears it. */
static int check_existing(struct provision *p)
{
	const char *dir = p->cfg->dir;
	struct stat st;
	size_t i;

	for (i = 0; i < EMU_ARRAY_SIZE(state_files); i++) {
		if (fstatat(p->dirfd, state_files[i], &st,
			    AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return emu_log_errno(-errno, "%s/%s: %m", dir,
					     state_files[i]);
		}
		if (!p->cfg->force)
			return emu_log_errno(-EEXIST, "%s is already "
					     "provisioned (%s exists); --force "
					     "gives the device a new identity",
					     dir, state_files[i]);
		if (unlinkat(p->dirfd, state_files[i], 0) < 0)
			return emu_log_errno(-errno, "cannot remove %s/%s: %m",
					     dir, state_files[i]);
	}
	return 0;
}

static void mark_created(struct provision *p, const char *name)
{
	size_t i;

	for (i = 0; i < EMU_ARRAY_SIZE(state_files); i++)
		if (strcmp(state_files[i], name) == 0)
			p->created[i] = true;
}

/* A half-provisioned directory would look provisioned: undo it. */
static void remove_created(struct provision *p)
{
	size_t i;

	for (i = 0; i < EMU_ARRAY_SIZE(state_files); i++)
		if (p->created[i])
			(void)unlinkat(p->dirfd, state_files[i], 0);
}

static int write_uds(struct provision *p)
{
	ssize_t n;
	int fd, r = 0;

	if (RAND_priv_bytes(p->uds, sizeof(p->uds)) != 1)
		return emu_log_errno(-EIO, "no randomness for the UDS");
	fd = openat(p->dirfd, EMU_STATE_UDS, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return emu_log_errno(-errno, "cannot create %s/%s: %m",
				     p->cfg->dir, EMU_STATE_UDS);
	mark_created(p, EMU_STATE_UDS);
	/* 0600 whatever the umask. */
	if (fchmod(fd, 0600) < 0)
		r = -errno;
	n = r ? -1 : write(fd, p->uds, sizeof(p->uds));
	if (!r && n != (ssize_t)sizeof(p->uds))
		r = n < 0 ? -errno : -EIO;
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r < 0)
		return emu_log_errno(r, "cannot write %s/%s: %m", p->cfg->dir,
				     EMU_STATE_UDS);
	return 0;
}

static int load_ca(struct provision *p)
{
	const struct emu_provision_config *cfg = p->cfg;
	int r;

	r = ofs_key_load_pem(cfg->ca_key_path, &p->ca_key);
	if (r < 0)
		return emu_log_errno(r, "%s: cannot load a private key: %m",
				     cfg->ca_key_path);
	r = ofs_cert_load(cfg->ca_cert_path, &p->ca_cert);
	if (r < 0)
		return emu_log_errno(r, "%s: cannot load a certificate: %m",
				     cfg->ca_cert_path);
	if (X509_check_private_key(p->ca_cert, p->ca_key) != 1 ||
	    X509_check_ca(p->ca_cert) < 1)
		return emu_log_errno(-EINVAL, "%s is not a CA certificate for "
				     "%s", cfg->ca_cert_path,
				     cfg->ca_key_path);
	return 0;
}

/* A test fleet's manufacturer CA; a real one lives in the factory HSM. */
static int create_ca(struct provision *p)
{
	time_t now = time(NULL);
	char *path;
	int r;

	p->ca_key = EVP_EC_gen("P-384");
	if (!p->ca_key)
		return emu_log_errno(-ENOMEM, "cannot create the CA key");
	/* An hour of slack for verifiers whose clock runs behind. */
	r = ofs_cert_make_root(p->ca_key, OFS_ROOT_CN, now - 3600,
			       now + ROOT_LIFETIME, &p->ca_cert);
	if (r < 0)
		return emu_log_errno(r, "cannot create the CA certificate: %m");
	path = state_path(p->cfg->dir, EMU_STATE_CA_KEY);
	if (!path)
		return -ENOMEM;
	mark_created(p, EMU_STATE_CA_KEY);
	r = ofs_key_save_pem(path, p->ca_key, 0600);
	if (r < 0)
		emu_log_errno(r, "cannot write %s: %m", path);
	free(path);
	p->ca_created = true;
	return r;
}

static int save_cert(struct provision *p, const char *name, X509 *cert)
{
	char *path = state_path(p->cfg->dir, name);
	int r;

	if (!path)
		return -ENOMEM;
	mark_created(p, name);
	r = ofs_cert_save_pem(path, cert, 0644);
	if (r < 0)
		emu_log_errno(r, "cannot write %s: %m", path);
	free(path);
	return r;
}

/* The factory's view of the device: derive its key, certify it. */
static int certify_device(struct provision *p, uint8_t ueid[OFS_UEID_LEN])
{
	EVP_PKEY *devid_key;
	X509 *cert = NULL;
	int r;

	r = ofs_dice_deviceid_key(p->uds, &devid_key);
	if (r < 0)
		return emu_log_errno(r, "cannot derive the DeviceID key: %m");
	r = ofs_dice_ueid(devid_key, ueid);
	if (r == 0)
		r = ofs_cert_issue_deviceid(p->ca_key, p->ca_cert, devid_key,
					    &cert);
	EVP_PKEY_free(devid_key);
	if (r < 0)
		return emu_log_errno(r, "cannot issue the DeviceID "
				     "certificate: %m");
	r = save_cert(p, EMU_STATE_DEVICEID, cert);
	X509_free(cert);
	return r;
}

static int append_keys(const char *path, EVP_PKEY **all, size_t *n)
{
	EVP_PKEY **keys;
	size_t i, count;
	int r;

	r = ofs_pubkeys_load_pem(path, &keys, &count);
	if (r < 0)
		return emu_log_errno(r, "%s: want PEM P-384 public keys: %m",
				     path);
	if (count == 0 || *n + count > EMU_MAX_RAS_KEY_FILES * 4) {
		ofs_pubkeys_free(keys, count);
		return emu_log_errno(-EINVAL, "%s: no keys, or too many in "
				     "all", path);
	}
	for (i = 0; i < count; i++) {
		all[(*n)++] = keys[i];
		keys[i] = NULL;
	}
	ofs_pubkeys_free(keys, count);
	return 0;
}

static int write_trust_store(struct provision *p)
{
	EVP_PKEY *keys[EMU_MAX_RAS_KEY_FILES * 4] = { NULL };
	size_t i, n = 0;
	char *path;
	int r = 0;

	for (i = 0; r == 0 && i < p->cfg->n_ras_key_paths; i++)
		r = append_keys(p->cfg->ras_key_paths[i], keys, &n);
	path = r == 0 ? state_path(p->cfg->dir, EMU_STATE_TRUST) : NULL;
	if (r == 0 && !path)
		r = -ENOMEM;
	if (r == 0) {
		mark_created(p, EMU_STATE_TRUST);
		r = ofs_pubkeys_save_pem(path, keys, n, 0644);
		if (r < 0)
			emu_log_errno(r, "cannot write %s: %m", path);
		else if (n == 0)
			emu_log_error("no --ras-pubkey: the device will accept "
				      "no RAS confirmation");
	}
	free(path);
	for (i = 0; i < n; i++)
		EVP_PKEY_free(keys[i]);
	return r;
}

static int provision_files(struct provision *p, uint8_t ueid[OFS_UEID_LEN])
{
	int r;

	r = p->cfg->ca_key_path ? load_ca(p) : create_ca(p);
	if (r == 0)
		r = save_cert(p, EMU_STATE_CA_CERT, p->ca_cert);
	if (r == 0)
		r = write_uds(p);
	if (r == 0)
		r = certify_device(p, ueid);
	if (r == 0)
		r = write_trust_store(p);
	return r;
}

int emu_provision(const struct emu_provision_config *cfg)
{
	struct provision p = { .cfg = cfg, .dirfd = -1 };
	char hex[2 * OFS_UEID_LEN + 1];
	uint8_t ueid[OFS_UEID_LEN];
	int r;

	if (!cfg->dir || !cfg->ca_key_path != !cfg->ca_cert_path)
		return emu_log_errno(-EINVAL, "--ca-key and --ca-cert go "
				     "together");
	r = prepare_dir(cfg->dir);
	if (r < 0)
		return r;
	p.dirfd = open(cfg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		       O_NOFOLLOW);
	if (p.dirfd < 0)
		return emu_log_errno(-errno, "%s: %m", cfg->dir);
	r = check_existing(&p);
	if (r == 0)
		r = provision_files(&p, ueid);
	if (r < 0)
		remove_created(&p);
	OPENSSL_cleanse(p.uds, sizeof(p.uds));
	EVP_PKEY_free(p.ca_key);
	X509_free(p.ca_cert);
	close(p.dirfd);
	if (r == 0) {
		ofs_hex(ueid, sizeof(ueid), hex);
		fprintf(stderr, "offload-sec-emu: provisioned %s: ueid %s%s\n",
			cfg->dir, hex, p.ca_created ?
			", new manufacturer CA (key in " EMU_STATE_CA_KEY ")" :
			"");
	}
	return r;
}

static void provision_usage(FILE *f)
{
	fprintf(f,
		"Usage: offload-sec-emu provision --dir DIR [OPTIONS]\n"
		"Gives an emulated card its identity: a fresh UDS, the DeviceID\n"
		"certificate from the manufacturer CA, the RAS trust store.\n\n"
		"  --dir DIR            state directory (created 0700)\n"
		"  --ca-key FILE        manufacturer CA private key (PEM) ...\n"
		"  --ca-cert FILE       ... and certificate; without both, a new\n"
		"                       CA is created in DIR\n"
		"  --ras-pubkey FILE    RAS public keys (PEM, P-384); repeatable\n"
		"  --force              replace an existing provisioning\n"
		"  --help               show this help\n");
}

static int provision_parse(int argc, char **argv,
			   struct emu_provision_config *cfg)
{
	enum { OPT_DIR = 256, OPT_CA_KEY, OPT_CA_CERT, OPT_RAS, OPT_FORCE };
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "ca-key", required_argument, NULL, OPT_CA_KEY },
		{ "ca-cert", required_argument, NULL, OPT_CA_CERT },
		{ "ras-pubkey", required_argument, NULL, OPT_RAS },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DIR:
			cfg->dir = optarg;
			break;
		case OPT_CA_KEY:
			cfg->ca_key_path = optarg;
			break;
		case OPT_CA_CERT:
			cfg->ca_cert_path = optarg;
			break;
		case OPT_RAS:
			if (cfg->n_ras_key_paths == EMU_MAX_RAS_KEY_FILES)
				return emu_log_errno(-E2BIG, "at most %d "
						     "--ras-pubkey",
						     EMU_MAX_RAS_KEY_FILES);
			cfg->ras_key_paths[cfg->n_ras_key_paths++] = optarg;
			break;
		case OPT_FORCE:
			cfg->force = true;
			break;
		case 'h':
			provision_usage(stdout);
			exit(EXIT_SUCCESS);
		case ':':
			return emu_log_errno(-EINVAL, "%s needs an argument",
					     argv[optind - 1]);
		default:
			return emu_log_errno(-EINVAL, "unknown option '%s' "
					     "(see provision --help)",
					     argv[optind - 1]);
		}
	}
	if (optind < argc)
		return emu_log_errno(-EINVAL, "unexpected argument '%s'",
				     argv[optind]);
	if (!cfg->dir)
		return emu_log_errno(-EINVAL, "--dir is required");
	return 0;
}

int emu_provision_main(int argc, char **argv)
{
	struct emu_provision_config cfg = { 0 };

	if (provision_parse(argc, argv, &cfg) < 0)
		return 2;
	return emu_provision(&cfg) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
