// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/ec.h>

#include "bench.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s failed\n", what);
	exit(1);
}

double bench_limit_sha256(size_t chunk, double seconds)
{
	uint8_t *buf = malloc(chunk), md[32];
	double t0, t;
	uint64_t bytes = 0;

	if (!buf)
		die("malloc");
	/* Real pages: untouched ones would all be the one shared zero page. */
	memset(buf, 0x5a, chunk);
	t0 = bench_now();
	do {
		if (!EVP_Digest(buf, chunk, md, NULL, EVP_sha256(), NULL))
			die("SHA-256");
		bytes += chunk;
		t = bench_now() - t0;
	} while (t < seconds);
	free(buf);
	return bytes / t;
}

double bench_limit_aes256gcm(size_t chunk, double seconds)
{
	static const uint8_t key[32], iv[12];
	uint8_t *in = malloc(chunk), *out = malloc(chunk), tag[16];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	double t0, t;
	uint64_t bytes = 0;
	int len;

	if (!in || !out || !ctx ||
	    !EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, NULL))
		die("AES-256-GCM setup");
	memset(in, 0x5a, chunk);
	memset(out, 0, chunk);
	t0 = bench_now();
	do {
		if (!EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) ||
		    !EVP_EncryptUpdate(ctx, out, &len, in, chunk) ||
		    !EVP_EncryptFinal_ex(ctx, out + len, &len) ||
		    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag))
			die("AES-256-GCM");
		bytes += chunk;
		t = bench_now() - t0;
	} while (t < seconds);
	EVP_CIPHER_CTX_free(ctx);
	free(in);
	free(out);
	return bytes / t;
}

static EVP_PKEY *p384_key(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-384");

	if (!key)
		die("P-384 key generation");
	return key;
}

static size_t p384_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t *sig)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t siglen = 128;

	if (!md || !EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, key) ||
	    !EVP_DigestSign(md, sig, &siglen, msg, len))
		die("ECDSA P-384 sign");
	EVP_MD_CTX_free(md);
	return siglen;
}

double bench_limit_p384_sign(double seconds)
{
	static const uint8_t msg[256];
	EVP_PKEY *key = p384_key();
	double t0 = bench_now(), t;
	uint8_t sig[128];
	uint64_t ops = 0;

	do {
		p384_sign(key, msg, sizeof(msg), sig);
		ops++;
		t = bench_now() - t0;
	} while (t < seconds);
	EVP_PKEY_free(key);
	return ops / t;
}

double bench_limit_p384_verify(double seconds)
{
	static const uint8_t msg[256];
	EVP_PKEY *key = p384_key();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	double t0, t;
	uint8_t sig[128];
	size_t siglen = p384_sign(key, msg, sizeof(msg), sig);
	uint64_t ops = 0;

	if (!md)
		die("EVP_MD_CTX_new");
	t0 = bench_now();
	do {
		if (!EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, key) ||
		    EVP_DigestVerify(md, sig, siglen, msg, sizeof(msg)) != 1)
			die("ECDSA P-384 verify");
		ops++;
		t = bench_now() - t0;
	} while (t < seconds);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return ops / t;
}

static void human(double v, const char *unit, char *buf, size_t size)
{
	if (!strcmp(unit, "B/s"))
		snprintf(buf, size, "%.0f MiB/s", v / (1 << 20));
	else
		snprintf(buf, size, "%.0f %s", v, unit);
}

void bench_report(const char *what, double ours, double limit, const char *unit,
		  double goal)
{
	char a[32], b[32];
	double ratio = limit > 0 ? ours / limit : 0;

	human(ours, unit, a, sizeof(a));
	human(limit, unit, b, sizeof(b));
	printf("%-44s %14s  limit %14s  ratio %5.1f%%", what, a, b, 100 * ratio);
	if (goal > 0)
		printf("  (goal %.0f%%: %s)", 100 * goal, ratio >= goal ? "met" : "MISSED");
	putchar('\n');
}
