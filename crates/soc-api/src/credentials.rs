//! The credential kinds SecMaster accepts.

use crate::secret::Secret;

/// How the client authenticates. Secrets are [`Secret`]s, so `Debug` on a `Credentials` is safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Access key / secret key, signed per request with `SDK-HMAC-SHA256`. With a
    /// `security_token` these are temporary (STS) credentials and the token is sent, and
    /// signed, as `X-Security-Token`.
    AkSk {
        /// The access key id (not secret: it appears in every `Authorization` header).
        ak: String,
        /// The secret key that signs requests.
        sk: Secret,
        /// The STS security token of temporary credentials.
        security_token: Option<Secret>,
    },
    /// A ready IAM token, sent as `X-Auth-Token`. The client cannot renew it.
    Token(Secret),
    /// An IAM user's password, exchanged for a project-scoped token at
    /// `POST {iam}/v3/auth/tokens`; the token is cached until shortly before it expires and
    /// renewed once when SecMaster answers 401.
    Password {
        /// IAM user name.
        user: String,
        /// The user's password.
        password: Secret,
        /// The account (domain) name the user belongs to.
        domain: String,
        /// Scope the token by project name (usually the region id, e.g. `cn-north-4`) instead
        /// of by the client's project id.
        project_name: Option<String>,
    },
}

impl Credentials {
    /// Permanent AK/SK credentials.
    pub fn ak_sk(ak: impl Into<String>, sk: impl Into<Secret>) -> Self {
        Self::AkSk {
            ak: ak.into(),
            sk: sk.into(),
            security_token: None,
        }
    }

    /// Temporary AK/SK credentials with their STS security token.
    pub fn temporary_ak_sk(
        ak: impl Into<String>,
        sk: impl Into<Secret>,
        security_token: impl Into<Secret>,
    ) -> Self {
        Self::AkSk {
            ak: ak.into(),
            sk: sk.into(),
            security_token: Some(security_token.into()),
        }
    }

    /// A static IAM token.
    pub fn token(token: impl Into<Secret>) -> Self {
        Self::Token(token.into())
    }

    /// IAM password credentials, scoped by the client's project id.
    pub fn password(
        user: impl Into<String>,
        password: impl Into<Secret>,
        domain: impl Into<String>,
    ) -> Self {
        Self::Password {
            user: user.into(),
            password: password.into(),
            domain: domain.into(),
            project_name: None,
        }
    }

    /// A short name of the kind, for messages (never the values).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AkSk {
                security_token: None,
                ..
            } => "ak/sk",
            Self::AkSk {
                security_token: Some(_),
                ..
            } => "temporary ak/sk",
            Self::Token(_) => "iam token",
            Self::Password { .. } => "iam password",
        }
    }

    /// The name of the first required field that is empty, if any: an empty value almost always
    /// means an unset environment variable, and the server would only answer with a vague 401.
    pub(crate) fn first_empty_field(&self) -> Option<&'static str> {
        match self {
            Self::AkSk {
                ak,
                sk,
                security_token,
            } => {
                if ak.trim().is_empty() {
                    Some("access key")
                } else if sk.is_empty() {
                    Some("secret key")
                } else if security_token.as_ref().is_some_and(Secret::is_empty) {
                    Some("security token")
                } else {
                    None
                }
            }
            Self::Token(token) => token.is_empty().then_some("token"),
            Self::Password {
                user,
                password,
                domain,
                ..
            } => {
                if user.trim().is_empty() {
                    Some("user")
                } else if password.is_empty() {
                    Some("password")
                } else if domain.trim().is_empty() {
                    Some("domain")
                } else {
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let all = [
            Credentials::temporary_ak_sk("AK1", "sk-value", "sts-value"),
            Credentials::token("token-value"),
            Credentials::password("bob", "pw-value", "acme"),
        ];
        for creds in all {
            let shown = format!("{creds:?}");
            for secret in ["sk-value", "sts-value", "token-value", "pw-value"] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
    }

    #[test]
    fn empty_fields_are_named() {
        assert_eq!(
            Credentials::ak_sk("", "x").first_empty_field(),
            Some("access key")
        );
        assert_eq!(
            Credentials::ak_sk("a", "").first_empty_field(),
            Some("secret key")
        );
        assert_eq!(
            Credentials::temporary_ak_sk("a", "b", "").first_empty_field(),
            Some("security token")
        );
        assert_eq!(Credentials::token("").first_empty_field(), Some("token"));
        assert_eq!(
            Credentials::password("u", "p", " ").first_empty_field(),
            Some("domain")
        );
        assert_eq!(
            Credentials::password("u", "p", "d").first_empty_field(),
            None
        );
        assert_eq!(Credentials::ak_sk("a", "b").kind(), "ak/sk");
    }
}
