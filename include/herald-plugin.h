/*
 * herald-plugin.h - the one header a channel plugin includes.
 *
 * A plugin is a shared object in the daemon's plugin_dir.  It exports one
 * symbol, HERALD_PLUGIN_ENTRY ("herald_plugin_entry"), a function returning
 * a pointer to a const struct herald_plugin.  The host checks the ABI major
 * number and the struct size before it touches anything else, and refuses a
 * plugin built for another major ABI with "ABI N instead of M".
 *
 * Plugins never link daemon symbols: everything the host offers comes
 * through the const struct herald_host table handed to open().  A test can
 * therefore drive a plugin with a table of its own.
 *
 * ABI policy: adding a field at the end of struct herald_host or struct
 * herald_plugin bumps HERALD_PLUGIN_ABI_MINOR; the size fields tell either
 * side what the other one knows.  Changing or removing anything bumps the
 * major number.
 *
 * The send contract.  A plugin:
 *   1. MUST NOT block in any callback: no sleeping, no blocking socket
 *      call, no waiting on a thread.  Network work runs on host->base;
 *      a blocking library (libesmtp) runs through host->offload(), whose
 *      work function runs on a worker thread and whose done function
 *      runs back on the loop thread (ABI minor 1).  Work functions MUST
 *      NOT touch the loop or call host services; complete() from done.
 *   2. borrows the struct herald_message passed to send() until it reports
 *      the outcome; it MUST copy anything it needs afterwards.
 *   3. MUST report exactly one outcome per send() through host->complete(),
 *      on the loop thread.  It MAY do so before send() returns.  The
 *      completion handle is dead once completed: forget it.  (The host
 *      refuses a second completion with an error, as a diagnostic.)
 *   4. classifies failures: HERALD_TRANSIENT when the same message may
 *      succeed later (the peer is down, busy, rate-limited; retry_after_ms
 *      > 0 passes on a delay the peer asked for), HERALD_PERMANENT when it
 *      never will (bad address, rejected content).  The host decides about
 *      retries and fallback to the contact's next channel; the plugin never
 *      retries by itself.
 *   5. MUST NOT log secrets, message bodies or full addresses above debug
 *      level.
 *   6. MAY keep per-channel state: open() returns it, close() frees it.
 *
 * Ownership: every pointer the host passes is borrowed for the duration of
 * the call unless a comment says otherwise.  The exceptions: the host and
 * conf pointers given to open() stay valid until close() returns, so a
 * plugin keeps them in its state instead of copying.
 */
#ifndef HERALD_PLUGIN_H
#define HERALD_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HERALD_PLUGIN_ABI_MAJOR 1
#define HERALD_PLUGIN_ABI_MINOR 6
#define HERALD_PLUGIN_ENTRY "herald_plugin_entry"

struct event_base;

/*
 * What a send came to.  See rule 4 above.
 *
 * ABI minor 4 adds the two timeouts.  A request that timed out after it
 * was sent is not a refusal: the peer may have taken the message and
 * merely answered late, so a retry may deliver it twice and a fallback
 * certainly does.  The host counts both apart from other failures and
 * backs off for engine.retry.after_timeout before trying again.  A
 * timeout before anything was sent (connecting) is HERALD_TRANSIENT.
 * Hosts before minor 4 never see these values from plugins built for
 * them; a plugin built for minor 4 that runs on an older host (abi_minor
 * < 4 in struct herald_host) reports HERALD_TRANSIENT instead.
 */
enum herald_outcome {
	HERALD_DELIVERED = 0,
	HERALD_TRANSIENT = 1,
	HERALD_PERMANENT = 2,
	/* Timed out, may have been delivered; the peer drops a repeat of
	 * msg->key (a generic receiver keyed on X-Herald-Id), so retries
	 * are harmless and a fallback is allowed once they run out. */
	HERALD_TIMED_OUT = 3,
	/* Timed out, may have been delivered, and the peer keeps every copy
	 * (group robots, Kannel, SMTP after DATA): retried at most
	 * engine.retry.timeouts times in a row, never sent elsewhere. */
	HERALD_UNCERTAIN = 4,
};

/* How a channel counts message length, so the core can plan around it. */
enum herald_length_unit {
	HERALD_LEN_BYTES = 0,	/* UTF-8 bytes (webhooks, email subject) */
	HERALD_LEN_CHARS = 1,	/* Unicode code points */
	HERALD_LEN_SMS_SEGMENTS = 2, /* GSM-7/UCS-2 segments (max_length = cap) */
};

/* Which field of a contact becomes the channel's address. */
enum herald_address_kind {
	HERALD_ADDR_NONE = 0,	/* the channel itself is the target (group robot, log) */
	HERALD_ADDR_PHONE = 1,	/* the contact's phone, normalized to E.164 */
	HERALD_ADDR_EMAIL = 2,	/* the contact's email */
	HERALD_ADDR_HANDLE = 3,	/* contact.address[channel] (platform user id) */
};

/* Message priority classes, highest first (DESIGN.md rule 5). */
enum herald_priority {
	HERALD_PRIO_EMERGENCY = 0,
	HERALD_PRIO_LAUNCH = 1,
	HERALD_PRIO_REMINDER = 2,
	HERALD_PRIO_DIGEST = 3,
};

struct herald_caps {
	size_t max_length;	/* 0: unlimited */
	enum herald_length_unit length_unit;
	enum herald_address_kind address;
	int ack_links;		/* can carry an acknowledgement link */
	int delivery_receipts;	/* reports delivery receipts later */
	double default_rate;	/* messages per second; 0: unlimited */
	unsigned default_burst;	/* token bucket depth */
	unsigned default_concurrency; /* sends in flight per channel */
};

/*
 * One setting of a channel's config block, converted by the host so that
 * plugins need not link libconfig.  Only scalars and lists of strings are
 * allowed in channel blocks.
 */
enum herald_setting_type {
	HERALD_SETTING_STRING = 0,
	HERALD_SETTING_INT = 1,
	HERALD_SETTING_FLOAT = 2,
	HERALD_SETTING_BOOL = 3,
	HERALD_SETTING_LIST = 4,	/* list or array of strings */
};

struct herald_setting {
	const char *name;
	enum herald_setting_type type;
	const char *str;	/* STRING */
	long long integer;	/* INT, BOOL */
	double number;		/* FLOAT, INT */
	const char *const *items; /* LIST */
	size_t n_items;
	const char *file;	/* where it was written, for errors */
	int line;
};

/* A channel's config block, minus the keys the core itself reads. */
struct herald_channel_conf {
	const char *name;	/* the channel's name in the config */
	const char *plugin;
	const char *file;	/* where the block starts */
	int line;
	const char *base_dir;	/* directory of the main config file: relative
				 * paths in the block (password_file...) resolve
				 * against it */
	const struct herald_setting *settings;
	size_t n_settings;
	int check_only;		/* heraldd -t: validate, open nothing */
};

/*
 * ABI minor 4.  A person a message speaks to, for @-mentions in group
 * robots.  handle is the contact's address entry for the channel (a
 * robot's user id: DingTalk userId, WeCom userid, Feishu open_id) or
 * NULL; phone is E.164 or NULL.  A plugin that mentions prefers the
 * handle and falls back to the phone.
 */
struct herald_recipient {
	const char *contact;	/* contact id */
	const char *name;	/* may be NULL */
	const char *phone;
	const char *handle;
};

/* One message to send.  Borrowed until complete() (rule 2). */
struct herald_message {
	const char *key;	/* job key, a UUID string; dedup id for peers */
	const char *kind;	/* "reminder", "launch-go", "overdue"... */
	enum herald_priority priority;
	const char *campaign;	/* campaign id */
	const char *item;	/* deadline/launch/plan id */
	const char *item_title;
	int64_t item_due;	/* the item's instant, Unix seconds; 0: none */
	const char *contact;	/* contact id */
	const char *contact_name;
	const char *address;	/* per caps.address; NULL for HERALD_ADDR_NONE */
	const char *subject;	/* rendered; may be NULL */
	const char *body;	/* rendered UTF-8 text */
	const char *ack_url;	/* NULL when acks are off */
	int64_t due;		/* when the job was due, Unix seconds */
	unsigned attempt;	/* 1 for the first try */
	/*
	 * ABI minor 3.  The contact's phone (E.164) or NULL, whatever the
	 * channel's address kind: a group robot posts to itself
	 * (HERALD_ADDR_NONE) and uses this only to @-mention the contact.
	 */
	const char *contact_phone;
	/*
	 * ABI minor 4; read only when host->abi_minor >= 4.  Everyone the
	 * message speaks to, in order: the contact alone, or every distinct
	 * contact of a merged post (merge_after), so a robot can mention them
	 * all.  Never empty.
	 */
	const struct herald_recipient *recipients;
	size_t n_recipients;
	/*
	 * ABI minor 4.  The calendar UID of the message's item, the one
	 * GET /v1/agenda.ics gives its event ("<campaign>/<item>@herald",
	 * percent-encoded, no spaces), so an .ics attachment updates that
	 * event instead of adding one per reminder.  NULL for items without
	 * an event (digests, plans).
	 */
	const char *item_uid;
};

/*
 * ABI minor 4.  How long a calendar event of an instant (a deadline, a
 * launch) lasts, in seconds: RFC 5545 wants DTEND later than DTSTART,
 * and the export and the email attachment must agree.
 */
#define HERALD_ITEM_EVENT_SECONDS 1800

/* An HTTP request for host->http() (ABI minor 2). */
struct herald_http_request {
	const char *method;		/* "GET", "POST"... */
	const char *url;
	const char *const *headers;	/* "Name: value", NULL-terminated; may be NULL */
	const char *body;		/* may be NULL */
	size_t body_len;
	unsigned timeout_ms;		/* whole request; 0: the host's default (10 s) */
	const char *ca_file;		/* extra CA bundle (tests); NULL: system CAs */
};

/* What came back; borrowed during the done() callback only. */
struct herald_http_response {
	long status;			/* HTTP status; 0 when no answer */
	const char *error;		/* transport error when status == 0, else NULL */
	int timed_out;			/* the request hit its timeout */
	const char *body;		/* NUL-terminated */
	size_t body_len;
	unsigned retry_after_ms;	/* from a Retry-After header; 0 when none */
	const char *content_type;	/* may be NULL */
	double total_ms;		/* time the request took */
	/*
	 * ABI minor 4.  The whole request was written to the peer before
	 * it failed or timed out, so the peer may have acted on it.  0 for
	 * a timeout while connecting.
	 */
	int request_sent;
};

/*
 * ABI minor 5.  How a channel encodes a text for its peer, as measure()
 * states it.
 */
enum herald_encoding {
	HERALD_ENC_UTF8 = 0,	/* bytes as they are (webhooks, email) */
	HERALD_ENC_GSM7 = 1,	/* SMS: 7-bit default alphabet, in septets */
	HERALD_ENC_UCS2 = 2,	/* SMS: UTF-16 code units */
};

/*
 * ABI minor 5.  What measure() found about one rendered text, in the
 * channel's own terms, so that heraldd -t can say how long each kind of
 * message runs on the channel and warn about texts it would refuse,
 * without knowing the channel.  The host zeroes the struct before the
 * call; the plugin fills what applies.
 */
struct herald_measure {
	size_t parts;		/* messages the text goes out as (SMS segments);
				 * 1 for a text that goes out whole */
	size_t bytes;		/* UTF-8 bytes of the text as sent */
	enum herald_encoding encoding;
	size_t units;		/* its length in the encoding's unit: septets,
				 * UTF-16 code units, bytes */
	size_t part_limit;	/* units one part holds at this length
				 * (SMS: 160/70 alone, 153/67 concatenated);
				 * 0: no limit */
	size_t max_parts;	/* the most parts the channel's settings let
				 * one message have (sms: max_segments); 0: no cap */
	int fits;		/* the channel would send it (1) or refuse it (0) */
	/*
	 * Words for the host's lines, static strings of the plugin (they
	 * live as long as it is loaded): one part ("segment", the host adds
	 * "s" for several), the parts in a warning ("SMS segments"), the
	 * setting behind max_parts ("max_segments") and how to make a text
	 * fit ("shorten the text or set split").  Any may be NULL.
	 */
	const char *part_word;
	const char *parts_words;
	const char *limit_setting;
	const char *fix;
	/*
	 * The text as the recipient will see it (an SMS signature in front),
	 * for heraldd -m; NULL when it is the body as given.  Owned by the
	 * plugin: valid until its next measure() or close() on the channel.
	 */
	const char *text;
};

/* Opaque handle identifying one send() until it completes. */
struct herald_completion;

enum herald_log_level {
	HERALD_LOG_ERR = 3,
	HERALD_LOG_WARNING = 4,
	HERALD_LOG_NOTICE = 5,
	HERALD_LOG_INFO = 6,
	HERALD_LOG_DEBUG = 7,
};

/*
 * Services the host lends to plugins.  Fields after `size` are valid only
 * when offsetof(field) < size; new fields are appended.
 */
struct herald_host {
	size_t size;
	unsigned abi_major, abi_minor;
	const char *version;	/* heraldd version string */

	/* The loop every callback runs on. */
	struct event_base *base;

	/* Log a line prefixed with the channel's name. */
	void (*log)(const struct herald_channel_conf *ch, enum herald_log_level,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

	/*
	 * Report a config error at a setting (or at the block when s is
	 * NULL), as "file:line: message".  open() then returns -1.
	 */
	void (*conf_error)(const struct herald_channel_conf *ch,
	    const struct herald_setting *s, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

	/*
	 * Find a setting by name and mark it used; the host reports every
	 * setting no plugin lookup asked for as unknown.  NULL when absent.
	 */
	const struct herald_setting *(*setting)(const struct herald_channel_conf *ch,
	    const char *name);

	/* Report the outcome of a send (rule 3).  reason may be NULL. */
	void (*complete)(struct herald_completion *c, enum herald_outcome outcome,
	    unsigned retry_after_ms, const char *reason);

	/*
	 * ABI minor 1.  Run work(arg) on one of the host's worker threads
	 * (herald.engine.workers of them, shared by every channel), then
	 * done(arg) on the loop thread.  work must not touch the loop, the
	 * message or any host service; done may call complete().  Jobs start
	 * in submission order.  Returns 0, or -1 when the host is shutting
	 * down (then neither function runs).  When the channel set closes,
	 * queued work still runs and every done() runs before close().
	 */
	int (*offload)(const struct herald_channel_conf *ch,
	    void (*work)(void *arg), void (*done)(void *arg), void *arg);

	/*
	 * ABI minor 2.  Start an HTTP(S) request on the host's shared
	 * asynchronous client (libcurl on a thread of the host's own:
	 * connections are reused, system CAs are trusted).  req and
	 * everything it points to is copied before http() returns.
	 * done(arg, resp) runs exactly once on the loop thread, never before
	 * http() returns; resp is borrowed for that call.  Returns 0, or -1
	 * when the request is refused at once (a bad method, no URL, the
	 * host shutting down; then done never runs); a request libcurl
	 * cannot set up ends in done() with the reason as its error.
	 */
	int (*http)(const struct herald_channel_conf *ch,
	    const struct herald_http_request *req,
	    void (*done)(void *arg, const struct herald_http_response *resp),
	    void *arg);

	/*
	 * ABI minor 4.  The query parameters a delivery-receipt callback
	 * URL must carry for the receipt to be accepted by GET /v1/dlr
	 * (doc/api.txt): "parts=N&sent=T&sig=S", signed for this channel,
	 * msg_key and a message of `parts` parts (1..255), written into buf
	 * as a NUL-terminated string.  Returns 0, or -1 when the host has
	 * no receipt secret (herald.dlr_secret_file) or buf is too small;
	 * a plugin then asks for no receipts.
	 */
	int (*dlr_params)(const struct herald_channel_conf *ch,
	    const char *msg_key, unsigned parts, char *buf, size_t len);

	/*
	 * ABI minor 6.  Open up to n connections to url's host and port on
	 * the shared HTTP client ahead of the sends that will use them
	 * (connections already waiting count), so those requests skip the
	 * TCP handshake.  url is borrowed for the call.  A host name is
	 * resolved by the host's HTTP client without blocking (the call
	 * returns at once; the connections open later, on the client's
	 * thread, to the address the requests will pick); for https:// the host also makes
	 * one TLS handshake ahead, verified against the system CAs, whose
	 * session the requests resume.  A host that cannot be resolved or
	 * reached warms nothing, and that is not an error here.
	 * Connections nobody takes are closed after 30 s.  Never blocks.
	 * Returns 0, or -1 when it cannot (no client, the host shutting
	 * down); connections that cannot be opened (no descriptor left) are
	 * not reported.  The sends work either way.
	 */
	int (*http_warm)(const struct herald_channel_conf *ch, const char *url,
	    unsigned n);
};

struct herald_plugin {
	unsigned abi_major, abi_minor;
	size_t size;		/* sizeof(struct herald_plugin) at build */
	const char *name;	/* must match the file's bare name */
	const char *version;
	const char *description;
	struct herald_caps caps;

	/*
	 * Validate the channel's block and, unless conf->check_only, make it
	 * ready to send.  Store per-channel state in *state.  Return 0, or -1
	 * after reporting every problem with host->conf_error().  Optional.
	 *
	 * Look up every setting the plugin knows with host->setting() before
	 * giving up on any error: the host reports the settings nobody looked
	 * up as unknown (typos), and an early return would make it report
	 * good ones.  With check_only open nothing (files, sockets).
	 *
	 * close() follows every open() that returned 0, check_only or not,
	 * with *state as open() left it (NULL unless it set one).
	 */
	int (*open)(const struct herald_host *host,
	    const struct herald_channel_conf *conf, void **state);

	/* Start sending msg; see the contract at the top.  Required. */
	void (*send)(void *state, const struct herald_message *msg,
	    struct herald_completion *c);

	/* Free state.  Sends in flight have completed.  Optional. */
	void (*close)(void *state);

	/*
	 * ABI minor 5; the host calls it only when abi_minor >= 5 (a minor-4
	 * plugin's spare[0] sits here).  Measure a rendered text as this
	 * channel would send it (subject may be NULL; body is UTF-8) and
	 * state the channel's limits in *out (zeroed by the host).  state is
	 * what open() left, check_only or not: a plugin with measure keeps
	 * the settings it needs even when it opens nothing.  Runs on the
	 * loop thread; sends nothing, never blocks.  Returns 0, or -1 when
	 * the text cannot be measured (not valid UTF-8, out of memory).
	 * Optional: a channel without limits leaves it NULL.
	 */
	int (*measure)(void *state, const char *subject, const char *body,
	    struct herald_measure *out);

	/*
	 * ABI minor 6; the host calls it only when abi_minor >= 6 (a minor-5
	 * plugin's spare[0] sits here).  n sends (at most the channel's
	 * concurrency) are staged on this channel for the instant at (Unix
	 * seconds), a few seconds ahead; the host may call it again as more
	 * are staged, with the count of each batch.  A plugin may open its
	 * connections now (host->http_warm) so that the sends at the instant
	 * start at once.  Runs on the loop thread of an open channel that is
	 * not check_only; sends nothing, never blocks.  Optional.
	 */
	void (*prepare)(void *state, unsigned n, int64_t at);

	void *spare[6];		/* keep the struct size stable for minors */
};

typedef const struct herald_plugin *(*herald_plugin_entry_fn)(void);

/* Declare the entry point in a plugin: HERALD_PLUGIN_DECLARE(log_plugin); */
#define HERALD_PLUGIN_DECLARE(desc) \
	__attribute__((visibility("default"))) \
	const struct herald_plugin *herald_plugin_entry(void); \
	const struct herald_plugin *herald_plugin_entry(void) { return &(desc); }

#ifdef __cplusplus
}
#endif
#endif
