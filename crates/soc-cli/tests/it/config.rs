//! Hostile and broken config files: each exits 2 with a message naming file, line and fix.

use crate::assert_run;
use crate::support::Env;

const ENVS: &str = r#"
[env.staging]
region = "ap-southeast-1"
project_id = "p"
workspace = "soc-staging"

[env.production]
region = "ap-southeast-1"
project_id = "p"
workspace = "soc-production"
"#;

#[test]
fn a_secret_in_the_file_is_refused_without_showing_it() {
    let env = Env::with_fixtures();
    env.write(
        "socdrift.toml",
        &format!("{ENVS}sk = \"do-not-print-this-secret\"\n"),
    );
    let run = env.run(&["diff", "staging", "production"]);
    assert_eq!(run.code, 2);
    assert!(!run.stderr.contains("do-not-print-this-secret"));
    assert_run!(env, run);
}

#[test]
fn an_unknown_key_is_named_with_a_suggestion() {
    let env = Env::with_fixtures();
    env.write(
        "socdrift.toml",
        "[env.staging]\nregoin = \"ap-southeast-1\"\nworkspace_id = \"w\"\n",
    );
    let run = env.run(&["diff", "staging", "staging"]);
    assert_eq!(run.code, 2);
    assert_run!(env, run);
}

#[test]
fn a_missing_environment_suggests_the_nearest() {
    let env = Env::with_fixtures();
    env.write("socdrift.toml", ENVS);
    let run = env.run(&["diff", "stagng@live", "production"]);
    assert_eq!(run.code, 2);
    assert_run!(env, run);
}

#[test]
fn a_bad_selector_is_named() {
    let env = Env::with_fixtures();
    env.write("socdrift.toml", ENVS);
    let run = env.run(&["diff", "staging@latets", "production"]);
    assert_eq!(run.code, 2);
    assert_run!(env, run);
    let run = env.run(&["diff", "staging@~x", "production"]);
    assert_eq!(run.code, 2);
    assert_run!(env, "bad_selector_tilde", run);
}

#[test]
fn an_explicit_config_that_does_not_exist() {
    let env = Env::with_fixtures();
    let run = env.run(&["--config", "nope.toml", "diff", "a", "b"]);
    assert_eq!(run.code, 2);
    assert_run!(env, run);
}

#[test]
fn bad_normalize_rules() {
    let env = Env::with_fixtures();
    env.write(
        "socdrift.toml",
        "[normalize]\nignore = [\"versions/*/status\"]\n",
    );
    let run = env.run(&[
        "diff",
        "workspaces/staging/workflows",
        "workspaces/staging/workflows",
    ]);
    assert_eq!(run.code, 2);
    assert_run!(env, run);
}

#[test]
fn the_config_is_found_in_a_parent_folder() {
    let env = Env::with_fixtures();
    env.write("socdrift.toml", "[normalize]\nignroe = []\n");
    std::fs::create_dir_all(env.path().join("sub/dir")).unwrap();
    let mut cmd = env.command(&[
        "diff",
        "../../workspaces/staging/workflows",
        "../../workspaces/staging/workflows",
    ]);
    let out = cmd
        .current_dir(env.path().join("sub/dir"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("socdrift.toml:2: unknown key `ignroe` in [normalize]"),
        "{stderr}"
    );
}
