//! The `SDK-HMAC-SHA256` canonical request, string to sign and signature.
//!
//! Follows the Huawei Cloud API signing guide and the official Python SDK signer (which the
//! simulator must agree with): the path is percent-decoded, split on `/`, each segment encoded
//! with the unreserved set and a `/` appended; query keys and values are decoded, re-encoded
//! and sorted; signed headers are lower-cased, sorted and trimmed; the payload hash is the
//! SHA-256 of the exact body bytes, or the literal `UNSIGNED-PAYLOAD`.
//!
//! The server verifies requests with these functions, and tests use [`authorization`] to sign requests.

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use sha2::{Digest, Sha256};

/// The algorithm name that opens the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// SHA-256 of the empty body.
pub const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// The payload-hash literal a client sends in `X-Sdk-Content-Sha256` to leave the body unsigned.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// `X-Sdk-Date` format (UTC).
pub const DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// Everything except `A-Z a-z 0-9 - _ . ~` is percent-encoded (uppercase hex).
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encode(bytes: &[u8]) -> String {
    percent_encode(bytes, ENCODE).to_string()
}

/// The canonical URI of a path as sent (`/v1/x/vpcs` -> `/v1/x/vpcs/`).
pub fn canonical_uri(raw_path: &str) -> String {
    // Decode first, as the Python SDK does, so `%2F` and `/` are the same separator.
    let decoded: Vec<u8> = percent_decode_str(raw_path).collect();
    let mut out = decoded
        .split(|&b| b == b'/')
        .map(encode)
        .collect::<Vec<_>>()
        .join("/");
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// Decodes one query key or value: `+` is a space (as Go's `url.Query` and servlet containers
/// read it; the Python SDK never sends a bare `+`), then `%XX` escapes.
pub(crate) fn decode_query_component(s: &str) -> Vec<u8> {
    percent_decode_str(&s.replace('+', " ")).collect()
}

/// The decoded `(key, value)` pairs of a raw query, in the order sent (`k` alone is `k=`).
pub fn query_pairs(raw_query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode_query_component(k), decode_query_component(v))
        })
        .collect()
}

/// The canonical query string of a raw query (without `?`): decoded, re-encoded, sorted.
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs = query_pairs(raw_query);
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The parts of a request that are signed.
#[derive(Debug, Clone)]
pub struct SignInput<'a> {
    /// HTTP method (any case).
    pub method: &'a str,
    /// The path as sent on the wire (percent-encoded).
    pub raw_path: &'a str,
    /// The query as sent, without `?` (empty when none).
    pub raw_query: &'a str,
    /// `(lower-case name, value)` of every signed header, in any order.
    pub headers: &'a [(String, String)],
    /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
    pub payload_hash: &'a str,
}

/// The signed-headers list: lower-case names sorted and joined by `;`.
pub fn signed_headers(headers: &[(String, String)]) -> String {
    let mut names: Vec<String> = headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .collect();
    names.sort();
    names.join(";")
}

/// The canonical request (six lines, see the module docs).
pub fn canonical_request(input: &SignInput<'_>) -> String {
    let mut headers: Vec<(String, &str)> = input
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim()))
        .collect();
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        input.method.to_ascii_uppercase(),
        canonical_uri(input.raw_path),
        canonical_query(input.raw_query),
        canonical_headers,
        signed_headers(input.headers),
        input.payload_hash
    )
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The string to sign for a canonical request and an `X-Sdk-Date` value.
pub fn string_to_sign(canonical_request: &str, sdk_date: &str) -> String {
    format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Lower-case hex HMAC-SHA256 of the string to sign, keyed by the secret key.
pub fn signature(secret_key: &str, string_to_sign: &str) -> String {
    hex::encode(mac(secret_key, string_to_sign).finalize().into_bytes())
}

/// Checks a hex signature in constant time.
pub(crate) fn verify_signature(
    secret_key: &str,
    string_to_sign: &str,
    signature_hex: &str,
) -> bool {
    match hex::decode(signature_hex) {
        Ok(sig) => mac(secret_key, string_to_sign).verify_slice(&sig).is_ok(),
        Err(_) => false,
    }
}

fn mac(secret_key: &str, data: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here; an empty key is
    // still a key.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret_key.as_bytes())
        .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()));
    mac.update(data.as_bytes());
    mac
}

/// The `Authorization` header value for a request (for test clients).
pub fn authorization(
    access_key: &str,
    secret_key: &str,
    input: &SignInput<'_>,
    sdk_date: &str,
) -> String {
    let canonical = canonical_request(input);
    let sig = signature(secret_key, &string_to_sign(&canonical, sdk_date));
    format!(
        "{ALGORITHM} Access={access_key}, SignedHeaders={}, Signature={sig}",
        signed_headers(input.headers)
    )
}

/// A parsed `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthorizationHeader {
    /// The access key.
    pub access: String,
    /// Lower-case signed header names, in the order given.
    pub signed_headers: Vec<String>,
    /// Hex signature.
    pub signature: String,
}

impl AuthorizationHeader {
    /// Parses the header value; `None` when it is not a well-formed `SDK-HMAC-SHA256` value.
    pub fn parse(value: &str) -> Option<Self> {
        let rest = value.strip_prefix(ALGORITHM)?.strip_prefix(' ')?;
        let (mut access, mut signed, mut sig) = (None, None, None);
        for part in rest.split(',') {
            let (k, v) = part.trim().split_once('=')?;
            match k {
                "Access" => access = Some(v.to_owned()),
                "SignedHeaders" => {
                    signed = Some(
                        v.split(';')
                            .map(str::to_ascii_lowercase)
                            .collect::<Vec<_>>(),
                    );
                }
                "Signature" => sig = Some(v.to_owned()),
                _ => return None,
            }
        }
        let signed_headers = signed?;
        if signed_headers.iter().any(String::is_empty) {
            return None;
        }
        Some(Self {
            access: access?,
            signed_headers,
            signature: sig?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn vector_a_official_doc_example() {
        let headers = h(&[
            ("content-type", "application/json"),
            ("host", "service.region.example.com"),
            ("x-sdk-date", "20191115T033655Z"),
        ]);
        let input = SignInput {
            method: "GET",
            raw_path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
            raw_query: "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
            headers: &headers,
            payload_hash: EMPTY_HASH,
        };
        let canonical = canonical_request(&input);
        assert_eq!(
            canonical,
            "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\nlimit=2&marker=13551d6b-755d-4757-b956-536f674975c0\ncontent-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n\ncontent-type;host;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
        );
        let auth = authorization(
            "QTWAOYTTINDUT2QVKYUC",
            "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
            &input,
            "20191115T033655Z",
        );
        assert_eq!(
            auth,
            "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );
    }

    #[test]
    fn vector_b1_go_sdk_get() {
        let headers = h(&[("x-sdk-date", "20060102T150405Z")]);
        let input = SignInput {
            method: "GET",
            raw_path: "/path",
            raw_query: "limit=1",
            headers: &headers,
            payload_hash: EMPTY_HASH,
        };
        assert_eq!(
            canonical_request(&input),
            format!(
                "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n{EMPTY_HASH}"
            )
        );
        let auth = authorization("AccessKey", "SecretKey", &input, "20060102T150405Z");
        assert!(
            auth.ends_with(
                "Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"
            ),
            "{auth}"
        );
    }

    #[test]
    fn vector_b2_go_sdk_post_hashes_exact_body_bytes() {
        let body = b"{\"Name\":\"test\",\"Id\":1}\n";
        let hash = sha256_hex(body);
        assert_eq!(
            hash,
            "a29d7b4c5efd1a22011d69fd7b7aee76fe51e4083c609244228de258afd61289"
        );
        let headers = h(&[("x-sdk-date", "20060102T150405Z")]);
        let input = SignInput {
            method: "POST",
            raw_path: "/path",
            raw_query: "key=value",
            headers: &headers,
            payload_hash: &hash,
        };
        let canonical = canonical_request(&input);
        let sts = string_to_sign(&canonical, "20060102T150405Z");
        assert_eq!(
            signature("SecretKey", &sts),
            "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"
        );
        assert!(verify_signature(
            "SecretKey",
            &sts,
            "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"
        ));
        assert!(!verify_signature(
            "SecretKey",
            &sts,
            "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f5a"
        ));
        assert!(!verify_signature("SecretKey", &sts, "not hex"));
    }

    #[test]
    fn canonical_query_decodes_sorts_and_reencodes() {
        // The Go SDK's own canonical-query test case.
        assert_eq!(
            canonical_query(
                "test=%E4%B8%80%20(%26%3D%3F!%23%25.*)&path=/tmp/123&multi=3&multi=1&multi=2&limit=1&enable=true"
            ),
            "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
        );
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("flag&a=1"), "a=1&flag=");
        // A bare `+` is a space, as Go's signer reads it; `%2B` is a plus.
        assert_eq!(canonical_query("q=a+b&r=a%2Bb"), "q=a%20b&r=a%2Bb");
    }

    #[test]
    fn canonical_uri_decodes_then_encodes_each_segment() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("/a/b/"), "/a/b/");
        assert_eq!(canonical_uri("/a%20b/c~d"), "/a%20b/c~d/");
        assert_eq!(canonical_uri("/a b/%e4%b8%80"), "/a%20b/%E4%B8%80/");
        assert_eq!(canonical_uri("/a%2Fb"), "/a/b/");
    }

    #[test]
    fn authorization_header_parses_strictly() {
        let p = AuthorizationHeader::parse(
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;X-Sdk-Date, Signature=abc",
        )
        .unwrap();
        assert_eq!(p.access, "AK");
        assert_eq!(p.signed_headers, ["host", "x-sdk-date"]);
        assert_eq!(p.signature, "abc");
        for bad in [
            "",
            "SDK-HMAC-SHA256",
            "Bearer x",
            "SDK-HMAC-SHA256 Access=AK, Signature=abc",
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=, Signature=abc",
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=abc, Extra=1",
            "V11-HMAC-SHA256 Credential=AK/x, SignedHeaders=host, Signature=abc",
        ] {
            assert!(AuthorizationHeader::parse(bad).is_none(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn canonical_query_ignores_pair_order_and_encoding_choices(
            pairs in proptest::collection::vec(("[a-z_]{1,6}", "[ -~\u{4e00}]{0,8}"), 0..6),
            seed in 0u64..1000,
        ) {
            let strict: String = pairs
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k.as_bytes()), encode(v.as_bytes())))
                .collect::<Vec<_>>()
                .join("&");
            // The same pairs, rotated and with spaces sent as `+` (form encoding).
            let mut shuffled = pairs.clone();
            if !shuffled.is_empty() {
                let n = usize::try_from(seed).unwrap_or(0) % shuffled.len();
                shuffled.rotate_left(n);
            }
            let loose: String = shuffled
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k.as_bytes()), encode(v.as_bytes()).replace("%20", "+")))
                .collect::<Vec<_>>()
                .join("&");
            proptest::prop_assert_eq!(canonical_query(&strict), canonical_query(&loose));
            // Canonical output is a fixed point.
            let canonical = canonical_query(&strict);
            proptest::prop_assert_eq!(canonical_query(&canonical), canonical.clone());
        }

        #[test]
        fn canonical_uri_is_a_fixed_point(segments in proptest::collection::vec("[ -~\u{e9}]{0,6}", 1..5)) {
            let raw = format!("/{}", segments.iter().map(|s| encode(s.as_bytes())).collect::<Vec<_>>().join("/"));
            let once = canonical_uri(&raw);
            proptest::prop_assert!(once.ends_with('/'));
            proptest::prop_assert_eq!(canonical_uri(&once), once.clone());
        }
    }
}
