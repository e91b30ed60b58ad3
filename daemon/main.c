// SPDX-License-Identifier: MIT
/*
 * offload-secd: arguments, configuration, then the loop (docs/daemon.md).
 * Start in order, stop in the mirrored order: the module, the manager,
 * the netlink events, the API socket, READY=1.  SIGTERM and SIGINT stop
 * (running launches are cancelled and their workers joined); SIGHUP reads
 * and checks the configuration again and, when it is valid, hands it to
 * the manager for the launches that start from then on: running ones keep
 * the one they started with.  The few keys used only at start (the API
 * socket, its group, the module) wait for a restart, and say so.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "ofs-http.h"
#include "secd.h"

#define STATUS_USEC	(1000ULL * 1000)

struct options {
	const char *config_path;	/* NULL: SECD_CONFIG_PATH, if it exists */
	char **sets;			/* "Key=Value" of each --set, in order */
	size_t n_sets;
	bool check;
	bool load_module;
};

struct daemon {
	const struct options *opts;
	sd_event *event;
	struct secd_manager *manager;
	struct secd_events *events;
	struct secd_api *api;
	sd_event_source *status;
	unsigned int running_shown;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: offload-secd [--config FILE] [--set Key=Value]... [--check]\n"
		"       offload-secd --load-module [--config FILE] [--set Key=Value]...\n"
		"\n"
		"The host service that drives every launch (docs/daemon.md).\n"
		"\n"
		"  --config FILE      the configuration (default %s)\n"
		"  --set KEY=VALUE    overrides one key, as Section.Key or a bare Key\n"
		"  --check            validates the configuration, the repository key\n"
		"                     and the CA files, then exits\n"
		"  --load-module      loads the driver if the card's node is missing,\n"
		"                     then exits (offload-sec-module.service)\n"
		"  --version, --help\n", SECD_CONFIG_PATH);
}

/* 0 to go on, 1 when done (--help, --version), -EINVAL on a bad argument. */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, 'k' },
		{ "load-module", no_argument, NULL, 'm' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int opt;

	o->sets = calloc((size_t)argc, sizeof(*o->sets));
	if (!o->sets)
		return -ENOMEM;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o->config_path = optarg;
			break;
		case 's':
			if (!strchr(optarg, '=')) {
				fprintf(stderr, "offload-secd: --set %s: not "
					"Key=Value\n", optarg);
				return -EINVAL;
			}
			o->sets[o->n_sets++] = optarg;
			break;
		case 'k':
			o->check = true;
			break;
		case 'm':
			o->load_module = true;
			break;
		case 'V':
			printf("offload-secd %s\n", OFS_VERSION);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "offload-secd: unexpected argument \"%s\"\n",
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int load_config(struct secd_config **c, const struct options *o,
		       bool check_files)
{
	const struct secd_config_source src = {
		.path = o->config_path,
		.sets = o->sets,
		.n_sets = o->n_sets,
		.check_files = check_files,
	};

	return secd_config_read(&src, c);
}

/* ---- the service ---- */

static void notify_status(struct daemon *d)
{
	unsigned int n = secd_manager_running(d->manager);

	d->running_shown = n;
	sd_notifyf(0, "STATUS=Ready: %u launch%s running", n, n == 1 ? "" : "es");
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct daemon *d = userdata;

	if (secd_manager_running(d->manager) != d->running_shown)
		notify_status(d);
	sd_event_source_set_time_relative(s, STATUS_USEC);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si,
			void *userdata)
{
	struct daemon *d = userdata;
	unsigned int n = secd_manager_running(d->manager);

	secd_log(NULL, LOG_INFO, "%s: stopping, cancelling %u running "
		 "launch%s", strsignal((int)si->ssi_signo), n, n == 1 ? "" : "es");
	sd_notify(0, "STOPPING=1\nSTATUS=Stopping");
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* Read once at start: the socket is bound, the module loaded by then. */
static const char *const start_only_keys[] = {
	"Device.LoadModule", "Device.Module", "API.Socket", "API.Group",
};

struct changes {
	char applied[512], restart[128];
};

static void add_key(char *list, size_t size, const char *key)
{
	size_t len = strlen(list);

	/* A list cut short still names the first keys; that is enough. */
	snprintf(list + len, size - len, "%s%s", len ? ", " : "", key);
}

static void on_changed(const char *key, void *userdata)
{
	struct changes *ch = userdata;
	size_t i;

	for (i = 0; i < sizeof(start_only_keys) / sizeof(start_only_keys[0]); i++)
		if (!strcmp(key, start_only_keys[i])) {
			add_key(ch->restart, sizeof(ch->restart), key);
			return;
		}
	add_key(ch->applied, sizeof(ch->applied), key);
}

static void log_reloaded(const struct changes *ch, unsigned int running)
{
	if (!ch->applied[0] && !ch->restart[0]) {
		secd_log(NULL, LOG_NOTICE, "configuration reloaded: nothing "
			 "changed");
		return;
	}
	secd_log(NULL, LOG_NOTICE, "configuration reloaded: %s%s%s%s%s; %u "
		 "running launch%s keep%s the previous one",
		 ch->applied[0] ? "new launches get the new " : "", ch->applied,
		 ch->applied[0] && ch->restart[0] ? "; " : "",
		 ch->restart[0] ? "needs a restart to apply: " : "", ch->restart,
		 running, running == 1 ? "" : "es", running == 1 ? "s" : "");
}

static int on_hangup(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *userdata)
{
	struct daemon *d = userdata;
	struct changes ch = {};
	struct secd_config *c;
	int r;

	sd_notify(0, "RELOADING=1\nSTATUS=Reloading the configuration");
	r = load_config(&c, d->opts, true);
	if (r) {
		secd_log(NULL, LOG_ERR, "configuration not reloaded: it has "
			 "errors (above); the previous one stays in force");
	} else {
		secd_config_diff(secd_manager_config(d->manager), c,
				 on_changed, &ch);
		secd_manager_set_config(d->manager, c);
		secd_config_unref(c);
		log_reloaded(&ch, secd_manager_running(d->manager));
	}
	sd_notify(0, "READY=1");
	notify_status(d);
	return 0;
}

static int add_signals(struct daemon *d)
{
	int r;

	r = sd_event_add_signal(d->event, NULL, SIGTERM, on_terminate, d);
	if (r >= 0)
		r = sd_event_add_signal(d->event, NULL, SIGINT, on_terminate, d);
	if (r >= 0)
		r = sd_event_add_signal(d->event, NULL, SIGHUP, on_hangup, d);
	return r < 0 ? r : 0;
}

/* Without a card the service still starts: launches fail until one comes. */
static int ensure_module(const struct secd_config *c)
{
	int r = secd_kmod_ensure(c);

	return r == -ENODEV || r == -ETIMEDOUT ? 0 : r;
}

static int run(const struct secd_config *c, const struct options *o)
{
	struct daemon d = { .opts = o };
	int r;

	r = ensure_module(c);
	if (r < 0)
		return r;
	r = sd_event_default(&d.event);
	if (r < 0)
		return r;
	r = add_signals(&d);
	if (r < 0)
		goto unref_event;
	r = sd_event_set_watchdog(d.event, true);
	if (r < 0)
		goto unref_event;
	r = secd_manager_new(d.event, c, &d.manager);
	if (r < 0)
		goto unref_event;
	r = secd_events_start(d.event, d.manager, &d.events);
	if (r < 0)
		goto free_manager;
	r = secd_api_start(d.event, d.manager, c, &d.api);
	if (r < 0)
		goto free_events;
	r = sd_event_add_time_relative(d.event, &d.status, CLOCK_MONOTONIC,
				       STATUS_USEC, 0, on_status_timer, &d);
	if (r < 0)
		goto free_api;

	sd_notify(0, "READY=1");
	notify_status(&d);
	secd_log(NULL, LOG_INFO, "ready: repository %s, RAS %s, at most %u "
		 "launches at once", c->repo_url, c->ras_url, c->max_launches);
	r = sd_event_loop(d.event);
	sd_notify(0, "STOPPING=1");

	sd_event_source_disable_unref(d.status);
free_api:
	secd_api_free(d.api);
free_events:
	secd_events_free(d.events);
free_manager:
	secd_manager_free(d.manager);
unref_event:
	sd_event_unref(d.event);
	return r;
}

static int block_signals(void)
{
	sigset_t mask;

	/* Before any thread exists, so that every thread inherits the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	return sigprocmask(SIG_BLOCK, &mask, NULL) ? -errno : 0;
}

int main(int argc, char **argv)
{
	struct options o = {};
	struct secd_config *c = NULL;
	int r;

	r = parse_args(argc, argv, &o);
	if (r) {
		free(o.sets);
		return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	r = load_config(&c, &o, o.check);
	if (r) {
		/* 1: the configuration (what is wrong was logged). */
	} else if (o.check) {
		printf("offload-secd: the configuration is valid\n");
	} else if (o.load_module) {
		r = ensure_module(c);
	} else {
		r = block_signals();
		if (!r)
			r = run(c, &o);
		if (r < 0)
			secd_log(NULL, LOG_ERR, "failed: %s", strerror(-r));
	}
	secd_config_unref(c);
	free(o.sets);
	return r ? EXIT_FAILURE : EXIT_SUCCESS;
}
