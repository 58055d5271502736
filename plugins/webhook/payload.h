/*
 * payload.h - what each robot flavour is sent and how its answers read.
 *
 * Pure functions over jansson, shared by the plugin and its unit test.
 */
#ifndef HERALD_WEBHOOK_PAYLOAD_H
#define HERALD_WEBHOOK_PAYLOAD_H

#include <stddef.h>

#include "herald-plugin.h"

enum webhook_flavour {
	WEBHOOK_GENERIC = 0,
	WEBHOOK_WECOM,
	WEBHOOK_DINGTALK,
	WEBHOOK_FEISHU,
};

/*
 * One person to @-mention: a mobile (mainland, without +86) or a robot
 * user id (DingTalk userId, WeCom userid, Feishu open_id).  Borrowed.
 */
struct webhook_mention {
	const char *id;
	const char *name;	/* Feishu's <at> text; may be NULL */
	int is_mobile;
};

/* The one part of one message to render. */
struct webhook_part {
	const struct herald_message *msg;
	const char *text;	/* this part of msg->body */
	size_t text_len;
	unsigned index, count;	/* 1-based part number, number of parts */
	int markdown;		/* wecom/dingtalk markdown, feishu post */
	const struct webhook_mention *mentions;	/* on the first part only */
	size_t n_mentions;
	const char *ack_prefix;	/* "https://x/a/": URLs starting so are ack
				 * links (markdown label); NULL: none */
	const char *feishu_sign; /* Feishu signature, or NULL */
	long long feishu_ts;
};

/*
 * The JSON body for part p in flavour f.  Caller frees the result with
 * free(); NULL when jansson fails (out of memory).
 */
char *webhook_payload(enum webhook_flavour f, const struct webhook_part *p);

/*
 * Classify an answer (HERALD_DELIVERED, _TRANSIENT or _PERMANENT) per
 * VENDORS.md: transport errors, timeouts, 429 and 5xx are transient;
 * vendors' application codes decide the rest; other 4xx are permanent.
 * *retry_ms gets the delay to ask for (0: the core's backoff); reason a
 * short text naming no URL.
 */
enum herald_outcome webhook_classify(enum webhook_flavour f,
    const struct herald_http_response *r, unsigned *retry_ms, char *reason,
    size_t reasonlen);

/* Largest text of one part, in UTF-8 bytes (0: unlimited). */
size_t webhook_part_max(enum webhook_flavour f, int markdown);

#endif
