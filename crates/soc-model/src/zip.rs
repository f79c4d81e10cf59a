//! Reading ZIP exports member by member, within limits, skipping what archivers add.
//!
//! A small archive can unpack to gigabytes, and the sizes its directory declares can lie. So each
//! member is read through a cap, which is the smallest of: the export size limit, what is left of
//! the whole export's unpack budget, and the compression-ratio limit times the member's compressed
//! size. Members are read one at a time, so a reader holds one member's bytes at once.

use std::io::{Cursor, Read};

use crate::error::ReadError;
use crate::limits::{LimitKind, Limits, RATIO_FREE_BYTES};

/// One member of a ZIP export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its name in the archive (may hold `/`; untrusted).
    pub name: String,
    /// Its unpacked bytes.
    pub data: Vec<u8>,
}

/// Whether a member is something an archiver or a desktop added rather than an export: a folder,
/// macOS resource forks (`__MACOSX/…`), hidden files (`.DS_Store`, `._x.json`), `Thumbs.db`,
/// `desktop.ini`.
///
/// ```
/// use soc_model::zip::is_junk;
///
/// assert!(is_junk("__MACOSX/._a.json"));
/// assert!(is_junk("exports/.DS_Store"));
/// assert!(is_junk("dir/"));
/// assert!(!is_junk("exports/a.json"));
/// ```
#[must_use]
pub fn is_junk(name: &str) -> bool {
    if name.ends_with('/') || name.ends_with('\\') {
        return true;
    }
    name.split(['/', '\\']).any(|part| {
        part.starts_with('.')
            || part == "__MACOSX"
            || part.eq_ignore_ascii_case("thumbs.db")
            || part.eq_ignore_ascii_case("desktop.ini")
    })
}

/// A ZIP export opened for reading its members one at a time, in name order, junk skipped.
pub struct ZipExport<'a> {
    file: String,
    archive: zip::ZipArchive<Cursor<&'a [u8]>>,
    /// Member indexes still to read, in name order.
    order: std::vec::IntoIter<usize>,
    archive_len: u64,
    unpacked: u64,
    limits: Limits,
}

impl<'a> ZipExport<'a> {
    /// Opens the archive in `bytes`; `file` names it in errors.
    pub fn open(file: &str, bytes: &'a [u8], limits: &Limits) -> Result<Self, ReadError> {
        if bytes.len() as u64 > limits.max_export_bytes {
            return Err(ReadError::Limit {
                file: file.to_owned(),
                source: limits.exceeded(LimitKind::ExportSize, bytes.len() as u64),
            });
        }
        let archive =
            zip::ZipArchive::new(Cursor::new(bytes)).map_err(|source| ReadError::Zip {
                file: file.to_owned(),
                source,
            })?;
        if archive.len() as u64 > limits.max_zip_members {
            return Err(ReadError::Limit {
                file: file.to_owned(),
                source: limits.exceeded(LimitKind::ZipMembers, archive.len() as u64),
            });
        }
        let mut named: Vec<(&str, usize)> = (0..archive.len())
            .filter_map(|index| archive.name_for_index(index).map(|name| (name, index)))
            .filter(|(name, _)| !is_junk(name))
            .collect();
        named.sort();
        let order: Vec<usize> = named.into_iter().map(|(_, index)| index).collect();
        Ok(Self {
            file: file.to_owned(),
            archive,
            order: order.into_iter(),
            archive_len: bytes.len() as u64,
            unpacked: 0,
            limits: *limits,
        })
    }

    /// How many members will be read (junk not counted).
    #[must_use]
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no member is left to read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.order.len() == 0
    }

    /// The next member, or `None` when all were read.
    pub fn next_member(&mut self) -> Option<Result<Member, ReadError>> {
        let index = self.order.next()?;
        Some(self.read(index))
    }

    fn read(&mut self, index: usize) -> Result<Member, ReadError> {
        let limits = self.limits;
        let file = self.file.clone();
        let left = limits.max_unpacked_bytes.saturating_sub(self.unpacked);
        let mut member = self
            .archive
            .by_index(index)
            .map_err(|source| ReadError::ZipMember {
                file: file.clone(),
                index,
                source,
            })?;
        let name = member.name().to_owned();
        let at = format!("{file}!{name}");
        // The directory's compressed size can lie too; it can never exceed the archive.
        let compressed = member.compressed_size().min(self.archive_len).max(1);
        let by_ratio = compressed
            .saturating_mul(limits.max_compression_ratio)
            .max(RATIO_FREE_BYTES);
        let cap = limits.max_export_bytes.min(left).min(by_ratio);
        // Never trust the declared size for the buffer either.
        let mut data = Vec::with_capacity(usize::try_from(member.size().min(cap)).unwrap_or(0));
        (&mut member)
            .take(cap.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|source| ReadError::ZipRead {
                file: file.clone(),
                member: name.clone(),
                source,
            })?;
        let read = data.len() as u64;
        if read > cap {
            let kind = if cap == by_ratio {
                LimitKind::CompressionRatio
            } else if cap == left {
                LimitKind::UnpackedSize
            } else {
                LimitKind::ExportSize
            };
            let found = match kind {
                LimitKind::CompressionRatio => read / compressed,
                LimitKind::UnpackedSize => self.unpacked + read,
                _ => read,
            };
            return Err(ReadError::Limit {
                file: at,
                source: limits.exceeded(kind, found),
            });
        }
        self.unpacked += read;
        Ok(Member { name, data })
    }
}

/// Every member of a ZIP export (junk skipped, in name order), within `limits`.
pub fn read_members(file: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<Member>, ReadError> {
    let mut zip = ZipExport::open(file, bytes, limits)?;
    let mut members = Vec::with_capacity(zip.len());
    while let Some(member) = zip.next_member() {
        members.push(member?);
    }
    Ok(members)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    pub(crate) fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in members {
            if name.ends_with('/') {
                out.add_directory(*name, options).unwrap();
            } else {
                out.start_file(*name, options).unwrap();
                out.write_all(content).unwrap();
            }
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn members_come_in_name_order_without_junk() {
        let bytes = zip_of(&[
            ("b.json", b"B"),
            ("dir/", b""),
            ("a.json", b"A"),
            ("__MACOSX/._a.json", b"junk"),
            (".DS_Store", b"junk"),
        ]);
        let members = read_members("x.zip", &bytes, &Limits::default()).unwrap();
        let names: Vec<_> = members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["a.json", "b.json"]);
        assert_eq!(members[0].data, b"A");
    }

    #[test]
    fn a_bomb_is_refused_by_its_ratio_before_it_is_read() {
        let zeros = vec![0u8; 4 * 1024 * 1024];
        let bytes = zip_of(&[("bomb.json", &zeros)]);
        let err = read_members("bomb.zip", &bytes, &Limits::default()).unwrap_err();
        let limit = err.limit().copied().unwrap();
        assert_eq!(limit.kind, LimitKind::CompressionRatio, "{err}");
        assert!(
            err.to_string()
                .starts_with("bomb.zip!bomb.json: unpacks to")
        );
        // Small members are never refused for their ratio.
        let small = zip_of(&[("a.json", &zeros[..RATIO_FREE_BYTES as usize])]);
        assert!(read_members("a.zip", &small, &Limits::default()).is_ok());
    }

    #[test]
    fn members_share_one_unpack_budget_and_each_is_capped() {
        let data = vec![b'x'; 3000];
        let bytes = zip_of(&[("a", &data), ("b", &data), ("c", &data)]);
        let limits = Limits {
            max_unpacked_bytes: 7000,
            max_compression_ratio: 1_000_000,
            ..Limits::default()
        };
        let err = read_members("t.zip", &bytes, &limits).unwrap_err();
        assert_eq!(err.limit().unwrap().kind, LimitKind::UnpackedSize);
        assert_eq!(err.file(), "t.zip!c");
        let limits = Limits {
            max_export_bytes: 2999,
            max_compression_ratio: 1_000_000,
            ..Limits::default()
        };
        let err = read_members("t.zip", &bytes, &limits).unwrap_err();
        assert_eq!(err.limit().unwrap().kind, LimitKind::ExportSize);
        let limits = Limits {
            max_zip_members: 2,
            ..Limits::default()
        };
        let err = read_members("t.zip", &bytes, &limits).unwrap_err();
        assert_eq!(err.limit().unwrap().kind, LimitKind::ZipMembers);
    }

    #[test]
    fn truncated_archives_are_errors() {
        let bytes = zip_of(&[("a.json", br#"{"name":"A"}"#)]);
        for cut in [4, 10, bytes.len() / 2, bytes.len() - 1] {
            let err = read_members("t.zip", &bytes[..cut], &Limits::default()).unwrap_err();
            assert!(err.to_string().starts_with("t.zip"), "{err}");
        }
    }
}
