// SPDX-License-Identifier: MIT
/*
 * offload-sec report: look at attestation reports and RAS confirmations.
 * "show" decodes with the same strict decoder the verifier uses but does
 * not check the signature; "verify" (needing the certificate chain code)
 * will be one more entry in the actions table.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "cli.h"
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
		"Decode an attestation report or RAS confirmation (COSE_Sign1);\n"
		"FILE may be '-' for standard input.  The signature is not checked.\n", prog);
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

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} actions[] = {
	{ "show", report_show },
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
