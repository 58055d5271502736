/*
 * test_phone.c - number normalisation, against VENDORS.md section 6
 * (MIIT network-code allocation as of March 2023).
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "phone.h"

struct phone_ok {
	const char	*in;
	const char	*out;
};

static void
test_mainland_forms(void **state)
{
	static const struct phone_ok cases[] = {
		{ "13800138000", "+8613800138000" },
		{ "138 0013 8000", "+8613800138000" },
		{ "138-0013-8000", "+8613800138000" },
		{ "+8613800138000", "+8613800138000" },
		{ "+86 138 0013 8000", "+8613800138000" },
		{ "+86-138-0013-8000", "+8613800138000" },
		{ "008613800138000", "+8613800138000" },
		{ "0086 138 0013 8000", "+8613800138000" },
		{ "8613800138000", "+8613800138000" },
		{ "86 13800138000", "+8613800138000" },
		{ " 13800138000 ", "+8613800138000" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[17] = "", err[128] = "";

		if (phone_normalize(cases[i].in, out, sizeof(out), err,
		    sizeof(err)) != 0)
			fail_msg("\"%s\": %s", cases[i].in, err);
		assert_string_equal(out, cases[i].out);
	}
}

/*
 * VENDORS.md section 6, allocated: 130-139; 145-149; 150-153, 155-159;
 * 162, 165-167; 170-178; 180-189; 190-193, 195-199; and satellite 1619.
 * Unallocated: 154, 179, 194, 160/161 (but 1619), 163, 164, 168, 169.
 * The allocated set is written here as ranges, independently of the
 * table in phone.c.
 */
static int
allocated(int code)
{
	return (code >= 130 && code <= 139) || (code >= 145 && code <= 149) ||
	    (code >= 150 && code <= 153) || (code >= 155 && code <= 159) ||
	    code == 162 || (code >= 165 && code <= 167) ||
	    (code >= 170 && code <= 178) || (code >= 180 && code <= 189) ||
	    (code >= 190 && code <= 193) || (code >= 195 && code <= 199);
}

static void
test_every_network_code(void **state)
{
	(void)state;
	for (int code = 130; code <= 199; code++) {
		char in[16], want[128], out[17] = "", err[128] = "";
		int rc;

		snprintf(in, sizeof(in), "%d12345678", code);
		rc = phone_normalize(in, out, sizeof(out), err, sizeof(err));
		if (allocated(code)) {
			if (rc != 0)
				fail_msg("%d refused: %s", code, err);
			snprintf(want, sizeof(want), "+86%s", in);
			assert_string_equal(out, want);
		} else if (code >= 140 && code <= 144) {
			/* IoT: 13-digit numbers, not phones. */
			assert_int_equal(rc, -1);
			snprintf(want, sizeof(want), "phone \"%s\" is not a "
			    "mainland mobile number", in);
			assert_string_equal(err, want);
		} else {
			if (rc != -1)
				fail_msg("%d accepted", code);
			snprintf(want, sizeof(want), "phone \"%s\" uses an "
			    "unallocated network code %d", in, code);
			assert_string_equal(err, want);
		}
	}
}

static void
test_special_ranges(void **state)
{
	char out[17], err[128];

	(void)state;
	/* Satellite: 1619 inside the unallocated 161, 1349, 174x. */
	assert_int_equal(phone_normalize("16191234567", out, sizeof(out), err,
	    sizeof(err)), 0);
	assert_string_equal(out, "+8616191234567");
	assert_int_equal(phone_normalize("16181234567", out, sizeof(out), err,
	    sizeof(err)), -1);
	assert_string_equal(err, "phone \"16181234567\" uses an unallocated "
	    "network code 161");
	assert_int_equal(phone_normalize("13491234567", out, sizeof(out), err,
	    sizeof(err)), 0);
	assert_int_equal(phone_normalize("17401234567", out, sizeof(out), err,
	    sizeof(err)), 0);
	/* Resold (MVNO) ranges are ordinary phones. */
	assert_int_equal(phone_normalize("17012345678", out, sizeof(out), err,
	    sizeof(err)), 0);
	assert_int_equal(phone_normalize("16512345678", out, sizeof(out), err,
	    sizeof(err)), 0);
}

struct phone_bad {
	const char	*in;
	const char	*err;
};

static void
test_invalid(void **state)
{
	static const struct phone_bad cases[] = {
		{ "1380013800",
		    "phone \"1380013800\" is not a mainland mobile number" },
		{ "138001380000",
		    "phone \"138001380000\" is not a mainland mobile number" },
		{ "23800138000",
		    "phone \"23800138000\" is not a mainland mobile number" },
		{ "12800138000",
		    "phone \"12800138000\" is not a mainland mobile number" },
		{ "+86 154 0000 0000", "phone \"+86 154 0000 0000\" uses an "
		    "unallocated network code 154" },
		{ "+86 1380013800",
		    "phone \"+86 1380013800\" is not a mainland mobile number" },
		{ "0086 194 0000 0000", "phone \"0086 194 0000 0000\" uses an "
		    "unallocated network code 194" },
		{ "8617900000000", "phone \"8617900000000\" uses an "
		    "unallocated network code 179" },
		/* 13 digits of IoT (140-144), not a phone. */
		{ "1440000000000",
		    "phone \"1440000000000\" is not a mainland mobile number" },
		/* SMS service codes are senders, never recipients. */
		{ "10655012345",
		    "phone \"10655012345\" is not a mainland mobile number" },
		{ "1069012345678",
		    "phone \"1069012345678\" is not a mainland mobile number" },
		{ "abc", "phone \"abc\" is not a phone number" },
		{ "", "phone \"\" is not a phone number" },
		{ "+", "phone \"+\" is not a phone number" },
		{ "  ", "phone \"  \" is not a phone number" },
		{ "138.0013.8000",
		    "phone \"138.0013.8000\" is not a phone number" },
		{ "(138) 0013 8000",
		    "phone \"(138) 0013 8000\" is not a phone number" },
		{ "138+00138000",
		    "phone \"138+00138000\" is not a phone number" },
		{ "++8613800138000",
		    "phone \"++8613800138000\" is not a phone number" },
		{ "1380013800012345678901234567890123",
		    "phone \"1380013800012345678901234567890123\" is not a "
		    "phone number" },
		{ "+1 234 567", "phone \"+1 234 567\" is not an international "
		    "number (+ and 8 to 15 digits)" },
		{ "+1234567890123456", "phone \"+1234567890123456\" is not an "
		    "international number (+ and 8 to 15 digits)" },
		{ "+0123456789", "phone \"+0123456789\" is not an "
		    "international number (+ and 8 to 15 digits)" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[17] = "unchanged", err[160] = "";

		if (phone_normalize(cases[i].in, out, sizeof(out), err,
		    sizeof(err)) != -1)
			fail_msg("accepted \"%s\" as %s", cases[i].in, out);
		assert_string_equal(err, cases[i].err);
		assert_string_equal(out, "unchanged");
	}
}

static void
test_international(void **state)
{
	static const struct phone_ok cases[] = {
		{ "+14155552671", "+14155552671" },
		{ "+1 415-555-2671", "+14155552671" },
		{ "+44 20 7946 0958", "+442079460958" },
		{ "+85212345678", "+85212345678" },		/* 8 digits */
		{ "+123456789012345", "+123456789012345" },	/* 15 digits */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[17] = "", err[128] = "";

		if (phone_normalize(cases[i].in, out, sizeof(out), err,
		    sizeof(err)) != 0)
			fail_msg("\"%s\": %s", cases[i].in, err);
		assert_string_equal(out, cases[i].out);
	}
}

static void
test_small_output(void **state)
{
	char out[8] = "unchang", err[128];

	(void)state;
	assert_int_equal(phone_normalize("13800138000", out, sizeof(out), err,
	    sizeof(err)), -1);
	assert_string_equal(out, "unchang");
	assert_int_equal(phone_normalize("+14155552671", out, sizeof(out), err,
	    sizeof(err)), -1);
	assert_string_equal(out, "unchang");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_mainland_forms),
	cmocka_unit_test(test_every_network_code),
	cmocka_unit_test(test_special_ranges),
	cmocka_unit_test(test_invalid),
	cmocka_unit_test(test_international),
	cmocka_unit_test(test_small_output),
};

UNIT_MAIN(tests)
