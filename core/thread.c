/*
 * thread.c - starting the daemon's helper threads (thread.h).
 */
#include <pthread.h>	/* pthread_setname_np(): config.h defines _GNU_SOURCE */
#include <signal.h>

#include "thread.h"

int
thread_start(thrd_t *t, thrd_start_t fn, void *arg, const char *name)
{
	sigset_t all, old;
	int rc;

	/* The new thread inherits the mask it is created with. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = thrd_create(t, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* glibc's thrd_t is a pthread_t.  A name too long is refused
	 * (ERANGE) and the thread keeps the process's: cosmetic. */
	if (rc == thrd_success)
		(void)pthread_setname_np(*t, name);
	return rc;
}
