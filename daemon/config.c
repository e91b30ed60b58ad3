// SPDX-License-Identifier: MIT
/*
 * offload-secd.conf (docs/daemon.md): one table of keys over lib/conf.c.
 * Whatever can be checked about a single value is checked as it is read,
 * so that the error names its file and line; secd_config_check() then
 * looks at the whole.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/un.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "ofs-conf.h"
#include "ofs-identity.h"
#include "ofs-varlink.h"
#include "secd.h"

#define HOST_MAX	255

/*
 * The host of an http(s) URL, its port checked; the rest of the URL is
 * passed to libcurl as it is.  -EINVAL for anything else.
 */
static int url_host(const char *url, char host[HOST_MAX + 1])
{
	const char *auth, *end, *at, *port;
	size_t len;

	if (!strncmp(url, "https://", 8))
		auth = url + 8;
	else if (!strncmp(url, "http://", 7))
		auth = url + 7;
	else
		return -EINVAL;
	if (strpbrk(url, " \t\"<>\\^`{|}"))
		return -EINVAL;
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	if (at)
		return -EINVAL;	/* credentials do not belong in a config file */
	if (*auth == '[') {
		port = memchr(auth, ']', (size_t)(end - auth));
		if (!port)
			return -EINVAL;
		port++;
		auth++;
		len = (size_t)(port - 1 - auth);
	} else {
		port = memchr(auth, ':', (size_t)(end - auth));
		if (!port)
			port = end;
		len = (size_t)(port - auth);
	}
	if (!len || len > HOST_MAX)
		return -EINVAL;
	if (port < end) {
		unsigned long n = 0;
		const char *p;

		if (*port != ':' || port + 1 == end || end - port > 6)
			return -EINVAL;
		for (p = port + 1; p < end; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			n = n * 10 + (unsigned long)(*p - '0');
		}
		if (!n || n > 65535)
			return -EINVAL;
	}
	memcpy(host, auth, len);
	host[len] = '\0';
	return 0;
}

static bool host_is_loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (!strcasecmp(host, "localhost"))
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static int valid_http_url(const char *value)
{
	char host[HOST_MAX + 1];

	return url_host(value, host);
}

static int valid_repo_url(const char *value)
{
	if (!strncmp(value, "file://", 7))
		return ofs_conf_absolute_path(value + 7);
	if (*value == '/')
		return ofs_conf_absolute_path(value);
	return valid_http_url(value);
}

static int valid_socket_path(const char *value)
{
	struct sockaddr_un sa;

	if (strlen(value) >= sizeof(sa.sun_path))
		return -EINVAL;
	return ofs_conf_absolute_path(value);
}

/* The portable set of user and group names, as useradd takes them. */
static int valid_group(const char *value)
{
	size_t len = strlen(value);

	if (!len || len > 32 || *value == '-' || (*value >= '0' && *value <= '9'))
		return -EINVAL;
	return strspn(value, "abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == len ? 0 : -EINVAL;
}

/* A module name as modprobe takes it (no path: the module comes from the
 * installed kernel's modules). */
static int valid_module(const char *value)
{
	size_t len = strlen(value);

	if (!len || len > 55)
		return -EINVAL;
	return strspn(value, "abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == len ? 0 : -EINVAL;
}

/* ChunkSize: the stream's chunks are a power of two bytes. */
static int parse_chunk_size(const struct ofs_conf_key *k, const char *value,
			    void *field)
{
	unsigned long long v;
	int r;

	r = ofs_conf_parse_size(value, &v);
	if (r)
		return r;
	if (v < k->min || v > k->max)
		return -ERANGE;
	if (v & (v - 1))
		return -EINVAL;
	*(unsigned int *)field = (unsigned int)v;
	return 0;
}

/*
 * CacheMax: bytes with K, M, G as everywhere, and T too, since a cache of
 * images is the one size here that reaches terabytes.
 */
static int parse_cache_max(const struct ofs_conf_key *k, const char *value,
			   void *field)
{
	char number[32];
	unsigned long long v;
	unsigned int shift = 0;
	size_t len = strlen(value);
	int r;

	if (len && value[len - 1] == 'T') {
		if (len < 2 || len > sizeof(number) || value[len - 2] < '0' ||
		    value[len - 2] > '9')
			return -EINVAL;
		memcpy(number, value, len - 1);
		number[len - 1] = '\0';
		value = number;
		shift = 40;
	}
	r = ofs_conf_parse_size(value, &v);
	if (r)
		return r;
	if (v > k->max >> shift)
		return -ERANGE;
	*(uint64_t *)field = (uint64_t)v << shift;
	return 0;
}

#define F(x) offsetof(struct secd_config, x)
#define PATH(s, k, x) { s, k, ofs_conf_string, F(x), 0, 0, \
	ofs_conf_absolute_path, "an absolute path" }
#define UINT(s, k, x, lo, hi) { s, k, ofs_conf_uint, F(x), lo, hi, NULL, NULL }

static const struct ofs_conf_key keys[] = {
	PATH("Device", "Path", device),
	{ "Device", "LoadModule", ofs_conf_bool, F(load_module), 0, 0, NULL,
	  "yes or no" },
	{ "Device", "Module", ofs_conf_string, F(module), 0, 0, valid_module,
	  "a module name" },

	{ "Repository", "URL", ofs_conf_string, F(repo_url), 0, 0,
	  valid_repo_url,
	  "https://, http://, file:// or an absolute directory path" },
	PATH("Repository", "Key", repo_key),
	PATH("Repository", "CA", repo_ca),
	PATH("Repository", "Cache", cache_dir),
	PATH("Repository", "State", state_dir),
	UINT("Repository", "FetchTimeoutSec", fetch_timeout, 1, 86400),
	UINT("Repository", "FetchRetries", fetch_retries, 0, 100),
	{ "Repository", "CacheMax", parse_cache_max, F(cache_max), 0, UINT64_MAX,
	  NULL, "bytes with an optional K, M, G or T; 0 for no limit" },

	{ "RAS", "URL", ofs_conf_string, F(ras_url), 0, 0, valid_http_url,
	  "https://host[:port] or http://host[:port]" },
	PATH("RAS", "CA", ras_ca),
	UINT("RAS", "TimeoutSec", ras_timeout, 1, 3600),
	UINT("RAS", "Retries", ras_retries, 0, 100),

	{ "API", "Socket", ofs_conf_string, F(api_socket), 0, 0,
	  valid_socket_path, "an absolute path shorter than 108 bytes" },
	{ "API", "Group", ofs_conf_string, F(api_group), 0, 0, valid_group,
	  "a group name" },

	UINT("Launch", "MaxConcurrent", max_launches, 1, 1024),
	{ "Launch", "ChunkSize", parse_chunk_size, F(chunk_size), 4096,
	  16 << 20, NULL, "a power of two from 4K to 16M" },
	UINT("Launch", "KeepFinished", keep_finished, 0, 65536),
};

static void log_error(const char *message, void *userdata)
{
	secd_log(NULL, LOG_ERR, "%s", message);
}

static struct ofs_conf table(struct secd_config *c,
			     void (*error)(const char *, void *), void *userdata)
{
	return (struct ofs_conf){
		.keys = keys,
		.n_keys = sizeof(keys) / sizeof(keys[0]),
		.target = c,
		.error = error ? error : log_error,
		.userdata = userdata,
	};
}

void secd_config_init(struct secd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->device = strdup("/dev/offload-sec");
	c->load_module = true;
	c->module = strdup("offload_sec");
	c->cache_dir = strdup("/var/cache/offload-sec");
	c->state_dir = strdup("/var/lib/offload-sec");
	c->fetch_timeout = 300;
	c->fetch_retries = 4;
	c->cache_max = 16ULL << 30;
	c->ras_timeout = 10;
	c->ras_retries = 3;
	c->api_socket = strdup(OFS_VARLINK_SOCKET);
	c->api_group = strdup("offload-sec");
	c->max_launches = 8;
	c->chunk_size = 1 << 20;
	c->keep_finished = 64;
}

void secd_config_free(struct secd_config *c)
{
	struct ofs_conf t = table(c, NULL, NULL);

	ofs_conf_free_strings(&t);
	memset(c, 0, sizeof(*c));
}

struct secd_config *secd_config_new(void)
{
	struct secd_config *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	secd_config_init(c);
	atomic_init(&c->n_ref, 1);
	return c;
}

int secd_config_dup(const struct secd_config *c, struct secd_config **out)
{
	struct secd_config *copy;
	char **field;
	size_t i;
	bool lost = false;

	copy = malloc(sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, c, sizeof(*copy));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].parse != ofs_conf_string)
			continue;
		field = (char **)((char *)copy + keys[i].offset);
		if (*field && !(*field = strdup(*field)))
			lost = true;
	}
	atomic_init(&copy->n_ref, 1);
	if (lost) {
		/* The strings that were copied are ours, the others NULL. */
		secd_config_unref(copy);
		return -ENOMEM;
	}
	*out = copy;
	return 0;
}

struct secd_config *secd_config_ref(struct secd_config *c)
{
	if (c)
		atomic_fetch_add_explicit(&c->n_ref, 1, memory_order_relaxed);
	return c;
}

void secd_config_unref(struct secd_config *c)
{
	/* acq_rel: the last one to drop sees what every other holder read. */
	if (!c || atomic_fetch_sub_explicit(&c->n_ref, 1,
					    memory_order_acq_rel) != 1)
		return;
	secd_config_free(c);
	free(c);
}

int secd_config_parse(struct secd_config *c, const char *name,
		      const char *text, size_t len,
		      void (*error)(const char *message, void *userdata),
		      void *userdata)
{
	struct ofs_conf t = table(c, error, userdata);

	return ofs_conf_parse(&t, name, text, len);
}

int secd_config_load(struct secd_config *c, const char *path)
{
	struct ofs_conf t = table(c, NULL, NULL);

	return ofs_conf_load(&t, path);
}

int secd_config_set(struct secd_config *c, const char *key, const char *value)
{
	struct ofs_conf t = table(c, NULL, NULL);

	return ofs_conf_set(&t, key, value);
}

/*
 * The RAS's confirmation is signed and the repository's manifest too, so
 * plain HTTP cannot make the host launch the wrong image; it still lets
 * the network read and delay the exchange, hence a warning, not an error.
 */
static void warn_plain_http(const char *what, const char *url)
{
	char host[HOST_MAX + 1];

	if (!url || strncmp(url, "http://", 7) || url_host(url, host) ||
	    host_is_loopback(host))
		return;
	secd_log(NULL, LOG_WARNING, "%s=%s is plain http:// to a host that is "
		 "not loopback: anyone on the path can read and delay it; "
		 "prefer https://", what, url);
}

int secd_config_check(const struct secd_config *c)
{
	static const struct { size_t offset; const char *name; } required[] = {
		{ F(device), "Device.Path" },
		{ F(module), "Device.Module" },
		{ F(repo_url), "Repository.URL" },
		{ F(repo_key), "Repository.Key" },
		{ F(cache_dir), "Repository.Cache" },
		{ F(state_dir), "Repository.State" },
		{ F(ras_url), "RAS.URL" },
		{ F(api_socket), "API.Socket" },
		{ F(api_group), "API.Group" },
	};
	size_t i;
	int r = 0;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (*(char *const *)((const char *)c + required[i].offset))
			continue;
		secd_log(NULL, LOG_ERR, "%s is not set, and is required",
			 required[i].name);
		r = -EINVAL;
	}
	warn_plain_http("Repository.URL", c->repo_url);
	warn_plain_http("RAS.URL", c->ras_url);
	return r;
}

/* ---- the files it names, and a whole configuration from its source ---- */

/* A PEM bundle with at least one certificate and nothing unreadable. */
static int check_ca(const char *what, const char *path)
{
	unsigned int n = 0;
	X509 *cert;
	FILE *f;
	int r = 0;

	if (!path)
		return 0;
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		secd_log(NULL, LOG_ERR, "%s=%s: %s", what, path, strerror(-r));
		return r;
	}
	ERR_clear_error();
	while ((cert = PEM_read_X509(f, NULL, NULL, NULL))) {
		X509_free(cert);
		n++;
	}
	/* The loop ends at the end of the file, or at a broken block. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE || !n) {
		secd_log(NULL, LOG_ERR, "%s=%s: not a PEM bundle of "
			 "certificates%s", what, path,
			 n ? " (a block after the first is broken)" : "");
		r = -EBADMSG;
	}
	ERR_clear_error();
	fclose(f);
	return r;
}

int secd_config_check_files(const struct secd_config *c)
{
	EVP_PKEY **pubkeys = NULL;
	size_t n = 0;
	int r;

	r = ofs_pubkeys_load_pem(c->repo_key, &pubkeys, &n);
	if (r)
		secd_log(NULL, LOG_ERR, "Repository.Key=%s: %s", c->repo_key,
			 r == -ENOENT || r == -EACCES ? strerror(-r) :
			 "not a PEM list of P-384 public keys");
	else
		ofs_pubkeys_free(pubkeys, n);
	if (check_ca("Repository.CA", c->repo_ca))
		r = -EINVAL;
	if (check_ca("RAS.CA", c->ras_ca))
		r = -EINVAL;
	return r;
}

static int apply_sets(struct secd_config *c, const struct secd_config_source *src)
{
	char key[128];
	size_t i;
	int r;

	for (i = 0; i < src->n_sets; i++) {
		const char *eq = strchr(src->sets[i], '=');

		if (!eq)
			return -EINVAL;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - src->sets[i]),
			 src->sets[i]);
		r = secd_config_set(c, key, eq + 1);
		if (r)
			return r;
	}
	return 0;
}

int secd_config_read(const struct secd_config_source *src,
		     struct secd_config **out)
{
	const char *path = src->path ? src->path : SECD_CONFIG_PATH;
	struct secd_config *c;
	int r = 0;

	c = secd_config_new();
	if (!c)
		return -ENOMEM;
	/* The default file may be absent: the defaults and --set then. */
	if (src->path || !access(path, F_OK))
		r = secd_config_load(c, path);
	if (!r)
		r = apply_sets(c, src);
	if (!r)
		r = secd_config_check(c);
	if (!r && src->check_files)
		r = secd_config_check_files(c);
	if (r) {
		secd_config_unref(c);
		return r;
	}
	*out = c;
	return 0;
}

static bool same_value(const struct ofs_conf_key *k, const struct secd_config *a,
		       const struct secd_config *b)
{
	const char *fa = (const char *)a + k->offset;
	const char *fb = (const char *)b + k->offset;

	if (k->parse == ofs_conf_string) {
		const char *sa = *(char *const *)fa, *sb = *(char *const *)fb;

		return sa == sb || (sa && sb && !strcmp(sa, sb));
	}
	if (k->parse == ofs_conf_bool)
		return *(const bool *)fa == *(const bool *)fb;
	if (k->parse == parse_cache_max)
		return *(const uint64_t *)fa == *(const uint64_t *)fb;
	/* Every other key of the table is an unsigned int. */
	return *(const unsigned int *)fa == *(const unsigned int *)fb;
}

void secd_config_diff(const struct secd_config *a, const struct secd_config *b,
		      void (*changed)(const char *key, void *userdata),
		      void *userdata)
{
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (same_value(&keys[i], a, b))
			continue;
		snprintf(name, sizeof(name), "%s.%s", keys[i].section,
			 keys[i].key);
		changed(name, userdata);
	}
}
