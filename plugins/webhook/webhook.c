/*
 * webhook.c - the "webhook" channel: JSON POSTs to group robots (WeCom,
 * DingTalk, Feishu) or to any HTTP endpoint (generic).
 *
 * Every request goes through the host's shared HTTP client (host->http,
 * ABI 1.2), so a send never blocks and a slow robot holds up only its own
 * requests.  Bodies and answers per flavour live in payload.c, signatures
 * and splitting in sign.c.
 *
 * Long messages.  A body over the flavour's limit is split at line or
 * sentence boundaries (never inside a character) and the parts are sent
 * one after the other, each as its own request; the send completes when
 * the last part is delivered.  When a part fails transiently the parts
 * already delivered are remembered by job key (and a hash of the body),
 * so the core's retry of the same job sends only the remaining parts: a
 * group sees no part twice.  The memory is a small ring per channel; a
 * retry that finds no entry (evicted, or a restarted daemon) sends every
 * part again, which is the at-least-once the core promises anyway.  A
 * permanent failure forgets the entry: the message falls back whole.
 *
 * Secrets.  The robot URL carries its key (WeCom key=, DingTalk
 * access_token=, Feishu's hook id), so it may come from url_file, and it
 * is never logged: lines name the channel, never the URL.  Signing
 * secrets come only from files.
 *
 * Mentions (mention = true).  Each recipient of the message (ABI 1.4:
 * every contact of a merged post) is mentioned by its address entry for
 * the channel, a robot user id, else by its phone: DingTalk lists user
 * ids in at.atUserIds and phones in at.atMobiles and names each in the
 * text; WeCom text uses mentioned_list / mentioned_mobile_list, WeCom
 * markdown inline <@userid>; Feishu knows only open_ids (<at user_id>
 * in text, an "at" node in a post), so phones are not mentioned there,
 * nor in WeCom markdown.  For WeCom an address entry of digits is taken
 * for a mobile, as before ABI 1.4.
 *
 * Left out: merging queued messages into one digest when a robot's quota
 * would hold them back (the dispatcher's merge_after does that).
 *
 * Settings:
 *   flavour     = "wecom";   "generic" (default), "wecom", "dingtalk", "feishu"
 *   url         = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...";
 *   url_file    = "secrets/wecom-bj.url";  instead of url: its first line
 *   secret_file = "secrets/dingtalk.sec";  DingTalk/Feishu signing secret,
 *                 generic HMAC-SHA256 key (X-Herald-Signature); not wecom
 *   msgtype     = "text";    wecom/dingtalk "text"|"markdown", feishu "text"|"post"
 *   mention     = false;     @ the recipients (wecom, dingtalk, feishu)
 *   timeout     = "10s";     per request; default 10 s generic, 30 s robots
 *   ca_file     = "certs/ca.pem";  extra CA bundle (tests)
 *
 * Timeouts.  A request that timed out after it went out may have been
 * posted: the generic flavour reports HERALD_TIMED_OUT (the receiver has
 * X-Herald-Id to drop a repeat by), the robots HERALD_UNCERTAIN (WeCom,
 * DingTalk and Feishu post every copy, so the core retries sparingly and
 * never falls back).  A connect timeout is plainly transient.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "herald-plugin.h"
#include "herald-plugin-conf.h"
#include "../common/plugin_util.h"
#include "payload.h"
#include "sign.h"

#define WEBHOOK_RESUME_SLOTS 64
#define WEBHOOK_REASON_MAX 256
#define WEBHOOK_GENERIC_TIMEOUT_MS 10000
#define WEBHOOK_ROBOT_TIMEOUT_MS 30000

/* Parts of a message delivered before a transient failure. */
struct webhook_resume {
	char key[64];
	uint64_t hash;
	unsigned done;
};

struct webhook_channel {
	const struct herald_host *host;
	const struct herald_channel_conf *conf;
	enum webhook_flavour flavour;
	char *url;
	char *secret;
	char *ca_file;
	int markdown;
	int mention;
	unsigned timeout_ms;
	struct webhook_resume resume[WEBHOOK_RESUME_SLOTS];
	unsigned resume_next;
};

/* One send in flight: the message is borrowed until complete(). */
struct webhook_send {
	struct webhook_channel *wc;
	const struct herald_message *msg;
	struct herald_completion *c;
	uint64_t hash;
	size_t *cuts;			/* part i is body[cuts[i], cuts[i + 1]) */
	unsigned n_parts;
	unsigned next;			/* the part being sent */
	struct webhook_mention *mentions; /* strings borrowed from msg */
	size_t n_mentions;
	char ack_prefix[512];		/* msg->ack_url up to its token */
};

static uint64_t
webhook_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct webhook_resume *
webhook_resume_find(struct webhook_channel *wc, const char *key)
{
	size_t i;

	for (i = 0; i < WEBHOOK_RESUME_SLOTS; i++)
		if (wc->resume[i].key[0] != '\0' &&
		    strcmp(wc->resume[i].key, key) == 0)
			return &wc->resume[i];
	return NULL;
}

static void
webhook_resume_save(struct webhook_channel *wc, const char *key,
    uint64_t hash, unsigned done)
{
	struct webhook_resume *r;

	if (strlen(key) >= sizeof(r->key))
		return;
	if ((r = webhook_resume_find(wc, key)) == NULL) {
		r = &wc->resume[wc->resume_next];
		wc->resume_next = (wc->resume_next + 1) % WEBHOOK_RESUME_SLOTS;
	}
	snprintf(r->key, sizeof(r->key), "%s", key);
	r->hash = hash;
	r->done = done;
}

static void
webhook_resume_forget(struct webhook_channel *wc, const char *key)
{
	struct webhook_resume *r = webhook_resume_find(wc, key);

	if (r != NULL)
		memset(r, 0, sizeof(*r));
}

static void
webhook_free(struct webhook_channel *wc)
{
	if (wc == NULL)
		return;
	if (wc->url != NULL)
		explicit_bzero(wc->url, strlen(wc->url));
	if (wc->secret != NULL)
		explicit_bzero(wc->secret, strlen(wc->secret));
	free(wc->url);
	free(wc->secret);
	free(wc->ca_file);
	free(wc);
}

/* The block's settings, one value per row of webhook_rows. */
struct webhook_settings {
	struct herald_conf_value flavour, url, url_file, secret_file, msgtype,
	    mention, timeout, ca;
};

#define WEBHOOK_ROW(n, t, f) HERALD_CONF_ROW(struct webhook_settings, n, t, f)
static const struct herald_conf_row webhook_rows[] = {
	{ WEBHOOK_ROW("flavour", STRING, flavour) },
	{ WEBHOOK_ROW("url", STRING, url) },
	{ WEBHOOK_ROW("url_file", STRING, url_file) },
	{ WEBHOOK_ROW("secret_file", STRING, secret_file) },
	{ WEBHOOK_ROW("msgtype", STRING, msgtype) },
	{ WEBHOOK_ROW("mention", BOOL, mention) },
	{ WEBHOOK_ROW("timeout", DURATION, timeout),
	    .max = 3600000, .bad = "\"timeout\" must be a duration like "
	    "\"10s\" (at most an hour)" },
	{ WEBHOOK_ROW("ca_file", STRING, ca) },
};

static int
webhook_open(const struct herald_host *host, const struct herald_channel_conf *conf,
    void **state)
{
	struct webhook_settings set;
	const char *v, *url_s, *url_file_s, *secret_s, *ca_s, *mt;
	struct webhook_channel *wc;
	char err[512];
	int ok;

	if (host->size <= offsetof(struct herald_host, http) ||
	    host->http == NULL) {
		host->conf_error(conf, NULL, "the webhook channel needs a host "
		    "with the HTTP client (herald ABI 1.2 or later)");
		return -1;
	}
	ok = herald_conf_read(host, conf, webhook_rows,
	    sizeof(webhook_rows) / sizeof(webhook_rows[0]), &set);

	if ((wc = calloc(1, sizeof(*wc))) == NULL) {
		host->conf_error(conf, NULL, "out of memory");
		return -1;
	}
	wc->host = host;
	wc->conf = conf;
	wc->timeout_ms = WEBHOOK_GENERIC_TIMEOUT_MS;

	if ((v = set.flavour.str) != NULL) {
		if (strcmp(v, "generic") == 0)
			wc->flavour = WEBHOOK_GENERIC;
		else if (strcmp(v, "wecom") == 0)
			wc->flavour = WEBHOOK_WECOM;
		else if (strcmp(v, "dingtalk") == 0)
			wc->flavour = WEBHOOK_DINGTALK;
		else if (strcmp(v, "feishu") == 0)
			wc->flavour = WEBHOOK_FEISHU;
		else {
			host->conf_error(conf, set.flavour.at, "\"flavour\" must be "
			    "\"generic\", \"wecom\", \"dingtalk\" or \"feishu\"");
			ok = 0;
		}
	}
	url_s = set.url.str;
	url_file_s = set.url_file.str;
	if ((set.url.at == NULL) == (set.url_file.at == NULL)) {
		host->conf_error(conf, set.url.at ? set.url.at :
		    set.url_file.at, "give exactly one "
		    "of \"url\" and \"url_file\"");
		ok = 0;
	} else if (url_s != NULL && !plugin_url_is_http(url_s)) {
		/* Say what is wrong without echoing the key. */
		host->conf_error(conf, set.url.at, "\"url\" must start with http:// "
		    "or https://");
		ok = 0;
	}
	secret_s = set.secret_file.str;
	if (set.secret_file.at != NULL && wc->flavour == WEBHOOK_WECOM) {
		host->conf_error(conf, set.secret_file.at, "WeCom robots are not "
		    "signed: \"secret_file\" does not apply");
		ok = 0;
	}
	if ((mt = set.msgtype.str) != NULL) {
		if (strcmp(mt, "text") == 0)
			wc->markdown = 0;
		else if ((strcmp(mt, "markdown") == 0 &&
		    (wc->flavour == WEBHOOK_WECOM ||
		    wc->flavour == WEBHOOK_DINGTALK)) ||
		    (strcmp(mt, "post") == 0 && wc->flavour == WEBHOOK_FEISHU))
			wc->markdown = 1;
		else {
			host->conf_error(conf, set.msgtype.at, "\"msgtype\" must be "
			    "\"text\" or \"%s\" for this flavour",
			    wc->flavour == WEBHOOK_FEISHU ? "post" : "markdown");
			ok = 0;
		}
		if (wc->flavour == WEBHOOK_GENERIC) {
			host->conf_error(conf, set.msgtype.at, "\"msgtype\" does not "
			    "apply to the generic flavour");
			ok = 0;
		}
	}
	if (set.mention.is_set) {
		if (set.mention.num && wc->flavour == WEBHOOK_GENERIC) {
			host->conf_error(conf, set.mention.at, "\"mention\" "
			    "works with the wecom, dingtalk and feishu flavours "
			    "only");
			ok = 0;
		} else
			wc->mention = set.mention.num != 0;
	}
	/*
	 * The robots' servers answer in seconds when they are busy (a
	 * launch posts to every group at once), and a post that times out
	 * may well have reached the group, which then sees it twice: wait
	 * 30 s for them.  A generic receiver is ours to keep fast.
	 */
	if (wc->flavour != WEBHOOK_GENERIC)
		wc->timeout_ms = WEBHOOK_ROBOT_TIMEOUT_MS;
	if (set.timeout.is_set)
		wc->timeout_ms = (unsigned)set.timeout.num;
	ca_s = set.ca.str;
	if (!ok || conf->check_only)
		goto fail;

	if (url_s != NULL)
		wc->url = strdup(url_s);
	else if ((wc->url = plugin_read_conf_secret(conf, url_file_s, err,
	    sizeof(err))) == NULL) {
		host->conf_error(conf, set.url_file.at, "url_file: %s", err);
		goto fail;
	} else if (!plugin_url_is_http(wc->url)) {
		host->conf_error(conf, set.url_file.at, "url_file: the URL must start "
		    "with http:// or https://");
		goto fail;
	}
	if (secret_s != NULL && (wc->secret = plugin_read_conf_secret(conf,
	    secret_s, err, sizeof(err))) == NULL) {
		host->conf_error(conf, set.secret_file.at, "secret_file: %s", err);
		goto fail;
	}
	if (ca_s != NULL && (wc->ca_file = plugin_path(conf, ca_s)) == NULL)
		goto fail;
	if (wc->url == NULL) {
		host->conf_error(conf, NULL, "out of memory");
		goto fail;
	}
	*state = wc;
	return 0;
fail:
	webhook_free(wc);
	/* check_only with good settings is a success that opened nothing. */
	return ok && conf->check_only ? 0 : -1;
}

static void
webhook_send_free(struct webhook_send *ws)
{
	if (ws == NULL)
		return;
	free(ws->cuts);
	free(ws->mentions);
	free(ws);
}

static void
webhook_finish(struct webhook_send *ws, enum herald_outcome o,
    unsigned retry_ms, const char *reason)
{
	struct herald_completion *c = ws->c;
	const struct herald_host *host = ws->wc->host;

	if (o == HERALD_TRANSIENT && ws->next > 0)
		webhook_resume_save(ws->wc, ws->msg->key, ws->hash, ws->next);
	else
		webhook_resume_forget(ws->wc, ws->msg->key);
	webhook_send_free(ws);
	host->complete(c, o, retry_ms, reason);
}

static void webhook_on_answer(void *arg, const struct herald_http_response *r);

static long long
webhook_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Start the request for part ws->next; -1 when it could not start. */
static int
webhook_send_part(struct webhook_send *ws, char *reason, size_t reasonlen)
{
	struct webhook_channel *wc = ws->wc;
	const struct herald_message *m = ws->msg;
	struct herald_http_request req = { 0 };
	struct webhook_part p = { 0 };
	const char *headers[5];
	char fsign[WEBHOOK_SIGN_MAX], dsign[WEBHOOK_SIGN_MAX];
	char sighdr[100], idhdr[100], *body = NULL, *url = NULL;
	long long now_ms = webhook_now_ms();
	size_t nh = 0;
	int rc = -1;

	p.msg = m;
	p.text = m->body + ws->cuts[ws->next];
	p.text_len = ws->cuts[ws->next + 1] - ws->cuts[ws->next];
	p.index = ws->next + 1;
	p.count = ws->n_parts;
	p.markdown = wc->markdown;
	/* Mention once, on the first part. */
	if (ws->next == 0) {
		p.mentions = ws->mentions;
		p.n_mentions = ws->n_mentions;
	}
	p.ack_prefix = ws->ack_prefix[0] != '\0' ? ws->ack_prefix : NULL;
	if (wc->flavour == WEBHOOK_FEISHU && wc->secret != NULL) {
		p.feishu_ts = now_ms / 1000;
		if (webhook_sign_feishu(wc->secret, p.feishu_ts, fsign,
		    sizeof(fsign)) == -1) {
			snprintf(reason, reasonlen, "cannot sign the request");
			goto done;
		}
		p.feishu_sign = fsign;
	}
	if ((body = webhook_payload(wc->flavour, &p)) == NULL) {
		snprintf(reason, reasonlen, "cannot build the request body");
		goto done;
	}
	req.url = wc->url;
	if (wc->flavour == WEBHOOK_DINGTALK && wc->secret != NULL) {
		if (webhook_sign_dingtalk(wc->secret, now_ms, dsign,
		    sizeof(dsign), NULL, 0) == -1 ||
		    asprintf(&url, "%s%ctimestamp=%lld&sign=%s", wc->url,
		    strchr(wc->url, '?') ? '&' : '?', now_ms, dsign) < 0) {
			url = NULL;
			snprintf(reason, reasonlen, "cannot sign the request");
			goto done;
		}
		req.url = url;
	}
	headers[nh++] = "Content-Type: application/json; charset=utf-8";
	if (wc->flavour == WEBHOOK_GENERIC) {
		snprintf(idhdr, sizeof(idhdr), "X-Herald-Id: %s", m->key);
		headers[nh++] = idhdr;
		if (wc->secret != NULL) {
			memcpy(sighdr, "X-Herald-Signature: ", 20);
			if (webhook_sign_generic(wc->secret, body, strlen(body),
			    sighdr + 20, sizeof(sighdr) - 20) == -1) {
				snprintf(reason, reasonlen, "cannot sign the "
				    "request");
				goto done;
			}
			headers[nh++] = sighdr;
		}
	}
	headers[nh] = NULL;
	req.method = "POST";
	req.headers = headers;
	req.body = body;
	req.body_len = strlen(body);
	req.timeout_ms = wc->timeout_ms;
	req.ca_file = wc->ca_file;
	if (wc->host->http(wc->conf, &req, webhook_on_answer, ws) == -1) {
		snprintf(reason, reasonlen, "cannot start the HTTP request");
		goto done;
	}
	rc = 0;
done:
	if (url != NULL) {
		explicit_bzero(url, strlen(url));
		free(url);
	}
	free(body);
	return rc;
}

static void
webhook_on_answer(void *arg, const struct herald_http_response *r)
{
	struct webhook_send *ws = arg;
	struct webhook_channel *wc = ws->wc;
	char reason[WEBHOOK_REASON_MAX], full[WEBHOOK_REASON_MAX + 32];
	enum herald_outcome o;
	unsigned retry_ms;

	o = webhook_classify(wc->flavour, r, &retry_ms, reason, sizeof(reason));
	/*
	 * A timeout after the request went out may have been delivered.
	 * Only a generic receiver is told the job key (X-Herald-Id) to
	 * drop a repeat by; the robots post every copy to the group.
	 */
	if (r->status == 0 && r->timed_out)
		o = plugin_timeout_outcome(wc->host, r,
		    wc->flavour == WEBHOOK_GENERIC);
	if (o == HERALD_DELIVERED) {
		if (++ws->next < ws->n_parts) {
			if (webhook_send_part(ws, reason, sizeof(reason)) == 0)
				return;
			webhook_finish(ws, HERALD_TRANSIENT, 0, reason);
			return;
		}
		webhook_finish(ws, HERALD_DELIVERED, 0, NULL);
		return;
	}
	if (ws->n_parts > 1) {
		snprintf(full, sizeof(full), "part %u of %u: %s", ws->next + 1,
		    ws->n_parts, reason);
		webhook_finish(ws, o, retry_ms, full);
	} else
		webhook_finish(ws, o, retry_ms, reason);
}

/* Cut the body into parts within the flavour's limit. */
static void
webhook_cut(struct webhook_send *ws, size_t max)
{
	const char *b = ws->msg->body;
	size_t len = strlen(b), at = 0, n = 0, cap = 4, step;

	ws->cuts = calloc(cap, sizeof(*ws->cuts));
	if (ws->cuts == NULL)
		return;
	ws->cuts[n++] = 0;
	do {
		step = max ? webhook_split_next(b + at, len - at, max) : len - at;
		at += step;
		if (n + 1 >= cap) {
			size_t *nc = realloc(ws->cuts, cap * 2 * sizeof(*nc));

			if (nc == NULL) {
				free(ws->cuts);
				ws->cuts = NULL;
				return;
			}
			ws->cuts = nc;
			cap *= 2;
		}
		ws->cuts[n++] = at;
	} while (at < len);
	ws->n_parts = (unsigned)(n - 1);
}

/* Is s all digits (and a leading +)?  WeCom's address entry then is a
 * mobile, not a userid. */
static int
webhook_is_digits(const char *s)
{
	for (; *s != '\0'; s++)
		if ((*s < '0' || *s > '9') && *s != '+')
			return 0;
	return 1;
}

/* One mention of a recipient into w: its handle, else its phone; 0 when
 * it has neither. */
static int
webhook_mention_of(const struct webhook_channel *wc,
    const struct herald_recipient *r, struct webhook_mention *w)
{
	const char *a = r->handle != NULL ? r->handle : r->phone;

	if (a == NULL)
		return 0;
	w->is_mobile = r->handle == NULL ||
	    (wc->flavour == WEBHOOK_WECOM && webhook_is_digits(a));
	/* Robots know mainland mobiles without the country code. */
	if (w->is_mobile && strncmp(a, "+86", 3) == 0)
		a += 3;
	w->id = a;
	w->name = r->name;
	return 1;
}

/* ws->mentions from the message's recipients (ABI 1.4) or, with an
 * older host, from its one contact.  -1 when out of memory. */
static int
webhook_mentions(struct webhook_send *ws)
{
	const struct herald_host *host = ws->wc->host;
	const struct herald_message *m = ws->msg;
	struct herald_recipient one = { 0 };
	const struct herald_recipient *r = &one;
	size_t n = 1;

	if (host->abi_minor >= 4 && m->n_recipients > 0) {
		r = m->recipients;
		n = m->n_recipients;
	} else {
		one.name = m->contact_name;
		one.phone = m->contact_phone;
		one.handle = m->address;
	}
	if ((ws->mentions = calloc(n, sizeof(*ws->mentions))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		ws->n_mentions += (size_t)webhook_mention_of(ws->wc, &r[i],
		    &ws->mentions[ws->n_mentions]);
	return 0;
}

/* The part of the ack link before its token ("https://x/a/"): links
 * that start so are labelled as ack links in markdown. */
static void
webhook_ack_prefix(struct webhook_send *ws)
{
	const char *u = ws->msg->ack_url, *slash;

	if (u == NULL || (slash = strrchr(u, '/')) == NULL ||
	    (size_t)(slash - u) + 1 >= sizeof(ws->ack_prefix))
		return;
	memcpy(ws->ack_prefix, u, (size_t)(slash - u) + 1);
	ws->ack_prefix[slash - u + 1] = '\0';
}

static void
webhook_send(void *state, const struct herald_message *msg,
    struct herald_completion *c)
{
	struct webhook_channel *wc = state;
	struct webhook_resume *res;
	struct webhook_send *ws;
	char reason[WEBHOOK_REASON_MAX];

	if (msg->body == NULL || msg->body[0] == '\0') {
		wc->host->complete(c, HERALD_PERMANENT, 0, "empty message");
		return;
	}
	if ((ws = calloc(1, sizeof(*ws))) == NULL) {
		wc->host->complete(c, HERALD_TRANSIENT, 0, "out of memory");
		return;
	}
	ws->wc = wc;
	ws->msg = msg;
	ws->c = c;
	ws->hash = webhook_hash(msg->body);
	webhook_cut(ws, webhook_part_max(wc->flavour, wc->markdown));
	if (ws->cuts == NULL) {
		free(ws);
		wc->host->complete(c, HERALD_TRANSIENT, 0, "out of memory");
		return;
	}
	if (wc->mention && webhook_mentions(ws) == -1) {
		webhook_send_free(ws);
		wc->host->complete(c, HERALD_TRANSIENT, 0, "out of memory");
		return;
	}
	webhook_ack_prefix(ws);
	/* A retry after a failure mid-way resumes where it stopped. */
	if ((res = webhook_resume_find(wc, msg->key)) != NULL &&
	    res->hash == ws->hash && res->done < ws->n_parts)
		ws->next = res->done;
	if (ws->n_parts > 1)
		wc->host->log(wc->conf, HERALD_LOG_DEBUG, "job %s: %u parts, "
		    "from part %u", msg->key, ws->n_parts, ws->next + 1);
	if (webhook_send_part(ws, reason, sizeof(reason)) == -1)
		webhook_finish(ws, HERALD_TRANSIENT, 0, reason);
}

/*
 * Connect ahead of a launch: the host's pool opens the connections the
 * staged sends will take at the instant.  The base URL does: a signed
 * flavour adds query parameters per request, never another host or
 * port; a host name is resolved by the host, off the loop.  A host before
 * minor 6 has no http_warm (its table ends sooner); a failed warm-up
 * costs nothing but the handshakes at the instant.
 */
static void
webhook_prepare(void *state, unsigned n, int64_t at)
{
	struct webhook_channel *wc = state;
	const struct herald_host *host;

	(void)at;
	if (wc == NULL || wc->url == NULL)
		return;
	host = wc->host;
	if (host->abi_minor < 6 || host->http_warm == NULL)
		return;
	(void)host->http_warm(wc->conf, wc->url, n);
}

static void
webhook_close(void *state)
{
	webhook_free(state);
}

static const struct herald_plugin webhook_plugin = {
	.abi_major = HERALD_PLUGIN_ABI_MAJOR,
	.abi_minor = HERALD_PLUGIN_ABI_MINOR,
	.size = sizeof(struct herald_plugin),
	.name = "webhook",
	.version = PACKAGE_VERSION,
	.description = "JSON webhooks: generic, WeCom, DingTalk and Feishu "
	    "group robots",
	.caps = {
		.max_length = 0,	/* long messages are split, not refused */
		.length_unit = HERALD_LEN_BYTES,
		/* The robot itself is the target: notices for many people
		 * may merge into one post (merge_after).  Mentions use the
		 * message's contact_phone. */
		.address = HERALD_ADDR_NONE,
		.ack_links = 1,
		.delivery_receipts = 0,
		/* The robots' quota, 20 per minute (VENDORS.md). */
		.default_rate = 20.0 / 60.0,
		.default_burst = 20,
		.default_concurrency = 4,
	},
	.open = webhook_open,
	.send = webhook_send,
	.close = webhook_close,
	.prepare = webhook_prepare,
};

HERALD_PLUGIN_DECLARE(webhook_plugin)
