//! Two writers on one environment: one at a time, nothing lost, nothing mixed.

use std::time::Duration;

use soc_normalize::Profile;
use soc_store::{Selector, Store, StoreError};

use crate::common::{LOCK_TIMEOUT, small_input, source};

const PER_WRITER: usize = 5;
const WORKFLOWS: usize = 8;

#[test]
fn two_writers_take_turns_and_every_snapshot_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let writers: Vec<_> = ["left", "right"]
        .into_iter()
        .map(|who| {
            let root = root.clone();
            std::thread::spawn(move || {
                let store = Store::open(&root).unwrap();
                for round in 0..PER_WRITER {
                    let writer = store
                        .begin("shared", source(), &Profile::default(), LOCK_TIMEOUT)
                        .unwrap();
                    for i in 0..WORKFLOWS {
                        let marker = format!("{who}-{round}");
                        writer
                            .add(small_input(&format!("wf {i}"), &i.to_string(), &marker))
                            .unwrap();
                        // Give the other writer every chance to interleave if the lock failed.
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    writer.commit(soc_store::IfUnchanged::Write).unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }

    let store = Store::open(&root).unwrap();
    let snapshots = store.list("shared").unwrap();
    assert_eq!(snapshots.len(), 2 * PER_WRITER);
    let mut markers = std::collections::BTreeSet::new();
    for summary in &snapshots {
        let snapshot = store
            .resolve("shared", &Selector::Id(summary.id.to_string()))
            .unwrap();
        let loaded = snapshot.load_all().unwrap();
        assert_eq!(loaded.len(), WORKFLOWS);
        let descriptions: std::collections::BTreeSet<String> = loaded
            .iter()
            .map(|n| {
                let value = n.value().expect("JSON").unwrap();
                value["description"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(
            descriptions.len(),
            1,
            "one writer per snapshot: {descriptions:?}"
        );
        markers.extend(descriptions);
    }
    assert_eq!(
        markers.len(),
        2 * PER_WRITER,
        "no snapshot lost: {markers:?}"
    );
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}

#[test]
fn a_waiting_writer_is_told_at_once_whom_it_waits_for() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let holder = store
        .begin("staging", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    let (told, waits) = std::sync::mpsc::channel();
    let other = Store::open(dir.path())
        .unwrap()
        .on_lock_wait(move |wait| told.send(wait.clone()).unwrap());
    let waiter = std::thread::spawn(move || {
        other
            .begin("staging", source(), &Profile::default(), LOCK_TIMEOUT)
            .map(|_| ())
    });
    let wait = waits.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(wait.env, "staging");
    assert_eq!(wait.holder.pid, Some(std::process::id()));
    assert!(wait.holder.since.is_some());
    assert_eq!(wait.timeout, LOCK_TIMEOUT);
    drop(holder);
    waiter.join().unwrap().unwrap();
    assert!(waits.try_recv().is_err(), "told once");
}

#[test]
fn a_second_writer_gives_up_naming_the_holder_and_readers_are_not_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    crate::common::write(&store, "staging", vec![small_input("a", "1", "x")]);
    let holder = store
        .begin("staging", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    holder.add(small_input("a", "1", "y")).unwrap();

    let other = Store::open(dir.path()).unwrap();
    let started = std::time::Instant::now();
    let err = other
        .begin(
            "staging",
            source(),
            &Profile::default(),
            Duration::from_millis(200),
        )
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&format!("process {}", std::process::id())),
        "{message}"
    );
    assert!(message.contains(".lock"), "{message}");
    // Since when, and how long it waited, for people: `gave up after 200ms`, not `200.0913ms`.
    assert!(message.contains(", holding it since 20"), "{message}");
    assert!(message.contains("gave up after 200ms;"), "{message}");

    // Other environments and readers go on.
    other
        .begin(
            "production",
            source(),
            &Profile::default(),
            Duration::from_millis(200),
        )
        .unwrap();
    assert_eq!(
        other.list("staging").unwrap().len(),
        1,
        "the unfinished snapshot is invisible"
    );
    assert!(other.verify(Some("staging")).is_ok());
    holder.commit(soc_store::IfUnchanged::Write).unwrap();
    assert_eq!(other.list("staging").unwrap().len(), 2);
}
