/*
 * sms.c - the "sms" channel: SMS through Kannel's sendsms HTTP interface.
 *
 * send() checks the number, prepends the signature, counts the text as
 * SMS (lib/smslen.c, linked in) and sends it as one sendsms request per
 * part on the host's asynchronous HTTP client, one part after the other.
 *
 * Multi-part messages are split here, not by Kannel: each part goes with
 * its own concatenation UDH (05 00 03 ref total seq), so the handset joins
 * them, and with its own dlr-url naming the job key and the part number,
 * so the delivery report of every part comes back to the one job.  Kannel
 * would split by itself (concatenation = true, max-messages), but it asks
 * for a delivery report of the first part only and cuts UCS-2 text by
 * octets, which can separate a surrogate pair (VENDORS.md section 5).
 * The sendsms-user therefore needs no concatenation setting; max-messages
 * may stay 1.
 *
 * A message needing more than max_segments parts is refused as permanent
 * ("message needs N segments, cap M"); with split = true it goes out as
 * several concatenated messages of at most max_segments parts each.
 *
 * Outcomes (VENDORS.md section 4): a 2xx answer ("0: Accepted for
 * delivery", "3: Queued for later delivery", "Sent.") is delivered: queued
 * counts as accepted, Kannel delivers when its SMSC returns.  No answer
 * (refused, timed out), 429 and 5xx are transient; 400, 403 and other
 * 4xx are permanent with Kannel's reply text.  A part that fails stops the
 * message: parts already accepted are sent again on a retry (the handset
 * may show a duplicate part; the UDH reference is the same, so a phone
 * that saw the first attempt's part drops the repeat).
 *
 * One 【】 block per SMS, the signature: lib/smssig.c (linked in)
 * turns a body's own 【提醒】 into "提醒：" and other 【】 into 〔〕.
 *
 * The password goes in the request URL, as sendsms wants: the URL is
 * never logged, and reasons never carry it or a full phone number.
 *
 * Settings:
 *   url           = "http://127.0.0.1:13013/cgi-bin/sendsms";  required
 *   user          = "herald";           required: the sendsms-user
 *   password_file = "secrets/kannel.pw";  required; first line
 *   from          = "10657000";         optional sender
 *   signature     = "【商务部】";         optional, prepended; it counts
 *   max_segments  = 3;                  cap on parts (1..255)
 *   split         = false;              over the cap: refuse, or send as
 *                                       several messages
 *   dlr_url       = "http://127.0.0.1:8025/v1/dlr";  herald's delivery-
 *                                       report endpoint; optional; needs
 *                                       herald.dlr_secret_file: the host
 *                                       signs each URL (host->dlr_params)
 *   dlr_mask      = 9;                  Kannel dlr-mask bits (1..63)
 *   mainland_only = false;              refuse numbers outside +86
 *   smsc          = "...";              optional Kannel route
 *   timeout       = "10s";              per request
 *
 * The generic gateway (gateway = "generic") is sms_generic.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "herald-plugin.h"
#include "../common/plugin_util.h"
#include "phone.h"
#include "smslen.h"
#include "smssig.h"
#include "smsgw.h"
#include "sms.h"

static void
sms_buf_param(struct plugin_buf *b, const char *name, const char *value)
{
	plugin_buf_str(b, "&");
	plugin_buf_str(b, name);
	plugin_buf_str(b, "=");
	plugin_buf_urlenc(b, value, strlen(value));
}

static void
sms_free(struct sms_channel *sc)
{
	if (sc == NULL)
		return;
	if (sc->password != NULL)
		explicit_bzero(sc->password, strlen(sc->password));
	free(sc->password);
	free(sc->url);
	free(sc->user);
	free(sc->from);
	free(sc->signature);
	free(sc->dlr_url);
	free(sc->smsc);
	free(sc->body_tmpl);
	free(sc->query_tmpl);
	free(sc->content_type);
	for (size_t i = 0; i < sc->n_headers; i++)
		free(sc->headers[i]);
	free(sc->headers);
	free(sc->succ_field);
	free(sc->succ_value);
	free(sc->measured);
	free(sc);
}

/* strdup of v into *dst unless v is NULL; 0 only on out of memory. */
int
sms_keep(char **dst, const char *v)
{
	if (v == NULL)
		return 1;
	return (*dst = strdup(v)) != NULL;
}

#define SMS_ROW(n, t, f) HERALD_CONF_ROW(struct sms_settings, n, t, f)
/* The settings both gateways read; the generic ones are sms_generic.c's. */
static const struct herald_conf_row sms_rows[] = {
	/* Required, but its error depends on the gateway: sms_open(). */
	{ SMS_ROW("url", STRING, url) },
	{ SMS_ROW("user", STRING, user) },
	{ SMS_ROW("password_file", STRING, pwfile) },
	{ SMS_ROW("from", STRING, from) },
	{ SMS_ROW("signature", STRING, sig) },
	{ SMS_ROW("max_segments", INT, maxseg),
	    .def = SMS_MAX_SEGMENTS_DEFAULT, .min = 1, .max = 255 },
	{ SMS_ROW("split", BOOL, split) },
	{ SMS_ROW("dlr_url", STRING, dlr) },
	{ SMS_ROW("dlr_mask", INT, mask), .def = SMS_DLR_MASK_DEFAULT,
	    .min = 1, .max = 63 },
	{ SMS_ROW("mainland_only", BOOL, mainland) },
	{ SMS_ROW("smsc", STRING, smsc) },
	{ SMS_ROW("timeout", DURATION, timeout), .def = SMS_TIMEOUT_DEFAULT,
	    .max = 3600000 },
	{ SMS_ROW("gateway", STRING, gateway) },
};

/* A row read well or not given at all. */
static int
sms_row_is_good(const struct herald_conf_value *v)
{
	return v->at == NULL || v->is_set;
}

static int
sms_open(const struct herald_host *host, const struct herald_channel_conf *conf,
    void **state)
{
	struct sms_settings set;
	const char *url_s, *user_s, *pw_s, *from_s, *sig_s, *dlr_s, *smsc_s,
	    *gw_s;
	struct sms_channel *sc;
	struct smslen len;
	char *path = NULL, err[512];
	int ok = 1, rows_ok;

	/* Every setting is looked up before any is judged. */
	herald_conf_find(host, conf, sms_rows,
	    sizeof(sms_rows) / sizeof(sms_rows[0]), &set);
	sms_generic_find(host, conf, &set);
	rows_ok = herald_conf_check(host, conf, sms_rows,
	    sizeof(sms_rows) / sizeof(sms_rows[0]), &set);

	if ((sc = calloc(1, sizeof(*sc))) == NULL) {
		host->conf_error(conf, NULL, "out of memory");
		return -1;
	}
	sc->host = host;
	sc->conf = conf;

	/*
	 * ok collects what is judged before the gateway's own settings, as
	 * it did before the rows: {{password}} needs "password_file" is
	 * said only when those are good.
	 */
	ok = sms_row_is_good(&set.gateway) && sms_row_is_good(&set.url) &&
	    sms_row_is_good(&set.user) && sms_row_is_good(&set.pwfile);
	if ((gw_s = set.gateway.str) != NULL) {
		if (strcmp(gw_s, "generic") == 0)
			sc->generic = 1;
		else if (strcmp(gw_s, "kannel") != 0) {
			host->conf_error(conf, set.gateway.at, "\"gateway\" "
			    "must be \"kannel\" or \"generic\"");
			ok = 0;
		}
	}
	url_s = set.url.str;
	if (set.url.at == NULL) {
		host->conf_error(conf, NULL, "missing \"url\" (%s)", sc->generic ?
		    "the gateway's HTTP API" : "Kannel's sendsms URL, e.g. "
		    "\"http://127.0.0.1:13013/cgi-bin/sendsms\"");
		ok = 0;
	} else if (url_s != NULL && !plugin_url_is_http(url_s)) {
		host->conf_error(conf, set.url.at, "\"url\" must start with "
		    "http:// or https://");
		ok = 0;
	}
	user_s = set.user.str;
	pw_s = set.pwfile.str;
	if (sc->generic) {
		if (!sms_open_generic(sc, &set))
			ok = 0;
		if (ok && sms_uses_password(sc) && set.pwfile.at == NULL) {
			host->conf_error(conf, NULL, "{{password}} needs "
			    "\"password_file\"");
			ok = 0;
		}
	} else {
		if (!sms_generic_refuse(host, conf, &set))
			ok = 0;
		if (set.user.at == NULL || set.pwfile.at == NULL) {
			host->conf_error(conf, NULL, "missing \"%s\" (Kannel's "
			    "sendsms-user needs a username and a password "
			    "file)", set.user.at == NULL ? "user" :
			    "password_file");
			ok = 0;
		}
	}
	if (!rows_ok)
		ok = 0;
	from_s = set.from.str;
	sig_s = set.sig.str;
	if (sig_s != NULL && smslen_measure(sig_s, strlen(sig_s), &len) == -1) {
		host->conf_error(conf, set.sig.at, "\"signature\" is not valid "
		    "UTF-8");
		ok = 0;
	}
	sc->max_segments = (unsigned)set.maxseg.num;
	sc->split = (int)set.split.num;
	dlr_s = set.dlr.str;
	if (dlr_s != NULL && (!plugin_url_is_http(dlr_s) ||
	    strchr(dlr_s, '?') != NULL)) {
		host->conf_error(conf, set.dlr.at, "\"dlr_url\" must be an http(s) URL "
		    "without a query, e.g. \"http://127.0.0.1:8025/v1/dlr\"");
		ok = 0;
	} else if (dlr_s != NULL) {
		char probe[160];

		/* heraldd signs every report URL and refuses the unsigned:
		 * without its secret, dlr_url would only collect 403s. */
		if (host->abi_minor < 4 || host->dlr_params(conf,
		    "00000000-0000-0000-0000-000000000000", 1, probe,
		    sizeof(probe)) == -1) {
			host->conf_error(conf, set.dlr.at, "\"dlr_url\" needs "
			    "herald.dlr_secret_file: heraldd refuses unsigned "
			    "delivery reports");
			ok = 0;
		}
	}
	sc->dlr_mask = (unsigned)set.mask.num;
	if (set.mask.at != NULL && set.dlr.at == NULL && !sc->generic) {
		host->conf_error(conf, set.mask.at, "\"dlr_mask\" needs "
		    "\"dlr_url\"");
		ok = 0;
	}
	sc->mainland_only = (int)set.mainland.num;
	smsc_s = set.smsc.str;
	sc->timeout_ms = (unsigned)set.timeout.num;
	if (!ok)
		goto fail;
	if (conf->check_only) {
		/* Nothing opened, but measure() needs what shapes the text. */
		if (!sms_keep(&sc->signature, sig_s)) {
			host->conf_error(conf, NULL, "out of memory");
			goto fail;
		}
		*state = sc;
		return 0;
	}
	if (host->size <= offsetof(struct herald_host, http) ||
	    host->http == NULL) {
		host->conf_error(conf, NULL, "the sms channel needs a host with "
		    "an HTTP client (herald ABI 1.2 or later)");
		goto fail;
	}
	if (!sms_keep(&sc->url, url_s) || !sms_keep(&sc->user, user_s) ||
	    !sms_keep(&sc->from, from_s) || !sms_keep(&sc->signature, sig_s) ||
	    !sms_keep(&sc->dlr_url, dlr_s) || !sms_keep(&sc->smsc, smsc_s) ||
	    (pw_s != NULL && (path = plugin_path(conf, pw_s)) == NULL)) {
		host->conf_error(conf, NULL, "out of memory");
		goto fail;
	}
	if (path != NULL &&
	    (sc->password = plugin_read_secret(path, err, sizeof(err))) == NULL) {
		host->conf_error(conf, set.pwfile.at, "%s", err);
		goto fail;
	}
	free(path);
	*state = sc;
	return 0;
fail:
	free(path);
	sms_free(sc);
	return -1;
}

/*
 * The URL of one part.  ref/total/seq describe the concatenation UDH;
 * total 1 sends none.  Caller frees; NULL on out of memory.
 */
static char *
sms_part_url(const struct sms_channel *sc, const struct herald_message *msg,
    const char *to, const char *text, size_t len, enum smslen_coding coding,
    unsigned ref, unsigned total, unsigned seq, unsigned part_no,
    const char *dlr_params)
{
	struct plugin_buf b = { 0 }, dlr = { 0 };
	char num[16];

	plugin_buf_str(&b, sc->url);
	plugin_buf_str(&b, strchr(sc->url, '?') != NULL ? "&" : "?");
	plugin_buf_str(&b, "username=");
	plugin_buf_urlenc(&b, sc->user, strlen(sc->user));
	sms_buf_param(&b, "password", sc->password);
	sms_buf_param(&b, "to", to);		/* "+" goes as %2B */
	if (sc->from != NULL)
		sms_buf_param(&b, "from", sc->from);
	plugin_buf_str(&b, "&text=");
	plugin_buf_urlenc(&b, text, len);
	/* charset is that of text; Kannel's default for coding=2 is UTF-16BE. */
	plugin_buf_str(&b, "&charset=UTF-8");
	plugin_buf_str(&b, coding == SMSLEN_UCS2 ? "&coding=2" : "&coding=0");
	if (total > 1) {
		unsigned char udh[6] = { 5, 0, 3, (unsigned char)ref,
		    (unsigned char)total, (unsigned char)seq };

		plugin_buf_str(&b, "&udh=");
		plugin_buf_urlenc(&b, (const char *)udh, sizeof(udh));
	}
	if (sc->smsc != NULL)
		sms_buf_param(&b, "smsc", sc->smsc);
	if (sc->dlr_url != NULL && dlr_params != NULL) {
		snprintf(num, sizeof(num), "%u", sc->dlr_mask);
		sms_buf_param(&b, "dlr-mask", num);
		/* Kannel expands %d (type), %A (SMSC answer), %F (SMSC id),
		 * %I (its own id) and %T (time) when the report arrives. */
		plugin_buf_str(&dlr, sc->dlr_url);
		plugin_buf_str(&dlr, "?channel=");
		plugin_buf_urlenc(&dlr, sc->conf->name, strlen(sc->conf->name));
		plugin_buf_str(&dlr, "&key=");
		plugin_buf_urlenc(&dlr, msg->key, strlen(msg->key));
		snprintf(num, sizeof(num), "%u", part_no);
		plugin_buf_str(&dlr, "&part=");
		plugin_buf_str(&dlr, num);
		/* The host's signature (parts, send time): GET /v1/dlr refuses
		 * a report without it. */
		plugin_buf_str(&dlr, "&");
		plugin_buf_str(&dlr, dlr_params);
		plugin_buf_str(&dlr, "&type=%d&at=%T&id=%F&kid=%I&reply=%A");
		if (dlr.failed)
			b.failed = 1;
		else
			sms_buf_param(&b, "dlr-url", dlr.s);
		free(dlr.s);
	}
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* Wipe (it may hold the password) and free a string. */
void
sms_wipe(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void
sms_send_free(struct sms_send *ss)
{
	if (ss == NULL)
		return;
	for (size_t i = 0; i < ss->n; i++) {
		sms_wipe(ss->urls[i]);
		if (ss->bodies != NULL)
			sms_wipe(ss->bodies[i]);
		if (ss->hdrs != NULL && ss->hdrs[i] != NULL) {
			for (char **h = ss->hdrs[i]; *h != NULL; h++)
				sms_wipe(*h);
			free(ss->hdrs[i]);
		}
	}
	free(ss->urls);
	free(ss->bodies);
	free(ss->hdrs);
	free(ss);
}

/* "+8613800138000" -> "+86138****8000", for reasons and logs. */
static void
sms_mask(const char *num, char *out, size_t outlen)
{
	size_t n = strlen(num);

	if (n < 9)
		snprintf(out, outlen, "****");
	else
		snprintf(out, outlen, "%.*s****%s", (int)(n - 8), num,
		    num + n - 4);
}

/* A reply body as one short line for a reason: no control characters. */
static void
sms_reply_text(const char *body, size_t len, char *out, size_t outlen)
{
	size_t j = 0;

	for (size_t i = 0; i < len && j + 1 < outlen && j < 120; i++) {
		unsigned char ch = (unsigned char)body[i];

		if (ch == '\r' || ch == '\n') {
			if (j > 0)
				break;
			continue;
		}
		out[j++] = ch < 0x20 ? ' ' : (char)ch;
	}
	out[j] = '\0';
	if (j == 0)
		snprintf(out, outlen, "(empty answer)");
}

static void sms_send_next(struct sms_send *ss);

static void
sms_on_reply(void *arg, const struct herald_http_response *resp)
{
	struct sms_send *ss = arg;
	struct sms_channel *sc = ss->sc;
	const struct herald_host *host = sc->host;
	enum herald_outcome o;
	char text[160], reason[SMS_REASON_MAX];
	const char *who = sc->generic ? "gateway" : "sendsms";
	unsigned after = 0;

	if (resp->status >= 200 && resp->status < 300 &&
	    sc->succ_field != NULL && !smsgw_success(resp->body ? resp->body :
	    "", resp->body_len, sc->succ_field, sc->succ_value, text,
	    sizeof(text))) {
		/* The provider refused the message in a 2xx answer. */
		o = HERALD_PERMANENT;
		snprintf(reason, sizeof(reason), "gateway %ld: %s, wanted "
		    "%s=%s", resp->status, text, sc->succ_field,
		    sc->succ_value);
	} else if (resp->status >= 200 && resp->status < 300) {
		host->log(sc->conf, HERALD_LOG_DEBUG, "part %zu/%zu: %ld",
		    ss->next + 1, ss->n, resp->status);
		if (++ss->next < ss->n) {
			sms_send_next(ss);
			return;
		}
		host->complete(ss->c, HERALD_DELIVERED, 0, NULL);
		sms_send_free(ss);
		return;
	} else if (resp->status == 0) {
		/* Kannel and the HTTP gateways drop no duplicates: a request
		 * that timed out once sent may have been queued already. */
		o = resp->timed_out ? plugin_timeout_outcome(host, resp, 0) :
		    HERALD_TRANSIENT;
		snprintf(reason, sizeof(reason), "%s: %s", who,
		    resp->timed_out ? "timed out" :
		    resp->error ? resp->error : "no answer");
	} else {
		sms_reply_text(resp->body ? resp->body : "", resp->body_len,
		    text, sizeof(text));
		if (resp->status == 429 || resp->status >= 500) {
			o = HERALD_TRANSIENT;
			after = resp->retry_after_ms;
		} else
			o = HERALD_PERMANENT;
		snprintf(reason, sizeof(reason), "%s %ld: %s%s", who,
		    resp->status, text, ss->n > 1 ? " (multi-part)" : "");
	}
	if (ss->n > 1 && ss->next > 0) {
		size_t l = strlen(reason);

		snprintf(reason + l, sizeof(reason) - l, " at part %zu of %zu",
		    ss->next + 1, ss->n);
	}
	host->complete(ss->c, o, after, reason);
	sms_send_free(ss);
}

static void
sms_send_next(struct sms_send *ss)
{
	struct sms_channel *sc = ss->sc;
	struct herald_http_request req = {
		.method = sc->generic ? sc->method : "GET",
		.url = ss->urls[ss->next],
		.timeout_ms = sc->timeout_ms,
	};

	if (ss->hdrs != NULL)
		req.headers = (const char *const *)ss->hdrs[ss->next];
	if (ss->bodies != NULL && ss->bodies[ss->next] != NULL) {
		req.body = ss->bodies[ss->next];
		req.body_len = strlen(req.body);
	}

	if (sc->host->http(sc->conf, &req, sms_on_reply, ss) == -1) {
		sc->host->complete(ss->c, HERALD_TRANSIENT, 0,
		    "HTTP client unavailable");
		sms_send_free(ss);
	}
}

/* The message's UDH reference: the same for every attempt of a job. */
static unsigned
sms_ref(const char *key, unsigned group)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (const char *p = key; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return (h + group) & 0xff;
}

/* Would the channel send a text of this many segments, or refuse it? */
static int
sms_fits(const struct sms_channel *sc, size_t segments)
{
	return sc->split || segments <= sc->max_segments;
}

/*
 * measure() (ABI 1.5): the body as the handset shows it (the signature
 * first, one 【】 block) counted as send() counts it, with the cap of
 * max_segments and whether split lets a longer text through.  The subject
 * is not sent.  The text is kept in sc->measured until the next call.
 */
static int
sms_measure(void *state, const char *subject, const char *body,
    struct herald_measure *out)
{
	struct sms_channel *sc = state;
	struct smslen len;
	char *text;
	int ucs2;

	if ((text = smssig_apply(sc->signature, body ? body : "")) == NULL)
		return -1;
	if (smslen_measure(text, strlen(text), &len) == -1) {
		free(text);
		return -1;
	}
	free(sc->measured);
	sc->measured = text;
	ucs2 = len.coding == SMSLEN_UCS2;
	out->parts = len.segments;
	out->bytes = strlen(text);
	out->encoding = ucs2 ? HERALD_ENC_UCS2 : HERALD_ENC_GSM7;
	out->units = len.units;
	if (len.segments > 1)
		out->part_limit = ucs2 ? SMSLEN_UCS2_PART : SMSLEN_GSM7_PART;
	else
		out->part_limit = ucs2 ? SMSLEN_UCS2_SINGLE :
		    SMSLEN_GSM7_SINGLE;
	out->max_parts = sc->max_segments;
	out->fits = sms_fits(sc, len.segments);
	out->part_word = "segment";
	out->parts_words = "SMS segments";
	out->limit_setting = "max_segments";
	out->fix = "shorten the text or set split";
	out->text = text;
	return 0;
}

static void
sms_send(void *state, const struct herald_message *msg,
    struct herald_completion *c)
{
	struct sms_channel *sc = state;
	const struct herald_host *host = sc->host;
	struct sms_send *ss = NULL;
	struct smslen len;
	char to[32], err[256], masked[32], reason[SMS_REASON_MAX];
	char dlr_params[160];
	char *text = NULL;
	size_t *ends = NULL, n, tlen, start;
	const char *body = msg->body ? msg->body : "";

	if (msg->address == NULL || phone_normalize(msg->address, to,
	    sizeof(to), err, sizeof(err)) == -1) {
		sms_mask(msg->address ? msg->address : "", masked,
		    sizeof(masked));
		snprintf(reason, sizeof(reason), "recipient %s is not a valid "
		    "mobile number", masked);
		host->complete(c, HERALD_PERMANENT, 0, reason);
		return;
	}
	if (sc->mainland_only && strncmp(to, "+86", 3) != 0) {
		sms_mask(to, masked, sizeof(masked));
		snprintf(reason, sizeof(reason), "recipient %s is outside the "
		    "mainland (mainland_only = true)", masked);
		host->complete(c, HERALD_PERMANENT, 0, reason);
		return;
	}
	if ((text = smssig_apply(sc->signature, body)) == NULL) {
		host->complete(c, HERALD_TRANSIENT, 0, "out of memory");
		return;
	}
	tlen = strlen(text);
	if (smslen_measure(text, tlen, &len) == -1) {
		free(text);
		host->complete(c, HERALD_PERMANENT, 0, "text is not valid UTF-8");
		return;
	}
	if (!sms_fits(sc, len.segments)) {
		free(text);
		snprintf(reason, sizeof(reason), "message needs %zu segments, "
		    "cap %u", len.segments, sc->max_segments);
		host->complete(c, HERALD_PERMANENT, 0, reason);
		return;
	}
	if ((ends = calloc(len.segments, sizeof(*ends))) == NULL ||
	    (ss = calloc(1, sizeof(*ss))) == NULL ||
	    (ss->urls = calloc(len.segments, sizeof(*ss->urls))) == NULL)
		goto oom;
	ss->sc = sc;
	ss->c = c;
	n = smslen_split(text, tlen, len.coding, ends, len.segments);
	if (n != len.segments)
		goto oom;	/* cannot happen: the same text was measured */
	if (sc->generic) {
		/* One request per group of max_segments parts. */
		size_t ngroups = (n + sc->max_segments - 1) / sc->max_segments;

		if ((ss->bodies = calloc(ngroups, sizeof(*ss->bodies))) ==
		    NULL || (ss->hdrs = calloc(ngroups, sizeof(*ss->hdrs))) ==
		    NULL)
			goto oom;
		start = 0;
		for (size_t g = 0; g < ngroups; g++) {
			size_t last = (g + 1) * sc->max_segments;
			size_t end = ends[(last < n ? last : n) - 1];

			ss->n++;
			if (sms_generic_req(ss, g, msg, to, text, start, end,
			    (unsigned)ngroups, err, sizeof(err)) == -1) {
				snprintf(reason, sizeof(reason), "gateway "
				    "template: %.200s", err);
				sms_wipe(text);
				free(ends);
				sms_send_free(ss);
				host->complete(c, HERALD_PERMANENT, 0, reason);
				return;
			}
			start = end;
		}
		n = ngroups;
		goto ready;
	}
	if (sc->dlr_url != NULL && (host->abi_minor < 4 ||
	    host->dlr_params(sc->conf, msg->key, (unsigned)n, dlr_params,
	    sizeof(dlr_params)) == -1)) {
		host->log(sc->conf, HERALD_LOG_WARNING, "cannot sign the "
		    "delivery-report URL: sent without asking for reports");
		dlr_params[0] = '\0';
	}
	start = 0;
	for (size_t i = 0; i < n; i++) {
		/* Groups of at most max_segments parts, each with its own
		 * reference (several groups only with split = true). */
		unsigned group = (unsigned)(i / sc->max_segments);
		size_t gfirst = group * sc->max_segments;
		size_t gtotal = n - gfirst < sc->max_segments ?
		    n - gfirst : sc->max_segments;

		ss->urls[i] = sms_part_url(sc, msg, to, text + start,
		    ends[i] - start, len.coding, sms_ref(msg->key, group),
		    (unsigned)gtotal, (unsigned)(i - gfirst + 1),
		    (unsigned)i + 1, dlr_params[0] != '\0' ? dlr_params : NULL);
		if (ss->urls[i] == NULL)
			goto oom;
		ss->n++;
		start = ends[i];
	}
ready:
	explicit_bzero(text, tlen);
	free(text);
	free(ends);
	host->log(sc->conf, HERALD_LOG_DEBUG, "key %s: %zu %s, %s, %zu "
	    "units", msg->key, n, sc->generic ? "request(s)" : "part(s)",
	    len.coding == SMSLEN_UCS2 ? "UCS-2" : "GSM-7", len.units);
	sms_send_next(ss);
	return;
oom:
	free(text);
	free(ends);
	sms_send_free(ss);
	host->complete(c, HERALD_TRANSIENT, 0, "out of memory");
}

static void
sms_close(void *state)
{
	sms_free(state);
}

static const struct herald_plugin sms_plugin = {
	.abi_major = HERALD_PLUGIN_ABI_MAJOR,
	.abi_minor = HERALD_PLUGIN_ABI_MINOR,
	.size = sizeof(struct herald_plugin),
	.name = "sms",
	.version = PACKAGE_VERSION,
	.description = "SMS through Kannel's sendsms or a generic HTTP "
	    "gateway",
	.caps = {
		.max_length = SMS_MAX_SEGMENTS_DEFAULT,
		.length_unit = HERALD_LEN_SMS_SEGMENTS,
		.address = HERALD_ADDR_PHONE,
		.ack_links = 1,
		.delivery_receipts = 1,
		.default_rate = 50,
		.default_burst = 0,
		.default_concurrency = 8,
	},
	.open = sms_open,
	.send = sms_send,
	.close = sms_close,
	.measure = sms_measure,
};

HERALD_PLUGIN_DECLARE(sms_plugin)
