// SPDX-License-Identifier: MIT
/*
 * An identity for a model started without --state: what the factory would
 * have done (provision.c), done in memory at every start.  The UDS is
 * random and the manufacturer CA is made up and forgotten, so no verifier
 * can recognise this device from one start to the next; it exists so that
 * a test harness can run session commands without provisioning.  The RAS
 * trust store is empty unless --ras-pubkey names keys to trust.
 */
#include <errno.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "emu.h"

/* Long enough for any test run; an hour back for clocks behind ours. */
#define EPHEMERAL_ROOT_LIFETIME	(24L * 3600)

static int make_ca(X509 **cert, EVP_PKEY **key)
{
	time_t now = time(NULL);

	*key = EVP_EC_gen("P-384");
	if (!*key)
		return -ENOMEM;
	return ofs_cert_make_root(*key, OFS_ROOT_CN " (ephemeral)", now - 3600,
				  now + EPHEMERAL_ROOT_LIFETIME, cert);
}

static int certify(struct emu_identity *id, const uint8_t uds[OFS_UDS_LEN])
{
	EVP_PKEY *ca_key = NULL, *devid_key = NULL;
	int r;

	r = make_ca(&id->root_cert, &ca_key);
	if (r == 0)
		r = ofs_dice_deviceid_key(uds, &devid_key);
	if (r == 0)
		r = ofs_cert_issue_deviceid(ca_key, id->root_cert, devid_key,
					    &id->deviceid_cert);
	/* The CA's key dies here: nothing else will ever be issued. */
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(devid_key);
	return r;
}

static int load_ras_keys(struct emu_identity *id, const char *path)
{
	int r;

	if (!path)
		return 0;
	r = ofs_pubkeys_load_pem(path, &id->ras_keys, &id->n_ras_keys);
	if (r < 0)
		return emu_log_errno(r, "--ras-pubkey %s: want PEM P-384 "
				     "public keys: %m", path);
	return 0;
}

int emu_ephemeral_provision(struct emu_identity *id,
			    uint8_t uds[OFS_UDS_LEN],
			    const char *ras_pubkey_path)
{
	int r;

	if (RAND_priv_bytes(uds, OFS_UDS_LEN) != 1)
		return emu_log_errno(-EIO, "no randomness for the UDS");
	r = certify(id, uds);
	if (r < 0) {
		OPENSSL_cleanse(uds, OFS_UDS_LEN);
		return emu_log_errno(r, "cannot make an ephemeral identity: "
				     "%m");
	}
	r = load_ras_keys(id, ras_pubkey_path);
	if (r < 0)
		OPENSSL_cleanse(uds, OFS_UDS_LEN);
	return r;
}
