// SPDX-License-Identifier: MIT
/*
 * offload-sec launch: asks offload-secd to launch an image into memory the
 * caller owns (a file such as a VMM's guest memory backend, or a memfd made
 * here), follows it stage by stage and shows what the card measured, what
 * the verifier said and the receipt.  With --exec a VMM is started on the
 * verified memory (launch-exec.c); --out-dir keeps the evidence
 * (launch-result.c).
 *
 * Closing the connection cancels a launch, so Ctrl-C simply closes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli.h"
#include "ofs-varlink.h"

/* How long one wait lasts before Ctrl-C is looked at again. */
#define WAIT_SLICE_MS	200

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = 1;
}

/* What the launch looks like from here, reply after reply. */
struct view {
	const struct cli_launch_opts *o;
	struct cli_progress bar;
	char id[64], stage[16];
	uint64_t stage_start;
	uint64_t done, total;		/* bytes of the current stage */
	bool header;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s launch [--socket PATH] [--version V] [--memory FILE | --memfd]\n"
		"                 [--offset N] [--size N[K|M|G]] [--chunk-size N]\n"
		"                 [--out-dir DIR] [--json] [--quiet] IMAGE[@VERSION]\n"
		"                 [--exec COMMAND [ARG...]]\n"
		"Launches IMAGE (the newest version unless one is given) through\n"
		"offload-secd into --memory FILE (opened read-write; default size: the\n"
		"rest of the file from --offset) or into a new memfd of --size bytes\n"
		"(the default destination: --size is then required).  --exec runs\n"
		"COMMAND after a successful launch with the memory inherited and\n"
		"OFFLOAD_SEC_MEMFD, OFFLOAD_SEC_{KERNEL,INITRD,CMDLINE}[_OFFSET|_SIZE]\n"
		"set; --out-dir DIR keeps report.cose, the chain, confirmation.cose\n"
		"and launch.json.  Ctrl-C closes the connection, which cancels the\n"
		"launch.  Exit status 0 on success, 1 when the launch failed or was\n"
		"refused, 2 on bad usage.\n", prog);
}

/* N with an optional K, M, G or T (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (shift && !strcmp(end, "iB"))
		end += 2;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* "--exec" ends the options: everything after it is the command. */
static int split_exec(int *argc, char **argv, char ***exec_argv)
{
	int i;

	*exec_argv = NULL;
	for (i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (strcmp(argv[i], "--exec"))
			continue;
		if (i + 1 == *argc)
			return -EINVAL;
		*exec_argv = argv + i + 1;
		argv[i] = NULL;
		*argc = i;
		break;
	}
	return 0;
}

static int parse_image(struct cli_launch_opts *o, char *arg)
{
	char *at = strchr(arg, '@');

	if (at) {
		if (o->version) {
			fprintf(stderr, "%s: a version both in IMAGE@VERSION and --version\n", prog);
			return -EINVAL;
		}
		*at = '\0';
		o->version = at + 1;
	}
	o->image = arg;
	return cli_check_image_name(o->image, o->version);
}

static int bad_size(const char *option, const char *arg)
{
	fprintf(stderr, "%s: %s: '%s' is not a size (N, NK, NM, NG)\n", prog, option, arg);
	return 2;
}

/* 0 to go on, or the exit status. */
static int parse(int argc, char **argv, struct cli_launch_opts *o)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "version", required_argument, NULL, 'V' },
		{ "memory", required_argument, NULL, 'm' },
		{ "memfd", no_argument, NULL, 'M' },
		{ "offset", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },
		{ "chunk-size", required_argument, NULL, 'c' },
		{ "out-dir", required_argument, NULL, 'O' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	if (split_exec(&argc, argv, &o->exec_argv)) {
		fprintf(stderr, "%s: --exec needs a command\n", prog);
		return 2;
	}
	while ((c = getopt_long(argc, argv, "jqh", options, NULL)) != -1) {
		switch (c) {
		case 'S': o->socket = optarg; break;
		case 'V': o->version = optarg; break;
		case 'm': o->memory = optarg; break;
		case 'M': o->memfd = true; break;
		case 'O': o->out_dir = optarg; break;
		case 'j': o->json = true; break;
		case 'q': o->quiet = true; break;
		case 'o':
			if (parse_size(optarg, &o->offset))
				return bad_size("--offset", optarg);
			break;
		case 's':
			if (parse_size(optarg, &o->size) || !o->size)
				return bad_size("--size", optarg);
			break;
		case 'c':
			if (parse_size(optarg, &o->chunk_size) || !o->chunk_size ||
			    o->chunk_size > UINT32_MAX)
				return bad_size("--chunk-size", optarg);
			break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc || (o->memory && o->memfd)) {
		usage(stderr);
		return 2;
	}
	if (!o->memory && !o->size) {
		fprintf(stderr, "%s: --size: how much memory the memfd gets (the image's "
			"size is known only once the launch has fetched it), or --memory FILE\n",
			prog);
		return 2;
	}
	return parse_image(o, argv[optind]) ? 2 : 0;
}

static int open_memory(struct cli_launch_opts *o)
{
	struct stat st;
	int fd;

	fd = open(o->memory, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, o->memory, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: %s: not a regular file (guest memory is a file on "
			"tmpfs, hugetlbfs or a disk)\n", prog, o->memory);
		goto close_fd;
	}
	if (o->offset >= (uint64_t)st.st_size) {
		fprintf(stderr, "%s: %s: --offset %" PRIu64 " is past its end (%lld bytes)\n",
			prog, o->memory, o->offset, (long long)st.st_size);
		goto close_fd;
	}
	if (!o->size)
		o->size = (uint64_t)st.st_size - o->offset;
	if (o->size > (uint64_t)st.st_size - o->offset) {
		fprintf(stderr, "%s: %s: %lld bytes, too small for --offset + --size\n",
			prog, o->memory, (long long)st.st_size);
		goto close_fd;
	}
	return fd;

close_fd:
	close(fd);
	return -1;
}

static int create_memfd(const struct cli_launch_opts *o)
{
	int fd;

	if (o->offset > (uint64_t)INT64_MAX - o->size) {
		fprintf(stderr, "%s: --offset + --size is too large\n", prog);
		return -1;
	}
	fd = memfd_create("offload-sec-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		fprintf(stderr, "%s: memfd_create: %s\n", prog, strerror(errno));
		return -1;
	}
	/* No shrinking from now on: the daemon maps and the card writes it. */
	if (ftruncate(fd, (off_t)(o->offset + o->size)) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		fprintf(stderr, "%s: a memfd of %" PRIu64 " bytes: %s\n", prog,
			o->offset + o->size, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static struct json_object *launch_params(const struct cli_launch_opts *o)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "image", json_object_new_string(o->image));
	if (o->version)
		json_object_object_add(p, "version", json_object_new_string(o->version));
	json_object_object_add(p, "destination", json_object_new_int(0));
	json_object_object_add(p, "offset", json_object_new_int64((int64_t)o->offset));
	json_object_object_add(p, "size", json_object_new_int64((int64_t)o->size));
	if (o->chunk_size)
		json_object_object_add(p, "chunk_size",
				       json_object_new_int64((int64_t)o->chunk_size));
	return p;
}

static bool chatty(const struct view *w)
{
	return !w->o->quiet && !w->o->json;
}

/*
 * The line of the stage that just ended: name, duration, bytes and rate,
 * and the note, if any, of how it ended.
 */
static void end_stage(struct view *w, uint64_t now, const char *note)
{
	char dur[32], bytes[32], rate[32];

	if (!w->stage[0] || !strcmp(w->stage, "done") || !chatty(w))
		return;
	cli_progress_clear(&w->bar);
	if (!w->header) {
		printf("%-10s %10s  %s\n", "stage", "duration", "detail");
		w->header = true;
	}
	cli_format_usec(now - w->stage_start, dur, sizeof(dur));
	if (w->total) {
		/* Progress replies are throttled: a short stage may have sent none. */
		cli_format_bytes(w->total, bytes, sizeof(bytes));
		if (w->done)
			cli_format_rate(w->done, now - w->stage_start, rate, sizeof(rate));
		printf("%-10s %10s  %s%s%s%s%s\n", w->stage, dur, bytes,
		       w->done ? ", " : "", w->done ? rate : "",
		       note ? ", " : "", note ? note : "");
	} else {
		printf("%-10s %10s%s%s\n", w->stage, dur, note ? "  " : "",
		       note ? note : "");
	}
	fflush(stdout);
}

static void follow(struct view *w, struct json_object *reply)
{
	const char *stage = cli_json_str(reply, "stage"), *id = cli_json_str(reply, "id");
	struct json_object *progress;
	uint64_t now = cli_now_usec();

	if (id)
		snprintf(w->id, sizeof(w->id), "%s", id);
	if (stage && strcmp(stage, w->stage)) {
		end_stage(w, now, NULL);
		snprintf(w->stage, sizeof(w->stage), "%s", stage);
		w->stage_start = now;
		w->done = w->total = 0;
	}
	if (!json_object_object_get_ex(reply, "progress", &progress) ||
	    !json_object_is_type(progress, json_type_object))
		return;
	w->done = (uint64_t)cli_json_int(progress, "done", 0);
	w->total = (uint64_t)cli_json_int(progress, "total", 0);
	cli_progress_update(&w->bar, w->stage, w->done, w->total);
}

/* The next reply, waiting in slices so that Ctrl-C is seen: -EINTR. */
static int next_reply(struct ofs_varlink *v, struct json_object **reply,
		      const char **error, bool *continues)
{
	int r;

	do {
		if (interrupted)
			return -EINTR;
		r = ofs_varlink_wait_reply(v, WAIT_SLICE_MS, reply, error, continues);
	} while (r == -ETIMEDOUT);
	return r;
}

static int lost(struct view *w, int r)
{
	cli_progress_clear(&w->bar);
	if (r == -EINTR)
		fprintf(stderr, "%s: interrupted: closing the connection, so offload-secd "
			"cancels launch %s\n", prog, w->id[0] ? w->id : "(not started yet)");
	else if (r == -ECONNRESET)
		fprintf(stderr, "%s: offload-secd closed the connection during stage %s: "
			"launch %s is lost\n", prog, w->stage[0] ? w->stage : "queued",
			w->id[0] ? w->id : "?");
	else
		fprintf(stderr, "%s: waiting for offload-secd: %s\n", prog, strerror(-r));
	return 1;
}

static int refused(struct view *w, const char *error, struct json_object *params)
{
	end_stage(w, cli_now_usec(), "failed");
	cli_progress_clear(&w->bar);
	if (w->o->json)
		cli_print_json(cli_daemon_error_json(error, params), 1);
	else
		cli_daemon_print_error(error, params);
	return 1;
}

/* Sends the call and follows it to its last reply (in *final). */
static int run(struct view *w, struct ofs_varlink *v, int dest, struct json_object **final)
{
	struct json_object *params = launch_params(w->o), *reply = NULL;
	const char *error = NULL;
	bool continues = true;
	int r;

	r = ofs_varlink_call(v, OFS_VARLINK_INTERFACE ".Launch", params, &dest, 1,
			     OFS_VARLINK_CALL_MORE, WAIT_SLICE_MS, &reply, &error,
			     &continues);
	json_object_put(params);
	if (r == -ETIMEDOUT)
		r = next_reply(v, &reply, &error, &continues);
	while (!r && !error && continues) {
		follow(w, reply);
		json_object_put(reply);
		r = next_reply(v, &reply, &error, &continues);
	}
	if (r)
		return lost(w, r);
	if (error) {
		r = refused(w, error, reply);
		json_object_put(reply);
		return r;
	}
	follow(w, reply);
	end_stage(w, cli_now_usec(), NULL);
	*final = reply;
	return 0;
}

static void set_signals(void (*handler)(int))
{
	struct sigaction sa = { .sa_handler = handler };

	/* No SA_RESTART: a wait returns, and the flag is looked at. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int finish(const struct cli_launch_opts *o, struct json_object *reply, int dest)
{
	if (o->json)
		cli_print_json(json_object_get(reply), 1);
	else if (!o->quiet)
		cli_launch_print(reply, o->offset);
	if (o->out_dir && cli_launch_save(o->out_dir, reply))
		return 1;
	if (!o->exec_argv)
		return 0;
	set_signals(SIG_DFL);
	return cli_launch_exec(o, reply, dest);
}

int cmd_launch(int argc, char **argv)
{
	struct cli_launch_opts o = { 0 };
	struct json_object *final = NULL;
	struct ofs_varlink *v = NULL;
	struct view w = { .o = &o };
	int dest, r;

	r = parse(argc, argv, &o);
	if (r)
		return r < 0 ? 0 : r;
	dest = o.memory ? open_memory(&o) : create_memfd(&o);
	if (dest < 0)
		return 1;
	r = 1;
	if (cli_daemon_connect(o.socket, &v))
		goto close_dest;
	cli_progress_init(&w.bar, !o.quiet);
	set_signals(on_interrupt);
	r = run(&w, v, dest, &final);
	/* The launch has ended either way: nothing more to say to the daemon. */
	ofs_varlink_free(v);
	if (!r)
		r = finish(&o, final, dest);
	json_object_put(final);
close_dest:
	close(dest);
	return r;
}
