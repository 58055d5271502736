/*
 * smsgw.c - templates of the sms plugin's generic HTTP gateway.
 *
 * A gateway template is the provider's request with {{name}} holes.  The
 * values are escaped for where the hole sits: JSON string escaping in a
 * JSON body (the template writes the quotes, "{{text}}"), percent-encoding
 * in a query, nothing in a header value (where CR or LF would start a
 * header of their own and is refused).  An unknown name is a config error
 * found at load by smsgw_check(), not a surprise at send time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../common/plugin_util.h"
#include "smsgw.h"

/* jansson's string encoder, minus the quotes: 0, or -1 if not UTF-8. */
static int
smsgw_add_json(struct plugin_buf *b, const char *s, size_t n)
{
	json_t *j;
	char *d;
	size_t dl;

	if ((j = json_stringn(s, n)) == NULL)
		return -1;
	d = json_dumps(j, JSON_ENCODE_ANY);
	json_decref(j);
	if (d == NULL) {
		b->failed = 1;
		return 0;
	}
	dl = strlen(d);
	if (dl >= 2)
		plugin_buf_add(b, d + 1, dl - 2);
	free(d);
	return 0;
}

static const char *const smsgw_names[] = {
	"to", "to_national", "text", "body", "signature", "key", "password",
	"part", "parts",
};

/* The value of placeholder name (n bytes); -2 unknown, -1 unavailable. */
static int
smsgw_lookup(const struct smsgw_vars *v, const char *name, size_t n,
    char *num, size_t numlen, const char **val, size_t *vlen)
{
	size_t i;

	for (i = 0; i < sizeof(smsgw_names) / sizeof(smsgw_names[0]); i++)
		if (strlen(smsgw_names[i]) == n &&
		    memcmp(smsgw_names[i], name, n) == 0)
			break;
	if (i == sizeof(smsgw_names) / sizeof(smsgw_names[0]))
		return -2;
	if (v == NULL)
		return 0;
	*val = NULL;
	*vlen = 0;
	switch (i) {
	case 0: *val = v->to; break;
	case 1: *val = v->to_national; break;
	case 2: *val = v->text; *vlen = v->text_len; break;
	case 3: *val = v->body; *vlen = v->body_len; break;
	case 4: *val = v->signature ? v->signature : ""; break;
	case 5: *val = v->key; break;
	case 6: *val = v->password; break;
	case 7:
	case 8:
		snprintf(num, numlen, "%u", i == 7 ? v->part : v->parts);
		*val = num;
		break;
	}
	if (*val == NULL)
		return -1;
	if (i != 2 && i != 3)
		*vlen = strlen(*val);
	return 0;
}

/* Expand (v != NULL) or only check (v == NULL) tmpl. */
static int
smsgw_walk(const char *tmpl, enum smsgw_ctx ctx, const struct smsgw_vars *v,
    struct plugin_buf *b, char *err, size_t errlen)
{
	const char *p = tmpl, *open, *close;

	while ((open = strstr(p, "{{")) != NULL) {
		const char *name, *val = NULL;
		size_t n, vlen = 0;
		char num[16];
		int r;

		if (b != NULL)
			plugin_buf_add(b, p, (size_t)(open - p));
		if ((close = strstr(open + 2, "}}")) == NULL) {
			snprintf(err, errlen, "unclosed \"{{\" in template");
			return -1;
		}
		name = open + 2;
		n = (size_t)(close - name);
		r = smsgw_lookup(v, name, n, num, sizeof(num), &val, &vlen);
		if (r == -2) {
			snprintf(err, errlen, "unknown placeholder {{%.*s}} "
			    "(known: to, to_national, text, body, signature, "
			    "key, password, part, parts)", (int)(n > 40 ? 40 :
			    n), name);
			return -1;
		}
		if (r == -1) {
			snprintf(err, errlen, "{{%.*s}} has no value for this "
			    "message", (int)n, name);
			return -1;
		}
		if (b != NULL) {
			switch (ctx) {
			case SMSGW_JSON:
				if (smsgw_add_json(b, val, vlen) == -1) {
					snprintf(err, errlen, "{{%.*s}} is not "
					    "valid UTF-8", (int)n, name);
					return -1;
				}
				break;
			case SMSGW_QUERY:
				plugin_buf_urlenc(b, val, vlen);
				break;
			case SMSGW_HEADER:
				for (size_t i = 0; i < vlen; i++)
					if ((unsigned char)val[i] < 0x20 ||
					    val[i] == 0x7f) {
						snprintf(err, errlen, "{{%.*s}} "
						    "holds a control character, "
						    "not allowed in a header",
						    (int)n, name);
						return -1;
					}
				plugin_buf_add(b, val, vlen);
				break;
			}
		}
		p = close + 2;
	}
	if (b != NULL) {
		plugin_buf_add(b, p, strlen(p));
		if (b->failed) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

int
smsgw_check(const char *tmpl, char *err, size_t errlen)
{
	return smsgw_walk(tmpl, SMSGW_JSON, NULL, NULL, err, errlen);
}

/* Caller frees *out. */
int
smsgw_expand(const char *tmpl, enum smsgw_ctx ctx, const struct smsgw_vars *v,
    char **out, char *err, size_t errlen)
{
	struct plugin_buf b = { 0 };

	*out = NULL;
	if (smsgw_walk(tmpl, ctx, v, &b, err, errlen) == -1) {
		if (b.s != NULL)
			explicit_bzero(b.s, b.len);
		free(b.s);
		return -1;
	}
	if (b.s == NULL && (b.s = strdup("")) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*out = b.s;
	return 0;
}

/* Caller frees *field and *value. */
int
smsgw_parse_success(const char *spec, char **field, char **value)
{
	const char *eq = strchr(spec, '=');

	*field = *value = NULL;
	if (eq == NULL || eq == spec || eq[1] == '\0')
		return -1;
	if ((*field = strndup(spec, (size_t)(eq - spec))) == NULL ||
	    (*value = strdup(eq + 1)) == NULL) {
		free(*field);
		*field = NULL;
		return -1;
	}
	return 0;
}

int
smsgw_success(const char *body, size_t len, const char *field,
    const char *value, char *why, size_t whylen)
{
	json_t *root, *f;
	char *end;
	int ok = 0;

	if ((root = json_loadb(body, len, 0, NULL)) == NULL ||
	    !json_is_object(root)) {
		snprintf(why, whylen, "answer is not a JSON object");
		json_decref(root);
		return 0;
	}
	f = json_object_get(root, field);
	if (f == NULL) {
		snprintf(why, whylen, "answer has no \"%s\"", field);
	} else if (json_is_integer(f)) {
		long long want = strtoll(value, &end, 10);

		ok = *end == '\0' && json_integer_value(f) == want;
		snprintf(why, whylen, "%s=%lld", field,
		    (long long)json_integer_value(f));
	} else if (json_is_real(f)) {
		double want = strtod(value, &end);

		ok = *end == '\0' && json_real_value(f) == want;
		snprintf(why, whylen, "%s=%g", field, json_real_value(f));
	} else if (json_is_string(f)) {
		ok = strcmp(json_string_value(f), value) == 0;
		snprintf(why, whylen, "%s=%.60s", field, json_string_value(f));
	} else if (json_is_boolean(f)) {
		ok = strcmp(value, json_is_true(f) ? "true" : "false") == 0;
		snprintf(why, whylen, "%s=%s", field,
		    json_is_true(f) ? "true" : "false");
	} else
		snprintf(why, whylen, "\"%s\" is not a scalar", field);
	json_decref(root);
	return ok;
}
