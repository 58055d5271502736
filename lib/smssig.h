/*
 * smssig.h - an SMS text as the handset shows it: the signature first,
 * and the only 【】 block.
 *
 * Carriers refuse a message whose text carries a second 【】 block
 * besides the signature ("【商务部】【2023年全国消费促进月】..."), so
 * with a signature a body that opens with "【提醒】" opens with "提醒："
 * instead, and any other 【】 in it becomes 〔〕.  Without a signature
 * the body is left alone.
 *
 * Part of lib/libheraldutil.la, linked by the sms plugin (send() and
 * measure(), through which heraldd -m shows the text and -t counts it),
 * which never links daemon symbols: plain malloc, no xmalloc.
 */
#ifndef HERALD_SMSSIG_H
#define HERALD_SMSSIG_H

/* signature (may be NULL) + body, as above.  Caller frees; NULL when out
 * of memory. */
char *smssig_apply(const char *signature, const char *body);

#endif
