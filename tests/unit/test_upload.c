/*
 * test_upload.c - the uploader's pure parts: SigV4 against the examples of
 * the S3 API reference, Retry-After in both RFC 9110 forms, the failure
 * classes of HTTP answers, name variants and templates, and the small XML
 * reader on WebDAV and S3 answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "provider.h"
#include "up_http.h"
#include "up_sigv4.h"
#include "up_xml.h"

static const struct up_sigv4_key example_key = {
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"us-east-1", "s3"
};

static void
sigv4_matches_the_get_object_example(void **state)
{
	const struct up_sigv4_header h[] = {
		{ "host", "examplebucket.s3.amazonaws.com" },
		{ "range", "bytes=0-9" },
		{ "x-amz-content-sha256", UP_SIGV4_EMPTY_SHA256 },
		{ "x-amz-date", "20130524T000000Z" },
	};
	char out[512];

	(void)state;
	assert_int_equal(up_sigv4_authorization(&example_key,
	    "20130524T000000Z", "GET", "/test.txt", "", h, 4,
	    UP_SIGV4_EMPTY_SHA256, out, sizeof(out)), CS_OK);
	assert_string_equal(out, "AWS4-HMAC-SHA256 Credential="
	    "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
	    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
	    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c"
	    "6036bdb41");
}

static void
sigv4_matches_the_get_lifecycle_example(void **state)
{
	const struct up_sigv4_header h[] = {
		{ "host", "examplebucket.s3.amazonaws.com" },
		{ "x-amz-content-sha256", UP_SIGV4_EMPTY_SHA256 },
		{ "x-amz-date", "20130524T000000Z" },
	};
	char out[512];

	(void)state;
	assert_int_equal(up_sigv4_authorization(&example_key,
	    "20130524T000000Z", "GET", "/", "lifecycle=", h, 3,
	    UP_SIGV4_EMPTY_SHA256, out, sizeof(out)), CS_OK);
	assert_non_null(strstr(out, "Signature=fea454ca298b7da1c68078a5d1bd"
	    "bfbbe0d65c699e0f91ac7a200a0136783543"));
}

static void
retry_after_takes_seconds_and_http_dates(void **state)
{
	(void)state;
	assert_int_equal(up_http_retry_after("120", 0), 120);
	assert_int_equal(up_http_retry_after("0", 0), 0);
	/* 784111777 is Sun, 06 Nov 1994 08:49:37 GMT */
	assert_int_equal(up_http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT",
	    784111777 - 30), 30);
	assert_int_equal(up_http_retry_after("Sunday, 06-Nov-94 08:49:37 GMT",
	    784111777 - 5), 5);
	assert_int_equal(up_http_retry_after("Sun Nov  6 08:49:37 1994",
	    784111777 - 7), 7);
	/* a date in the past means now */
	assert_int_equal(up_http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT",
	    784111777 + 100), 0);
	assert_int_equal(up_http_retry_after("soon", 0), -1);
	assert_int_equal(up_http_retry_after("", 0), -1);
}

/* fail_with - the outcome for an answer of status with head and body */
static struct up_outcome
fail_with(long status, const char *head, const char *body, CURLcode code)
{
	struct up_ctx ctx;
	struct up_http_resp resp;

	memset(&ctx, 0, sizeof(ctx));
	memset(&resp, 0, sizeof(resp));
	resp.status = status;
	resp.code = code;
	resp.head = (char *)head;
	resp.head_len = strlen(head);
	resp.body = (char *)body;
	resp.body_len = strlen(body);
	(void)strncpy(resp.error, "detail", sizeof(resp.error) - 1);
	up_http_fail(&ctx, &resp, "PUT");
	return ctx.out;
}

static void
http_failures_map_to_the_protocol_classes(void **state)
{
	struct up_outcome o;

	(void)state;
	o = fail_with(429, "HTTP/1.1 429 Too Many\r\nRetry-After: 17\r\n", "",
	    CURLE_OK);
	assert_int_equal(o.cls, UP_TEMPORARY);
	assert_int_equal(o.retry_after, 17);
	assert_int_equal(o.http_status, 429);
	o = fail_with(503, "HTTP/1.1 503 x\r\n", "busy", CURLE_OK);
	assert_int_equal(o.cls, UP_TEMPORARY);
	assert_int_equal(o.retry_after, -1);
	assert_int_equal(fail_with(401, "", "", CURLE_OK).cls, UP_AUTH);
	assert_int_equal(fail_with(403, "", "quota", CURLE_OK).cls,
	    UP_PERMANENT);
	assert_int_equal(fail_with(403, "", "{\"reason\":\"userRateLimit"
	    "Exceeded\"}", CURLE_OK).cls, UP_TEMPORARY);
	assert_int_equal(fail_with(404, "", "", CURLE_OK).cls, UP_PERMANENT);
	assert_int_equal(fail_with(413, "", "", CURLE_OK).cls, UP_PERMANENT);
	assert_int_equal(fail_with(507, "", "", CURLE_OK).cls, UP_PERMANENT);
	o = fail_with(0, "", "", CURLE_PEER_FAILED_VERIFICATION);
	assert_int_equal(o.cls, UP_TEMPORARY);
	assert_non_null(strstr(o.reason, "TLS"));
	o = fail_with(0, "", "", CURLE_SSL_CONNECT_ERROR);
	assert_non_null(strstr(o.reason, "TLS"));
	o = fail_with(0, "", "", CURLE_COULDNT_CONNECT);
	assert_int_equal(o.cls, UP_TEMPORARY);
	assert_null(strstr(o.reason, "TLS"));
}

static void
names_vary_before_the_extension(void **state)
{
	char *s;

	(void)state;
	s = up_name_variant("scan.pdf", 0);
	assert_string_equal(s, "scan.pdf");
	free(s);
	s = up_name_variant("scan.pdf", 2);
	assert_string_equal(s, "scan-2.pdf");
	free(s);
	s = up_name_variant("a.b.tiff", 1);
	assert_string_equal(s, "a.b-1.tiff");
	free(s);
	s = up_name_variant(".hidden", 1);
	assert_string_equal(s, ".hidden-1");
	free(s);
	s = up_name_variant("noext", 3);
	assert_string_equal(s, "noext-3");
	free(s);
}

static void
templates_expand_and_encode_the_user(void **state)
{
	char *s;

	(void)state;
	s = up_expand_user("https://h/dav/%u/scans%%", "al ice", 1);
	assert_string_equal(s, "https://h/dav/al%20ice/scans%");
	free(s);
	s = up_expand_user("%u/", "bob", 0);
	assert_string_equal(s, "bob/");
	free(s);
	s = up_url_encode("a b/c~d.pdf", 1);
	assert_string_equal(s, "a%20b/c~d.pdf");
	free(s);
	s = up_url_encode("a/b", 0);
	assert_string_equal(s, "a%2Fb");
	free(s);
}

static void
xml_reader_finds_elements_by_local_name(void **state)
{
	const char *ms = "<?xml version=\"1.0\"?><d:multistatus xmlns:d=\"DAV:\">"
	    "<d:response><d:href>/u/x/00001</d:href><d:propstat><d:prop>"
	    "<d:getcontentlength>10</d:getcontentlength></d:prop></d:propstat>"
	    "</d:response><D:response><D:href>/u/x/00002</D:href>"
	    "<D:getcontentlength>4</D:getcontentlength></D:response>"
	    "</d:multistatus>";
	const char *s3 = "<InitiateMultipartUploadResult><Bucket>b</Bucket>"
	    "<Key>k</Key><UploadId>a&amp;b</UploadId>"
	    "</InitiateMultipartUploadResult>";
	const char *end = ms + strlen(ms), *t, *after;
	char buf[64];
	size_t len;

	(void)state;
	assert_int_equal(up_xml_find(ms, end, "response", &t, &len, &after),
	    0);
	assert_string_equal(up_xml_text(t, t + len, "href", buf, sizeof(buf)),
	    "/u/x/00001");
	assert_int_equal(up_xml_find(after, end, "response", &t, &len,
	    &after), 0);
	assert_string_equal(up_xml_text(t, t + len, "getcontentlength", buf,
	    sizeof(buf)), "4");
	assert_int_equal(up_xml_find(after, end, "response", &t, &len,
	    &after), -1);
	assert_string_equal(up_xml_text(s3, s3 + strlen(s3), "UploadId", buf,
	    sizeof(buf)), "a&b");
	assert_null(up_xml_text(s3, s3 + strlen(s3), "Error", buf,
	    sizeof(buf)));
}

static void
every_provider_is_in_the_table(void **state)
{
	static const char *const names[] = { "webdav", "s3", "gdrive",
	    "onedrive", "dropbox" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(up_provider_find(names[i])->name, names[i]);
	assert_null(up_provider_find("localdir"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sigv4_matches_the_get_object_example),
		cmocka_unit_test(sigv4_matches_the_get_lifecycle_example),
		cmocka_unit_test(retry_after_takes_seconds_and_http_dates),
		cmocka_unit_test(http_failures_map_to_the_protocol_classes),
		cmocka_unit_test(names_vary_before_the_extension),
		cmocka_unit_test(templates_expand_and_encode_the_user),
		cmocka_unit_test(xml_reader_finds_elements_by_local_name),
		cmocka_unit_test(every_provider_is_in_the_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
