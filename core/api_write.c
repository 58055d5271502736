/* api_write.c - stub: being written. */
#include "api_internal.h"
#include "httpd.h"

void
api_submissions(struct evhttp_request *req, void *arg)
{
	(void)arg;
	httpd_reply_error(req, 501, "not implemented yet");
}

void
api_acks(struct evhttp_request *req, void *arg)
{
	(void)arg;
	httpd_reply_error(req, 501, "not implemented yet");
}

void
api_reload(struct evhttp_request *req, void *arg)
{
	(void)arg;
	httpd_reply_error(req, 501, "not implemented yet");
}

