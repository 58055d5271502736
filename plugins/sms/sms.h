/*
 * sms.h - what the sms plugin's files share: the channel, a send in
 * flight, and the helpers of one used by the other.  Internal to the
 * plugin (plugins/sms/); not installed.
 */
#ifndef HERALD_SMS_H
#define HERALD_SMS_H

#include <stddef.h>

#include "herald-plugin.h"
#include "herald-plugin-conf.h"

#define SMS_MAX_SEGMENTS_DEFAULT 3
#define SMS_DLR_MASK_DEFAULT 9
#define SMS_TIMEOUT_DEFAULT 10000
#define SMS_REASON_MAX 256

struct sms_channel {
	const struct herald_host *host;
	const struct herald_channel_conf *conf;
	char *url, *user, *password, *from, *signature, *dlr_url, *smsc;
	unsigned max_segments;
	int split;
	unsigned dlr_mask;
	int mainland_only;
	unsigned timeout_ms;
	/* gateway = "generic" */
	int generic;
	const char *method;
	char *body_tmpl, *query_tmpl, *content_type;
	char **headers;
	size_t n_headers;
	char *succ_field, *succ_value;
	char *measured;		/* the text of the last measure() */
};

/* A block's settings: the rows of sms.c and of sms_generic.c. */
struct sms_settings {
	struct herald_conf_value url, user, pwfile, from, sig, maxseg, split,
	    dlr, mask, mainland, smsc, timeout, gateway;
	/* gateway = "generic" */
	struct herald_conf_value method, body, query, ctype, headers, success;
};

/* One message in flight: its requests, sent in order. */
struct sms_send {
	struct sms_channel *sc;
	struct herald_completion *c;
	char **urls;
	char **bodies;		/* generic POST; else NULL */
	char ***hdrs;		/* generic; NULL-terminated lists */
	size_t n, next;
};

/* strdup of v into *dst unless v is NULL; 0 only on out of memory. */
int sms_keep(char **dst, const char *v);
/* Wipe (it may hold the password) and free a string. */
void sms_wipe(char *s);

/* The generic gateway. */
/* Does any generic template use {{password}}? */
int sms_uses_password(const struct sms_channel *sc);
/* Look up the generic gateway's settings into set (herald_conf_find). */
void sms_generic_find(const struct herald_host *host,
    const struct herald_channel_conf *conf, struct sms_settings *set);
/* With gateway = "kannel": report each generic setting given; 0 if any. */
int sms_generic_refuse(const struct herald_host *host,
    const struct herald_channel_conf *conf, const struct sms_settings *set);
/* Its settings into sc; 0 on error (reported).  set is borrowed. */
int sms_open_generic(struct sms_channel *sc, struct sms_settings *set);
/* Request i of ss, owned by ss; 0, or -1 with a reason in err. */
int sms_generic_req(struct sms_send *ss, size_t i,
    const struct herald_message *msg, const char *to, const char *text,
    size_t a, size_t b, unsigned parts, char *err, size_t errlen);

#endif
