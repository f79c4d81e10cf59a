//! Killing a writer (SIGKILL) at random moments never leaves a partial snapshot visible.
//!
//! The writer is this very test binary, re-executed with `SOC_STORE_CRASH_ROOT` set to run the
//! ignored `crash_writer_child` test, which writes (and sometimes prunes) snapshots in a loop
//! until it is killed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use soc_diff::Profile;
use soc_store::{LAYOUT_DIR, Store};

use crate::common::{files_under, small_input, source};

const ENV_VAR: &str = "SOC_STORE_CRASH_ROOT";
const ENV: &str = "crashy";
const WORKFLOWS: usize = 12;

#[test]
#[ignore = "helper process of crash::killed_writers_never_leave_partial_snapshots"]
fn crash_writer_child() {
    let Ok(root) = std::env::var(ENV_VAR) else {
        panic!("run by the crash test only");
    };
    let store = Store::open(root)
        .unwrap()
        .with_lock_timeout(Duration::from_secs(30));
    let profile = Profile::default();
    for round in 0u64.. {
        let writer = store
            .begin(ENV, source(), &profile, Duration::from_secs(30))
            .unwrap();
        for i in 0..WORKFLOWS {
            writer
                .add(small_input(
                    &format!("Workflow {i}"),
                    &i.to_string(),
                    &format!("{}-{round}", std::process::id()),
                ))
                .unwrap();
        }
        writer.commit(round % 3 == 0).unwrap();
        if round % 2 == 1 {
            store.prune(ENV, 5, None).unwrap();
        }
    }
}

/// A small deterministic generator for kill delays (reproducible runs, no extra dependency).
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn killed_writers_never_leave_partial_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let store = Store::open(&root).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let started = Instant::now();
    let mut kills = 0;
    let mut saw_leftover = false;
    while kills < 40 && started.elapsed() < Duration::from_secs(10) {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash::crash_writer_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ENV_VAR, &root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(20 + next(&mut rng) % 400));
        assert!(
            child.try_wait().unwrap().is_none(),
            "the writer must still be running when killed"
        );
        child.kill().unwrap(); // SIGKILL on Unix: no destructor, no cleanup.
        child.wait().unwrap();
        kills += 1;

        let report = store.verify(None);
        assert!(report.is_ok(), "after kill {kills}:\n{report}");
        saw_leftover |= !report.leftovers.is_empty();
        for summary in store.list(ENV).unwrap() {
            let snapshot = store.open_snapshot(&summary).unwrap();
            assert_eq!(
                snapshot.manifest().workflows.len(),
                WORKFLOWS,
                "{}",
                summary.id
            );
            assert_eq!(snapshot.load_all().unwrap().len(), WORKFLOWS);
            // Raw exports reach their packs, synced, before any manifest lists them.
            for record in &snapshot.manifest().workflows {
                assert!(
                    snapshot.raw_export(record).unwrap().is_some(),
                    "{} {}",
                    summary.id,
                    record.name
                );
            }
        }
    }
    let snapshots = store.list(ENV).unwrap().len();
    eprintln!("{kills} kills, {snapshots} snapshots visible, leftovers seen: {saw_leftover}");
    assert!(kills >= 10, "too few rounds to mean anything ({kills})");
    assert!(
        snapshots > 0,
        "no writer ever finished a snapshot; the kill delays are too short"
    );

    // The next writer gets the lock at once and removes what the killed ones left.
    let writer = store
        .begin(ENV, source(), &Profile::default(), Duration::from_secs(1))
        .unwrap();
    writer.add(small_input("after", "1", "x")).unwrap();
    writer.commit(false).unwrap();
    for folder in [
        root.join(LAYOUT_DIR).join("snapshots").join(ENV),
        root.join(LAYOUT_DIR).join("view").join(ENV),
        root.join(LAYOUT_DIR).join(soc_store::PACKS_DIR),
        root.join(soc_store::RAW_DIR).join(soc_store::PACKS_DIR),
    ] {
        let files = files_under(&folder);
        assert!(
            files
                .iter()
                .all(|f| !f.rsplit('/').next().unwrap().starts_with(".tmp-")),
            "{}: {files:?}",
            folder.display()
        );
    }
    let report = store.verify(None);
    assert!(report.is_ok(), "{report}");
    assert!(
        !report.to_string().contains("view of"),
        "the next writer finishes an interrupted view update: {report}"
    );
}
