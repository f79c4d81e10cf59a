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
    if let Some(soc_normalize::LoadError::NoExports { .. }) = err.downcast_ref() {
        return Some(
            "check the step that should have written the exports; a workspace is compared \
             without exporting it as ENV@live, or from a snapshot"
                .to_owned(),
        );
    }
    match err.downcast_ref() {
        Some(soc_store::StoreError::NoSnapshots { env, .. }) => {
            return Some(format!("take one first: socdrift snapshot --env {env}"));
        }
        Some(soc_store::StoreError::RawExportsMissing { env, .. }) => {
            return Some(format!(
                "raw exports stay on the machine that took a snapshot (they can hold secrets and are never committed); take a new snapshot under the current rules (socdrift snapshot --env {env}) and commit it, or compare where the raw exports are"
            ));
        }
        Some(soc_store::StoreError::Locked { env, .. }) => {
            return Some(format!(
                "wait for the other writer of `{env}` to finish and try again; a lock whose holder has exited is released by the operating system, so no file needs deleting"
            ));
        }
        Some(soc_store::StoreError::StoreLocked { .. }) => {
            return Some(
                "another socdrift is writing snapshots, or collecting what a prune deleted; wait \
                 for it to finish and try again (a lock whose holder has exited is released by \
                 the operating system)"
                    .to_owned(),
            );
        }
        _ => {}
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
