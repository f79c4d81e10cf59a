//! Authentication: IAM tokens the simulator issued, and `SDK-HMAC-SHA256` signatures.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method, Uri};
use chrono::{DateTime, NaiveDateTime, Utc};

use super::config::{AccessKey, IamUser};
use super::log::AuthKind;
use crate::sign::{self, AuthorizationHeader, EMPTY_HASH, SignInput, UNSIGNED_PAYLOAD};

/// Who made a request, and the key its rate limit counts against.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub(crate) auth: AuthKind,
    pub(crate) rate_key: String,
}

/// Why authentication failed; each maps to a documented gateway error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// Neither `X-Auth-Token` nor `Authorization`.
    Missing,
    /// A token the simulator never issued.
    UnknownToken,
    /// A token past its lifetime or its allowed uses.
    ExpiredToken,
    /// `X-Sdk-Date` too far from the server clock.
    ClockSkew,
    /// A malformed or failing signature; the text says which check failed.
    Signature(&'static str),
}

impl AuthFailure {
    pub(crate) fn code_and_message(&self) -> (&'static str, String) {
        match self {
            Self::Missing => (
                "APIGW.0301",
                "Incorrect IAM authentication information: x-auth-token not found".to_owned(),
            ),
            Self::UnknownToken => (
                "APIGW.0301",
                "Incorrect IAM authentication information: decrypt token fail".to_owned(),
            ),
            Self::ExpiredToken => ("APIGW.0307", "The token must be updated.".to_owned()),
            Self::ClockSkew => (
                "APIGW.0303",
                "Incorrect IAM authentication information: the request time differs from the server time by more than 15 minutes".to_owned(),
            ),
            Self::Signature(why) => (
                "APIGW.0301",
                format!("Incorrect IAM authentication information: verify aksk signature fail ({why})"),
            ),
        }
    }

    /// Distinguishes token from signature failures in the request log.
    pub(crate) fn auth_kind(&self, headers: &HeaderMap) -> AuthKind {
        match self {
            Self::UnknownToken | Self::ExpiredToken => AuthKind::Token,
            Self::Signature(_) | Self::ClockSkew => AuthKind::AkSk {
                access_key: headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .and_then(AuthorizationHeader::parse)
                    .map(|a| a.access)
                    .unwrap_or_default(),
            },
            Self::Missing => AuthKind::None,
        }
    }
}

struct TokenInfo {
    user: String,
    expires: Instant,
    uses: u64,
}

/// An issued token as the IAM response describes it.
pub(crate) struct IssuedToken {
    pub(crate) token: String,
    pub(crate) issued_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
}

/// Issued tokens and the accepted credentials.
pub(crate) struct Authenticator {
    keys: HashMap<String, AccessKey>,
    users: Vec<IamUser>,
    tokens: Mutex<HashMap<String, TokenInfo>>,
    token_ttl: Duration,
    token_max_uses: Option<u64>,
    max_skew: Duration,
}

impl Authenticator {
    pub(crate) fn new(
        keys: &[AccessKey],
        users: Vec<IamUser>,
        token_ttl: Duration,
        token_max_uses: Option<u64>,
        max_skew: Duration,
    ) -> Self {
        Self {
            keys: keys
                .iter()
                .map(|k| (k.access_key.clone(), k.clone()))
                .collect(),
            users,
            tokens: Mutex::new(HashMap::new()),
            token_ttl,
            token_max_uses,
            max_skew,
        }
    }

    /// The configured user matching these password credentials.
    pub(crate) fn check_password(&self, domain: &str, name: &str, password: &str) -> bool {
        self.users.iter().any(|u| {
            u.domain == domain
                && u.name == name
                && constant_time_eq(u.password.expose().as_bytes(), password.as_bytes())
        })
    }

    /// Issues a new token for a user.
    pub(crate) fn issue(&self, user: &str, token: String) -> IssuedToken {
        let now = Utc::now();
        let ttl = chrono::Duration::from_std(self.token_ttl).unwrap_or(chrono::Duration::MAX);
        let info = TokenInfo {
            user: user.to_owned(),
            expires: Instant::now() + self.token_ttl,
            uses: 0,
        };
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), info);
        IssuedToken {
            token,
            issued_at: now,
            expires_at: now.checked_add_signed(ttl).unwrap_or(now),
        }
    }

    /// Authenticates a request by token or signature.
    pub(crate) fn authenticate(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Principal, AuthFailure> {
        if let Some(token) = headers.get("x-auth-token") {
            let token = token.to_str().map_err(|_| AuthFailure::UnknownToken)?;
            return self.check_token(token.trim());
        }
        if let Some(auth) = headers.get("authorization") {
            let auth = auth
                .to_str()
                .map_err(|_| AuthFailure::Signature("authorization header is not ascii"))?;
            let ak = self.verify_signature(auth, method, uri, headers, body, Utc::now())?;
            return Ok(Principal {
                rate_key: format!("ak:{ak}"),
                auth: AuthKind::AkSk { access_key: ak },
            });
        }
        Err(AuthFailure::Missing)
    }

    fn check_token(&self, token: &str) -> Result<Principal, AuthFailure> {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let info = tokens.get_mut(token).ok_or(AuthFailure::UnknownToken)?;
        if Instant::now() >= info.expires {
            return Err(AuthFailure::ExpiredToken);
        }
        if self.token_max_uses.is_some_and(|max| info.uses >= max) {
            return Err(AuthFailure::ExpiredToken);
        }
        info.uses += 1;
        Ok(Principal {
            auth: AuthKind::Token,
            rate_key: format!("user:{}", info.user),
        })
    }

    /// Verifies an `SDK-HMAC-SHA256` request and returns its access key.
    pub(crate) fn verify_signature(
        &self,
        authorization: &str,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<String, AuthFailure> {
        let auth = AuthorizationHeader::parse(authorization).ok_or(AuthFailure::Signature(
            "authorization header format incorrect",
        ))?;
        if !auth.signed_headers.iter().any(|h| h == "x-sdk-date") {
            return Err(AuthFailure::Signature("x-sdk-date is not signed"));
        }
        let date =
            header(headers, "x-sdk-date").ok_or(AuthFailure::Signature("x-sdk-date not found"))?;
        let signed_at = NaiveDateTime::parse_from_str(date.trim(), sign::DATE_FORMAT)
            .map_err(|_| AuthFailure::Signature("x-sdk-date format incorrect"))?
            .and_utc();
        let skew = (now - signed_at).abs().to_std().unwrap_or(Duration::MAX);
        if skew > self.max_skew {
            return Err(AuthFailure::ClockSkew);
        }
        let key = self
            .keys
            .get(&auth.access)
            .ok_or(AuthFailure::Signature("access key not found"))?;
        check_security_token(
            key,
            header(headers, "x-security-token"),
            &auth.signed_headers,
        )?;
        let signed = signed_values(&auth.signed_headers, headers, uri)?;
        let unsigned =
            header(headers, "x-sdk-content-sha256").is_some_and(|v| v.trim() == UNSIGNED_PAYLOAD);
        let body_hash = sign::sha256_hex(body);
        let mut candidates = vec![if unsigned {
            UNSIGNED_PAYLOAD
        } else {
            body_hash.as_str()
        }];
        // The Python SDK hashes an empty body as empty even when it marks the payload unsigned.
        if unsigned && body.is_empty() {
            candidates.push(EMPTY_HASH);
        }
        let raw_path = uri.path();
        let raw_query = uri.query().unwrap_or("");
        for payload_hash in candidates {
            let input = SignInput {
                method: method.as_str(),
                raw_path,
                raw_query,
                headers: &signed,
                payload_hash,
            };
            let sts = sign::string_to_sign(&sign::canonical_request(&input), date.trim());
            if sign::verify_signature(key.secret_key.expose(), &sts, &auth.signature) {
                return Ok(auth.access);
            }
        }
        Err(AuthFailure::Signature("signature mismatch"))
    }
}

/// A temporary access key comes with its security token, signed; a permanent one without.
fn check_security_token(
    key: &AccessKey,
    sent: Option<String>,
    signed_headers: &[String],
) -> Result<(), AuthFailure> {
    match (&key.security_token, sent) {
        (None, None) => {}
        (Some(expected), Some(sent)) => {
            if !constant_time_eq(expected.expose().as_bytes(), sent.trim().as_bytes()) {
                return Err(AuthFailure::Signature("security token mismatch"));
            }
            if !signed_headers.iter().any(|h| h == "x-security-token") {
                return Err(AuthFailure::Signature("x-security-token is not signed"));
            }
        }
        (Some(_), None) => {
            return Err(AuthFailure::Signature(
                "temporary access key needs x-security-token",
            ));
        }
        (None, Some(_)) => {
            return Err(AuthFailure::Signature(
                "permanent access key with x-security-token",
            ));
        }
    }
    Ok(())
}

/// The values of the signed headers, in their order (`host` from the URI when there is no header).
fn signed_values(
    signed_headers: &[String],
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Vec<(String, String)>, AuthFailure> {
    let mut signed = Vec::with_capacity(signed_headers.len());
    for name in signed_headers {
        let value = if name == "host" {
            header(headers, "host").or_else(|| uri.authority().map(|a| a.as_str().to_owned()))
        } else {
            header(headers, name)
        };
        let value = value.ok_or(AuthFailure::Signature("a signed header is missing"))?;
        signed.push((name.clone(), value));
    }
    Ok(signed)
}

/// All values of a header joined by `,`, as UTF-8 (lossy); `None` when absent.
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn auth() -> Authenticator {
        Authenticator::new(
            &[
                AccessKey::permanent("AK", "SK"),
                AccessKey::temporary("TMP", "TSK", "sec-token"),
            ],
            vec![IamUser::new("d", "u", "p")],
            Duration::from_secs(60),
            Some(2),
            Duration::from_secs(900),
        )
    }

    fn signed_request(
        ak: &str,
        sk: &str,
        date: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> (Uri, HeaderMap) {
        let uri: Uri = "http://127.0.0.1:8080/v1/p/workspaces?limit=2&offset=0"
            .parse()
            .unwrap();
        let mut pairs = vec![
            ("host".to_owned(), "127.0.0.1:8080".to_owned()),
            ("x-sdk-date".to_owned(), date.to_owned()),
        ];
        pairs.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let hash = sign::sha256_hex(body);
        let input = SignInput {
            method: "GET",
            raw_path: uri.path(),
            raw_query: uri.query().unwrap_or(""),
            headers: &pairs,
            payload_hash: &hash,
        };
        let authz = sign::authorization(ak, sk, &input, date);
        let mut headers = HeaderMap::new();
        for (k, v) in &pairs {
            headers.insert(
                axum::http::HeaderName::try_from(k.as_str()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        headers.insert("authorization", HeaderValue::from_str(&authz).unwrap());
        (uri, headers)
    }

    fn now_and_date() -> (DateTime<Utc>, String) {
        let now = Utc::now();
        (now, now.format(sign::DATE_FORMAT).to_string())
    }

    fn verify(
        a: &Authenticator,
        uri: &Uri,
        headers: &HeaderMap,
        now: DateTime<Utc>,
    ) -> Result<String, AuthFailure> {
        let value = headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        a.verify_signature(&value, &Method::GET, uri, headers, b"", now)
    }

    #[test]
    fn valid_signature_passes_and_any_tampering_fails() {
        let a = auth();
        let (now, date) = now_and_date();
        let (uri, headers) = signed_request("AK", "SK", &date, &[], b"");
        assert_eq!(verify(&a, &uri, &headers, now).unwrap(), "AK");

        let (uri2, wrong_sk) = signed_request("AK", "not-SK", &date, &[], b"");
        assert_eq!(
            verify(&a, &uri2, &wrong_sk, now),
            Err(AuthFailure::Signature("signature mismatch"))
        );

        let other: Uri = "http://127.0.0.1:8080/v1/p/workspaces?limit=3&offset=0"
            .parse()
            .unwrap();
        assert_eq!(
            verify(&a, &other, &headers, now),
            Err(AuthFailure::Signature("signature mismatch")),
            "a changed query must fail"
        );

        let (uri3, unknown) = signed_request("NOPE", "SK", &date, &[], b"");
        assert_eq!(
            verify(&a, &uri3, &unknown, now),
            Err(AuthFailure::Signature("access key not found"))
        );

        let later = now + chrono::Duration::minutes(16);
        assert_eq!(
            verify(&a, &uri, &headers, later),
            Err(AuthFailure::ClockSkew)
        );
        let earlier = now - chrono::Duration::minutes(14);
        assert_eq!(verify(&a, &uri, &headers, earlier).unwrap(), "AK");
        // What the gateway answers for them, as the real one does.
        assert_eq!(AuthFailure::ClockSkew.code_and_message().0, "APIGW.0303");
        let (code, message) = AuthFailure::Signature("signature mismatch").code_and_message();
        assert_eq!(code, "APIGW.0301");
        assert!(
            message.ends_with("verify aksk signature fail (signature mismatch)"),
            "{message}"
        );
    }

    #[test]
    fn temporary_keys_need_their_signed_security_token() {
        let a = auth();
        let (now, date) = now_and_date();
        let (uri, ok) = signed_request(
            "TMP",
            "TSK",
            &date,
            &[("x-security-token", "sec-token")],
            b"",
        );
        assert_eq!(verify(&a, &uri, &ok, now).unwrap(), "TMP");
        let (uri, missing) = signed_request("TMP", "TSK", &date, &[], b"");
        assert_eq!(
            verify(&a, &uri, &missing, now),
            Err(AuthFailure::Signature(
                "temporary access key needs x-security-token"
            ))
        );
        let (uri, wrong) =
            signed_request("TMP", "TSK", &date, &[("x-security-token", "other")], b"");
        assert_eq!(
            verify(&a, &uri, &wrong, now),
            Err(AuthFailure::Signature("security token mismatch"))
        );
        let (uri, mut unsigned) = signed_request("TMP", "TSK", &date, &[], b"");
        unsigned.insert("x-security-token", HeaderValue::from_static("sec-token"));
        assert_eq!(
            verify(&a, &uri, &unsigned, now),
            Err(AuthFailure::Signature("x-security-token is not signed"))
        );
        let (uri, on_permanent) =
            signed_request("AK", "SK", &date, &[("x-security-token", "sec-token")], b"");
        assert_eq!(
            verify(&a, &uri, &on_permanent, now),
            Err(AuthFailure::Signature(
                "permanent access key with x-security-token"
            ))
        );
    }

    #[test]
    fn tokens_expire_after_their_allowed_uses() {
        let a = auth();
        let t = a.issue("u", "tok".to_owned());
        assert!(t.expires_at > t.issued_at);
        for _ in 0..2 {
            let principal = a.check_token("tok").unwrap();
            assert_eq!(principal.rate_key, "user:u");
            assert_eq!(principal.auth, AuthKind::Token);
        }
        assert_eq!(a.check_token("tok").unwrap_err(), AuthFailure::ExpiredToken);
        assert_eq!(
            a.check_token("forged").unwrap_err(),
            AuthFailure::UnknownToken
        );
        assert!(a.check_password("d", "u", "p"));
        assert!(!a.check_password("d", "u", "P"));
        assert!(!a.check_password("x", "u", "p"));
    }
}
