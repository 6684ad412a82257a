/* consentctl's transport: HTTP to the daemon with libcurl, over its Unix
 * socket (CURLOPT_UNIX_SOCKET_PATH) or, with --url, over TCP/TLS. */
#include "config.h"

#include <curl/curl.h>
#include <string.h>

#include "buf.h"
#include "consentctl.h"
#include "json.h"

#define CLI_MAX_RESPONSE ((size_t)256 << 20)

static size_t
cli_write(char *data, size_t size, size_t n, void *userdata)
{
	struct buf *b = userdata;

	if (buf_append(b, data, size * n) < 0)
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	return size * n;
}

int
cli_request(struct cli_ctx *ctx, const char *method, const char *path,
    const json_t *body, long *ret_status, json_t **ret_body)
{
	_cleanup_buf_ struct buf resp = BUF_INIT(CLI_MAX_RESPONSE);
	_cleanup_free_ char *payload = NULL, *url = NULL;
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *curl;
	CURLcode rc;
	long status = 0;
	json_t *parsed = NULL;
	int r = 0;

	if (asprintf(&url, "%s%s", ctx->url ? ctx->url : "http://localhost",
		path) < 0)
		return -ENOMEM;
	curl = curl_easy_init();
	if (!curl)
		return -ENOMEM;
	if (!ctx->url)
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, ctx->socket_path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, cli_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 600L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "consentctl/" PACKAGE_VERSION);
	if (ctx->cacert)
		curl_easy_setopt(curl, CURLOPT_CAINFO, ctx->cacert);
	if (ctx->cert)
		curl_easy_setopt(curl, CURLOPT_SSLCERT, ctx->cert);
	if (ctx->key)
		curl_easy_setopt(curl, CURLOPT_SSLKEY, ctx->key);
	headers = curl_slist_append(headers, "Accept: application/json");
	if (ctx->token) {
		_cleanup_free_ char *h = NULL;
		if (asprintf(&h, "Authorization: Bearer %s", ctx->token) < 0) {
			r = -ENOMEM;
			goto out;
		}
		headers = curl_slist_append(headers, h);
	}
	if (ctx->url) {
		/* Only TLS for the network: never send a token in clear. */
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
		curl_easy_setopt(curl, CURLOPT_SSLVERSION,
		    (long)CURL_SSLVERSION_TLSv1_2);
	}
	if (body) {
		payload = json_dumps_checked(body, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!payload) {
			r = -ENOMEM;
			goto out;
		}
		headers = curl_slist_append(headers,
		    "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(payload));
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		if (!ctx->quiet)
			fprintf(stderr, "consentctl: cannot reach consentd at %s: %s\n",
			    ctx->url ? ctx->url : ctx->socket_path,
			    *errbuf ? errbuf : curl_easy_strerror(rc));
		r = rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -ECONNREFUSED;
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (resp.len > 0) {
		char err[256];
		parsed = json_parse(resp.data, resp.len, err, sizeof(err));
		if (!parsed && status >= 400) {
			/* A page from the HTTP layer itself (such as a 413
			 * for a body over the limit): keep the status. */
			*ret_status = status;
			*ret_body = NULL;
			goto out;
		}
		if (!parsed) {
			fprintf(stderr, "consentctl: the daemon sent a response that is not JSON (HTTP %ld): %s\n",
			    status, err);
			r = -EBADMSG;
			goto out;
		}
	}
	*ret_status = status;
	*ret_body = parsed;
out:
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return r;
}

int
cli_call(struct cli_ctx *ctx, const char *method, const char *path,
    const json_t *body, json_t **ret)
{
	json_t *resp = NULL;
	long status = 0;
	int r;

	r = cli_request(ctx, method, path, body, &status, &resp);
	if (r < 0)
		return EXIT_UNAVAILABLE;
	if (status < 200 || status >= 300) {
		r = cli_report_error(ctx, status, resp);
		json_decref(resp);
		return r;
	}
	if (!resp) {
		fprintf(stderr, "consentctl: empty response from the daemon\n");
		return EXIT_UNAVAILABLE;
	}
	*ret = resp;
	return EXIT_OK;
}

char *
cli_escape_path(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *copy = e ? strdup(e) : NULL;

	curl_free(e);
	return copy;
}
