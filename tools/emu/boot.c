// SPDX-License-Identifier: MIT
/*
 * The model's measured boot, as the card's ROM would do it: measure each
 * firmware stage into its register and the event log, derive the CDI from
 * the UDS and the composite measurement, derive the Alias key from the CDI,
 * have the DeviceID key certify it, then forget the UDS, the CDI and the
 * DeviceID key.  New firmware therefore means a new Alias key.
 *
 * The model has no real firmware images: each stage is a built-in
 * description naming the model's version, or a file given with
 * --firmware-stage NAME=FILE (which is how tests and operators make the
 * firmware "change").
 *
 * Without a state directory the identity is ephemeral (ephemeral.c) and
 * the boot counter starts at 1; with one, the counter is kept there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "emu.h"

#define STR_(x)		#x
#define STR(x)		STR_(x)
#define EMU_FW_VERSION	STR(EMU_FW_MAJOR) "." STR(EMU_FW_MINOR) "." \
			STR(EMU_FW_PATCH)

/* Which register each stage extends, and its security version. */
static const struct {
	const char *name;
	uint8_t reg;
	uint32_t svn;
} stages[EMU_NUM_STAGES] = {
	[EMU_STAGE_ROM] = { "rom", 0, 1 },
	[EMU_STAGE_FMC] = { "fmc", 1, 1 },
	[EMU_STAGE_RUNTIME] = { "runtime", 2, 1 },
};

const char *emu_stage_name(enum emu_stage stage)
{
	return stage < EMU_NUM_STAGES ? stages[stage].name : NULL;
}

int emu_boot_stage_arg(struct emu_boot_config *cfg, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t i;

	if (!eq || !eq[1])
		return -EINVAL;
	for (i = 0; i < EMU_NUM_STAGES; i++) {
		if (strlen(stages[i].name) == (size_t)(eq - arg) &&
		    strncmp(stages[i].name, arg, eq - arg) == 0) {
			cfg->stage_files[i] = eq + 1;
			return 0;
		}
	}
	return -EINVAL;
}

static int hash_fd(int fd, uint8_t digest[OFS_SHA256_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t buf[65536];
	ssize_t n;
	int r = -EIO;

	if (!md)
		return -ENOMEM;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto free_md;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (EVP_DigestUpdate(md, buf, n) != 1)
			goto free_md;
	if (n < 0) {
		r = -errno;
		goto free_md;
	}
	if (EVP_DigestFinal_ex(md, digest, NULL) == 1)
		r = 0;
free_md:
	EVP_MD_CTX_free(md);
	return r;
}

static int measure_file(struct ofs_measure_log *log, enum emu_stage i,
			const char *path)
{
	uint8_t digest[OFS_SHA256_LEN];
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return emu_log_errno(-errno, "firmware stage %s: %s: %m",
				     stages[i].name, path);
	r = hash_fd(fd, digest);
	close(fd);
	if (r < 0)
		return emu_log_errno(r, "firmware stage %s: %s: %m",
				     stages[i].name, path);
	return ofs_measure_extend(log, stages[i].reg, stages[i].name, digest,
				  stages[i].svn);
}

/* The built-in stage: its name, the model's version and its svn. */
static int measure_builtin(struct ofs_measure_log *log, enum emu_stage i)
{
	char text[128];
	int n;

	n = snprintf(text, sizeof(text),
		     "offload-sec-emu " EMU_FW_VERSION " stage %s svn %u\n",
		     stages[i].name, (unsigned int)stages[i].svn);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -EINVAL;
	return ofs_measure_stage(log, stages[i].reg, stages[i].name, text, n,
				 stages[i].svn);
}

static int measure_stages(struct emu_identity *id,
			  const struct emu_boot_config *cfg)
{
	int i, r;

	ofs_measure_init(&id->log);
	for (i = 0; i < EMU_NUM_STAGES; i++) {
		r = cfg->stage_files[i] ?
		    measure_file(&id->log, i, cfg->stage_files[i]) :
		    measure_builtin(&id->log, i);
		if (r < 0)
			return r;
	}
	return ofs_measure_summary(id->log.events, id->log.n_events,
				   &id->meas);
}

static int read_uds(const char *dir, uint8_t uds[OFS_UDS_LEN])
{
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	fd = emu_state_open(dir, EMU_STATE_UDS, true);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || st.st_size != OFS_UDS_LEN)
		r = -EINVAL;
	n = r ? -1 : read(fd, uds, OFS_UDS_LEN);
	if (!r && n != OFS_UDS_LEN)
		r = -EINVAL;
	close(fd);
	if (r < 0) {
		OPENSSL_cleanse(uds, OFS_UDS_LEN);
		return emu_log_errno(r, "%s/%s: want exactly %d bytes",
				     dir, EMU_STATE_UDS, OFS_UDS_LEN);
	}
	return 0;
}

/*
 * Checked, then loaded by path: the directory is ours and nobody else may
 * write it (checked first), so the file cannot change in between.
 */
static int load_state_cert(const char *dir, const char *name, X509 **out)
{
	char path[4096];
	int fd, r;

	fd = emu_state_open(dir, name, false);
	if (fd < 0)
		return fd;
	close(fd);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	r = ofs_cert_load(path, out);
	if (r < 0)
		return emu_log_errno(r, "%s: not a certificate: %m", path);
	return 0;
}

static int load_trust_store(struct emu_identity *id, const char *dir)
{
	char path[4096];
	int fd, r;

	fd = emu_state_open(dir, EMU_STATE_TRUST, false);
	if (fd < 0)
		return fd;
	close(fd);
	snprintf(path, sizeof(path), "%s/%s", dir, EMU_STATE_TRUST);
	r = ofs_pubkeys_load_pem(path, &id->ras_keys, &id->n_ras_keys);
	if (r < 0)
		return emu_log_errno(r, "%s: want PEM P-384 public keys: %m",
				     path);
	return 0;
}

static int check_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return emu_log_errno(-errno, "--state %s: %m", dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022))
		return emu_log_errno(-EPERM, "--state %s: want a directory of "
				     "ours that nobody else may write "
				     "(chmod 700 it)", dir);
	return 0;
}

static int load_state(struct emu_identity *id, const char *dir)
{
	int r;

	r = check_dir(dir);
	if (r == 0)
		r = load_state_cert(dir, EMU_STATE_CA_CERT, &id->root_cert);
	if (r == 0)
		r = load_state_cert(dir, EMU_STATE_DEVICEID,
				    &id->deviceid_cert);
	if (r == 0)
		r = load_trust_store(id, dir);
	return r;
}

/* Layer 0's work: everything that needs the UDS or the DeviceID key. */
static int derive_and_certify(struct emu_identity *id,
			      const uint8_t uds[OFS_UDS_LEN])
{
	EVP_PKEY *devid_key;
	int r;

	r = ofs_dice_deviceid_key(uds, &devid_key);
	if (r < 0)
		return emu_log_errno(r, "cannot derive the DeviceID key: %m");
	if (EVP_PKEY_eq(X509_get0_pubkey(id->deviceid_cert), devid_key) != 1) {
		r = emu_log_errno(-EKEYREJECTED, "%s does not certify the key "
				  "of %s: re-provision", EMU_STATE_DEVICEID,
				  EMU_STATE_UDS);
		goto free_devid;
	}
	r = ofs_dice_ueid(devid_key, id->ueid);
	if (r == 0)
		r = ofs_dice_alias_from_uds(uds, id->meas.composite,
					    &id->alias_key);
	if (r == 0)
		r = ofs_cert_issue_alias(devid_key, id->deviceid_cert,
					 id->alias_key, &id->meas,
					 &id->alias_cert);
	if (r < 0)
		emu_log_errno(r, "cannot derive and certify the Alias key: %m");
free_devid:
	EVP_PKEY_free(devid_key);
	return r;
}

/* What a verifier will do, done once here: a bad chain fails the start. */
static int self_check(const struct emu_identity *id)
{
	struct ofs_chain_info info;
	X509 *root = id->root_cert;
	int r;

	r = ofs_cert_verify_chain(&root, 1, id->deviceid_cert, id->alias_cert,
				  &info);
	if (r < 0)
		return emu_log_errno(r, "own certificate chain rejected: %s",
				     info.reason);
	ofs_chain_info_release(&info);
	return 0;
}

/*
 * The boot counter: one more than at the last boot of this provisioning
 * (a missing file is a first boot), written back before the device
 * serves anything, so that no two boots report the same number.
 */
static int read_boot_count(const char *dir, uint64_t *count)
{
	char buf[32] = { 0 }, path[4096], *end;
	unsigned long long v;
	struct stat st;
	ssize_t n;
	int fd;

	*count = 0;
	/* Quietly: emu_state_open() would log a missing file as an error. */
	snprintf(path, sizeof(path), "%s/%s", dir, EMU_STATE_BOOT_COUNT);
	if (lstat(path, &st) < 0 && errno == ENOENT)
		return 0;
	fd = emu_state_open(dir, EMU_STATE_BOOT_COUNT, false);
	if (fd < 0)
		return fd;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	errno = 0;
	v = n > 0 ? strtoull(buf, &end, 10) : 0;
	if (n <= 0 || errno || end == buf || (*end && *end != '\n') ||
	    v == UINT64_MAX)
		return emu_log_errno(-EINVAL, "%s/%s: want a decimal count",
				     dir, EMU_STATE_BOOT_COUNT);
	*count = v;
	return 0;
}

#define BOOT_COUNT_NEW	EMU_STATE_BOOT_COUNT ".new"

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Written aside and renamed over: a crash leaves the old count or the new. */
static int write_boot_count(const char *dir, uint64_t count)
{
	char buf[32];
	int dfd, fd, r;

	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)count);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return emu_log_errno(-errno, "--state %s: %m", dir);
	fd = openat(dfd, BOOT_COUNT_NEW, O_WRONLY | O_CREAT | O_TRUNC |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
	r = fd < 0 ? -errno : write_all(fd, buf, strlen(buf));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dfd, BOOT_COUNT_NEW, dfd,
			       EMU_STATE_BOOT_COUNT) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dfd, BOOT_COUNT_NEW, 0);
		emu_log_errno(r, "cannot write %s/%s: %m", dir,
			      EMU_STATE_BOOT_COUNT);
	}
	close(dfd);
	return r;
}

static int count_boot(struct emu_identity *id, const char *dir)
{
	int r;

	if (!dir) {
		id->boot_count = 1;
		return 0;
	}
	r = read_boot_count(dir, &id->boot_count);
	if (r < 0)
		return r;
	id->boot_count++;
	return write_boot_count(dir, id->boot_count);
}

/* The UDS and the certificates: provisioned, or made up now. */
static int load_identity(struct emu_identity *id,
			 const struct emu_boot_config *cfg,
			 uint8_t uds[OFS_UDS_LEN])
{
	int r;

	if (!cfg->state_dir) {
		id->ephemeral = true;
		return emu_ephemeral_provision(id, uds, cfg->ras_pubkey_path);
	}
	r = load_state(id, cfg->state_dir);
	if (r == 0)
		r = read_uds(cfg->state_dir, uds);
	return r;
}

int emu_boot(struct emu_identity *id, const struct emu_boot_config *cfg)
{
	uint8_t uds[OFS_UDS_LEN];
	int r;

	memset(id, 0, sizeof(*id));
	r = measure_stages(id, cfg);
	if (r < 0)
		goto release;
	r = load_identity(id, cfg, uds);
	if (r < 0)
		goto release;
	r = derive_and_certify(id, uds);
	OPENSSL_cleanse(uds, sizeof(uds));
	if (r < 0)
		goto release;
	r = self_check(id);
	if (r == 0)
		r = count_boot(id, cfg->state_dir);
	if (r == 0)
		return 0;
release:
	emu_identity_release(id);
	return r;
}

void emu_identity_release(struct emu_identity *id)
{
	EVP_PKEY_free(id->alias_key);
	X509_free(id->root_cert);
	X509_free(id->deviceid_cert);
	X509_free(id->alias_cert);
	ofs_pubkeys_free(id->ras_keys, id->n_ras_keys);
	memset(id, 0, sizeof(*id));
}
