/*
 * rtc.c - the wall clock, read once at boot from the CMOS RTC so trace
 * timestamps can be shown as dates. Xen PVH has no RTC (ports read 0xff);
 * then the wall clock is unknown (0), which the ring format allows.
 */
#include "pvh.h"

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);        /* bit 7 clear: NMIs stay enabled */
	return inb(0x71);
}

static unsigned bcd(uint8_t v, bool binary)
{
	return binary ? v : (unsigned)(v & 0x0f) + (unsigned)(v >> 4) * 10;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

struct rtc_time {
	uint8_t sec, min, hour, day, mon, year, cent;
};

static void rtc_snapshot(struct rtc_time *t)
{
	/* Wait out an update in progress (it lasts under 2 ms), bounded. */
	for (unsigned i = 0; i < 1000000 && (cmos(0x0a) & 0x80); i++)
		;
	t->sec = cmos(0x00);
	t->min = cmos(0x02);
	t->hour = cmos(0x04);
	t->day = cmos(0x07);
	t->mon = cmos(0x08);
	t->year = cmos(0x09);
	t->cent = cmos(0x32);
}

static bool rtc_same(const struct rtc_time *a, const struct rtc_time *b)
{
	return a->sec == b->sec && a->min == b->min && a->hour == b->hour &&
	       a->day == b->day && a->mon == b->mon && a->year == b->year &&
	       a->cent == b->cent;
}

uint64_t rtc_read_ns(void)
{
	struct rtc_time a, b;

	if (cmos(0x0b) == 0xff && cmos(0x00) == 0xff)
		return 0;                       /* no RTC */
	/* Read until two snapshots agree, so no field is torn by a
	 * seconds rollover between reads. */
	rtc_snapshot(&b);
	unsigned tries = 0;
	do {
		a = b;
		rtc_snapshot(&b);
	} while (!rtc_same(&a, &b) && ++tries < 5);

	uint8_t status_b = cmos(0x0b);
	bool binary = status_b & 0x04;
	bool pm = !(status_b & 0x02) && (b.hour & 0x80);
	unsigned hour = bcd(b.hour & 0x7f, binary);
	if (!(status_b & 0x02))                 /* 12-hour clock */
		hour = hour % 12 + (pm ? 12 : 0);
	unsigned cent = bcd(b.cent, binary);
	if (cent < 19 || cent > 30)             /* no century register */
		cent = 20;
	unsigned mon = bcd(b.mon, binary), day = bcd(b.day, binary);
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23)
		return 0;

	int64_t days = days_from_civil(cent * 100 + bcd(b.year, binary), mon,
				       day);
	int64_t secs = days * 86400 + hour * 3600 +
		       bcd(b.min, binary) * 60 + bcd(b.sec, binary);
	return secs > 0 ? (uint64_t)secs * 1000000000ull : 0;
}
