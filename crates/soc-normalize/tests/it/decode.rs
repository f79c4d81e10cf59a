//! Decoding bundled fixtures, soc-sim exports, hand-made bad exports and random bytes.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use soc_normalize::decode::{LoadError, load_path};
use soc_normalize::{Content, DecodeError, Profile, decode_export};

pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn decode_file(path: &Path) -> Result<Vec<soc_normalize::Document>, DecodeError> {
    let bytes = std::fs::read(path).unwrap();
    decode_export(&path.display().to_string(), &bytes, &Profile::secmaster())
}

#[test]
fn every_bundled_workflow_file_decodes_to_one_named_document() {
    let mut count = 0;
    for env in ["staging", "production"] {
        let dir = testdata().join("workspaces").join(env).join("workflows");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let docs = decode_file(&path).unwrap();
            assert_eq!(docs.len(), 1, "{}", path.display());
            let raw: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            assert_eq!(docs[0].name, raw["name"].as_str().unwrap());
            assert_eq!(docs[0].source, path.display().to_string());
            assert_eq!(docs[0].content, Content::Json(raw));
            count += 1;
        }
    }
    assert_eq!(count, 12);
}

#[test]
fn load_path_reads_a_workspace_folder_in_file_order() {
    let dir = testdata().join("workspaces/staging/workflows");
    let docs = load_path(&dir, &Profile::secmaster()).unwrap();
    let names: Vec<_> = docs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Block malicious source IP",
            "Notify on high-severity alert",
            "Isolate compromised host",
            "Close false positives",
            "Phishing triage",
            "Enrich alert with context",
        ]
    );
}

/// A path given on its own is read whatever it is: the pipe of a shell's `<(cat export.json)`
/// holds an export like the file does (it was skipped as not a regular file, and compared as an
/// empty side).
#[cfg(unix)]
#[test]
fn load_path_reads_a_pipe_given_as_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("export.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let file = testdata().join("workspaces/staging/workflows/01-block-ip.json");
    let bytes = std::fs::read(&file).unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, bytes).unwrap())
    };
    let docs = load_path(&fifo, &Profile::secmaster()).unwrap();
    let names: Vec<_> = docs.iter().map(|d| d.name.as_str()).collect();
    // Before the writer is joined: a pipe nobody opens would keep it waiting.
    assert_eq!(names, ["Block malicious source IP"]);
    writer.join().unwrap();
}

/// soc-sim's JSON batch and ZIP exports hold the same workflows as the fixture folder.
#[test]
fn sim_exports_decode_to_the_fixture_documents() {
    for workspace in soc_sim::bundled_workspaces().unwrap() {
        let workflows: Vec<_> = workspace.workflows.iter().collect();
        let dir = testdata()
            .join("workspaces")
            .join(workspace.name.replace("soc-", ""))
            .join("workflows");
        let from_files = load_path(&dir, &Profile::secmaster()).unwrap();
        let expected: Vec<_> = from_files
            .iter()
            .map(|d| (d.name.clone(), d.content.clone()))
            .collect();

        let json = soc_sim::export::export_json(&workflows).unwrap();
        let docs = decode_export("workflows.json", &json, &Profile::secmaster()).unwrap();
        assert_eq!(
            docs.iter()
                .map(|d| (d.name.clone(), d.content.clone()))
                .collect::<Vec<_>>(),
            expected
        );
        assert_eq!(docs[1].source, "workflows.json[1]");

        // ZIP members are named by workflow id, so they come out in id order.
        let zip = soc_sim::export::export_zip(&workflows).unwrap();
        let mut docs = decode_export("workflows.zip", &zip, &Profile::secmaster()).unwrap();
        assert!(
            docs.iter()
                .all(|d| d.source.starts_with("workflows.zip!") && d.source.ends_with(".json"))
        );
        docs.sort_by(|a, b| a.name.cmp(&b.name));
        let mut expected = expected.clone();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            docs.into_iter()
                .map(|d| (d.name, d.content))
                .collect::<Vec<_>>(),
            expected
        );
    }
}

#[test]
fn bad_exports_give_typed_errors_naming_the_file() {
    let bad = testdata().join("exports/bad");
    let err = |name: &str| -> DecodeError {
        let e = decode_file(&bad.join(name)).unwrap_err();
        assert!(e.to_string().contains(name), "{name}: {e}");
        e
    };
    assert!(matches!(err("truncated.zip"), DecodeError::Zip { .. }));
    let e = err("corrupt-member.zip");
    assert!(
        matches!(&e, DecodeError::ZipRead { member, .. } if member == "a.json"),
        "{e:?}"
    );
    assert!(e.to_string().contains("corrupt-member.zip!a.json"), "{e}");
    assert!(matches!(
        err("invalid-utf8.json"),
        DecodeError::Utf8 { offset: 14, .. }
    ));
    assert!(matches!(
        err("deeply-nested.json"),
        DecodeError::TooDeep { .. }
    ));
    assert!(matches!(err("truncated.json"), DecodeError::Json { .. }));
    let e = err("missing-name.json");
    assert!(
        matches!(&e, DecodeError::MissingName { file, key } if file.ends_with("missing-name.json[1]") && key == "name")
    );
    assert!(matches!(
        err("name-not-string.json"),
        DecodeError::BadName {
            found: "a number",
            ..
        }
    ));
    // Loading the whole folder stops at the first bad file (in name order) and names it.
    let e = load_path(&bad, &Profile::secmaster()).unwrap_err();
    assert!(
        matches!(&e, LoadError::Decode(DecodeError::ZipRead { .. })),
        "{e:?}"
    );
}

#[test]
fn a_bad_taskflow_still_decodes() {
    let docs = decode_file(&testdata().join("exports/bad/not-base64-taskflow.json")).unwrap();
    let n = Profile::secmaster().normalize(&docs[0]);
    assert_eq!(
        n.notes,
        ["/versions/0/taskflow: not valid base64, compared as text"]
    );
}

fn fixture_bytes() -> Vec<u8> {
    std::fs::read(testdata().join("workspaces/staging/workflows/02-notify.json")).unwrap()
}

fn fixture_zip() -> Vec<u8> {
    let workspace = soc_sim::bundled_workspace("staging").unwrap();
    let workflows: Vec<_> = workspace.workflows.iter().take(2).collect();
    soc_sim::export::export_zip(&workflows).unwrap()
}

/// Decoding must never panic, and whatever decodes must normalize without panicking.
fn decode_and_normalize(bytes: &[u8]) {
    if let Ok(docs) = decode_export("fuzz", bytes, &Profile::secmaster()) {
        for doc in &docs {
            let _ = Profile::secmaster().normalize(doc);
        }
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits {
        if bytes.is_empty() {
            break;
        }
        match *edit {
            Edit::Flip(at, mask) => {
                let at = at % bytes.len();
                bytes[at] ^= mask.max(1);
            }
            Edit::Insert(at, byte) => {
                let at = at % (bytes.len() + 1);
                bytes.insert(at, byte);
            }
            Edit::Delete(at) => {
                let at = at % bytes.len();
                bytes.remove(at);
            }
            Edit::Truncate(at) => bytes.truncate(at % bytes.len()),
        }
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Edit::Flip(a, b)),
        2 => (any::<usize>(), prop::sample::select(b"{}[]\",:\\0PK \xff".to_vec())).prop_map(|(a, b)| Edit::Insert(a, b)),
        2 => any::<usize>().prop_map(Edit::Delete),
        1 => any::<usize>().prop_map(Edit::Truncate),
    ];
    prop::collection::vec(edit, 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_and_normalize(&bytes);
    }

    #[test]
    fn json_looking_random_bytes_never_panic(
        open in prop::sample::select(vec![b'{', b'[']),
        body in prop::collection::vec(prop::sample::select(b"{}[]\",:0123456789.eE-+tfnaul \\x\xff".to_vec()), 0..256),
    ) {
        let mut bytes = vec![open];
        bytes.extend(body);
        decode_and_normalize(&bytes);
    }

    #[test]
    fn zip_looking_random_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend(body);
        decode_and_normalize(&bytes);
    }

    #[test]
    fn mutated_json_exports_never_panic(edits in edits()) {
        decode_and_normalize(&apply(fixture_bytes(), &edits));
    }

    #[test]
    fn mutated_zip_exports_never_panic(edits in edits()) {
        decode_and_normalize(&apply(fixture_zip(), &edits));
    }
}
