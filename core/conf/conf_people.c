/*
 * conf_people.c - channels, units, contacts and groups, and the expansion
 * of audiences into contacts.
 *
 * Contacts, units and groups share one id namespace so an audience entry
 * can name any of them.  Units are read before contacts (a contact names
 * its unit) and linked afterwards (a unit names its liaison, a contact its
 * supervisor), so neither order in the file matters to the user.
 */
#include "conf_internal.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "civil.h"
#include "duration.h"
#include "email.h"
#include "phone.h"
#include "xmalloc.h"

static const char *const conf_channel_core[] = {
	"name", "plugin", "concurrency", "rate", "burst", "merge_after", NULL
};
static const char *const conf_unit_keys[] = {
	"id", "name", "region", "liaison", NULL
};
static const char *const conf_contact_keys[] = {
	"id", "name", "unit", "phone", "email", "prefer", "always", "address",
	"quiet", "supervisor", NULL
};
static const char *const conf_group_keys[] = {
	"id", "title", "members", NULL
};

static int
conf_name_is_plugin(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* Convert one plugin-specific setting.  Returns 0 or -1 after reporting. */
static int
conf_channel_setting(struct conf_ctx *cx, const config_setting_t *s,
    const char *chan, struct herald_setting *out)
{
	struct model_loc loc = conf_loc(cx, s);

	out->name = arena_strdup(cx->a, config_setting_name(s));
	out->file = loc.file;
	out->line = loc.line;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		out->type = HERALD_SETTING_STRING;
		out->str = arena_strdup(cx->a, config_setting_get_string(s));
		return 0;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		out->type = HERALD_SETTING_INT;
		out->integer = config_setting_get_int64(s);
		out->number = (double)out->integer;
		return 0;
	case CONFIG_TYPE_FLOAT:
		out->type = HERALD_SETTING_FLOAT;
		out->number = config_setting_get_float(s);
		return 0;
	case CONFIG_TYPE_BOOL:
		out->type = HERALD_SETTING_BOOL;
		out->integer = config_setting_get_bool(s);
		return 0;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST: {
		int n = config_setting_length(s);
		const char **items = arena_alloc(cx->a,
		    (size_t)(n + 1) * sizeof(*items));

		for (int i = 0; i < n; i++) {
			config_setting_t *e = config_setting_get_elem(s, i);

			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				goto bad;
			items[i] = arena_strdup(cx->a, config_setting_get_string(e));
		}
		out->type = HERALD_SETTING_LIST;
		out->items = items;
		out->n_items = (size_t)n;
		return 0;
	}
	default:
		break;
	}
bad:
	conf_err(cx, s, "setting \"%s\" of channel \"%s\" must be a string, "
	    "number, boolean or list of strings", config_setting_name(s), chan);
	return -1;
}

static void
conf_channel(struct conf_ctx *cx, const config_setting_t *g, int index)
{
	struct model *m = cx->m;
	struct model_channel *ch = &m->channels[m->n_channels];
	const char *what, *name, *rate;
	struct herald_setting *set;
	struct model_offset merge;
	long long v;
	char err[128];
	size_t n = 0;
	int bad = 0;

	memset(ch, 0, sizeof(*ch));
	if ((name = conf_get_id(cx, g, "name", "channel", index, &what)) == NULL)
		bad = 1;
	else if (model_channel_find(m, name) != NULL) {
		struct model_loc first = model_channel_find(m, name)->loc;

		conf_err(cx, config_setting_get_member(g, "name"),
		    "duplicate channel \"%s\" (first defined at %s:%d)", name,
		    first.file, first.line);
		bad = 1;
	}
	if (conf_get_string(cx, g, "plugin", 1, what, &ch->plugin) == 1 &&
	    !conf_name_is_plugin(ch->plugin)) {
		conf_err(cx, config_setting_get_member(g, "plugin"),
		    "plugin \"%s\" must be a bare name (a-z, 0-9, _ and -)",
		    ch->plugin);
		ch->plugin = NULL;	/* heraldd -t must not try to load it */
	}
	if (conf_get_int(cx, g, "concurrency", 0, what, 1, 10000, &v) == 1)
		ch->concurrency = (unsigned)v;
	if (conf_get_int(cx, g, "burst", 0, what, 1, 1000000, &v) == 1)
		ch->burst = (unsigned)v;
	if (conf_get_string(cx, g, "rate", 0, what, &rate) == 1) {
		err[0] = '\0';
		/* err names the text: `bad rate "...": reason` */
		if (duration_parse_rate(rate, &ch->rate, err, sizeof(err)) < 0)
			conf_err(cx, config_setting_get_member(g, "rate"),
			    "rate of %s: %s", what + 3, err);
		else if (ch->rate <= 0)
			conf_err(cx, config_setting_get_member(g, "rate"),
			    "rate of %s must be greater than 0", what + 3);
	}
	if (conf_get_offset(cx, g, "merge_after", 0, what, &merge) == 1)
		ch->merge_after = merge.seconds;

	set = arena_alloc(cx->a, (size_t)(config_setting_length(g) + 1) *
	    sizeof(*set));
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, i);
		size_t k;

		for (k = 0; conf_channel_core[k] != NULL; k++)
			if (strcmp(conf_channel_core[k],
			    config_setting_name(s)) == 0)
				break;
		if (conf_channel_core[k] != NULL)
			continue;
		if (conf_channel_setting(cx, s, name ? name : "?", &set[n]) == 0)
			n++;
	}
	if (bad)
		return;
	ch->loc = conf_loc(cx, g);
	ch->name = name;
	ch->conf.name = name;
	ch->conf.plugin = ch->plugin;
	ch->conf.file = ch->loc.file;
	ch->conf.line = ch->loc.line;
	ch->conf.base_dir = m->daemon.base_dir;
	ch->conf.settings = set;
	ch->conf.n_settings = n;
	m->n_channels++;
}

void
conf_channels(struct conf_ctx *cx, const config_setting_t *list)
{
	int n = config_setting_length(list);

	cx->m->channels = arena_alloc(cx->a, (size_t)(n + 1) *
	    sizeof(struct model_channel));
	for (int i = 0; i < n; i++)
		conf_channel(cx, config_setting_get_elem(list, i), i);
}

/* What an id of the shared namespace names: the kind and where it was
 * written (the entry's loc, in the model's arrays, which never move). */
struct conf_party {
	const char *kind;
	const struct model_loc *loc;
};

void
conf_party_index(struct conf_ctx *cx, size_t n)
{
	/* hcreate_r's table does not grow: twice the room keeps it sparse. */
	if (hcreate_r(2 * n + 16, &cx->party_ids) == 0)
		abort();	/* ENOMEM, as xmalloc would */
	cx->parties = xcalloc(n + 1, sizeof(*cx->parties));
	cx->max_parties = n + 1;
}

void
conf_party_index_free(struct conf_ctx *cx)
{
	if (cx->parties != NULL)
		hdestroy_r(&cx->party_ids);
	free(cx->parties);
	cx->parties = NULL;
}

/*
 * Report id when a unit, contact or group already has it and return 1;
 * otherwise record it as a kind's whose loc (filled in by the caller
 * before the next call) is at *loc, and return 0.  id is borrowed for the
 * load (libconfig's or the arena's string).
 */
static int
conf_party_is_dup(struct conf_ctx *cx, const config_setting_t *g,
    const char *id, const char *kind, const struct model_loc *loc)
{
	ENTRY want = { (char *)id, NULL }, *found = NULL;
	const struct conf_party *first;

	if (cx->n_parties == cx->max_parties)
		abort();	/* conf_party_index() was told fewer */
	want.data = &cx->parties[cx->n_parties];
	if (hsearch_r(want, ENTER, &found, &cx->party_ids) == 0)
		abort();	/* full: cannot happen with the room we asked */
	if (found->data == want.data) {
		cx->parties[cx->n_parties++] = (struct conf_party){ kind, loc };
		return 0;
	}
	first = found->data;
	conf_err(cx, config_setting_get_member(g, "id"), "duplicate id \"%s\" "
	    "for a %s: already used by the %s at %s:%d", id, kind, first->kind,
	    first->loc->file, first->loc->line);
	return 1;
}

void
conf_units(struct conf_ctx *cx, const config_setting_t *list)
{
	struct model *m = cx->m;
	int n = config_setting_length(list);

	m->units = arena_alloc(cx->a, (size_t)(n + 1) * sizeof(*m->units));
	cx->unit_src = xcalloc((size_t)n + 1, sizeof(*cx->unit_src));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		struct model_unit *u = &m->units[m->n_units];
		const char *what, *id;

		memset(u, 0, sizeof(*u));
		id = conf_get_id(cx, g, "id", "unit", i, &what);
		conf_check_keys(cx, g, conf_unit_keys, what);
		conf_get_string(cx, g, "name", 1, what, &u->name);
		conf_get_string(cx, g, "region", 0, what, &u->region);
		if (id == NULL || conf_party_is_dup(cx, g, id, "unit", &u->loc))
			continue;
		u->id = id;
		u->loc = conf_loc(cx, g);
		cx->unit_src[m->n_units] = g;
		m->n_units++;
	}
}

const struct model_channel *
conf_channel_ref(struct conf_ctx *cx, const config_setting_t *s,
    const char *field)
{
	const char *name = config_setting_get_string(s);
	const struct model_channel *ch = model_channel_find(cx->m, name);

	if (ch == NULL)
		conf_err(cx, s, "unknown channel \"%s\" in %s", name, field);
	return ch;
}

const struct model_unit *
conf_unit_ref(struct conf_ctx *cx, const config_setting_t *s,
    const char *field)
{
	const char *id = config_setting_get_string(s);
	const struct model_unit *u = model_unit_find(cx->m, id);

	if (u == NULL)
		conf_err(cx, s, "unknown unit \"%s\" in %s", id, field);
	return u;
}

const struct model_contact *
conf_contact_ref(struct conf_ctx *cx, const config_setting_t *s,
    const char *field)
{
	const char *id = config_setting_get_string(s);
	const struct model_contact *c = model_contact_find(cx->m, id);

	if (c == NULL)
		conf_err(cx, s, "unknown contact \"%s\" in %s", id, field);
	return c;
}

/* The channels named by a list under key. */
static void
conf_channel_list(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, int required, const char *what, const char *owner,
    const struct model_channel ***out, size_t *n)
{
	config_setting_t *s = conf_get_strings(cx, g, key, required, what,
	    "channel names");
	const char *field;
	int len;

	if (s == NULL)
		return;
	len = config_setting_length(s);
	if (len == 0 && required) {
		conf_err(cx, s, "\"%s\" must name at least one channel", key);
		return;
	}
	field = arena_printf(cx->a, "%s of %s", key, owner);
	*out = arena_alloc(cx->a, (size_t)(len + 1) * sizeof(**out));
	for (int i = 0; i < len; i++) {
		const struct model_channel *ch = conf_channel_ref(cx,
		    config_setting_get_elem(s, i), field);

		if (ch != NULL)
			(*out)[(*n)++] = ch;
	}
}

/* Is t written HH:MM but beyond 23:59 ("24:00", "25:00", "22:60")? */
static int
conf_quiet_is_out_of_day(const char *t)
{
	return strlen(t) == 5 && t[2] == ':' && strspn(t, "0123456789:") == 5 &&
	    (atoi(t) > 23 || atoi(t + 3) > 59);
}

static void
conf_quiet(struct conf_ctx *cx, const config_setting_t *g, const char *what,
    struct model_quiet *q)
{
	const char *text, *dash;
	char from[8];

	if (conf_get_string(cx, g, "quiet", 0, what, &text) != 1)
		return;
	dash = strchr(text, '-');
	if (dash != NULL && (size_t)(dash - text) < sizeof(from)) {
		memcpy(from, text, (size_t)(dash - text));
		from[dash - text] = '\0';
		if (civil_parse_hhmm(from, &q->from_min) == 0 &&
		    civil_parse_hhmm(dash + 1, &q->to_min) == 0 &&
		    q->from_min != q->to_min) {
			q->set = 1;
			return;
		}
		/* "25:00" has the form but is no time: say which one. */
		if (conf_quiet_is_out_of_day(from) ||
		    conf_quiet_is_out_of_day(dash + 1)) {
			conf_err(cx, config_setting_get_member(g, "quiet"),
			    "quiet hours \"%s\": %s is not a time of day "
			    "(00:00 to 23:59)", text,
			    conf_quiet_is_out_of_day(from) ? from : dash + 1);
			return;
		}
	}
	conf_err(cx, config_setting_get_member(g, "quiet"), "quiet hours \"%s\" "
	    "must be HH:MM-HH:MM with different times", text);
}

static void
conf_addresses(struct conf_ctx *cx, const config_setting_t *g,
    const char *what, const char *owner, struct model_contact *c)
{
	config_setting_t *a = conf_get_group(cx, g, "address", 0, what);
	const char *field;
	int n;

	if (a == NULL)
		return;
	field = arena_printf(cx->a, "address of %s", owner);
	n = config_setting_length(a);
	c->addresses = arena_alloc(cx->a, (size_t)(n + 1) *
	    sizeof(*c->addresses));
	for (int i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(a, i);
		const char *name = config_setting_name(s);
		const struct model_channel *ch = model_channel_find(cx->m, name);

		if (ch == NULL) {
			conf_err(cx, s, "unknown channel \"%s\" in %s", name,
			    field);
			continue;
		}
		if (config_setting_type(s) != CONFIG_TYPE_STRING) {
			conf_err(cx, s, "\"%s\" must be a string", name);
			continue;
		}
		c->addresses[c->n_addresses].channel = ch;
		c->addresses[c->n_addresses].address = arena_strdup(cx->a,
		    config_setting_get_string(s));
		c->n_addresses++;
	}
}

void
conf_contacts(struct conf_ctx *cx, const config_setting_t *list)
{
	struct model *m = cx->m;
	int n = config_setting_length(list);

	m->contacts = arena_alloc(cx->a, (size_t)(n + 1) * sizeof(*m->contacts));
	cx->contact_src = xcalloc((size_t)n + 1, sizeof(*cx->contact_src));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i), *s;
		struct model_contact *c = &m->contacts[m->n_contacts];
		const char *what, *id, *owner, *text;
		char norm[32], err[128];

		memset(c, 0, sizeof(*c));
		id = conf_get_id(cx, g, "id", "contact", i, &what);
		owner = what + 3;
		conf_check_keys(cx, g, conf_contact_keys, what);
		conf_get_string(cx, g, "name", 1, what, &c->name);
		if (conf_get_string(cx, g, "unit", 0, what, &text) == 1)
			c->unit = conf_unit_ref(cx, config_setting_get_member(g,
			    "unit"), arena_printf(cx->a, "unit of %s", owner));
		if (conf_get_string(cx, g, "phone", 0, what, &text) == 1) {
			s = config_setting_get_member(g, "phone");
			err[0] = '\0';
			if (phone_normalize(text, norm, sizeof(norm), err,
			    sizeof(err)) < 0)
				conf_err(cx, s, "%s", err);
			else
				c->phone = arena_strdup(cx->a, norm);
		}
		if (conf_get_string(cx, g, "email", 0, what, &c->email) == 1 &&
		    !email_is_valid(c->email))
			conf_err(cx, config_setting_get_member(g, "email"),
			    "email \"%s\" is not an address (one @ and a dot in "
			    "the domain)", c->email);
		conf_channel_list(cx, g, "prefer", 1, what, owner, &c->prefer,
		    &c->n_prefer);
		conf_channel_list(cx, g, "always", 0, what, owner, &c->always,
		    &c->n_always);
		conf_addresses(cx, g, what, owner, c);
		conf_quiet(cx, g, what, &c->quiet);
		conf_get_string(cx, g, "supervisor", 0, what, &text);
		if (id == NULL || conf_party_is_dup(cx, g, id, "contact",
		    &c->loc))
			continue;
		c->id = id;
		c->loc = conf_loc(cx, g);
		cx->contact_src[m->n_contacts] = g;
		m->n_contacts++;
	}
}

void
conf_people_link(struct conf_ctx *cx)
{
	struct model *m = cx->m;

	/* Members in contact order; arrays sized by a first count. */
	for (size_t i = 0; i < m->n_contacts; i++)
		if (m->contacts[i].unit != NULL)
			((struct model_unit *)m->contacts[i].unit)->n_members++;
	for (size_t u = 0; u < m->n_units; u++) {
		m->units[u].members = arena_alloc(cx->a,
		    (m->units[u].n_members + 1) * sizeof(*m->units[u].members));
		m->units[u].n_members = 0;
	}
	for (size_t i = 0; i < m->n_contacts; i++) {
		struct model_unit *u = (struct model_unit *)m->contacts[i].unit;

		if (u != NULL)
			u->members[u->n_members++] = &m->contacts[i];
	}

	for (size_t i = 0; i < m->n_units; i++) {
		config_setting_t *s = config_setting_get_member(cx->unit_src[i],
		    "liaison");
		struct model_unit *u = &m->units[i];
		const struct model_contact *c;

		if (s == NULL)
			continue;
		if (config_setting_type(s) != CONFIG_TYPE_STRING) {
			conf_err(cx, s, "\"liaison\" must be a string");
			continue;
		}
		c = conf_contact_ref(cx, s, arena_printf(cx->a,
		    "liaison of unit \"%s\"", u->id));
		if (c != NULL && c->unit != u)
			conf_err(cx, s, "liaison \"%s\" of unit \"%s\" is not a "
			    "member of it (set unit = \"%s\" in contact \"%s\")",
			    c->id, u->id, u->id, c->id);
		else if (c != NULL)
			u->liaison = c;
	}
	for (size_t i = 0; i < m->n_contacts; i++) {
		config_setting_t *s = config_setting_get_member(
		    cx->contact_src[i], "supervisor");
		struct model_contact *c = &m->contacts[i];
		const struct model_contact *sup;

		if (s == NULL || config_setting_type(s) != CONFIG_TYPE_STRING)
			continue;
		sup = conf_contact_ref(cx, s, arena_printf(cx->a,
		    "supervisor of contact \"%s\"", c->id));
		if (sup == c)
			conf_err(cx, s, "contact \"%s\" cannot be its own "
			    "supervisor", c->id);
		else
			c->supervisor = sup;
	}
}

/* A growing list of contacts without duplicates. */
struct conf_audience_buf {
	const struct model_contact **v;
	size_t n;
	unsigned char *seen;	/* indexed like m->contacts */
};

static void
conf_audience_push(struct conf_ctx *cx, struct conf_audience_buf *b,
    const struct model_contact *c)
{
	size_t i = (size_t)(c - cx->m->contacts);

	if (b->seen[i])
		return;
	b->seen[i] = 1;
	b->v[b->n++] = c;
}

static void conf_group_resolve(struct conf_ctx *cx, size_t gi);

/*
 * Expand the ids of list into contacts.  Returns -1 when an entry was
 * reported as bad.  field names the list in messages.
 */
static int
conf_expand(struct conf_ctx *cx, const config_setting_t *list,
    const char *field, struct model_audience *out)
{
	struct model *m = cx->m;
	struct conf_audience_buf b;
	int bad = 0;

	b.v = xcalloc(m->n_contacts + 1, sizeof(*b.v));
	b.seen = xcalloc(m->n_contacts + 1, 1);
	b.n = 0;
	for (int i = 0; i < config_setting_length(list); i++) {
		config_setting_t *s = config_setting_get_elem(list, i);
		const char *id = config_setting_get_string(s);
		const struct model_contact *c;
		const struct model_unit *u;
		size_t gi;

		if ((c = model_contact_find(m, id)) != NULL) {
			conf_audience_push(cx, &b, c);
			continue;
		}
		if ((u = model_unit_find(m, id)) != NULL) {
			if (u->liaison != NULL)
				conf_audience_push(cx, &b, u->liaison);
			else
				for (size_t k = 0; k < u->n_members; k++)
					conf_audience_push(cx, &b, u->members[k]);
			continue;
		}
		for (gi = 0; gi < m->n_groups; gi++)
			if (strcmp(m->groups[gi].id, id) == 0)
				break;
		if (gi == m->n_groups) {
			conf_err(cx, s, "unknown contact, unit or group \"%s\" in "
			    "%s", id, field);
			bad = 1;
			continue;
		}
		if (cx->group_src[gi].state == 1) {
			char *path = xstrdup(m->groups[gi].id);
			size_t k;

			for (k = 0; k < cx->group_depth; k++)
				if (cx->group_stack[k] == gi)
					break;
			for (k++; k < cx->group_depth; k++) {
				char *p = xasprintf("%s -> %s", path,
				    m->groups[cx->group_stack[k]].id);

				free(path);
				path = p;
			}
			conf_err(cx, s, "group cycle: %s -> %s", path,
			    m->groups[gi].id);
			free(path);
			bad = 1;
			continue;
		}
		conf_group_resolve(cx, gi);
		if (cx->group_src[gi].bad)
			bad = 1;
		for (size_t k = 0; k < m->groups[gi].audience.n; k++)
			conf_audience_push(cx, &b, m->groups[gi].audience.contacts[k]);
	}
	out->contacts = arena_alloc(cx->a, (b.n + 1) * sizeof(*out->contacts));
	memcpy(out->contacts, b.v, b.n * sizeof(*b.v));
	out->n = b.n;
	free(b.v);
	free(b.seen);
	return bad ? -1 : 0;
}

static void
conf_group_resolve(struct conf_ctx *cx, size_t gi)
{
	struct model_group *g = &cx->m->groups[gi];
	struct conf_group_src *src = &cx->group_src[gi];
	const char *field;

	if (src->state != 0)
		return;
	src->state = 1;
	cx->group_stack[cx->group_depth++] = gi;
	if (src->members != NULL) {
		field = arena_printf(cx->a, "members of group \"%s\"", g->id);
		if (conf_expand(cx, src->members, field, &g->audience) < 0)
			src->bad = 1;
		else if (g->audience.n == 0) {
			conf_err(cx, src->members, "group \"%s\" expands to no "
			    "contacts", g->id);
			src->bad = 1;
		}
	} else
		src->bad = 1;
	cx->group_depth--;
	src->state = 2;
}

void
conf_groups(struct conf_ctx *cx, const config_setting_t *list)
{
	struct model *m = cx->m;
	int n = config_setting_length(list);

	m->groups = arena_alloc(cx->a, (size_t)(n + 1) * sizeof(*m->groups));
	cx->group_src = xcalloc((size_t)n + 1, sizeof(*cx->group_src));
	cx->group_stack = xcalloc((size_t)n + 1, sizeof(*cx->group_stack));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		struct model_group *gr = &m->groups[m->n_groups];
		const char *what, *id;
		config_setting_t *members;

		memset(gr, 0, sizeof(*gr));
		id = conf_get_id(cx, g, "id", "group", i, &what);
		conf_check_keys(cx, g, conf_group_keys, what);
		conf_get_string(cx, g, "title", 0, what, &gr->title);
		members = conf_get_strings(cx, g, "members", 1, what, "ids");
		if (id == NULL || conf_party_is_dup(cx, g, id, "group",
		    &gr->loc))
			continue;
		gr->id = id;
		gr->loc = conf_loc(cx, g);
		cx->group_src[m->n_groups].members = members;
		m->n_groups++;
	}
	for (size_t gi = 0; gi < m->n_groups; gi++)
		conf_group_resolve(cx, gi);
}

int
conf_get_audience(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, int required, int allow_empty, const char *field,
    struct model_audience *out)
{
	config_setting_t *s;
	const char *what = arena_printf(cx->a, "in %s",
	    strstr(field, " of ") ? strstr(field, " of ") + 4 : field);

	s = conf_get_strings(cx, g, key, required, what, "ids");
	if (s == NULL)
		return config_setting_get_member(g, key) != NULL || required ?
		    -1 : 0;
	if (conf_expand(cx, s, field, out) < 0)
		return -1;
	if (out->n == 0 && !(allow_empty && config_setting_length(s) == 0)) {
		conf_err(cx, s, "%s expands to no contacts", field);
		return -1;
	}
	return 1;
}

int
conf_get_units(struct conf_ctx *cx, const config_setting_t *g,
    const char *key, const char *field, const struct model_unit ***out,
    size_t *n)
{
	const char *what = arena_printf(cx->a, "in %s",
	    strstr(field, " of ") ? strstr(field, " of ") + 4 : field);
	config_setting_t *s = conf_get_strings(cx, g, key, 0, what, "unit ids");
	int bad = 0;

	if (s == NULL)
		return config_setting_get_member(g, key) != NULL ? -1 : 0;
	*out = arena_alloc(cx->a, (size_t)(config_setting_length(s) + 1) *
	    sizeof(**out));
	for (int i = 0; i < config_setting_length(s); i++) {
		const struct model_unit *u = conf_unit_ref(cx,
		    config_setting_get_elem(s, i), field);

		if (u != NULL)
			(*out)[(*n)++] = u;
		else
			bad = 1;
	}
	return bad ? -1 : 1;
}
