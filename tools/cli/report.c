// SPDX-License-Identifier: MIT
/*
 * offload-sec report: look at attestation reports and RAS confirmations.
 * "show" decodes with the same strict decoder the verifier uses but does
 * not check the signature; "verify" runs the library's appraisal
 * (lib/ofs-appraise.h, the code path the RAS uses) and prints its checks.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include <openssl/pem.h>

#include "cli.h"
#include "ofs-appraise.h"
#include "ofs-identity.h"
#include "ofs-report.h"
#include "ofs-util.h"

enum kind { KIND_REPORT, KIND_CONFIRMATION };

struct decoded {
	enum kind kind;
	union {
		struct ofs_report rep;
		struct ofs_confirmation conf;
	};
	uint8_t digest[OFS_SHA256_LEN];	/* of the whole COSE_Sign1 */
	size_t len;
};

/* Reads at most max + 1 bytes, so that an oversize file is detected. */
static int read_input(const char *path, uint8_t *buf, size_t max, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t n;
	int r = 0;

	if (!f)
		return -errno;
	n = fread(buf, 1, max + 1, f);
	if (ferror(f))
		r = -EIO;
	if (f != stdin)
		fclose(f);
	*len = n;
	return r;
}

static int decode(const uint8_t *buf, size_t len, struct decoded *d,
		  struct ofs_decode_error *err)
{
	char profile[OFS_POLICY_ID_MAX + 1];
	int r;

	r = ofs_claims_profile(buf, len, profile, sizeof(profile), err);
	if (r < 0)
		return r;
	d->len = len;
	ofs_report_digest(buf, len, d->digest);
	if (!strcmp(profile, OFS_REPORT_PROFILE)) {
		d->kind = KIND_REPORT;
		return ofs_report_parse_unverified(buf, len, &d->rep, err);
	}
	if (!strcmp(profile, OFS_CONFIRM_PROFILE)) {
		d->kind = KIND_CONFIRMATION;
		return ofs_confirmation_parse_unverified(buf, len, &d->conf, err);
	}
	snprintf(err->what, sizeof(err->what), "unknown profile \"%s\"", profile);
	return err->err = -EPROTONOSUPPORT;
}

/* ---- text ---- */

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
	char buf[2 * OFS_P384_POINT_LEN + 1];

	ofs_hex(p, n, buf);
	printf("%-22s %s\n", label, buf);
}

static void text_report(const struct decoded *d)
{
	const struct ofs_report *r = &d->rep;
	uint32_t i;
	char h[2 * OFS_SHA256_LEN + 1];

	printf("%-22s %s\n", "profile:", OFS_REPORT_PROFILE);
	print_hex("report sha256:", d->digest, sizeof(d->digest));
	printf("%-22s not checked (show only decodes)\n", "signature:");
	print_hex("nonce:", r->nonce, sizeof(r->nonce));
	print_hex("ueid:", r->ueid, sizeof(r->ueid));
	printf("%-22s %s\n", "debug:", ofs_dbgstat_name(r->dbgstat));
	printf("%-22s %u.%u.%u\n", "firmware:", r->fw.major, r->fw.minor, r->fw.patch);
	printf("%-22s %u\n", "security version:", r->svn);
	printf("%-22s %" PRIu64 "\n", "boot count:", r->boot_count);
	print_hex("session id:", r->session_id, sizeof(r->session_id));
	print_hex("device ephemeral key:", r->device_pub, sizeof(r->device_pub));
	print_hex("host ephemeral key:", r->host_pub, sizeof(r->host_pub));
	printf("measurement registers:\n");
	for (i = 0; i < r->n_regs; i++) {
		ofs_hex(r->regs[i], OFS_SHA256_LEN, h);
		printf("  [%u] %s\n", i, h);
	}
	printf("event log:\n");
	for (i = 0; i < r->n_events; i++) {
		ofs_hex(r->events[i].digest, OFS_SHA256_LEN, h);
		printf("  reg %u  %-16s svn %-4u %s\n", r->events[i].reg, r->events[i].stage,
		       r->events[i].svn, h);
	}
	printf("image:\n");
	for (i = 0; i < r->n_components; i++) {
		ofs_hex(r->components[i].sha256, OFS_SHA256_LEN, h);
		printf("  %-8s %s  %" PRIu64 " bytes\n",
		       ofs_component_name(r->components[i].component), h,
		       r->components[i].size);
	}
}

static void text_confirmation(const struct decoded *d)
{
	const struct ofs_confirmation *c = &d->conf;

	printf("%-22s %s\n", "profile:", OFS_CONFIRM_PROFILE);
	print_hex("confirmation sha256:", d->digest, sizeof(d->digest));
	printf("%-22s not checked (show only decodes)\n", "signature:");
	printf("%-22s %s\n", "verdict:", ofs_verdict_name(c->verdict));
	print_hex("report sha256:", c->report_sha256, sizeof(c->report_sha256));
	print_hex("nonce:", c->nonce, sizeof(c->nonce));
	printf("%-22s %s\n", "policy:", c->policy_id);
	print_hex("policy digest:", c->policy_digest, sizeof(c->policy_digest));
	printf("%-22s %" PRIu64 "\n", "issued at:", c->issued_at);
	printf("%-22s %" PRIu64 "\n", "expires:", c->expiry);
	print_hex("RAS key id:", c->ras_kid, c->ras_kid_len);
}

/* ---- JSON ---- */

static void add_hex(struct json_object *o, const char *key, const uint8_t *p, size_t n)
{
	char buf[2 * OFS_P384_POINT_LEN + 1];

	ofs_hex(p, n, buf);
	json_object_object_add(o, key, json_object_new_string(buf));
}

static struct json_object *json_event(const struct ofs_boot_event *ev)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "register", json_object_new_int64(ev->reg));
	json_object_object_add(e, "stage", json_object_new_string(ev->stage));
	add_hex(e, "digest", ev->digest, OFS_SHA256_LEN);
	json_object_object_add(e, "svn", json_object_new_int64(ev->svn));
	return e;
}

static struct json_object *json_component(const struct ofs_image_component *c)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "component",
			       json_object_new_string(ofs_component_name(c->component)));
	add_hex(e, "sha256", c->sha256, OFS_SHA256_LEN);
	json_object_object_add(e, "size", json_object_new_uint64(c->size));
	return e;
}

static void json_report(struct json_object *o, const struct ofs_report *r)
{
	struct json_object *regs = json_object_new_array(), *log = json_object_new_array();
	struct json_object *image = json_object_new_array();
	char fw[48];
	uint32_t i;

	add_hex(o, "nonce", r->nonce, sizeof(r->nonce));
	add_hex(o, "ueid", r->ueid, sizeof(r->ueid));
	json_object_object_add(o, "debug", json_object_new_string(ofs_dbgstat_name(r->dbgstat)));
	snprintf(fw, sizeof(fw), "%u.%u.%u", r->fw.major, r->fw.minor, r->fw.patch);
	json_object_object_add(o, "firmware", json_object_new_string(fw));
	json_object_object_add(o, "security_version", json_object_new_int64(r->svn));
	json_object_object_add(o, "boot_count", json_object_new_uint64(r->boot_count));
	add_hex(o, "session_id", r->session_id, sizeof(r->session_id));
	add_hex(o, "device_ephemeral_key", r->device_pub, sizeof(r->device_pub));
	add_hex(o, "host_ephemeral_key", r->host_pub, sizeof(r->host_pub));
	for (i = 0; i < r->n_regs; i++) {
		char h[2 * OFS_SHA256_LEN + 1];

		ofs_hex(r->regs[i], OFS_SHA256_LEN, h);
		json_object_array_add(regs, json_object_new_string(h));
	}
	json_object_object_add(o, "measurement_registers", regs);
	for (i = 0; i < r->n_events; i++)
		json_object_array_add(log, json_event(&r->events[i]));
	json_object_object_add(o, "event_log", log);
	for (i = 0; i < r->n_components; i++)
		json_object_array_add(image, json_component(&r->components[i]));
	json_object_object_add(o, "image", image);
}

static void json_confirmation(struct json_object *o, const struct ofs_confirmation *c)
{
	json_object_object_add(o, "verdict", json_object_new_string(ofs_verdict_name(c->verdict)));
	add_hex(o, "report_sha256", c->report_sha256, sizeof(c->report_sha256));
	add_hex(o, "nonce", c->nonce, sizeof(c->nonce));
	json_object_object_add(o, "policy_id", json_object_new_string(c->policy_id));
	add_hex(o, "policy_digest", c->policy_digest, sizeof(c->policy_digest));
	json_object_object_add(o, "issued_at", json_object_new_uint64(c->issued_at));
	json_object_object_add(o, "expiry", json_object_new_uint64(c->expiry));
	add_hex(o, "ras_key_id", c->ras_kid, c->ras_kid_len);
}

static void print_json(const struct decoded *d)
{
	struct json_object *o = json_object_new_object();
	int report = d->kind == KIND_REPORT;

	json_object_object_add(o, "type", json_object_new_string(report ? "report" : "confirmation"));
	json_object_object_add(o, "profile", json_object_new_string(report ? OFS_REPORT_PROFILE
								     : OFS_CONFIRM_PROFILE));
	add_hex(o, "sha256", d->digest, sizeof(d->digest));
	json_object_object_add(o, "signature_checked", json_object_new_boolean(0));
	if (report)
		json_report(o, &d->rep);
	else
		json_confirmation(o, &d->conf);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* ---- actions ---- */

static void usage(FILE *out)
{
	fprintf(out, "Usage: %s report show FILE [--json]\n"
		"       %s report verify REPORT (--chain DIR | --deviceid F --alias F)\n"
		"                    --roots FILE [--nonce HEX] [--json]\n"
		"       %s report verify CONFIRMATION --ras-pubkey FILE [--report REPORT]\n"
		"                    [--at SECONDS] [--json]\n"
		"show decodes an attestation report or RAS confirmation (COSE_Sign1)\n"
		"without checking its signature; FILE may be '-' for standard input.\n"
		"verify appraises it and prints each check, 'ok' or 'FAILED: why';\n"
		"exit status 0 when every check passed, 1 otherwise.  --chain DIR\n"
		"reads DIR/deviceid.pem and DIR/alias.pem (PEM or DER); --roots is a\n"
		"PEM file of trusted manufacturer roots; --ras-pubkey a PEM file of\n"
		"trusted RAS keys; --at evaluates the validity window at that time\n"
		"(seconds since the epoch) instead of now.\n", prog, prog, prog);
}

static int report_show(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static uint8_t buf[OFS_REPORT_MAX + 1];
	struct ofs_decode_error err = { 0 };
	static struct decoded d;
	int json = 0, c, r;
	size_t len = 0;

	while ((c = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	r = read_input(argv[optind], buf, OFS_REPORT_MAX, &len);
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[optind], strerror(-r));
		return 1;
	}
	r = decode(buf, len, &d, &err);
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s (%s)\n", prog, argv[optind],
			err.what[0] ? err.what : "cannot decode", strerror(-r));
		return 1;
	}
	if (json)
		print_json(&d);
	else if (d.kind == KIND_REPORT)
		text_report(&d);
	else
		text_confirmation(&d);
	return 0;
}

/* ---- verify ---- */

struct verify_opts {
	const char *chain_dir, *deviceid, *alias, *roots;
	const char *ras_pubkey, *report, *nonce_hex, *at;
	int json;
};

void cli_release_certs(X509 **certs, size_t n)
{
	while (n)
		X509_free(certs[--n]);
	free(certs);
}

/* Every certificate of a PEM file, or the one certificate of a DER file. */
int cli_load_roots(const char *path, X509 ***out, size_t *n)
{
	X509 **certs = NULL, **grown, *x;
	FILE *f = fopen(path, "r");

	*n = 0;
	if (!f)
		return -errno;
	while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
		grown = realloc(certs, (*n + 1) * sizeof(*certs));
		if (!grown) {
			X509_free(x);
			cli_release_certs(certs, *n);
			fclose(f);
			return -ENOMEM;
		}
		certs = grown;
		certs[(*n)++] = x;
	}
	fclose(f);
	if (!*n) {
		certs = calloc(1, sizeof(*certs));
		if (!certs)
			return -ENOMEM;
		if (ofs_cert_load(path, &certs[0])) {
			free(certs);
			return -EINVAL;
		}
		*n = 1;
	}
	*out = certs;
	return 0;
}

int cli_load_cert(const char *dir, const char *name, X509 **out)
{
	char path[4096];
	int r;

	if (dir)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%s", name);
	r = ofs_cert_load(path, out);
	if (r < 0)
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(-r));
	return r;
}

static int load_file(const char *path, uint8_t *buf, size_t max, size_t *len)
{
	int r = read_input(path, buf, max, len);

	if (r < 0)
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(-r));
	else if (*len > max)
		fprintf(stderr, "%s: %s: larger than %zu bytes\n", prog, path, max);
	return r < 0 || *len > max ? -1 : 0;
}

static void text_appraisal(const char *what, const struct ofs_appraisal *a)
{
	const struct ofs_check *c;
	size_t i;

	for (i = 0; i < a->n_checks; i++) {
		c = &a->checks[i];
		printf("%-22s ", c->name);
		if (!c->err && c->warn)
			printf("ok, WARNING: %s\n", c->why);
		else if (!c->err)
			printf("ok\n");
		else if (c->expected[0] || c->actual[0])
			printf("FAILED: %s (expected %s, found %s)\n", c->why,
			       c->expected, c->actual);
		else
			printf("FAILED: %s\n", c->why);
	}
	if (a->n_failed)
		printf("%s NOT verified: %zu of %zu checks failed\n", what,
		       a->n_failed, a->n_checks);
	else
		printf("%s verified: %zu checks passed\n", what, a->n_checks);
}

static void json_appraisal(const char *what, const struct ofs_appraisal *a)
{
	struct json_object *o = json_object_new_object();
	struct json_object *list = json_object_new_array(), *e;
	const struct ofs_check *c;
	size_t i;

	json_object_object_add(o, "type", json_object_new_string(what));
	json_object_object_add(o, "verified", json_object_new_boolean(!a->n_failed));
	for (i = 0; i < a->n_checks; i++) {
		c = &a->checks[i];
		e = json_object_new_object();
		json_object_object_add(e, "check", json_object_new_string(c->name));
		json_object_object_add(e, "ok", json_object_new_boolean(!c->err));
		json_object_object_add(e, "expected", json_object_new_string(c->expected));
		json_object_object_add(e, "actual", json_object_new_string(c->actual));
		if (c->err || c->warn)
			json_object_object_add(e, c->err ? "error" : "warning",
					       json_object_new_string(c->why));
		json_object_array_add(list, e);
	}
	json_object_object_add(o, "checks", list);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int cli_print_appraisal(const char *what, const struct ofs_appraisal *a, int json)
{
	if (json)
		json_appraisal(what, a);
	else
		text_appraisal(what, a);
	return a->n_failed ? 1 : 0;
}

static int print_appraisal(const char *what, const struct ofs_appraisal *a,
			   const struct verify_opts *o)
{
	if (o->json)
		json_appraisal(what, a);
	else
		text_appraisal(what, a);
	return a->n_failed ? 1 : 0;
}

static int verify_report(const uint8_t *buf, size_t len,
			 const struct verify_opts *o)
{
	struct ofs_report_evidence ev = { .report = buf, .report_len = len };
	uint8_t nonce[OFS_NONCE_LEN];
	struct ofs_appraisal a;
	X509 *devid = NULL, *alias = NULL, **roots = NULL;
	int ret = 2, r;

	if (!o->roots || !(o->chain_dir || (o->deviceid && o->alias))) {
		fprintf(stderr, "%s report verify: a report needs --roots and "
			"--chain or --deviceid with --alias\n", prog);
		return 2;
	}
	if (o->nonce_hex) {
		if (ofs_unhex(o->nonce_hex, nonce, sizeof(nonce)) != sizeof(nonce)) {
			fprintf(stderr, "%s: --nonce: %d hex digits expected\n",
				prog, 2 * OFS_NONCE_LEN);
			return 2;
		}
		ev.nonce = nonce;
	}
	r = cli_load_roots(o->roots, &roots, &ev.n_roots);
	if (r < 0) {
		fprintf(stderr, "%s: %s: no certificate (%s)\n", prog, o->roots,
			strerror(-r));
		return 1;
	}
	if (cli_load_cert(o->chain_dir, o->chain_dir ? "deviceid.pem" : o->deviceid,
		      &devid) ||
	    cli_load_cert(o->chain_dir, o->chain_dir ? "alias.pem" : o->alias, &alias)) {
		ret = 1;
		goto free_certs;
	}
	ev.roots = roots;
	ev.deviceid = devid;
	ev.alias = alias;
	ofs_appraise_report(&ev, &a, NULL);
	ret = print_appraisal("report", &a, o);
free_certs:
	X509_free(devid);
	X509_free(alias);
	cli_release_certs(roots, ev.n_roots);
	return ret;
}

static int parse_time(const char *s, uint64_t *out)
{
	char *end;

	if (!s) {
		*out = (uint64_t)time(NULL);
		return 0;
	}
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

static int verify_confirmation(const uint8_t *buf, size_t len,
			       const struct verify_opts *o)
{
	static uint8_t rep[OFS_REPORT_MAX + 1];
	struct ofs_confirmation_evidence ev = {
		.confirmation = buf, .confirmation_len = len,
	};
	struct ofs_appraisal a;
	EVP_PKEY **keys = NULL;
	int r;

	if (!o->ras_pubkey) {
		fprintf(stderr, "%s report verify: a confirmation needs "
			"--ras-pubkey\n", prog);
		return 2;
	}
	if (parse_time(o->at, &ev.now)) {
		fprintf(stderr, "%s: --at: seconds since the epoch expected\n", prog);
		return 2;
	}
	if (o->report) {
		if (load_file(o->report, rep, OFS_REPORT_MAX, &ev.report_len))
			return 1;
		ev.report = rep;
	}
	r = ofs_pubkeys_load_pem(o->ras_pubkey, &keys, &ev.n_ras_keys);
	if (r < 0 || !ev.n_ras_keys) {
		fprintf(stderr, "%s: %s: no P-384 public key (%s)\n", prog,
			o->ras_pubkey, strerror(r < 0 ? -r : ENOKEY));
		if (!r)
			ofs_pubkeys_free(keys, ev.n_ras_keys);
		return 1;
	}
	ev.ras_keys = keys;
	ofs_appraise_confirmation(&ev, &a, NULL);
	ofs_pubkeys_free(keys, ev.n_ras_keys);
	return print_appraisal("confirmation", &a, o);
}

static int parse_verify_opts(int argc, char **argv, struct verify_opts *o)
{
	static const struct option options[] = {
		{ "chain", required_argument, NULL, 'c' },
		{ "deviceid", required_argument, NULL, 'd' },
		{ "alias", required_argument, NULL, 'a' },
		{ "roots", required_argument, NULL, 'r' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "ras-pubkey", required_argument, NULL, 'k' },
		{ "report", required_argument, NULL, 'p' },
		{ "at", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'c': o->chain_dir = optarg; break;
		case 'd': o->deviceid = optarg; break;
		case 'a': o->alias = optarg; break;
		case 'r': o->roots = optarg; break;
		case 'n': o->nonce_hex = optarg; break;
		case 'k': o->ras_pubkey = optarg; break;
		case 'p': o->report = optarg; break;
		case 't': o->at = optarg; break;
		case 'j': o->json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc || (o->chain_dir && (o->deviceid || o->alias))) {
		usage(stderr);
		return 2;
	}
	return -1;
}

static int report_verify(int argc, char **argv)
{
	static uint8_t buf[OFS_REPORT_MAX + 1];
	struct ofs_decode_error err = { 0 };
	struct verify_opts o = { 0 };
	char profile[OFS_POLICY_ID_MAX + 1];
	size_t len = 0;
	int r;

	r = parse_verify_opts(argc, argv, &o);
	if (r >= 0)
		return r;
	if (load_file(argv[optind], buf, OFS_REPORT_MAX, &len))
		return 1;
	r = ofs_claims_profile(buf, len, profile, sizeof(profile), &err);
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s (%s)\n", prog, argv[optind],
			err.what[0] ? err.what : "cannot decode", strerror(-r));
		return 1;
	}
	if (!strcmp(profile, OFS_REPORT_PROFILE))
		return verify_report(buf, len, &o);
	if (!strcmp(profile, OFS_CONFIRM_PROFILE))
		return verify_confirmation(buf, len, &o);
	fprintf(stderr, "%s: %s: unknown profile \"%s\"\n", prog, argv[optind],
		profile);
	return 1;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} actions[] = {
	{ "show", report_show },
	{ "verify", report_verify },
};

int cmd_report(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(argv[1], actions[i].name))
			return actions[i].run(argc - 1, argv + 1);
	fprintf(stderr, "%s report: unknown action '%s'\n", prog, argv[1]);
	usage(stderr);
	return 2;
}
