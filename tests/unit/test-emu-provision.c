// SPDX-License-Identifier: MIT
/*
 * The device model's provisioning and measured boot: file modes, refusals,
 * the chain it builds, and the Alias key following the firmware.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu-test.h"

#include <openssl/evp.h>

struct dirs {
	char top[256];
	char state[300];
	char file[400];
};

static const char *in(struct dirs *d, const char *name)
{
	snprintf(d->file, sizeof(d->file), "%s/%s", d->state, name);
	return d->file;
}

static int prov_setup(void **state)
{
	struct dirs *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	snprintf(d->top, sizeof(d->top), "%s/test-emu-provision.XXXXXX", fake_tmpdir());
	if (!mkdtemp(d->top))
		return -1;
	snprintf(d->state, sizeof(d->state), "%s/state", d->top);
	*state = d;
	return 0;
}

static int prov_teardown(void **state)
{
	struct dirs *d = *state;
	char cmd[600];

	/* Only what this test created, under its own mkdtemp directory. */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", d->top);
	if (system(cmd) != 0)
		return -1;
	free(d);
	return 0;
}

static int provision(struct dirs *d, bool force)
{
	struct emu_provision_config cfg = { .dir = d->state, .force = force };

	return emu_provision(&cfg);
}

static unsigned int mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void provision_modes(void **state)
{
	struct dirs *d = *state;
	mode_t old = umask(0);	/* modes must not depend on the umask */

	assert_int_equal(provision(d, false), 0);
	umask(old);
	assert_int_equal(mode_of(d->state), 0700);
	assert_int_equal(mode_of(in(d, EMU_STATE_UDS)), 0600);
	assert_int_equal(mode_of(in(d, EMU_STATE_CA_KEY)), 0600);
	assert_int_equal(mode_of(in(d, EMU_STATE_CA_CERT)) & 022, 0);
	assert_int_equal(mode_of(in(d, EMU_STATE_DEVICEID)) & 022, 0);
	assert_int_equal(mode_of(in(d, EMU_STATE_TRUST)) & 022, 0);
}

static void provision_refuses_existing(void **state)
{
	struct dirs *d = *state;
	X509 *before = NULL, *after = NULL;

	assert_int_equal(provision(d, false), 0);
	assert_int_equal(ofs_cert_load(in(d, EMU_STATE_DEVICEID), &before), 0);
	assert_int_equal(provision(d, false), -EEXIST);
	assert_int_equal(provision(d, true), 0);
	assert_int_equal(ofs_cert_load(in(d, EMU_STATE_DEVICEID), &after), 0);
	/* --force means a new UDS, so a new device. */
	assert_int_not_equal(X509_cmp(before, after), 0);
	X509_free(before);
	X509_free(after);
}

/* A CA given on the command line is used, and its key not copied. */
static void provision_with_ca(void **state)
{
	struct dirs *d = *state;
	struct emu_provision_config cfg = { .dir = d->state };
	char key[400], cert[400], ras[400];
	EVP_PKEY *k = EVP_EC_gen("P-384");
	X509 *root = NULL, *copy = NULL;

	snprintf(key, sizeof(key), "%s/ca.key", d->top);
	snprintf(cert, sizeof(cert), "%s/ca.pem", d->top);
	snprintf(ras, sizeof(ras), "%s/ras.pem", d->top);
	assert_int_equal(ofs_cert_make_root(k, "test CA", time(NULL) - 60,
					    time(NULL) + 3600, &root), 0);
	assert_int_equal(ofs_key_save_pem(key, k, 0600), 0);
	assert_int_equal(ofs_cert_save_pem(cert, root, 0644), 0);
	cfg.ca_key_path = key;
	cfg.ca_cert_path = cert;
	cfg.ras_key_paths[0] = cert;	/* not a public key */
	cfg.n_ras_key_paths = 1;
	assert_int_equal(emu_provision(&cfg), -EBADMSG);
	/* Nothing left behind that would look provisioned. */
	assert_int_equal(access(in(d, EMU_STATE_UDS), F_OK), -1);
	assert_int_equal(access(in(d, EMU_STATE_CA_CERT), F_OK), -1);

	assert_int_equal(ofs_pubkeys_save_pem(ras, &k, 1, 0644), 0);
	cfg.ras_key_paths[0] = ras;
	cfg.ca_key_path = cert;		/* a certificate is not a key */
	assert_int_equal(emu_provision(&cfg), -EBADMSG);
	cfg.ca_key_path = key;
	assert_int_equal(emu_provision(&cfg), 0);
	assert_int_equal(access(in(d, EMU_STATE_CA_KEY), F_OK), -1);
	assert_int_equal(ofs_cert_load(in(d, EMU_STATE_CA_CERT), &copy), 0);
	assert_int_equal(X509_cmp(copy, root), 0);
	X509_free(copy);
	X509_free(root);
	EVP_PKEY_free(k);
}

static void boot_ok(struct dirs *d, const char *runtime,
		    struct emu_identity *id)
{
	struct emu_boot_config cfg = { .state_dir = d->state };

	cfg.stage_files[EMU_STAGE_RUNTIME] = runtime;
	assert_int_equal(emu_boot(id, &cfg), 0);
}

static void boot_chain_and_log(void **state)
{
	struct dirs *d = *state;
	struct ofs_chain_info info;
	struct emu_identity id;
	X509 *root = NULL;
	EVP_PKEY *devid;

	assert_int_equal(provision(d, false), 0);
	boot_ok(d, NULL, &id);
	assert_int_equal(id.log.n_events, EMU_NUM_STAGES);
	assert_string_equal(id.log.events[0].stage, "rom");
	assert_string_equal(id.log.events[2].stage, "runtime");
	assert_int_equal(ofs_measure_verify_log(id.log.events, id.log.n_events,
						&id.meas), 0);
	assert_int_equal(ofs_cert_load(in(d, EMU_STATE_CA_CERT), &root), 0);
	assert_int_equal(ofs_cert_verify_chain(&root, 1, id.deviceid_cert,
					       id.alias_cert, &info), 0);
	assert_int_equal(EVP_PKEY_eq(info.alias_pub, id.alias_key), 1);
	assert_memory_equal(&info.meas, &id.meas, sizeof(id.meas));
	assert_memory_equal(info.ueid, id.ueid, OFS_UEID_LEN);
	devid = X509_get0_pubkey(id.deviceid_cert);
	assert_int_equal(EVP_PKEY_eq(devid, id.alias_key), 0);
	ofs_chain_info_release(&info);
	X509_free(root);
	emu_identity_release(&id);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Same firmware, same Alias key; one stage changed, another one. */
static void alias_follows_firmware(void **state)
{
	struct dirs *d = *state;
	struct emu_identity a, b, c, e;
	char fw[400];
	struct emu_boot_config cfg = { .state_dir = d->state };
	int s;

	assert_int_equal(provision(d, false), 0);
	snprintf(fw, sizeof(fw), "%s/runtime.bin", d->top);
	write_file(fw, "runtime v1");
	boot_ok(d, fw, &a);
	boot_ok(d, fw, &b);
	assert_int_equal(EVP_PKEY_eq(a.alias_key, b.alias_key), 1);
	assert_memory_equal(&a.meas, &b.meas, sizeof(a.meas));
	write_file(fw, "runtime v2");
	boot_ok(d, fw, &c);
	assert_int_equal(EVP_PKEY_eq(a.alias_key, c.alias_key), 0);
	assert_memory_equal(a.ueid, c.ueid, OFS_UEID_LEN);
	/* Every stage counts, not just the runtime. */
	for (s = 0; s < EMU_NUM_STAGES; s++) {
		memset(cfg.stage_files, 0, sizeof(cfg.stage_files));
		cfg.stage_files[s] = fw;
		assert_int_equal(emu_boot(&e, &cfg), 0);
		assert_int_equal(EVP_PKEY_eq(a.alias_key, e.alias_key), 0);
		assert_int_equal(EVP_PKEY_eq(c.alias_key, e.alias_key),
				 s == EMU_STAGE_RUNTIME);
		emu_identity_release(&e);
	}
	emu_identity_release(&a);
	emu_identity_release(&b);
	emu_identity_release(&c);
}

static void boot_refuses_readable_uds(void **state)
{
	struct dirs *d = *state;
	struct emu_boot_config cfg = { .state_dir = d->state };
	struct emu_identity id;

	assert_int_equal(provision(d, false), 0);
	assert_int_equal(chmod(in(d, EMU_STATE_UDS), 0644), 0);
	assert_int_equal(emu_boot(&id, &cfg), -EPERM);
	assert_int_equal(chmod(in(d, EMU_STATE_UDS), 0640), 0);
	assert_int_equal(emu_boot(&id, &cfg), -EPERM);
	assert_int_equal(chmod(in(d, EMU_STATE_UDS), 0600), 0);
	/* Certificates others may write are refused too. */
	assert_int_equal(chmod(in(d, EMU_STATE_DEVICEID), 0666), 0);
	assert_int_equal(emu_boot(&id, &cfg), -EPERM);
	assert_int_equal(chmod(in(d, EMU_STATE_DEVICEID), 0644), 0);
	assert_int_equal(chmod(d->state, 0777), 0);
	assert_int_equal(emu_boot(&id, &cfg), -EPERM);
	assert_int_equal(chmod(d->state, 0700), 0);
	assert_int_equal(emu_boot(&id, &cfg), 0);
	emu_identity_release(&id);
}

/* A DeviceID certificate from another provisioning does not fit. */
static void boot_refuses_foreign_deviceid(void **state)
{
	struct dirs *d = *state;
	struct emu_boot_config cfg = { .state_dir = d->state };
	struct emu_identity id;
	char saved[400];

	assert_int_equal(provision(d, false), 0);
	snprintf(saved, sizeof(saved), "%s/old.pem", d->top);
	assert_int_equal(rename(in(d, EMU_STATE_DEVICEID), saved), 0);
	assert_int_equal(provision(d, true), 0);
	assert_int_equal(rename(saved, in(d, EMU_STATE_DEVICEID)), 0);
	assert_int_equal(emu_boot(&id, &cfg), -EKEYREJECTED);
}

static void stage_args(void **state)
{
	struct emu_boot_config cfg = { 0 };

	assert_int_equal(emu_boot_stage_arg(&cfg, "fmc=/x"), 0);
	assert_string_equal(cfg.stage_files[EMU_STAGE_FMC], "/x");
	assert_int_equal(emu_boot_stage_arg(&cfg, "fm=/x"), -EINVAL);
	assert_int_equal(emu_boot_stage_arg(&cfg, "fmc="), -EINVAL);
	assert_int_equal(emu_boot_stage_arg(&cfg, "fmc"), -EINVAL);
	assert_int_equal(emu_boot_stage_arg(&cfg, "runtimes=/x"), -EINVAL);
}

#define PROV_TEST(f) cmocka_unit_test_setup_teardown(f, prov_setup, prov_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stage_args),
		PROV_TEST(provision_modes),
		PROV_TEST(provision_refuses_existing),
		PROV_TEST(provision_with_ca),
		PROV_TEST(boot_chain_and_log),
		PROV_TEST(alias_follows_firmware),
		PROV_TEST(boot_refuses_readable_uds),
		PROV_TEST(boot_refuses_foreign_deviceid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
