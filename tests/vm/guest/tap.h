/* SPDX-License-Identifier: MIT */
/*
 * A few lines of TAP for the in-guest tests: one TEST() per behaviour,
 * each a function returning 0 on success; CHECK() says what went wrong.
 */
#ifndef OFS_TAP_H
#define OFS_TAP_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct tap_test {
	const char *name;
	int (*fn)(void);
};

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			printf("# %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);				\
			printf("\n");					\
			return 1;					\
		}							\
	} while (0)

/* An ioctl expected to fail with one errno. */
#define CHECK_ERRNO(call, err)						\
	do {								\
		int r_ = (call);					\
		CHECK(r_ == -1 && errno == (err),			\
		      "returned %d, errno %s, expected %s", r_,	\
		      strerrorname_np(errno), strerrorname_np(err));	\
	} while (0)

static inline int tap_run(const char *suite, const struct tap_test *tests, size_t n)
{
	int failed = 0;
	size_t i;

	printf("1..%zu\n", n);
	for (i = 0; i < n; i++) {
		int r;

		fflush(stdout);
		r = tests[i].fn();
		printf("%sok %zu - %s: %s\n", r ? "not " : "", i + 1, suite, tests[i].name);
		failed += !!r;
	}
	return failed ? 1 : 0;
}

#endif
