/*
 * test_plugin_send.c - the built log, webhook and sms plugins driven
 * through their descriptors against a fake host table: no daemon, no
 * network.
 *
 * The fake host records what a plugin asks of it (config errors, HTTP
 * requests, completions); a test answers a recorded request itself by
 * calling its done function with a response it makes up.  Expected lines,
 * payload fields and signatures are written out or computed here (the
 * signature with OpenSSL's HMAC directly), never taken from the plugin.
 */
#include "unit.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "herald-plugin.h"

#define MAX_ERRS 8
#define MAX_HDRS 8

/* What the fake host saw; reset by each test's fake_reset(). */
static struct {
	char errs[MAX_ERRS][256];
	size_t n_errs;
	int n_completes;
	enum herald_outcome outcome;
	unsigned retry_after_ms;
	char reason[256];
	int n_http;
	char method[16], url[512], body[4096];
	char headers[MAX_HDRS][256];
	size_t n_headers;
	unsigned timeout_ms;
	void (*done)(void *, const struct herald_http_response *);
	void *done_arg;
	int n_warm;
	char warm_url[512];
	unsigned warm_n;
} fake;

static struct herald_completion *const the_completion =
    (struct herald_completion *)&fake;

static void
fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
}

static void
fake_log(const struct herald_channel_conf *ch, enum herald_log_level level,
    const char *fmt, ...)
{
	(void)ch;
	(void)level;
	(void)fmt;
}

static void
fake_conf_error(const struct herald_channel_conf *ch,
    const struct herald_setting *s, const char *fmt, ...)
{
	va_list ap;

	(void)ch;
	(void)s;
	if (fake.n_errs == MAX_ERRS)
		return;
	va_start(ap, fmt);
	vsnprintf(fake.errs[fake.n_errs++], sizeof(fake.errs[0]), fmt, ap);
	va_end(ap);
}

static const struct herald_setting *
fake_setting(const struct herald_channel_conf *ch, const char *name)
{
	for (size_t i = 0; i < ch->n_settings; i++)
		if (strcmp(ch->settings[i].name, name) == 0)
			return &ch->settings[i];
	return NULL;
}

static void
fake_complete(struct herald_completion *c, enum herald_outcome outcome,
    unsigned retry_after_ms, const char *reason)
{
	assert_ptr_equal(c, the_completion);
	fake.n_completes++;
	fake.outcome = outcome;
	fake.retry_after_ms = retry_after_ms;
	snprintf(fake.reason, sizeof(fake.reason), "%s", reason ? reason : "");
}

/* Copies the request, as the real host does before http() returns. */
static int
fake_http(const struct herald_channel_conf *ch,
    const struct herald_http_request *req,
    void (*done)(void *arg, const struct herald_http_response *resp),
    void *arg)
{
	(void)ch;
	fake.n_http++;
	snprintf(fake.method, sizeof(fake.method), "%s", req->method);
	snprintf(fake.url, sizeof(fake.url), "%s", req->url);
	assert_true(req->body_len < sizeof(fake.body));
	memcpy(fake.body, req->body, req->body_len);
	fake.body[req->body_len] = '\0';
	fake.n_headers = 0;
	for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL &&
	    i < MAX_HDRS; i++)
		snprintf(fake.headers[fake.n_headers++], sizeof(fake.headers[0]),
		    "%s", req->headers[i]);
	fake.timeout_ms = req->timeout_ms;
	fake.done = done;
	fake.done_arg = arg;
	return 0;
}

static int
fake_http_warm(const struct herald_channel_conf *ch, const char *url,
    unsigned n)
{
	(void)ch;
	fake.n_warm++;
	snprintf(fake.warm_url, sizeof(fake.warm_url), "%s", url);
	fake.warm_n = n;
	return 0;
}

static const struct herald_host fake_host = {
	.size = sizeof(struct herald_host),
	.abi_major = HERALD_PLUGIN_ABI_MAJOR,
	.abi_minor = HERALD_PLUGIN_ABI_MINOR,
	.version = "test",
	.log = fake_log,
	.conf_error = fake_conf_error,
	.setting = fake_setting,
	.complete = fake_complete,
	.http = fake_http,
	.http_warm = fake_http_warm,
};

/* The built plugin NAME's descriptor; the handle is kept open. */
static const struct herald_plugin *
load(const char *name)
{
	const char *dir = getenv("HERALD_PLUGIN_DIR");
	herald_plugin_entry_fn entry;
	char path[4096];
	void *dl;

	snprintf(path, sizeof(path), "%s/%s.so", dir ? dir : "plugins/.libs",
	    name);
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL)
		fail_msg("dlopen %s: %s", path, dlerror());
	*(void **)&entry = dlsym(dl, HERALD_PLUGIN_ENTRY);
	assert_non_null(entry);
	return entry();
}

static struct herald_setting
str_setting(const char *name, const char *value)
{
	struct herald_setting s = { .name = name,
	    .type = HERALD_SETTING_STRING, .str = value, .file = "t.conf",
	    .line = 1 };

	return s;
}

static const struct herald_message msg_template = {
	.key = "0b7a7f4e-6a51-4e59-9d3c-2d1f0f6c1a11",
	.kind = "reminder",
	.priority = HERALD_PRIO_REMINDER,
	.campaign = "spring",
	.item = "apply",
	.item_title = "申报截止",
	.item_due = 1767312000,		/* 2026-01-02T00:00:00Z */
	.contact = "wang",
	.contact_name = "王科长",
	.subject = "提醒",
	.body = "请于1月2日前提交材料。",
	.due = 1767225600,		/* 2026-01-01T00:00:00Z */
	.attempt = 2,
};

/* --- log ------------------------------------------------------------ */

/* A fresh file path under /tmp; caller unlinks. */
static void
tmp_path(char *buf, size_t len)
{
	int fd;

	snprintf(buf, len, "/tmp/herald-plugin-send-XXXXXX");
	fd = mkstemp(buf);
	assert_true(fd >= 0);
	close(fd);
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

static void
test_log_text(void **unused)
{
	const struct herald_plugin *p = load("log");
	char path[64];
	struct herald_setting set[1];
	struct herald_channel_conf conf = { .name = "audit", .plugin = "log",
	    .file = "t.conf", .line = 1, .settings = set, .n_settings = 1 };
	void *state = NULL;

	(void)unused;
	fake_reset();
	tmp_path(path, sizeof(path));
	set[0] = str_setting("file", path);
	assert_int_equal(p->open(&fake_host, &conf, &state), 0);
	assert_int_equal(fake.n_errs, 0);
	p->send(state, &msg_template, the_completion);
	/* A local file: the outcome comes before send() returns. */
	assert_int_equal(fake.n_completes, 1);
	assert_int_equal(fake.outcome, HERALD_DELIVERED);
	p->close(state);
	assert_string_equal(slurp(path), "2026-01-01T00:00:00Z reminder to "
	    "wang (attempt 2, key 0b7a7f4e-6a51-4e59-9d3c-2d1f0f6c1a11): "
	    "提醒: 请于1月2日前提交材料。\n");
	unlink(path);
}

/* Send m through a JSON log channel writing to a fresh file, path (the
 * caller unlinks it); the outcome is in fake. */
static void
log_json_send(const struct herald_message *m, char *path, size_t len)
{
	const struct herald_plugin *p = load("log");
	struct herald_setting set[2];
	struct herald_channel_conf conf = { .name = "audit", .plugin = "log",
	    .file = "t.conf", .line = 1, .settings = set, .n_settings = 2 };
	void *state = NULL;

	fake_reset();
	tmp_path(path, len);
	set[0] = str_setting("file", path);
	set[1] = str_setting("format", "json");
	assert_int_equal(p->open(&fake_host, &conf, &state), 0);
	p->send(state, m, the_completion);
	/* A local file: the outcome comes before send() returns. */
	assert_int_equal(fake.n_completes, 1);
	p->close(state);
}

static void
test_log_json(void **unused)
{
	struct herald_message m = msg_template;
	char path[64], want[1024], *dump;
	json_t *j;

	(void)unused;
	m.body = "两行\n正文 \"引号\" \\ \t\x01\x1f\x7f";
	m.subject = NULL;
	log_json_send(&m, path, sizeof(path));
	assert_int_equal(fake.outcome, HERALD_DELIVERED);
	j = json_loads(slurp(path), 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "key")),
	    m.key);
	assert_string_equal(json_string_value(json_object_get(j, "body")),
	    m.body);
	json_decref(j);
	/* Byte for byte what jansson prints for the same object. */
	j = json_pack("{s:s, s:s, s:s, s:n, s:n, s:s, s:s, s:i}", "key", m.key,
	    "kind", m.kind, "contact", m.contact, "address", "subject",
	    "body", m.body, "due", "2026-01-01T00:00:00Z", "attempt", 2);
	assert_non_null(j);
	dump = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	snprintf(want, sizeof(want), "%s\n", dump);
	free(dump);
	assert_string_equal(slurp(path), want);
	unlink(path);
}

/* A text that is not UTF-8 fits in no JSON line: a permanent failure
 * that says so, and nothing written. */
static void
test_log_json_not_utf8(void **unused)
{
	struct herald_message m = msg_template;
	char path[64];

	(void)unused;
	m.body = "GBK \xd6\xd0\xce\xc4";
	log_json_send(&m, path, sizeof(path));
	assert_int_equal(fake.outcome, HERALD_PERMANENT);
	assert_non_null(strstr(fake.reason, "not UTF-8"));
	assert_string_equal(slurp(path), "");
	unlink(path);
}

static void
test_log_bad_settings(void **unused)
{
	const struct herald_plugin *p = load("log");
	struct herald_setting set[2];
	struct herald_channel_conf conf = { .name = "audit", .plugin = "log",
	    .file = "t.conf", .line = 1, .settings = set, .n_settings = 2,
	    .check_only = 1 };
	void *state = NULL;

	(void)unused;
	fake_reset();
	set[0] = str_setting("file", "");
	set[1] = str_setting("format", "xml");
	assert_int_equal(p->open(&fake_host, &conf, &state), -1);
	assert_int_equal(fake.n_errs, 2);
	assert_string_equal(fake.errs[0], "\"file\" must be a non-empty path");
	assert_string_equal(fake.errs[1], "unknown format \"xml\" (expected "
	    "\"text\" or \"json\")");
}

/* --- webhook -------------------------------------------------------- */

static const char *
header(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < fake.n_headers; i++)
		if (strncmp(fake.headers[i], name, n) == 0 &&
		    fake.headers[i][n] == ':')
			return fake.headers[i] + n + 2;
	return NULL;
}

/* A generic webhook channel signed with "s3cret", read from a file
 * whose path is left in secret_path for the caller to unlink. */
static void *
webhook_open_generic(const struct herald_plugin *p,
    struct herald_channel_conf *conf, struct herald_setting *set,
    char *secret_path, size_t len)
{
	void *state = NULL;
	FILE *fp;

	tmp_path(secret_path, len);
	fp = fopen(secret_path, "w");
	assert_non_null(fp);
	fputs("s3cret\n", fp);
	fclose(fp);
	set[0] = str_setting("url", "http://127.0.0.1:9/hook");
	set[1] = str_setting("secret_file", secret_path);
	set[2] = str_setting("timeout", "5s");
	*conf = (struct herald_channel_conf){ .name = "hook",
	    .plugin = "webhook", .file = "t.conf", .line = 1,
	    .settings = set, .n_settings = 3 };
	assert_int_equal(p->open(&fake_host, conf, &state), 0);
	assert_int_equal(fake.n_errs, 0);
	return state;
}

static void
answer(long status, unsigned retry_after_ms)
{
	struct herald_http_response r = { .status = status, .body = "",
	    .retry_after_ms = retry_after_ms, .request_sent = 1 };

	assert_non_null(fake.done);
	fake.done(fake.done_arg, &r);
}

static void
test_webhook_generic_payload(void **unused)
{
	const struct herald_plugin *p = load("webhook");
	struct herald_setting set[3];
	struct herald_channel_conf conf;
	char secret[64], want_sig[80];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	json_t *j;
	void *state;

	(void)unused;
	fake_reset();
	state = webhook_open_generic(p, &conf, set, secret, sizeof(secret));
	p->send(state, &msg_template, the_completion);
	assert_int_equal(fake.n_http, 1);
	assert_int_equal(fake.n_completes, 0);	/* waits for the answer */
	assert_string_equal(fake.method, "POST");
	assert_string_equal(fake.url, "http://127.0.0.1:9/hook");
	assert_int_equal(fake.timeout_ms, 5000);
	assert_string_equal(header("Content-Type"),
	    "application/json; charset=utf-8");
	assert_string_equal(header("X-Herald-Id"), msg_template.key);

	/* The signature: HMAC-SHA256 of the exact body with the secret. */
	assert_non_null(HMAC(EVP_sha256(), "s3cret", 6,
	    (const unsigned char *)fake.body, strlen(fake.body), mac, &maclen));
	assert_int_equal(maclen, 32);
	strcpy(want_sig, "sha256=");
	for (unsigned i = 0; i < maclen; i++)
		sprintf(want_sig + 7 + 2 * i, "%02x", mac[i]);
	assert_string_equal(header("X-Herald-Signature"), want_sig);

	j = json_loads(fake.body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "key")),
	    msg_template.key);
	assert_string_equal(json_string_value(json_object_get(j, "kind")),
	    "reminder");
	assert_string_equal(json_string_value(json_object_get(j, "campaign")),
	    "spring");
	assert_string_equal(json_string_value(json_object_get(j, "title")),
	    "申报截止");
	assert_string_equal(json_string_value(json_object_get(j,
	    "contact_name")), "王科长");
	assert_string_equal(json_string_value(json_object_get(j, "body")),
	    "请于1月2日前提交材料。");
	assert_int_equal(json_integer_value(json_object_get(j, "due")),
	    1767312000);
	assert_int_equal(json_integer_value(json_object_get(j, "job_due")),
	    1767225600);
	assert_int_equal(json_integer_value(json_object_get(j, "attempt")), 2);
	assert_true(json_is_null(json_object_get(j, "ack_url")));
	json_decref(j);

	answer(204, 0);
	assert_int_equal(fake.n_completes, 1);
	assert_int_equal(fake.outcome, HERALD_DELIVERED);
	p->close(state);
	unlink(secret);
}

/*
 * prepare() (ABI 1.6) asks the host to open connections to the robot's
 * URL ahead of a launch: the base URL (a signed flavour's per-request
 * parameters come later) and the count the host passed, nothing sent.
 */
static void
test_webhook_prepare(void **unused)
{
	const struct herald_plugin *p = load("webhook");
	struct herald_setting set[3];
	struct herald_channel_conf conf;
	char secret[64];
	void *state;

	(void)unused;
	fake_reset();
	assert_true(p->abi_minor >= 6);
	assert_non_null(p->prepare);
	state = webhook_open_generic(p, &conf, set, secret, sizeof(secret));
	p->prepare(state, 7, 1767225600);
	assert_int_equal(fake.n_warm, 1);
	assert_string_equal(fake.warm_url, "http://127.0.0.1:9/hook");
	assert_int_equal(fake.warm_n, 7);
	assert_int_equal(fake.n_http, 0);
	assert_int_equal(fake.n_completes, 0);
	p->close(state);
	unlink(secret);
}

static void
test_webhook_outcomes(void **unused)
{
	const struct herald_plugin *p = load("webhook");
	struct herald_setting set[3];
	struct herald_channel_conf conf;
	struct herald_message empty = msg_template;
	char secret[64];
	void *state;

	(void)unused;
	fake_reset();
	state = webhook_open_generic(p, &conf, set, secret, sizeof(secret));

	p->send(state, &msg_template, the_completion);
	answer(503, 7000);
	assert_int_equal(fake.n_completes, 1);
	assert_int_equal(fake.outcome, HERALD_TRANSIENT);
	assert_int_equal(fake.retry_after_ms, 7000);
	assert_string_equal(fake.reason, "HTTP 503");

	p->send(state, &msg_template, the_completion);
	answer(400, 0);
	assert_int_equal(fake.n_completes, 2);
	assert_int_equal(fake.outcome, HERALD_PERMANENT);
	assert_string_equal(fake.reason, "HTTP 400");

	/* Nothing to post: refused without a request. */
	empty.body = "";
	p->send(state, &empty, the_completion);
	assert_int_equal(fake.n_http, 2);
	assert_int_equal(fake.n_completes, 3);
	assert_int_equal(fake.outcome, HERALD_PERMANENT);
	assert_string_equal(fake.reason, "empty message");
	p->close(state);
	unlink(secret);
}

static void
test_webhook_bad_settings(void **unused)
{
	const struct herald_plugin *p = load("webhook");
	struct herald_setting set[3];
	struct herald_channel_conf conf = { .name = "hook",
	    .plugin = "webhook", .file = "t.conf", .line = 1,
	    .settings = set, .n_settings = 3, .check_only = 1 };
	void *state = NULL;

	(void)unused;
	fake_reset();
	set[0] = str_setting("url", "http://127.0.0.1:9/hook");
	set[1] = str_setting("timeout", "2h");
	set[2] = (struct herald_setting){ .name = "mention",
	    .type = HERALD_SETTING_INT, .integer = 1, .number = 1,
	    .file = "t.conf", .line = 3 };
	assert_int_equal(p->open(&fake_host, &conf, &state), -1);
	assert_int_equal(fake.n_errs, 2);
	assert_string_equal(fake.errs[0], "\"mention\" must be true or false");
	assert_string_equal(fake.errs[1], "\"timeout\" must be a duration "
	    "like \"10s\" (at most an hour)");
}

/* --- sms: measure() (ABI 1.5) ----------------------------------------- */

static struct herald_setting
int_setting(const char *name, long long v, enum herald_setting_type type)
{
	struct herald_setting s = { .name = name, .type = type, .integer = v,
	    .number = (double)v, .file = "t.conf", .line = 2 };

	return s;
}

/*
 * The sms channel opened check_only, as heraldd -t opens it: it reads
 * no password file, yet keeps what measure() needs.  n settings of set.
 */
static void *
sms_check_open(const struct herald_plugin *p, struct herald_setting *set,
    size_t n, struct herald_channel_conf *conf)
{
	void *state = NULL;

	*conf = (struct herald_channel_conf){ .name = "sms", .plugin = "sms",
	    .file = "t.conf", .line = 1, .settings = set, .n_settings = n,
	    .check_only = 1 };
	fake_reset();
	assert_int_equal(p->open(&fake_host, conf, &state), 0);
	assert_int_equal(fake.n_errs, 0);
	assert_non_null(state);
	return state;
}

static void
test_sms_measure(void **unused)
{
	const struct herald_plugin *p = load("sms");
	struct herald_setting set[6];
	struct herald_channel_conf conf;
	struct herald_measure me;
	char long_body[3 * 141 + 1];
	void *state;

	(void)unused;
	assert_true(p->abi_minor >= 5);
	assert_non_null(p->measure);
	set[0] = str_setting("url", "http://127.0.0.1:9/cgi-bin/sendsms");
	set[1] = str_setting("user", "herald");
	set[2] = str_setting("password_file", "/nonexistent/kannel.pw");
	set[3] = str_setting("signature", "【商务部】");
	state = sms_check_open(p, set, 4, &conf);

	/* The signature first, the body's own 【提醒】 as 提醒：; 20
	 * characters, all in the BMP, two of them ASCII digits: UCS-2, 20
	 * units, one SMS of up to 70; 18 x 3 + 2 bytes of UTF-8. */
	memset(&me, 0, sizeof(me));
	assert_int_equal(p->measure(state, "提醒", "【提醒】请于1月2日前提交材料。",
	    &me), 0);
	assert_string_equal(me.text, "【商务部】提醒：请于1月2日前提交材料。");
	assert_int_equal(me.encoding, HERALD_ENC_UCS2);
	assert_int_equal(me.units, 20);
	assert_int_equal(me.bytes, 18 * 3 + 2);
	assert_int_equal(me.parts, 1);
	assert_int_equal(me.part_limit, 70);
	assert_int_equal(me.max_parts, 3);	/* max_segments' default */
	assert_int_equal(me.fits, 1);
	assert_string_equal(me.part_word, "segment");
	assert_string_equal(me.parts_words, "SMS segments");
	assert_string_equal(me.limit_setting, "max_segments");
	/* Not UTF-8: nothing to measure. */
	assert_int_equal(p->measure(state, NULL, "\xff\xfe", &me), -1);
	p->close(state);

	/* No signature, GSM-7: 160 septets fit one SMS, 161 take two parts
	 * of up to 153; "{" is an extension character and costs two. */
	state = sms_check_open(p, set, 3, &conf);
	memset(long_body, 'a', 160);
	long_body[160] = '\0';
	memset(&me, 0, sizeof(me));
	assert_int_equal(p->measure(state, NULL, long_body, &me), 0);
	assert_int_equal(me.encoding, HERALD_ENC_GSM7);
	assert_int_equal(me.units, 160);
	assert_int_equal(me.parts, 1);
	assert_int_equal(me.part_limit, 160);
	assert_string_equal(me.text, long_body);
	long_body[159] = '{';
	memset(&me, 0, sizeof(me));
	assert_int_equal(p->measure(state, NULL, long_body, &me), 0);
	assert_int_equal(me.units, 161);
	assert_int_equal(me.bytes, 160);
	assert_int_equal(me.parts, 2);
	assert_int_equal(me.part_limit, 153);
	p->close(state);

	/* 141 Chinese characters: 141 units over parts of 67 is 3 parts,
	 * over max_segments = 2: refused unless split. */
	for (size_t i = 0; i < 141; i++)
		memcpy(long_body + 3 * i, "短", 3);
	long_body[3 * 141] = '\0';
	set[3] = int_setting("max_segments", 2, HERALD_SETTING_INT);
	state = sms_check_open(p, set, 4, &conf);
	memset(&me, 0, sizeof(me));
	assert_int_equal(p->measure(state, NULL, long_body, &me), 0);
	assert_int_equal(me.parts, 3);
	assert_int_equal(me.part_limit, 67);
	assert_int_equal(me.max_parts, 2);
	assert_int_equal(me.fits, 0);
	assert_string_equal(me.fix, "shorten the text or set split");
	p->close(state);
	set[4] = int_setting("split", 1, HERALD_SETTING_BOOL);
	state = sms_check_open(p, set, 5, &conf);
	memset(&me, 0, sizeof(me));
	assert_int_equal(p->measure(state, NULL, long_body, &me), 0);
	assert_int_equal(me.parts, 3);
	assert_int_equal(me.fits, 1);
	p->close(state);
}

/* --- livestream ----------------------------------------------------- */

/*
 * The URL by kind under the base (its trailing slash dropped, the stage
 * id percent-encoded), the bearer token from the file, the core's JSON
 * posted as it is, and the answers classified.
 */
static void
test_livestream_send(void **unused)
{
	const struct herald_plugin *p = load("livestream");
	struct herald_setting set[2];
	struct herald_channel_conf conf;
	struct herald_message m = msg_template;
	char tok[64];
	void *state = NULL;
	FILE *fp;

	(void)unused;
	fake_reset();
	tmp_path(tok, sizeof(tok));
	fp = fopen(tok, "w");
	assert_non_null(fp);
	fputs("T0ken-xyz\nsecond line ignored\n", fp);
	fclose(fp);
	set[0] = str_setting("url", "http://127.0.0.1:9/api/");
	set[1] = str_setting("token_file", tok);
	conf = (struct herald_channel_conf){ .name = "live",
	    .plugin = "livestream", .file = "t.conf", .line = 1,
	    .settings = set, .n_settings = 2 };
	assert_int_equal(p->open(&fake_host, &conf, &state), 0);
	assert_int_equal(fake.n_errs, 0);
	assert_int_equal(p->caps.address, HERALD_ADDR_HANDLE);

	m.kind = "schedule";
	m.address = "媒体 1";
	m.body = "{\"stage\":\"x\"}";
	p->send(state, &m, the_completion);
	assert_int_equal(fake.n_http, 1);
	assert_string_equal(fake.method, "POST");
	assert_string_equal(fake.url, "http://127.0.0.1:9/api/stages/"
	    "%E5%AA%92%E4%BD%93%201/schedule");
	assert_string_equal(fake.body, "{\"stage\":\"x\"}");
	assert_string_equal(header("Authorization"), "Bearer T0ken-xyz");
	assert_string_equal(header("X-Herald-Id"), msg_template.key);
	answer(201, 0);
	assert_int_equal(fake.outcome, HERALD_DELIVERED);

	m.kind = "on_air";
	m.address = "cctv";
	p->send(state, &m, the_completion);
	assert_string_equal(fake.url, "http://127.0.0.1:9/api/stages/cctv/events");
	answer(500, 0);
	assert_int_equal(fake.outcome, HERALD_TRANSIENT);
	assert_string_equal(fake.reason, "HTTP 500");
	p->send(state, &m, the_completion);
	answer(429, 3000);
	assert_int_equal(fake.outcome, HERALD_TRANSIENT);
	assert_int_equal(fake.retry_after_ms, 3000);
	p->send(state, &m, the_completion);
	answer(404, 0);
	assert_int_equal(fake.outcome, HERALD_PERMANENT);

	/* A person's reminder is not a stage event: refused, no request. */
	m.kind = "reminder";
	p->send(state, &m, the_completion);
	assert_int_equal(fake.n_http, 4);
	assert_int_equal(fake.n_completes, 5);
	assert_int_equal(fake.outcome, HERALD_PERMANENT);
	p->close(state);
	unlink(tok);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_log_text),
	cmocka_unit_test(test_log_json),
	cmocka_unit_test(test_log_json_not_utf8),
	cmocka_unit_test(test_log_bad_settings),
	cmocka_unit_test(test_webhook_generic_payload),
	cmocka_unit_test(test_webhook_outcomes),
	cmocka_unit_test(test_webhook_prepare),
	cmocka_unit_test(test_webhook_bad_settings),
	cmocka_unit_test(test_livestream_send),
	cmocka_unit_test(test_sms_measure),
};

UNIT_MAIN(tests)
