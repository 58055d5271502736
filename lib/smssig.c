/*
 * smssig.c - the signature and the one 【】 block of an SMS (smssig.h).
 */
#include "smssig.h"

#include <stdlib.h>
#include <string.h>

#define SMSSIG_OPEN	"【"
#define SMSSIG_CLOSE	"】"

char *
smssig_apply(const char *signature, const char *body)
{
	const size_t lo = strlen(SMSSIG_OPEN), lc = strlen(SMSSIG_CLOSE);
	size_t ls = signature != NULL ? strlen(signature) : 0, n = 0;
	const char *p = body, *end;
	char *out;

	/* Every rewrite keeps the length or shortens it: "】" and "〕", "【"
	 * and "〔" are 3 bytes each; "：" replaces "】" after dropping "【". */
	if ((out = malloc(ls + strlen(body) + 1)) == NULL)
		return NULL;
	memcpy(out, signature != NULL ? signature : "", ls);
	n = ls;
	if (signature == NULL || *signature == '\0') {
		strcpy(out + n, body);
		return out;
	}
	if (strncmp(p, SMSSIG_OPEN, lo) == 0 &&
	    (end = strstr(p, SMSSIG_CLOSE)) != NULL) {
		memcpy(out + n, p + lo, (size_t)(end - p) - lo);
		n += (size_t)(end - p) - lo;
		memcpy(out + n, "：", strlen("："));
		n += strlen("：");
		p = end + lc;
	}
	while (*p != '\0') {
		if (strncmp(p, SMSSIG_OPEN, lo) == 0) {
			memcpy(out + n, "〔", strlen("〔"));
			n += strlen("〔");
			p += lo;
		} else if (strncmp(p, SMSSIG_CLOSE, lc) == 0) {
			memcpy(out + n, "〕", strlen("〕"));
			n += strlen("〕");
			p += lc;
		} else
			out[n++] = *p++;
	}
	out[n] = '\0';
	return out;
}
