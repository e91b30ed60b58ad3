// SPDX-License-Identifier: MIT
/*
 * SET_DEST, LOAD and FINISH: the image stream goes only where it was
 * registered, only in order and unaltered, and only the attested bytes
 * launch.  Every refusal fails the session, scrubs every destination and
 * leaves no key behind.
 */
#include "session-test.h"

/* A stream failure: the session is dead, destinations zero, keys gone. */
static void assert_rejected(struct client *c, uint32_t status)
{
	size_t i;

	assert_int_equal(status, OFFLOAD_SEC_DS_STREAM_REJECTED);
	for (i = 0; i < OFS_HW_NUM_COMPONENTS; i++)
		assert_true(dest_zero(c, i, c->img[i].len));
	assert_no_keys(c->f);
	assert_int_equal(load_recs(c, 0, 0, 1, NULL), OFFLOAD_SEC_DS_FAILED);
	assert_int_equal(finish(c), OFFLOAD_SEC_DS_FAILED);
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
	assert_int_equal(emu_sessions_open(&c->f->dev), 0);
}

/* Component 0 loaded, component 1 half: something to scrub in both. */
static void loaded_some(struct client *c)
{
	ready_to_load(c);
	load_all(c, 0);
	assert_int_equal(load_recs(c, 1, 0, 2, NULL), OFFLOAD_SEC_DS_OK);
	assert_false(dest_zero(c, 0, c->img[0].len));
	assert_false(dest_zero(c, 1, c->img[1].len));
}

static void tampered(void **state)
{
	struct client *c = *state;
	struct image *im = &c->img[1];

	loaded_some(c);
	im->stream[im->rec_off[2] + OFS_STREAM_HDR_LEN + 100] ^= 1;
	assert_rejected(c, load_recs(c, 1, 2, 3, NULL));
}

static void tampered_tag(void **state)
{
	struct client *c = *state;
	struct image *im = &c->img[1];

	loaded_some(c);
	im->stream[im->rec_off[3] - 1] ^= 0x40;
	assert_rejected(c, load_recs(c, 1, 2, 3, NULL));
}

static void reordered(void **state)
{
	struct client *c = *state;

	loaded_some(c);
	assert_rejected(c, load_recs(c, 1, 3, 4, NULL));
}

static void replayed(void **state)
{
	struct client *c = *state;

	loaded_some(c);
	assert_rejected(c, load_recs(c, 1, 1, 2, NULL));
}

/* Another component's record, in place of this one's. */
static void other_stream(void **state)
{
	struct client *c = *state;

	loaded_some(c);
	assert_rejected(c, load_raw(c, 1, c->img[0].stream,
				    c->img[0].rec_off[3], NULL));
}

static void extended(void **state)
{
	struct client *c = *state;
	struct image *im = &c->img[0];

	loaded_some(c);
	/* Anything after the final chunk, even the final chunk again. */
	assert_rejected(c, load_recs(c, 0, im->n_rec - 1, im->n_rec, NULL));
}

/* A record cut short, or a LOAD ending in the middle of one. */
static void partial_record(void **state)
{
	struct client *c = *state;
	struct image *im = &c->img[1];

	loaded_some(c);
	assert_rejected(c, load_raw(c, 1, im->stream + im->rec_off[2],
				    im->rec_off[3] - im->rec_off[2] + 40,
				    NULL));
}

static void truncated(void **state)
{
	struct client *c = *state;

	loaded_some(c);
	load_all(c, 2);
	/* The initrd stopped after two chunks. */
	assert_int_equal(finish(c), OFFLOAD_SEC_DS_INCOMPLETE);
	assert_true(dest_zero(c, 0, c->img[0].len));
	assert_true(dest_zero(c, 1, c->img[1].len));
	assert_true(dest_zero(c, 2, c->img[2].len));
	assert_no_keys(c->f);
	assert_int_equal(emu_sessions_open(&c->f->dev), 0);
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_NO_SESSION);
}

/* A component in the report never loaded at all. */
static void component_missing(void **state)
{
	struct client *c = *state;

	ready_to_load(c);
	load_all(c, 0);
	load_all(c, 1);
	assert_int_equal(finish(c), OFFLOAD_SEC_DS_INCOMPLETE);
	assert_true(dest_zero(c, 0, c->img[0].len));
	assert_no_keys(c->f);
}

/* Swapped after attestation: same size, well encrypted, other bytes. */
static void wrong_image(void **state)
{
	struct client *c = *state;
	struct image *im = &c->img[1];
	uint8_t *other;

	ready_to_load(c);
	other = malloc(im->len);
	assert_non_null(other);
	memcpy(other, im->data, im->len);
	other[im->len / 2] ^= 1;
	seal_stream(c, 1, other, im->len);
	free(other);
	load_all(c, 0);
	load_all(c, 1);
	load_all(c, 2);
	assert_false(dest_zero(c, 1, im->len));
	assert_int_equal(finish(c), OFFLOAD_SEC_DS_DIGEST_MISMATCH);
	assert_true(dest_zero(c, 0, c->img[0].len));
	assert_true(dest_zero(c, 1, im->len));
	assert_true(dest_zero(c, 2, c->img[2].len));
	assert_no_keys(c->f);
	assert_int_equal(emu_sessions_open(&c->f->dev), 0);
}

/* A stream under a key the device does not have. */
static void wrong_key(void **state)
{
	struct client *c = *state;

	confirmed_session(c);
	c->keys.aead_key[0] ^= 1;
	seal_stream(c, 0, c->img[0].data, c->img[0].len);
	set_dest(c, 0);
	assert_rejected(c, load_recs(c, 0, 0, 1, NULL));
}

static void set_dest_checks(void **state)
{
	struct client *c = *state;
	struct ofs_hw_set_dest in;

	confirmed_session(c);
	/* Shorter than the measured component. */
	assert_int_equal(set_dest_len(c, 0, c->img[0].len - PAGE),
			 OFFLOAD_SEC_DS_BAD_LENGTH);
	memset(&in, 0, sizeof(in));
	in.handle = htole32(c->handle);
	in.component = htole32(3);
	assert_int_equal(run(c->f, OFS_HW_OP_SET_DEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	in.component = 0;
	in.dest = fake_list(LIST2_AREA, 1, PAGE);
	in.dest.reserved = htole32(1);
	assert_int_equal(run(c->f, OFS_HW_OP_SET_DEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	/* Too many entries, before any of them is read. */
	in.dest = fake_list(LIST2_AREA, OFS_HW_MAX_DEST_SG + 1, UINT64_MAX);
	assert_int_equal(run(c->f, OFS_HW_OP_SET_DEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_LENGTH);
	/* Each bad segment in an otherwise good list. */
	set_dest(c, 0);
	fake_put_sg(c->f, LIST2_AREA, 5, 0xa0000, PAGE, 0);
	in.dest = fake_list(LIST2_AREA, dest_pages(c->img[0].len),
			    dest_pages(c->img[0].len) * PAGE);
	assert_int_equal(run(c->f, OFS_HW_OP_SET_DEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	fake_put_sg(c->f, LIST2_AREA, 5, c->f->ram_size, PAGE, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_SET_DEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	fake_put_sg(c->f, LIST2_AREA, 5, UINT64_MAX - 100, PAGE, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_SET_DEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	fake_put_sg(c->f, LIST2_AREA, 5, DATA_AREA, 0, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_SET_DEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	fake_put_sg(c->f, LIST2_AREA, 5, DATA_AREA, PAGE, 9);
	assert_int_equal(run(c->f, OFS_HW_OP_SET_DEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	/* The list itself outside RAM. */
	in.dest = fake_list(c->f->ram_size - 16, 2, c->img[0].len);
	assert_int_equal(run(c->f, OFS_HW_OP_SET_DEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	/* The registered one survived all that; a new good one replaces it. */
	set_dest(c, 0);
	seal_stream(c, 0, c->img[0].data, c->img[0].len);
	load_all(c, 0);
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
	assert_true(dest_zero(c, 0, c->img[0].len));
	assert_no_keys(c->f);
}

static void load_bad_descriptors(void **state)
{
	struct client *c = *state;
	struct ofs_hw_load in;

	ready_to_load(c);
	memset(&in, 0, sizeof(in));
	in.handle = htole32(c->handle);
	in.src = fake_list(LIST_AREA, 1, 64);
	fake_put_sg(c->f, LIST_AREA, 0, 0xfff00, 64, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_LOAD, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	fake_put_sg(c->f, LIST_AREA, 0, c->f->ram_size - 63, 64, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_LOAD, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	fake_put_sg(c->f, LIST_AREA, 0, 1ULL << 63, 64, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_LOAD, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	in.src = fake_list(LIST_AREA, OFS_HW_MAX_SG + 1, 1ULL << 40);
	assert_int_equal(run(c->f, OFS_HW_OP_LOAD, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_LENGTH);
	in.src = fake_list(LIST_AREA, 0, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_LOAD, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_LENGTH);
	in.component = htole32(7);
	assert_int_equal(run(c->f, OFS_HW_OP_LOAD, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	/* None of that was a record: the stream goes on from its start. */
	load_all(c, 0);
	assert_int_equal(le32toh(c->f->mbox.rsp.out_len),
			 sizeof(struct ofs_hw_load_out));
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
	assert_no_keys(c->f);
}

/* Bad MEASURE descriptors change nothing about the component. */
static void measure_bad_descriptors(void **state)
{
	struct client *c = *state;
	struct ofs_hw_measure in;
	struct ofs_hw_measure_out out;

	create(c);
	memset(&in, 0, sizeof(in));
	in.handle = htole32(c->handle);
	in.src = fake_list(LIST_AREA, 2, 200);
	fake_put_sg(c->f, LIST_AREA, 0, DATA_AREA, 100, 0);
	fake_put_sg(c->f, LIST_AREA, 1, 0xa0000 - 50, 100, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_MEASURE, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	fake_put_sg(c->f, LIST_AREA, 1, c->f->ram_size, 100, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_MEASURE, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	fake_put_sg(c->f, LIST_AREA, 1, DATA_AREA, UINT32_MAX, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_MEASURE, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	in.src = fake_list(LIST_AREA, 1, UINT64_MAX);
	assert_int_equal(run(c->f, OFS_HW_OP_MEASURE, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	assert_int_equal(measure_piece(c, 0, 0, "abc", 3, OFS_HW_MEASURE_FINAL,
				       &out), OFFLOAD_SEC_DS_OK);
	assert_int_equal(le64toh(out.measured), 3);
}

/* Bad ATTEST descriptors: no report, no key, still MEASURED. */
static void attest_bad_descriptors(void **state)
{
	struct client *c = *state;
	struct ofs_hw_attest in;

	default_images(c);
	create(c);
	measure_all(c);
	new_host_key(c);
	memset(&in, 0, sizeof(in));
	in.handle = htole32(c->handle);
	memcpy(in.host_pub, c->host_pub, sizeof(in.host_pub));
	in.report = fake_list(LIST_AREA, 1, OFS_REPORT_MAX);
	fake_put_sg(c->f, LIST_AREA, 0, 0xc0000, OFS_REPORT_MAX, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_ATTEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	fake_put_sg(c->f, LIST_AREA, 0, c->f->ram_size - 100, OFS_REPORT_MAX,
		    0);
	assert_int_equal(run(c->f, OFS_HW_OP_ATTEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	in.report = fake_list(LIST_AREA, 1, OFS_REPORT_MAX + 1);
	fake_put_sg(c->f, LIST_AREA, 0, DATA_AREA, OFS_REPORT_MAX, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_ATTEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_DMA);
	assert_no_keys(c->f);
	attest(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, client_setup, client_teardown)
		T(tampered),
		T(tampered_tag),
		T(reordered),
		T(replayed),
		T(other_stream),
		T(extended),
		T(partial_record),
		T(truncated),
		T(component_missing),
		T(wrong_image),
		T(wrong_key),
		T(set_dest_checks),
		T(load_bad_descriptors),
		T(measure_bad_descriptors),
		T(attest_bad_descriptors),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
