/*
 * test_ical.c - the calendar of core/api/ical.c: a small config loaded with
 * conf_load(), turned into iCalendar, and read back with libical's own
 * parser.  Event times are checked twice: as written (local time and
 * TZID, which is what a calendar app shows) and as instants through the
 * VTIMEZONE found in the output, against literals computed independently
 * with Python's zoneinfo.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libical/ical.h>

#include "conf.h"
#include "errlist.h"
#include "ical.h"
#include "model.h"

#define NOW	1700000000	/* 2023-11-14T22:13:20Z */

struct fixture {
	char dir[64];
	struct errlist errs;
	struct model *m;
	char *ics;
	icalcomponent *cal;
};

static const char config[] =
    "herald = { timezone = \"Asia/Shanghai\"; };\n"
    "channels = ( { name = \"log\"; plugin = \"log\"; } );\n"
    /* Weekends move reminders (issue 11: so must the alarms). */
    "calendar = { weekend = [ \"sat\", \"sun\" ]; };\n"
    "units = ( { id = \"beijing\"; name = \"北京市商务局\"; },\n"
    "          { id = \"hebei\"; name = \"河北省商务厅\"; } );\n"
    "contacts = (\n"
    "  { id = \"wang\"; name = \"王\"; unit = \"beijing\"; prefer = [ \"log\" ]; },\n"
    "  { id = \"xu\"; name = \"徐\"; prefer = [ \"log\" ]; } );\n"
    "campaigns = (\n"
    "  { id = \"xfcjy-2023\"; title = \"2023年全国消费促进月\";\n"
    "    brand = \"百城万企促消费\"; timezone = \"Asia/Shanghai\";\n"
    "    period = [ \"2023-09-09\", \"2023-10-08\" ];\n"
    "    launch = { title = \"启动仪式\"; at = \"2023-09-09 10:00\";\n"
    "      countdown = [ \"1d\", \"1h\", \"10m\" ]; audience = [ \"wang\" ]; };\n"
    "    deadlines = ( { id = \"liaison-list\";\n"
    /* Long enough that libical 3.0 folds a line into its own CRLF
     * (see ical_fix_folds()); test_folding catches it. */
    "      title = \"报送联络机制名单（附件1），并附本地区重点城市、重点活动和重点企业名单\";\n"
    "      due = \"2023-08-05 17:00\"; audience = [ \"wang\" ];\n"
    "      remind = [ \"7d\", \"1d12h\", \"2h\" ]; lead = \"beijing\";\n"
    "      cooperate = [ \"hebei\" ]; } );\n"
    "    livestream = { stages = ( { id = \"cctv\"; title = \"总台直播间\"; } );\n"
    "      slots = ( { stage = \"cctv\"; title = \"启动仪式直播\";\n"
    "        from = \"2023-09-09 10:30\"; to = \"2023-09-09 11:30\";\n"
    "        host = \"xu\"; remind = [ \"30m\" ]; } ); };\n"
    "  },\n"
    "  { id = \"ny\"; title = \"纽约推介会\"; timezone = \"America/New_York\";\n"
    "    period = [ \"2023-10-01\", \"2023-11-30\" ];\n"
    "    deadlines = (\n"
    "      { id = \"edt\"; title = \"夏令时内\"; due = \"2023-10-20 09:00\";\n"
    "        audience = [ \"wang\" ]; remind = [ \"7d\" ]; },\n"
    "      { id = \"est\"; title = \"冬令时内\"; due = \"2023-11-06 09:00\";\n"
    "        audience = [ \"wang\" ]; remind = [ \"7d\" ]; } );\n"
    "  },\n"
    "  { id = \"u\"; title = \"协调世界时\"; timezone = \"UTC\";\n"
    "    period = [ \"2023-11-01\", \"2023-11-30\" ];\n"
    "    deadlines = ( { id = \"d\"; title = \"UTC截止\"; due = \"2023-11-06 09:00\";\n"
    "      audience = [ \"wang\" ]; } );\n"
    "  }\n"
    ");\n";

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[128];
	FILE *fp;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ical.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/h.conf", f->dir);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fputs(config, fp);
	fclose(fp);
	f->m = conf_load(path, &f->errs);
	if (f->m == NULL)
		errlist_print(&f->errs, stderr);
	*state = f;
	return f->m != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char path[128];

	if (f->cal != NULL)
		icalcomponent_free(f->cal);
	free(f->ics);
	model_free(f->m);
	errlist_clear(&f->errs);
	snprintf(path, sizeof(path), "%s/h.conf", f->dir);
	unlink(path);
	rmdir(f->dir);
	free(f);
	icaltimezone_free_builtin_timezones();
	return 0;
}

/* Build (all campaigns, or only id) and parse back. */
static void
build(struct fixture *f, const char *id)
{
	const struct model_campaign *only = NULL;
	char err[256] = "";

	if (id != NULL) {
		only = model_campaign_find(f->m, id);
		assert_non_null(only);
	}
	if (ical_build(f->m, only, NOW, &f->ics, err, sizeof(err)) == -1)
		fail_msg("ical_build: %s", err);
	f->cal = icalparser_parse_string(f->ics);
	assert_non_null(f->cal);
	assert_int_equal(icalcomponent_isa(f->cal), ICAL_VCALENDAR_COMPONENT);
}

static int
count(icalcomponent *c, icalcomponent_kind kind)
{
	return icalcomponent_count_components(c, kind);
}

static icalcomponent *
event(struct fixture *f, const char *uid)
{
	icalcomponent *ev;

	for (ev = icalcomponent_get_first_component(f->cal,
	    ICAL_VEVENT_COMPONENT); ev != NULL;
	    ev = icalcomponent_get_next_component(f->cal,
	    ICAL_VEVENT_COMPONENT))
		if (strcmp(icalcomponent_get_uid(ev), uid) == 0)
			return ev;
	fail_msg("no event %s", uid);
	return NULL;
}

/* The output's VTIMEZONE for tzid as a libical zone, or NULL. */
static icaltimezone *
zone(struct fixture *f, const char *tzid)
{
	icalcomponent *vtz;
	icaltimezone *z;

	for (vtz = icalcomponent_get_first_component(f->cal,
	    ICAL_VTIMEZONE_COMPONENT); vtz != NULL;
	    vtz = icalcomponent_get_next_component(f->cal,
	    ICAL_VTIMEZONE_COMPONENT)) {
		icalproperty *p = icalcomponent_get_first_property(vtz,
		    ICAL_TZID_PROPERTY);

		if (p == NULL || strcmp(icalproperty_get_tzid(p), tzid) != 0)
			continue;
		z = icaltimezone_new();
		assert_int_equal(icaltimezone_set_component(z,
		    icalcomponent_new_clone(vtz)), 1);
		return z;
	}
	return NULL;
}

/*
 * The event's DTSTART (or DTEND) reads local (y-m-d h:m) with TZID tzid,
 * and denotes instant at through the output's own VTIMEZONE.
 */
static void
check_time(struct fixture *f, icalcomponent *ev, icalproperty_kind kind,
    const char *tzid, const char *local, time_t at)
{
	icalproperty *p = icalcomponent_get_first_property(ev, kind);
	icalparameter *tp;
	struct icaltimetype t;
	icaltimezone *z;
	char buf[32];

	assert_non_null(p);
	t = kind == ICAL_DTSTART_PROPERTY ? icalproperty_get_dtstart(p) :
	    icalproperty_get_dtend(p);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d", t.year,
	    t.month, t.day, t.hour, t.minute, t.second);
	assert_string_equal(buf, local);
	assert_false(icaltime_is_utc(t));
	tp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
	assert_non_null(tp);
	assert_string_equal(icalparameter_get_tzid(tp), tzid);
	z = zone(f, tzid);
	assert_non_null(z);
	assert_int_equal(icaltime_as_timet_with_zone(t, z), at);
	icaltimezone_free(z, 1);
}

/*
 * The event's alarms, in order: DISPLAY, at these instants (UTC), where
 * herald's own reminders go out: moved off weekends by the planner
 * (issue 11).  The instants are date(1)'s, not herald's.
 */
static void
check_alarms(icalcomponent *ev, const int64_t *at, int n)
{
	icalcomponent *al;
	int i = 0;

	for (al = icalcomponent_get_first_component(ev,
	    ICAL_VALARM_COMPONENT); al != NULL;
	    al = icalcomponent_get_next_component(ev, ICAL_VALARM_COMPONENT),
	    i++) {
		icalproperty *p = icalcomponent_get_first_property(al,
		    ICAL_TRIGGER_PROPERTY);
		struct icaltriggertype trg;

		assert_true(i < n);
		assert_non_null(p);
		trg = icalproperty_get_trigger(p);
		assert_false(icaltime_is_null_time(trg.time));
		assert_true(icaltime_is_utc(trg.time));
		assert_int_equal(icaltime_as_timet(trg.time), at[i]);
		assert_int_equal(icalproperty_get_action(
		    icalcomponent_get_first_property(al,
		    ICAL_ACTION_PROPERTY)), ICAL_ACTION_DISPLAY);
		assert_non_null(icalcomponent_get_first_property(al,
		    ICAL_DESCRIPTION_PROPERTY));
	}
	assert_int_equal(i, n);
}

static const char *
category(icalcomponent *ev)
{
	return icalproperty_get_categories(icalcomponent_get_first_property(ev,
	    ICAL_CATEGORIES_PROPERTY));
}

static void
test_calendar(void **state)
{
	struct fixture *f = *state;
	/* Due Saturday 2023-08-05 17:00 +0800: "7d" (Saturday) and "2h"
	 * move to Friday at the same wall time, "1d12h" is Friday 05:00. */
	static const int64_t dl_at[] = { 1690534800, 1691096400, 1691132400 };
	/* Countdowns never move. */
	static const int64_t ln_at[] = { 1694138400, 1694221200, 1694224200 };
	static const int64_t sl_at[] = { 1694224800 };
	/* Seven civil days across the end of DST: 09:00 EDT, not 08:00. */
	static const int64_t edt_at[] = { 1697202000 };
	static const int64_t est_at[] = { 1698670800 };
	icalcomponent *ev;
	icalproperty *p;
	struct icaltimetype t;

	build(f, NULL);
	assert_string_equal(icalproperty_get_prodid(
	    icalcomponent_get_first_property(f->cal, ICAL_PRODID_PROPERTY)),
	    "-//herald//herald " PACKAGE_VERSION "//ZH");
	assert_string_equal(icalproperty_get_version(
	    icalcomponent_get_first_property(f->cal, ICAL_VERSION_PROPERTY)),
	    "2.0");
	assert_int_equal(icalproperty_get_method(
	    icalcomponent_get_first_property(f->cal, ICAL_METHOD_PROPERTY)),
	    ICAL_METHOD_PUBLISH);
	assert_string_equal(icalproperty_get_calscale(
	    icalcomponent_get_first_property(f->cal, ICAL_CALSCALE_PROPERTY)),
	    "GREGORIAN");
	assert_int_equal(count(f->cal, ICAL_VEVENT_COMPONENT), 6);
	/* Shanghai and New York; UTC needs none. */
	assert_int_equal(count(f->cal, ICAL_VTIMEZONE_COMPONENT), 2);

	ev = event(f, "xfcjy-2023/liaison-list@herald");
	check_time(f, ev, ICAL_DTSTART_PROPERTY, "Asia/Shanghai",
	    "2023-08-05 17:00:00", 1691226000);
	/* Issue 11: a DTEND after the start (HERALD_ITEM_EVENT_SECONDS). */
	check_time(f, ev, ICAL_DTEND_PROPERTY, "Asia/Shanghai",
	    "2023-08-05 17:30:00", 1691227800);
	check_alarms(ev, dl_at, 3);
	assert_string_equal(category(ev), "deadline");
	assert_string_equal(icalcomponent_get_summary(ev),
	    "【2023年全国消费促进月】截止："
	    "报送联络机制名单（附件1），并附本地区重点城市、"
	    "重点活动和重点企业名单");
	assert_non_null(strstr(icalcomponent_get_description(ev),
	    "牵头单位：北京市商务局"));
	t = icalproperty_get_dtstamp(icalcomponent_get_first_property(ev,
	    ICAL_DTSTAMP_PROPERTY));
	assert_true(icaltime_is_utc(t));
	assert_int_equal(icaltime_as_timet(t), NOW);

	ev = event(f, "xfcjy-2023/launch@herald");
	check_time(f, ev, ICAL_DTSTART_PROPERTY, "Asia/Shanghai",
	    "2023-09-09 10:00:00", 1694224800);
	check_time(f, ev, ICAL_DTEND_PROPERTY, "Asia/Shanghai",
	    "2023-09-09 10:30:00", 1694226600);
	check_alarms(ev, ln_at, 3);
	assert_string_equal(category(ev), "launch");

	/* The slot's item "cctv@2023-09-09 10:30", percent-encoded: no space. */
	ev = event(f, "xfcjy-2023/cctv%402023-09-09%2010%3A30@herald");
	check_time(f, ev, ICAL_DTSTART_PROPERTY, "Asia/Shanghai",
	    "2023-09-09 10:30:00", 1694226600);
	check_time(f, ev, ICAL_DTEND_PROPERTY, "Asia/Shanghai",
	    "2023-09-09 11:30:00", 1694230200);
	check_alarms(ev, sl_at, 1);
	assert_string_equal(category(ev), "livestream");
	assert_string_equal(icalcomponent_get_location(ev), "总台直播间");

	/* Both sides of the end of DST, through the truncated VTIMEZONE. */
	ev = event(f, "ny/edt@herald");
	check_time(f, ev, ICAL_DTSTART_PROPERTY, "America/New_York",
	    "2023-10-20 09:00:00", 1697806800);
	check_alarms(ev, edt_at, 1);
	ev = event(f, "ny/est@herald");
	check_time(f, ev, ICAL_DTSTART_PROPERTY, "America/New_York",
	    "2023-11-06 09:00:00", 1699279200);
	check_alarms(ev, est_at, 1);

	/* UTC: a "Z" time, no TZID. */
	ev = event(f, "u/d@herald");
	p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	t = icalproperty_get_dtstart(p);
	assert_true(icaltime_is_utc(t));
	assert_null(icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER));
	assert_int_equal(icaltime_as_timet(t), 1699261200);
	assert_int_equal(count(ev, ICAL_VALARM_COMPONENT), 0);
}

/* Asia/Shanghai's VTIMEZONE: +08:00 throughout, no daylight time. */
static void
test_shanghai(void **state)
{
	struct fixture *f = *state;
	icalcomponent *vtz, *o;
	int n = 0;

	build(f, "xfcjy-2023");
	assert_int_equal(count(f->cal, ICAL_VEVENT_COMPONENT), 3);
	assert_int_equal(count(f->cal, ICAL_VTIMEZONE_COMPONENT), 1);
	vtz = icalcomponent_get_first_component(f->cal,
	    ICAL_VTIMEZONE_COMPONENT);
	assert_string_equal(icalproperty_get_tzid(
	    icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY)),
	    "Asia/Shanghai");
	assert_int_equal(count(vtz, ICAL_XDAYLIGHT_COMPONENT), 0);
	for (o = icalcomponent_get_first_component(vtz,
	    ICAL_XSTANDARD_COMPONENT); o != NULL;
	    o = icalcomponent_get_next_component(vtz,
	    ICAL_XSTANDARD_COMPONENT), n++) {
		assert_int_equal(icalproperty_get_tzoffsetto(
		    icalcomponent_get_first_property(o,
		    ICAL_TZOFFSETTO_PROPERTY)), 8 * 3600);
		assert_int_equal(icalproperty_get_tzoffsetfrom(
		    icalcomponent_get_first_property(o,
		    ICAL_TZOFFSETFROM_PROPERTY)), 8 * 3600);
	}
	assert_true(n >= 1);
	assert_null(strstr(f->ics, "America/New_York"));
	assert_null(strstr(f->ics, "ny/"));
}

/* RFC 5545 3.1: CRLF, lines of at most 75 octets, no UTF-8 sequence
 * split across a fold. */
static void
test_folding(void **state)
{
	struct fixture *f = *state;
	const char *p, *eol;
	size_t lines = 0;

	build(f, NULL);
	for (p = f->ics; *p != '\0'; p = eol + 2, lines++) {
		eol = strstr(p, "\r\n");
		assert_non_null(eol);
		assert_true(eol - p <= 75);
		assert_null(memchr(p, '\n', (size_t)(eol - p)));
		/* A continuation line starts with a space, never with a
		 * UTF-8 continuation byte. */
		assert_false((p[0] & 0xc0) == 0x80);
		assert_false(p[0] == ' ' && (p[1] & 0xc0) == 0x80);
	}
	assert_true(lines > 50);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_calendar, setup, teardown),
	cmocka_unit_test_setup_teardown(test_shanghai, setup, teardown),
	cmocka_unit_test_setup_teardown(test_folding, setup, teardown),
};

UNIT_MAIN(tests)
