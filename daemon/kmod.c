// SPDX-License-Identifier: MIT
/*
 * Loading offload_sec.ko when the card's node is missing, through libkmod
 * as modprobe would (dependencies, modprobe.d options, blacklist).
 * offload-sec-module.service runs it (offload-secd --load-module) before
 * the service starts, so the long-running process never holds
 * CAP_SYS_MODULE; in the service proper it finds the node and does
 * nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <libkmod.h>

#include "secd.h"

/* How long udev gets to create the node after the module is in. */
#define NODE_WAIT_MS	5000
#define NODE_POLL_MS	50

static bool node_present(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISCHR(st.st_mode);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int wait_for_node(const char *path)
{
	const struct timespec tick = { 0, NODE_POLL_MS * 1000000L };
	uint64_t deadline = now_ms() + NODE_WAIT_MS;

	while (!node_present(path)) {
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
	return 0;
}

__attribute__((format(printf, 6, 0)))
static void kmod_log(void *data, int priority, const char *file, int line,
		     const char *fn, const char *format, va_list args)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), format, args);
	msg[strcspn(msg, "\n")] = '\0';
	secd_log(NULL, priority, "libkmod: %s", msg);
}

static const char *kernel_release(struct utsname *u)
{
	return uname(u) ? "(unknown)" : u->release;
}

/* The module's version, or its srcversion when it declares none. */
static void module_version(struct kmod_module *mod, char *out, size_t size)
{
	struct kmod_list *info = NULL, *i;

	snprintf(out, size, "(no version)");
	if (kmod_module_get_info(mod, &info) < 0)
		return;
	kmod_list_foreach(i, info) {
		const char *key = kmod_module_info_get_key(i);

		if (!strcmp(key, "version") ||
		    (!strcmp(key, "srcversion") && !strcmp(out, "(no version)")))
			snprintf(out, size, "%s", kmod_module_info_get_value(i));
	}
	kmod_module_info_free_list(info);
}

/* CAP_SYS_MODULE in the effective set, as /proc/self/status shows it. */
static bool may_load_modules(void)
{
	unsigned long long caps = 0;
	char line[128];
	bool found = false;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return true;	/* cannot tell: let the kernel answer */
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &caps) == 1;
	fclose(f);
	return !found || (caps & (1ULL << CAP_SYS_MODULE));
}

static int insert(struct kmod_module *mod, const char *name)
{
	char version[80];
	struct utsname u;
	int r;

	if (!may_load_modules()) {
		secd_log(NULL, LOG_ERR, "module %s is not loaded and this process "
			 "may not load modules: offload-sec-module.service (or "
			 "offload-secd --load-module as root) loads it", name);
		return -EPERM;
	}
	if (!kmod_module_get_path(mod)) {
		secd_log(NULL, LOG_ERR, "module %s not found for kernel %s: "
			 "install it with DKMS (make dkms-install)", name,
			 kernel_release(&u));
		return -ENOENT;
	}
	r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST,
					    NULL, NULL, NULL, NULL);
	if (r > 0) {
		secd_log(NULL, LOG_ERR, "module %s is blacklisted in "
			 "modprobe.d: not loading it", name);
		return -EPERM;
	}
	if (r < 0) {
		secd_log(NULL, LOG_ERR, "cannot load module %s (%s) into kernel "
			 "%s: %s", name, kmod_module_get_path(mod),
			 kernel_release(&u), strerror(-r));
		return r;
	}
	module_version(mod, version, sizeof(version));
	secd_log(NULL, LOG_INFO, "loaded module %s %s from %s", name, version,
		 kmod_module_get_path(mod));
	return 1;
}

/* 1 when this call loaded the module, 0 when it was there already. */
static int load(const struct secd_config *c)
{
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	int r, state;

	ctx = kmod_new(NULL, NULL);
	if (!ctx) {
		secd_log(NULL, LOG_ERR, "libkmod: cannot read the kernel's "
			 "module configuration");
		return -ENOMEM;
	}
	kmod_set_log_fn(ctx, kmod_log, NULL);
	r = kmod_module_new_from_name(ctx, c->module, &mod);
	if (r < 0)
		goto unref_ctx;
	state = kmod_module_get_initstate(mod);
	if (state == KMOD_MODULE_LIVE || state == KMOD_MODULE_BUILTIN ||
	    state == KMOD_MODULE_COMING)
		r = 0;
	else
		r = insert(mod, c->module);
	kmod_module_unref(mod);
unref_ctx:
	kmod_unref(ctx);
	return r;
}

int secd_kmod_ensure(const struct secd_config *c)
{
	int r;

	if (node_present(c->device))
		return 0;
	if (!c->load_module) {
		secd_log(NULL, LOG_WARNING, "%s does not exist and LoadModule=no: "
			 "load %s, or set LoadModule=yes", c->device, c->module);
		return -ENODEV;
	}
	r = load(c);
	if (r < 0)
		return r;
	if (!r) {
		secd_log(NULL, LOG_WARNING, "module %s is loaded but %s does not "
			 "exist: no card is bound to the driver", c->module,
			 c->device);
		return -ENODEV;
	}
	r = wait_for_node(c->device);
	if (r)
		secd_log(NULL, LOG_WARNING, "module %s loaded but %s did not "
			 "appear within %d s: no card is bound to the driver",
			 c->module, c->device, NODE_WAIT_MS / 1000);
	return r;
}
