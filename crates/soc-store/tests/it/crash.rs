//! Killing a writer (SIGKILL) at any step of its work never leaves a partial snapshot visible.
//!
//! The writer is this very test binary, re-executed with `SOC_STORE_CRASH_ROOT` set to run the
//! ignored `crash_writer_child` test, which writes (and sometimes prunes) snapshots in a loop
//! until it is killed. It prints a `step` line after each step (begin, each workflow added,
//! commit, prune); the test kills it right after a chosen step, so which steps are interrupted
//! does not depend on how fast the machine is.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use soc_normalize::Profile;
use soc_store::{LAYOUT_DIR, Store};

use crate::common::{files_under, small_input, source};

const ENV_VAR: &str = "SOC_STORE_CRASH_ROOT";
const ENV: &str = "crashy";
const WORKFLOWS: usize = 12;
/// How many writers are killed.
const KILLS: usize = 32;
/// The steps the writer reports, in the order of a round (`prune` in odd rounds only).
const STEPS: [&str; 4] = ["begin", "add", "commit", "prune"];

/// The number (from 1) of the step the writer reports as `name` in `round` (the `add`-th add).
fn step_number(round: u64, name: &str, add: u64) -> u64 {
    let round_len = |r: u64| WORKFLOWS as u64 + 2 + r % 2;
    let start: u64 = (0..round).map(round_len).sum();
    start
        + match name {
            "begin" => 1,
            "add" => 1 + add,
            "commit" => WORKFLOWS as u64 + 2,
            _ => WORKFLOWS as u64 + 3,
        }
}

/// Tells the test which step the writer has just finished.
fn step(name: &str) {
    let mut out = std::io::stdout();
    writeln!(out, "step {name}").unwrap();
    out.flush().unwrap();
}

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
        step("begin");
        for i in 0..WORKFLOWS {
            writer
                .add(small_input(
                    &format!("Workflow {i}"),
                    &i.to_string(),
                    &format!("{}-{round}", std::process::id()),
                ))
                .unwrap();
            step("add");
        }
        // Every third round asks to skip an unchanged snapshot.
        let if_unchanged = if round % 3 == 0 {
            soc_store::IfUnchanged::Skip
        } else {
            soc_store::IfUnchanged::Write
        };
        writer.commit(if_unchanged).unwrap();
        step("commit");
        if round % 2 == 1 {
            store.prune(ENV, 5, None).unwrap();
            step("prune");
        }
    }
}

/// A small deterministic generator for the steps to kill at (reproducible runs, no extra
/// dependency).
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

// Long on purpose: one story, kill and look at what is visible, again and again, then let the
// next writer clean up after the dead ones.
#[test]
fn killed_writers_never_leave_partial_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let store = Store::open(&root).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut kills = 0;
    let mut saw_leftover = false;
    while kills < KILLS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash::crash_writer_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ENV_VAR, &root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Every kind of step in turn, in one of the first four rounds (so some writers finish
        // snapshots before they die, and some find leftovers of others), after a random add.
        let name = STEPS[kills % STEPS.len()];
        let round = match name {
            "prune" => 1 + 2 * (next(&mut rng) % 2),
            _ => next(&mut rng) % 4,
        };
        let kill_after = step_number(round, name, 1 + next(&mut rng) % WORKFLOWS as u64);
        let mut steps = BufReader::new(child.stdout.take().unwrap())
            .lines()
            .map(Result::unwrap)
            // The test harness writes `test NAME ... ` before the first line on the same line.
            .filter_map(|line| Some(line.get(line.find("step ")? + 5..)?.to_owned()));
        let last = steps
            .nth(usize::try_from(kill_after - 1).unwrap())
            .unwrap_or_else(|| panic!("the writer stopped before step {kill_after}"));
        assert_eq!(last, name, "step {kill_after} of the writer");
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
    assert!(snapshots > 0, "no writer ever finished a snapshot");

    // The next writer gets the lock at once and removes what the killed ones left.
    let writer = store
        .begin(ENV, source(), &Profile::default(), Duration::from_secs(1))
        .unwrap();
    writer.add(small_input("after", "1", "x")).unwrap();
    writer.commit(soc_store::IfUnchanged::Write).unwrap();
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
