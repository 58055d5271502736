/*
 * mime.h - the email channel's encoders: RFC 2047 headers, bodies in
 * quoted-printable or base64, an iCalendar event, a whole RFC 5322
 * message.  Pure functions on strings, no libesmtp, so unit tests link
 * them alone.  Every output uses CRLF line ends.
 *
 * Every function returning char * gives the caller ownership (free()) and
 * returns NULL only when out of memory.
 */
#ifndef HERALD_EMAIL_MIME_H
#define HERALD_EMAIL_MIME_H

#include <stddef.h>
#include <stdint.h>

/* Longest header or body line we write, CRLF excluded (RFC 2045/2047). */
#define MIME_LINE_MAX 76

/*
 * "Name: value\r\n", value as RFC 2047 "B" encoded words when it is not
 * plain printable ASCII, folded so no line exceeds MIME_LINE_MAX and no
 * encoded word splits a UTF-8 character.
 */
char *mime_header(const char *name, const char *value);

/*
 * "Name: display <addr>\r\n" with display encoded as mime_header() does
 * (quoted when it is ASCII with specials); display may be NULL or "".
 */
char *mime_header_address(const char *name, const char *display,
    const char *addr);

/*
 * Split "Display Name <a@b>" (or a bare "a@b") into its parts; each
 * out-pointer receives a new string (display "" when absent).  Returns 0,
 * or -1 when the address has no '@' or the brackets do not match.
 */
int mime_parse_address(const char *s, char **display, char **addr);

/* Quoted-printable (RFC 2045 6.7) of UTF-8 text; LF or CRLF in, CRLF out. */
char *mime_qp(const char *text);

/* Base64 in lines of MIME_LINE_MAX characters, each ended by CRLF. */
char *mime_base64(const void *data, size_t len);

/* "Fri, 04 Aug 2023 09:00:00 +0000" (RFC 5322 date, always UTC). */
void mime_date(int64_t t, char *buf, size_t len);

/*
 * A VCALENDAR (METHOD:PUBLISH) with one VEVENT: UID uid, DTSTART due and
 * DTEND due + HERALD_ITEM_EVENT_SECONDS (UTC), DTSTAMP now, SUMMARY
 * summary (escaped, folded at 75 octets on UTF-8 boundaries) and a
 * display VALARM an hour before.
 */
char *mime_ics(const char *uid, int64_t due, int64_t now, const char *summary);

struct mime_message {
	const char *from_display, *from_addr;
	const char *to_display, *to_addr;
	const char *reply_to;		/* "Name <a@b>" or NULL */
	const char *subject;		/* UTF-8 or NULL */
	const char *body;		/* UTF-8 */
	const char *message_id;		/* without the angle brackets */
	const char *herald_id;		/* X-Herald-Id */
	int64_t date;
	const char *ics;		/* text/calendar attachment or NULL */
	const char *ics_name;		/* its file name, ASCII */
};

/* The whole message, headers and body, ready for SMTP DATA. */
char *mime_message_format(const struct mime_message *m);

#endif
