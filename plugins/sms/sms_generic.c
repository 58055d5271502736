/*
 * sms_generic.c - the sms channel's generic HTTP gateway: its settings and
 * the request of one group of parts.  Templates are expanded by smsgw.c;
 * numbers, signature, segment counting and sending are sms.c's.
 *
 * Generic gateway (gateway = "generic"): any provider's HTTP API, the
 * request written as templates (smsgw.c).  Numbers, signature, segment
 * counting and the cap are the same as for Kannel; the provider does its
 * own concatenation, so one request carries the whole text (one request
 * per group of max_segments parts with split = true).  It has no
 * delivery reports.  Outcomes as sms.c says; with success_json a 2xx answer
 * must also carry the named top-level JSON field, else permanent.
 *   gateway       = "generic";          "kannel" (default) or "generic"
 *   method        = "POST";             or "GET"
 *   url           = "https://...";      required
 *   body          = "{...{{text}}...}"; POST: the body template
 *   query         = "to={{to}}&...";    GET: the query template
 *   content_type  = "application/json"; of the POST body
 *   headers       = [ "Authorization: Bearer {{password}}" ];
 *   password_file = "...";              for {{password}}; first line
 *   success_json  = "code=0";           optional answer check
 * Placeholders: {{to}} {{to_national}} {{text}} {{body}} {{signature}}
 * {{key}} {{password}} {{part}} {{parts}}.  Bodies with a JSON content
 * type get JSON string escaping, others and queries percent-encoding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "herald-plugin.h"
#include "../common/plugin_util.h"
#include "smsgw.h"
#include "sms.h"

/* Does any generic template use {{password}}?  (Then it is required.) */
int
sms_uses_password(const struct sms_channel *sc)
{
	static const char p[] = "{{password}}";

	if (sc->body_tmpl != NULL && strstr(sc->body_tmpl, p) != NULL)
		return 1;
	if (sc->query_tmpl != NULL && strstr(sc->query_tmpl, p) != NULL)
		return 1;
	for (size_t i = 0; i < sc->n_headers; i++)
		if (strstr(sc->headers[i], p) != NULL)
			return 1;
	return 0;
}

#define SMS_GEN_ROW(n, t, f) HERALD_CONF_ROW(struct sms_settings, n, t, f)
static const struct herald_conf_row sms_generic_rows[] = {
	{ SMS_GEN_ROW("method", STRING, method) },
	{ SMS_GEN_ROW("body", STRING, body) },
	{ SMS_GEN_ROW("query", STRING, query) },
	{ SMS_GEN_ROW("content_type", STRING, ctype) },
	{ SMS_GEN_ROW("headers", LIST, headers), .bad = "\"headers\" must be "
	    "a list of \"Name: value\" strings" },
	{ SMS_GEN_ROW("success_json", STRING, success) },
};
#define SMS_GEN_N_ROWS (sizeof(sms_generic_rows) / sizeof(sms_generic_rows[0]))

void
sms_generic_find(const struct herald_host *host,
    const struct herald_channel_conf *conf, struct sms_settings *set)
{
	herald_conf_find(host, conf, sms_generic_rows, SMS_GEN_N_ROWS, set);
}

int
sms_generic_refuse(const struct herald_host *host,
    const struct herald_channel_conf *conf, const struct sms_settings *set)
{
	const struct herald_conf_value *v;
	int ok = 1;

	for (size_t i = 0; i < SMS_GEN_N_ROWS; i++) {
		v = (const struct herald_conf_value *)((const char *)set +
		    sms_generic_rows[i].offset);
		if (v->at != NULL) {
			host->conf_error(conf, v->at, "\"%s\" needs "
			    "gateway = \"generic\"", v->at->name);
			ok = 0;
		}
	}
	return ok;
}

/*
 * The generic gateway's settings into sc; 0 on error (reported).  The
 * Kannel-only settings are refused here, the others checked by the caller.
 */
int
sms_open_generic(struct sms_channel *sc, struct sms_settings *set)
{
	const struct herald_host *host = sc->host;
	const struct herald_channel_conf *conf = sc->conf;
	const struct herald_conf_value *kannel[] = { &set->user, &set->from,
	    &set->dlr, &set->mask, &set->smsc };
	const struct herald_setting *headers = set->headers.at;
	const char *m, *b, *q, *ct, *sj;
	char err[256];
	int ok;

	ok = herald_conf_check(host, conf, sms_generic_rows, SMS_GEN_N_ROWS,
	    set);
	for (size_t i = 0; i < sizeof(kannel) / sizeof(kannel[0]); i++)
		if (kannel[i]->at != NULL) {
			host->conf_error(conf, kannel[i]->at, "\"%s\" is a "
			    "Kannel setting; not used with gateway = "
			    "\"generic\"", kannel[i]->at->name);
			ok = 0;
		}
	sc->method = "POST";
	if ((m = set->method.str) != NULL) {
		if (strcmp(m, "POST") == 0 || strcmp(m, "GET") == 0)
			sc->method = strcmp(m, "GET") == 0 ? "GET" : "POST";
		else {
			host->conf_error(conf, set->method.at, "\"method\" must be "
			    "\"POST\" or \"GET\"");
			ok = 0;
		}
	}
	b = set->body.str;
	q = set->query.str;
	ct = set->ctype.str;
	if (strcmp(sc->method, "POST") == 0 && set->body.at == NULL) {
		host->conf_error(conf, NULL, "gateway = \"generic\" with method "
		    "POST needs a \"body\" template, e.g. "
		    "'{\"to\":\"{{to}}\",\"text\":\"{{text}}\"}'");
		ok = 0;
	}
	if (strcmp(sc->method, "GET") == 0 && (set->body.at != NULL ||
	    set->ctype.at != NULL)) {
		host->conf_error(conf, set->body.at != NULL ? set->body.at :
		    set->ctype.at, "\"%s\" needs method = \"POST\" (GET "
		    "sends a \"query\")", set->body.at != NULL ? "body" :
		    "content_type");
		ok = 0;
	}
	if (b != NULL && smsgw_check(b, err, sizeof(err)) == -1) {
		host->conf_error(conf, set->body.at, "\"body\": %s", err);
		ok = 0;
	}
	if (q != NULL && smsgw_check(q, err, sizeof(err)) == -1) {
		host->conf_error(conf, set->query.at, "\"query\": %s", err);
		ok = 0;
	}
	if (ct != NULL && strpbrk(ct, "\r\n") != NULL) {
		host->conf_error(conf, set->ctype.at, "\"content_type\" must "
		    "be one line");
		ok = 0;
	}
	if (set->headers.is_set) {
		if ((sc->headers = calloc(headers->n_items + 1,
		    sizeof(*sc->headers))) == NULL)
			goto oom;
		for (size_t i = 0; i < headers->n_items; i++) {
			const char *h = headers->items[i];
			const char *colon = strchr(h, ':');

			if (colon == NULL || colon == h ||
			    strpbrk(h, "\r\n") != NULL ||
			    strcspn(h, " \t") < (size_t)(colon - h)) {
				host->conf_error(conf, headers,
				    "\"headers\" item %zu is not "
				    "\"Name: value\"", i + 1);
				ok = 0;
			} else if (smsgw_check(h, err,
			    sizeof(err)) == -1) {
				host->conf_error(conf, headers,
				    "\"headers\" item %zu: %s", i + 1,
				    err);
				ok = 0;
			}
			if ((sc->headers[i] = strdup(h)) == NULL)
				goto oom;
			sc->n_headers++;
		}
	}
	if ((sj = set->success.str) != NULL &&
	    smsgw_parse_success(sj, &sc->succ_field, &sc->succ_value) == -1) {
		host->conf_error(conf, set->success.at, "\"success_json\" must be "
		    "\"field=value\", e.g. \"code=0\"");
		ok = 0;
	}
	if (!sms_keep(&sc->body_tmpl, b) || !sms_keep(&sc->query_tmpl, q) ||
	    !sms_keep(&sc->content_type, ct != NULL ? ct : "application/json"))
		goto oom;
	return ok;
oom:
	host->conf_error(conf, NULL, "out of memory");
	return 0;
}

/*
 * The generic gateway's request i of ss: the group of parts text[a, b)
 * as one request.  0, or -1 with a reason (naming no value) in err.
 */
int
sms_generic_req(struct sms_send *ss, size_t i, const struct herald_message *msg,
    const char *to, const char *text, size_t a, size_t b, unsigned parts,
    char *err, size_t errlen)
{
	const struct sms_channel *sc = ss->sc;
	size_t siglen = sc->signature != NULL ? strlen(sc->signature) : 0;
	struct smsgw_vars v = {
		.to = to,
		.to_national = strncmp(to, "+86", 3) == 0 && strlen(to) == 14 ?
		    to + 3 : NULL,
		.text = text + a,
		.text_len = b - a,
		.signature = sc->signature,
		.key = msg->key,
		.password = sc->password,
		.part = (unsigned)i + 1,
		.parts = parts,
	};
	char *q = NULL, **h;
	size_t nh = 0, bs = a;

	/* {{body}}: without the signature, which only the first group has. */
	if (bs < siglen)
		bs = siglen < b ? siglen : b;
	v.body = text + bs;
	v.body_len = b - bs;
	if (sc->query_tmpl != NULL) {
		if (smsgw_expand(sc->query_tmpl, SMSGW_QUERY, &v, &q, err,
		    errlen) == -1)
			return -1;
		if (asprintf(&ss->urls[i], "%s%s%s", sc->url,
		    strchr(sc->url, '?') != NULL ? "&" : "?", q) < 0)
			ss->urls[i] = NULL;
		sms_wipe(q);
	} else
		ss->urls[i] = strdup(sc->url);
	if (ss->urls[i] == NULL)
		goto oom;
	if (sc->body_tmpl != NULL && smsgw_expand(sc->body_tmpl,
	    strcasestr(sc->content_type, "json") != NULL ? SMSGW_JSON :
	    SMSGW_QUERY, &v, &ss->bodies[i], err, errlen) == -1)
		return -1;
	if ((h = ss->hdrs[i] = calloc(sc->n_headers + 2, sizeof(*h))) == NULL)
		goto oom;
	for (size_t j = 0; j < sc->n_headers; j++)
		if (smsgw_expand(sc->headers[j], SMSGW_HEADER, &v, &h[nh++],
		    err, errlen) == -1)
			return -1;
	if (strcmp(sc->method, "POST") == 0 && asprintf(&h[nh],
	    "Content-Type: %s", sc->content_type) < 0) {
		h[nh] = NULL;
		goto oom;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}
