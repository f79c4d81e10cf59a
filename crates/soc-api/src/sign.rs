//! Huawei Cloud `SDK-HMAC-SHA256` request signing (AK/SK).
//!
//! The algorithm (documented in the API signing guide and implemented by the official SDKs):
//! a canonical request is hashed, the hash is placed in a string to sign together with the
//! `X-Sdk-Date` timestamp, and that string is signed with HMAC-SHA256 keyed by the secret key
//! (no key derivation, unlike AWS SigV4). The canonical URI always ends with `/`, even though
//! the URL that is sent need not.

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};
use url::Url;

use crate::secret::Secret;

/// The algorithm name used in the string to sign and the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// The `X-Sdk-Date` format (`YYYYMMDDTHHMMSSZ`, UTC).
pub(crate) const SDK_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// Everything except the RFC 3986 unreserved characters is percent-encoded.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The parts of a request that are signed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignableRequest<'a> {
    /// HTTP method (any case).
    pub method: &'a str,
    /// The full URL as sent (path and query are taken from it).
    pub url: &'a Url,
    /// The headers to sign, including `x-sdk-date`; names in any case.
    pub headers: &'a [(&'a str, &'a str)],
    /// The exact body bytes that are sent.
    pub body: &'a [u8],
}

/// Lower-case hex SHA-256 of `data`.
#[must_use]
pub(crate) fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The canonical URI: the path decoded, split on `/`, each segment re-encoded, with a trailing
/// `/`. Decoding before splitting (as both official SDKs do) makes `%2F` a separator too.
fn canonical_uri(url: &Url) -> String {
    let decoded: Vec<u8> = percent_decode_str(url.path()).collect();
    let mut out = decoded
        .split(|&b| b == b'/')
        .map(|segment| percent_encoding::percent_encode(segment, ENCODE).to_string())
        .collect::<Vec<_>>()
        .join("/");
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query string: encoded `k=v` pairs sorted by key, then value.
fn canonical_query(url: &Url) -> String {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            (
                utf8_percent_encode(&k, ENCODE).to_string(),
                utf8_percent_encode(&v, ENCODE).to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Lower-cased, sorted `(name, trimmed value)` pairs.
fn normalized_headers(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    out.sort();
    out
}

/// The `SignedHeaders` list: lower-case names, sorted, joined by `;`.
#[must_use]
pub fn signed_headers(headers: &[(&str, &str)]) -> String {
    normalized_headers(headers)
        .into_iter()
        .map(|(name, _)| name)
        .collect::<Vec<_>>()
        .join(";")
}

/// The canonical request that is hashed into the string to sign.
#[must_use]
pub fn canonical_request(req: &SignableRequest<'_>) -> String {
    let headers = normalized_headers(req.headers);
    let mut canonical_headers = String::new();
    for (name, value) in &headers {
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(value);
        canonical_headers.push('\n');
    }
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method.to_ascii_uppercase(),
        canonical_uri(req.url),
        canonical_query(req.url),
        canonical_headers,
        signed_headers(req.headers),
        hex_sha256(req.body)
    )
}

/// The string to sign for a canonical request made at `sdk_date` (`X-Sdk-Date` value).
#[must_use]
pub fn string_to_sign(canonical_request: &str, sdk_date: &str) -> String {
    format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        hex_sha256(canonical_request.as_bytes())
    )
}

/// The hex signature of `req`, signed with `sk` at `sdk_date`.
#[must_use]
pub fn signature(req: &SignableRequest<'_>, sk: &Secret, sdk_date: &str) -> String {
    let to_sign = string_to_sign(&canonical_request(req), sdk_date);
    // HMAC accepts keys of any length, so this cannot fail; the fallback keeps the library
    // panic-free all the same.
    match Hmac::<Sha256>::new_from_slice(sk.expose().as_bytes()) {
        Ok(mut mac) => {
            mac.update(to_sign.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// The full `Authorization` header value for `req`.
#[must_use]
pub fn authorization(req: &SignableRequest<'_>, ak: &str, sk: &Secret, sdk_date: &str) -> String {
    format!(
        "{ALGORITHM} Access={ak}, SignedHeaders={}, Signature={}",
        signed_headers(req.headers),
        signature(req, sk, sdk_date)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// The signing guide's worked example.
    #[test]
    fn documentation_example() {
        let url = Url::parse(
            "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
        )
        .unwrap();
        let headers = [
            ("Content-Type", "application/json"),
            ("Host", "service.region.example.com"),
            ("X-Sdk-Date", "20191115T033655Z"),
        ];
        let req = SignableRequest {
            method: "GET",
            url: &url,
            headers: &headers,
            body: b"",
        };
        let canonical = canonical_request(&req);
        assert_eq!(
            canonical,
            format!(
                "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\nlimit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n\
                 content-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n\n\
                 content-type;host;x-sdk-date\n{EMPTY_SHA256}"
            )
        );
        assert_eq!(
            hex_sha256(canonical.as_bytes()),
            "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
        );
        let sk = Secret::new("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc");
        assert_eq!(
            authorization(&req, "QTWAOYTTINDUT2QVKYUC", &sk, "20191115T033655Z"),
            "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, \
             Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );
    }

    /// Go SDK `signer_test.go`, GET case.
    #[test]
    fn go_sdk_get() {
        let url = Url::parse("https://example.huaweicloud.com/path?limit=1").unwrap();
        let headers = [("X-Sdk-Date", "20060102T150405Z")];
        let req = SignableRequest {
            method: "GET",
            url: &url,
            headers: &headers,
            body: b"",
        };
        assert_eq!(
            canonical_request(&req),
            format!(
                "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n{EMPTY_SHA256}"
            )
        );
        assert_eq!(
            authorization(
                &req,
                "AccessKey",
                &Secret::new("SecretKey"),
                "20060102T150405Z"
            ),
            "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, \
             Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"
        );
    }

    /// Go SDK `signer_test.go`, POST case: the body hash covers the encoder's trailing newline.
    #[test]
    fn go_sdk_post_with_body() {
        let url = Url::parse("https://example.huaweicloud.com/path?key=value").unwrap();
        let headers = [("X-Sdk-Date", "20060102T150405Z")];
        let body = b"{\"Name\":\"test\",\"Id\":1}\n";
        assert_eq!(
            hex_sha256(body),
            "a29d7b4c5efd1a22011d69fd7b7aee76fe51e4083c609244228de258afd61289"
        );
        let req = SignableRequest {
            method: "POST",
            url: &url,
            headers: &headers,
            body,
        };
        assert_eq!(
            signature(&req, &Secret::new("SecretKey"), "20060102T150405Z"),
            "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"
        );
        let without_newline = SignableRequest {
            body: b"{\"Name\":\"test\",\"Id\":1}",
            ..req
        };
        assert!(
            signature(
                &without_newline,
                &Secret::new("SecretKey"),
                "20060102T150405Z"
            )
            .starts_with("83599e52")
        );
    }

    /// Go SDK `TestSigner_canonicalQueryString`: repeated keys, reserved and non-ASCII values.
    #[test]
    fn query_string_encoding_and_order() {
        let mut url = Url::parse("https://example.com/").unwrap();
        url.query_pairs_mut()
            .append_pair("test", "一 (&=?!#%.*)")
            .append_pair("path", "/tmp/123")
            .append_pair("multi", "3")
            .append_pair("multi", "1")
            .append_pair("multi", "2")
            .append_pair("limit", "1")
            .append_pair("enable", "true");
        assert_eq!(
            canonical_query(&url),
            "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
        );
    }

    #[test]
    fn canonical_uri_reencodes_segments() {
        let url = Url::parse("https://h/v1/a%20b/c:d/").unwrap();
        assert_eq!(canonical_uri(&url), "/v1/a%20b/c%3Ad/");
        let url = Url::parse("https://h/v1/..%2Fx%3Fy=1").unwrap();
        assert_eq!(canonical_uri(&url), "/v1/../x%3Fy%3D1/");
        assert_eq!(canonical_uri(&Url::parse("https://h").unwrap()), "/");
    }
}
