/*
 * email.c - the shape of an email address (email.h).
 */
#include "email.h"

#include <string.h>

int
email_is_valid(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && strchr(at + 1, '@') == NULL &&
	    strchr(at + 1, '.') != NULL && at[1] != '.' &&
	    s[strlen(s) - 1] != '.' && strpbrk(s, " \t<>,;") == NULL;
}
