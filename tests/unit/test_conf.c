/*
 * test_conf.c - the config loader: small configs written to a temp dir,
 * loaded, and checked against the model and the error list.  Expected
 * instants and day numbers are literals computed independently (Python's
 * zoneinfo), never by the code under test.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_internal.h"
#include "errlist.h"
#include "model.h"

#include "conf_fixture.h"

static int
setup(void **state)
{
	return cfix_setup(state, "test_conf");
}

static int
teardown(void **state)
{
	return cfix_teardown(state);
}

static void
dump(struct cfix *f)
{
	errlist_print(&f->errs, stderr);
}

#define BASE \
	"herald = { timezone = \"Asia/Shanghai\"; };\n" \
	"channels = ( { name = \"log\"; plugin = \"log\"; },\n" \
	"             { name = \"sms\"; plugin = \"log\"; } );\n"

static const char people[] = BASE
    "units = ( { id = \"beijing\"; name = \"北京市商务局\"; liaison = \"bj-wang\"; },\n"
    "          { id = \"hebei\"; name = \"河北省商务厅\"; region = \"河北\"; } );\n"
    "contacts = (\n"
    "  { id = \"bj-li\"; name = \"李\"; unit = \"beijing\"; prefer = [ \"log\" ]; },\n"
    "  { id = \"bj-wang\"; name = \"王\"; unit = \"beijing\"; prefer = [ \"sms\", \"log\" ];\n"
    "    phone = \"138 0013 8000\"; quiet = \"22:00-07:00\"; supervisor = \"desk\";\n"
    "    address = { sms = \"x\"; }; },\n"
    "  { id = \"hb-zhao\"; name = \"赵\"; unit = \"hebei\"; prefer = [ \"log\" ]; },\n"
    "  { id = \"hb-qian\"; name = \"钱\"; unit = \"hebei\"; prefer = [ \"log\" ]; },\n"
    "  { id = \"desk\"; name = \"值班\"; prefer = [ \"log\" ]; always = [ \"sms\" ]; }\n"
    ");\n"
    "groups = ( { id = \"provinces\"; members = [ \"beijing\", \"hebei\", \"inner\" ]; },\n"
    "           { id = \"inner\"; members = [ \"hb-qian\", \"desk\" ]; } );\n";

static void
test_people(void **state)
{
	struct cfix *f = *state;
	const struct model_group *g;
	const struct model_contact *wang;
	const struct model_unit *hb;

	cfix_put(f, "p.conf", people);
	if (cfix_load(f, "p.conf") == NULL)
		dump(f);
	assert_non_null(f->m);
	assert_int_equal(f->errs.n, 0);
	assert_int_equal(f->m->n_units, 2);
	assert_int_equal(f->m->n_contacts, 5);
	assert_int_equal(f->m->n_groups, 2);

	wang = model_contact_find(f->m, "bj-wang");
	assert_non_null(wang);
	assert_string_equal(wang->phone, "+8613800138000");
	assert_int_equal(wang->n_prefer, 2);
	assert_string_equal(wang->prefer[0]->name, "sms");
	assert_int_equal(wang->quiet.set, 1);
	assert_int_equal(wang->quiet.from_min, 22 * 60);
	assert_int_equal(wang->quiet.to_min, 7 * 60);
	assert_ptr_equal(wang->supervisor, model_contact_find(f->m, "desk"));
	assert_int_equal(wang->n_addresses, 1);
	assert_string_equal(wang->addresses[0].address, "x");
	assert_ptr_equal(model_unit_find(f->m, "beijing")->liaison, wang);

	hb = model_unit_find(f->m, "hebei");
	assert_int_equal(hb->n_members, 2);
	assert_string_equal(hb->members[0]->id, "hb-zhao");
	assert_string_equal(hb->region, "河北");

	/* beijing -> its liaison only; hebei -> both members; inner adds
	 * desk (hb-qian is already in): config order, no duplicates. */
	g = &f->m->groups[0];
	assert_string_equal(g->id, "provinces");
	assert_int_equal(g->audience.n, 4);
	assert_string_equal(g->audience.contacts[0]->id, "bj-wang");
	assert_string_equal(g->audience.contacts[1]->id, "hb-zhao");
	assert_string_equal(g->audience.contacts[2]->id, "hb-qian");
	assert_string_equal(g->audience.contacts[3]->id, "desk");
	assert_null(model_contact_find(f->m, "nobody"));
	assert_null(model_channel_find(f->m, "mail"));
}

static const char campaign[] =
    "  campaigns = ( {\n"
    "    id = \"c1\"; title = \"活动\"; brand = \"品牌\";\n"
    "    period = [ \"2023-09-09\", \"2023-10-08\" ];\n"
    "    coordinators = [ \"desk\" ]; digest = \"09:30\";\n"
    "    launch = { title = \"启动\"; at = \"2023-09-09 10:00\";\n"
    "               countdown = [ \"10m\", \"1d\", \"1h\" ]; audience = [ \"provinces\", \"desk\" ]; };\n"
    "    deadlines = ( { id = \"d1\"; title = \"名单\"; due = \"2023-08-05 17:00\";\n"
    "      audience = [ \"provinces\" ]; remind = [ \"2h\", \"7d\", \"1d12h\" ];\n"
    "      overdue = false; lead = \"beijing\"; cooperate = [ \"hebei\" ];\n"
    "      escalate = { after = \"1d\"; to = [ \"desk\" ]; }; } );\n"
    "    plans = ( { id = \"p1\"; title = \"预案\"; level = 2; alert = [ \"hebei\" ];\n"
    "      repeat = \"5m\"; steps = \"疏散\";\n"
    "      escalate = ( { after = \"10m\"; to = [ \"desk\" ]; } ); } );\n"
    "    livestream = { stages = ( { id = \"cctv\"; title = \"总台\"; channel = \"sms\"; } );\n"
    "      slots = ( { stage = \"cctv\"; title = \"B\"; from = \"2023-09-10 19:00\"; to = \"2023-09-10 20:00\"; },\n"
    "                { stage = \"cctv\"; title = \"A\"; from = \"2023-09-09 19:00\"; to = \"2023-09-09 20:00\";\n"
    "                  host = \"bj-wang\"; remind = [ \"10m\", \"1h\" ]; } ); };\n"
    "  } );\n";

static void
test_campaign(void **state)
{
	struct cfix *f = *state;
	const struct model_campaign *c;
	const struct model_deadline *d;
	char *text = NULL;

	if (asprintf(&text, "%s%s", people, campaign) < 0)
		fail();
	cfix_put(f, "c.conf", text);
	free(text);
	if (cfix_load(f, "c.conf") == NULL)
		dump(f);
	assert_non_null(f->m);
	c = model_campaign_find(f->m, "c1");
	assert_non_null(c);
	assert_string_equal(c->timezone, "Asia/Shanghai");
	assert_string_equal(c->brand, "品牌");
	assert_int_equal(c->period_from.at, 1694188800);	/* 09-09 00:00 */
	assert_int_equal(c->period_to.at, 1696780799);		/* 10-08 23:59:59 */
	assert_int_equal(c->period_to.date_only, 1);
	assert_int_equal(c->digest.set, 1);
	assert_int_equal(c->digest.at_min, 9 * 60 + 30);
	assert_int_equal(c->digest.to.n, 1);

	assert_int_equal(c->n_launches, 1);
	assert_string_equal(c->launches[0].id, "launch");
	assert_int_equal(c->launches[0].at.at, 1694224800);
	assert_int_equal(c->launches[0].n_countdown, 3);
	assert_string_equal(c->launches[0].countdown[0].text, "1d");
	assert_int_equal(c->launches[0].countdown[0].days, 1);
	assert_string_equal(c->launches[0].countdown[2].text, "10m");
	assert_int_equal(c->launches[0].audience.n, 4);	/* desk deduplicated */

	d = &c->deadlines[0];
	assert_string_equal(d->due.text, "2023-08-05 17:00");
	assert_int_equal(d->due.at, 1691226000);
	assert_int_equal(d->n_remind, 3);
	assert_string_equal(d->remind[0].text, "7d");
	assert_int_equal(d->remind[0].seconds, 7 * 86400);
	assert_int_equal(d->remind[0].days, 7);
	assert_string_equal(d->remind[1].text, "1d12h");
	assert_int_equal(d->remind[1].seconds, 36 * 3600);
	assert_int_equal(d->remind[1].days, 1);
	assert_string_equal(d->remind[2].text, "2h");
	assert_int_equal(d->remind[2].days, 0);
	assert_int_equal(d->overdue, 0);
	assert_non_null(d->escalate);
	assert_int_equal(d->escalate->after.seconds, 86400);
	assert_string_equal(d->escalate->to.contacts[0]->id, "desk");
	assert_string_equal(d->lead->id, "beijing");
	assert_int_equal(d->n_cooperate, 1);
	assert_int_equal(d->audience.n, 4);

	assert_int_equal(c->plans[0].level, 2);
	assert_int_equal(c->plans[0].repeat.seconds, 300);
	assert_int_equal(c->plans[0].n_escalate, 1);
	assert_int_equal(c->plans[0].alert.n, 2);

	assert_int_equal(c->n_slots, 2);
	assert_string_equal(c->stages[0].channel->name, "sms");
	assert_string_equal(c->slots[1].host->id, "bj-wang");
	assert_string_equal(c->slots[1].remind[0].text, "1h");
}

static void
test_calendar(void **state)
{
	struct cfix *f = *state;
	const struct model_calendar *cal;

	cfix_put(f, "cal/cn-2023.conf",
	    "{ year = 2023;\n"
	    "  holidays = ( { name = \"国庆节\"; from = \"2023-09-29\"; to = \"2023-10-06\"; } );\n"
	    "  workdays = [ \"2023-10-08\", \"2023-10-07\" ]; }\n");
	cfix_put(f, "k.conf", BASE
	    "calendar = { years = (\n"
	    "  @include \"cal/cn-2023.conf\"\n"
	    "); };\n");
	if (cfix_load(f, "k.conf") == NULL)
		dump(f);
	assert_non_null(f->m);
	cal = &f->m->calendar;
	assert_int_equal(cal->n_years, 1);
	assert_int_equal(cal->years[0], 2023);
	assert_int_equal(cal->n_holidays, 1);
	assert_int_equal(cal->holidays[0].from_day, 19629);
	assert_int_equal(cal->n_workdays, 2);
	assert_int_equal(cal->workdays[0], 19637);	/* sorted */
	assert_true(model_calendar_is_workday(cal, 19637));	/* Sat 调休 */
	assert_false(model_calendar_is_workday(cal, 19632));	/* Mon, holiday */
	assert_false(model_calendar_is_workday(cal, 19644));	/* plain Sat */
	assert_true(model_calendar_is_workday(cal, 19639));	/* plain Mon */
}

static void
test_errors_everywhere(void **state)
{
	struct cfix *f = *state;
	char msg[256];

	cfix_put(f, "inc/c.conf",
	    "{ id = \"a\"; name = \"A\"; prefer = [ \"log\" ]; },\n"
	    "{ id = \"b\"; name = \"B\";\n"
	    "  prefer = [ \"nope\" ]; }\n");
	cfix_put(f, "e.conf", BASE
	    "units = ( { id = \"a\"; name = \"dup\"; } );\n"
	    "contacts = (\n"
	    "  @include \"inc/c.conf\"\n"
	    ");\n"
	    "campaigns = ( { id = \"c\"; title = \"t\"; period = [ \"2023-09-09\", \"2023-10-08\" ];\n"
	    "  deadlines = ( { id = \"d\"; title = \"t\"; due = \"2023-08-05 17:00\";\n"
	    "    audience = [ \"b\", \"zz\" ]; remnd = [ \"1d\" ]; } ); } );\n");
	assert_null(cfix_load(f, "e.conf"));
	assert_int_equal(f->errs.n_errors, 4);
	snprintf(msg, sizeof(msg), "duplicate id \"a\" for a contact: "
	    "already used by the unit at %s/e.conf:4", f->dir);
	assert_true(cfix_has(f, "inc/c.conf", 1, msg));
	assert_true(cfix_has(f, "inc/c.conf", 3,
	    "unknown channel \"nope\" in prefer of contact \"b\""));
	assert_true(cfix_has(f, "e.conf", 10, "unknown contact, unit or group \"zz\" "
	    "in audience of deadline \"d\""));
	assert_true(cfix_has(f, "e.conf", 10, "unknown setting \"remnd\" in deadline "
	    "\"d\" (did you mean \"remind\"?)"));
}

/* Units, contacts and groups share one namespace: each repeat names the
 * first holder of its id, whatever the kinds, and only the first counts. */
static void
test_duplicate_ids(void **state)
{
	/* Each repeat: its line, id and kind, and the first holder's. */
	static const struct {
		int line;
		const char *id, *kind, *first;
		int first_line;
	} dups[] = {
		{ 5, "u", "unit", "unit", 4 },
		{ 7, "k", "contact", "contact", 6 },
		{ 8, "k", "group", "contact", 6 },
		{ 10, "g", "group", "group", 9 },
	};
	struct cfix *f = *state;
	char path[256], msg[256];

	cfix_put(f, "d.conf", BASE
	    "units = ( { id = \"u\"; name = \"U\"; },\n"	/* line 4 */
	    "          { id = \"u\"; name = \"U2\"; } );\n"
	    "contacts = ( { id = \"k\"; name = \"K\"; prefer = [ \"log\" ]; },\n"
	    "             { id = \"k\"; name = \"K2\"; prefer = [ \"log\" ]; } );\n"
	    "groups = ( { id = \"k\"; members = [ \"u\" ]; },\n"	/* line 8 */
	    "           { id = \"g\"; members = [ \"k\" ]; },\n"
	    "           { id = \"g\"; members = [ \"u\" ]; } );\n");
	/* conf_load_check() keeps the model despite errors: the first of
	 * each id is in it, the repeats are not.  f->m is the fixture's to
	 * free. */
	snprintf(path, sizeof(path), "%s/d.conf", f->dir);
	f->m = conf_load_check(path, &f->errs);
	assert_int_equal(f->errs.n_errors, 4);
	for (size_t i = 0; i < sizeof(dups) / sizeof(dups[0]); i++) {
		snprintf(msg, sizeof(msg), "duplicate id \"%s\" for a %s: "
		    "already used by the %s at %s/d.conf:%d", dups[i].id,
		    dups[i].kind, dups[i].first, f->dir, dups[i].first_line);
		assert_true(cfix_has(f, "d.conf", dups[i].line, msg));
	}
	assert_non_null(f->m);
	assert_int_equal(f->m->n_units, 1);
	assert_int_equal(f->m->n_contacts, 1);
	assert_string_equal(f->m->contacts[0].name, "K");
	assert_int_equal(f->m->n_groups, 1);
}

static void
test_syntax_in_include(void **state)
{
	struct cfix *f = *state;

	cfix_put(f, "inc/bad.conf", "{ id = \"a\";\n  name = ; }\n");
	cfix_put(f, "s.conf", BASE "contacts = (\n@include \"inc/bad.conf\"\n);\n");
	assert_null(cfix_load(f, "s.conf"));
	assert_int_equal(f->errs.n, 1);
	assert_true(cfix_has(f, "inc/bad.conf", 2, "syntax error"));
}

static void
test_utf8_and_overflow(void **state)
{
	struct cfix *f = *state;

	cfix_put(f, "inc/u.conf", "{ id = \"a\";\n name = \"\xff\"; prefer = [ \"log\" ]; }\n");
	cfix_put(f, "u.conf", BASE "contacts = (\n@include \"inc/u.conf\"\n);\n"
	    "x = 4294967296;\n");
	assert_null(cfix_load(f, "u.conf"));
	assert_true(cfix_has(f, "inc/u.conf", 2, "invalid UTF-8"));
	assert_true(cfix_has(f, "u.conf", 7, "integer 4294967296 is too large (write "
	    "it with an L suffix if you mean it)"));
	assert_true(cfix_has(f, "u.conf", 7, "unknown setting \"x\" at top level"));
	assert_int_equal(f->errs.n_errors, 3);
}

static void
test_group_cycle(void **state)
{
	struct cfix *f = *state;

	cfix_put(f, "g.conf", BASE
	    "contacts = ( { id = \"a\"; name = \"A\"; prefer = [ \"log\" ]; } );\n"
	    "groups = ( { id = \"x\"; members = [ \"a\", \"y\" ]; },\n"
	    "           { id = \"y\"; members = [ \"x\" ]; } );\n");
	assert_null(cfix_load(f, "g.conf"));
	assert_int_equal(f->errs.n, 1);
	assert_true(cfix_has(f, "g.conf", 6, "group cycle: x -> y -> x"));
}

static void
test_channel_and_paths(void **state)
{
	struct cfix *f = *state;
	const struct model_channel *ch;
	const struct herald_channel_conf *cc;
	char *base, *want;

	cfix_put(f, "api.token", "s3cret token\nsecond line ignored\n");
	cfix_put(f, "h.conf",
	    "herald = { store = \"sqlite:var/h.db\"; pid_file = \"/run/h.pid\";\n"
	    "  api_token_file = \"api.token\"; log_level = \"debug\";\n"
	    "  listen = \"[::1]:9000\"; };\n"
	    "channels = ( { name = \"mail\"; plugin = \"email\"; concurrency = 4;\n"
	    "  rate = \"20/m\"; burst = 3; host = \"smtp.example\"; port = 587;\n"
	    "  tls = true; ratio = 0.5; cc = [ \"a@b.c\", \"d@e.f\" ]; } );\n");
	if (cfix_load(f, "h.conf") == NULL)
		dump(f);
	assert_non_null(f->m);
	base = realpath(f->dir, NULL);
	assert_string_equal(f->m->daemon.base_dir, base);
	if (asprintf(&want, "sqlite:%s/var/h.db", base) < 0)
		fail();
	assert_string_equal(f->m->daemon.store, want);
	free(want);
	if (asprintf(&want, "%s/api.token", base) < 0)
		fail();
	assert_string_equal(f->m->daemon.api_token_file, want);
	free(want);
	/* The secret's first line, read at load. */
	assert_string_equal(f->m->daemon.api_token, "s3cret token");
	assert_int_equal(f->m->daemon.api_token_len, 12);
	assert_string_equal(f->m->daemon.pid_file, "/run/h.pid");
	assert_string_equal(f->m->daemon.timezone, "Asia/Shanghai");
	assert_string_equal(f->m->daemon.listen, "[::1]:9000");
	assert_int_equal(f->m->daemon.log_level, HERALD_LOG_DEBUG);

	ch = model_channel_find(f->m, "mail");
	assert_non_null(ch);
	assert_int_equal(ch->concurrency, 4);
	assert_int_equal(ch->burst, 3);
	assert_true(ch->rate > 0.333 && ch->rate < 0.334);
	cc = &ch->conf;
	assert_string_equal(cc->plugin, "email");
	assert_string_equal(cc->base_dir, base);
	assert_int_equal(cc->n_settings, 5);
	assert_string_equal(cc->settings[0].name, "host");
	assert_int_equal(cc->settings[0].type, HERALD_SETTING_STRING);
	assert_string_equal(cc->settings[0].str, "smtp.example");
	assert_int_equal(cc->settings[0].line, 5);
	assert_int_equal(cc->settings[1].type, HERALD_SETTING_INT);
	assert_int_equal(cc->settings[1].integer, 587);
	assert_int_equal(cc->settings[2].type, HERALD_SETTING_BOOL);
	assert_int_equal(cc->settings[2].integer, 1);
	assert_int_equal(cc->settings[3].type, HERALD_SETTING_FLOAT);
	assert_true(cc->settings[3].number == 0.5);
	assert_int_equal(cc->settings[4].type, HERALD_SETTING_LIST);
	assert_int_equal(cc->settings[4].n_items, 2);
	assert_string_equal(cc->settings[4].items[1], "d@e.f");
	free(base);
}

static void
test_dst(void **state)
{
	struct cfix *f = *state;

	cfix_put(f, "d.conf",
	    "herald = { timezone = \"America/New_York\"; };\n"
	    "channels = ( { name = \"log\"; plugin = \"log\"; } );\n"
	    "contacts = ( { id = \"a\"; name = \"A\"; prefer = [ \"log\" ]; } );\n"
	    "campaigns = ( { id = \"c\"; title = \"t\"; period = [ \"2023-03-01\", \"2023-04-01\" ];\n"
	    "  deadlines = ( { id = \"d\"; title = \"t\"; due = \"2023-03-12 02:30\";\n"
	    "    audience = [ \"a\" ]; } ); } );\n");
	if (cfix_load(f, "d.conf") == NULL)
		dump(f);
	assert_non_null(f->m);	/* a warning does not fail the load */
	assert_int_equal(f->errs.n_warnings, 1);
	assert_true(cfix_has(f, "d.conf", 5, "warning: local time \"2023-03-12 "
	    "02:30\" does not exist in America/New_York; using 2023-03-12 03:30"));
	assert_int_equal(f->m->campaigns[0].deadlines[0].due.at, 1678606200);
}

/* Civil days: one day before 10:00 on the day after the spring-forward
 * is 10:00 the day before, only 23 hours earlier. */
static void
test_offset_before(void **state)
{
	struct model_offset d1 = { "1d", 86400, 1 };
	struct model_offset d1h2 = { "1d2h", 93600, 1 };
	struct model_offset h24 = { "24h", 86400, 0 };

	(void)state;
	assert_int_equal(conf_offset_before(1678716000, &d1, "America/New_York"),
	    1678629600);
	assert_int_equal(conf_offset_before(1678716000, &d1h2,
	    "America/New_York"), 1678622400);
	assert_int_equal(conf_offset_before(1678716000, &h24, "America/New_York"),
	    1678716000 - 86400);
}

static void
test_missing_file(void **state)
{
	struct cfix *f = *state;

	assert_null(cfix_load(f, "nope.conf"));
	assert_int_equal(f->errs.n_errors, 1);
	assert_int_equal(f->errs.v[0].line, 0);
	assert_non_null(strstr(f->errs.v[0].msg, "cannot read"));
}

static void
test_templates(void **state)
{
	struct cfix *f = *state;
	const struct model_template *t;

	cfix_put(f, "t.conf", BASE
	    "templates = { reminder = { default = \"{{title}}将于{{due}}截止\";\n"
	    "  sms = \"{{title}}\"; subject = \"【提醒】{{title}}\"; }; };\n");
	if (cfix_load(f, "t.conf") == NULL)
		dump(f);
	assert_non_null(f->m);
	assert_int_equal(f->m->n_templates, 3);
	t = &f->m->templates[1];
	assert_string_equal(t->kind, "reminder");
	assert_string_equal(t->channel, "sms");
	assert_string_equal(t->field, "body");
	t = &f->m->templates[2];
	assert_string_equal(t->channel, "default");
	assert_string_equal(t->field, "subject");
	assert_string_equal(t->text, "【提醒】{{title}}");
}

/* Load name afresh (the previous model and messages dropped). */
static struct model *
reload(struct cfix *f, const char *name)
{
	model_free(f->m);
	f->m = NULL;
	errlist_clear(&f->errs);
	return cfix_load(f, name);
}

static void
test_alertmanager(void **state)
{
	struct cfix *f = *state;
	const struct model_alertmanager *am;
	static const char rest[] =
	    "channels = ( { name = \"log\"; plugin = \"log\"; } );\n";
	char text[1024];

	/* Absent: not set (the endpoint answers 404), defaults named. */
	snprintf(text, sizeof(text), "herald = { };\n%s", rest);
	cfix_put(f, "a.conf", text);
	assert_non_null(reload(f, "a.conf"));
	am = &f->m->daemon.alertmanager;
	assert_false(am->set);
	assert_string_equal(am->plan_label, "plan");

	/* Empty group: set, every default. */
	snprintf(text, sizeof(text), "herald = { alertmanager = { }; };\n%s",
	    rest);
	cfix_put(f, "b.conf", text);
	assert_non_null(reload(f, "b.conf"));
	am = &f->m->daemon.alertmanager;
	assert_true(am->set);
	assert_int_equal(am->loc.line, 1);
	assert_string_equal(am->plan_label, "plan");
	assert_string_equal(am->venue_label, "venue");
	assert_string_equal(am->campaign_label, "campaign");
	assert_string_equal(am->note_annotation, "summary");
	assert_string_equal(am->drill_label, "drill");

	/* Every name set; the note may share a label's name (annotations
	 * are another namespace). */
	snprintf(text, sizeof(text), "herald = { alertmanager = {\n"
	    "  plan_label = \"herald_plan\"; venue_label = \"Site_2\";\n"
	    "  campaign_label = \"_c\"; note_annotation = \"Site_2\";\n"
	    "  drill_label = \"exercise\"; }; };\n%s", rest);
	cfix_put(f, "c.conf", text);
	assert_non_null(reload(f, "c.conf"));
	am = &f->m->daemon.alertmanager;
	assert_string_equal(am->plan_label, "herald_plan");
	assert_string_equal(am->venue_label, "Site_2");
	assert_string_equal(am->campaign_label, "_c");
	assert_string_equal(am->note_annotation, "Site_2");
	assert_string_equal(am->drill_label, "exercise");

	/* 2plan is refused, so plan_label keeps "plan"; drill_label is
	 * reported once though it equals two others. */
	snprintf(text, sizeof(text), "herald = { alertmanager = {\n"
	    "  plan_label = \"2plan\";\n"
	    "  venue_label = \"plan\";\n"
	    "  drill_label = \"plan\";\n"
	    "  note_annotation = \"a-b\"; plam_label = \"x\"; }; };\n%s",
	    rest);
	cfix_put(f, "d.conf", text);
	assert_null(reload(f, "d.conf"));
	assert_true(cfix_has(f, "d.conf", 2, "plan_label \"2plan\" is not a "
	    "Prometheus label name (use letters, digits and _, not starting "
	    "with a digit)"));
	assert_true(cfix_has(f, "d.conf", 3, "venue_label \"plan\" is also "
	    "plan_label: each label names one thing"));
	assert_true(cfix_has(f, "d.conf", 4, "drill_label \"plan\" is also "
	    "plan_label: each label names one thing"));
	assert_false(cfix_has(f, "d.conf", 4, "drill_label \"plan\" is also "
	    "venue_label: each label names one thing"));
	assert_true(cfix_has(f, "d.conf", 5, "note_annotation \"a-b\" is not a "
	    "Prometheus label name (use letters, digits and _, not starting "
	    "with a digit)"));
	assert_true(cfix_has(f, "d.conf", 5, "unknown setting \"plam_label\" in "
	    "herald.alertmanager (did you mean \"plan_label\"?)"));
	/* No api_token_file in any of these: Alertmanager would be refused. */
	assert_true(cfix_has(f, "d.conf", 1, "warning: alertmanager without "
	    "api_token_file: writes are disabled, so Alertmanager's requests "
	    "are refused (403)"));
	assert_int_equal(f->errs.n, 6);
}

/* herald.store_password_file: read at load into the model, whatever the
 * file's mode a warning only; a file with an SQLite store is unused. */
static void
test_store_password(void **state)
{
	struct cfix *f = *state;
	char path[256];

	cfix_put(f, "pg.pass", "pg-Secret 1\nignored\n");
	snprintf(path, sizeof(path), "%s/pg.pass", f->dir);
	assert_int_equal(chmod(path, 0600), 0);
	cfix_put(f, "pg.conf",
	    "herald = { store = \"postgresql://herald@db1/herald\";\n"
	    "  store_password_file = \"pg.pass\"; };\n"
	    "channels = ( { name = \"log\"; plugin = \"log\"; } );\n");
	if (cfix_load(f, "pg.conf") == NULL)
		dump(f);
	assert_non_null(f->m);
	assert_int_equal(f->errs.n, 0);
	assert_string_equal(f->m->daemon.store,
	    "postgresql://herald@db1/herald");
	assert_string_equal(f->m->daemon.store_password, "pg-Secret 1");
	assert_int_equal(f->m->daemon.store_password_len, 11);
	assert_non_null(strstr(f->m->daemon.store_password_file, "/pg.pass"));
	model_free(f->m);
	f->m = NULL;

	/* Readable by others: a warning at the key, not the password. */
	assert_int_equal(chmod(path, 0644), 0);
	cfix_put(f, "sq.conf",
	    "herald = { store = \"sqlite:h.db\";\n"
	    "  store_password_file = \"pg.pass\"; };\n"
	    "channels = ( { name = \"log\"; plugin = \"log\"; } );\n");
	assert_non_null(cfix_load(f, "sq.conf"));
	assert_int_equal(f->errs.n_warnings, 2);
	assert_true(cfix_has(f, "sq.conf", 2, "warning: store_password_file with a "
	    "store that is not PostgreSQL: it is not used"));
	for (size_t i = 0; i < f->errs.n; i++) {
		char *e = errlist_format(&f->errs, i);

		assert_null(strstr(e, "pg-Secret"));
		free(e);
	}
}

/*
 * A series crossing the National Day holiday with skip: five sessions
 * held, the two skipped days not counted; until as a date takes that
 * whole day.  Instants from Python's zoneinfo (Asia/Shanghai).
 */
static const char stage_base[] = BASE
    "contacts = ( { id = \"h1\"; name = \"张\"; prefer = [ \"log\" ]; },\n"
    "             { id = \"a1\"; name = \"王\"; prefer = [ \"log\" ]; } );\n";

static void
test_series(void **state)
{
	struct cfix *f = *state;
	static const int64_t want[] = {
		1601294400, 1601380800, 1601467200, 1601726400, 1601812800,
	};
	const struct model_campaign *c;
	const struct model_stage *st;
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s%s", stage_base,
	    "campaigns = ( { id = \"c\"; title = \"t\"; period = [ \"2020-09-01\", \"2020-12-31\" ];\n"
	    "  livestream = {\n"
	    "    stages = ( { id = \"media\"; title = \"媒体\"; channel = \"log\"; next_up = \"10m\";\n"
	    "      series = ( { title = \"县长直播带货\"; from = \"2020-09-28 20:00\"; length = \"2h\";\n"
	    "                   every = \"1d\"; count = 5; skip = [ \"2020-10-01\", \"2020-10-02\" ];\n"
	    "                   host = \"h1\"; audience = [ \"a1\" ]; remind = [ \"2h\" ]; },\n"
	    "                 { title = \"周播\"; from = \"2020-11-02 20:00\"; length = \"1h\";\n"
	    "                   every = \"7d\"; until = \"2020-11-23\"; } ); } );\n"
	    "  };\n"
	    "} );\n");
	cfix_put(f, "s.conf", buf);
	if (cfix_load(f, "s.conf") == NULL)
		dump(f);
	assert_non_null(f->m);
	c = &f->m->campaigns[0];
	st = &c->stages[0];
	assert_int_equal(c->n_slots, 9);
	assert_int_equal(st->n_slots, 9);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(st->slots[i]->from.at, want[i]);
		assert_int_equal(st->slots[i]->to.at, want[i] + 7200);
		assert_string_equal(st->slots[i]->title, "县长直播带货");
		assert_ptr_equal(st->slots[i]->host, &f->m->contacts[0]);
		assert_int_equal(st->slots[i]->audience.n, 1);
		assert_int_equal(st->slots[i]->n_remind, 1);
		/* Each session at the series' line, each with its own key. */
		assert_int_equal(st->slots[i]->loc.line, 9);
		assert_ptr_equal(st->slots[i]->prev, i > 0 ? st->slots[i - 1] :
		    NULL);
	}
	assert_string_equal(st->slots[3]->from.text, "2020-10-03 20:00");
	assert_string_equal(st->slots[4]->to.text, "2020-10-04 22:00");
	/* until = "2020-11-23": the 23rd's session is held. */
	assert_int_equal(st->slots[5]->from.at, 1604318400);
	assert_int_equal(st->slots[8]->from.at, 1606132800);
	assert_int_equal(st->slots[8]->to.at, 1606132800 + 3600);
	assert_int_equal(st->next_up.seconds, 600);
	assert_int_equal(st->publish.seconds, 7 * 86400);
	assert_string_equal(st->platform.id, "stage:c/media");
	assert_non_null(model_contact_find(f->m, "stage:c/media"));
	assert_non_null(st->schedule_item);
	assert_int_equal(strncmp(st->schedule_item, "media#", 6), 0);
	assert_ptr_equal(model_schedule_find(c, st->schedule_item), st);
}

/* Moving one session changes the schedule's item, and only that stage's. */
static void
test_schedule_digest(void **state)
{
	struct cfix *f = *state;
#define DIGEST_CONF "%s" \
	    "campaigns = ( { id = \"c\"; title = \"t\"; period = [ \"2020-11-01\", \"2020-11-30\" ];\n" \
	    "  livestream = {\n" \
	    "    stages = ( { id = \"a\"; title = \"A\"; channel = \"log\"; },\n" \
	    "               { id = \"b\"; title = \"B\"; channel = \"log\"; } );\n" \
	    "    slots = ( { stage = \"a\"; title = \"x\"; from = \"2020-11-02 %s\"; to = \"2020-11-02 22:00\"; },\n" \
	    "              { stage = \"b\"; title = \"y\"; from = \"2020-11-02 20:00\"; to = \"2020-11-02 22:00\"; } );\n" \
	    "  };\n" \
	    "} );\n"
	char buf[4096], a1[64], b1[64];

	snprintf(buf, sizeof(buf), DIGEST_CONF, stage_base, "20:00");
	cfix_put(f, "d.conf", buf);
	assert_non_null(cfix_load(f, "d.conf"));
	snprintf(a1, sizeof(a1), "%s", f->m->campaigns[0].stages[0].schedule_item);
	snprintf(b1, sizeof(b1), "%s", f->m->campaigns[0].stages[1].schedule_item);
	model_free(f->m);
	snprintf(buf, sizeof(buf), DIGEST_CONF, stage_base, "20:30");
	cfix_put(f, "d.conf", buf);
	assert_non_null(cfix_load(f, "d.conf"));
	assert_string_not_equal(f->m->campaigns[0].stages[0].schedule_item, a1);
	assert_string_equal(f->m->campaigns[0].stages[1].schedule_item, b1);
}

/* The errors of a livestream block, each at its file:line. */
static void
test_stage_errors(void **state)
{
	struct cfix *f = *state;
	char buf[4096], msg[512];

	snprintf(buf, sizeof(buf), "%s%s", stage_base,
	    "campaigns = ( { id = \"c\"; title = \"t\"; period = [ \"2020-11-01\", \"2020-11-30\" ];\n"
	    "  livestream = {\n"
	    "    stages = ( { id = \"media\"; title = \"媒体\"; channel = \"log\";\n"
	    "      series = ( { title = \"县长直播带货\"; from = \"2020-11-02 20:00\"; length = \"2h\";\n"
	    "                   every = \"1d\"; count = 20; skip = [ \"2020-11-11\" ];\n"
	    "                   host = \"hx\"; },\n"
	    "                 { title = \"两头\"; from = \"2020-12-01 20:00\"; length = \"1h\";\n"
	    "                   every = \"1d\"; count = 2; until = \"2020-12-09\"; },\n"
	    "                 { title = \"挤\"; from = \"2020-12-10 20:00\"; length = \"2h\";\n"
	    "                   every = \"1h\"; count = 3; } ); } );\n"
	    "    slots = ( { stage = \"media\"; title = \"加场\"; from = \"2020-11-05 21:00\";\n"
	    "                to = \"2020-11-05 23:00\"; host = \"h1\"; },\n"
	    "              { stage = \"media\"; title = \"空场\"; from = \"2020-11-11 20:00\";\n"
	    "                to = \"2020-11-11 20:00\"; host = \"nobody\"; } );\n"
	    "  };\n"
	    "} );\n");
	cfix_put(f, "e.conf", buf);
	assert_null(cfix_load(f, "e.conf"));
	assert_true(cfix_has(f, "e.conf", 11, "unknown contact \"hx\" in host of "
	    "series \"县长直播带货\" of stage \"media\""));
	assert_true(cfix_has(f, "e.conf", 12, "series \"两头\" of stage \"media\": "
	    "give exactly one of \"count\" and \"until\""));
	assert_true(cfix_has(f, "e.conf", 15, "sessions of series \"挤\" of stage "
	    "\"media\" overlap each other: every \"1h\" is shorter than length "
	    "\"2h\""));
	/* At the series, naming both sides' instants. */
	snprintf(msg, sizeof(msg), "session 2020-11-05 20:00 .. 22:00 of "
	    "series \"县长直播带货\" overlaps slot \"加场\" 2020-11-05 21:00 "
	    ".. 23:00 (%s/e.conf:16) on stage \"media\"", f->dir);
	assert_true(cfix_has(f, "e.conf", 9, msg));
	assert_true(cfix_has(f, "e.conf", 19, "slot \"空场\" must end after it "
	    "starts (\"2020-11-11 20:00\" .. \"2020-11-11 20:00\")"));
	assert_true(cfix_has(f, "e.conf", 19, "unknown contact \"nobody\" in host "
	    "of slot \"空场\""));
	if (f->errs.n_errors != 6)
		dump(f);
	assert_int_equal(f->errs.n_errors, 6);
}

const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_people, setup, teardown),
	cmocka_unit_test_setup_teardown(test_campaign, setup, teardown),
	cmocka_unit_test_setup_teardown(test_calendar, setup, teardown),
	cmocka_unit_test_setup_teardown(test_errors_everywhere, setup, teardown),
	cmocka_unit_test_setup_teardown(test_duplicate_ids, setup, teardown),
	cmocka_unit_test_setup_teardown(test_syntax_in_include, setup, teardown),
	cmocka_unit_test_setup_teardown(test_utf8_and_overflow, setup, teardown),
	cmocka_unit_test_setup_teardown(test_group_cycle, setup, teardown),
	cmocka_unit_test_setup_teardown(test_channel_and_paths, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dst, setup, teardown),
	cmocka_unit_test(test_offset_before),
	cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
	cmocka_unit_test_setup_teardown(test_templates, setup, teardown),
	cmocka_unit_test_setup_teardown(test_alertmanager, setup, teardown),
	cmocka_unit_test_setup_teardown(test_store_password, setup, teardown),
	cmocka_unit_test_setup_teardown(test_series, setup, teardown),
	cmocka_unit_test_setup_teardown(test_schedule_digest, setup, teardown),
	cmocka_unit_test_setup_teardown(test_stage_errors, setup, teardown),
};

UNIT_MAIN(tests)
