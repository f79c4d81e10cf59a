//! Secrets come from the environment only, and never print.
//!
//! Default variable names are those of the Huawei Cloud SDKs (`HUAWEICLOUD_SDK_*`) and of the
//! Terraform provider (`HW_*`); an `[env.NAME]` section can name its own (`sk_env = "STAGING_SK"`),
//! so two environments can hold different keys side by side.

use crate::config::{AuthKind, EnvConfig};

/// Secret values: `Debug` and `Display` print `****`, so no log line or error can leak one.
pub use soc_api::Secret;

/// Credentials read from the environment for one `[env.NAME]`, in the form the client takes.
pub use soc_api::Credentials;

/// A required variable is missing.
#[derive(Debug, thiserror::Error)]
#[error("environment `{env}` uses auth = \"{auth}\" but no {what} is set")]
pub struct MissingSecret {
    /// The `[env.NAME]`.
    pub env: String,
    /// The auth kind.
    pub auth: &'static str,
    /// What is missing, e.g. "secret key".
    pub what: &'static str,
    /// The variables looked at, in order.
    pub tried: Vec<String>,
    /// The `*_env` key that names a custom variable.
    pub rename_key: &'static str,
}

impl MissingSecret {
    /// What to do.
    pub fn hint(&self) -> String {
        format!(
            "export {}, or name your own variable with `{} = \"…\"` in [env.{}]",
            self.tried.join(" or "),
            self.rename_key,
            self.env
        )
    }
}

/// One secret an auth kind needs: where it is read from.
struct Slot {
    what: &'static str,
    rename_key: &'static str,
    configured: Option<String>,
    defaults: &'static [&'static str],
    required: bool,
}

impl Slot {
    fn names(&self) -> Vec<String> {
        match &self.configured {
            Some(name) => vec![name.clone()],
            None => self.defaults.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn read(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        self.names()
            .iter()
            .find_map(|n| lookup(n).filter(|v| !v.is_empty()))
    }

    fn require(
        &self,
        env: &str,
        auth: AuthKind,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, MissingSecret> {
        self.read(lookup).ok_or_else(|| MissingSecret {
            env: env.to_string(),
            auth: auth.as_str(),
            what: self.what,
            tried: self.names(),
            rename_key: self.rename_key,
        })
    }
}

/// The secrets of an environment's auth kind, in the order the credentials take them.
fn slots(env: &EnvConfig) -> Vec<Slot> {
    let slot = |what, rename_key, configured: &Option<String>, defaults, required| Slot {
        what,
        rename_key,
        configured: configured.clone(),
        defaults,
        required,
    };
    match env.auth {
        AuthKind::Aksk => vec![
            slot(
                "access key",
                "ak_env",
                &env.ak_env,
                &["HUAWEICLOUD_SDK_AK", "HW_ACCESS_KEY"],
                true,
            ),
            slot(
                "secret key",
                "sk_env",
                &env.sk_env,
                &["HUAWEICLOUD_SDK_SK", "HW_SECRET_KEY"],
                true,
            ),
            slot(
                "security token",
                "security_token_env",
                &env.security_token_env,
                &["HUAWEICLOUD_SDK_SECURITY_TOKEN", "HW_SECURITY_TOKEN"],
                false,
            ),
        ],
        AuthKind::Token => vec![slot(
            "IAM token",
            "token_env",
            &env.token_env,
            &["HW_AUTH_TOKEN"],
            true,
        )],
        AuthKind::Password => vec![
            slot(
                "user name",
                "user_env",
                &env.user_env,
                &["HW_USER_NAME"],
                true,
            ),
            slot(
                "password",
                "password_env",
                &env.password_env,
                &["HW_USER_PASSWORD"],
                true,
            ),
            slot(
                "account (domain) name",
                "domain_env",
                &env.domain_env,
                &["HW_DOMAIN_NAME"],
                true,
            ),
        ],
    }
}

/// Reads one environment's credentials through `lookup` (`std::env::var` in the binary; a map in
/// tests). Empty variables count as unset.
pub fn credentials(
    env_name: &str,
    env: &EnvConfig,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Credentials, MissingSecret> {
    let slots = slots(env);
    let required = |i: usize| -> Result<String, MissingSecret> {
        match slots.get(i) {
            Some(slot) => slot.require(env_name, env.auth, lookup),
            None => Ok(String::new()),
        }
    };
    Ok(match env.auth {
        AuthKind::Aksk => Credentials::AkSk {
            ak: required(0)?,
            sk: Secret::new(required(1)?),
            security_token: slots.get(2).and_then(|s| s.read(lookup)).map(Secret::new),
        },
        AuthKind::Token => Credentials::Token(Secret::new(required(0)?)),
        AuthKind::Password => Credentials::Password {
            user: required(0)?,
            password: Secret::new(required(1)?),
            domain: required(2)?,
            // IAM scopes a token to a project by name; Huawei Cloud names projects after regions.
            project_name: env.project_name.clone().or_else(|| env.region.clone()),
        },
    })
}

/// The environment variables that hold (or would hold) this environment's secrets, for hints:
/// for each required secret, and each optional one that is set (the security token of temporary
/// keys), the variable actually set, else the names that were tried.
pub fn variable_names(env: &EnvConfig, lookup: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    slots(env)
        .iter()
        .filter(|slot| slot.required || slot.read(lookup).is_some())
        .map(|slot| {
            slot.names()
                .into_iter()
                .find(|n| lookup(n).is_some_and(|v| !v.is_empty()))
                .unwrap_or_else(|| slot.names().join(" or "))
        })
        .collect()
}

/// The optional secrets of this environment that are not set, with the variables they would be
/// read from: `("security token", "HUAWEICLOUD_SDK_SECURITY_TOKEN or HW_SECURITY_TOKEN")` for
/// AK/SK auth without one.
pub fn unset_optional(
    env: &EnvConfig,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Vec<(&'static str, String)> {
    slots(env)
        .iter()
        .filter(|slot| !slot.required && slot.read(lookup).is_none())
        .map(|slot| (slot.what, slot.names().join(" or ")))
        .collect()
}

/// Looks variables up in the process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn secrets_never_print() {
        let creds = credentials(
            "s",
            &EnvConfig::default(),
            &lookup(&[
                ("HUAWEICLOUD_SDK_AK", "AKVALUE"),
                ("HUAWEICLOUD_SDK_SK", "hunter2"),
                ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "tok3n"),
            ]),
        )
        .unwrap();
        let shown = format!("{creds:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("tok3n"),
            "{shown}"
        );
    }

    #[test]
    fn aksk_prefers_the_sdk_names_then_terraform() {
        let env = EnvConfig::default();
        let creds = credentials(
            "s",
            &env,
            &lookup(&[
                ("HW_ACCESS_KEY", "tf-ak"),
                ("HW_SECRET_KEY", "tf-sk"),
                ("HUAWEICLOUD_SDK_SK", "sdk-sk"),
                ("HUAWEICLOUD_SDK_AK", ""),
            ]),
        )
        .unwrap();
        let Credentials::AkSk {
            ak,
            sk,
            security_token,
        } = creds
        else {
            panic!("not aksk")
        };
        assert_eq!(ak, "tf-ak", "an empty variable counts as unset");
        assert_eq!(sk.expose(), "sdk-sk");
        assert_eq!(security_token, None);
    }

    #[test]
    fn configured_names_replace_the_defaults() {
        let env = EnvConfig {
            ak_env: Some("STAGING_AK".into()),
            sk_env: Some("STAGING_SK".into()),
            ..EnvConfig::default()
        };
        let err = credentials(
            "staging",
            &env,
            &lookup(&[("STAGING_AK", "a"), ("HUAWEICLOUD_SDK_SK", "not-this-one")]),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment `staging` uses auth = \"aksk\" but no secret key is set"
        );
        assert_eq!(
            err.hint(),
            "export STAGING_SK, or name your own variable with `sk_env = \"…\"` in [env.staging]"
        );
    }

    #[test]
    fn hints_name_the_variables_in_use() {
        let env = EnvConfig {
            sk_env: Some("STAGING_SK".into()),
            ..EnvConfig::default()
        };
        assert_eq!(
            variable_names(&env, &lookup(&[("HW_ACCESS_KEY", "a")])),
            ["HW_ACCESS_KEY", "STAGING_SK"]
        );
        assert_eq!(
            variable_names(&EnvConfig::default(), &lookup(&[])),
            [
                "HUAWEICLOUD_SDK_AK or HW_ACCESS_KEY",
                "HUAWEICLOUD_SDK_SK or HW_SECRET_KEY"
            ]
        );
        assert_eq!(
            unset_optional(&EnvConfig::default(), &lookup(&[])),
            [(
                "security token",
                "HUAWEICLOUD_SDK_SECURITY_TOKEN or HW_SECURITY_TOKEN".to_owned()
            )]
        );
    }

    #[test]
    fn hints_name_the_security_token_of_temporary_keys_when_it_is_set() {
        let vars = lookup(&[
            ("HW_ACCESS_KEY", "a"),
            ("HW_SECRET_KEY", "s"),
            ("HW_SECURITY_TOKEN", "t"),
        ]);
        assert_eq!(
            variable_names(&EnvConfig::default(), &vars),
            ["HW_ACCESS_KEY", "HW_SECRET_KEY", "HW_SECURITY_TOKEN"]
        );
        assert!(unset_optional(&EnvConfig::default(), &vars).is_empty());
    }

    #[test]
    fn token_and_password_auth() {
        let env = EnvConfig {
            auth: AuthKind::Token,
            ..EnvConfig::default()
        };
        assert_eq!(
            credentials("p", &env, &lookup(&[("HW_AUTH_TOKEN", "tok")])).unwrap(),
            Credentials::Token(Secret::new("tok"))
        );
        let env = EnvConfig {
            auth: AuthKind::Password,
            region: Some("ap-southeast-1".into()),
            ..EnvConfig::default()
        };
        let err = credentials("p", &env, &lookup(&[("HW_USER_NAME", "u")])).unwrap_err();
        assert_eq!(err.what, "password");
        let creds = credentials(
            "p",
            &env,
            &lookup(&[
                ("HW_USER_NAME", "u"),
                ("HW_USER_PASSWORD", "pw"),
                ("HW_DOMAIN_NAME", "d"),
            ]),
        )
        .unwrap();
        assert_eq!(
            creds,
            Credentials::Password {
                user: "u".into(),
                password: Secret::new("pw"),
                domain: "d".into(),
                project_name: Some("ap-southeast-1".into()),
            }
        );
    }
}
