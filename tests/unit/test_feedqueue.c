/*
 * test_feedqueue.c - the ring that hands page stream bytes to the
 * encoding thread (backend/feed_queue.c): every byte arrives once and in
 * order whatever the put sizes (slot-sized, odd, tiny), the last partly
 * filled slot is delivered by fq_finish, a consumer failure reaches the
 * producer's next put and fq_finish, and fq_cancel returns with data
 * still queued.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "feed_queue.h"

/* What the consumer saw. */
struct seen {
	uint64_t bytes;
	uint32_t hash;			/* FNV-1a over every byte, in order */
	uint64_t fail_after;		/* fail once this many bytes came */
	useconds_t delay;		/* per slot: a slow consumer */
};

static int
consume(void *ctx, const uint8_t *p, size_t len)
{
	struct seen *s = ctx;
	size_t i;

	if (s->delay)
		(void)usleep(s->delay);
	for (i = 0; i < len; i++)
		s->hash = (s->hash ^ p[i]) * 16777619u;
	s->bytes += len;
	return s->fail_after && s->bytes >= s->fail_after ? -7 : 0;
}

/* source - byte i of the test stream */
static uint8_t
source(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 9));
}

static void
every_byte_arrives_in_order(void **state)
{
	static const size_t sizes[] = { 1, 32, 65536, FQ_SLOT, FQ_SLOT + 3,
	    7, 100000, 3 * FQ_SLOT };
	struct feed_queue q;
	struct seen s = { 0, 2166136261u, 0, 0 };
	uint32_t want = 2166136261u;
	uint8_t *buf = malloc(3 * FQ_SLOT + 8);
	uint64_t off = 0;
	size_t i, j, round;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(fq_start(&q, consume, &s), 0);
	for (round = 0; round < 6; round++)
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			for (j = 0; j < sizes[i]; j++) {
				buf[j] = source(off + j);
				want = (want ^ buf[j]) * 16777619u;
			}
			assert_int_equal(fq_put(&q, buf, sizes[i]), 0);
			off += sizes[i];
		}
	assert_int_equal(fq_finish(&q), 0);
	fq_free(&q);
	assert_int_equal(s.bytes, off);
	assert_int_equal(s.hash, want);
	free(buf);
}

static void
a_consumer_failure_reaches_the_producer(void **state)
{
	struct feed_queue q;
	struct seen s = { 0, 2166136261u, 3 * FQ_SLOT, 0 };
	uint8_t *buf = calloc(1, FQ_SLOT);
	int rc = 0, n;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(fq_start(&q, consume, &s), 0);
	/* the ring holds FQ_SLOTS slots: the failure must show before
	 * the producer has put that many more */
	for (n = 0; n < 3 + FQ_SLOTS + 2 && rc == 0; n++)
		rc = fq_put(&q, buf, FQ_SLOT);
	assert_int_equal(rc, -7);
	assert_int_equal(fq_finish(&q), -7);
	fq_free(&q);
	assert_int_equal(s.bytes, 3 * FQ_SLOT);
	free(buf);
}

static void
cancel_drops_what_is_queued(void **state)
{
	struct feed_queue q;
	struct seen s = { 0, 2166136261u, 0, 20000 };
	uint8_t *buf = calloc(1, FQ_SLOT);
	int n;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(fq_start(&q, consume, &s), 0);
	for (n = 0; n < FQ_SLOTS; n++)
		assert_int_equal(fq_put(&q, buf, FQ_SLOT), 0);
	fq_cancel(&q);
	fq_free(&q);
	/* a slow consumer (20 ms a slot) cannot have taken them all */
	assert_true(s.bytes < (uint64_t)FQ_SLOTS * FQ_SLOT);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_byte_arrives_in_order),
		cmocka_unit_test(a_consumer_failure_reaches_the_producer),
		cmocka_unit_test(cancel_drops_what_is_queued),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
