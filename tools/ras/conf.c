// SPDX-License-Identifier: MIT
/*
 * offload-ras.conf: systemd-style "[Section]" and "Key=Value" lines, read
 * by lib/conf.c.  Each key is a row of one table (section, key, parser,
 * offset, range); an error names the file and line.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofs-conf.h"
#include "ras.h"

#define F(x) offsetof(struct ras_config, x)
#define COUNT_MAX 1000000

static int parse_sync(const struct ofs_conf_key *k, const char *value,
		      void *field)
{
	if (strcmp(value, "full") && strcmp(value, "normal"))
		return -EINVAL;
	*(bool *)field = !strcmp(value, "full");
	return 0;
}

#define STRING(s, k, x) { s, k, ofs_conf_string, F(x), 0, 0, NULL, NULL }
#define UINT(s, k, x, lo, hi) { s, k, ofs_conf_uint, F(x), lo, hi, NULL, NULL }

static const struct ofs_conf_key keys[] = {
	STRING("Server", "Listen", listen),
	UINT("Server", "Port", port, 0, 65535),
	STRING("Server", "TLSCertificate", tls_cert),
	STRING("Server", "TLSKey", tls_key),
	UINT("Server", "Threads", threads, 1, COUNT_MAX),
	UINT("Server", "MaxConnections", max_connections, 1, COUNT_MAX),
	UINT("Server", "PerIPConnections", per_ip_connections, 1, COUNT_MAX),
	UINT("Server", "Timeout", timeout, 1, COUNT_MAX),
	UINT("Server", "RequestDeadline", request_deadline, 1, COUNT_MAX),
	{ "Server", "MaxBody", ofs_conf_size, F(max_body), 1024, 16 << 20,
	  NULL, "bytes with an optional K or M" },
	STRING("Attestation", "Policy", policy),
	STRING("Attestation", "SigningKey", signing_key),
	STRING("Attestation", "KeyId", key_id),
	STRING("Attestation", "Roots", roots),
	UINT("Attestation", "NonceLifetime", nonce_lifetime, 1, COUNT_MAX),
	/* 0: no cache */
	UINT("Attestation", "ChainCacheLifetime", chain_cache_lifetime, 0,
	     COUNT_MAX),
	UINT("Attestation", "ChainCacheSize", chain_cache_size, 1, COUNT_MAX),
	STRING("Store", "Database", database),
	{ "Store", "Synchronous", parse_sync, F(durable), 0, 0, NULL,
	  "full or normal" },
};

static void quiet(const char *message, void *userdata)
{
}

/* Errors to stderr, or nowhere (ras_conf_set's caller words its own). */
static struct ofs_conf table(struct ras_config *c, bool report)
{
	return (struct ofs_conf){
		.keys = keys,
		.n_keys = sizeof(keys) / sizeof(keys[0]),
		.target = c,
		.error = report ? NULL : quiet,
	};
}

void ras_conf_init(struct ras_config *c)
{
	memset(c, 0, sizeof(*c));
	c->listen = strdup("127.0.0.1");
	c->port = 8443;
	c->database = strdup("/var/lib/offload-ras/ras.db");
	c->threads = 2;
	c->max_connections = 256;
	c->per_ip_connections = 64;
	c->timeout = 10;
	c->request_deadline = 30;
	c->max_body = 64 * 1024;
	c->nonce_lifetime = 120;
	c->chain_cache_lifetime = 600;
	c->chain_cache_size = 4096;
}

void ras_conf_free(struct ras_config *c)
{
	struct ofs_conf t = table(c, false);

	ofs_conf_free_strings(&t);
	memset(c, 0, sizeof(*c));
}

int ras_conf_set(struct ras_config *c, const char *key, const char *value)
{
	struct ofs_conf t = table(c, false);

	return ofs_conf_set(&t, key, value);
}

int ras_conf_load(struct ras_config *c, const char *path)
{
	struct ofs_conf t = table(c, true);

	return ofs_conf_load(&t, path);
}

int ras_conf_check(const struct ras_config *c)
{
	static const struct { size_t off; const char *name; } required[] = {
		{ F(policy), "Attestation.Policy" },
		{ F(signing_key), "Attestation.SigningKey" },
		{ F(roots), "Attestation.Roots" },
		{ F(database), "Store.Database" },
		{ F(listen), "Server.Listen" },
	};
	size_t i;
	int r = 0;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const char *v = *(char *const *)((const char *)c + required[i].off);

		if (!v || !*v) {
			fprintf(stderr, "offload-ras: %s is not set\n", required[i].name);
			r = -EINVAL;
		}
	}
	if (!c->tls_cert != !c->tls_key) {
		fprintf(stderr, "offload-ras: TLSCertificate and TLSKey go together\n");
		r = -EINVAL;
	}
	if (c->key_id && (!*c->key_id || strlen(c->key_id) > OFS_KID_MAX)) {
		fprintf(stderr, "offload-ras: KeyId is 1..%d bytes\n", OFS_KID_MAX);
		r = -EINVAL;
	}
	return r;
}
