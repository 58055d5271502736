/*
 * plugin.c - find, load and check channel plugins.
 *
 * plugin_load() turns a bare name into a checked descriptor: it dlopen()s
 * DIR/NAME.so and refuses, with a sentence a user can act on, anything that
 * is not a plugin built for our ABI.  Running the channels of a model, and
 * the host table lent to their plugins, is core/channel_set.c.
 */
#include "plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xmalloc.h"

#define PLUGIN_NAME_MAX 64

struct plugin {
	void *dl;
	const struct herald_plugin *desc;
	char *name;
};

static int
plugin_name_is_valid(const char *name, char *err, size_t errlen)
{
	const char *p;

	if (name == NULL || *name == '\0') {
		snprintf(err, errlen, "empty plugin name");
		return 0;
	}
	for (p = name; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || *p == '-')
			continue;
		/* '/' and '.' land here: no paths, no "..". */
		snprintf(err, errlen, "plugin name \"%s\" is not a bare name "
		    "(only a-z, 0-9, '_' and '-' are allowed)", name);
		return 0;
	}
	if (p - name > PLUGIN_NAME_MAX) {
		snprintf(err, errlen, "plugin name \"%.16s...\" is longer than "
		    "%d characters", name, PLUGIN_NAME_MAX);
		return 0;
	}
	return 1;
}

/*
 * Check what the entry point returned before the host trusts any of it.
 * The ABI major comes first because it is the one field every ABI keeps
 * in place; the size tells whether the fields we call exist at all.
 */
static int
plugin_check(const char *name, const struct herald_plugin *d, char *err,
    size_t errlen)
{
	/* Every 1.x descriptor has the fields up to close(); later minors
	 * took spare slots, so their size is the same. */
	const size_t need = offsetof(struct herald_plugin, measure);

	if (d == NULL) {
		snprintf(err, errlen, "plugin \"%s\": %s() returned NULL",
		    name, HERALD_PLUGIN_ENTRY);
		return -1;
	}
	if (d->abi_major != HERALD_PLUGIN_ABI_MAJOR) {
		snprintf(err, errlen, "plugin \"%s\": ABI %u instead of %u",
		    name, d->abi_major, HERALD_PLUGIN_ABI_MAJOR);
		return -1;
	}
	/* A newer minor may read message fields or services we lack. */
	if (d->abi_minor > HERALD_PLUGIN_ABI_MINOR) {
		snprintf(err, errlen, "plugin \"%s\": built for ABI %u.%u, newer "
		    "than this heraldd's %u.%u", name, d->abi_major,
		    d->abi_minor, HERALD_PLUGIN_ABI_MAJOR,
		    HERALD_PLUGIN_ABI_MINOR);
		return -1;
	}
	if (d->size < need) {
		snprintf(err, errlen, "plugin \"%s\": descriptor of %zu bytes "
		    "instead of at least %zu", name, d->size, need);
		return -1;
	}
	if (d->name == NULL || strcmp(d->name, name) != 0) {
		snprintf(err, errlen, "plugin \"%s\": descriptor names it "
		    "\"%s\"; the file must be called %s.so", name,
		    d->name ? d->name : "(null)", d->name ? d->name : "NAME");
		return -1;
	}
	if (d->send == NULL) {
		snprintf(err, errlen, "plugin \"%s\": no send function", name);
		return -1;
	}
	return 0;
}

int
plugin_load(const char *dir, const char *name, struct plugin **out,
    char *err, size_t errlen)
{
	herald_plugin_entry_fn entry;
	const struct herald_plugin *desc;
	struct plugin *p = NULL;
	struct stat st;
	char *path = NULL;
	void *dl = NULL;
	const char *why;
	int rc = -EINVAL;

	if (!plugin_name_is_valid(name, err, errlen))
		goto fail;
	path = xasprintf("%s/%s.so", dir, name);
	/*
	 * dlopen() does not tell a missing file from a broken one; callers
	 * word the two differently ("no plugin" vs what is wrong with it).
	 */
	if (stat(path, &st) == -1 && errno == ENOENT)
		rc = -ENOENT;
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		why = dlerror();
		if (rc == -ENOENT)
			snprintf(err, errlen, "%s", why);
		else
			snprintf(err, errlen, "plugin \"%s\": %s (a library it "
			    "needs may be missing: check with ldd %s)", name,
			    why, path);
		goto fail;
	}
	rc = -EINVAL;
	/* POSIX guarantees this object-to-function pointer conversion. */
	entry = (herald_plugin_entry_fn)dlsym(dl, HERALD_PLUGIN_ENTRY);
	if (entry == NULL) {
		snprintf(err, errlen, "plugin \"%s\": %s has no %s symbol "
		    "(not a herald plugin?)", name, path, HERALD_PLUGIN_ENTRY);
		goto fail;
	}
	desc = entry();
	if (plugin_check(name, desc, err, errlen) == -1)
		goto fail;

	p = xcalloc(1, sizeof(*p));
	p->dl = dl;
	p->desc = desc;
	p->name = xstrdup(name);
	free(path);
	*out = p;
	return 0;
fail:
	if (dl != NULL)
		dlclose(dl);
	free(path);
	return rc;
}

const struct herald_plugin *
plugin_descriptor(const struct plugin *p)
{
	return p->desc;
}

/*
 * Whether descriptor d has the member that ends at offset end and came
 * with ABI minor `minor`: a plugin built before it has one of its
 * spare[] slots there, zero in practice but never promised, so it is
 * not read.
 */
static int
plugin_has(const struct herald_plugin *d, unsigned minor, size_t end)
{
	return d->abi_minor >= minor && d->size >= end;
}

#define PLUGIN_HAS(d, minor, member) plugin_has((d), (minor), \
	offsetof(struct herald_plugin, member) + sizeof((d)->member))

herald_measure_fn
plugin_measure(const struct plugin *p)
{
	return PLUGIN_HAS(p->desc, 5, measure) ? p->desc->measure : NULL;
}

herald_prepare_fn
plugin_prepare(const struct plugin *p)
{
	return PLUGIN_HAS(p->desc, 6, prepare) ? p->desc->prepare : NULL;
}

const char *
plugin_name(const struct plugin *p)
{
	return p->name;
}

void
plugin_unload(struct plugin *p)
{
	if (p == NULL)
		return;
	dlclose(p->dl);
	free(p->name);
	free(p);
}
