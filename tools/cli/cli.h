/* SPDX-License-Identifier: MIT */
#ifndef OFS_CLI_H
#define OFS_CLI_H

#include <stddef.h>

extern const char *prog;

/* Opens the card's node, or says why not and returns -1. */
int cli_open_device(const char *path);

int cmd_info(int argc, char **argv);
int cmd_selftest(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_sessions(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_repo(int argc, char **argv);

/* Netlink: says what failed and returns the exit status 1. */
int cli_netlink_error(const char *what, int err);

struct json_object;
struct ofs_nl_device;
struct ofs_nl_session;
struct json_object *cli_device_json(const struct ofs_nl_device *d);
struct json_object *cli_session_json(const struct ofs_nl_session *s);
/* Prints o on one line (or pretty) and drops it. */
void cli_print_json(struct json_object *o, int pretty);

/* report.c, shared with verify.c (offline appraisal). */
struct ofs_appraisal;
typedef struct x509_st X509;
int cli_load_roots(const char *path, X509 ***out, size_t *n);
void cli_release_certs(X509 **certs, size_t n);
int cli_load_cert(const char *dir, const char *name, X509 **out);
/* Prints each check (text or JSON); 1 when one failed, else 0. */
int cli_print_appraisal(const char *what, const struct ofs_appraisal *a, int json);

#endif
