/*
 * sched.c - the one timer and the bounded heap of claimed jobs.
 *
 * The loop of sched_run(): hand off what is due (a batch at most), claim
 * what falls inside the prefetch window (skipping saturated channels),
 * hand off again if the claim brought due jobs, then arm the timer for
 * the earliest thing that needs us.  A run that handed jobs off claims nothing more: it arms the
 * timer for "now", so the dispatcher's sends and commits (already active
 * in the loop) go first and claiming never delays a due job.  When the
 * store still has due-in-window jobs that we could not take (their
 * channels are saturated or the heap is full), we do not spin: the
 * dispatcher pokes us when room appears, and a one-second poll covers
 * anything else.
 *
 * The cap bounds reminders, digests and the like, not launches: the
 * go-notices (and countdowns, and emergency alerts) inside the window are
 * all claimed, so a launch is rendered and staged in full before its
 * instant (DESIGN.md rule 8).  Memory for those is bounded by their
 * audiences, which the config already holds.  The store claims by
 * priority first, so those jobs come before any capped one; a full claim
 * that still leaves room under the cap means more may be waiting.
 *
 * Emergency jobs go further (issue 14): each run first claims them alone
 * (store_claim_urgent()), whether the cap is full of reminders due a few
 * seconds from now or their channel is saturated with a queue of
 * reminders the dispatcher holds, and hands the due ones off at once.
 *
 * Several nodes on one store (issue 15) split the window between them:
 * with M nodes live (sched_hooks.share), a node claims of the jobs not
 * yet due only its share, ceil(due in the window / M) less what it holds
 * in the window already, counted by the store at most once a second
 * (store_due_count()).  So each node stages about 1/M of a launch ahead
 * of its instant, and all of them hand off at the instant.  Jobs already
 * due are anyone's, as on one node: a share nobody staged (a node that
 * died, or counted the others late) and a dead node's reaped leases go
 * to whichever node claims first.  One node claims as it always did.
 *
 * Firing lateness is hand-off minus next_at, not minus due: retries and
 * quiet-hour deferrals are late on purpose, and the histogram measures the
 * timer, not the policy.  The store records lateness against due.
 */
#include "sched.h"

#include <event2/event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "herald-plugin.h"
#include "log.h"
#include "store.h"
#include "store_cluster.h"
#include "xmalloc.h"

#define SCHED_DEFAULT_CAP 4096
/*
 * Due jobs handed off per run.  A launch's 10,000 go-notices handed off
 * in one run held the loop ~10-30 ms before the first request could go
 * out (issue 17: first delivery 9-70 ms after the instant); a batch this
 * size takes well under a millisecond, and the run arms the timer for
 * "now", so the next batch follows on the next turn of the loop, after
 * the sends and commits the first one started.
 */
#define SCHED_HANDOFF_BATCH 256
#define SCHED_POLL_US 1000000
/*
 * How far ahead of a held job's instant the timer wakes.  This guest's
 * vCPU, idle for a second, wakes late: 0.2 ms for a bare timerfd
 * (contrib/bench/bench_wake.c), 0.8-1.9 ms for heraldd's timer before a
 * launch (issue 17).  A sleep of a few milliseconds overshoots by less
 * than 0.1 ms.  So the timer wakes this much early and sleeps the rest:
 * one more wake-up per instant, no spinning.  5 ms ahead did no better
 * in bench_stream.sh (three interleaved pairs, BENCHMARKS.md).
 */
#define SCHED_WAKE_LEAD_US 2000

const int64_t sched_lateness_bounds_ms[SCHED_LATENESS_BUCKETS] = {
	1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 60000
};

struct sched {
	struct event_base *base;
	struct store *st;
	struct sched_clock clock;
	struct sched_settings set;
	struct sched_hooks hooks;
	struct event *timer;
	int64_t timer_at;	/* clock us the run is for; -1 disarmed */
	int64_t wake_at;	/* clock us the event fires: timer_at, or
				 * SCHED_WAKE_LEAD_US before a job's */
	int stopped;
	int running;		/* inside sched_run(): pokes are redundant */
	int store_failing;	/* the last claim failed */

	struct job_claim **heap;
	size_t n, alloc;	/* held; room in heap[] */
	size_t n_capped;	/* held jobs that count against set.cap */
	/* This node's share of the window left to claim (SIZE_MAX: no
	 * limit, one node), as counted at second share_at (-1: never). */
	size_t share_left;
	int64_t share_at;
	struct sched_lateness lateness;
};

void
sched_lateness_add(struct sched_lateness *l, int64_t ms)
{
	size_t i;

	if (ms < 0)
		ms = 0;
	for (i = 0; i < SCHED_LATENESS_BUCKETS; i++)
		if (ms <= sched_lateness_bounds_ms[i])
			break;
	l->bucket[i]++;
	l->count++;
	l->sum_ms += (double)ms;
	if (ms > l->max_ms)
		l->max_ms = ms;
}

/* --- the heap: earliest next_at first, then higher priority --- */

/* Launch and emergency jobs are claimed regardless of the cap. */
static int
sched_is_capped(const struct job_claim *sj)
{
	return sj->j.priority > HERALD_PRIO_LAUNCH;
}

static int
sched_before(const struct job_claim *a, const struct job_claim *b)
{
	if (a->j.next_at != b->j.next_at)
		return a->j.next_at < b->j.next_at;
	return a->j.priority < b->j.priority;
}

static void
sched_heap_set(struct sched *s, size_t i, struct job_claim *sj)
{
	s->heap[i] = sj;
	sj->heap_idx = i;
}

static void
sched_heap_push(struct sched *s, struct job_claim *sj)
{
	size_t i;

	if (s->n == s->alloc) {
		s->alloc = s->alloc > 0 ? 2 * s->alloc : 64;
		s->heap = xrealloc(s->heap, s->alloc * sizeof(*s->heap));
	}
	s->n_capped += sched_is_capped(sj);
	i = s->n++;
	while (i > 0 && sched_before(sj, s->heap[(i - 1) / 2])) {
		sched_heap_set(s, i, s->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	sched_heap_set(s, i, sj);
}

static struct job_claim *
sched_heap_pop(struct sched *s)
{
	struct job_claim *top = s->heap[0], *last;
	size_t i = 0, c;

	s->n_capped -= sched_is_capped(top);
	last = s->heap[--s->n];
	while ((c = 2 * i + 1) < s->n) {
		if (c + 1 < s->n && sched_before(s->heap[c + 1], s->heap[c]))
			c++;
		if (!sched_before(s->heap[c], last))
			break;
		sched_heap_set(s, i, s->heap[c]);
		i = c;
	}
	if (s->n > 0)
		sched_heap_set(s, i, last);
	return top;
}

/* --- the timer --- */

static void
sched_wake(struct sched *s, int64_t now_us)
{
	struct timeval tv;
	int64_t d = s->wake_at > now_us ? s->wake_at - now_us : 0;

	tv.tv_sec = d / 1000000;
	tv.tv_usec = d % 1000000;
	/* Relative to the loop's time: the daemon's loop reads the clock
	 * for each timer added (daemon_loop_new()), so this is now. */
	evtimer_add(s->timer, &tv);
}

/* Arm for at_us; precise: at_us is a held job's instant, worth an early
 * wake (SCHED_WAKE_LEAD_US). */
static void
sched_arm(struct sched *s, int64_t at_us, int64_t now_us, int precise)
{
	s->timer_at = at_us;
	s->wake_at = at_us;
	if (precise && at_us - now_us > SCHED_WAKE_LEAD_US)
		s->wake_at = at_us - SCHED_WAKE_LEAD_US;
	sched_wake(s, now_us);
}

static void
sched_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sched *s = arg;
	int64_t now_us = sched_clock_now(&s->clock);

	/* Woken ahead of the instant, on purpose or by the host: sleep the
	 * rest.  Running now would hand off nothing. */
	if (s->timer_at > now_us) {
		s->wake_at = s->timer_at;
		sched_wake(s, now_us);
		return;
	}
	s->timer_at = -1;
	sched_run(s);
}

int
sched_open(struct event_base *base, struct store *st,
    const struct sched_clock *clock, const struct sched_settings *set,
    const struct sched_hooks *hooks, struct sched **out)
{
	struct sched *s;

	s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->st = st;
	if (clock != NULL)
		s->clock = *clock;
	s->hooks = *hooks;
	s->timer_at = -1;
	s->share_left = SIZE_MAX;
	s->share_at = -1;
	s->timer = evtimer_new(base, sched_on_timer, s);
	if (s->timer == NULL) {
		free(s);
		return -1;
	}
	sched_set_settings(s, set);
	*out = s;
	return 0;
}

void
sched_set_settings(struct sched *s, const struct sched_settings *set)
{
	s->set = *set;
	if (s->set.cap == 0)
		s->set.cap = SCHED_DEFAULT_CAP;
}

void
sched_poke(struct sched *s)
{
	if (s->stopped || s->running)
		return;
	evtimer_del(s->timer);
	sched_arm(s, 0, 0, 0);
}

/* A store call of sched_run() failed (what) or all succeeded (NULL):
 * tell the hook on a change, or log each failure without one. */
static void
sched_store_result(struct sched *s, const char *what)
{
	int failing = what != NULL;

	if (s->hooks.store == NULL) {
		if (failing)
			log_errx("scheduler: %s: %s", what, store_error(s->st));
		return;
	}
	if (failing != s->store_failing)
		s->hooks.store(s->hooks.arg, failing ?
		    store_error(s->st) : NULL);
	s->store_failing = failing;
}

/* Hand off the jobs due at now, at most SCHED_HANDOFF_BATCH.  Returns
 * how many. */
static size_t
sched_handoff(struct sched *s, int64_t now_us)
{
	struct job_claim *sj;
	size_t n = 0;

	while (n < SCHED_HANDOFF_BATCH && s->n > 0 &&
	    s->heap[0]->j.next_at * 1000000 <= now_us) {
		sj = sched_heap_pop(s);
		sched_lateness_add(&s->lateness,
		    (now_us - sj->j.next_at * 1000000) / 1000);
		s->hooks.handoff(s->hooks.arg, sj);
		n++;
	}
	return n;
}

static void
sched_on_claim(void *arg, const struct job *j)
{
	struct sched *s = arg;
	struct job_claim *sj = job_claim_new(j);

	if (s->hooks.claimed != NULL)
		s->hooks.claimed(s->hooks.arg, sj);
	sched_heap_push(s, sj);
}

/*
 * This node's share of the window's due work (the top of the file):
 * counted again when the second changed, unlimited on one node.
 */
static int
sched_share_count(struct sched *s, int64_t now)
{
	unsigned of = s->hooks.share != NULL ? s->hooks.share(s->hooks.arg) : 1;
	size_t total, mine, share;

	if (of <= 1) {
		s->share_left = SIZE_MAX;
		s->share_at = -1;
		return 0;
	}
	if (s->share_at == now)
		return 0;
	if (store_due_count(s->st, now + s->set.prefetch, &total, &mine) == -1)
		return -1;
	share = (total + of - 1) / of;
	s->share_left = share > mine ? share - mine : 0;
	s->share_at = now;
	return 0;
}

/* Claim up to room jobs of the window, within this node's share of the
 * jobs not yet due.  *n_claimed gets how many. */
static int
sched_claim(struct sched *s, int64_t now, size_t room,
    const char *const *skip, size_t n_skip, size_t *n_claimed)
{
	int64_t until = now + s->set.prefetch, lease = now + s->set.lease;
	size_t n = 0, max;

	*n_claimed = 0;
	if (sched_share_count(s, now) == -1)
		return -1;
	if (s->share_left == SIZE_MAX)
		return store_claim(s->st, now, until, room, skip, n_skip,
		    lease, sched_on_claim, s, n_claimed);
	/* Due now: anyone's. */
	if (store_claim(s->st, now, now, room, skip, n_skip, lease,
	    sched_on_claim, s, &n) == -1)
		return -1;
	*n_claimed = n;
	max = room - n < s->share_left ? room - n : s->share_left;
	if (max == 0)
		return 0;
	n = 0;
	if (store_claim(s->st, now, until, max, skip, n_skip, lease,
	    sched_on_claim, s, &n) == -1)
		return -1;
	s->share_left -= n;
	*n_claimed += n;
	return 0;
}

int
sched_run(struct sched *s)
{
	const char *const *skip = NULL;
	size_t n_skip = 0, n_claimed, room;
	int64_t now_us, now, next, at;
	int found, handed = 0, urgent = 0, rc = 0, precise = 0;
	const char *failed = NULL;

	if (s->stopped)
		return 0;
	s->running = 1;
	evtimer_del(s->timer);
	s->timer_at = -1;
	now_us = sched_clock_now(&s->clock);
	now = now_us / 1000000;
	for (;;) {
		if (sched_handoff(s, now_us) > 0) {
			/* Let them be sent, and their outcomes committed,
			 * before we claim and render more: the claim waits
			 * for the next turn of the loop. */
			handed = 1;
			if (s->hooks.handoff_done != NULL)
				s->hooks.handoff_done(s->hooks.arg);
			break;
		}
		/* Emergencies first, once a run, past the cap and past
		 * saturated channels: a backlog of reminders in the heap or
		 * in a channel's queue must not hold one back (issue 14).
		 * At most a cap's worth a pass; the claim below takes any
		 * more in priority order. */
		if (!urgent) {
			urgent = 1;
			n_claimed = 0;
			if (store_claim_urgent(s->st, now,
			    now + s->set.prefetch, s->set.cap,
			    now + s->set.lease, sched_on_claim, s,
			    &n_claimed) == -1) {
				failed = "claim";
				rc = -1;
				break;
			}
			if (n_claimed > 0)
				continue;	/* hand off the due ones */
		}
		if (s->n_capped >= s->set.cap)
			break;
		room = s->set.cap - s->n_capped;
		if (s->hooks.skip != NULL)
			n_skip = s->hooks.skip(s->hooks.arg, &skip);
		n_claimed = 0;
		if (sched_claim(s, now, room, skip, n_skip,
		    &n_claimed) == -1) {
			failed = "claim";
			rc = -1;
			break;
		}
		/* A full claim that left room (some of it was uncapped):
		 * more may wait behind it.  Each such pass takes room > 0
		 * jobs from the store, so this ends. */
		if (n_claimed == room && s->n_capped < s->set.cap)
			continue;
		/* Otherwise only a claim that brought due jobs needs another
		 * pass (which hands them off and ends). */
		if (n_claimed == 0 || s->n == 0 ||
		    s->heap[0]->j.next_at * 1000000 > now_us)
			break;
	}

	at = -1;
	if (handed)
		at = now_us;		/* claim next, after the dispatcher */
	else if (s->n > 0) {
		at = s->heap[0]->j.next_at * 1000000;
		precise = 1;
	}
	if (rc == 0 && !handed && s->n_capped < s->set.cap) {
		if (store_next_due(s->st, &next, &found) == -1) {
			failed = "next due";
			rc = -1;
		} else if (found) {
			int64_t want = (next - s->set.prefetch) * 1000000;

			/* Due in the window but not claimable: wait for a
			 * poke, or poll. */
			if (want <= now_us)
				want = now_us + SCHED_POLL_US;
			if (at == -1 || want < at) {
				at = want;
				precise = 0;
			}
		}
	}
	if (rc == -1 && (at == -1 || at > now_us + SCHED_POLL_US)) {
		at = now_us + SCHED_POLL_US;
		precise = 0;
	}
	/* A run that only handed off tried nothing in the store. */
	if (rc == -1 || !handed)
		sched_store_result(s, failed);
	s->running = 0;
	/* The clock again: claiming and staging a launch takes a while, and
	 * a timer computed from the old reading would fire that much late. */
	if (at != -1 && !s->stopped)
		sched_arm(s, at, sched_clock_now(&s->clock), precise);
	return rc;
}

void
sched_stop(struct sched *s)
{
	if (s == NULL)
		return;
	s->stopped = 1;
	evtimer_del(s->timer);
	s->timer_at = -1;
	sched_release(s);
}

void
sched_release(struct sched *s)
{
	struct store_result r;
	struct job_claim *sj;

	size_t n_held = s->n, n_fault = 0;

	if (s->n == 0)
		return;
	if (store_begin(s->st) == -1) {
		if (store_is_fault(s->st))
			n_fault = 1;
		else
			log_errx("scheduler: %s", store_error(s->st));
	}
	while (s->n > 0) {
		sj = sched_heap_pop(s);
		memset(&r, 0, sizeof(r));
		r.outcome = STORE_DEFER;
		r.at = sched_clock_now(&s->clock) / 1000000;
		r.next_at = sj->j.next_at;
		r.detail = "released by the scheduler";
		/* A store that cannot write fails every job alike: one line
		 * for all of them (below), not one per job. */
		if (n_fault == 0 && store_record(s->st, sj->j.key, &r) == -1) {
			if (store_is_fault(s->st))
				n_fault = 1;
			else
				log_errx("scheduler: put back %s: %s",
				    sj->j.key, store_error(s->st));
		}
		job_claim_free(sj);
	}
	if (n_fault > 0) {
		log_errx("scheduler: cannot put back %zu held jobs (%s); "
		    "the next start recovers them", n_held,
		    store_error(s->st));
		store_rollback(s->st);
	} else if (store_commit(s->st) == -1)
		log_errx("scheduler: %s", store_error(s->st));
}

void
sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	sched_stop(s);
	event_free(s->timer);
	free(s->heap);
	free(s);
}

int64_t
sched_timer_at(const struct sched *s)
{
	return s->timer_at;
}

int64_t
sched_wake_at(const struct sched *s)
{
	return s->timer_at == -1 ? -1 : s->wake_at;
}

size_t
sched_held(const struct sched *s)
{
	return s->n;
}

const struct sched_lateness *
sched_lateness(const struct sched *s)
{
	return &s->lateness;
}
