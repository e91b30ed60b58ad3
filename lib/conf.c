// SPDX-License-Identifier: MIT
/*
 * The configuration file reader shared by offload-secd and offload-ras
 * (ofs-conf.h).  The text is split into lines here and each line copied
 * into a bounded buffer, so a parser never sees more than one line nor an
 * unterminated string, whatever bytes the file holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ofs-conf.h"

/* Values longer than this are cut short in messages. */
#define SHOWN_MAX	96
#define SECTION_MAX	63

struct reader {
	const struct ofs_conf *conf;
	const char *name;
	unsigned int line;
	char section[SECTION_MAX + 1];
	bool in_section;		/* a known [Section] header was seen */
	bool skipping;			/* inside an unknown section */
};

__attribute__((format(printf, 2, 3)))
static void report(const struct ofs_conf *conf, const char *fmt, ...)
{
	char msg[OFS_CONF_LINE_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (conf->error)
		conf->error(msg, conf->userdata);
	else
		fprintf(stderr, "%s\n", msg);
}

/* ---- value parsers ---- */

int ofs_conf_string(const struct ofs_conf_key *k, const char *value, void *field)
{
	char **s = field, *dup = NULL;

	if (*value) {
		if (k->validate && k->validate(value))
			return -EINVAL;
		dup = strdup(value);
		if (!dup)
			return -ENOMEM;
	}
	free(*s);
	*s = dup;
	return 0;
}

int ofs_conf_bool(const struct ofs_conf_key *k, const char *value, void *field)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(value, yes[i]) || !strcasecmp(value, no[i])) {
			*(bool *)field = !strcasecmp(value, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

/* Plain decimal digits, nothing else: no sign, space, or base prefix. */
static int parse_decimal(const char *value, const char **end,
			 unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p = value;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - (unsigned int)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned int)(*p - '0');
	}
	*end = p;
	*out = v;
	return 0;
}

static int in_range(const struct ofs_conf_key *k, unsigned long long v)
{
	return v < k->min || v > k->max ? -ERANGE : 0;
}

int ofs_conf_uint(const struct ofs_conf_key *k, const char *value, void *field)
{
	unsigned long long v;
	const char *end;
	int r;

	r = parse_decimal(value, &end, &v);
	if (!r && *end)
		r = -EINVAL;
	if (!r)
		r = in_range(k, v);
	if (!r && v > UINT_MAX)
		r = -ERANGE;
	if (!r)
		*(unsigned int *)field = (unsigned int)v;
	return r;
}

int ofs_conf_parse_size(const char *value, unsigned long long *out)
{
	static const char suffixes[] = "KMG";
	unsigned long long v;
	const char *end, *s;
	unsigned int shift;
	int r;

	r = parse_decimal(value, &end, &v);
	if (r)
		return r;
	if (*end) {
		s = strchr(suffixes, *end);
		if (!s || end[1])
			return -EINVAL;
		shift = 10 * (unsigned int)(s - suffixes + 1);
		if (v > ULLONG_MAX >> shift)
			return -ERANGE;
		v <<= shift;
	}
	*out = v;
	return 0;
}

int ofs_conf_size(const struct ofs_conf_key *k, const char *value, void *field)
{
	unsigned long long v;
	int r;

	r = ofs_conf_parse_size(value, &v);
	if (!r)
		r = in_range(k, v);
	if (!r && v > SIZE_MAX)
		r = -ERANGE;
	if (!r)
		*(size_t *)field = (size_t)v;
	return r;
}

int ofs_conf_absolute_path(const char *value)
{
	const char *p = value;
	size_t len;

	if (*value != '/' || strlen(value) >= PATH_MAX)
		return -EINVAL;
	while (*p) {
		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if ((len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		p += len;
	}
	return 0;
}

/* ---- the key table ---- */

static bool section_known(const struct ofs_conf *conf, const char *section)
{
	size_t i;

	for (i = 0; i < conf->n_keys; i++)
		if (!strcmp(conf->keys[i].section, section))
			return true;
	return false;
}

static const struct ofs_conf_key *find_key(const struct ofs_conf *conf,
					   const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < conf->n_keys; i++)
		if (!strcmp(conf->keys[i].section, section) &&
		    !strcmp(conf->keys[i].key, key))
			return &conf->keys[i];
	return NULL;
}

/* A bare key: -ENOTUNIQ when more than one section has it. */
static int find_bare_key(const struct ofs_conf *conf, const char *key,
			 const struct ofs_conf_key **out)
{
	const struct ofs_conf_key *found = NULL;
	size_t i;

	for (i = 0; i < conf->n_keys; i++) {
		if (strcmp(conf->keys[i].key, key))
			continue;
		if (found)
			return -ENOTUNIQ;
		found = &conf->keys[i];
	}
	*out = found;
	return found ? 0 : -ENOENT;
}

/* Applies one value; on failure reports "WHERE: Key=Value: why". */
static int apply(const struct ofs_conf *conf, const struct ofs_conf_key *k,
		 const char *value, const char *where)
{
	const char *more = strlen(value) > SHOWN_MAX ? "..." : "";
	int r;

	r = k->parse(k, value, (char *)conf->target + k->offset);
	if (r == -ERANGE)
		report(conf, "%s: %s=%.*s%s: out of range %llu..%llu", where,
		       k->key, SHOWN_MAX, value, more, k->min, k->max);
	else if (r == -ENOMEM)
		report(conf, "%s: %s: out of memory", where, k->key);
	else if (r)
		report(conf, "%s: %s=%.*s%s: invalid value%s%s", where, k->key,
		       SHOWN_MAX, value, more, k->expect ? ", expected " : "",
		       k->expect ? k->expect : "");
	return r;
}

/* ---- lines ---- */

static char *strip(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return true;
	return false;
}

static int section_line(struct reader *rd, char *line, const char *where)
{
	char *close = strchr(line, ']');
	size_t len;

	len = close ? (size_t)(close - line - 1) : 0;
	if (!close || close[1] || !len || len > SECTION_MAX ||
	    strcspn(line + 1, "[] \t") != len) {
		report(rd->conf, "%s: malformed section header \"%.*s\"", where,
		       SHOWN_MAX, line);
		rd->skipping = true;
		return -EINVAL;
	}
	memcpy(rd->section, line + 1, len);
	rd->section[len] = '\0';
	rd->in_section = true;
	rd->skipping = !section_known(rd->conf, rd->section);
	if (rd->skipping) {
		report(rd->conf, "%s: unknown section [%s], ignoring its keys",
		       where, rd->section);
		return -EINVAL;
	}
	return 0;
}

static int key_line(struct reader *rd, char *line, const char *where)
{
	const struct ofs_conf_key *k;
	char *eq = strchr(line, '='), *key;

	if (!eq) {
		report(rd->conf, "%s: not Key=Value: \"%.*s\"", where, SHOWN_MAX,
		       line);
		return -EINVAL;
	}
	if (rd->skipping)
		return 0;	/* its section header was reported */
	if (!rd->in_section) {
		report(rd->conf, "%s: Key=Value before any [Section]", where);
		return -EINVAL;
	}
	*eq = '\0';
	key = strip(line);
	k = find_key(rd->conf, rd->section, key);
	if (!k) {
		report(rd->conf, "%s: unknown key \"%.*s\" in section [%s]", where,
		       SHOWN_MAX, key, rd->section);
		return -EINVAL;
	}
	return apply(rd->conf, k, strip(eq + 1), where);
}

static int one_line(struct reader *rd, const char *text, size_t len)
{
	char buf[OFS_CONF_LINE_MAX + 1], where[PATH_MAX + 16], *line;

	snprintf(where, sizeof(where), "%s:%u", rd->name, rd->line);
	if (len > OFS_CONF_LINE_MAX) {
		report(rd->conf, "%s: line longer than %d bytes", where,
		       OFS_CONF_LINE_MAX);
		return -EINVAL;
	}
	if (memchr(text, '\0', len)) {
		report(rd->conf, "%s: NUL byte in line", where);
		return -EINVAL;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	line = strip(buf);
	if (!*line || *line == '#' || *line == ';')
		return 0;
	if (has_control(line)) {
		report(rd->conf, "%s: control character in line", where);
		return -EINVAL;
	}
	if (*line == '[')
		return section_line(rd, line, where);
	return key_line(rd, line, where);
}

int ofs_conf_parse(const struct ofs_conf *conf, const char *name,
		   const char *text, size_t len)
{
	struct reader rd = { .conf = conf, .name = name };
	const char *nl;
	size_t pos = 0, n;
	int r, ret = 0;

	while (pos < len) {
		nl = memchr(text + pos, '\n', len - pos);
		n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		rd.line++;
		r = one_line(&rd, text + pos, n);
		if (r == -ENOMEM)
			return r;
		if (r)
			ret = -EINVAL;
		pos += n + (nl ? 1 : 0);
	}
	return ret;
}

/* At most OFS_CONF_FILE_MAX + 1 bytes: one more than allowed is enough. */
static int read_all(int fd, char **text, size_t *len)
{
	size_t size = 0, cap = OFS_CONF_FILE_MAX + 1;
	char *buf = malloc(cap);
	ssize_t n;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	while (size < cap) {
		n = read(fd, buf + size, cap - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (!n)
			break;
		size += (size_t)n;
	}
	if (!r && size > OFS_CONF_FILE_MAX)
		r = -EFBIG;
	if (r) {
		free(buf);
		return r;
	}
	*text = buf;
	*len = size;
	return 0;
}

int ofs_conf_load(const struct ofs_conf *conf, const char *path)
{
	struct stat st;
	size_t len = 0;
	char *text = NULL;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		report(conf, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st))
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EISDIR;
	else if (st.st_size > OFS_CONF_FILE_MAX)
		r = -EFBIG;
	else
		r = read_all(fd, &text, &len);
	close(fd);
	if (r == -EISDIR)
		report(conf, "%s: not a regular file", path);
	else if (r == -EFBIG)
		report(conf, "%s: larger than %d bytes", path, OFS_CONF_FILE_MAX);
	else if (r)
		report(conf, "%s: %s", path, strerror(-r));
	if (!r)
		r = ofs_conf_parse(conf, path, text, len);
	free(text);
	return r;
}

int ofs_conf_set(const struct ofs_conf *conf, const char *key, const char *value)
{
	const struct ofs_conf_key *k = NULL;
	const char *dot = strchr(key, '.');
	char section[SECTION_MAX + 1];
	int r = 0;

	if (dot && (size_t)(dot - key) <= SECTION_MAX) {
		snprintf(section, sizeof(section), "%.*s", (int)(dot - key), key);
		k = find_key(conf, section, dot + 1);
		r = k ? 0 : -ENOENT;
	} else if (dot) {
		r = -ENOENT;
	} else {
		r = find_bare_key(conf, key, &k);
	}
	if (r == -ENOENT)
		report(conf, "--set %.*s: unknown key", SHOWN_MAX, key);
	else if (r == -ENOTUNIQ)
		report(conf, "--set %.*s: more than one section has this key, "
		       "name it as Section.%.*s", SHOWN_MAX, key, SHOWN_MAX, key);
	return r ? r : apply(conf, k, value, "--set");
}

void ofs_conf_free_strings(const struct ofs_conf *conf)
{
	char **field;
	size_t i;

	for (i = 0; i < conf->n_keys; i++) {
		if (conf->keys[i].parse != ofs_conf_string)
			continue;
		field = (char **)((char *)conf->target + conf->keys[i].offset);
		free(*field);
		*field = NULL;
	}
}
