/*
 * email.c - the "email" channel: messages over SMTP through libESMTP.
 *
 * libESMTP's smtp_start_session() blocks for the whole dialogue, so the
 * sessions run on the host's worker threads (host->offload) and their
 * outcomes come back on the loop, where done() completes each send.
 *
 * send() renders the message on the loop (mime.c), queues it on the
 * channel and offloads one session job.  A worker starting a session
 * takes every message waiting in the queue, up to "batch", so messages
 * that pile up while the workers are busy share one connection; each
 * keeps its own envelope and its own outcome, so one refused recipient
 * fails only its message.  A session job that finds the queue empty (its
 * message went out with an earlier batch) does nothing.
 *
 * Outcomes come from libESMTP's per-message and per-recipient status, not
 * from the session's return value, which says "success" even when TLS or
 * AUTH failed: 2xx delivered; 4xx, refused connections and timeouts are
 * transient, except a session lost after the recipient was accepted,
 * which may have delivered the message (HERALD_UNCERTAIN, ABI 1.4); 5xx
 * permanent; a server that does not offer STARTTLS when it is required,
 * or a certificate we do not trust, is permanent with a reason that says
 * so.
 *
 * libESMTP facts this code relies on (../shared/PEERS.md): include
 * <openssl/ssl.h> and <auth-client.h> before <libesmtp.h>; always hand it
 * our own SSL_CTX (its own one is used after free), capped at TLS 1.2 (a
 * TLS 1.3 handshake sometimes stalls); timeouts are in milliseconds; AUTH
 * needs AUTH_PLUGIN_PLAIN allowed; one auth context per session.
 * libESMTP 1.1 has no implicit TLS (smtps), so "tls = true" is refused.
 *
 * Settings:
 *   server           = "smtp.example.gov.cn:587";  required, host:port
 *   from             = "消费促进司 <xfcj@example.gov.cn>";  required
 *   reply_to         = "desk@example.gov.cn";  optional
 *   starttls         = "required";  "required" (default), "if-available", "no"
 *   tls              = false;   implicit TLS: not supported by libESMTP 1.1
 *   user             = "xfcj";  optional: AUTH PLAIN/LOGIN with...
 *   password_file    = "secrets/smtp.pw";  ...this file's first line
 *   ca_file          = "certs/ca.pem";  optional; default: system CAs
 *   connect_timeout  = "10s";   greeting wait (libESMTP has no connect timer)
 *   transfer_timeout = "60s";   every later wait
 *   batch            = 16;      most messages per SMTP session
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

#include <openssl/ssl.h>
#include <auth-client.h>
#include <libesmtp.h>

#include "herald-plugin.h"
#include "herald-plugin-conf.h"
#include "../common/plugin_util.h"
#include "mime.h"

#define EMAIL_BATCH_DEFAULT 16
#define EMAIL_REASON_MAX 256

struct email_job;

struct email_channel {
	const struct herald_host *host;
	const struct herald_channel_conf *conf;
	char *server;
	enum starttls_option starttls;
	char *user, *password;
	char *from_display, *from_addr, *reply_to;
	const char *id_domain;		/* in from_addr */
	long connect_ms, transfer_ms;
	unsigned batch;
	SSL_CTX *ssl;

	mtx_t mu;			/* guards the queue: workers take from it */
	struct email_job *head, *tail;
};

/* One message; the worker fills the outcome, done() reports it. */
struct email_job {
	struct email_channel *ec;
	struct herald_completion *c;
	char *text;			/* the whole message, CRLF */
	char *rcpt;
	smtp_message_t m;
	smtp_recipient_t r;
	enum herald_outcome outcome;
	char reason[EMAIL_REASON_MAX];
	struct email_job *next;
};

/* What one session saw happen, from libESMTP's event callback. */
struct email_session {
	int starttls_missing;
	int tls_ok;
	const char *tls_problem;	/* a static string, or NULL */
};

struct email_batch {
	struct email_channel *ec;
	struct email_job *jobs;		/* taken from the queue by the worker */
};

static void
email_job_free(struct email_job *j)
{
	if (j == NULL)
		return;
	free(j->text);
	free(j->rcpt);
	free(j);
}

static void
email_free(struct email_channel *ec)
{
	if (ec == NULL)
		return;
	if (ec->ssl != NULL)
		SSL_CTX_free(ec->ssl);
	if (ec->password != NULL)
		explicit_bzero(ec->password, strlen(ec->password));
	free(ec->password);
	free(ec->user);
	free(ec->server);
	free(ec->from_display);
	free(ec->from_addr);
	free(ec->reply_to);
	mtx_destroy(&ec->mu);
	free(ec);
}

/* The block's settings, one value per row of email_rows. */
struct email_settings {
	struct herald_conf_value server, from, reply_to, starttls, tls, user,
	    pwfile, ca, cto, tto, batch;
};

#define EMAIL_ROW(n, t, f) HERALD_CONF_ROW(struct email_settings, n, t, f)
static const struct herald_conf_row email_rows[] = {
	{ EMAIL_ROW("server", STRING, server),
	    .missing = "missing \"server\" (host:port)" },
	{ EMAIL_ROW("from", STRING, from), .missing = "missing \"from\" "
	    "(e.g. \"Name <sender@example.gov.cn>\")" },
	{ EMAIL_ROW("reply_to", STRING, reply_to) },
	{ EMAIL_ROW("starttls", STRING, starttls) },
	/* Only "false" is accepted; email_open() says why. */
	{ EMAIL_ROW("tls", ANY, tls) },
	{ EMAIL_ROW("user", STRING, user) },
	{ EMAIL_ROW("password_file", STRING, pwfile) },
	{ EMAIL_ROW("ca_file", STRING, ca) },
	{ EMAIL_ROW("connect_timeout", DURATION, cto), .def = 10000,
	    .max = 86400000 },
	{ EMAIL_ROW("transfer_timeout", DURATION, tto), .def = 60000,
	    .max = 86400000, .bad = "\"transfer_timeout\" must be a "
	    "duration like \"60s\"" },
	{ EMAIL_ROW("batch", INT, batch), .def = EMAIL_BATCH_DEFAULT,
	    .min = 1, .max = 1000 },
};

static int
email_open(const struct herald_host *host, const struct herald_channel_conf *conf,
    void **state)
{
	struct email_settings set;
	const struct herald_setting *tls;
	const char *v, *ca_path_s, *pw_s;
	struct email_channel *ec;
	char *display = NULL, *addr = NULL, *path = NULL, err[512];
	int ok;

	if (host->size <= offsetof(struct herald_host, offload) ||
	    host->offload == NULL) {
		host->conf_error(conf, NULL, "the email channel needs a host "
		    "with worker offload (herald ABI 1.1 or later)");
		return -1;
	}
	ok = herald_conf_read(host, conf, email_rows,
	    sizeof(email_rows) / sizeof(email_rows[0]), &set);

	if ((ec = calloc(1, sizeof(*ec))) == NULL ||
	    mtx_init(&ec->mu, mtx_plain) != thrd_success) {
		free(ec);
		host->conf_error(conf, NULL, "out of memory");
		return -1;
	}
	ec->host = host;
	ec->conf = conf;
	ec->starttls = Starttls_REQUIRED;
	ec->connect_ms = set.cto.num;
	ec->transfer_ms = set.tto.num;
	ec->batch = (unsigned)set.batch.num;

	if ((v = set.server.str) != NULL) {
		if (strchr(v, ':') == NULL || strpbrk(v, " \t\r\n") != NULL) {
			host->conf_error(conf, set.server.at, "\"server\" must "
			    "be host:port, e.g. \"smtp.example.gov.cn:587\"");
			ok = 0;
		} else
			ec->server = strdup(v);
	}
	if ((v = set.from.str) != NULL) {
		if (mime_parse_address(v, &display, &addr) == -1) {
			host->conf_error(conf, set.from.at, "\"from\" is not an "
			    "address like \"Name <sender@example.gov.cn>\"");
			ok = 0;
		} else {
			ec->from_display = display;
			ec->from_addr = addr;
			ec->id_domain = strchr(addr, '@') + 1;
		}
	}
	if ((v = set.reply_to.str) != NULL) {
		if (mime_parse_address(v, &display, &addr) == -1) {
			host->conf_error(conf, set.reply_to.at, "\"reply_to\" "
			    "is not an email address");
			ok = 0;
		} else {
			free(display);
			ec->reply_to = addr;
		}
	}
	if ((v = set.starttls.str) != NULL) {
		if (strcmp(v, "required") == 0)
			ec->starttls = Starttls_REQUIRED;
		else if (strcmp(v, "if-available") == 0)
			ec->starttls = Starttls_ENABLED;
		else if (strcmp(v, "no") == 0)
			ec->starttls = Starttls_DISABLED;
		else {
			host->conf_error(conf, set.starttls.at, "\"starttls\" "
			    "must be \"required\", \"if-available\" or \"no\", "
			    "not \"%s\"", v);
			ok = 0;
		}
	}
	tls = set.tls.at;
	if (tls != NULL && (tls->type != HERALD_SETTING_BOOL ||
	    tls->integer != 0)) {
		host->conf_error(conf, tls, "implicit TLS (\"tls = true\", "
		    "smtps on port 465) is not supported by libESMTP 1.1: use "
		    "the submission port with starttls = \"required\"");
		ok = 0;
	}
	if ((v = set.user.str) != NULL && (ec->user = strdup(v)) == NULL)
		ok = 0;
	pw_s = set.pwfile.str;
	if ((set.user.at == NULL) != (set.pwfile.at == NULL)) {
		host->conf_error(conf, set.user.at ? set.user.at :
		    set.pwfile.at, "\"user\" and \"password_file\" go "
		    "together");
		ok = 0;
	}
	ca_path_s = set.ca.str;
	if (!ok || conf->check_only)
		goto fail;

	if (pw_s != NULL && (ec->password = plugin_read_conf_secret(conf, pw_s,
	    err, sizeof(err))) == NULL) {
		host->conf_error(conf, set.pwfile.at, "password_file: %s", err);
		goto fail;
	}
	/* Our own context, always: libESMTP's own is used after free. */
	if ((ec->ssl = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_max_proto_version(ec->ssl, TLS1_2_VERSION) != 1) {
		host->conf_error(conf, NULL, "cannot create a TLS context");
		goto fail;
	}
	if (ca_path_s != NULL) {
		if ((path = plugin_path(conf, ca_path_s)) == NULL ||
		    SSL_CTX_load_verify_locations(ec->ssl, path, NULL) != 1) {
			host->conf_error(conf, set.ca.at, "ca_file: cannot load "
			    "certificates from %s", path ? path : ca_path_s);
			goto fail;
		}
		free(path);
		path = NULL;
	} else if (SSL_CTX_set_default_verify_paths(ec->ssl) != 1) {
		host->conf_error(conf, NULL, "cannot load the system's CA "
		    "certificates");
		goto fail;
	}
	auth_client_init();
	*state = ec;
	return 0;
fail:
	free(path);
	email_free(ec);
	/* check_only with good settings is a success that opened nothing. */
	return ok && conf->check_only ? 0 : -1;
}

/* libESMTP asks for the AUTH fields; on a worker thread. */
static int
email_auth_interact(auth_client_request_t req, char **result, int fields,
    void *arg)
{
	struct email_channel *ec = arg;
	int i;

	for (i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_USER)
			result[i] = ec->user;
		else if (req[i].flags & AUTH_PASS)
			result[i] = ec->password;
		else
			return 0;
	}
	return 1;
}

/* Session events; on a worker thread.  Refuse every TLS doubt. */
static void
email_on_event(smtp_session_t s, int event, void *arg, ...)
{
	struct email_session *es = arg;
	va_list ap;
	int *ok;

	va_start(ap, arg);
	switch (event) {
	case SMTP_EV_EXTNA_STARTTLS:
		es->starttls_missing = 1;
		break;
	case SMTP_EV_STARTTLS_OK:
		es->tls_ok = 1;
		break;
	case SMTP_EV_INVALID_PEER_CERTIFICATE:
		(void)va_arg(ap, long);
		ok = va_arg(ap, int *);
		*ok = 0;
		es->tls_problem = "the server's TLS certificate is not trusted "
		    "(check ca_file)";
		break;
	case SMTP_EV_NO_PEER_CERTIFICATE:
		ok = va_arg(ap, int *);
		*ok = 0;
		es->tls_problem = "the server sent no TLS certificate";
		break;
	case SMTP_EV_WRONG_PEER_CERTIFICATE:
		ok = va_arg(ap, int *);
		*ok = 0;
		es->tls_problem = "the server's TLS certificate is for another "
		    "host name";
		break;
	case SMTP_EV_WEAK_CIPHER:
		(void)va_arg(ap, int);
		ok = va_arg(ap, int *);
		*ok = 0;
		es->tls_problem = "the server negotiated a weak cipher";
		break;
	case SMTP_EV_NO_CLIENT_CERTIFICATE:
		ok = va_arg(ap, int *);
		*ok = 1;	/* we never present one */
		break;
	default:
		break;
	}
	va_end(ap);
}

/*
 * An SMTP reply code as an outcome; 0 when the code says nothing yet.
 * The server's text is left out of the reason: it often echoes the
 * address, which must not reach the log (plugin rule 5).
 */
static int
email_classify(struct email_job *j, const smtp_status_t *st, const char *what)
{
	/*
	 * Only 4xx and 5xx are refusals.  A 354 left as the message's status
	 * means the server took DATA and the body went out, but its final
	 * answer never came (transfer_timeout): not a refusal but "may have
	 * been delivered", which the caller decides below.
	 */
	if (st == NULL || st->code < 400)
		return 0;
	j->outcome = st->code >= 500 ? HERALD_PERMANENT : HERALD_TRANSIENT;
	if (st->enh_class > 0)
		snprintf(j->reason, sizeof(j->reason), "%s: %d %d.%d.%d", what,
		    st->code, st->enh_class, st->enh_subject, st->enh_detail);
	else
		snprintf(j->reason, sizeof(j->reason), "%s: %d", what, st->code);
	return 1;
}

static void
email_job_outcome(struct email_channel *ec, struct email_job *j,
    const struct email_session *es, int started, const char *session_err)
{
	const smtp_status_t *ts = smtp_message_transfer_status(j->m);
	const smtp_status_t *rs;

	if (ts != NULL && ts->code >= 200 && ts->code < 300) {
		j->outcome = HERALD_DELIVERED;
		return;
	}
	if (es->starttls_missing && ec->starttls == Starttls_REQUIRED) {
		j->outcome = HERALD_PERMANENT;
		snprintf(j->reason, sizeof(j->reason), "server does not offer "
		    "STARTTLS (starttls = \"required\")");
		return;
	}
	if (es->tls_problem != NULL) {
		j->outcome = HERALD_PERMANENT;
		snprintf(j->reason, sizeof(j->reason), "%s", es->tls_problem);
		return;
	}
	if (email_classify(j, smtp_reverse_path_status(j->m),
	    "sender refused") ||
	    email_classify(j, smtp_recipient_status(j->r),
	    "recipient refused") ||
	    email_classify(j, ts, "message refused"))
		return;
	/*
	 * Nothing answered: refused connection, timeout, dropped link.  Once
	 * the recipient was accepted the body may have gone out and the
	 * server may have queued it without our hearing the final 250: mail
	 * servers and readers keep every copy, so say "may have been
	 * delivered" (the core retries it sparingly, never elsewhere).
	 */
	rs = smtp_recipient_status(j->r);
	if (started && rs != NULL && rs->code >= 200 && rs->code < 300 &&
	    ec->host->abi_minor >= 4) {
		j->outcome = HERALD_UNCERTAIN;
		snprintf(j->reason, sizeof(j->reason), "no answer after the "
		    "message was sent: may have been accepted");
		return;
	}
	j->outcome = HERALD_TRANSIENT;
	snprintf(j->reason, sizeof(j->reason), "%s", started ?
	    "session ended before the message was accepted" : session_err);
}

/* Worker thread: one SMTP session for every message queued right now. */
static void
email_batch_work(void *arg)
{
	struct email_batch *b = arg;
	struct email_channel *ec = b->ec;
	struct email_session es = { 0 };
	struct email_job *j, **tail = &b->jobs;
	smtp_session_t s = NULL;
	auth_context_t auth = NULL;
	char errbuf[EMAIL_REASON_MAX] = "cannot create an SMTP session";
	int started = 0;
	unsigned n = 0;

	mtx_lock(&ec->mu);
	while (n < ec->batch && (j = ec->head) != NULL) {
		ec->head = j->next;
		j->next = NULL;
		*tail = j;
		tail = &j->next;
		n++;
	}
	if (ec->head == NULL)
		ec->tail = NULL;
	mtx_unlock(&ec->mu);
	if (n == 0)
		return;

	if ((s = smtp_create_session()) == NULL ||
	    smtp_set_server(s, ec->server) == 0 ||
	    smtp_set_eventcb(s, email_on_event, &es) == 0)
		goto done;
	smtp_set_timeout(s, Timeout_GREETING | Timeout_OVERRIDE_RFC2822_MINIMUM,
	    ec->connect_ms);
	smtp_set_timeout(s, Timeout_ENVELOPE | Timeout_OVERRIDE_RFC2822_MINIMUM,
	    ec->transfer_ms);
	smtp_set_timeout(s, Timeout_DATA | Timeout_OVERRIDE_RFC2822_MINIMUM,
	    ec->transfer_ms);
	smtp_set_timeout(s, Timeout_TRANSFER | Timeout_OVERRIDE_RFC2822_MINIMUM,
	    ec->transfer_ms);
	smtp_set_timeout(s, Timeout_DATA2 | Timeout_OVERRIDE_RFC2822_MINIMUM,
	    ec->transfer_ms);
	if (smtp_starttls_enable(s, ec->starttls) == 0 ||
	    (ec->starttls != Starttls_DISABLED &&
	    smtp_starttls_set_ctx(s, ec->ssl) == 0))
		goto done;
	if (ec->user != NULL) {
		if ((auth = auth_create_context()) == NULL)
			goto done;
		auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(auth, email_auth_interact, ec);
		smtp_auth_set_context(s, auth);
	}
	for (j = b->jobs; j != NULL; j = j->next) {
		if ((j->m = smtp_add_message(s)) == NULL ||
		    smtp_set_reverse_path(j->m, ec->from_addr) == 0 ||
		    (j->r = smtp_add_recipient(j->m, j->rcpt)) == NULL ||
		    smtp_set_message_str(j->m, j->text) == 0)
			goto done;
	}
	if (smtp_start_session(s) != 0)
		started = 1;
	else
		smtp_strerror(smtp_errno(), errbuf, sizeof(errbuf));
done:
	for (j = b->jobs; j != NULL; j = j->next) {
		if (j->m == NULL || j->r == NULL) {
			j->outcome = HERALD_TRANSIENT;
			snprintf(j->reason, sizeof(j->reason), "%s", errbuf);
		} else
			email_job_outcome(ec, j, &es, started, errbuf);
	}
	if (s != NULL)
		smtp_destroy_session(s);
	if (auth != NULL)
		auth_destroy_context(auth);
}

/* Loop thread: report what the session came to. */
static void
email_batch_done(void *arg)
{
	struct email_batch *b = arg;
	struct email_job *j;

	while ((j = b->jobs) != NULL) {
		b->jobs = j->next;
		b->ec->host->complete(j->c, j->outcome, 0,
		    j->outcome == HERALD_DELIVERED ? NULL : j->reason);
		email_job_free(j);
	}
	free(b);
}

/* Caller frees; NULL when out of memory. */
static char *
email_render(struct email_channel *ec, const struct herald_message *msg)
{
	struct mime_message mm = { 0 };
	char *id = NULL, *ics = NULL, *text = NULL;
	const char *uid;
	int with_ics;

	with_ics = msg->item_due != 0 && msg->kind != NULL &&
	    (strcmp(msg->kind, "reminder") == 0 ||
	    strcmp(msg->kind, "overdue") == 0);
	/* The same job key, the same Message-ID: re-sends dedup downstream. */
	if (asprintf(&id, "%s@%s", msg->key, ec->id_domain) < 0)
		return NULL;
	/* The deadline's UID (ABI 1.4), the one of its event in GET
	 * /v1/agenda.ics: every reminder updates one calendar event.  An
	 * older host gives none; the job key then keeps each unique. */
	uid = ec->host->abi_minor >= 4 && msg->item_uid != NULL ?
	    msg->item_uid : msg->key;
	if (with_ics && (ics = mime_ics(uid, msg->item_due, time(NULL),
	    msg->item_title ? msg->item_title : (msg->subject ?
	    msg->subject : ""))) == NULL)
		goto out;
	mm.from_display = ec->from_display;
	mm.from_addr = ec->from_addr;
	mm.to_display = msg->contact_name;
	mm.to_addr = msg->address;
	mm.reply_to = ec->reply_to;
	mm.subject = msg->subject ? msg->subject :
	    msg->item_title ? msg->item_title : "通知";
	mm.body = msg->body;
	mm.message_id = id;
	mm.herald_id = msg->key;
	mm.date = time(NULL);
	mm.ics = ics;
	mm.ics_name = "deadline.ics";
	text = mime_message_format(&mm);
out:
	free(id);
	free(ics);
	return text;
}

static void
email_send(void *state, const struct herald_message *msg,
    struct herald_completion *c)
{
	struct email_channel *ec = state;
	struct email_batch *b = NULL;
	struct email_job *j = NULL, **pp;
	int queued = 1;

	if (msg->address == NULL || strchr(msg->address, '@') == NULL ||
	    strpbrk(msg->address, " \t\r\n<>") != NULL) {
		ec->host->complete(c, HERALD_PERMANENT, 0,
		    "not an email address");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (b = calloc(1, sizeof(*b))) == NULL ||
	    (j->rcpt = strdup(msg->address)) == NULL ||
	    (j->text = email_render(ec, msg)) == NULL) {
		email_job_free(j);
		free(b);
		ec->host->complete(c, HERALD_TRANSIENT, 0, "out of memory");
		return;
	}
	j->ec = ec;
	j->c = c;
	b->ec = ec;
	mtx_lock(&ec->mu);
	if (ec->tail != NULL)
		ec->tail->next = j;
	else
		ec->head = j;
	ec->tail = j;
	mtx_unlock(&ec->mu);
	if (ec->host->offload(ec->conf, email_batch_work, email_batch_done,
	    b) == 0)
		return;
	/* The host is stopping: take the job back if no worker has it. */
	free(b);
	mtx_lock(&ec->mu);
	for (pp = &ec->head; *pp != NULL && *pp != j; pp = &(*pp)->next)
		;
	if (*pp == j) {
		*pp = j->next;
		ec->tail = NULL;
		for (struct email_job *t = ec->head; t != NULL; t = t->next)
			ec->tail = t;
	} else
		queued = 0;
	mtx_unlock(&ec->mu);
	if (queued) {
		email_job_free(j);
		ec->host->complete(c, HERALD_TRANSIENT, 0, "shutting down");
	}
}

static void
email_close(void *state)
{
	struct email_channel *ec = state;

	if (ec == NULL)
		return;
	/* The host drained its workers first: the queue is empty. */
	email_free(ec);
}

static const struct herald_plugin email_plugin = {
	.abi_major = HERALD_PLUGIN_ABI_MAJOR,
	.abi_minor = HERALD_PLUGIN_ABI_MINOR,
	.size = sizeof(struct herald_plugin),
	.name = "email",
	.version = PACKAGE_VERSION,
	.description = "send email over SMTP (libESMTP): STARTTLS, AUTH, "
	    "RFC 2047 headers, .ics for deadlines",
	.caps = {
		.max_length = 0,
		.length_unit = HERALD_LEN_BYTES,
		.address = HERALD_ADDR_EMAIL,
		.ack_links = 1,
		.delivery_receipts = 0,
		.default_rate = 10,
		.default_burst = 20,
		.default_concurrency = 4,
	},
	.open = email_open,
	.send = email_send,
	.close = email_close,
};

HERALD_PLUGIN_DECLARE(email_plugin)
