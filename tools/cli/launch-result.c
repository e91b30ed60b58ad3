// SPDX-License-Identifier: MIT
/*
 * The result of a launch: shown to people, and kept as files that
 * `offload-sec report verify` and any COSE tool read back:
 *
 *   report.cose        the card's signed attestation report
 *   deviceid.pem       the DeviceID certificate
 *   alias.pem          the Alias certificate that signed the report
 *   chain.pem          Alias then DeviceID
 *   confirmation.cose  the verifier's signed confirmation
 *   launch.json        the daemon's whole final reply
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli.h"

static const char *const stage_order[] = {
	"queued", "fetch", "verify", "measure", "attest", "appraise", "confirm",
	"key", "load", "finish",
};

static void print_components(struct json_object *reply, uint64_t dest_offset)
{
	struct json_object *comps, *c;
	char size[32];
	size_t i;

	if (!json_object_object_get_ex(reply, "components", &comps) ||
	    !json_object_is_type(comps, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(comps); i++) {
		c = json_object_array_get_idx(comps, i);
		cli_format_bytes((uint64_t)cli_json_int(c, "size", 0), size, sizeof(size));
		printf("%-10s %s  %" PRId64 " bytes (%s) at offset %" PRIu64 "\n",
		       cli_json_str(c, "kind") ? cli_json_str(c, "kind") : "?",
		       cli_json_str(c, "sha256") ? cli_json_str(c, "sha256") : "?",
		       cli_json_int(c, "size", 0), size,
		       dest_offset + (uint64_t)cli_json_int(c, "offset", 0));
	}
}

static void print_verdict(struct json_object *reply)
{
	struct json_object *verdict;
	const char *policy;

	if (!json_object_object_get_ex(reply, "verdict", &verdict))
		return;
	policy = cli_json_str(verdict, "policy_id");
	printf("%-10s %s%s%s\n", "verdict",
	       cli_json_str(verdict, "verdict") ? cli_json_str(verdict, "verdict") : "?",
	       policy ? ", policy " : "", policy ? policy : "");
}

/* The daemon's own clock for each stage, in stage order, and their sum. */
static void print_timings(struct json_object *reply)
{
	struct json_object *timings;
	char dur[32];
	uint64_t total = 0;
	int64_t usec;
	size_t i;
	bool first = true;

	if (!json_object_object_get_ex(reply, "timings", &timings) ||
	    !json_object_is_type(timings, json_type_object))
		return;
	printf("%-10s", "timings");
	for (i = 0; i < sizeof(stage_order) / sizeof(stage_order[0]); i++) {
		usec = cli_json_int(timings, stage_order[i], -1);
		if (usec < 0)
			continue;
		cli_format_usec((uint64_t)usec, dur, sizeof(dur));
		printf("%s%s %s", first ? " " : ", ", stage_order[i], dur);
		first = false;
		total += (uint64_t)usec;
	}
	cli_format_usec(total, dur, sizeof(dur));
	printf("\n%-10s %s\n", "total", dur);
}

static void line(const char *label, const char *value)
{
	if (value)
		printf("%-10s %s\n", label, value);
}

void cli_launch_print(struct json_object *reply, uint64_t dest_offset)
{
	printf("\n");
	line("launch", cli_json_str(reply, "id"));
	printf("%-10s %s@%s\n", "image",
	       cli_json_str(reply, "image") ? cli_json_str(reply, "image") : "?",
	       cli_json_str(reply, "version") ? cli_json_str(reply, "version") : "?");
	line("device", cli_json_str(reply, "device"));
	line("session", cli_json_str(reply, "session_id"));
	print_components(reply, dest_offset);
	line("boot", cli_json_str(reply, "boot_measurement"));
	print_verdict(reply);
	line("receipt", cli_json_str(reply, "receipt"));
	print_timings(reply);
	fflush(stdout);
}

static int b64_decode(const char *text, uint8_t **out, size_t *len)
{
	size_t n = strlen(text);
	EVP_ENCODE_CTX *ctx;
	int a = 0, b = 0, ok;
	uint8_t *buf;

	if (n > INT32_MAX)
		return -E2BIG;
	buf = malloc(n / 4 * 3 + 3);
	ctx = EVP_ENCODE_CTX_new();
	if (!buf || !ctx) {
		free(buf);
		EVP_ENCODE_CTX_free(ctx);
		return -ENOMEM;
	}
	EVP_DecodeInit(ctx);
	ok = EVP_DecodeUpdate(ctx, buf, &a, (const unsigned char *)text, (int)n) >= 0 &&
	     EVP_DecodeFinal(ctx, buf + a, &b) == 1;
	EVP_ENCODE_CTX_free(ctx);
	if (!ok || a + b == 0) {
		free(buf);
		return -EBADMSG;
	}
	*out = buf;
	*len = (size_t)(a + b);
	return 0;
}

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096];
	const uint8_t *p = data;
	ssize_t w;
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || fchmod(fd, 0644))
		r = -errno;
	for (; !r && len; len -= (size_t)w, p += w) {
		w = write(fd, p, len);
		if (w < 0 && errno != EINTR)
			r = -errno;
		if (w < 0)
			w = 0;
	}
	if (fd >= 0 && close(fd) && !r)
		r = -errno;
	if (r)
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(-r));
	return r;
}

/* A base64 member of the evidence, decoded into DIR/name. */
static int save_b64(const char *dir, const char *name, const char *b64)
{
	uint8_t *der;
	size_t len;
	int r;

	r = b64_decode(b64, &der, &len);
	if (r) {
		fprintf(stderr, "%s: %s: offload-secd sent no valid base64\n", prog, name);
		return r;
	}
	r = write_file(dir, name, der, len);
	free(der);
	return r;
}

/* Appends the PEM of one DER certificate (base64 in the reply) to mem. */
static int add_pem(BIO *mem, const char *b64)
{
	uint8_t *der;
	size_t len;
	int r;

	r = b64_decode(b64, &der, &len);
	if (r)
		return r;
	r = PEM_write_bio(mem, "CERTIFICATE", "", der, (long)len) > 0 ? 0 : -ENOMEM;
	free(der);
	return r;
}

/* One PEM file of the certificates at idx[] (of the DeviceID, Alias chain). */
static int save_pem(const char *dir, const char *name, struct json_object *chain,
		    const size_t *idx, size_t n)
{
	BIO *mem = BIO_new(BIO_s_mem());
	const char *b64;
	char *data;
	long len;
	size_t i;
	int r = mem ? 0 : -ENOMEM;

	for (i = 0; !r && i < n; i++) {
		b64 = json_object_get_string(json_object_array_get_idx(chain, idx[i]));
		r = b64 ? add_pem(mem, b64) : -EBADMSG;
	}
	if (r) {
		fprintf(stderr, "%s: %s: offload-secd sent a certificate that is not base64\n",
			prog, name);
	} else {
		len = BIO_get_mem_data(mem, &data);
		r = write_file(dir, name, data, (size_t)len);
	}
	BIO_free(mem);
	return r;
}

static int save_chain(const char *dir, struct json_object *chain)
{
	static const size_t deviceid[] = { 0 }, alias[] = { 1 }, both[] = { 1, 0 };

	if (!json_object_is_type(chain, json_type_array) ||
	    json_object_array_length(chain) != 2) {
		fprintf(stderr, "%s: offload-secd sent no DeviceID and Alias certificates\n",
			prog);
		return -EBADMSG;
	}
	if (save_pem(dir, "deviceid.pem", chain, deviceid, 1) ||
	    save_pem(dir, "alias.pem", chain, alias, 1) ||
	    save_pem(dir, "chain.pem", chain, both, 2))
		return -EIO;
	return 0;
}

static int make_dir(const char *dir)
{
	struct stat st;

	if (!mkdir(dir, 0755))
		return chmod(dir, 0755) ? -errno : 0;	/* whatever the umask */
	if (errno != EEXIST)
		return -errno;
	if (stat(dir, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int cli_launch_save(const char *dir, struct json_object *reply)
{
	struct json_object *evidence, *chain;
	const char *text, *b64;
	char *json;
	int r;

	r = make_dir(dir);
	if (r) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(-r));
		return 1;
	}
	if (json_object_object_get_ex(reply, "evidence", &evidence)) {
		b64 = cli_json_str(evidence, "report");
		if (b64 && save_b64(dir, "report.cose", b64))
			return 1;
		if (json_object_object_get_ex(evidence, "chain", &chain) &&
		    save_chain(dir, chain))
			return 1;
		b64 = cli_json_str(evidence, "confirmation");
		if (b64 && save_b64(dir, "confirmation.cose", b64))
			return 1;
	} else {
		fprintf(stderr, "%s: offload-secd sent no evidence: only launch.json kept\n",
			prog);
	}
	text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	json = malloc(strlen(text) + 2);
	if (!json)
		return 1;
	r = write_file(dir, "launch.json", json, (size_t)sprintf(json, "%s\n", text));
	free(json);
	return r ? 1 : 0;
}
