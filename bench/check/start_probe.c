/* Process-start probe (bench/check/run.sh): a program that does nothing,
 * linked like consentctl (the same libraries, -z now), to time what
 * loading those libraries costs at every consentctl start. Built twice:
 * start_nocurl with consentctl's libraries, start_curl with libcurl added
 * (as consentctl was linked when libcurl was its transport; libcurl's
 * dependencies would be most of the list). Each library is referenced on
 * a path never taken, so that none is dropped at link time. */
#include "config.h"

#include <http_parser.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <yaml.h>
#include <zlib.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#ifdef WITH_CURL
#include <curl/curl.h>
#endif

int
main(int argc, char **argv)
{
	if (argc > 1000) {
		printf("%s %p %s %p %s\n", sqlite3_libversion(),
		    (const void *)EVP_sha256(), yaml_get_version_string(),
		    (void *)json_object(), zlibVersion());
		pcre2_code_free(NULL);
		printf("%lu\n", http_parser_version());
		SSL_CTX_free(SSL_CTX_new(TLS_client_method()));
#ifdef WITH_CURL
		curl_easy_cleanup(curl_easy_init());
#endif
	}
	return 0;
}
