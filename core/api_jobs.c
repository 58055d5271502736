/* api_jobs.c - stub: being written. */
#include "api_internal.h"
#include "httpd.h"

void
api_agenda(struct evhttp_request *req, void *arg)
{
	(void)arg;
	httpd_reply_error(req, 501, "not implemented yet");
}

void
api_job(struct evhttp_request *req, void *arg)
{
	(void)arg;
	httpd_reply_error(req, 501, "not implemented yet");
}

