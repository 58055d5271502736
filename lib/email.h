/*
 * email.h - the shape of an email address, as the config reader and
 * heraldctl's contact import both check it: one @, something before it,
 * a dot in the domain (not first, not last), no spaces or list
 * separators.  Deliberately not RFC 5322: a liaison table holds plain
 * addresses, and the mail server has the last word.
 */
#ifndef HERALD_EMAIL_H
#define HERALD_EMAIL_H

/* 1 when s (borrowed, NUL-terminated) has an address's shape, else 0. */
int email_is_valid(const char *s);

#endif
