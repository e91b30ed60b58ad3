// SPDX-License-Identifier: MIT
/*
 * offload-secd.conf: the documented defaults, a file that sets every key,
 * each kind of error reported with its line, --set, and the whole-config
 * checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ofs-conf.h"
#include "secd.h"

struct errors {
	char text[8192];
	unsigned int n;
};

static void collect(const char *message, void *userdata)
{
	struct errors *e = userdata;
	size_t used = strlen(e->text);

	snprintf(e->text + used, sizeof(e->text) - used, "%s\n", message);
	e->n++;
}

static int parse(struct secd_config *c, const char *text, struct errors *e)
{
	memset(e, 0, sizeof(*e));
	return secd_config_parse(c, "test.conf", text, strlen(text), collect, e);
}

static const char full[] =
	"# every key\n"
	"[Device]\n"
	"Path=/dev/offload-sec1\n"
	"LoadModule=no\n"
	"Module=offload_sec_test\n"
	"\n"
	"[Repository]\n"
	"URL=https://repo.example:8443/images\n"
	"Key=/etc/offload-sec/repo.pub.pem\n"
	"CA=/etc/offload-sec/repo-ca.pem\n"
	"Cache = /var/cache/x \n"
	"State=/var/lib/x\n"
	"FetchTimeoutSec=60\n"
	"FetchRetries=0\n"
	"CacheMax=2T\n"
	"; RAS\n"
	"[RAS]\n"
	"URL=https://[::1]:8443\n"
	"CA=/etc/offload-sec/ras-ca.pem\n"
	"TimeoutSec=5\n"
	"Retries=1\n"
	"[API]\n"
	"Socket=/run/x/secd.sock\n"
	"Group=kvm\n"
	"[Launch]\n"
	"MaxConcurrent=2\n"
	"ChunkSize=64K\n"
	"KeepFinished=0\n";

static void defaults(void **state)
{
	struct secd_config c;

	secd_config_init(&c);
	assert_string_equal(c.device, "/dev/offload-sec");
	assert_true(c.load_module);
	assert_string_equal(c.module, "offload_sec");
	assert_null(c.repo_url);
	assert_null(c.repo_key);
	assert_null(c.repo_ca);
	assert_string_equal(c.cache_dir, "/var/cache/offload-sec");
	assert_string_equal(c.state_dir, "/var/lib/offload-sec");
	assert_int_equal(c.fetch_timeout, 300);
	assert_int_equal(c.fetch_retries, 4);
	assert_true(c.cache_max == 16ULL << 30);
	assert_null(c.ras_url);
	assert_null(c.ras_ca);
	assert_int_equal(c.ras_timeout, 10);
	assert_int_equal(c.ras_retries, 3);
	assert_string_equal(c.api_socket, "/run/offload-sec/offload-secd.sock");
	assert_string_equal(c.api_group, "offload-sec");
	assert_int_equal(c.max_launches, 8);
	assert_int_equal(c.chunk_size, 1 << 20);
	assert_int_equal(c.keep_finished, 64);
	/* Repository.URL, Repository.Key and RAS.URL are required. */
	assert_int_equal(secd_config_check(&c), -EINVAL);
	secd_config_free(&c);
}

static void every_key(void **state)
{
	struct secd_config c;
	struct errors e;

	secd_config_init(&c);
	assert_int_equal(parse(&c, full, &e), 0);
	assert_int_equal(e.n, 0);
	assert_string_equal(c.device, "/dev/offload-sec1");
	assert_false(c.load_module);
	assert_string_equal(c.module, "offload_sec_test");
	assert_string_equal(c.repo_url, "https://repo.example:8443/images");
	assert_string_equal(c.repo_key, "/etc/offload-sec/repo.pub.pem");
	assert_string_equal(c.repo_ca, "/etc/offload-sec/repo-ca.pem");
	assert_string_equal(c.cache_dir, "/var/cache/x");
	assert_string_equal(c.state_dir, "/var/lib/x");
	assert_int_equal(c.fetch_timeout, 60);
	assert_int_equal(c.fetch_retries, 0);
	assert_true(c.cache_max == 2ULL << 40);
	assert_string_equal(c.ras_url, "https://[::1]:8443");
	assert_string_equal(c.ras_ca, "/etc/offload-sec/ras-ca.pem");
	assert_int_equal(c.ras_timeout, 5);
	assert_int_equal(c.ras_retries, 1);
	assert_string_equal(c.api_socket, "/run/x/secd.sock");
	assert_string_equal(c.api_group, "kvm");
	assert_int_equal(c.max_launches, 2);
	assert_int_equal(c.chunk_size, 64 * 1024);
	assert_int_equal(c.keep_finished, 0);
	assert_int_equal(secd_config_check(&c), 0);
	secd_config_free(&c);
}

/* The same text from a file, through the path the daemon uses. */
static void from_file(void **state)
{
	char path[] = "/tmp/test-secd-config-XXXXXX";
	struct secd_config c;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, full, sizeof(full) - 1), sizeof(full) - 1);
	close(fd);
	secd_config_init(&c);
	assert_int_equal(secd_config_load(&c, path), 0);
	assert_int_equal(c.chunk_size, 64 * 1024);
	assert_string_equal(c.api_group, "kvm");
	secd_config_free(&c);
	unlink(path);

	secd_config_init(&c);
	assert_int_equal(secd_config_load(&c, path), -ENOENT);
	assert_int_equal(secd_config_load(&c, "/tmp"), -EISDIR);
	secd_config_free(&c);
}

struct bad_case {
	const char *text;
	const char *message;	/* expected in the report */
};

static void errors_name_their_line(void **state)
{
	static const struct bad_case cases[] = {
		{ "[Device]\nColour=red\n", "test.conf:2: unknown key \"Colour\" in section [Device]" },
		{ "[Devices]\nPath=/dev/x\n", "test.conf:1: unknown section [Devices], ignoring its keys" },
		{ "\n[Device\n", "test.conf:2: malformed section header \"[Device\"" },
		{ "[]\n", "test.conf:1: malformed section header" },
		{ "[Device]\nPath /dev/x\n", "test.conf:2: not Key=Value: \"Path /dev/x\"" },
		{ "Path=/dev/x\n", "test.conf:1: Key=Value before any [Section]" },
		{ "[Device]\nLoadModule=maybe\n", "test.conf:2: LoadModule=maybe: invalid value, expected yes or no" },
		{ "[Device]\nPath=dev/x\n", "test.conf:2: Path=dev/x: invalid value, expected an absolute path" },
		{ "[Device]\nPath=/dev/../etc\n", "test.conf:2: Path=/dev/../etc: invalid value" },
		{ "[Device]\nModule=../evil\n", "test.conf:2: Module=../evil: invalid value, expected a module name" },
		{ "[Repository]\nURL=ftp://x/\n", "test.conf:2: URL=ftp://x/: invalid value, expected https://" },
		{ "[Repository]\nURL=https://\n", "test.conf:2: URL=https://: invalid value" },
		{ "[Repository]\nURL=https://u:p@host/\n", "test.conf:2: URL=https://u:p@host/: invalid value" },
		{ "[Repository]\nURL=file://relative\n", "test.conf:2: URL=file://relative: invalid value" },
		{ "[RAS]\nURL=file:///srv\n", "test.conf:2: URL=file:///srv: invalid value, expected https://host[:port]" },
		{ "[RAS]\nURL=http://ras:99999\n", "test.conf:2: URL=http://ras:99999: invalid value" },
		{ "[RAS]\nURL=http://ras:\n", "test.conf:2: URL=http://ras:: invalid value" },
		{ "[RAS]\nTimeoutSec=0\n", "test.conf:2: TimeoutSec=0: out of range 1..3600" },
		{ "[RAS]\nRetries=-1\n", "test.conf:2: Retries=-1: invalid value" },
		{ "[RAS]\nRetries=1x\n", "test.conf:2: Retries=1x: invalid value" },
		{ "[RAS]\nRetries=99999999999999999999999\n", "test.conf:2: Retries=99999999999999999999999: out of range 0..100" },
		{ "[Repository]\nFetchTimeoutSec=86401\n", "test.conf:2: FetchTimeoutSec=86401: out of range 1..86400" },
		{ "[Launch]\nMaxConcurrent=0\n", "test.conf:2: MaxConcurrent=0: out of range 1..1024" },
		{ "[Launch]\nChunkSize=3000\n", "test.conf:2: ChunkSize=3000: out of range 4096..16777216" },
		{ "[Launch]\nChunkSize=32M\n", "test.conf:2: ChunkSize=32M: out of range" },
		{ "[Launch]\nChunkSize=96K\n", "test.conf:2: ChunkSize=96K: invalid value, expected a power of two from 4K to 16M" },
		{ "[Launch]\nChunkSize=1T\n", "test.conf:2: ChunkSize=1T: invalid value" },
		{ "[Launch]\nChunkSize=99999999999999G\n", "test.conf:2: ChunkSize=99999999999999G: out of range" },
		{ "[Repository]\nCacheMax=T\n", "test.conf:2: CacheMax=T: invalid value, expected bytes with an optional K, M, G or T" },
		{ "[Repository]\nCacheMax=1KT\n", "test.conf:2: CacheMax=1KT: invalid value" },
		{ "[Repository]\nCacheMax=-1\n", "test.conf:2: CacheMax=-1: invalid value" },
		{ "[Repository]\nCacheMax=16777216T\n", "test.conf:2: CacheMax=16777216T: out of range" },
		{ "[Repository]\nCacheMax=99999999999999999999\n", "test.conf:2: CacheMax=99999999999999999999: out of range" },
		{ "[API]\nGroup=no body\n", "test.conf:2: Group=no body: invalid value, expected a group name" },
		{ "[API]\nSocket=/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		  "test.conf:2: Socket=/run/aaa" },
		{ "[API]\nGroup=a\x01" "b\n", "test.conf:2: control character in line" },
	};
	struct secd_config c;
	struct errors e;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		secd_config_init(&c);
		assert_int_equal(parse(&c, cases[i].text, &e), -EINVAL);
		if (!strstr(e.text, cases[i].message))
			fail_msg("case %zu: \"%s\" not in \"%s\"", i,
				 cases[i].message, e.text);
		assert_int_equal(e.n, 1);
		secd_config_free(&c);
	}
}

/* Lines that are not text: too long, a NUL inside. */
static void hostile_text(void **state)
{
	static const char nul[] = "[Device]\nPath=/dev/x\0y\n";
	size_t long_len = OFS_CONF_LINE_MAX + 20;
	char *text = malloc(long_len + 64);
	struct secd_config c;
	struct errors e;
	size_t head;

	assert_non_null(text);
	strcpy(text, "[Repository]\nURL=/");
	head = strlen(text);
	memset(text + head, 'a', long_len);
	strcpy(text + head + long_len, "\n[RAS]\nTimeoutSec=0\n");
	secd_config_init(&c);
	assert_int_equal(parse(&c, text, &e), -EINVAL);
	/* Every problem is reported, not only the first. */
	assert_non_null(strstr(e.text, "test.conf:2: line longer than 4096 bytes"));
	assert_non_null(strstr(e.text, "test.conf:4: TimeoutSec=0: out of range"));
	assert_int_equal(e.n, 2);
	assert_null(c.repo_url);
	secd_config_free(&c);
	free(text);

	secd_config_init(&c);
	memset(&e, 0, sizeof(e));
	assert_int_equal(secd_config_parse(&c, "test.conf", nul, sizeof(nul) - 1,
					   collect, &e), -EINVAL);
	assert_non_null(strstr(e.text, "test.conf:2: NUL byte in line"));
	assert_string_equal(c.device, "/dev/offload-sec");
	secd_config_free(&c);

	/* No newline at the end, CRLF endings, blanks around '='. */
	secd_config_init(&c);
	assert_int_equal(parse(&c, "[Launch]\r\nMaxConcurrent = 3\r\nKeepFinished=5", &e), 0);
	assert_int_equal(c.max_launches, 3);
	assert_int_equal(c.keep_finished, 5);
	secd_config_free(&c);
}

static void later_wins_and_empty_unsets(void **state)
{
	struct secd_config c;
	struct errors e;

	secd_config_init(&c);
	assert_int_equal(parse(&c, "[Repository]\nURL=/srv/a\nURL=file:///srv/b\n"
			       "CA=/x\nCA=\n[Device]\nLoadModule=off\n"
			       "LoadModule=TRUE\n", &e), 0);
	assert_string_equal(c.repo_url, "file:///srv/b");
	assert_null(c.repo_ca);
	assert_true(c.load_module);
	secd_config_free(&c);
}

static void set_from_command_line(void **state)
{
	struct secd_config c;

	secd_config_init(&c);
	assert_int_equal(secd_config_set(&c, "Repository.URL", "/srv/repo"), 0);
	assert_int_equal(secd_config_set(&c, "RAS.URL", "http://127.0.0.1:8443"), 0);
	assert_int_equal(secd_config_set(&c, "Key", "/k.pem"), 0);
	assert_int_equal(secd_config_set(&c, "MaxConcurrent", "16"), 0);
	assert_int_equal(secd_config_set(&c, "Launch.ChunkSize", "4K"), 0);
	assert_string_equal(c.repo_url, "/srv/repo");
	assert_string_equal(c.ras_url, "http://127.0.0.1:8443");
	assert_string_equal(c.repo_key, "/k.pem");
	assert_int_equal(c.max_launches, 16);
	assert_int_equal(c.chunk_size, 4096);
	assert_int_equal(secd_config_set(&c, "CacheMax", "0"), 0);
	assert_true(c.cache_max == 0);
	assert_int_equal(secd_config_set(&c, "Repository.CacheMax", "16777215T"), 0);
	assert_true(c.cache_max == 16777215ULL << 40);
	assert_int_equal(secd_config_set(&c, "CacheMax", "1500M"), 0);
	assert_true(c.cache_max == 1500ULL << 20);
	assert_int_equal(secd_config_check(&c), 0);

	assert_int_equal(secd_config_set(&c, "URL", "/srv"), -ENOTUNIQ);
	assert_int_equal(secd_config_set(&c, "CA", "/ca.pem"), -ENOTUNIQ);
	assert_int_equal(secd_config_set(&c, "Colour", "red"), -ENOENT);
	assert_int_equal(secd_config_set(&c, "Launch.Path", "/x"), -ENOENT);
	assert_int_equal(secd_config_set(&c, "Device.Path.x", "/x"), -ENOENT);
	assert_int_equal(secd_config_set(&c, ".Path", "/x"), -ENOENT);
	assert_int_equal(secd_config_set(&c, "MaxConcurrent", "5000"), -ERANGE);
	assert_int_equal(secd_config_set(&c, "RAS.URL", "ras:8443"), -EINVAL);
	/* A failed --set leaves the value as it was. */
	assert_int_equal(c.max_launches, 16);
	assert_string_equal(c.ras_url, "http://127.0.0.1:8443");

	/* A required key emptied again. */
	assert_int_equal(secd_config_set(&c, "RAS.URL", ""), 0);
	assert_int_equal(secd_config_check(&c), -EINVAL);
	secd_config_free(&c);
}

/* Plain http:// elsewhere than loopback is allowed (with a warning). */
static void count_changed(const char *key, void *userdata)
{
	assert_string_equal(key, "Repository.CacheMax");
	(*(unsigned int *)userdata)++;
}

/* A 64-bit key: a change above the low 32 bits is still a change. */
static void cache_max_diff(void **state)
{
	struct secd_config a, b;
	unsigned int n = 0;

	secd_config_init(&a);
	secd_config_init(&b);
	secd_config_diff(&a, &b, count_changed, &n);
	assert_int_equal(n, 0);
	b.cache_max = a.cache_max + (1ULL << 32);
	secd_config_diff(&a, &b, count_changed, &n);
	assert_int_equal(n, 1);
	secd_config_free(&a);
	secd_config_free(&b);
}

static void plain_http(void **state)
{
	struct secd_config c;

	secd_config_init(&c);
	assert_int_equal(secd_config_set(&c, "Repository.URL", "http://repo.lan/x"), 0);
	assert_int_equal(secd_config_set(&c, "RAS.URL", "http://[::1]"), 0);
	assert_int_equal(secd_config_set(&c, "Key", "/k.pem"), 0);
	assert_int_equal(secd_config_check(&c), 0);
	secd_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_key),
		cmocka_unit_test(cache_max_diff),
		cmocka_unit_test(from_file),
		cmocka_unit_test(errors_name_their_line),
		cmocka_unit_test(hostile_text),
		cmocka_unit_test(later_wins_and_empty_unsets),
		cmocka_unit_test(set_from_command_line),
		cmocka_unit_test(plain_http),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
