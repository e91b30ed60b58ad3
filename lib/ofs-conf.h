/* SPDX-License-Identifier: MIT */
/*
 * libofs: systemd-style configuration files ("[Section]", "Key=Value",
 * '#' and ';' comments), driven by a table of keys.  Each key names the
 * parser that turns its text into a field of the caller's struct, at an
 * offset.  A key given twice keeps the later value.  Every problem is
 * reported as one line "NAME:LINE: what", the whole text is read so that
 * all problems are reported at once, and the parse then fails with
 * -EINVAL.  An empty string value ("Key=") unsets the key.
 */
#ifndef OFS_CONF_H
#define OFS_CONF_H

#include <stdbool.h>
#include <stddef.h>

/* Longest line accepted, newline excluded. */
#define OFS_CONF_LINE_MAX	4096
/* Largest file ofs_conf_load() reads. */
#define OFS_CONF_FILE_MAX	(1024 * 1024)

struct ofs_conf_key;

/*
 * Parses value into field (the key's offset in the target struct).
 * Returns 0, -EINVAL (not a valid value: the key's 'expect' says what
 * is), -ERANGE (a number outside min..max) or -ENOMEM.
 */
typedef int (*ofs_conf_parse_fn)(const struct ofs_conf_key *k,
				 const char *value, void *field);

struct ofs_conf_key {
	const char *section, *key;
	ofs_conf_parse_fn parse;
	size_t offset;
	unsigned long long min, max;	/* numbers: the range accepted */
	/* Strings: accepts the text (0) or not (-EINVAL); NULL: anything. */
	int (*validate)(const char *value);
	const char *expect;		/* for errors: "an absolute path" */
};

/* A char * field: a copy of the value, after k->validate; "" unsets it. */
int ofs_conf_string(const struct ofs_conf_key *k, const char *value, void *field);
/* A bool field: yes/no, true/false, on/off, 1/0. */
int ofs_conf_bool(const struct ofs_conf_key *k, const char *value, void *field);
/* An unsigned int field: decimal, k->min..k->max. */
int ofs_conf_uint(const struct ofs_conf_key *k, const char *value, void *field);
/* A size_t field: decimal bytes with an optional K, M or G (x 1024^n). */
int ofs_conf_size(const struct ofs_conf_key *k, const char *value, void *field);

/* The number ofs_conf_size() would accept, without the range check. */
int ofs_conf_parse_size(const char *value, unsigned long long *out);
/* A validator: an absolute path without "." or ".." components. */
int ofs_conf_absolute_path(const char *value);

/* Receives each problem, "NAME:LINE: what" without a newline. */
typedef void (*ofs_conf_error_fn)(const char *message, void *userdata);

struct ofs_conf {
	const struct ofs_conf_key *keys;
	size_t n_keys;
	void *target;			/* the struct the offsets point into */
	ofs_conf_error_fn error;	/* NULL: a line on stderr */
	void *userdata;
};

/* The text of a file called name (for the messages); len bytes, any bytes. */
int ofs_conf_parse(const struct ofs_conf *conf, const char *name,
		   const char *text, size_t len);
/* The file at path; -errno (reported) when it cannot be read. */
int ofs_conf_load(const struct ofs_conf *conf, const char *path);
/*
 * One "Section.Key" or bare "Key" from a command line, reported with the
 * origin "--set".  -ENOENT: no such key; -ENOTUNIQ: a bare key that two
 * sections have; else the parser's error.
 */
int ofs_conf_set(const struct ofs_conf *conf, const char *key, const char *value);
/* Frees every ofs_conf_string field of the target and sets it NULL. */
void ofs_conf_free_strings(const struct ofs_conf *conf);

#endif
