//! Snapshot ids and the selectors that resolve to them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

const TIME_FORMAT: &str = "%Y%m%dT%H%M%SZ";
const TIME_LEN: usize = 16; // 20261128T031500Z
const HASH_LEN: usize = 8;

/// The name of a snapshot folder: UTC time of creation and a short hash of the content,
/// e.g. `20261128T031500Z-3fa9c2d1`. Ids sort in creation order: a writer never gives a snapshot a
/// time earlier than or equal to the latest one of the same environment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SnapshotId(String);

impl SnapshotId {
    /// The id for a snapshot taken at `time` (seconds are kept, fractions dropped) whose content
    /// hashes to `content_sha256` (lowercase hex; its first 8 digits are used).
    pub fn new(time: DateTime<Utc>, content_sha256: &str) -> Self {
        let hash: String = content_sha256.chars().take(HASH_LEN).collect();
        SnapshotId(format!("{}-{hash}", time.format(TIME_FORMAT)))
    }

    /// Parses a folder name of the store's own pattern; anything else (temporary folders of
    /// interrupted writers, stray files) is not a snapshot id.
    pub fn parse(text: &str) -> Option<Self> {
        let (time, hash) = text.split_once('-')?;
        let hash_ok = hash.len() == HASH_LEN
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let time_ok = time.len() == TIME_LEN && parse_time(time).is_some();
        (hash_ok && time_ok).then(|| SnapshotId(text.to_owned()))
    }

    /// An id taken from a folder name as is, for snapshots opened by path (users may copy or
    /// rename snapshot folders).
    pub(crate) fn from_folder_name(name: String) -> Self {
        SnapshotId(name)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The creation time encoded in the id, if the id follows the store's pattern.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.0.get(..TIME_LEN).and_then(parse_time)
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, TIME_FORMAT)
        .ok()
        .map(|naive| naive.and_utc())
}

impl fmt::Display for SnapshotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for SnapshotId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Which snapshot of an environment to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The newest snapshot (`latest`, also `~0`).
    Latest,
    /// The N-th snapshot before the newest (`~N`, also `latest~N`; `~` alone is `~1`).
    Previous(usize),
    /// A snapshot id, or a prefix of exactly one id.
    Id(String),
    /// A snapshot named with a tag (`promoted`). Tags start with a letter, ids with a digit.
    Tag(String),
}

impl FromStr for Selector {
    type Err = StoreError;

    /// Parses `latest`, `~N`, `latest~N`, or an id / id prefix (`20261128T0315`).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim();
        let invalid = || StoreError::InvalidSelector {
            input: input.to_owned(),
        };
        if text.eq_ignore_ascii_case("latest") {
            return Ok(Selector::Latest);
        }
        let back = text
            .strip_prefix("latest~")
            .or_else(|| text.strip_prefix("LATEST~"))
            .or_else(|| text.strip_prefix('~'));
        if let Some(count) = back {
            if count.is_empty() {
                return Ok(Selector::Previous(1));
            }
            return match count.parse::<usize>() {
                Ok(0) => Ok(Selector::Latest),
                Ok(n) => Ok(Selector::Previous(n)),
                Err(_) => Err(invalid()),
            };
        }
        let id_like =
            !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if text.starts_with(|c: char| c.is_ascii_alphabetic()) {
            crate::tags::validate_tag(text).map_err(|_| invalid())?;
            Ok(Selector::Tag(text.to_owned()))
        } else if id_like {
            Ok(Selector::Id(text.to_owned()))
        } else {
            Err(invalid())
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Latest => f.write_str("latest"),
            Selector::Previous(n) => write!(f, "~{n}"),
            Selector::Id(id) | Selector::Tag(id) => f.write_str(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ids_round_trip_and_sort_by_time() {
        let t = Utc.with_ymd_and_hms(2026, 11, 28, 3, 15, 0).unwrap();
        let id = SnapshotId::new(t, "3fa9c2d1deadbeef");
        assert_eq!(id.as_str(), "20261128T031500Z-3fa9c2d1");
        assert_eq!(SnapshotId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(id.time(), Some(t));
        let later = SnapshotId::new(t + chrono::Duration::seconds(1), "00000000");
        assert!(later > id);
    }

    #[test]
    fn non_ids_are_rejected() {
        for text in [
            ".tmp-123",
            "20261128T031500Z-3FA9C2D1",
            "20261128T031500Z-3fa9c2d",
            "20261328T031500Z-3fa9c2d1",
            "manifest.json",
            "20261128T031500Z",
            "",
        ] {
            assert_eq!(SnapshotId::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn selectors_parse() {
        assert_eq!("latest".parse::<Selector>().unwrap(), Selector::Latest);
        assert_eq!("~0".parse::<Selector>().unwrap(), Selector::Latest);
        assert_eq!("~".parse::<Selector>().unwrap(), Selector::Previous(1));
        assert_eq!("~2".parse::<Selector>().unwrap(), Selector::Previous(2));
        assert_eq!(
            "latest~3".parse::<Selector>().unwrap(),
            Selector::Previous(3)
        );
        assert_eq!(
            "20261128T03".parse::<Selector>().unwrap(),
            Selector::Id("20261128T03".into())
        );
        assert_eq!(
            "promoted".parse::<Selector>().unwrap(),
            Selector::Tag("promoted".into())
        );
        assert!(matches!(
            "Promoted".parse::<Selector>(),
            Err(StoreError::InvalidSelector { .. })
        ));
        for bad in ["~x", "~-1", "../etc", "a/b", "", "with space"] {
            let err = bad.parse::<Selector>().unwrap_err();
            assert!(
                err.to_string().contains("expected 'latest'"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn selectors_display_as_they_parse() {
        for text in ["latest", "~4", "20261128T031500Z-3fa9c2d1", "promoted"] {
            assert_eq!(text.parse::<Selector>().unwrap().to_string(), text);
        }
    }
}
