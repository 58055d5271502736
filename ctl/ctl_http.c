/*
 * ctl_http.c - heraldctl's HTTP client of the control API (doc/api.txt):
 * one libcurl easy handle, blocking, one request at a time.
 *
 * A command line tool waits for its answer anyway, so the easy API is
 * enough; the multi interface the daemon uses would add nothing.  The
 * token goes into an Authorization header only, is never printed (no
 * CURLOPT_VERBOSE, error texts are libcurl's, which do not quote headers)
 * and is wiped from memory when the client is freed.  Redirects are not
 * followed: the API has none, and following one could carry the bearer
 * token to another host.
 *
 * The functions at the end, ctl_call() and ctl_fail(), are the commands'
 * common first step and report on stderr; the ones before return errors.
 */
#include "ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "xmalloc.h"

#define CTL_CONNECT_TIMEOUT	5L	/* seconds */
#define CTL_TOTAL_TIMEOUT	30L

struct ctl_client {
	CURL		  *curl;
	char		  *base;	/* the URL without a trailing "/" */
	struct curl_slist *auth;	/* "Authorization: Bearer ..." or NULL */
};

/* Growing buffer for the answer's body. */
struct ctl_buf {
	char	*p;
	size_t	 len, cap;
};

static size_t
ctl_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct ctl_buf *b = arg;
	size_t n = size * nmemb;

	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

struct ctl_client *
ctl_client_new(const char *url, const char *token, char *err, size_t errlen)
{
	struct ctl_client *c;
	char *h;
	size_t n;

	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		snprintf(err, errlen, "the server URL \"%s\" is not http:// "
		    "or https://", url);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	if ((c->curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot initialise libcurl");
		free(c);
		return NULL;
	}
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	c->base = xstrndup(url, n);
	if (token != NULL) {
		h = xasprintf("Authorization: Bearer %s", token);
		c->auth = curl_slist_append(NULL, h);
		explicit_bzero(h, strlen(h));
		free(h);
		if (c->auth == NULL) {
			snprintf(err, errlen, "out of memory");
			ctl_client_free(c);
			return NULL;
		}
	}
	return c;
}

void
ctl_client_free(struct ctl_client *c)
{
	if (c == NULL)
		return;
	/* libcurl keeps its own copy of the header: wipe that too. */
	if (c->auth != NULL)
		explicit_bzero(c->auth->data, strlen(c->auth->data));
	curl_slist_free_all(c->auth);
	curl_easy_cleanup(c->curl);
	free(c->base);
	free(c);
}

char *
ctl_token_read(const char *path, int *loose, char *err, size_t errlen)
{
	struct stat st;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "token file %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	*loose = fstat(fileno(fp), &st) == 0 && (st.st_mode & 0077) != 0;
	n = getline(&line, &cap, fp);
	fclose(fp);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n <= 0) {
		snprintf(err, errlen, "token file %s: the first line is empty",
		    path);
		if (line != NULL)
			explicit_bzero(line, cap);
		free(line);
		return NULL;
	}
	return line;
}

char *
ctl_escape(struct ctl_client *c, const char *s)
{
	char *e = curl_easy_escape(c->curl, s, 0), *r;

	if (e == NULL) {
		fprintf(stderr, "heraldctl: out of memory\n");
		abort();
	}
	r = xstrdup(e);
	curl_free(e);
	return r;
}

int
ctl_request(struct ctl_client *c, const char *method, const char *path,
    const json_t *body, struct ctl_reply *r, char *err, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "", *url = NULL, *data = NULL;
	struct curl_slist *hdrs = NULL, *h;
	struct ctl_buf b = { 0 };
	CURLcode rc;
	int ret = CTL_OK;

	memset(r, 0, sizeof(*r));
	curl_easy_reset(c->curl);
	url = xasprintf("%s%s", c->base, path);
	for (h = c->auth; h != NULL; h = h->next)
		hdrs = curl_slist_append(hdrs, h->data);
	if (body != NULL) {
		if ((data = json_dumps(body, JSON_COMPACT)) == NULL) {
			snprintf(err, errlen, "cannot encode the request");
			ret = CTL_EUSAGE;
			goto done;
		}
		hdrs = curl_slist_append(hdrs,
		    "Content-Type: application/json");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, data);
	}
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "heraldctl/"
	    PACKAGE_VERSION);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, CTL_CONNECT_TIMEOUT);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, CTL_TOTAL_TIMEOUT);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, ctl_write_cb);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(c->curl);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", c->base, cerr[0] != '\0' ?
		    cerr : curl_easy_strerror(rc));
		ret = rc == CURLE_URL_MALFORMAT ||
		    rc == CURLE_UNSUPPORTED_PROTOCOL ? CTL_EUSAGE :
		    CTL_ECONNECT;
		free(b.p);
		goto done;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->code);
	r->body = b.p != NULL ? b.p : xstrdup("");
	r->len = b.len;
	r->json = json_loadb(r->body, r->len, 0, NULL);
done:
	/* Our copy of the Authorization header: wipe it like the other. */
	for (h = hdrs; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(hdrs);
	free(data);
	free(url);
	return ret;
}

void
ctl_reply_clear(struct ctl_reply *r)
{
	json_decref(r->json);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int
ctl_reply_exit(const struct ctl_reply *r)
{
	if (r->code >= 200 && r->code < 300)
		return CTL_OK;
	if (r->code == 401 || r->code == 403)
		return CTL_EAUTH;
	return CTL_ESERVER;
}

const char *
ctl_reply_error(const struct ctl_reply *r, char *buf, size_t len)
{
	const char *s = json_string_value(json_object_get(r->json, "error"));
	size_t n;

	if (s != NULL)
		return s;
	/* Not the API's error object: a proxy, or not heraldd at all. */
	n = strcspn(r->body != NULL ? r->body : "", "\r\n");
	if (n == 0)
		snprintf(buf, len, "HTTP status %ld", r->code);
	else
		snprintf(buf, len, "HTTP status %ld: %.*s", r->code,
		    (int)(n > 200 ? 200 : n), r->body);
	return buf;
}

int
ctl_fail(const struct ctl_args *a, const struct ctl_reply *r)
{
	char buf[300];
	const json_t *e;
	size_t i;

	if (a->json && r->json != NULL) {
		json_dumpf(r->json, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	fprintf(stderr, "heraldctl: %s (HTTP %ld)\n", ctl_reply_error(r, buf,
	    sizeof(buf)), r->code);
	/* reload's 422 lists every file:line error. */
	json_array_foreach(json_object_get(r->json, "errors"), i, e)
		fprintf(stderr, "  %s\n", json_string_value(e));
	return ctl_reply_exit(r);
}

int
ctl_call(struct ctl_args *a, const char *method, const char *path,
    const json_t *body, struct ctl_reply *r)
{
	char err[CURL_ERROR_SIZE + 300];
	int rc;

	rc = ctl_request(a->client, method, path, body, r, err, sizeof(err));
	if (rc != CTL_OK) {
		fprintf(stderr, "heraldctl: %s\n", err);
		return rc;
	}
	if ((rc = ctl_reply_exit(r)) != CTL_OK) {
		rc = ctl_fail(a, r);
		ctl_reply_clear(r);
		return rc;
	}
	if (r->json == NULL) {
		fprintf(stderr, "heraldctl: the answer of %s %s is not JSON\n",
		    method, path);
		ctl_reply_clear(r);
		return CTL_ESERVER;
	}
	return CTL_OK;
}

void
ctl_print_json(const json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2));
	putchar('\n');
}

int
ctl_get_pages(struct ctl_args *a, const char *path, size_t max, json_t **out)
{
	json_t *all = NULL, *jobs, *page_jobs, *next;
	struct ctl_reply r;
	char *url = xstrdup(path), *e;
	size_t n;
	int rc;

	for (;;) {
		if ((rc = ctl_call(a, "GET", url, NULL, &r)) != CTL_OK)
			goto fail;
		page_jobs = json_object_get(r.json, "jobs");
		if (all == NULL) {
			all = json_incref(r.json);
		} else {
			jobs = json_object_get(all, "jobs");
			json_array_extend(jobs, page_jobs);
			json_object_set(all, "truncated",
			    json_object_get(r.json, "truncated"));
			json_object_set(all, "next", json_object_get(r.json,
			    "next"));
		}
		next = json_object_get(r.json, "next");
		jobs = json_object_get(all, "jobs");
		n = json_array_size(jobs);
		if (max > 0 && n >= max) {
			/* A last page may bring more than asked. */
			if (n > max) {
				while (json_array_size(jobs) > max)
					json_array_remove(jobs,
					    json_array_size(jobs) - 1);
				json_object_set_new(all, "truncated",
				    json_true());
			}
			next = NULL;
		}
		if (!json_is_string(next)) {
			ctl_reply_clear(&r);
			break;
		}
		e = ctl_escape(a->client, json_string_value(next));
		free(url);
		url = xasprintf("%s%cafter=%s", path, strchr(path, '?') ?
		    '&' : '?', e);
		free(e);
		ctl_reply_clear(&r);
	}
	json_object_set_new(all, "count", json_integer((json_int_t)
	    json_array_size(json_object_get(all, "jobs"))));
	free(url);
	*out = all;
	return CTL_OK;
fail:
	json_decref(all);
	free(url);
	return rc;
}
