// SPDX-License-Identifier: MIT
/*
 * Launch sessions in the device model: the whole launch as driver, host
 * and RAS see it, then the state machine, MEASURE, ATTEST, GET_CHAIN, the
 * session table and ABORT.  Confirmations are in test-emu-session-confirm.c,
 * destinations and streams in test-emu-session-load.c.
 */
#include "session-test.h"

static void happy_path(void **state)
{
	struct client *c = *state;
	uint8_t *got;
	size_t i;

	ready_to_load(c);
	assert_int_equal(emu_sessions_open(&c->f->dev), 1);
	assert_int_not_equal(emu_session_key_bytes_live(&c->f->dev), 0);
	/* Interleaved components, as a daemon streaming them may do. */
	assert_int_equal(load_recs(c, 1, 0, 2, NULL), OFFLOAD_SEC_DS_OK);
	load_all(c, 0);
	assert_int_equal(load_recs(c, 1, 2, c->img[1].n_rec, NULL),
			 OFFLOAD_SEC_DS_OK);
	load_all(c, 2);
	assert_int_equal(finish(c), OFFLOAD_SEC_DS_OK);
	check_receipt(c);
	for (i = 0; i < OFS_HW_NUM_COMPONENTS; i++) {
		got = malloc(c->img[i].len);
		assert_non_null(got);
		gather_dest(c, i, got, c->img[i].len);
		assert_memory_equal(got, c->img[i].data, c->img[i].len);
		free(got);
	}
	assert_int_equal(emu_sessions_open(&c->f->dev), 0);
	assert_no_keys(c->f);
	/* The handle is gone with the session. */
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_NO_SESSION);
}

/* An initrd alone, an empty cmdline, the default chunk size. */
static void initrd_and_empty_cmdline(void **state)
{
	struct client *c = *state;
	uint8_t *got;

	c->chunk_size = OFS_STREAM_CHUNK_DEFAULT;
	set_image(c, OFS_HW_COMPONENT_INITRD, 2 * 1024 * 1024 + 5, 7);
	set_image(c, OFS_HW_COMPONENT_CMDLINE, 0, 0);
	assert_int_equal(create_chunk(c, 0), OFFLOAD_SEC_DS_OK);
	measure_all(c);
	attest(c);
	assert_int_equal(c->rep.n_components, 2);
	assert_int_equal(c->rep.components[0].component, 1);
	assert_int_equal(c->rep.components[1].size, 0);
	confirm(c);
	seal_stream(c, 1, c->img[1].data, c->img[1].len);
	seal_stream(c, 2, c->img[2].data, 0);
	set_dest(c, 1);
	set_dest(c, 2);
	load_all(c, 1);
	load_all(c, 2);
	/* The kernel was never measured: it cannot be loaded. */
	assert_int_equal(set_dest_len(c, 0, PAGE), OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(finish(c), OFFLOAD_SEC_DS_OK);
	check_receipt(c);
	got = malloc(c->img[1].len);
	assert_non_null(got);
	gather_dest(c, 1, got, c->img[1].len);
	assert_memory_equal(got, c->img[1].data, c->img[1].len);
	free(got);
	assert_no_keys(c->f);
}

static void report_contents(void **state)
{
	struct client *c = *state;
	const struct emu_identity *id = &c->f->id;
	size_t i;

	default_images(c);
	create(c);
	measure_all(c);
	attest(c);
	assert_int_equal(c->rep.boot_count, 1);
	assert_int_equal(c->rep.fw.major, EMU_FW_MAJOR);
	assert_int_equal(c->rep.fw.minor, EMU_FW_MINOR);
	assert_int_equal(c->rep.svn, id->meas.svn);
	assert_int_equal(c->rep.n_regs, OFS_NUM_MEAS_REGS);
	assert_memory_equal(c->rep.regs, id->meas.regs, sizeof(id->meas.regs));
	assert_int_equal(c->rep.n_events, id->log.n_events);
	assert_memory_equal(c->rep.ueid, id->ueid, OFS_UEID_LEN);
	assert_int_equal(c->rep.n_components, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(c->rep.components[i].component, i);
		assert_int_equal(c->rep.components[i].size, c->img[i].len);
	}
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
	assert_no_keys(c->f);
}

/* Every command in every state it does not belong to. */
static void wrong_states(void **state)
{
	struct client *c = *state;
	struct ofs_hw_blob_out bo;
	uint8_t one = 1;

	default_images(c);
	create(c);
	/* CREATED: nothing measured. */
	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(confirm_bytes(c, &one, 1), OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(set_dest_len(c, 0, PAGE), OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(load_raw(c, 0, c->f->ram, 64, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(finish(c), OFFLOAD_SEC_DS_BAD_STATE);
	measure_all(c);
	/* MEASURED */
	assert_int_equal(confirm_bytes(c, &one, 1), OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(load_raw(c, 0, c->f->ram, 64, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(finish(c), OFFLOAD_SEC_DS_BAD_STATE);
	attest(c);
	/* ATTESTED */
	assert_int_equal(measure_piece(c, 0, c->img[0].len, "x", 1, 0, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(load_raw(c, 0, c->f->ram, 64, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(finish(c), OFFLOAD_SEC_DS_BAD_STATE);
	confirm(c);
	/* CONFIRMED: no destination yet. */
	assert_int_equal(load_raw(c, 0, c->f->ram, 64, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(measure_piece(c, 1, 0, "x", 1, 0, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
			 OFFLOAD_SEC_DS_BAD_STATE);
	seal_stream(c, 0, c->img[0].data, c->img[0].len);
	set_dest(c, 0);
	assert_int_equal(load_recs(c, 0, 0, 1, NULL), OFFLOAD_SEC_DS_OK);
	/* LOADING: the destination is fixed once data went there. */
	assert_int_equal(set_dest_len(c, 0, c->img[0].len),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(confirm_bytes(c, c->conf, c->conf_len),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(measure_piece(c, 1, 0, "x", 1, 0, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
			 OFFLOAD_SEC_DS_BAD_STATE);
	/* A BAD_STATE leaves the session as it was: it still finishes. */
	assert_int_equal(load_recs(c, 0, 1, c->img[0].n_rec, NULL),
			 OFFLOAD_SEC_DS_OK);
	seal_stream(c, 1, c->img[1].data, c->img[1].len);
	seal_stream(c, 2, c->img[2].data, c->img[2].len);
	set_dest(c, 1);
	set_dest(c, 2);
	load_all(c, 1);
	load_all(c, 2);
	assert_int_equal(finish(c), OFFLOAD_SEC_DS_OK);
	check_receipt(c);
	assert_no_keys(c->f);
}

/* A FAILED session takes nothing but ABORT. */
static void failed_state(void **state)
{
	struct client *c = *state;
	struct ofs_hw_blob_out bo;
	uint8_t junk[64] = { 0 };

	default_images(c);
	create(c);
	measure_all(c);
	attest(c);
	assert_int_equal(confirm_bytes(c, junk, sizeof(junk)),
			 OFFLOAD_SEC_DS_BAD_CONFIRMATION);
	assert_no_keys(c->f);
	assert_int_equal(measure_piece(c, 0, 0, "x", 1, 0, NULL),
			 OFFLOAD_SEC_DS_FAILED);
	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
			 OFFLOAD_SEC_DS_FAILED);
	assert_int_equal(confirm_bytes(c, junk, sizeof(junk)),
			 OFFLOAD_SEC_DS_FAILED);
	assert_int_equal(set_dest_len(c, 0, c->img[0].len),
			 OFFLOAD_SEC_DS_FAILED);
	assert_int_equal(load_raw(c, 0, junk, sizeof(junk), NULL),
			 OFFLOAD_SEC_DS_FAILED);
	assert_int_equal(finish(c), OFFLOAD_SEC_DS_FAILED);
	assert_int_equal(emu_sessions_open(&c->f->dev), 1);
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
	assert_int_equal(emu_sessions_open(&c->f->dev), 0);
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_NO_SESSION);
}

static void unknown_handle(void **state)
{
	struct client *c = *state;
	struct ofs_hw_blob_out bo;
	uint8_t one = 1;
	uint32_t handles[] = { 0, 1, 0xdeadbeef, UINT32_MAX };
	size_t i;

	for (i = 0; i < EMU_ARRAY_SIZE(handles); i++) {
		c->handle = handles[i];
		assert_int_equal(measure_piece(c, 0, 0, "x", 1, 0, NULL),
				 OFFLOAD_SEC_DS_NO_SESSION);
		assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
				 OFFLOAD_SEC_DS_NO_SESSION);
		assert_int_equal(confirm_bytes(c, &one, 1),
				 OFFLOAD_SEC_DS_NO_SESSION);
		assert_int_equal(set_dest_len(c, 0, PAGE),
				 OFFLOAD_SEC_DS_NO_SESSION);
		assert_int_equal(load_raw(c, 0, c->f->ram, 64, NULL),
				 OFFLOAD_SEC_DS_NO_SESSION);
		assert_int_equal(finish(c), OFFLOAD_SEC_DS_NO_SESSION);
		assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_NO_SESSION);
	}
}

static void create_fields(void **state)
{
	struct client *c = *state;
	struct ofs_hw_session_create in = { 0 };
	static const uint32_t bad[] = { 1, 4095, 4097, 3 << 12,
					(16U << 20) + 4096, 32U << 20,
					UINT32_MAX };
	size_t i;

	for (i = 0; i < EMU_ARRAY_SIZE(bad); i++)
		assert_int_equal(create_chunk(c, bad[i]),
				 OFFLOAD_SEC_DS_BAD_LENGTH);
	assert_int_equal(create_chunk(c, 4096), OFFLOAD_SEC_DS_OK);
	assert_int_equal(create_chunk(c, 16U << 20), OFFLOAD_SEC_DS_OK);
	in.reserved[2] = htole32(1);
	assert_int_equal(run(c->f, OFS_HW_OP_SESSION_CREATE, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	assert_int_equal(emu_sessions_open(&c->f->dev), 2);
}

/* Handles and session ids are never those of another session. */
static void exhaustion(void **state)
{
	struct client *c = *state;
	uint32_t handles[OFS_HW_MAX_SESSIONS];
	uint8_t ids[OFS_HW_MAX_SESSIONS][OFS_SESSION_ID_LEN];
	size_t i, j;

	for (i = 0; i < OFS_HW_MAX_SESSIONS; i++) {
		create(c);
		handles[i] = c->handle;
		memcpy(ids[i], c->sid, OFS_SESSION_ID_LEN);
		for (j = 0; j < i; j++) {
			assert_int_not_equal(handles[i], handles[j]);
			assert_memory_not_equal(ids[i], ids[j],
						OFS_SESSION_ID_LEN);
		}
	}
	assert_int_equal(create_chunk(c, 0), OFFLOAD_SEC_DS_NO_SLOT);
	c->handle = handles[17];
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
	create(c);
	/* A freed slot does not bring its old handle back. */
	for (j = 0; j < OFS_HW_MAX_SESSIONS; j++)
		assert_int_not_equal(c->handle, handles[j]);
	assert_int_equal(create_chunk(c, 0), OFFLOAD_SEC_DS_NO_SLOT);
	emu_sessions_abort_all(&c->f->dev);
	assert_int_equal(emu_sessions_open(&c->f->dev), 0);
	create(c);
}

static void measure_offsets(void **state)
{
	struct client *c = *state;
	struct ofs_hw_measure_out out;
	uint8_t data[8192], want[OFS_SHA256_LEN];

	pattern(data, sizeof(data), 5);
	create(c);
	/* A gap, then a repeat, then going back: all refused. */
	assert_int_equal(measure_piece(c, 0, 1, data, 100, 0, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(measure_piece(c, 0, 0, data, 100, 0, &out),
			 OFFLOAD_SEC_DS_OK);
	assert_int_equal(measure_piece(c, 0, 0, data, 100, 0, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(measure_piece(c, 0, 50, data + 50, 100, 0, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(measure_piece(c, 0, 101, data + 101, 100, 0, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(measure_piece(c, 0, UINT64_MAX, data, 1, 0, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
	/* An empty piece is fine; the refusals changed nothing. */
	assert_int_equal(measure_piece(c, 0, 100, NULL, 0, 0, &out),
			 OFFLOAD_SEC_DS_OK);
	assert_int_equal(measure_piece(c, 0, 100, data + 100,
				       sizeof(data) - 100,
				       OFS_HW_MEASURE_FINAL, &out),
			 OFFLOAD_SEC_DS_OK);
	SHA256(data, sizeof(data), want);
	assert_memory_equal(out.sha256, want, sizeof(want));
	assert_int_equal(le64toh(out.measured), sizeof(data));
	/* Sealed: nothing more, not even an empty piece. */
	assert_int_equal(measure_piece(c, 0, sizeof(data), data, 1, 0, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(measure_piece(c, 0, sizeof(data), NULL, 0,
				       OFS_HW_MEASURE_FINAL, NULL),
			 OFFLOAD_SEC_DS_BAD_STATE);
}

static void measure_fields(void **state)
{
	struct client *c = *state;
	struct ofs_hw_measure in;

	create(c);
	assert_int_equal(measure_piece(c, 3, 0, "x", 1, 0, NULL),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	assert_int_equal(measure_piece(c, UINT32_MAX, 0, "x", 1, 0, NULL),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	assert_int_equal(measure_piece(c, 0, 0, "x", 1, 2, NULL),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	memset(&in, 0, sizeof(in));
	in.handle = htole32(c->handle);
	in.reserved = htole32(1);
	assert_int_equal(run(c->f, OFS_HW_OP_MEASURE, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	in.reserved = 0;
	in.src.reserved = htole32(1);
	assert_int_equal(run(c->f, OFS_HW_OP_MEASURE, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	/* Exact input sizes for every session command. */
	assert_int_equal(run(c->f, OFS_HW_OP_MEASURE, &in, sizeof(in) - 1),
			 OFFLOAD_SEC_DS_BAD_LENGTH);
	assert_int_equal(run(c->f, OFS_HW_OP_ABORT, &in, 4),
			 OFFLOAD_SEC_DS_BAD_LENGTH);
	assert_int_equal(run(c->f, OFS_HW_OP_SESSION_CREATE, &in, 0),
			 OFFLOAD_SEC_DS_BAD_LENGTH);
	assert_int_equal(run(c->f, OFS_HW_OP_GET_CHAIN, &in, 0),
			 OFFLOAD_SEC_DS_BAD_LENGTH);
}

static void attest_without_measurement(void **state)
{
	struct client *c = *state;
	struct ofs_hw_blob_out bo;

	create(c);
	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
			 OFFLOAD_SEC_DS_BAD_STATE);
	/* Half a component is no measurement either. */
	assert_int_equal(measure_piece(c, 1, 0, "abc", 3, 0, NULL),
			 OFFLOAD_SEC_DS_OK);
	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(measure_piece(c, 0, 0, "k", 1, OFS_HW_MEASURE_FINAL,
				       NULL), OFFLOAD_SEC_DS_OK);
	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
			 OFFLOAD_SEC_DS_BAD_STATE);
	assert_int_equal(measure_piece(c, 1, 3, "d", 1, OFS_HW_MEASURE_FINAL,
				       NULL), OFFLOAD_SEC_DS_OK);
	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
			 OFFLOAD_SEC_DS_OK);
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
	assert_no_keys(c->f);
}

static void attest_twice(void **state)
{
	struct client *c = *state;
	struct ofs_hw_blob_out bo;

	default_images(c);
	create(c);
	measure_all(c);
	attest(c);
	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
			 OFFLOAD_SEC_DS_BAD_STATE);
}

/* NO_SPACE says how much is needed; nothing is kept from that try. */
static void attest_small_buffer(void **state)
{
	struct client *c = *state;
	struct ofs_hw_attest in;
	struct ofs_hw_blob_out bo;
	size_t need;

	default_images(c);
	create(c);
	measure_all(c);
	memset(&in, 0, sizeof(in));
	in.handle = htole32(c->handle);
	new_host_key(c);
	memcpy(in.host_pub, c->host_pub, sizeof(in.host_pub));
	in.report = fake_list(0, 0, 0);
	assert_int_equal(run(c->f, OFS_HW_OP_ATTEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_NO_SPACE);
	rsp_out(c->f, &bo, sizeof(bo));
	need = le32toh(bo.len[0]);
	assert_true(need > 200 && need <= OFS_REPORT_MAX);
	assert_int_equal(bo.len[1], 0);
	assert_int_equal(emu_session_key_bytes_live(&c->f->dev), 0);
	assert_int_equal(attest_cap(c, need - 1, &bo), OFFLOAD_SEC_DS_NO_SPACE);
	assert_int_equal(le32toh(bo.len[0]), need);
	assert_int_equal(attest_cap(c, need, &bo), OFFLOAD_SEC_DS_OK);
	assert_int_equal(c->report_len, need);
	verify_report(c);
}

static void attest_bad_host_key(void **state)
{
	struct client *c = *state;
	struct ofs_hw_blob_out bo;
	struct ofs_hw_attest in;

	default_images(c);
	create(c);
	measure_all(c);
	new_host_key(c);
	c->host_pub[0] = 0x02;		/* compressed: refused */
	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	c->host_pub[0] = 0x04;
	c->host_pub[50] ^= 1;		/* off the curve */
	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	memset(c->host_pub, 0, sizeof(c->host_pub));
	assert_int_equal(attest_cap(c, OFS_REPORT_MAX, &bo),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	memset(&in, 0, sizeof(in));
	in.handle = htole32(c->handle);
	in.pad[6] = 1;
	assert_int_equal(run(c->f, OFS_HW_OP_ATTEST, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_FIELD);
	assert_no_keys(c->f);
	/* Still MEASURED: a good key works. */
	new_host_key(c);
	attest(c);
}

static void chain_sizes(void **state)
{
	struct client *c = *state;
	struct ofs_hw_get_chain in = { .out = fake_list(0, 0, 0) };
	struct ofs_hw_blob_out bo;
	size_t need;

	assert_int_equal(run(c->f, OFS_HW_OP_GET_CHAIN, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_NO_SPACE);
	rsp_out(c->f, &bo, sizeof(bo));
	need = le32toh(bo.len[0]) + le32toh(bo.len[1]);
	assert_true(le32toh(bo.len[0]) > 200 && le32toh(bo.len[1]) > 200);
	in.out = out_buf(c->f, DATA_AREA, need - 1);
	assert_int_equal(run(c->f, OFS_HW_OP_GET_CHAIN, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_NO_SPACE);
	in.out = out_buf(c->f, DATA_AREA, need);
	assert_int_equal(run(c->f, OFS_HW_OP_GET_CHAIN, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_OK);
	in.out.reserved = htole32(1);
	assert_int_equal(run(c->f, OFS_HW_OP_GET_CHAIN, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_BAD_FIELD);
}

/* ABORT in every state ends the session and scrubs what was loaded. */
static void abort_scrubs(void **state)
{
	struct client *c = *state;

	ready_to_load(c);
	load_all(c, 0);
	assert_false(dest_zero(c, 0, c->img[0].len));
	assert_int_equal(abort_session(c), OFFLOAD_SEC_DS_OK);
	assert_true(dest_zero(c, 0, c->img[0].len));
	assert_no_keys(c->f);
	assert_int_equal(emu_sessions_open(&c->f->dev), 0);
}

/* The guest went away: every session ends as by ABORT. */
static void abort_all_on_disconnect(void **state)
{
	struct client *c = *state;

	ready_to_load(c);
	load_all(c, 1);
	create(c);
	measure_all(c);
	attest(c);
	emu_sessions_abort_all(&c->f->dev);
	assert_true(dest_zero(c, 1, c->img[1].len));
	assert_int_equal(emu_sessions_open(&c->f->dev), 0);
	assert_no_keys(c->f);
}

/* Without an identity (no boot) the session commands refuse politely. */
static void no_identity(void **state)
{
	struct client *c = *state;
	const struct emu_identity *id = c->f->dev.id;
	struct ofs_hw_get_chain in = { .out = fake_list(0, 0, 0) };

	c->f->dev.id = NULL;
	assert_int_equal(create_chunk(c, 0), OFFLOAD_SEC_DS_INTERNAL);
	assert_int_equal(run(c->f, OFS_HW_OP_GET_CHAIN, &in, sizeof(in)),
			 OFFLOAD_SEC_DS_INTERNAL);
	c->f->dev.id = id;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, client_setup, client_teardown)
		T(happy_path),
		T(initrd_and_empty_cmdline),
		T(report_contents),
		T(wrong_states),
		T(failed_state),
		T(unknown_handle),
		T(create_fields),
		T(exhaustion),
		T(measure_offsets),
		T(measure_fields),
		T(attest_without_measurement),
		T(attest_twice),
		T(attest_small_buffer),
		T(attest_bad_host_key),
		T(chain_sizes),
		T(abort_scrubs),
		T(abort_all_on_disconnect),
		T(no_identity),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
