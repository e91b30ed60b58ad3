/* SPDX-License-Identifier: MIT */
#ifndef OFS_CLI_H
#define OFS_CLI_H

extern const char *prog;

/* Opens the card's node, or says why not and returns -1. */
int cli_open_device(const char *path);

int cmd_info(int argc, char **argv);
int cmd_selftest(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
