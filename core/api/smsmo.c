/*
 * smsmo.c - SMS replies as acknowledgements: GET /v1/sms/mo, the get-url
 * of a Kannel sms-service (doc/api.txt).
 *
 * A person who got a notice by SMS answers "1" (seen) or "2" (submitted);
 * Kannel hands the reply to us and sends our answer's body back to the
 * phone.  A working sms-service (the test uses exactly this):
 *
 *   group = sms-service
 *   keyword = default
 *   catch-all = true
 *   get-url = "http://127.0.0.1:8025/v1/sms/mo?from=%p&to=%P&text=%a&coding=%c&token=TOKEN"
 *   max-messages = 1
 *   omit-empty = true
 *   accept-x-kannel-headers = true
 *
 * omit-empty: an empty answer sends no SMS (without it Kannel sends its
 * reply-emptymessage).  accept-x-kannel-headers: lets our
 * "X-Kannel-Coding: 2" through, without which Kannel sends the Chinese
 * answer as GSM 7-bit, i.e. as question marks.  coding=%c: a reply typed
 * with full-width digits arrives as UCS-2, and %a then carries the raw
 * UTF-16BE bytes, which we decode; any other coding is read as UTF-8.
 * max-messages = 0 would silence every answer; herald works either way.
 * Kannel turns an answer other than 200/202 (403 for a wrong token, 500
 * when the store fails) into its own reply-couldnotfetch SMS ("Could not
 * fetch content, sorry."); set reply-couldnotfetch = "" in the smsbox
 * group to send nothing then.  to (%P) is accepted and not used: Kannel
 * replaces it with global-sender when one is set.
 *
 * What a reply means, decided here:
 *   - The sender is matched against every contact's phone, both
 *     normalised (phone.h), so "+86 138-0013-8000" and "13800138000" are
 *     one number.  Several contacts sharing a number pool their notices.
 *   - "1" acknowledges (seen) the sender's most recent open notice: the
 *     latest due <= now among its delivered jobs, on any channel, that
 *     are not acknowledged and whose deadline (for deadline kinds) is
 *     not submitted.
 *   - "2" submits the deadline of the most recent delivered deadline
 *     notice whose deadline is not submitted.  A "seen" ack does not
 *     close it: "1" now and "2" once the form is in is the natural
 *     sequence, and it must not submit some older deadline instead.
 *   - Copies of one notice (the same campaign, item, kind and offset
 *     through several channels) are one notice: open only when none of
 *     them is acknowledged, and the acknowledgement is recorded on all.
 *   - Whitespace, "+" (Kannel's word joiner in %a), the ideographic
 *     space and full-width digits ("１", "２") are tolerated.
 *   - Any other text from a known number gets a one-line help answer and
 *     changes nothing.  An unknown number gets nothing at all: we do not
 *     answer strangers, and an auto-responder cannot start an SMS
 *     ping-pong with us.
 * Answers carry the signature of the sms channel that sent the notice
 * (smsmo_signature): Kannel sends them as they are.
 * Logs carry the masked number ("138****8000") and the job key; never the
 * token, the full number or the text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "ack.h"
#include "api_internal.h"
#include "api.h"
#include "engine.h"
#include "civil.h"
#include "httpd.h"
#include "incident.h"
#include "job.h"
#include "log.h"
#include "phone.h"
#include "store.h"
#include "submission.h"
#include "xmalloc.h"

/* Titles in answers are cut to this many UTF-16 units, so that the
 * answer ("已收到确认：" + title) stays one UCS-2 SMS (70 units). */
#define SMSMO_TITLE_UNITS	50

#define SMSMO_HELP		"回复1表示已收到，回复2表示已报送"

/* A delivered job of the sender's, copied out of the store's callback. */
struct smsmo_cand {
	char key[JOB_KEY_LEN];
	enum job_kind kind;
	int64_t due, offset;
	char *campaign, *item, *contact, *channel;	/* owned */
};

struct smsmo_list {
	struct smsmo_cand *v;
	size_t n, cap;
};

/* store_list callback: j's strings die with the call, so copy them. */
static void
smsmo_collect(void *arg, const struct job *j)
{
	struct smsmo_list *l = arg;
	struct smsmo_cand *c;

	if (l->n == l->cap) {
		l->cap = l->cap != 0 ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	c = &l->v[l->n++];
	memcpy(c->key, j->key, JOB_KEY_LEN);
	c->kind = j->kind;
	c->due = j->due;
	c->offset = j->offset;
	c->campaign = xstrdup(j->campaign);
	c->item = xstrdup(j->item);
	c->contact = xstrdup(j->contact);
	c->channel = xstrdup(j->channel);
}

static void
smsmo_list_free(struct smsmo_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].campaign);
		free(l->v[i].item);
		free(l->v[i].contact);
		free(l->v[i].channel);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Is b a copy of the notice a (same contact, item, kind, offset, due)? */
static int
smsmo_same_notice(const struct smsmo_cand *a, const struct smsmo_cand *b)
{
	return a->kind == b->kind && a->due == b->due &&
	    a->offset == b->offset && strcmp(a->campaign, b->campaign) == 0 &&
	    strcmp(a->item, b->item) == 0 &&
	    strcmp(a->contact, b->contact) == 0;
}

/*
 * An incident's notices (taken charge of, resolved) follow the alerts
 * they answer even when due in the same second: taking charge in the
 * second of a repeat wave gives the notice the repeat's due instant.
 */
static int
smsmo_answers_alert(enum job_kind k)
{
	return k == JOB_INCIDENT_ACK || k == JOB_INCIDENT_CLOSE;
}

/*
 * Latest due first, an incident's notice before its alert; copies of one
 * notice next to each other, by key.
 */
static int
smsmo_cand_cmp(const void *pa, const void *pb)
{
	const struct smsmo_cand *a = pa, *b = pb;
	int r;

	if (a->due != b->due)
		return a->due > b->due ? -1 : 1;
	if (smsmo_answers_alert(a->kind) != smsmo_answers_alert(b->kind))
		return smsmo_answers_alert(a->kind) ? -1 : 1;
	if ((r = strcmp(a->campaign, b->campaign)) != 0 ||
	    (r = strcmp(a->item, b->item)) != 0 ||
	    (r = strcmp(a->contact, b->contact)) != 0)
		return r;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->offset != b->offset)
		return a->offset < b->offset ? -1 : 1;
	return strcmp(a->key, b->key);
}

/*
 * "138****8000" for a number, into out (at least 16 bytes): the first
 * three and the last four of its (national) digits.  Anything shorter
 * than seven digits is all stars.
 */
static char *
smsmo_mask(const char *number, char *out, size_t len)
{
	char d[32];
	size_t n = 0;

	for (const char *p = number; *p != '\0' && n < sizeof(d) - 1; p++)
		if (*p >= '0' && *p <= '9')
			d[n++] = *p;
	d[n] = '\0';
	/* "+8613800138000": the 11 national digits. */
	if (strncmp(number, "+86", 3) == 0 && n == 13)
		memmove(d, d + 2, (n -= 2) + 1);
	if (n < 7)
		snprintf(out, len, "****");
	else
		snprintf(out, len, "%.3s****%s", d, d + n - 4);
	return out;
}

/* Append code point cp as UTF-8 to buf (room for 4 more bytes). */
static size_t
smsmo_put_utf8(char *buf, size_t n, uint32_t cp)
{
	if (cp < 0x80)
		buf[n++] = (char)cp;
	else if (cp < 0x800) {
		buf[n++] = (char)(0xc0 | cp >> 6);
		buf[n++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		buf[n++] = (char)(0xe0 | cp >> 12);
		buf[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
		buf[n++] = (char)(0x80 | (cp & 0x3f));
	} else {
		buf[n++] = (char)(0xf0 | cp >> 18);
		buf[n++] = (char)(0x80 | (cp >> 12 & 0x3f));
		buf[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
		buf[n++] = (char)(0x80 | (cp & 0x3f));
	}
	return n;
}

/*
 * UTF-16BE bytes (a UCS-2 SMS) as UTF-8 into out (outlen bytes).
 * Returns 0, or -1 for an odd length, a broken surrogate pair or no room:
 * such a text is no "1" or "2" anyway.
 */
static int
smsmo_from_ucs2(const unsigned char *s, size_t len, char *out, size_t outlen)
{
	size_t n = 0;
	uint32_t cp, lo;

	if (len % 2 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 2) {
		cp = (uint32_t)s[i] << 8 | s[i + 1];
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (i + 3 >= len)
				return -1;
			lo = (uint32_t)s[i + 2] << 8 | s[i + 3];
			if (lo < 0xdc00 || lo > 0xdfff)
				return -1;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		} else if (cp >= 0xdc00 && cp <= 0xdfff)
			return -1;
		if (n + 5 > outlen)
			return -1;
		n = smsmo_put_utf8(out, n, cp);
	}
	out[n] = '\0';
	return 0;
}

static int
smsmo_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The bytes of parameter name in the raw query, URL-decoded with their
 * length into out (outlen bytes): libevent's decoded values end at the
 * first NUL, and UCS-2 text is full of them ("2" is 00 32).  Returns 0,
 * or -1 when absent, malformed or longer than outlen.
 */
static int
smsmo_raw_param(const char *query, const char *name, unsigned char *out,
    size_t outlen, size_t *len)
{
	size_t nl = strlen(name), n = 0;
	const char *p;
	int hi, lo;

	for (p = query; p != NULL && *p != '\0'; p = strchr(p, '&'),
	    p = p != NULL ? p + 1 : NULL) {
		if (strncmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		for (p += nl + 1; *p != '\0' && *p != '&'; p++) {
			if (n == outlen)
				return -1;
			if (*p == '+')
				out[n++] = ' ';
			else if (*p != '%')
				out[n++] = (unsigned char)*p;
			else {
				if ((hi = smsmo_hex(p[1])) == -1 ||
				    (lo = smsmo_hex(p[2])) == -1)
					return -1;
				out[n++] = (unsigned char)(hi << 4 | lo);
				p += 2;
			}
		}
		*len = n;
		return 0;
	}
	return -1;
}

/*
 * What the reply text asks for: ACK_SEEN, ACK_SUBMITTED, or -1 for
 * anything else.  Blanks (ASCII, "+", U+3000) are dropped and full-width
 * digits (U+FF10..U+FF19, EF BC 90..99 in UTF-8) read as ASCII ones.
 */
static int
smsmo_parse(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	char c = '\0';
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
		    p[i] == '\n' || p[i] == '+')
			continue;
		if (i + 2 < len && p[i] == 0xe3 && p[i + 1] == 0x80 &&
		    p[i + 2] == 0x80) {
			i += 2;
			continue;
		}
		if (i + 2 < len && p[i] == 0xef && p[i + 1] == 0xbc &&
		    p[i + 2] >= 0x90 && p[i + 2] <= 0x99) {
			c = (char)('0' + (p[i + 2] - 0x90));
			i += 2;
		} else
			c = (char)p[i];
		if (++n > 1)
			return -1;
	}
	if (n == 1 && c == '1')
		return ACK_SEEN;
	if (n == 1 && c == '2')
		return ACK_SUBMITTED;
	return -1;
}

/* The title of a job's item in m (borrowed), or its id when it is gone. */
static const char *
smsmo_title(const struct model *m, const struct smsmo_cand *c)
{
	const struct model_campaign *cp = model_campaign_find(m, c->campaign);
	struct model_item it;

	if (cp == NULL || model_item_find(cp, c->kind, c->item, &it) == -1)
		return c->item;
	return it.title;
}

/*
 * prefix + title, the title cut to SMSMO_TITLE_UNITS UTF-16 units with
 * "…" when longer.  Caller frees.
 */
static char *
smsmo_answer(const char *prefix, const char *title)
{
	const unsigned char *p = (const unsigned char *)title;
	size_t i = 0, units = 0, step;

	while (p[i] != '\0') {
		step = p[i] < 0x80 ? 1 : p[i] < 0xe0 ? 2 : p[i] < 0xf0 ? 3 : 4;
		if (units + (step == 4 ? 2 : 1) > SMSMO_TITLE_UNITS)
			return xasprintf("%s%.*s…", prefix, (int)i, title);
		units += step == 4 ? 2 : 1;
		/* The model's strings are valid UTF-8; stop at a NUL anyway. */
		while (step-- > 0 && p[i] != '\0')
			i++;
	}
	return xasprintf("%s%s", prefix, title);
}

/*
 * The signature ("【商务部】") our answers carry, as the notices did:
 * that of channel when it is an SMS channel with one, else that of the
 * first SMS channel with one, else "".  Borrowed from m.  Carriers
 * refuse unsigned SMS from an official sender, and Kannel sends our
 * answer as it is, without the sms plugin that signs the notices.
 */
static const char *
smsmo_signature(const struct model *m, const char *channel)
{
	const char *first = NULL;

	for (size_t i = 0; i < m->n_channels; i++) {
		const struct model_channel *ch = &m->channels[i];

		if (strcmp(ch->plugin, "sms") != 0)
			continue;
		for (size_t k = 0; k < ch->conf.n_settings; k++) {
			const struct herald_setting *st = &ch->conf.settings[k];

			if (strcmp(st->name, "signature") != 0 ||
			    st->type != HERALD_SETTING_STRING)
				continue;
			if (channel != NULL && strcmp(ch->name, channel) == 0)
				return st->str;
			if (first == NULL)
				first = st->str;
		}
	}
	return first != NULL ? first : "";
}

/* Answer 200 text/plain with sig + body (body may be empty: Kannel sends
 * nothing). */
static void
smsmo_reply(struct evhttp_request *req, const char *sig, const char *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	/* UCS-2, or Kannel squeezes the Chinese into GSM 7-bit. */
	if (*body != '\0')
		evhttp_add_header(h, "X-Kannel-Coding", "2");
	if (b != NULL && *body != '\0')
		evbuffer_add_printf(b, "%s%s", sig, body);
	evhttp_send_reply(req, 200, "OK", b);
	if (b != NULL)
		evbuffer_free(b);
}


/*
 * Every delivered job of every contact whose phone is number into l.
 * *n_contacts says how many contacts matched; *first names the first.
 * Returns 0, or -1 when the store failed.
 */
static int
smsmo_gather(struct engine *e, const struct model *m, const char *number,
    struct smsmo_list *l, size_t *n_contacts, const char **first)
{
	struct store *s = engine_store(e);
	struct store_filter f;
	char norm[32], err[128];

	*n_contacts = 0;
	*first = NULL;
	for (size_t i = 0; i < m->n_contacts; i++) {
		const struct model_contact *c = &m->contacts[i];

		if (c->phone == NULL || phone_normalize(c->phone, norm,
		    sizeof(norm), err, sizeof(err)) == -1 ||
		    strcmp(norm, number) != 0)
			continue;
		if ((*n_contacts)++ == 0)
			*first = c->id;
		memset(&f, 0, sizeof(f));
		f.contact = c->id;
		f.state = JOB_DELIVERED;
		if (store_list(s, &f, smsmo_collect, l) == -1)
			return -1;
	}
	return 0;
}

/*
 * Is the notice l->v[i..*end) (copies of one notice) open for action a?
 * Sets *end past its copies.  Returns 1 open, 0 closed, -1 store failure.
 */
static int
smsmo_is_open(struct store *s, const struct model *m,
    const struct smsmo_list *l, size_t i, size_t *end, enum ack_action a)
{
	const struct smsmo_cand *c = &l->v[i];
	int done = 0;

	for (*end = i + 1; *end < l->n && smsmo_same_notice(c, &l->v[*end]);
	    (*end)++)
		;
	if (a == ACK_SUBMITTED && !ack_kind_has_deadline(c->kind))
		return 0;
	if (ack_kind_has_deadline(c->kind)) {
		if (submission_is_done(s, m, c->campaign, c->item,
		    c->contact, &done, NULL) == -1)
			return -1;
		if (done)
			return 0;
	}
	if (a == ACK_SUBMITTED)
		return 1;
	for (size_t k = i; k < *end; k++) {
		if (store_is_acked(s, l->v[k].key, &done, NULL) == -1)
			return -1;
		if (done)
			return 0;
	}
	return 1;
}

/*
 * The answer to a "1" on an incident's alert, which took charge of it
 * (incident_ack() through ack.c): "已接手：" + the plan, or, when someone
 * was first, who and when.  Logs the outcome.  Caller frees.
 */
static char *
smsmo_incident_answer(struct engine *e, const struct model *m,
    const struct ack_outcome *out, const struct smsmo_cand *c,
    const char *masked)
{
	const struct model_campaign *cp = model_campaign_find(m, c->campaign);
	const struct model_contact *k;
	struct incident *inc = NULL;
	const char *by;
	char err[128], prefix[INCIDENT_WHO_MAX + 64], hhmm[8] = "";
	struct civil cv;
	char *answer;

	if (out->result == ACK_OK) {
		log_info("sms reply from %s (contact %s): took charge of "
		    "incident %s (job %s)", masked, c->contact, out->incident,
		    c->key);
		return smsmo_answer("已接手：", smsmo_title(m, c));
	}
	log_info("sms reply from %s (contact %s): incident %s (job %s) "
	    "taken charge of already", masked, c->contact, out->incident,
	    c->key);
	if (incident_get(e, out->incident, &inc, err, sizeof(err)) !=
	    INCIDENT_OK || inc->v.acked_by == NULL) {
		incident_free(inc);
		return smsmo_answer("已有人接手：", smsmo_title(m, c));
	}
	k = model_contact_find(m, inc->v.acked_by);
	by = k != NULL && k->name != NULL ? k->name : inc->v.acked_by;
	if (civil_from_instant(inc->v.acked_at, cp != NULL ? cp->timezone :
	    m->daemon.timezone, &cv, NULL) == 0)
		snprintf(hhmm, sizeof(hhmm), "%02d:%02d", cv.hour, cv.min);
	snprintf(prefix, sizeof(prefix), "已由%s于%s接手：", by, hhmm);
	answer = smsmo_answer(prefix, smsmo_title(m, c));
	incident_free(inc);
	return answer;
}

void
api_sms_mo(struct evhttp_request *req, void *arg)
{
	static const char *const allowed[] = { "from", "to", "text", "coding",
	    "token", NULL };
	struct api_ctx *ctx = arg;
	struct engine *e = ctx->engine;
	const struct model *m = engine_model(e);
	struct store *s = engine_store(e);
	struct evkeyvalq q;
	struct smsmo_list l = { 0 };
	struct ack_outcome out;
	const char *from, *text, *coding, *contact;
	char number[32], masked[32], err[128], decoded[64], *answer = NULL;
	unsigned char raw[32];
	size_t n_contacts, i, end, rawlen = 0;
	int64_t now = engine_time(e);
	int action, open = 0;

	if (m->daemon.sms_reply_token == NULL) {
		httpd_reply_error(req, 404, "SMS replies are off");
		return;
	}
	if (api_query(req, &q, allowed) == -1)
		return;
	if (!api_secret_equal(m->daemon.sms_reply_token,
	    m->daemon.sms_reply_token_len, evhttp_find_header(&q, "token"))) {
		log_notice("sms reply refused: wrong or missing token");
		httpd_reply_error(req, 403, "wrong token");
		goto done;
	}
	if ((from = evhttp_find_header(&q, "from")) == NULL || *from == '\0') {
		httpd_reply_error(req, 400, "missing parameter \"from\"");
		goto done;
	}
	if ((text = evhttp_find_header(&q, "text")) == NULL)
		text = "";
	coding = evhttp_find_header(&q, "coding");
	if (coding != NULL && strcmp(coding, "2") == 0)
		action = smsmo_raw_param(evhttp_uri_get_query(
		    evhttp_request_get_evhttp_uri(req)), "text", raw,
		    sizeof(raw), &rawlen) == -1 || smsmo_from_ucs2(raw,
		    rawlen, decoded, sizeof(decoded)) == -1 ? -1 :
		    smsmo_parse(decoded, strlen(decoded));
	else
		action = smsmo_parse(text, strlen(text));

	/* A sender that is no number is no contact either. */
	n_contacts = 0;
	contact = NULL;
	if (phone_normalize(from, number, sizeof(number), err,
	    sizeof(err)) == -1)
		number[0] = '\0';
	smsmo_mask(number[0] != '\0' ? number : from, masked, sizeof(masked));
	if (number[0] != '\0' && smsmo_gather(e, m, number, &l, &n_contacts,
	    &contact) == -1) {
		log_warnx("sms reply from %s: %s", masked, store_error(s));
		httpd_reply_error(req, 500, "store: %s", store_error(s));
		goto done;
	}
	if (n_contacts == 0) {
		log_notice("sms reply from unknown number %s ignored", masked);
		smsmo_reply(req, "", "");
		goto done;
	}
	if (action == -1) {
		log_info("sms reply from %s (contact %s): neither 1 nor 2, "
		    "help sent", masked, contact);
		smsmo_reply(req, smsmo_signature(m, NULL), SMSMO_HELP);
		goto done;
	}

	qsort(l.v, l.n, sizeof(*l.v), smsmo_cand_cmp);
	for (i = 0; i < l.n; i = end) {
		if (l.v[i].due > now) {
			end = i + 1;
			continue;
		}
		if ((open = smsmo_is_open(s, m, &l, i, &end, action)) != 0)
			break;
	}
	if (open == -1) {
		log_warnx("sms reply from %s: %s", masked, store_error(s));
		httpd_reply_error(req, 500, "store: %s", store_error(s));
		goto done;
	}
	if (!open) {
		log_info("sms reply from %s (contact %s): %s, but nothing is "
		    "open", masked, contact, ack_action_name(action));
		smsmo_reply(req, smsmo_signature(m, NULL),
		    action == ACK_SUBMITTED ? "没有待报送的通知" :
		    "没有待确认的通知");
		goto done;
	}

	if (ack_apply(e, l.v[i].key, action, "sms", &out) == -1) {
		if (out.result == ACK_ERROR) {
			log_warnx("sms reply from %s: job %s: %s", masked,
			    l.v[i].key, out.detail);
			httpd_reply_error(req, 500, "%s", out.detail);
			goto done;
		}
		/* Cancelled between the look and the ack: a race with a
		 * reload, nothing the sender can act on. */
		log_info("sms reply from %s: job %s: %s", masked, l.v[i].key,
		    out.detail);
		smsmo_reply(req, smsmo_signature(m, l.v[i].channel),
		    "没有待确认的通知");
		goto done;
	}
	/* The other copies of the notice are seen too. */
	for (size_t k = i + 1; k < end; k++) {
		struct ack_outcome o2;

		if (ack_apply(e, l.v[k].key, ACK_SEEN, "sms", &o2) == -1 &&
		    o2.result == ACK_ERROR)
			log_warnx("sms reply from %s: job %s: %s", masked,
			    l.v[k].key, o2.detail);
	}
	if (out.incident[0] != '\0' && out.kind == JOB_EMERGENCY) {
		answer = smsmo_incident_answer(e, m, &out, &l.v[i], masked);
		smsmo_reply(req, smsmo_signature(m, l.v[i].channel), answer);
		goto done;
	}
	if (action == ACK_SUBMITTED)
		log_info("sms reply from %s (contact %s): submitted job %s%s, "
		    "%zu notices cancelled", masked, l.v[i].contact,
		    l.v[i].key, out.result == ACK_ALREADY ? " (already)" : "",
		    out.n_cancelled);
	else
		log_info("sms reply from %s (contact %s): seen job %s%s",
		    masked, l.v[i].contact, l.v[i].key,
		    out.result == ACK_ALREADY ? " (already)" : "");
	answer = smsmo_answer(action == ACK_SUBMITTED ? "已报送登记：" :
	    "已收到确认：", smsmo_title(m, &l.v[i]));
	smsmo_reply(req, smsmo_signature(m, l.v[i].channel), answer);
done:
	free(answer);
	smsmo_list_free(&l);
	evhttp_clear_headers(&q);
}
