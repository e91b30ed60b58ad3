/* SPDX-License-Identifier: MIT */
#ifndef OFS_CLI_H
#define OFS_CLI_H

extern const char *prog;

int cmd_info(int argc, char **argv);
int cmd_selftest(int argc, char **argv);

#endif
