//! One writer per environment: an exclusive advisory lock on `<env>/.lock`.
//!
//! The lock is held through the open file, so the operating system releases it when the holder
//! exits, even on SIGKILL; a stale lock file is harmless. The holder writes its pid and the time it
//! took the lock into the file, so that a writer that has to wait can say at once whom it waits
//! for and since when.

use std::fmt;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use fs4::fs_std::FileExt;

use crate::error::{Result, StoreError};

/// Name of the lock file inside an environment folder.
pub(crate) const LOCK_FILE: &str = ".lock";
/// Name of the store-wide lock file in the layout folder: snapshot writers share it; garbage
/// collection takes it alone, so it never deletes an object a snapshot being written relies on.
pub(crate) const STORE_LOCK_FILE: &str = ".store.lock";

/// Who holds an environment's lock, as its lock file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockHolder {
    /// The holder's process id (unknown while the holder has not written it yet, or when the lock
    /// file cannot be read).
    pub pid: Option<u32>,
    /// When the holder took the lock (unknown for holders older than this field).
    pub since: Option<DateTime<Utc>>,
    /// The store-wide lock, held by processes writing snapshots (who share it and do not write
    /// their pids) rather than by one process.
    pub writers: bool,
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.writers {
            return f.write_str("processes writing snapshots to the store");
        }
        match self.pid {
            Some(pid) => write!(f, "process {pid}")?,
            // Just locked and not yet written, or unreadable while locked (Windows locks reads too).
            None => f.write_str("a process whose pid could not be read from the lock file")?,
        }
        if let Some(since) = self.since {
            write!(
                f,
                ", holding it since {}",
                since.format("%Y-%m-%d %H:%M:%S UTC")
            )?;
        }
        Ok(())
    }
}

/// A writer found an environment's lock taken and is about to wait for it: what
/// [`Store::on_lock_wait`](crate::Store::on_lock_wait) observers are told, once, before the wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockWait {
    /// The environment.
    pub env: String,
    /// Who holds the lock.
    pub holder: LockHolder,
    /// How long the writer waits at most.
    pub timeout: Duration,
    /// The lock file.
    pub path: PathBuf,
}

/// Called once when a writer has to wait for a lock.
pub(crate) type LockObserver = Arc<dyn Fn(&LockWait) + Send + Sync>;

/// How a lock is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockMode {
    /// One holder, who writes its pid and since when into the file.
    Exclusive,
    /// Any number of holders at once (snapshot writers holding the store-wide lock, which only
    /// garbage collection takes exclusively); they write nothing into the file.
    Shared,
}

/// An acquired environment lock; released when dropped.
#[derive(Debug)]
pub(crate) struct EnvLock {
    file: fs_err::File,
}

impl EnvLock {
    /// Takes the lock of the environment folder `env_dir`, waiting up to `timeout`; tells
    /// `on_wait`, once and at once, when it has to wait.
    pub(crate) fn acquire(
        env: &str,
        env_dir: &Path,
        timeout: Duration,
        on_wait: Option<&LockObserver>,
    ) -> Result<Self> {
        Self::acquire_file(
            env,
            &env_dir.join(LOCK_FILE),
            LockMode::Exclusive,
            timeout,
            on_wait,
        )
    }

    /// Takes the lock file `path` in `mode` on behalf of `env` (named in messages), waiting up to
    /// `timeout`; tells `on_wait`, once and at once, when it has to wait.
    pub(crate) fn acquire_file(
        env: &str,
        path: &Path,
        mode: LockMode,
        timeout: Duration,
        on_wait: Option<&LockObserver>,
    ) -> Result<Self> {
        let path = path.to_owned();
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
        let mut told = false;
        loop {
            let locked = match mode {
                LockMode::Exclusive => FileExt::try_lock_exclusive(file.file()),
                LockMode::Shared => FileExt::try_lock_shared(file.file()),
            }
            .map_err(|source| StoreError::Lock {
                path: path.clone(),
                source,
            })?;
            if locked {
                break;
            }
            let waited = started.elapsed();
            if waited >= timeout && is_store_lock(&path) {
                return Err(StoreError::StoreLocked {
                    holder: holder_for(mode, &path),
                    timeout,
                    path,
                });
            }
            if waited >= timeout {
                return Err(StoreError::Locked {
                    env: env.to_owned(),
                    holder: holder_for(mode, &path),
                    timeout,
                    waited,
                    path,
                });
            }
            if !told {
                told = true;
                if let Some(on_wait) = on_wait {
                    on_wait(&LockWait {
                        env: env.to_owned(),
                        holder: holder_for(mode, &path),
                        timeout,
                        path: path.clone(),
                    });
                }
            }
            std::thread::sleep(pause.min(timeout.saturating_sub(waited)));
            pause = (pause * 2).min(Duration::from_millis(100));
        }
        if mode == LockMode::Exclusive {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            let since = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
            write!(file, "{}\n{since}\n", std::process::id())?;
        }
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

/// Whom a locker in `mode` waits for: an exclusive locker of the store-wide lock waits for the
/// snapshot writers sharing it (or for another exclusive holder, which it cannot tell apart); a
/// shared or environment locker waits for the holder its lock file names.
fn holder_for(mode: LockMode, path: &Path) -> LockHolder {
    if mode == LockMode::Exclusive && is_store_lock(path) {
        return LockHolder {
            writers: true,
            ..LockHolder::default()
        };
    }
    read_holder(path)
}

fn is_store_lock(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name == STORE_LOCK_FILE)
}

/// The holder as the lock file says: its pid on the first line, the time it took the lock on the
/// second (lock files of older versions have only the pid).
fn read_holder(path: &Path) -> LockHolder {
    let mut text = String::new();
    if fs_err::File::open(path)
        .and_then(|mut file| file.read_to_string(&mut text))
        .is_err()
    {
        return LockHolder::default();
    }
    let mut lines = text.lines().map(str::trim);
    LockHolder {
        pid: lines.next().and_then(|line| line.parse().ok()),
        since: lines
            .next()
            .and_then(|line| DateTime::parse_from_rfc3339(line).ok())
            .map(|time| time.with_timezone(&Utc)),
        writers: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::SubsecRound;

    #[test]
    fn second_locker_times_out_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let before = Utc::now().trunc_subsecs(0);
        let held = EnvLock::acquire("staging", dir.path(), Duration::from_secs(1), None).unwrap();
        let waits = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = Arc::clone(&waits);
        let observer: LockObserver = Arc::new(move |wait: &LockWait| {
            seen.lock().unwrap().push(wait.clone());
        });
        let err = EnvLock::acquire(
            "staging",
            dir.path(),
            Duration::from_millis(50),
            Some(&observer),
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, StoreError::Locked { .. }), "{message}");
        assert!(
            message.contains(&format!("process {}", std::process::id())),
            "{message}"
        );
        assert!(message.contains("holding it since 20"), "{message}");
        assert!(message.contains("'staging'"), "{message}");
        assert!(message.contains("gave up after 50ms;"), "{message}");
        let told = waits.lock().unwrap().clone();
        assert_eq!(told.len(), 1, "told once, before waiting");
        assert_eq!(told[0].env, "staging");
        assert_eq!(told[0].path, dir.path().join(LOCK_FILE));
        assert_eq!(told[0].holder.pid, Some(std::process::id()));
        let StoreError::Locked {
            holder,
            timeout,
            waited,
            ..
        } = err
        else {
            unreachable!()
        };
        assert_eq!(timeout, Duration::from_millis(50));
        assert!(
            waited >= timeout,
            "gave up after {waited:?}, before the timeout"
        );
        assert_eq!(holder.pid, Some(std::process::id()));
        assert!(holder.since.is_some_and(|since| since >= before));
        assert_eq!(held.path(), dir.path().join(LOCK_FILE));
        drop(held);
        EnvLock::acquire("staging", dir.path(), Duration::from_millis(50), None).unwrap();
    }

    #[test]
    fn writers_share_the_store_lock_and_garbage_collection_waits_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STORE_LOCK_FILE);
        let short = Duration::from_millis(50);
        let shared = |env| EnvLock::acquire_file(env, &path, LockMode::Shared, short, None);
        let exclusive = || EnvLock::acquire_file("*", &path, LockMode::Exclusive, short, None);
        let a = shared("staging").unwrap();
        let b = shared("production").unwrap();
        let err = exclusive().unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the store is locked by processes writing snapshots to the store; gave up after \
                 50ms; lock file: {}",
                path.display()
            )
        );
        drop((a, b));
        let gc = exclusive().unwrap();
        let err = shared("staging").unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("process {}", std::process::id())),
            "a writer waiting for garbage collection names its process: {err}"
        );
        drop(gc);
        shared("staging").unwrap();
    }

    #[test]
    fn a_waiting_locker_says_so_at_once_then_gets_the_lock_when_it_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let held = EnvLock::acquire("e", dir.path(), Duration::from_secs(1), None).unwrap();
        let path = dir.path().to_owned();
        let (told, waits) = std::sync::mpsc::channel();
        let observer: LockObserver = Arc::new(move |wait: &LockWait| {
            told.send(wait.clone()).unwrap();
        });
        let waiter = std::thread::spawn(move || {
            EnvLock::acquire("e", &path, Duration::from_secs(10), Some(&observer)).map(|_| ())
        });
        // Told while the lock is still held, long before the 10 s timeout.
        let wait = waits.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(wait.holder.pid, Some(std::process::id()));
        assert_eq!(wait.timeout, Duration::from_secs(10));
        assert_eq!(wait.path, dir.path().join(LOCK_FILE));
        std::thread::sleep(Duration::from_millis(100));
        assert!(!waiter.is_finished(), "the waiter got past a held lock");
        let released = Utc::now().trunc_subsecs(0);
        drop(held);
        waiter.join().unwrap().unwrap();
        // The waiter took the lock after the release and wrote itself into the lock file.
        let holder = read_holder(&dir.path().join(LOCK_FILE));
        assert_eq!(holder.pid, Some(std::process::id()));
        assert!(holder.since.is_some_and(|since| since >= released));
    }

    #[test]
    fn lock_files_of_older_versions_and_garbage_name_what_they_can() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        std::fs::write(&path, "4242\n").unwrap();
        let holder = read_holder(&path);
        assert_eq!((holder.pid, holder.since), (Some(4242), None));
        std::fs::write(&path, "not a pid\nnot a time\n").unwrap();
        let holder = read_holder(&path);
        assert_eq!((holder.pid, holder.since), (None, None));
        let missing = read_holder(&dir.path().join("missing"));
        assert_eq!((missing.pid, missing.since), (None, None));
    }
}
