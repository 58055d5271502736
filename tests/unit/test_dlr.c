/*
 * test_dlr.c - delivery reports: parsing the query Kannel calls back
 * with, and recording receipts in the store (receipts table and the
 * job's history).
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlr.h"
#include "store.h"

#define KEY "d900c826-9893-502b-ab1f-55204994e9fa"

static void
test_parse_full(void **state)
{
	struct dlr_report r;
	char err[128] = "";

	(void)state;
	/* As Kannel expands the sms plugin's dlr-url: %A is URL-encoded. */
	if (dlr_parse("channel=sms&key=" KEY "&part=2&type=8&at=1690189200"
	    "&id=abc&kid=1234&reply=ACK%2F%E5%B7%B2", &r, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(r.key, KEY);
	assert_string_equal(r.channel, "sms");
	assert_int_equal(r.part, 2);
	assert_int_equal(r.type, 8);
	assert_int_equal(r.at, 1690189200);
	assert_string_equal(r.detail, "ACK/已");
}

static void
test_parse_defaults(void **state)
{
	struct dlr_report r;
	char err[128];

	(void)state;
	/* No part: 1.  Empty %T (no time from the SMSC): 0, the caller's now. */
	assert_int_equal(dlr_parse("key=" KEY "&type=1&at=", &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.part, 1);
	assert_int_equal(r.type, 1);
	assert_int_equal(r.at, 0);
	assert_string_equal(r.detail, "");
	assert_string_equal(r.channel, "");
}

static void
test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"type=1",					/* no key */
		"key=abc&type=1",				/* short key */
		"key=" KEY,					/* no type */
		"key=" KEY "&type=x",
		"key=" KEY "&type=1&part=0",
		"key=" KEY "&type=1&part=256",
		"key=" KEY "&type=1&part=1x",
		"key=" KEY "&type=-1",
		"key=" KEY "&type=1&at=yesterday",
	};
	struct dlr_report r;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (dlr_parse(bad[i], &r, err, sizeof(err)) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(dlr_parse(NULL, &r, err, sizeof(err)), -1);
}

struct seen {
	int n;
	char text[4][128];
	int part[4], type[4];
};

static void
seen_event(void *arg, int64_t at, const char *st, const char *detail)
{
	struct seen *s = arg;

	(void)at;
	if (strcmp(st, "receipt") == 0 && s->n < 4)
		snprintf(s->text[s->n++], sizeof(s->text[0]), "%s", detail);
}

static void
seen_receipt(void *arg, int part, int type, int64_t at, const char *detail)
{
	struct seen *s = arg;

	(void)at;
	(void)detail;
	if (s->n < 4) {
		s->part[s->n] = part;
		s->type[s->n++] = type;
	}
}

static void
test_store_receipt(void **state)
{
	char dir[] = "/tmp/herald-test-dlr-XXXXXX", url[128], path[96];
	char err[256];
	struct store *s = NULL;
	struct seen ev = { 0 }, rc = { 0 };
	struct job j = { 0 };
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/h.db", dir);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	if (store_open(url, "test", &s, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	j.kind = JOB_REMINDER;
	j.priority = job_kind_priority(JOB_REMINDER);
	j.campaign = "cpm";
	j.item = "d1";
	j.contact = "p1";
	j.channel = "sms";
	j.due = j.next_at = j.item_at = 1000;
	job_make_key(j.key, j.campaign, j.item, j.kind, 0, j.contact,
	    j.channel);
	assert_int_equal(store_insert(s, &j), 0);

	assert_int_equal(store_receipt(s, j.key, 1, 8, 1001, "ACK/"), 0);
	assert_int_equal(store_receipt(s, j.key, 2, 1, 1002, NULL), 0);
	assert_int_equal(store_receipts(s, j.key, seen_receipt, &rc, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rc.part[0], 1);
	assert_int_equal(rc.type[0], 8);
	assert_int_equal(rc.part[1], 2);
	assert_int_equal(rc.type[1], 1);
	assert_int_equal(store_history(s, j.key, seen_event, &ev), 0);
	assert_int_equal(ev.n, 2);
	assert_string_equal(ev.text[0], "part 1 accepted by the SMSC (ACK/)");
	assert_string_equal(ev.text[1], "part 2 delivered");

	/* An unknown key is an error and records nothing. */
	assert_int_equal(store_receipt(s, KEY, 1, 1, 1003, NULL), -1);
	assert_non_null(strstr(store_error(s), "no job"));
	assert_int_equal(store_receipts(s, KEY, NULL, NULL, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_receipt(s, j.key, 0, 1, 1003, NULL), -1);

	store_close(s);
	unlink(path);
	snprintf(path, sizeof(path), "%s/h.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/h.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

/*
 * The signature doc/api.txt defines, recomputed with Python's hmac:
 * hmac.new("回执-key".encode(), b"sms\0KEY\0" b"2\0" b"1690189200",
 * sha256).hexdigest()[:32].
 */
static void
test_sign(void **state)
{
	const char *secret = "回执-key";
	char sig[DLR_SIG_LEN];

	(void)state;
	dlr_sign(secret, strlen(secret), "sms", KEY, 2, 1690189200, sig);
	assert_string_equal(sig, "f91cc2d009be64aabfdf9fcf79e1ab8f");
	dlr_sign(secret, strlen(secret), "sms", KEY, 1, 1690189200, sig);
	assert_string_not_equal(sig, "f91cc2d009be64aabfdf9fcf79e1ab8f");
}

/* An uppercase key is the same UUID; parts, sent and sig are read. */
static void
test_parse_signed_upper(void **state)
{
	struct dlr_report r;
	char err[128] = "";

	(void)state;
	if (dlr_parse("channel=sms&key=D900C826-9893-502B-AB1F-55204994E9FA"
	    "&part=2&parts=2&sent=1690189200"
	    "&sig=f91cc2d009be64aabfdf9fcf79e1ab8f&type=1", &r, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(r.key, KEY);
	assert_int_equal(r.parts, 2);
	assert_int_equal(r.sent, 1690189200);
	assert_string_equal(r.sig, "f91cc2d009be64aabfdf9fcf79e1ab8f");
	/* A signature with anything added is not the signature. */
	assert_int_equal(dlr_parse("key=" KEY "&type=1&sig="
	    "f91cc2d009be64aabfdf9fcf79e1ab8fXX", &r, err, sizeof(err)), -1);
	assert_int_equal(dlr_parse("key=" KEY "&type=1"
	    "&at=9223372036854775807", &r, err, sizeof(err)), -1);
	/* Not a UUID, though 36 characters long. */
	assert_int_equal(dlr_parse("key=d900c826-9893-502b-ab1f-55204994e9fz"
	    "&type=1", &r, err, sizeof(err)), -1);
	assert_int_equal(dlr_parse("key=" KEY "&type=1&parts=0", &r, err,
	    sizeof(err)), -1);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_parse_full),
	cmocka_unit_test(test_parse_defaults),
	cmocka_unit_test(test_parse_errors),
	cmocka_unit_test(test_store_receipt),
	cmocka_unit_test(test_sign),
	cmocka_unit_test(test_parse_signed_upper),
};

UNIT_MAIN(tests)
