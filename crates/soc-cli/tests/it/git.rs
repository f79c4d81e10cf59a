//! The store in git, with real git: readable history, and two CI runners sharing one store
//! through a bare repository on loopback (file://).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::live::Live;
use crate::support::{Env, Run};

/// Runs git in `dir` with a clean environment (no user or system configuration); panics on
/// failure.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir, args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn git_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("git");
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1");
    for (name, value) in IDENTITY {
        command.env(name, value);
    }
    command
}

const IDENTITY: [(&str, &str); 4] = [
    ("GIT_AUTHOR_NAME", "socdrift test"),
    ("GIT_AUTHOR_EMAIL", "test@socdrift.invalid"),
    ("GIT_COMMITTER_NAME", "socdrift test"),
    ("GIT_COMMITTER_EMAIL", "test@socdrift.invalid"),
];

/// Lets socdrift's own git calls in `env` find an identity (as CI recipes set it).
fn with_identity(env: &mut Env) {
    let home = env.path().to_string_lossy().into_owned();
    env.var("HOME", &home).var("GIT_CONFIG_NOSYSTEM", "1");
    for (name, value) in IDENTITY {
        env.var(name, value);
    }
}

/// Points `staging` of the config in `env` at another workspace of the emulator.
fn point_staging_at(env: &Env, workspace: &str) {
    let path = env.path().join("socdrift.toml");
    let toml = std::fs::read_to_string(&path).unwrap();
    let start = toml.find("[env.staging]").unwrap();
    let line = toml[start..].find("workspace = ").unwrap() + start;
    let end = toml[line..].find('\n').unwrap() + line;
    let toml = format!(
        "{}workspace = \"{workspace}\"{}",
        &toml[..line],
        &toml[end..]
    );
    std::fs::write(&path, toml).unwrap();
}

/// The files a `git diff --stat` lists.
fn stat_files(stat: &str) -> BTreeSet<String> {
    stat.lines()
        .filter_map(|line| line.split_once('|').map(|(file, _)| file.trim().to_owned()))
        .collect()
}

fn ok(run: &Run) {
    assert_eq!(run.code, 0, "{run}");
}

/// The view files a `diff -o json` report says changed (both names of a renamed document), and
/// how many of each kind.
fn view_files_changed(
    report: &serde_json::Value,
) -> (
    BTreeSet<String>,
    std::collections::BTreeMap<&'static str, usize>,
) {
    let mut expected = BTreeSet::new();
    let mut changed = std::collections::BTreeMap::new();
    for kind in ["workflows", "playbooks"] {
        let count: &mut usize = changed.entry(kind).or_default();
        let folder = kind;
        let view = |name: &serde_json::Value| {
            format!(
                ".socdrift/store-v2/view/staging/{folder}/{}.json",
                soc_store::slug(name.as_str().unwrap())
            )
        };
        for document in report["pairs"][0][kind].as_array().unwrap() {
            match document["status"].as_str().unwrap() {
                "unchanged" => {}
                "renamed" => {
                    expected.insert(view(&document["previous_name"]));
                    expected.insert(view(&document["name"]));
                    *count += 2;
                }
                _ => {
                    expected.insert(view(&document["name"]));
                    *count += 1;
                }
            }
        }
    }
    (expected, changed)
}

/// The last commit changed `view_files`, one snapshot manifest and one pack (binary to git), and
/// nothing else.
fn assert_commit_adds_a_manifest_and_a_pack_beside(dir: &Path, view_files: &BTreeSet<String>) {
    let stat = git(
        dir,
        &["diff", "--stat=200", "--no-renames", "HEAD~1", "HEAD"],
    );
    let others: Vec<String> = stat_files(&stat).difference(view_files).cloned().collect();
    assert_eq!(others.len(), 2, "{stat}");
    assert!(
        others
            .iter()
            .any(|f| f.starts_with(".socdrift/store-v2/snapshots/staging/")
                && f.ends_with(".json.zst")),
        "{stat}"
    );
    assert!(
        others
            .iter()
            .any(|f| f.starts_with(".socdrift/store-v2/packs/") && f.ends_with(".pack")),
        "{stat}"
    );
    assert!(
        stat.contains("Bin "),
        "packs and manifests are binary to git: {stat}"
    );
}

#[test]
fn git_diff_between_two_snapshot_commits_lists_only_the_changed_workflows() {
    let mut live = Live::start();
    with_identity(&mut live.env);
    let dir = live.env.path().to_owned();
    git(&dir, &["init", "--quiet", "--initial-branch", "main"]);

    let run = live.env.run(&["snapshot", "--env", "staging", "--commit"]);
    ok(&run);
    assert!(run.stderr.contains("committed the store: staging"), "{run}");
    // Staging now serves what production holds: some workflows changed, one was added, one
    // removed, one renamed, one only moved on the canvas.
    point_staging_at(&live.env, "soc-production");
    ok(&live.env.run(&["snapshot", "--env", "staging", "--commit"]));
    let log = git(&dir, &["log", "--format=%s"]);
    assert_eq!(log.lines().count(), 2, "{log}");

    // What changed between the two snapshots, as socdrift sees it.
    let run = live
        .env
        .run(&["diff", "staging@~1", "staging", "-o", "json"]);
    assert_eq!(run.code, 1, "{run}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let (expected, changed) = view_files_changed(&report);
    assert_eq!(
        changed["workflows"], 6,
        "2 modified, 1 added, 1 removed, 1 renamed workflow: {run}"
    );
    assert!(
        changed["playbooks"] > 0,
        "production's playbooks differ too: {run}"
    );

    // The view: exactly the changed workflows and playbooks.
    let stat = git(
        &dir,
        &[
            "diff",
            "--stat=200",
            "--no-renames",
            "HEAD~1",
            "HEAD",
            "--",
            ".socdrift/store-v2/view",
        ],
    );
    assert_eq!(stat_files(&stat), expected, "{stat}");
    // The whole commit: those, plus the new snapshot's manifest and pack.
    assert_commit_adds_a_manifest_and_a_pack_beside(&dir, &expected);
    // `git log -p` shows the normalized lines that changed.
    let patch = git(&dir, &["log", "-p", "-1", "--", ".socdrift/store-v2/view"]);
    assert!(
        patch.contains("-                          \"duration\": 86400,"),
        "{patch}"
    );
    assert!(
        patch.contains("+                          \"duration\": 3600,"),
        "{patch}"
    );
    // Nothing private was committed, nothing is left to commit.
    let tracked = git(&dir, &["ls-files"]);
    assert!(tracked.lines().all(|f| !f.contains("raw-v2")), "{tracked}");
    assert!(tracked.lines().all(|f| !f.ends_with(".lock")), "{tracked}");
    let status = git(&dir, &["status", "--porcelain", "--", ".socdrift/store-v2"]);
    assert_eq!(status, "", "the store is committed whole");

    // An unchanged snapshot with --skip-unchanged has nothing to commit.
    let run = live.env.run(&[
        "snapshot",
        "--env",
        "staging",
        "--skip-unchanged",
        "--commit",
    ]);
    ok(&run);
    assert!(run.stderr.contains("nothing to commit"), "{run}");
}

/// A bare repository (the shared remote) and a first commit holding the config.
fn shared_remote(live: &Live) -> (tempfile::TempDir, String) {
    let remote = tempfile::tempdir().unwrap();
    git(
        remote.path(),
        &["init", "--quiet", "--bare", "--initial-branch", "main"],
    );
    let url = format!("file://{}", remote.path().display());
    let seed = live.env.path();
    git(seed, &["init", "--quiet", "--initial-branch", "main"]);
    git(seed, &["add", "socdrift.toml"]);
    git(seed, &["commit", "--quiet", "-m", "socdrift.toml"]);
    git(seed, &["remote", "add", "origin", &url]);
    git(
        seed,
        &["push", "--quiet", "--set-upstream", "origin", "main"],
    );
    (remote, url)
}

/// A CI runner: a fresh clone of the shared repository with the emulator's credentials.
fn runner(url: &str) -> Env {
    let mut env = Env::new();
    git(env.path(), &["clone", "--quiet", url, "."]);
    env.var("HUAWEICLOUD_SDK_AK", soc_sim::DEFAULT_ACCESS_KEY)
        .var("HUAWEICLOUD_SDK_SK", soc_sim::DEFAULT_SECRET_KEY);
    with_identity(&mut env);
    env
}

#[test]
fn two_runners_share_one_store_and_no_snapshot_is_lost() {
    let mut live = Live::start();
    with_identity(&mut live.env);
    let (_remote, url) = shared_remote(&live);
    // Runner B clones before runner A pushes: its first push will be refused.
    let b = runner(&url);

    // Runner A snapshots, commits and pushes.
    let run = live.env.run(&["snapshot", "--env", "staging", "--push"]);
    ok(&run);
    assert!(run.stderr.contains("pushed to origin/main"), "{run}");

    // Another runner fetches and compares the live workspace with A's snapshot.
    let checker = runner(&url);
    let run = checker.run(&["check", "staging@latest", "staging@live", "--stat"]);
    assert_eq!(run.code, 0, "no drift against the shared snapshot: {run}");

    // Runner B snapshots the same environment, with other content (so the two views conflict),
    // behind the remote: it rebases onto A's commit, rewrites the view and pushes.
    point_staging_at(&b, "soc-production");
    let run = b.run(&["snapshot", "--env", "staging", "--push"]);
    ok(&run);
    assert!(
        run.stderr
            .contains("after rebasing onto snapshots pushed meanwhile"),
        "{run}"
    );

    // Both snapshots are in the shared store, whole, and the view shows the newer one.
    let c = runner(&url);
    let run = c.run(&["log", "staging", "-o", "json"]);
    ok(&run);
    let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(log["snapshots"].as_array().unwrap().len(), 2, "{run}");
    let run = c.run(&["verify"]);
    ok(&run);
    assert!(
        !run.stdout.contains("view"),
        "the view matches the latest snapshot: {run}"
    );
    let run = c.run(&["diff", "staging@~1", "staging", "--stat"]);
    assert_eq!(run.code, 1, "A's and B's snapshots differ: {run}");
    ok(&c.run(&["view"]));
    assert_eq!(
        git(c.path(), &["status", "--porcelain"]),
        "",
        "nothing to rewrite"
    );
    let history = git(c.path(), &["log", "--format=%s"]);
    assert!(
        history
            .lines()
            .filter(|l| l.starts_with("socdrift snapshot: staging"))
            .count()
            == 2,
        "{history}"
    );
}

#[test]
fn runners_pushing_at_the_same_moment_both_land() {
    let mut live = Live::start();
    with_identity(&mut live.env);
    let (_remote, url) = shared_remote(&live);
    // Each runner normalizes under its own rules, so every snapshot is distinct, even two taken
    // in the same second.
    let runners: Vec<Env> = ["/description", "/versions/*/status", "/aop_type"]
        .iter()
        .map(|ignored| {
            let env = runner(&url);
            let path = env.path().join("socdrift.toml");
            let toml = std::fs::read_to_string(&path).unwrap();
            std::fs::write(
                &path,
                format!("{toml}\n[normalize]\nignore = [\"{ignored}\"]\n"),
            )
            .unwrap();
            env
        })
        .collect();
    let mut rebased = 0;
    for round in 0..2 {
        let children: Vec<_> = runners
            .iter()
            .map(|env| {
                env.command(&["snapshot", "--env", "production", "--push"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "round {round}: {stderr}");
            rebased += usize::from(stderr.contains("after rebasing onto snapshots"));
        }
    }
    assert!(
        rebased >= 2,
        "the runners raced: {rebased} pushes had to rebase"
    );
    let check = runner(&url);
    let run = check.run(&["log", "production", "-o", "json"]);
    ok(&run);
    let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        log["snapshots"].as_array().unwrap().len(),
        6,
        "three runners, two rounds, none lost: {run}"
    );
    ok(&check.run(&["verify"]));
}

#[test]
fn commit_outside_a_repository_says_what_to_do() {
    let live = Live::start();
    let run = live.env.run(&["snapshot", "--env", "staging", "--commit"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("rev-parse"), "{run}");
    assert!(
        run.stderr
            .contains("hint: --commit and --push need the store inside a git work tree"),
        "{run}"
    );
    // Nothing was exported: the check comes first.
    assert!(live.sim.log().entries().is_empty(), "{run}");
}
