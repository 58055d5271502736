/*
 * test_tally.c - a deadline's audience by unit (a unit has submitted when
 * any of its contacts has; a contact without a unit counts alone), and
 * the digest's choice of deadlines: within the horizon, or past and still
 * owed by some unit.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "tally.h"

#define DAY	86400
/* TZ=Asia/Shanghai date -d '2023-08-04 09:00' +%s */
#define T_NOW	1691110800

struct fx {
	struct model_unit u[2];
	struct model_contact k[4];
	const struct model_contact *aud[4];
	struct model_deadline dl[3];
	struct model_campaign c;
	const char *done;	/* the contact that has submitted */
};

static int
submitted(void *arg, const char *campaign, const char *deadline,
    const char *contact)
{
	const struct fx *f = arg;

	(void)campaign;
	(void)deadline;
	return f->done != NULL && strcmp(contact, f->done) == 0;
}

static void
fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->u[0] = (struct model_unit){ .id = "beijing", .name = "北京市商务局" };
	f->u[1] = (struct model_unit){ .id = "hebei", .name = "河北省商务厅" };
	f->k[0] = (struct model_contact){ .id = "bj-wang", .name = "王晓明",
	    .unit = &f->u[0] };
	f->k[1] = (struct model_contact){ .id = "hb-zhang", .name = "张丽",
	    .unit = &f->u[1] };
	f->k[2] = (struct model_contact){ .id = "bj-liu", .name = "刘建华",
	    .unit = &f->u[0] };
	f->k[3] = (struct model_contact){ .id = "guest", .name = "赵六" };
	for (int i = 0; i < 4; i++)
		f->aud[i] = &f->k[i];
	for (int i = 0; i < 3; i++) {
		f->dl[i].audience.contacts = f->aud;
		f->dl[i].audience.n = 4;
	}
	f->dl[0].id = "soon";
	f->dl[0].title = "报送名单";
	f->dl[0].due = (struct model_time){ "2023-08-05 17:00",
	    T_NOW + DAY + 8 * 3600, 0 };
	f->dl[1].id = "far";
	f->dl[1].title = "报送目录";
	f->dl[1].due = (struct model_time){ "2023-08-15 17:00",
	    T_NOW + 11 * DAY + 8 * 3600, 0 };
	f->dl[2].id = "past";
	f->dl[2].title = "报送方案";
	f->dl[2].due = (struct model_time){ "2023-08-01 17:00",
	    T_NOW - 3 * DAY + 8 * 3600, 0 };
	f->c.id = "c";
	f->c.timezone = "Asia/Shanghai";
	f->c.deadlines = f->dl;
	f->c.n_deadlines = 3;
	f->c.digest.horizon = 7 * DAY;
}

static void
test_units(void **state)
{
	struct fx f;
	struct tally t;

	(void)state;
	fx_init(&f);
	/* Beijing's second contact submitted: Beijing has. */
	f.done = "bj-liu";
	tally_deadline(&f.c, &f.dl[0], NULL, submitted, &f, &t);
	assert_string_equal(t.pending, "河北省商务厅、赵六");
	assert_string_equal(t.submitted, "北京市商务局");
	assert_int_equal(t.n_pending, 2);
	assert_int_equal(t.n_total, 3);
	tally_clear(&t);
	assert_null(t.pending);

	f.done = NULL;
	tally_deadline(&f.c, &f.dl[0], NULL, submitted, &f, &t);
	assert_string_equal(t.pending, "北京市商务局、河北省商务厅、赵六");
	assert_null(t.submitted);
	tally_clear(&t);
}

static void
test_digest(void **state)
{
	struct fx f;
	char *s;

	(void)state;
	fx_init(&f);
	f.done = "bj-wang";
	s = tally_digest(&f.c, T_NOW, submitted, &f);
	/* Aug 15 is beyond 7 days; Aug 1 is past and still owed. */
	assert_string_equal(s,
	    "报送名单（8月5日 17:00截止）：已报送1/3，未报送：河北省商务厅、赵六\n"
	    "报送方案（8月1日 17:00截止，已逾期）：已报送1/3，未报送：河北省商务厅、赵六");
	free(s);

	/* A one-day horizon and no past deadline: nothing to list. */
	f.c.digest.horizon = DAY;
	f.c.n_deadlines = 2;
	s = tally_digest(&f.c, T_NOW, submitted, &f);
	assert_string_equal(s, "1天内没有截止的报送事项。");
	free(s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_units),
	cmocka_unit_test(test_digest),
};

UNIT_MAIN(tests)
