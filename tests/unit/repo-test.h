/* SPDX-License-Identifier: MIT */
/*
 * Building a signed image repository in a test: files written and read
 * back whole (failing the test on any error), and manifest components
 * made from the bytes a test wrote.  rt_: repository test.  Header-only
 * because each test program is built from one source file.
 */
#ifndef OFFLOAD_SEC_REPO_TEST_H
#define OFFLOAD_SEC_REPO_TEST_H

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <openssl/sha.h>

#include "ofs-manifest.h"

/* dir/name holds exactly data afterwards. */
static inline void rt_put(const char *dir, const char *name, const void *data,
			  size_t len)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* The bytes of dir/name (malloc'd, NUL-ended for text) and their number. */
static inline char *rt_get(const char *dir, const char *name, size_t *len)
{
	char path[512];
	struct stat st;
	char *buf;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	buf[st.st_size] = '\0';
	*len = (size_t)st.st_size;
	return buf;
}

/* Component k of img: at path, with the size and SHA-256 of data. */
static inline void rt_component(struct ofs_manifest_image *img, uint32_t k,
				const char *path, const void *data, size_t len)
{
	img->present |= 1u << k;
	SHA256(data, len, img->comp[k].sha256);
	img->comp[k].size = len;
	snprintf(img->comp[k].path, sizeof(img->comp[k].path), "%s", path);
}

#endif
