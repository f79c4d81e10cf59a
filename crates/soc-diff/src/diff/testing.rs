//! What the differ's unit tests share: small documents and options.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{DiffOptions, Entry, diff, structural_changes};
use crate::normalize::{Normalized, NormalizedContent, canonical_json};
use crate::profile::Profile;
use crate::report::{ChangeKind, Report};

/// A date written YYYY-MM-DD.
pub(super) fn day(text: &str) -> chrono::NaiveDate {
    text.parse().unwrap()
}

pub(super) fn doc(name: &str, value: Value) -> Normalized {
    let canonical = canonical_json(&value);
    Normalized {
        name: name.to_owned(),
        source: format!("{name}.json"),
        sha256: hex::encode(Sha256::digest(canonical.as_bytes())),
        content: NormalizedContent::Json { canonical },
        layout_sha256: None,
        notes: Vec::new(),
    }
}

pub(super) fn opaque(name: &str, sha256: &str) -> Normalized {
    Normalized {
        name: name.to_owned(),
        source: name.to_owned(),
        sha256: sha256.to_owned(),
        content: NormalizedContent::Opaque {
            sha256: sha256.to_owned(),
            len: 3,
        },
        layout_sha256: None,
        notes: Vec::new(),
    }
}

pub(super) fn options() -> DiffOptions {
    DiffOptions {
        left_label: "staging".into(),
        right_label: "production".into(),
        today: day("2026-06-01"),
        ..DiffOptions::default()
    }
}

pub(super) fn run(left: Vec<Normalized>, right: Vec<Normalized>, options: &DiffOptions) -> Report {
    let profile = Profile::secmaster();
    diff(
        left.into_iter().map(Entry::Loaded).collect(),
        right.into_iter().map(Entry::Loaded).collect(),
        &profile,
        options,
    )
    .unwrap()
}

pub(super) fn changes(left: Value, right: Value) -> Vec<(String, ChangeKind)> {
    changes_under(&Profile::secmaster(), left, right)
}

pub(super) fn changes_under(
    profile: &Profile,
    left: Value,
    right: Value,
) -> Vec<(String, ChangeKind)> {
    structural_changes(&left, &right, profile)
        .into_iter()
        .map(|c| (c.path, c.kind))
        .collect()
}

pub(super) fn deferred_failing(n: &Normalized, profile_hash: String) -> Entry {
    Entry::Deferred {
        name: n.name.clone(),
        sha256: n.sha256.clone(),
        layout_sha256: n.layout_sha256.clone(),
        profile_hash,
        load: Box::new(|| Err("loader must not be called".into())),
    }
}
