//! Hints for the library errors the CLI knows: what the user can do about them.

use std::error::Error as StdError;

use crate::config::ConfigError;
use crate::secrets::MissingSecret;
use crate::side::{SelectorError, SideError};

/// A hint for one error of a chain, if its type is one we know.
pub fn hint_for(err: &(dyn StdError + 'static)) -> Option<String> {
    if let Some(e) = err.downcast_ref::<ConfigError>() {
        return e.hint();
    }
    if let Some(e) = err.downcast_ref::<SideError>() {
        return e.hint();
    }
    if let Some(e) = err.downcast_ref::<SelectorError>() {
        return Some(e.hint());
    }
    if let Some(e) = err.downcast_ref::<MissingSecret>() {
        return Some(e.hint());
    }
    if let Some(soc_store::StoreError::NoSnapshots { env, .. }) = err.downcast_ref() {
        return Some(format!("take one first: socdrift snapshot --env {env}"));
    }
    if let Some(soc_store::StoreError::TagNotFound {
        env,
        tag,
        available,
    }) = err.downcast_ref()
    {
        let names = available
            .iter()
            .map(String::as_str)
            .chain(["latest", "live"]);
        return Some(crate::suggest::did_you_mean(tag, names).unwrap_or_else(|| {
            format!("name a snapshot first: socdrift tag {env} {tag} [SNAPSHOT]")
        }));
    }
    None
}
