//! Packs: the files the store's objects live in.
//!
//! An object is a blob (a normalized workflow, a workflow info, a raw export) addressed by the
//! SHA-256 of its bytes. Objects are written in packs, one pack per snapshot holding only the
//! objects no pack has yet, so a snapshot costs what changed: one file to write and sync instead of
//! thousands, and one file in a git commit. Each object is one zstd frame, readable on its own.
//!
//! ```text
//! "SOCDPACK" 1u32                     header (12 bytes)
//! frame, frame, …                     the objects, each a zstd frame
//! entry × count                       the index: sha256 (32 bytes), offset, stored length,
//!                                     size (u64 little-endian each), sorted by sha256
//! index offset, count (u64 LE),       footer (56 bytes); the pack's file name is the hex
//! sha256 of the index, "SOCDIDX1"     SHA-256 of its index
//! ```
//!
//! A pack is written under a temporary name, synced, then renamed to `<sha256 of index>.pack`,
//! and never changed afterwards; garbage collection writes a new pack with the objects still
//! needed and then deletes the old one.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::fsutil::dir_entries;

/// A SHA-256, as bytes.
pub(crate) type Hash = [u8; 32];

/// File extension of packs.
pub(crate) const PACK_EXTENSION: &str = "pack";
const MAGIC: &[u8; 8] = b"SOCDPACK";
const VERSION: u32 = 1;
const HEADER_LEN: u64 = 12;
const FOOTER_MAGIC: &[u8; 8] = b"SOCDIDX1";
const ENTRY_LEN: usize = 32 + 8 + 8 + 8;
const FOOTER_LEN: usize = 8 + 8 + 32 + 8;

/// The largest object the store reads back: far above any workflow, low enough that a damaged or
/// hostile index cannot make a reader allocate without bound.
pub(crate) const MAX_OBJECT_BYTES: u64 = 1 << 30;

/// zstd level of every object: level 1 compresses a workflow's JSON within 1 to 3% of level 3
/// (zstd's default) at a fifth more speed, and compressing is a tenth of a first snapshot's CPU.
const LEVEL: i32 = 1;

/// Parses a lowercase hex SHA-256.
pub(crate) fn parse_hash(hex_text: &str) -> Option<Hash> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut hash).ok()?;
    Some(hash)
}

thread_local! {
    /// One compression context per thread, reused: making one costs more than compressing a
    /// small object.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Compresses an object (done by the caller's thread, outside any lock).
pub(crate) fn compress(bytes: &[u8]) -> Result<Vec<u8>> {
    COMPRESSOR
        .with(|cell| {
            let mut cell = cell.borrow_mut();
            let compressor = match cell.as_mut() {
                Some(compressor) => compressor,
                None => cell.insert(zstd::bulk::Compressor::new(LEVEL)?),
            };
            compressor.compress(bytes)
        })
        .map_err(|source| StoreError::Compress { source })
}

/// Decompresses a frame whose content is `size` bytes.
fn decompress(stored: &[u8], size: usize) -> std::io::Result<Vec<u8>> {
    DECOMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let decompressor = match cell.as_mut() {
            Some(decompressor) => decompressor,
            None => cell.insert(zstd::bulk::Decompressor::new()?),
        };
        decompressor.decompress(stored, size)
    })
}

/// Where an object is inside a pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PackEntry {
    pub(crate) hash: Hash,
    pub(crate) offset: u64,
    pub(crate) stored: u64,
    pub(crate) size: u64,
}

impl PackEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.hash);
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.stored.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
    }

    fn decode(bytes: &[u8]) -> Option<PackEntry> {
        let u64_at = |at: usize| -> Option<u64> {
            Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
        };
        Some(PackEntry {
            hash: bytes.get(..32)?.try_into().ok()?,
            offset: u64_at(32)?,
            stored: u64_at(40)?,
            size: u64_at(48)?,
        })
    }
}

/// A pack being written: objects are appended as they come; [`finish`](Self::finish) writes the
/// index and syncs. Thread-safe: workers compress in parallel and append under a short lock.
#[derive(Debug)]
pub(crate) struct PackWriter {
    path: PathBuf,
    inner: Mutex<Open>,
}

#[derive(Debug)]
struct Open {
    file: Option<std::io::BufWriter<fs_err::File>>,
    offset: u64,
    entries: Vec<PackEntry>,
    hashes: HashSet<Hash>,
}

/// A finished pack under its temporary name.
#[derive(Debug)]
pub(crate) struct FinishedPack {
    pub(crate) temp: PathBuf,
    /// `<sha256 of the index>.pack`.
    pub(crate) name: String,
    pub(crate) entries: Vec<PackEntry>,
}

impl PackWriter {
    /// A pack that will be written to `path` (a temporary name) once its first object comes.
    pub(crate) fn new(path: PathBuf) -> PackWriter {
        PackWriter {
            path,
            inner: Mutex::new(Open {
                file: None,
                offset: HEADER_LEN,
                entries: Vec::new(),
                hashes: HashSet::new(),
            }),
        }
    }

    /// Whether this pack holds the object already.
    pub(crate) fn contains(&self, hash: &Hash) -> bool {
        self.lock().hashes.contains(hash)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        // A panic while appending cannot leave the state inconsistent in a way that matters: the
        // pack is abandoned with its writer.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends an object: its hash, its size and its compressed bytes. An object the pack holds
    /// already is not appended again.
    pub(crate) fn append(&self, hash: Hash, size: u64, compressed: &[u8]) -> Result<()> {
        let mut open = self.lock();
        if open.hashes.contains(&hash) {
            return Ok(());
        }
        if open.file.is_none() {
            let mut file = std::io::BufWriter::with_capacity(
                256 * 1024,
                crate::fsutil::create_private_file(&self.path)?,
            );
            file.write_all(MAGIC)?;
            file.write_all(&VERSION.to_le_bytes())?;
            open.file = Some(file);
        }
        let offset = open.offset;
        if let Some(file) = open.file.as_mut() {
            file.write_all(compressed)?;
        }
        open.offset += compressed.len() as u64;
        open.entries.push(PackEntry {
            hash,
            offset,
            stored: compressed.len() as u64,
            size,
        });
        open.hashes.insert(hash);
        Ok(())
    }

    /// Writes the index and footer and syncs the file; `None` (and no file) when no object was
    /// appended.
    pub(crate) fn finish(self) -> Result<Option<FinishedPack>> {
        let open = self
            .inner
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(file) = open.file else {
            return Ok(None);
        };
        let mut entries = open.entries;
        entries.sort_by_key(|entry| entry.hash);
        let (index, footer, name) = encode_index(&entries, open.offset);
        let mut file = file;
        file.write_all(&index)?;
        file.write_all(&footer)?;
        let file = file
            .into_inner()
            .map_err(|err| StoreError::Io(err.into_error()))?;
        file.sync_all()?;
        Ok(Some(FinishedPack {
            temp: self.path,
            name,
            entries,
        }))
    }

    /// The temporary path, for cleaning up a pack that will not be published.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// The index bytes, the footer and the pack's file name for entries (sorted) whose index starts
/// at `index_offset`.
fn encode_index(entries: &[PackEntry], index_offset: u64) -> (Vec<u8>, Vec<u8>, String) {
    let mut index = Vec::with_capacity(entries.len() * ENTRY_LEN);
    for entry in entries {
        entry.encode(&mut index);
    }
    let digest: Hash = Sha256::digest(&index).into();
    let mut footer = Vec::with_capacity(FOOTER_LEN);
    footer.extend_from_slice(&index_offset.to_le_bytes());
    footer.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    footer.extend_from_slice(&digest);
    footer.extend_from_slice(FOOTER_MAGIC);
    (
        index,
        footer,
        format!("{}.{PACK_EXTENSION}", hex::encode(digest)),
    )
}

/// Whether a file name is a published pack's: `<64 lowercase hex>.pack`.
pub(crate) fn is_pack_name(name: &str) -> bool {
    name.strip_suffix(".pack").is_some_and(|hash| {
        hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// Why a pack cannot be used.
fn bad_pack(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::BadPack {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Reads and checks a pack's index: header, footer, the index's hash against the footer and the
/// file name, entries inside the data area.
pub(crate) fn read_index(path: &Path) -> Result<Vec<PackEntry>> {
    let mut file = fs_err::File::open(path)?;
    let len = file.metadata()?.len();
    if len < HEADER_LEN + FOOTER_LEN as u64 {
        return Err(bad_pack(path, "it is too short to be a pack"));
    }
    let mut header = [0u8; HEADER_LEN as usize];
    file.read_exact(&mut header)?;
    if &header[..8] != MAGIC || header[8..] != VERSION.to_le_bytes() {
        return Err(bad_pack(
            path,
            "it does not start like a socdrift pack (version 1)",
        ));
    }
    let mut footer = [0u8; FOOTER_LEN];
    file.seek(SeekFrom::Start(len - FOOTER_LEN as u64))?;
    file.read_exact(&mut footer)?;
    let u64_at = |at: usize| u64::from_le_bytes(footer[at..at + 8].try_into().unwrap_or_default());
    let (index_offset, count) = (u64_at(0), u64_at(8));
    if &footer[48..] != FOOTER_MAGIC {
        return Err(bad_pack(path, "its footer is damaged (truncated?)"));
    }
    let index_len = count
        .checked_mul(ENTRY_LEN as u64)
        .filter(|&n| index_offset.checked_add(n) == Some(len - FOOTER_LEN as u64))
        .filter(|_| index_offset >= HEADER_LEN)
        .ok_or_else(|| bad_pack(path, "its footer does not match its length"))?;
    let mut index = vec![
        0u8;
        usize::try_from(index_len)
            .unwrap_or(usize::MAX)
            .min(len as usize)
    ];
    file.seek(SeekFrom::Start(index_offset))?;
    file.read_exact(&mut index)?;
    let digest: Hash = Sha256::digest(&index).into();
    if digest[..] != footer[16..48] {
        return Err(bad_pack(
            path,
            "its index does not match the checksum in its footer",
        ));
    }
    let named = path
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.strip_suffix(".pack"));
    if named.is_some_and(|hash| hash.len() == 64) && named != Some(hex::encode(digest).as_str()) {
        return Err(bad_pack(path, "its name is not the SHA-256 of its index"));
    }
    let entries: Vec<PackEntry> = index
        .chunks_exact(ENTRY_LEN)
        .filter_map(PackEntry::decode)
        .collect();
    for entry in &entries {
        let end = entry.offset.checked_add(entry.stored);
        if entry.offset < HEADER_LEN || end.is_none_or(|end| end > index_offset) {
            return Err(bad_pack(
                path,
                format!(
                    "object {} lies outside the pack's data",
                    hex::encode(entry.hash)
                ),
            ));
        }
    }
    Ok(entries)
}

/// Reads one object and checks it against its hash.
pub(crate) fn read_object(path: &Path, entry: &PackEntry) -> Result<Vec<u8>> {
    let mut file = fs_err::File::open(path)?;
    read_object_from(&mut file, path, entry)
}

fn read_object_from(file: &mut fs_err::File, path: &Path, entry: &PackEntry) -> Result<Vec<u8>> {
    let stored = read_stored(file, entry)?;
    decode_object(path, entry, &stored)
}

/// The compressed bytes of an object, as stored.
fn read_stored(file: &mut fs_err::File, entry: &PackEntry) -> Result<Vec<u8>> {
    let mut stored = vec![0u8; usize::try_from(entry.stored).unwrap_or(usize::MAX)];
    file.seek(SeekFrom::Start(entry.offset))?;
    file.read_exact(&mut stored)?;
    Ok(stored)
}

/// Decompresses stored bytes and checks the result against the entry's size and hash.
fn decode_object(path: &Path, entry: &PackEntry, stored: &[u8]) -> Result<Vec<u8>> {
    let hash = hex::encode(entry.hash);
    if entry.size > MAX_OBJECT_BYTES {
        return Err(StoreError::CorruptedObject {
            pack: path.to_owned(),
            hash,
            reason: format!("its index claims {} bytes", entry.size),
        });
    }
    let bytes =
        decompress(stored, entry.size as usize).map_err(|err| StoreError::CorruptedObject {
            pack: path.to_owned(),
            hash: hash.clone(),
            reason: format!("it does not decompress ({err})"),
        })?;
    let actual: Hash = Sha256::digest(&bytes).into();
    if bytes.len() as u64 != entry.size || actual != entry.hash {
        return Err(StoreError::CorruptedObject {
            pack: path.to_owned(),
            hash,
            reason: format!("its content hashes to {}", hex::encode(actual)),
        });
    }
    Ok(bytes)
}

/// A damaged object: its hash (hex) and why.
pub(crate) type Damage = (String, String);

/// Checks every object of a pack, as `git fsck` does: returns the index and, per object that is
/// damaged, its hash and why.
pub(crate) fn check_pack(path: &Path) -> Result<(Vec<PackEntry>, Vec<Damage>)> {
    let entries = read_index(path)?;
    let mut file = fs_err::File::open(path)?;
    let mut damaged = Vec::new();
    for entry in &entries {
        match read_object_from(&mut file, path, entry) {
            Ok(_) => {}
            Err(StoreError::CorruptedObject { hash, reason, .. }) => damaged.push((hash, reason)),
            Err(err) => return Err(err),
        }
    }
    Ok((entries, damaged))
}

/// Writes a new pack of the objects of `path` that `keep` wants, copying their compressed bytes
/// (nothing is recompressed), under the temporary name `temp`. `None` when none is wanted.
pub(crate) fn repack(
    path: &Path,
    temp: PathBuf,
    keep: impl Fn(&Hash) -> bool,
) -> Result<Option<FinishedPack>> {
    let entries = read_index(path)?;
    let mut file = fs_err::File::open(path)?;
    let writer = PackWriter::new(temp);
    for entry in entries.iter().filter(|entry| keep(&entry.hash)) {
        let stored = read_stored(&mut file, entry)?;
        // Checked on the way: a damaged object is not carried into a new pack silently.
        decode_object(path, entry, &stored)?;
        writer.append(entry.hash, entry.size, &stored)?;
    }
    writer.finish()
}

/// Publishes a finished pack in `dir` under its final name (syncing `dir`); a pack of the same
/// name there already holds the same index, so the new one is dropped.
pub(crate) fn publish(pack: &FinishedPack, dir: &Path) -> Result<PathBuf> {
    let target = dir.join(&pack.name);
    if target.is_file() {
        fs_err::remove_file(&pack.temp)?;
    } else {
        fs_err::rename(&pack.temp, &target)?;
    }
    Ok(target)
}

/// Every object of one area (the committed objects, or the private raw exports): which pack holds
/// which hash. Loaded from the packs' indexes on first use and reloaded once when an object is
/// not found (a garbage collection may have repacked it meanwhile).
#[derive(Debug)]
pub(crate) struct Objects {
    dir: PathBuf,
    loaded: Mutex<Option<Arc<Loaded>>>,
}

/// The indexes of an area's packs.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    packs: Vec<PathBuf>,
    by_hash: HashMap<Hash, (usize, PackEntry)>,
    /// Packs whose index cannot be read, and why.
    pub(crate) bad: Vec<(PathBuf, String)>,
}

impl Loaded {
    /// Whether some pack holds the object.
    pub(crate) fn contains(&self, hash: &Hash) -> bool {
        self.by_hash.contains_key(hash)
    }
}

impl Objects {
    /// The objects of the packs in `dir` (which may not exist: then there are none).
    pub(crate) fn new(dir: PathBuf) -> Objects {
        Objects {
            dir,
            loaded: Mutex::new(None),
        }
    }

    /// The folder of the packs.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current indexes, loading them on first use.
    pub(crate) fn loaded(&self) -> Result<Arc<Loaded>> {
        let mut guard = self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(loaded) = guard.as_ref() {
            return Ok(Arc::clone(loaded));
        }
        let loaded = Arc::new(load(&self.dir)?);
        *guard = Some(Arc::clone(&loaded));
        Ok(loaded)
    }

    fn reload(&self) -> Result<Arc<Loaded>> {
        *self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.loaded()
    }

    /// An object's bytes, checked against its hash; `None` when no pack holds it.
    pub(crate) fn get(&self, hash: &Hash) -> Result<Option<Vec<u8>>> {
        let mut loaded = self.loaded()?;
        for attempt in 0..2 {
            match loaded.by_hash.get(hash) {
                Some((pack, entry)) => {
                    let path = &loaded.packs[*pack];
                    match read_object(path, entry) {
                        Err(StoreError::Io(err))
                            if err.kind() == std::io::ErrorKind::NotFound && attempt == 0 => {}
                        other => return other.map(Some),
                    }
                }
                None if attempt == 0 => {}
                None => return Ok(None),
            }
            loaded = self.reload()?;
        }
        Ok(None)
    }

    /// Whether some pack holds the object (without reloading).
    pub(crate) fn contains(&self, hash: &Hash) -> Result<bool> {
        Ok(self.loaded()?.contains(hash))
    }
}

/// Reads the index of every pack in `dir`.
fn load(dir: &Path) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in dir_entries(dir)? {
        if entry.file_name().to_str().is_some_and(is_pack_name) {
            paths.push(entry.path());
        }
    }
    paths.sort();
    for path in paths {
        match read_index(&path) {
            Ok(entries) => {
                let index = loaded.packs.len();
                for entry in entries {
                    loaded.by_hash.entry(entry.hash).or_insert((index, entry));
                }
                loaded.packs.push(path);
            }
            // A pack removed meanwhile (garbage collection) held nothing anyone needs.
            Err(StoreError::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => loaded.bad.push((path, soc_text::error_chain(&err))),
        }
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(bytes: &[u8]) -> Hash {
        Sha256::digest(bytes).into()
    }

    fn write_pack(dir: &Path, objects: &[&[u8]]) -> PathBuf {
        let writer = PackWriter::new(dir.join(".tmp-pack"));
        for object in objects {
            writer
                .append(
                    hash(object),
                    object.len() as u64,
                    &compress(object).unwrap(),
                )
                .unwrap();
        }
        let pack = writer.finish().unwrap().unwrap();
        publish(&pack, dir).unwrap()
    }

    #[test]
    fn objects_round_trip_and_are_found_by_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_pack(dir.path(), &[b"one", b"two", b"one", b""]);
        assert!(is_pack_name(path.file_name().unwrap().to_str().unwrap()));
        let entries = read_index(&path).unwrap();
        assert_eq!(entries.len(), 3, "duplicates are stored once");
        let objects = Objects::new(dir.path().to_owned());
        assert_eq!(objects.get(&hash(b"two")).unwrap().unwrap(), b"two");
        assert_eq!(objects.get(&hash(b"")).unwrap().unwrap(), b"");
        assert_eq!(objects.get(&hash(b"three")).unwrap(), None);
        assert!(check_pack(&path).unwrap().1.is_empty());
    }

    #[test]
    fn an_empty_pack_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let writer = PackWriter::new(dir.path().join(".tmp-pack"));
        assert!(writer.finish().unwrap().is_none());
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn damage_is_found_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_pack(dir.path(), &[b"first object", b"second object"]);
        let mut bytes = fs_err::read(&path).unwrap();
        // Flip a byte inside the first object's frame.
        let entry = read_index(&path).unwrap()[0];
        bytes[entry.offset as usize + entry.stored as usize / 2] ^= 0xff;
        fs_err::write(&path, &bytes).unwrap();
        let (_, damaged) = check_pack(&path).unwrap();
        assert_eq!(damaged.len(), 1, "{damaged:?}");
        assert_eq!(damaged[0].0, hex::encode(entry.hash));

        // A truncated pack has no footer.
        fs_err::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let err = read_index(&path).unwrap_err();
        assert!(matches!(err, StoreError::BadPack { .. }), "{err}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn repacking_keeps_only_what_is_wanted() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_pack(dir.path(), &[b"keep me", b"drop me"]);
        let kept = hash(b"keep me");
        let pack = repack(&path, dir.path().join(".tmp-repack"), |h| *h == kept)
            .unwrap()
            .unwrap();
        let new = publish(&pack, dir.path()).unwrap();
        assert_ne!(new, path);
        fs_err::remove_file(&path).unwrap();
        let objects = Objects::new(dir.path().to_owned());
        assert_eq!(objects.get(&kept).unwrap().unwrap(), b"keep me");
        assert_eq!(objects.get(&hash(b"drop me")).unwrap(), None);
        assert!(
            repack(&new, dir.path().join(".tmp-none"), |_| false)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_reader_finds_an_object_after_it_moved_to_another_pack() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_pack(dir.path(), &[b"moving", b"garbage"]);
        let objects = Objects::new(dir.path().to_owned());
        assert!(objects.contains(&hash(b"moving")).unwrap());
        let wanted = hash(b"moving");
        let pack = repack(&path, dir.path().join(".tmp-r"), |h| *h == wanted)
            .unwrap()
            .unwrap();
        publish(&pack, dir.path()).unwrap();
        fs_err::remove_file(&path).unwrap();
        assert_eq!(objects.get(&wanted).unwrap().unwrap(), b"moving");
    }
}
