//! File-system helpers: private permissions, durable writes, hashing. Every error names its path
//! (they come from `fs-err`).

use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::Result;

/// Permissions of every folder the store creates (Unix): exports can hold sensitive configuration.
#[cfg(unix)]
pub(crate) const DIR_MODE: u32 = 0o700;
/// Permissions of every file the store creates (Unix).
#[cfg(unix)]
pub(crate) const FILE_MODE: u32 = 0o600;

/// Creates one folder readable by the owner only. Fails if it exists.
pub(crate) fn create_private_dir(path: &Path) -> Result<()> {
    fs_err::create_dir(path)?;
    set_private_dir_mode(path)
}

/// Creates a folder and missing parents; those it creates are readable by the owner only, and
/// existing ones are left as they are (the user may have chosen their permissions).
pub fn create_private_dir_all(path: &Path) -> Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            create_private_dir_all(parent)?;
        }
    }
    match fs_err::create_dir(path) {
        Ok(()) => set_private_dir_mode(path),
        // Another process created it between the check and here.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
        Err(err) => Err(err.into()),
    }
}

#[cfg(unix)]
fn set_private_dir_mode(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(DIR_MODE))?;
    Ok(())
}

#[cfg(not(unix))]
fn set_private_dir_mode(_path: &Path) -> Result<()> {
    Ok(())
}

/// Opens a new file (never an existing one) readable by the owner only.
pub(crate) fn create_private_file(path: &Path) -> Result<fs_err::File> {
    let mut options = fs_err::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    Ok(options.open(path)?)
}

/// Writes a new private file and forces it to disk before returning.
pub(crate) fn write_new_file_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = create_private_file(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

/// Writes `bytes` to `path`, replacing any file there, as a private file: written to a temporary
/// file in the same folder (owner-only), forced to disk, then renamed into place, so the file
/// never exists with other permissions or half written. For files outside the store that hold
/// what a store would keep private (`socdrift export` writes raw exports with it).
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(
        "{}{}-{}-{name}",
        crate::store::TEMP_PREFIX,
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    let written =
        write_new_file_synced(&temp, bytes).and_then(|()| Ok(fs_err::rename(&temp, path)?));
    if written.is_err() {
        let _ = fs_err::remove_file(&temp);
    }
    written
}

/// The entries of folder `dir`, none when it does not exist; any other failure names the folder.
pub(crate) fn dir_entries(dir: &Path) -> Result<Vec<fs_err::DirEntry>> {
    match fs_err::read_dir(dir) {
        Ok(entries) => Ok(entries.collect::<std::io::Result<Vec<_>>>()?),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(err) => Err(err.into()),
    }
}

/// Forces a folder's entries (creations, renames) to disk. A no-op where folders cannot be opened
/// (Windows), where renames are durable through the journal instead.
pub(crate) fn sync_dir(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        fs_err::File::open(path)?.sync_all()?;
    }
    #[cfg(not(unix))]
    {
        let _ = path;
    }
    Ok(())
}

/// Lowercase hex SHA-256 of bytes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Lowercase hex SHA-256 and size of a file, read in blocks.
pub(crate) fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let mut file = fs_err::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        let chunk = buffer.get(..read).unwrap_or_default();
        hasher.update(chunk);
        size += chunk.len() as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Replaces `target` with a private file holding `bytes`, atomically: the bytes are written to
/// `temp` (on the same file system) and synced, then renamed over `target`, and the folder is
/// synced, so a reader sees the old file or the new one, and a crash leaves one of them.
pub(crate) fn replace_file_synced(temp: &Path, target: &Path, bytes: &[u8]) -> Result<()> {
    write_new_file_synced(temp, bytes)?;
    if let Err(err) = fs_err::rename(temp, target) {
        // Best effort: the next lock holder removes it anyway.
        let _ = fs_err::remove_file(temp);
        return Err(err.into());
    }
    if let Some(parent) = target.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// A file or folder name no other writer uses: the temporary prefix, `what`, the process id and
/// the time in nanoseconds.
pub(crate) fn unique_temp_name(what: &str) -> String {
    format!(
        "{}{what}-{}-{}",
        crate::store::TEMP_PREFIX,
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    )
}

/// Whether a file name is one the store uses for temporary folders.
pub(crate) fn is_temporary_name(name: &str) -> bool {
    name.starts_with(crate::store::TEMP_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_file_matches_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        write_new_file_synced(&path, &bytes).unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            (sha256_hex(&bytes), bytes.len() as u64)
        );
    }

    #[test]
    fn replacing_a_file_leaves_the_new_bytes_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("tag");
        for bytes in [&b"one\n"[..], b"two\n"] {
            let temp = dir.path().join(unique_temp_name("t"));
            replace_file_synced(&temp, &target, bytes).unwrap();
            assert_eq!(fs_err::read(&target).unwrap(), bytes);
            assert!(!temp.exists());
        }
        let names: Vec<_> = fs_err::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["tag"]);
    }

    #[test]
    fn new_files_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_new_file_synced(&path, b"one").unwrap();
        let err = write_new_file_synced(&path, b"two").unwrap_err();
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
        assert_eq!(fs_err::read(&path).unwrap(), b"one");
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_becomes_private_and_leaves_no_temporary_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.json");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private_file(&path, b"new").unwrap();
        assert_eq!(fs_err::read(&path).unwrap(), b"new");
        let mode = fs_err::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn created_files_and_folders_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_private_dir_all(&nested).unwrap();
        let file = nested.join("f");
        write_new_file_synced(&file, b"x").unwrap();
        let mode = |p: &Path| fs_err::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&file), 0o600);
    }
}
