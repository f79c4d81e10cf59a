//! Reading a store's files the way docs/store.md describes them, independently of soc-store's
//! own code: packs (zstd frames and an index), compressed manifests, plain files.

use std::path::{Path, PathBuf};

/// One index entry of a pack: the object's SHA-256 (hex), offset and stored length.
pub struct PackEntry {
    pub sha256: String,
    pub offset: usize,
    pub stored: usize,
}

/// The index of a pack, read from its footer.
pub fn pack_index(bytes: &[u8]) -> Vec<PackEntry> {
    let footer = &bytes[bytes.len() - 56..];
    assert_eq!(&footer[48..], b"SOCDIDX1", "a pack footer");
    let index_offset = u64::from_le_bytes(footer[0..8].try_into().unwrap()) as usize;
    let count = u64::from_le_bytes(footer[8..16].try_into().unwrap()) as usize;
    (0..count)
        .map(|i| {
            let entry = &bytes[index_offset + i * 56..index_offset + (i + 1) * 56];
            PackEntry {
                sha256: entry[..32].iter().map(|b| format!("{b:02x}")).collect(),
                offset: u64::from_le_bytes(entry[32..40].try_into().unwrap()) as usize,
                stored: u64::from_le_bytes(entry[40..48].try_into().unwrap()) as usize,
            }
        })
        .collect()
}

/// Every file under `dir` with what it holds for a reader: each object of a pack decompressed
/// (named `<pack>#<sha256>`), a `.zst` file decompressed, any other file as it is.
pub fn decoded_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".pack") && !name.starts_with('.') {
                for entry in pack_index(&bytes) {
                    let object =
                        zstd::decode_all(&bytes[entry.offset..entry.offset + entry.stored])
                            .unwrap();
                    out.push((
                        PathBuf::from(format!("{}#{}", path.display(), entry.sha256)),
                        object,
                    ));
                }
            } else if name.ends_with(".zst") {
                out.push((path, zstd::decode_all(bytes.as_slice()).unwrap()));
            } else {
                out.push((path, bytes));
            }
        }
    }
    out.sort();
    out
}

/// Flips a byte in the middle of the stored bytes of object `sha256`, in whichever pack of `dir`
/// holds it; returns the pack.
pub fn damage_object(dir: &Path, sha256: &str) -> PathBuf {
    for entry in std::fs::read_dir(dir).unwrap() {
        let pack = entry.unwrap().path();
        if pack.extension().is_none_or(|e| e != "pack") {
            continue;
        }
        let mut bytes = std::fs::read(&pack).unwrap();
        if let Some(found) = pack_index(&bytes).into_iter().find(|e| e.sha256 == sha256) {
            bytes[found.offset + found.stored / 2] ^= 0x55;
            std::fs::write(&pack, bytes).unwrap();
            return pack;
        }
    }
    panic!("no pack in {} holds {sha256}", dir.display());
}
