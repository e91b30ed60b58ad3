// SPDX-License-Identifier: MIT
/*
 * The CLI's side of offload-secd's API (io.offload-sec.Launcher, over
 * Varlink on a Unix socket): connecting, one-shot calls, and turning the
 * daemon's errors into sentences.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "cli.h"
#include "ofs-varlink.h"

#define CALL_TIMEOUT_MS	10000

const char *cli_json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int64_t cli_json_int(struct json_object *o, const char *key, int64_t fallback)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return fallback;
	return json_object_get_int64(v);
}

int cli_daemon_connect(const char *socket, struct ofs_varlink **out)
{
	const char *path = socket ? socket : OFS_VARLINK_SOCKET;
	const char *hint = "";
	int r;

	r = ofs_varlink_connect(path, out);
	if (!r)
		return 0;
	if (r == -ENOENT || r == -ECONNREFUSED)
		hint = " (is offload-secd running, or offload-secd.socket enabled?)";
	else if (r == -EACCES || r == -EPERM)
		hint = " (root and members of the offload-sec group may use it)";
	fprintf(stderr, "%s: cannot reach offload-secd at %s: %s%s\n", prog, path,
		strerror(-r), hint);
	return r;
}

static const char *short_name(const char *error)
{
	static const char *const prefixes[] = {
		OFS_VARLINK_INTERFACE ".", "org.varlink.service.",
	};
	size_t i, n;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (!strncmp(error, prefixes[i], n))
			return error + n;
	}
	return error;
}

static const char *or(const char *s, const char *fallback)
{
	return s ? s : fallback;
}

static void print_check(struct json_object *check)
{
	const char *status = or(cli_json_str(check, "status"), "?");
	const char *claim = cli_json_str(check, "claim");

	if (!strcmp(status, "affirming") || !strcmp(status, "none"))
		return;
	fprintf(stderr, "  %s%s%s%s: %s\n", or(cli_json_str(check, "check"), "?"),
		claim ? " (" : "", claim ? claim : "", claim ? ")" : "", status);
	if (cli_json_str(check, "expected"))
		fprintf(stderr, "    expected: %s\n", cli_json_str(check, "expected"));
	if (cli_json_str(check, "actual"))
		fprintf(stderr, "    actual:   %s\n", cli_json_str(check, "actual"));
	fprintf(stderr, "    reason:   %s\n", or(cli_json_str(check, "reason"), "(none given)"));
}

/* The verifier's refusal: its verdict and every check that did not pass. */
static void print_verdict(struct json_object *verdict)
{
	struct json_object *checks;
	const char *policy = cli_json_str(verdict, "policy_id");
	size_t i;

	fprintf(stderr, "verdict %s%s%s\n", or(cli_json_str(verdict, "verdict"), "?"),
		policy ? ", policy " : "", policy ? policy : "");
	if (!json_object_object_get_ex(verdict, "checks", &checks) ||
	    !json_object_is_type(checks, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(checks); i++)
		print_check(json_object_array_get_idx(checks, i));
}

static bool verdict_has_checks(struct json_object *p)
{
	struct json_object *verdict, *checks;

	return json_object_object_get_ex(p, "verdict", &verdict) &&
	       json_object_object_get_ex(verdict, "checks", &checks) &&
	       json_object_is_type(checks, json_type_array) &&
	       json_object_array_length(checks) > 0;
}

void cli_daemon_print_error(const char *error, struct json_object *p)
{
	const char *name = short_name(error), *id = or(cli_json_str(p, "id"), "?");
	const char *stage = or(cli_json_str(p, "stage"), "?");
	const char *err = or(cli_json_str(p, "errno"), "?");
	const char *reason = or(cli_json_str(p, "reason"), "no reason given");
	const char *version = cli_json_str(p, "version");
	struct json_object *verdict;

	fprintf(stderr, "%s: %s: ", prog, name);
	if (!strcmp(name, "NoSuchImage"))
		fprintf(stderr, "no image %s%s%s in the repository\n",
			or(cli_json_str(p, "image"), "?"), version ? "@" : "",
			version ? version : "");
	else if (!strcmp(name, "RepositoryFailed"))
		fprintf(stderr, "launch %s: the repository failed at stage %s (%s): %s\n",
			id, stage, err, reason);
	else if (!strcmp(name, "VerifierUnavailable"))
		fprintf(stderr, "launch %s: the verifier could not be asked (%s): %s\n",
			id, err, reason);
	else if (!strcmp(name, "Refused"))
		/* The verdict that follows names every failed check. */
		fprintf(stderr, "launch %s: refused by the verifier%s%s\n", id,
			verdict_has_checks(p) ? "" : ": ",
			verdict_has_checks(p) ? "" : reason);
	else if (!strcmp(name, "DeviceFailed"))
		fprintf(stderr, "launch %s: the card failed at stage %s (%s, card status %s): %s\n",
			id, stage, err, or(cli_json_str(p, "device_status"), "?"), reason);
	else if (!strcmp(name, "LaunchFailed"))
		fprintf(stderr, "launch %s failed at stage %s (%s): %s\n", id, stage,
			err, reason);
	else if (!strcmp(name, "Cancelled"))
		fprintf(stderr, "launch %s was cancelled at stage %s\n", id, stage);
	else if (!strcmp(name, "NoSuchLaunch"))
		fprintf(stderr, "no launch %s (finished launches are kept only for a while)\n", id);
	else if (!strcmp(name, "TooManyLaunches"))
		fprintf(stderr, "%lld launches are running already; try again later\n",
			(long long)cli_json_int(p, "max", 0));
	else if (!strcmp(name, "DestinationInvalid"))
		fprintf(stderr, "the destination memory: %s\n", reason);
	else if (!strcmp(name, "PermissionDenied"))
		fprintf(stderr, "only root and members of the offload-sec group may use offload-secd\n");
	else if (!strcmp(name, "MethodNotFound") || !strcmp(name, "InterfaceNotFound"))
		fprintf(stderr, "offload-secd does not know %s (older than this offload-sec?)\n",
			or(cli_json_str(p, "method"), or(cli_json_str(p, "interface"), "the call")));
	else if (!strcmp(name, "InvalidParameter"))
		fprintf(stderr, "offload-secd refused the parameter '%s'\n",
			or(cli_json_str(p, "parameter"), "?"));
	else
		fprintf(stderr, "%s\n", p ? json_object_to_json_string_ext(p,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "{}");
	if (!strcmp(name, "Refused") && json_object_object_get_ex(p, "verdict", &verdict))
		print_verdict(verdict);
}

struct json_object *cli_daemon_error_json(const char *error, struct json_object *params)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(error));
	json_object_object_add(o, "parameters",
			       params ? json_object_get(params) : json_object_new_object());
	return o;
}

int cli_daemon_call(struct ofs_varlink *v, const char *method,
		    struct json_object *params, int json, struct json_object **reply)
{
	const char *error = NULL;
	bool continues = false;
	int r;

	*reply = NULL;
	r = ofs_varlink_call(v, method, params, NULL, 0, 0, CALL_TIMEOUT_MS, reply,
			     &error, &continues);
	if (r) {
		fprintf(stderr, "%s: %s: %s\n", prog, method, r == -EBADMSG ?
			"offload-secd answered something that is not Varlink" :
			strerror(-r));
		return r;
	}
	if (!error)
		return 0;
	if (json) {
		struct json_object *e = cli_daemon_error_json(error, *reply);

		json_object_put(*reply);
		*reply = e;
	} else {
		cli_daemon_print_error(error, *reply);
		json_object_put(*reply);
		*reply = NULL;
	}
	return 1;
}

int cli_daemon_options(int argc, char **argv, void (*usage)(FILE *out),
		       const char **socket, int *json)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (c) {
		case 'S': *socket = optarg; break;
		case 'j': *json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	return -1;
}

int cli_daemon_call_once(const char *socket, const char *method, const char *id,
			 int json, struct json_object **reply)
{
	struct json_object *params;
	struct ofs_varlink *v;
	int r;

	*reply = NULL;
	if (cli_daemon_connect(socket, &v))
		return 1;
	params = json_object_new_object();
	if (id)
		json_object_object_add(params, "id", json_object_new_string(id));
	r = cli_daemon_call(v, method, params, json, reply);
	json_object_put(params);
	ofs_varlink_free(v);
	if (r < 0)
		return 1;
	if (json) {
		cli_print_json(*reply, 1);
		*reply = NULL;
	}
	return r;
}
