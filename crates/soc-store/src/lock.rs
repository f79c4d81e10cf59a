//! One writer per environment: an exclusive advisory lock on `<env>/.lock`.
//!
//! The lock is held through the open file, so the operating system releases it when the holder
//! exits, even on SIGKILL; a stale lock file is harmless. The holder writes its pid into the file so
//! that a writer that gives up can say who it was waiting for.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use fs4::fs_std::FileExt;

use crate::error::{Result, StoreError};

/// Name of the lock file inside an environment folder.
pub(crate) const LOCK_FILE: &str = ".lock";

/// An acquired environment lock; released when dropped.
#[derive(Debug)]
pub(crate) struct EnvLock {
    file: fs_err::File,
}

impl EnvLock {
    /// Takes the lock of the environment folder `env_dir`, waiting up to `timeout`.
    pub(crate) fn acquire(env: &str, env_dir: &Path, timeout: Duration) -> Result<Self> {
        let path = env_dir.join(LOCK_FILE);
        let mut options = fs_err::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use fs_err::os::unix::fs::OpenOptionsExt;
            options.mode(crate::fsutil::FILE_MODE);
        }
        let mut file = options.open(&path)?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            let locked =
                FileExt::try_lock_exclusive(file.file()).map_err(|source| StoreError::Lock {
                    path: path.clone(),
                    source,
                })?;
            if locked {
                break;
            }
            let waited = started.elapsed();
            if waited >= timeout {
                return Err(StoreError::Locked {
                    env: env.to_owned(),
                    holder: describe_holder(&path),
                    waited,
                    path,
                });
            }
            std::thread::sleep(pause.min(timeout.saturating_sub(waited)));
            pause = (pause * 2).min(Duration::from_millis(100));
        }
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        writeln!(file, "{}", std::process::id())?;
        Ok(EnvLock { file })
    }

    /// The lock file's path.
    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        self.file.path()
    }
}

impl Drop for EnvLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes the release immediate even
        // if a clone of the descriptor were alive. Nothing useful can be done with an error here.
        let _ = FileExt::unlock(self.file.file());
    }
}

/// "process 1234" from the lock file, or a description of why it is not known.
fn describe_holder(path: &Path) -> String {
    let mut text = String::new();
    let read = fs_err::File::open(path).and_then(|mut file| file.read_to_string(&mut text));
    match read.map(|_| text.trim().parse::<u32>()) {
        Ok(Ok(pid)) => format!("process {pid}"),
        // Just locked and not yet written, or unreadable while locked (Windows locks reads too).
        _ => "a process whose pid could not be read from the lock file".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_locker_times_out_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let held = EnvLock::acquire("staging", dir.path(), Duration::from_secs(1)).unwrap();
        let err = EnvLock::acquire("staging", dir.path(), Duration::from_millis(50)).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, StoreError::Locked { .. }), "{message}");
        assert!(
            message.contains(&format!("process {}", std::process::id())),
            "{message}"
        );
        assert!(message.contains("'staging'"), "{message}");
        assert_eq!(held.path(), dir.path().join(LOCK_FILE));
        drop(held);
        EnvLock::acquire("staging", dir.path(), Duration::from_millis(50)).unwrap();
    }

    #[test]
    fn a_waiting_locker_gets_the_lock_when_it_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let held = EnvLock::acquire("e", dir.path(), Duration::from_secs(1)).unwrap();
        let path = dir.path().to_owned();
        let waiter = std::thread::spawn(move || {
            EnvLock::acquire("e", &path, Duration::from_secs(10)).map(|_| ())
        });
        std::thread::sleep(Duration::from_millis(100));
        drop(held);
        waiter.join().unwrap().unwrap();
    }
}
