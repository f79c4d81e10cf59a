//! Names that become file or folder names: environments, and file stems derived from workflow names.
//!
//! Workflow names are chosen by whoever edits the SecMaster console, so they are hostile input: they
//! may hold separators, `..`, control characters, Windows device names, or differ only in case from
//! another name (which collides on macOS and Windows). A stem is therefore built from a small
//! alphabet (`a-z 0-9 _ -`) that is safe everywhere, and names whose stems would collide get a suffix
//! `~` + a hash of the exact name. `~` never occurs in a plain stem, so a suffixed stem can never
//! equal an unsuffixed one, whatever a name contains.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};

/// Longest environment name, in bytes.
pub const MAX_ENV_NAME_BYTES: usize = 64;

/// Longest stem before a collision suffix, in bytes. With the longest suffix (`~` + 64 hex) and the
/// longest file suffix (`.normalized.json`) a file name stays under 150 bytes, well below the
/// 255-byte limit of common file systems.
pub const MAX_SLUG_BYTES: usize = 64;

/// Separator between a stem and its collision suffix; never produced by [`slug`].
pub const SUFFIX_SEPARATOR: char = '~';

/// Device names that Windows reserves in every folder, whatever the extension.
const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7",
    "com8", "com9", "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

fn is_windows_reserved(name: &str) -> bool {
    let base = name.split('.').next().unwrap_or(name);
    WINDOWS_RESERVED
        .iter()
        .any(|reserved| base.eq_ignore_ascii_case(reserved))
}

/// Checks that `name` can be an environment folder on Linux, macOS and Windows.
///
/// Only lowercase ASCII letters, digits, `-` and `_` are allowed, so two environments can never
/// share a folder on a case-insensitive file system.
pub fn validate_environment(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_ENV_NAME_BYTES {
        Some("it is too long")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        Some("it holds a character that is not allowed")
    } else if !name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
    {
        Some("it does not start with a letter or digit")
    } else if is_windows_reserved(name) {
        Some("it is a reserved device name on Windows")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(StoreError::InvalidEnvironment {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// The readable part of a file stem for a workflow name: lowercase ASCII letters, digits and `_`,
/// every other run of characters turned into one `-`, trimmed, capped at [`MAX_SLUG_BYTES`].
///
/// Never empty, never a Windows device name, never contains `.`, `~`, a separator or a control
/// character. Different names may share a slug; [`assign_stems`] resolves that.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    let mut pending_dash = false;
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            if pending_dash && !out.is_empty() {
                if out.len() + 2 > MAX_SLUG_BYTES {
                    break;
                }
                out.push('-');
            }
            pending_dash = false;
            if out.len() + 1 > MAX_SLUG_BYTES {
                break;
            }
            out.push(c);
        } else {
            pending_dash = true;
        }
    }
    if out.is_empty() {
        out.push_str("workflow");
    }
    if is_windows_reserved(&out) {
        // `_` keeps the name readable; a real workflow called "con_" would collide with it and
        // both would get a hash suffix.
        out.push('_');
    }
    out
}

/// Gives every workflow of one snapshot a distinct file stem.
///
/// `workflows` holds `(name, id)` pairs, which must be distinct. A workflow whose [`slug`] no other
/// workflow shares gets the bare slug, so renaming one workflow never renames another's files. The
/// workflows that share a slug each get `slug~<hash>`, the hash taken of the exact name (or of name
/// and id when the name itself appears twice), as long as needed to tell them apart (8, then 16,
/// then 64 hex digits). The result is independent of the order of `workflows`.
pub fn assign_stems(workflows: &[(&str, &str)]) -> Vec<String> {
    let mut name_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, _) in workflows {
        *name_counts.entry(name).or_default() += 1;
    }
    let slugs: Vec<String> = workflows.iter().map(|(name, _)| slug(name)).collect();
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, slug) in slugs.iter().enumerate() {
        groups.entry(slug.as_str()).or_default().push(index);
    }
    let mut stems = slugs.clone();
    for (slug, members) in &groups {
        if members.len() < 2 {
            continue;
        }
        let hashes: Vec<String> = members
            .iter()
            .filter_map(|&index| workflows.get(index))
            .map(|(name, id)| {
                let mut hasher = Sha256::new();
                hasher.update(name.as_bytes());
                if name_counts.get(name).copied().unwrap_or(0) > 1 {
                    // Zero never occurs in a JSON string written by SecMaster, and keeps
                    // ("a", "bc") apart from ("ab", "c").
                    hasher.update([0u8]);
                    hasher.update(id.as_bytes());
                }
                hex::encode(hasher.finalize())
            })
            .collect();
        let width = [8, 16, 64]
            .into_iter()
            .find(|&width| {
                let mut seen = std::collections::BTreeSet::new();
                hashes.iter().all(|hash| seen.insert(&hash[..width]))
            })
            .unwrap_or(64);
        for (&index, hash) in members.iter().zip(&hashes) {
            if let Some(stem) = stems.get_mut(index) {
                *stem = format!("{slug}{SUFFIX_SEPARATOR}{}", &hash[..width]);
            }
        }
    }
    stems
}

/// Whether `name` is a plain file name inside a snapshot folder: non-empty, no separator, not `.`
/// or `..`, no leading dot, no control character, nothing Windows rejects.
///
/// Applied to every file name read from a manifest, so a hand-edited or hostile manifest cannot
/// make the store read outside the snapshot.
pub fn is_safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.ends_with(' ')
        && !is_windows_reserved(name)
        && name.chars().all(|c| {
            !c.is_control() && !matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_readable() {
        assert_eq!(
            slug("Block malicious source IP"),
            "block-malicious-source-ip"
        );
        assert_eq!(slug("  --Notify / SOC team!  "), "notify-soc-team");
        assert_eq!(slug("v1.2_final"), "v1-2_final");
    }

    #[test]
    fn hostile_names_become_plain_stems() {
        for name in [
            "../../etc/passwd",
            "..",
            ".",
            "a/b\\c",
            "\u{0}\u{7}",
            "CON",
            "nul.txt",
            "COM1",
            "x. ",
        ] {
            let s = slug(name);
            assert!(is_safe_file_name(&s), "{name:?} -> {s:?}");
            assert!(!s.contains(['.', '/', '\\', '~']), "{name:?} -> {s:?}");
        }
        assert_eq!(slug("CON"), "con_");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("阻断"), "workflow");
    }

    #[test]
    fn slug_is_capped_without_a_trailing_dash() {
        let long = "ab ".repeat(100);
        let s = slug(&long);
        assert!(s.len() <= MAX_SLUG_BYTES);
        assert!(!s.ends_with('-'));
    }

    #[test]
    fn colliding_slugs_get_hash_suffixes_and_others_do_not() {
        let stems = assign_stems(&[("Block IP", "1"), ("block ip", "2"), ("Notify", "3")]);
        assert_eq!(stems.get(2).map(String::as_str), Some("notify"));
        assert!(stems[0].starts_with("block-ip~") && stems[1].starts_with("block-ip~"));
        assert_ne!(stems[0], stems[1]);
        assert_eq!(stems[0].len(), "block-ip~".len() + 8);
    }

    #[test]
    fn a_name_that_looks_like_a_suffixed_stem_cannot_collide() {
        let suffixed = assign_stems(&[("a b", "1"), ("A B", "2")]);
        let lookalike = slug(&suffixed[0]);
        assert!(!suffixed.contains(&lookalike));
    }

    #[test]
    fn duplicate_names_are_told_apart_by_id() {
        let stems = assign_stems(&[("Same", "1"), ("Same", "2")]);
        assert_ne!(stems[0], stems[1]);
    }

    #[test]
    fn stems_do_not_depend_on_order() {
        let a = assign_stems(&[("x", "1"), ("X", "2"), ("y", "3")]);
        let b = assign_stems(&[("y", "3"), ("X", "2"), ("x", "1")]);
        assert_eq!(a, vec![b[2].clone(), b[1].clone(), b[0].clone()]);
    }

    #[test]
    fn environment_names() {
        for ok in ["staging", "prod-2", "eu_west", "0"] {
            validate_environment(ok).unwrap();
        }
        for bad in [
            "",
            "Staging",
            "../x",
            "a/b",
            ".hidden",
            "-x",
            "con",
            "a b",
            &"x".repeat(65),
        ] {
            let err = validate_environment(bad).unwrap_err();
            assert!(
                matches!(err, StoreError::InvalidEnvironment { .. }),
                "{bad:?}"
            );
            assert!(err.to_string().contains(&format!("{bad:?}")));
        }
    }
}
