//! Hostile exports: the binary keeps to its limits, measured from outside. Each run is a child
//! process under an address-space limit (`ulimit -v`), so an export that made socdrift allocate
//! more than the limit would end it with an allocation failure instead of a clean exit 2.

use std::io::Write;
use std::path::Path;

use crate::support::{Env, Run};

/// The address space a run may use: ample for socdrift itself (binary, threads, a normal
/// export), far below what the hostile inputs took before they were bounded (6.4 GB for the
/// ZIP, 1.5 GB for the plain JSON).
const ADDRESS_SPACE_KIB: u64 = 1024 * 1024;

/// Runs `socdrift ARGS` in `env`'s folder as a child under the address-space limit.
fn run_limited(env: &Env, args: &[&str]) -> Run {
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_socdrift"))
        .args(args)
        .current_dir(env.path())
        .env_clear()
        .env("NO_COLOR", "1")
        // One malloc arena per thread would reserve address space it never uses.
        .env("MALLOC_ARENA_MAX", "2")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A ZIP of `members` members of `size` zero bytes each, as small as deflate makes it: the
/// first member is compressed once and copied raw under the other names.
fn zip_bomb(path: &Path, members: usize, size: usize) {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9));
    let mut one = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    one.start_file("m00.json", options).unwrap();
    let chunk = vec![0u8; 1024 * 1024];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        one.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    let one = one.finish().unwrap().into_inner();
    let mut source = zip::ZipArchive::new(std::io::Cursor::new(one)).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..members {
        let member = source.by_index_raw(0).unwrap();
        out.raw_copy_file_rename(member, format!("m{i:02}.json"))
            .unwrap();
    }
    out.finish().unwrap();
}

#[test]
fn a_zip_bomb_is_refused_by_its_ratio_within_the_memory_bound() {
    let env = Env::new();
    let bomb = env.path().join("bomb.zip");
    zip_bomb(&bomb, 12, 250 * 1024 * 1024);
    let compressed = std::fs::metadata(&bomb).unwrap().len();
    assert!(compressed < 4 * 1024 * 1024, "{compressed} bytes");
    for args in [
        &["normalize", "bomb.zip"][..],
        &["diff", "bomb.zip", "bomb.zip"],
    ] {
        let run = run_limited(&env, args);
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains("bomb.zip!m00.json"), "{run}");
        assert!(
            run.stderr.contains("limits.max_compression_ratio = 100"),
            "{run}"
        );
        assert!(!run.stderr.contains("memory allocation"), "{run}");
    }
}

#[test]
fn a_zip_over_the_unpack_budget_is_refused_naming_the_member_and_the_limit() {
    let env = Env::new();
    // Members that each pass the ratio limit (text that compresses about fourfold) but
    // together unpack to more than the configured budget.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let text: Vec<u8> = (0..3 * 1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            b"0123456789abcdef"[(state >> 60) as usize]
        })
        .collect();
    let mut out = zip::ZipWriter::new(std::fs::File::create(env.path().join("big.zip")).unwrap());
    for i in 0..4 {
        out.start_file(
            format!("w{i}.json"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        out.write_all(&text).unwrap();
    }
    out.finish().unwrap();
    env.write("socdrift.toml", "[limits]\nmax_unpacked_size = \"8MiB\"\n");
    let run = run_limited(&env, &["normalize", "big.zip"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("big.zip!w2.json: unpacks to"), "{run}");
    assert!(
        run.stderr.contains("limits.max_unpacked_size = 8.0 MiB"),
        "{run}"
    );
}

#[test]
fn a_huge_plain_json_export_is_refused_before_it_is_read() {
    let env = Env::new();
    let path = env.path().join("huge.json");
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(br#"{"name": "huge", "pad": ""#).unwrap();
    // Sparse: 500 MiB on paper, nothing on disk.
    file.set_len(500 * 1024 * 1024).unwrap();
    drop(file);
    let run = run_limited(&env, &["normalize", "huge.json"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains(
            "huge.json: is 500.0 MiB or more, over the 64.0 MiB an export may be (limits.max_export_size = 64.0 MiB"
        ),
        "{run}"
    );
    // Raised in the config, the same file is read, and found not to be JSON. (Not through
    // `normalize`: as a git textconv it prints a file that is not JSON unchanged.)
    env.write("socdrift.toml", "[limits]\nmax_export_size = \"600MiB\"\n");
    let run = env.run(&["verify", "huge.json"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stdout.contains("huge.json: invalid JSON"), "{run}");
}

#[test]
fn dense_json_is_refused_by_its_value_count_within_the_memory_bound() {
    let env = Env::new();
    // 60 MB of `[0,0,...]`: 30 million values, about 1 GB as a parsed tree.
    let mut text = Vec::with_capacity(60_000_002);
    text.push(b'[');
    for _ in 0..30_000_000 {
        text.extend_from_slice(b"0,");
    }
    text.pop();
    text.push(b']');
    std::fs::write(env.path().join("dense.json"), &text).unwrap();
    let run = run_limited(&env, &["normalize", "dense.json"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("limits.max_json_values"), "{run}");
    assert!(!run.stderr.contains("memory allocation"), "{run}");
}

/// A genuine export of many workflows, well within the limits, still works under the same
/// address-space limit.
#[test]
fn a_large_genuine_export_fits_the_memory_bound() {
    let env = Env::new();
    let (workspace, _) = soc_sim::generate::generate(&soc_sim::generate::GenerateOptions {
        workflows: 300,
        nodes_per_workflow: 30,
        seed: 3,
        drift_rate: 0.0,
    });
    let workflows: Vec<&soc_sim::Workflow> = workspace.workflows.iter().collect();
    let bytes = soc_sim::export::export_json(&workflows).unwrap();
    assert!(bytes.len() > 8 * 1024 * 1024, "{} bytes", bytes.len());
    std::fs::write(env.path().join("all.json"), &bytes).unwrap();
    let run = run_limited(&env, &["diff", "all.json", "all.json", "--stat"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("300 unchanged"), "{run}");
}
