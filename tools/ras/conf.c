// SPDX-License-Identifier: MIT
/*
 * offload-ras.conf: systemd-style "[Section]" and "Key=Value" lines, '#'
 * and ';' comments.  Each key is a row of one table (section, key, parser,
 * offset); an error names the file and line and says what was ignored.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ras.h"

typedef int (*conf_parser)(const char *value, void *field);

struct conf_key {
	const char *section, *key;
	conf_parser parse;
	size_t offset;
};

static int parse_string(const char *value, void *field)
{
	char **s = field, *dup = strdup(value);

	if (!dup)
		return -ENOMEM;
	free(*s);
	*s = dup;
	return 0;
}

static int parse_uint(const char *value, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	if (!*value || *value == '-' || *value == '+')
		return -EINVAL;
	*out = strtoul(value, &end, 10);
	if (end == value || *end)
		return -EINVAL;
	return errno || *out > max ? -ERANGE : 0;
}

static int parse_port(const char *value, void *field)
{
	unsigned long v;
	int r = parse_uint(value, 65535, &v);

	if (!r)
		*(unsigned int *)field = (unsigned int)v;
	return r;
}

static int parse_count(const char *value, void *field)
{
	unsigned long v;
	int r = parse_uint(value, 1000000, &v);

	if (!r && !v)
		r = -ERANGE;
	if (!r)
		*(unsigned int *)field = (unsigned int)v;
	return r;
}

/* Like parse_count, with 0 meaning off. */
static int parse_count_or_off(const char *value, void *field)
{
	unsigned long v;
	int r = parse_uint(value, 1000000, &v);

	if (!r)
		*(unsigned int *)field = (unsigned int)v;
	return r;
}

static int parse_size(const char *value, void *field)
{
	unsigned long v;
	int r = parse_uint(value, 16UL << 20, &v);

	if (!r && v < 1024)
		r = -ERANGE;
	if (!r)
		*(size_t *)field = v;
	return r;
}

static int parse_sync(const char *value, void *field)
{
	if (strcmp(value, "full") && strcmp(value, "normal"))
		return -EINVAL;
	*(bool *)field = !strcmp(value, "full");
	return 0;
}

#define F(x) offsetof(struct ras_config, x)

static const struct conf_key keys[] = {
	{ "Server", "Listen", parse_string, F(listen) },
	{ "Server", "Port", parse_port, F(port) },
	{ "Server", "TLSCertificate", parse_string, F(tls_cert) },
	{ "Server", "TLSKey", parse_string, F(tls_key) },
	{ "Server", "Threads", parse_count, F(threads) },
	{ "Server", "MaxConnections", parse_count, F(max_connections) },
	{ "Server", "PerIPConnections", parse_count, F(per_ip_connections) },
	{ "Server", "Timeout", parse_count, F(timeout) },
	{ "Server", "RequestDeadline", parse_count, F(request_deadline) },
	{ "Server", "MaxBody", parse_size, F(max_body) },
	{ "Attestation", "Policy", parse_string, F(policy) },
	{ "Attestation", "SigningKey", parse_string, F(signing_key) },
	{ "Attestation", "KeyId", parse_string, F(key_id) },
	{ "Attestation", "Roots", parse_string, F(roots) },
	{ "Attestation", "NonceLifetime", parse_count, F(nonce_lifetime) },
	{ "Attestation", "ChainCacheLifetime", parse_count_or_off,
	  F(chain_cache_lifetime) },
	{ "Attestation", "ChainCacheSize", parse_count, F(chain_cache_size) },
	{ "Store", "Database", parse_string, F(database) },
	{ "Store", "Synchronous", parse_sync, F(durable) },
};

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
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].parse == parse_string)
			free(*(char **)((char *)c + keys[i].offset));
	memset(c, 0, sizeof(*c));
}

static const struct conf_key *find_key(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((!section || !strcmp(keys[i].section, section)) &&
		    !strcmp(keys[i].key, key))
			return &keys[i];
	return NULL;
}

static int set_key(struct ras_config *c, const struct conf_key *k,
		   const char *value)
{
	return k->parse(value, (char *)c + k->offset);
}

int ras_conf_set(struct ras_config *c, const char *key, const char *value)
{
	const struct conf_key *k = find_key(NULL, key);

	return k ? set_key(c, k, value) : -ENOENT;
}

static char *strip(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = '\0';
	return s;
}

/* One line; returns 0, or -EINVAL after printing why. */
static int conf_line(struct ras_config *c, const char *path, unsigned int n,
		     char *line, char *section, size_t section_size)
{
	const struct conf_key *k;
	char *eq, *key, *value;
	int r;

	line = strip(line);
	if (!*line || *line == '#' || *line == ';')
		return 0;
	if (*line == '[') {
		eq = strchr(line, ']');
		if (!eq || eq[1]) {
			fprintf(stderr, "%s:%u: malformed section header, ignoring "
				"the file\n", path, n);
			return -EINVAL;
		}
		snprintf(section, section_size, "%.*s", (int)(eq - line - 1), line + 1);
		return 0;
	}
	eq = strchr(line, '=');
	if (!eq) {
		fprintf(stderr, "%s:%u: not Key=Value: \"%s\"\n", path, n, line);
		return -EINVAL;
	}
	*eq = '\0';
	key = strip(line);
	value = strip(eq + 1);
	k = find_key(section, key);
	if (!k) {
		fprintf(stderr, "%s:%u: unknown key %s in section [%s]\n", path, n,
			key, section);
		return -EINVAL;
	}
	r = set_key(c, k, value);
	if (r)
		fprintf(stderr, "%s:%u: %s=%s: %s\n", path, n, key, value,
			r == -ERANGE ? "out of range" : "invalid value");
	return r ? -EINVAL : 0;
}

int ras_conf_load(struct ras_config *c, const char *path)
{
	char line[4096], section[64] = "";
	unsigned int n = 0;
	int r = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
		return r;
	}
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr, "%s:%u: line too long\n", path, n);
			r = -EINVAL;
			break;
		}
		if (conf_line(c, path, n, line, section, sizeof(section)))
			r = -EINVAL;
	}
	fclose(f);
	return r;
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
