/*
 * smsgw.h - the sms plugin's generic HTTP gateway: placeholder templates
 * expanded with escaping for where they land, and the success check of
 * a gateway's JSON answer.
 *
 * Pure functions over jansson, shared by the plugin and its unit test.
 */
#ifndef HERALD_SMSGW_H
#define HERALD_SMSGW_H

#include <stddef.h>

/* Where an expanded template goes, which decides the escaping. */
enum smsgw_ctx {
	SMSGW_JSON = 0,	/* inside a JSON string: JSON string escaping */
	SMSGW_QUERY,	/* a URL query: percent-encoding (RFC 3986) */
	SMSGW_HEADER,	/* a header value: as is, control characters refused */
};

/* The values of the placeholders; NULL: not available (an error if used). */
struct smsgw_vars {
	const char *to;		/* {{to}}: E.164, "+8613800138000" */
	const char *to_national; /* {{to_national}}: "13800138000" */
	const char *text;	/* {{text}}: signature and body */
	size_t text_len;
	const char *body;	/* {{body}}: text without the signature */
	size_t body_len;
	const char *signature;	/* {{signature}} */
	const char *key;	/* {{key}}: the job key */
	const char *password;	/* {{password}}: from password_file */
	unsigned part, parts;	/* {{part}}, {{parts}} */
};

/*
 * Expand tmpl into *out (caller frees with free()), each {{name}}
 * escaped for ctx.  -1 with a reason in err on an unknown or unavailable
 * placeholder, an unclosed "{{", a control character in a header value,
 * or out of memory; the reason names the placeholder, never its value.
 */
int smsgw_expand(const char *tmpl, enum smsgw_ctx ctx,
    const struct smsgw_vars *v, char **out, char *err, size_t errlen);

/*
 * Check that every placeholder in tmpl is known: 0, or -1 with a reason.
 */
int smsgw_check(const char *tmpl, char *err, size_t errlen);

/*
 * Parse a success_json setting "field=value" into its two halves
 * (caller frees both).  -1 when malformed.
 */
int smsgw_parse_success(const char *spec, char **field, char **value);

/*
 * Does the JSON answer body carry field == value at its top level?  A
 * number compares numerically, a string textually, true/false by name.
 * 1 yes, 0 no (with the field's actual value, or why, in why).
 */
int smsgw_success(const char *body, size_t len, const char *field,
    const char *value, char *why, size_t whylen);

#endif
