// SPDX-License-Identifier: MIT
/*
 * offload-sec verify: the RAS's appraisal, offline, on a saved report.
 * The same library call (ofs_appraise_policy(), lib/ofs-policy.h) under
 * the same policy file gives the same checks and the same verdict as
 * POST /v1/attest; only freshness differs: offline there is no nonce
 * store, so --nonce, when given, is compared with the report's.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>

#include "cli.h"
#include "ofs-policy.h"
#include "ofs-util.h"

struct opts {
	const char *policy, *chain_dir, *deviceid, *alias, *roots, *nonce_hex;
	const char *report;
	int json;
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: %s verify --policy FILE REPORT (--chain DIR | "
		"--deviceid F --alias F)\n"
		"                 --roots FILE [--nonce HEX] [--json]\n"
		"Appraises REPORT as offload-ras does under the policy FILE and\n"
		"prints every check and the verdict.  Exit status 0 when the\n"
		"verdict is affirming, 1 otherwise, 2 for a usage error.\n", prog);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option options[] = {
		{ "policy", required_argument, NULL, 'P' },
		{ "chain", required_argument, NULL, 'c' },
		{ "deviceid", required_argument, NULL, 'd' },
		{ "alias", required_argument, NULL, 'a' },
		{ "roots", required_argument, NULL, 'r' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'P': o->policy = optarg; break;
		case 'c': o->chain_dir = optarg; break;
		case 'd': o->deviceid = optarg; break;
		case 'a': o->alias = optarg; break;
		case 'r': o->roots = optarg; break;
		case 'n': o->nonce_hex = optarg; break;
		case 'j': o->json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc || !o->policy || !o->roots ||
	    !(o->chain_dir ? !o->deviceid && !o->alias : o->deviceid && o->alias)) {
		usage(stderr);
		return 2;
	}
	o->report = argv[optind];
	return -1;
}

static int read_report(const char *path, uint8_t *buf, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		return -1;
	}
	*len = fread(buf, 1, OFS_REPORT_MAX + 1, f);
	fclose(f);
	if (*len > OFS_REPORT_MAX) {
		fprintf(stderr, "%s: %s: larger than %d bytes\n", prog, path,
			OFS_REPORT_MAX);
		return -1;
	}
	return 0;
}

static int appraise(const struct opts *o, struct ofs_policy *p,
		    struct ofs_report_evidence *ev)
{
	struct ofs_appraisal a;
	uint32_t verdict;

	ofs_appraise_policy(p, ev, NULL, &a, NULL);
	verdict = ofs_appraisal_verdict(&a);
	cli_print_appraisal("report", &a, o->json);
	if (!o->json)
		printf("verdict under policy '%s': %s\n", p->id,
		       ofs_verdict_name(verdict));
	return verdict == OFS_VERDICT_AFFIRMING ? 0 : 1;
}

int cmd_verify(int argc, char **argv)
{
	static uint8_t buf[OFS_REPORT_MAX + 1];
	struct ofs_report_evidence ev = { .report = buf };
	struct ofs_policy_error err;
	struct ofs_policy *p = NULL;
	uint8_t nonce[OFS_NONCE_LEN];
	X509 *devid = NULL, *alias = NULL, **roots = NULL;
	struct opts o = { 0 };
	int r;

	r = parse(argc, argv, &o);
	if (r >= 0)
		return r;
	if (o.nonce_hex) {
		if (ofs_unhex(o.nonce_hex, nonce, sizeof(nonce)) != sizeof(nonce)) {
			fprintf(stderr, "%s: --nonce: %d hex digits expected\n",
				prog, 2 * OFS_NONCE_LEN);
			return 2;
		}
		ev.nonce = nonce;
	}
	if (ofs_policy_load(o.policy, &p, &err)) {
		fprintf(stderr, "%s: %s\n", prog, err.what);
		return 1;
	}
	r = 1;
	if (read_report(o.report, buf, &ev.report_len) ||
	    cli_load_roots(o.roots, &roots, &ev.n_roots) ||
	    cli_load_cert(o.chain_dir, o.chain_dir ? "deviceid.pem" : o.deviceid,
			  &devid) ||
	    cli_load_cert(o.chain_dir, o.chain_dir ? "alias.pem" : o.alias, &alias))
		goto free_evidence;
	ev.roots = roots;
	ev.deviceid = devid;
	ev.alias = alias;
	r = appraise(&o, p, &ev);
free_evidence:
	X509_free(devid);
	X509_free(alias);
	cli_release_certs(roots, ev.n_roots);
	ofs_policy_free(p);
	return r;
}
