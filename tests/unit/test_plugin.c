/*
 * test_plugin.c - the plugin loader and channel sets, against the real log
 * plugin and the broken plugins of tests/plugins.
 *
 * Expected messages and rendered lines are written out literally here, so
 * a change in wording or format has to be a deliberate one.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "errlist.h"
#include "model.h"
#include "plugin.h"

/*
 * Where the plugins are: automake's test environment says; by hand, the
 * build tree's .libs directories below $top_builddir (or the parent).
 */
static const char *
dir_from_env(const char *var, const char *below, char *buf, size_t len)
{
	const char *d = getenv(var), *b = getenv("top_builddir");

	if (d != NULL)
		snprintf(buf, len, "%s", d);
	else
		snprintf(buf, len, "%s/%s", b ? b : "..", below);
	return buf;
}

static const char *
plugin_dir(void)
{
	static char buf[4096];

	return dir_from_env("HERALD_PLUGIN_DIR", "plugins/.libs", buf,
	    sizeof(buf));
}

static const char *
test_plugin_dir(void)
{
	static char buf[4096];

	return dir_from_env("HERALD_TEST_PLUGIN_DIR", "tests/plugins/.libs",
	    buf, sizeof(buf));
}

/* Entry i of errs as "file:line: message"; caller frees. */
static char *
err_at(const struct errlist *errs, size_t i)
{
	assert_true(i < errs->n);
	return errlist_format(errs, i);
}

static void
assert_err(const struct errlist *errs, size_t i, const char *expected)
{
	char *got = err_at(errs, i);

	assert_string_equal(got, expected);
	free(got);
}

/* --- plugin_load ----------------------------------------------------- */

static void
test_load_log(void **unused)
{
	struct plugin *p = NULL;
	const struct herald_plugin *d;
	char err[512] = "";

	assert_int_equal(plugin_load(plugin_dir(), "log", &p, err, sizeof(err)), 0);
	d = plugin_descriptor(p);
	assert_string_equal(d->name, "log");
	assert_int_equal(d->abi_major, 1);
	assert_int_equal(d->caps.max_length, 0);
	assert_int_equal(d->caps.length_unit, HERALD_LEN_CHARS);
	assert_int_equal(d->caps.address, HERALD_ADDR_NONE);
	assert_int_equal(d->caps.ack_links, 1);
	assert_int_equal(d->caps.delivery_receipts, 0);
	assert_true(d->caps.default_rate == 0);
	assert_int_equal(d->caps.default_concurrency, 64);
	assert_non_null(d->send);
	plugin_unload(p);
	plugin_unload(NULL);
}

/* The expected text is built from the header's numbers, which it is about. */
static void
test_refuse_newer_minor(void **unused)
{
	struct plugin *p = NULL;
	char err[512] = "", want[256];

	assert_true(plugin_load(test_plugin_dir(), "newminor", &p, err,
	    sizeof(err)) < 0);
	snprintf(want, sizeof(want), "plugin \"newminor\": built for ABI %d.%d, "
	    "newer than this heraldd's %d.%d", HERALD_PLUGIN_ABI_MAJOR,
	    HERALD_PLUGIN_ABI_MINOR + 1, HERALD_PLUGIN_ABI_MAJOR,
	    HERALD_PLUGIN_ABI_MINOR);
	assert_string_equal(err, want);
	assert_null(p);
}

static void
test_refuse_badabi(void **unused)
{
	struct plugin *p = (struct plugin *)&p;	/* must stay untouched */
	char err[512] = "";
	int rc;

	rc = plugin_load(test_plugin_dir(), "badabi", &p, err, sizeof(err));
	assert_true(rc < 0);
	assert_int_not_equal(rc, -ENOENT);
	assert_string_equal(err, "plugin \"badabi\": ABI 2 instead of 1");
	assert_ptr_equal(p, (struct plugin *)&p);
}

static void
test_refuse_bad_names(void **unused)
{
	static const char *const bad[] = {
		"../plugins/.libs/log", "a/b", "..", "/log", "Log", "log.so",
		"lo g", "log\n",
	};
	struct plugin *p = NULL;
	char err[512], want[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(plugin_load(plugin_dir(), bad[i], &p, err,
		    sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want), "plugin name \"%s\" is not a bare "
		    "name (only a-z, 0-9, '_' and '-' are allowed)", bad[i]);
		assert_string_equal(err, want);
		assert_null(p);
	}
	assert_int_equal(plugin_load(plugin_dir(), "", &p, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "empty plugin name");
	assert_null(p);
}

static void
test_refuse_missing(void **unused)
{
	struct plugin *p = NULL;
	char err[1024], want[1024];

	assert_int_equal(plugin_load(plugin_dir(), "nosuch", &p, err,
	    sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s/nosuch.so: cannot open shared object "
	    "file: No such file or directory", plugin_dir());
	assert_string_equal(err, want);
	assert_null(p);
}

static void
test_refuse_noentry(void **unused)
{
	struct plugin *p = NULL;
	char err[1024], want[1024];

	assert_int_equal(plugin_load(test_plugin_dir(), "noentry", &p, err,
	    sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "plugin \"noentry\": %s/noentry.so has no "
	    "herald_plugin_entry symbol (not a herald plugin?)",
	    test_plugin_dir());
	assert_string_equal(err, want);
	assert_null(p);
}

static void
test_refuse_wrongname(void **unused)
{
	struct plugin *p = NULL;
	char err[1024];

	assert_int_equal(plugin_load(test_plugin_dir(), "wrongname", &p, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "plugin \"wrongname\": descriptor names it "
	    "\"other\"; the file must be called other.so");
	assert_null(p);
}

/*
 * A plugin built for ABI 1.4 loads on a 1.5 host, and the host never
 * takes its spare[0] for measure() (oldminor.c puts an abort() there).
 */
static void
test_load_oldminor(void **unused)
{
	struct plugin *p = NULL;
	char err[512] = "";

	assert_int_equal(plugin_load(test_plugin_dir(), "oldminor", &p, err,
	    sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(plugin_descriptor(p)->abi_minor, 4);
	assert_true(HERALD_PLUGIN_ABI_MINOR > 4);
	assert_non_null(plugin_descriptor(p)->measure);	/* the trap */
	assert_null(plugin_measure(p));
	assert_non_null(plugin_descriptor(p)->prepare);	/* another trap */
	assert_null(plugin_prepare(p));
	plugin_unload(p);
}

/* --- channel sets ---------------------------------------------------- */

/* A model with one channel, built by hand: no config loader involved. */
struct fixture {
	char dir[64];			/* private temp dir, the base_dir */
	struct model m;
	struct model_channel ch[2];
	struct herald_setting s[4];
	struct errlist errs;
	struct event_base *base;
	struct channel_set *cs;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_plugin.XXXXXX");
	if (mkdtemp(f->dir) == NULL || (f->base = event_base_new()) == NULL)
		return -1;
	f->m.channels = f->ch;
	f->m.n_channels = 1;
	f->m.daemon.base_dir = f->dir;
	f->ch[0].loc.file = "herald.conf";
	f->ch[0].loc.line = 10;
	f->ch[0].name = "audit";
	f->ch[0].plugin = "log";
	f->ch[0].conf.settings = f->s;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	channel_set_free(f->cs);
	errlist_clear(&f->errs);
	event_base_free(f->base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
add_string(struct fixture *f, const char *name, const char *value, int line)
{
	struct herald_setting *s = &f->s[f->ch[0].conf.n_settings++];

	s->name = name;
	s->type = HERALD_SETTING_STRING;
	s->str = value;
	s->file = "herald.conf";
	s->line = line;
}

struct outcome {
	int calls;
	enum herald_outcome outcome;
	char reason[128];
};

static void
record_done(void *arg, enum herald_outcome outcome, unsigned retry_after_ms,
    const char *reason)
{
	struct outcome *o = arg;

	o->calls++;
	o->outcome = outcome;
	snprintf(o->reason, sizeof(o->reason), "%s", reason ? reason : "");
}

static const struct herald_message messages[3] = {
	{ .key = "k1", .kind = "reminder", .contact = "bj-wang",
	  .subject = "Liaison list", .body = "Due Aug 5.", .due = 1690534800,
	  .attempt = 1 },
	{ .key = "k2", .kind = "launch-go", .contact = "sh-li",
	  .body = "Go!\nNow.", .due = 1690538400, .attempt = 2 },
	{ .key = "k3", .kind = "overdue", .contact = "gd-chen",
	  .subject = "Late", .body = "tab\there \\ back", .due = 0,
	  .attempt = 3 },
};

/* The whole file at path; caller frees. */
static char *
slurp(const char *path)
{
	char *buf = calloc(1, 65536);
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(buf);
	assert_non_null(fp);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Open f's model, send the three messages, check each completes once. */
static void
send_three(struct fixture *f, enum herald_outcome expected)
{
	struct outcome o[3];
	size_t i;

	memset(o, 0, sizeof(o));
	assert_int_equal(channel_set_open(plugin_dir(), &f->m, f->base, 0,
	    &f->errs, &f->cs), 0);
	assert_int_equal(f->errs.n, 0);
	assert_int_equal(channel_set_count(f->cs), 1);
	assert_int_equal(channel_set_find(f->cs, "audit"), 0);
	assert_int_equal(channel_set_find(f->cs, "nope"), -1);
	assert_ptr_equal(channel_set_model(f->cs, 0), &f->ch[0]);
	assert_int_equal(channel_set_caps(f->cs, 0)->default_concurrency, 64);
	for (i = 0; i < 3; i++)
		channel_set_send(f->cs, 0, &messages[i], record_done, &o[i]);
	assert_int_equal(event_base_dispatch(f->base), 1);	/* nothing left */
	for (i = 0; i < 3; i++) {
		assert_int_equal(o[i].calls, 1);
		assert_int_equal(o[i].outcome, expected);
	}
	channel_set_free(f->cs);
	f->cs = NULL;
}

static void
test_log_text(void **state)
{
	struct fixture *f = *state;
	char path[128], *got;

	add_string(f, "file", "out.log", 11);	/* relative to base_dir */
	send_three(f, HERALD_DELIVERED);
	snprintf(path, sizeof(path), "%s/out.log", f->dir);
	got = slurp(path);
	assert_string_equal(got,
	    "2023-07-28T09:00:00Z reminder to bj-wang (attempt 1, key k1): "
	    "Liaison list: Due Aug 5.\n"
	    "2023-07-28T10:00:00Z launch-go to sh-li (attempt 2, key k2): "
	    "Go!\\nNow.\n"
	    "- overdue to gd-chen (attempt 3, key k3): "
	    "Late: tab\\there \\\\ back\n");
	free(got);
}

static void
test_log_json(void **state)
{
	struct fixture *f = *state;
	char path[128], *got;

	snprintf(path, sizeof(path), "%s/out.json", f->dir);
	add_string(f, "file", path, 11);	/* absolute */
	add_string(f, "format", "json", 12);
	send_three(f, HERALD_DELIVERED);
	got = slurp(path);
	assert_string_equal(got,
	    "{\"key\":\"k1\",\"kind\":\"reminder\",\"contact\":\"bj-wang\","
	    "\"address\":null,\"subject\":\"Liaison list\","
	    "\"body\":\"Due Aug 5.\",\"due\":\"2023-07-28T09:00:00Z\","
	    "\"attempt\":1}\n"
	    "{\"key\":\"k2\",\"kind\":\"launch-go\",\"contact\":\"sh-li\","
	    "\"address\":null,\"subject\":null,\"body\":\"Go!\\nNow.\","
	    "\"due\":\"2023-07-28T10:00:00Z\",\"attempt\":2}\n"
	    "{\"key\":\"k3\",\"kind\":\"overdue\",\"contact\":\"gd-chen\","
	    "\"address\":null,\"subject\":\"Late\","
	    "\"body\":\"tab\\there \\\\ back\",\"due\":null,\"attempt\":3}\n");
	free(got);
}

static void
test_log_appends(void **state)
{
	struct fixture *f = *state;
	char path[128], *got;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/out.log", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("earlier line\n", fp);
	fclose(fp);
	add_string(f, "file", "out.log", 11);
	send_three(f, HERALD_DELIVERED);
	got = slurp(path);
	assert_int_equal(strncmp(got, "earlier line\n2023-07-28T09:00:00Z", 33), 0);
	free(got);
}

static void
test_log_write_error(void **state)
{
	struct fixture *f = *state;
	struct outcome o = { 0 };

	add_string(f, "file", "/dev/full", 11);
	assert_int_equal(channel_set_open(plugin_dir(), &f->m, f->base, 0,
	    &f->errs, &f->cs), 0);
	channel_set_send(f->cs, 0, &messages[0], record_done, &o);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.outcome, HERALD_TRANSIENT);
	assert_string_equal(o.reason, "write: No space left on device");
}

static void
test_check_only_opens_nothing(void **state)
{
	struct fixture *f = *state;
	char path[128];
	struct stat st;

	add_string(f, "file", "out.log", 11);
	assert_int_equal(channel_set_open(plugin_dir(), &f->m, NULL, 1,
	    &f->errs, &f->cs), 0);
	assert_int_equal(f->errs.n, 0);
	snprintf(path, sizeof(path), "%s/out.log", f->dir);
	assert_int_equal(stat(path, &st), -1);
}

static void
test_unknown_setting(void **state)
{
	struct fixture *f = *state;

	add_string(f, "file", "out.log", 11);
	add_string(f, "fromat", "json", 12);
	f->cs = (struct channel_set *)f;	/* must stay untouched */
	assert_int_equal(channel_set_open(plugin_dir(), &f->m, NULL, 1,
	    &f->errs, &f->cs), -1);
	assert_ptr_equal(f->cs, (struct channel_set *)f);
	f->cs = NULL;
	assert_int_equal(f->errs.n, 1);
	assert_err(&f->errs, 0, "herald.conf:12: unknown setting \"fromat\" "
	    "for plugin \"log\" in channel \"audit\"");
}

static void
test_bad_format(void **state)
{
	struct fixture *f = *state;

	add_string(f, "format", "xml", 13);
	add_string(f, "typo", "x", 14);
	assert_int_equal(channel_set_open(plugin_dir(), &f->m, NULL, 1,
	    &f->errs, &f->cs), -1);
	assert_null(f->cs);
	/* Both problems in one run, in the order found. */
	assert_int_equal(f->errs.n, 2);
	assert_err(&f->errs, 0, "herald.conf:13: channel \"audit\": unknown "
	    "format \"xml\" (expected \"text\" or \"json\")");
	assert_err(&f->errs, 1, "herald.conf:14: unknown setting \"typo\" "
	    "for plugin \"log\" in channel \"audit\"");
}

static void
test_missing_plugin(void **state)
{
	struct fixture *f = *state;
	char want[1024];

	f->ch[0].plugin = "nosuch";
	assert_int_equal(channel_set_open(plugin_dir(), &f->m, NULL, 1,
	    &f->errs, &f->cs), -1);
	assert_int_equal(f->errs.n, 1);
	snprintf(want, sizeof(want), "herald.conf:10: channel \"audit\": no "
	    "plugin \"nosuch\" in %s (%s/nosuch.so: cannot open shared object "
	    "file: No such file or directory)", plugin_dir(), plugin_dir());
	assert_err(&f->errs, 0, want);
}

static void
test_badabi_channel(void **state)
{
	struct fixture *f = *state;

	/* Two channels, both bad: each gets its own error at its own line. */
	f->ch[0].plugin = "badabi";
	f->ch[1] = f->ch[0];
	f->ch[1].name = "second";
	f->ch[1].loc.line = 20;
	f->m.n_channels = 2;
	assert_int_equal(channel_set_open(test_plugin_dir(), &f->m, NULL, 1,
	    &f->errs, &f->cs), -1);
	assert_int_equal(f->errs.n, 2);
	assert_err(&f->errs, 0, "herald.conf:10: channel \"audit\": plugin "
	    "\"badabi\": ABI 2 instead of 1");
	assert_err(&f->errs, 1, "herald.conf:20: channel \"second\": plugin "
	    "\"badabi\": ABI 2 instead of 1");
}

static void
test_two_channels_one_plugin(void **state)
{
	struct fixture *f = *state;
	struct outcome o[2] = { { 0 }, { 0 } };
	char path[128], *got;

	add_string(f, "file", "out.log", 11);
	f->ch[1] = f->ch[0];
	f->ch[1].name = "audit2";
	f->m.n_channels = 2;
	assert_int_equal(channel_set_open(plugin_dir(), &f->m, f->base, 0,
	    &f->errs, &f->cs), 0);
	assert_int_equal(channel_set_find(f->cs, "audit2"), 1);
	channel_set_send(f->cs, 0, &messages[0], record_done, &o[0]);
	channel_set_send(f->cs, 1, &messages[1], record_done, &o[1]);
	assert_int_equal(o[0].calls + o[1].calls, 2);
	snprintf(path, sizeof(path), "%s/out.log", f->dir);
	got = slurp(path);
	assert_string_equal(got,
	    "2023-07-28T09:00:00Z reminder to bj-wang (attempt 1, key k1): "
	    "Liaison list: Due Aug 5.\n"
	    "2023-07-28T10:00:00Z launch-go to sh-li (attempt 2, key k2): "
	    "Go!\\nNow.\n");
	free(got);
}

static void
test_double_complete_ignored(void **state)
{
	struct fixture *f = *state;
	struct outcome o[100];
	size_t i;

	memset(o, 0, sizeof(o));
	f->ch[0].plugin = "twice";
	assert_int_equal(channel_set_open(test_plugin_dir(), &f->m, f->base, 0,
	    &f->errs, &f->cs), 0);
	/* More sends than the quarantine holds, second outcomes all late. */
	for (i = 0; i < 100; i++)
		channel_set_send(f->cs, 0, &messages[i % 3], record_done, &o[i]);
	assert_int_equal(event_base_dispatch(f->base), 1);
	for (i = 0; i < 100; i++) {
		assert_int_equal(o[i].calls, 1);
		assert_int_equal(o[i].outcome, HERALD_DELIVERED);
	}
}

static void
test_silent_refusal(void **state)
{
	struct fixture *f = *state;
	struct herald_setting *s = &f->s[f->ch[0].conf.n_settings++];

	s->name = "silent";
	s->type = HERALD_SETTING_BOOL;
	s->integer = 1;
	s->file = "herald.conf";
	s->line = 11;
	f->ch[0].plugin = "twice";
	assert_int_equal(channel_set_open(test_plugin_dir(), &f->m, NULL, 1,
	    &f->errs, &f->cs), -1);
	assert_int_equal(f->errs.n, 1);
	assert_err(&f->errs, 0, "herald.conf:10: channel \"audit\": plugin "
	    "\"twice\" refused the block without saying why");
}

/* The 1.4 plugin runs a channel: it opens, sends, and measures nothing. */
static void
test_oldminor_channel(void **state)
{
	struct fixture *f = *state;
	struct herald_measure me;
	struct outcome o = { 0 };

	f->ch[0].plugin = "oldminor";
	assert_int_equal(channel_set_open(test_plugin_dir(), &f->m, f->base, 0,
	    &f->errs, &f->cs), 0);
	assert_int_equal(f->errs.n, 0);
	me.parts = 99;
	assert_int_equal(channel_set_measure(f->cs, 0, NULL, "短信", &me), 0);
	assert_int_equal(me.parts, 0);		/* zeroed, nothing measured */
	channel_set_prepare(f->cs, 0, 3, 0);	/* must not reach the trap */
	channel_set_send(f->cs, 0, &messages[0], record_done, &o);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.outcome, HERALD_DELIVERED);
}

/* A channel whose plugin has no measure() (log) measures nothing. */
static void
test_log_measures_nothing(void **state)
{
	struct fixture *f = *state;
	struct herald_measure me;

	assert_int_equal(channel_set_open(plugin_dir(), &f->m, NULL, 1,
	    &f->errs, &f->cs), 0);
	assert_int_equal(channel_set_measure(f->cs, 0, "s", "body", &me), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_load_log),
	cmocka_unit_test(test_refuse_badabi),
	cmocka_unit_test(test_refuse_newer_minor),
	cmocka_unit_test(test_refuse_bad_names),
	cmocka_unit_test(test_refuse_missing),
	cmocka_unit_test(test_refuse_noentry),
	cmocka_unit_test(test_refuse_wrongname),
	cmocka_unit_test(test_load_oldminor),
	cmocka_unit_test_setup_teardown(test_log_text, setup, teardown),
	cmocka_unit_test_setup_teardown(test_log_json, setup, teardown),
	cmocka_unit_test_setup_teardown(test_log_appends, setup, teardown),
	cmocka_unit_test_setup_teardown(test_log_write_error, setup, teardown),
	cmocka_unit_test_setup_teardown(test_check_only_opens_nothing, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_unknown_setting, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bad_format, setup, teardown),
	cmocka_unit_test_setup_teardown(test_missing_plugin, setup, teardown),
	cmocka_unit_test_setup_teardown(test_badabi_channel, setup, teardown),
	cmocka_unit_test_setup_teardown(test_two_channels_one_plugin, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_double_complete_ignored, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(test_silent_refusal, setup, teardown),
	cmocka_unit_test_setup_teardown(test_oldminor_channel, setup, teardown),
	cmocka_unit_test_setup_teardown(test_log_measures_nothing, setup,
	    teardown),
};

UNIT_MAIN(tests)
