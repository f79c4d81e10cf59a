//! Sharing the store through git: commit what a snapshot changed in the store's committed part,
//! and push it, retrying when another runner pushed first.
//!
//! Everything goes through the `git` program (the user's own, with their credentials and
//! configuration); nothing outside the store's committed folder is staged or committed. When a
//! push is rejected because the branch moved on, the new commits are fetched and ours is rebased
//! on them. Manifests and packs have names of their own (ids and content hashes), so they never
//! conflict; the view can (two runners snapshotting one environment), and is then rewritten from
//! the merged store's latest snapshots, which is what it must show anyway.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::error::CliError;

/// How many times a push is tried before giving up.
pub const PUSH_ATTEMPTS: u32 = 5;

/// The git repository that holds a store.
#[derive(Debug)]
pub struct Repo {
    /// The work tree's top folder.
    root: PathBuf,
    /// The store's committed folder (`…/store-v2`), relative to `root`.
    committed: PathBuf,
}

/// Where to push: a remote and a branch on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub remote: String,
    pub branch: String,
}

/// What `push` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// Attempts made (1 when nobody pushed in between).
    pub attempts: u32,
    /// Commits of other runners that ours was rebased onto.
    pub rebased: bool,
}

impl Repo {
    /// The repository whose work tree holds `committed` (the store's `store-v2` folder).
    pub fn find(committed: &Path) -> Result<Repo, CliError> {
        let out = git_in(committed, &["rev-parse", "--show-toplevel"]).map_err(|err| {
            err.with_hint(
                "--commit and --push need the store inside a git work tree: run `git init` (or \
                 clone the repository that holds it) first",
            )
        })?;
        let root = PathBuf::from(stdout_line(&out));
        // Both sides canonical, so a symlinked temporary folder still strips cleanly.
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let committed = canonical(committed)
            .strip_prefix(canonical(&root))
            .map(Path::to_path_buf)
            .map_err(|_| {
                CliError::msg(format!(
                    "the store {} is not inside the git work tree {}",
                    committed.display(),
                    root.display()
                ))
            })?;
        Ok(Repo { root, committed })
    }

    /// The work tree's top folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn git(&self, args: &[&str]) -> Result<Output, CliError> {
        git_in(&self.root, args)
    }

    fn pathspec(&self) -> String {
        // A literal pathspec: the store's path is not a pattern.
        format!(":(literal){}", self.committed.display())
    }

    /// Stages every change in the store's committed folder (new manifests and packs, changed and
    /// removed view files) and commits it alone; `false` when there is nothing to commit.
    pub fn commit(&self, message: &str) -> Result<bool, CliError> {
        let spec = self.pathspec();
        self.git(&["add", "--all", "--", &spec])?;
        if self.staged_changes(&spec)?.is_empty() {
            return Ok(false);
        }
        self.git(&[
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            message,
            "--",
            &spec,
        ])
        .map_err(|err| {
            err.with_hint(
                "git needs an identity to commit: set user.name and user.email (git config), \
                     or GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL, GIT_COMMITTER_NAME and \
                     GIT_COMMITTER_EMAIL",
            )
        })?;
        Ok(true)
    }

    /// Files under `spec` whose staged content differs from HEAD.
    fn staged_changes(&self, spec: &str) -> Result<Vec<String>, CliError> {
        let out = self.git(&["diff", "--cached", "--name-only", "--", spec])?;
        Ok(lines(&out))
    }

    /// Where `push` goes: the given remote and branch, else the current branch's upstream, else
    /// `origin` and the current branch's name.
    pub fn target(&self, remote: Option<&str>, branch: Option<&str>) -> Result<Target, CliError> {
        let upstream = self
            .git(&[
                "rev-parse",
                "--abbrev-ref",
                "--symbolic-full-name",
                "@{upstream}",
            ])
            .ok()
            .map(|out| stdout_line(&out))
            .and_then(|text| {
                text.split_once('/')
                    .map(|(r, b)| (r.to_owned(), b.to_owned()))
            });
        let current = self
            .git(&["symbolic-ref", "--quiet", "--short", "HEAD"])
            .ok()
            .map(|out| stdout_line(&out));
        let remote = remote
            .map(str::to_owned)
            .or_else(|| upstream.as_ref().map(|(r, _)| r.clone()))
            .unwrap_or_else(|| "origin".to_owned());
        let branch = branch
            .map(str::to_owned)
            .or_else(|| upstream.map(|(_, b)| b))
            .or(current)
            .ok_or_else(|| {
                CliError::msg("HEAD is detached: there is no branch to push to").with_hint(
                    "name the branch: socdrift snapshot --push --branch main (CI systems such as \
                     GitLab check out a detached HEAD)",
                )
            })?;
        Ok(Target { remote, branch })
    }

    /// Pushes HEAD to `target`. When the branch moved on (another runner pushed first), fetches
    /// it, rebases HEAD's new commits onto it (resolving conflicts in the store's view with
    /// `refresh`, which rewrites the view from the merged store), calls `refresh` again and
    /// commits what it changed, then tries again, up to [`PUSH_ATTEMPTS`] times with a growing,
    /// jittered pause. Any other failure (authentication, a protected branch, a conflict outside
    /// the store) stops at once with git's message.
    pub fn push(
        &self,
        target: &Target,
        refresh: &dyn Fn() -> Result<(), CliError>,
    ) -> Result<Pushed, CliError> {
        let refspec = format!("HEAD:refs/heads/{}", target.branch);
        let mut rebased = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let out = self.git_raw(&["push", "--porcelain", &target.remote, &refspec])?;
            if out.status.success() {
                return Ok(Pushed {
                    attempts: attempt,
                    rebased,
                });
            }
            if !is_behind(&out) {
                return Err(git_failed(&["push", &target.remote, &refspec], &out));
            }
            if attempt >= PUSH_ATTEMPTS {
                return Err(CliError::msg(format!(
                    "{} moved on {attempt} times while this snapshot was being pushed; gave up",
                    target.branch
                ))
                .with_hint(
                    "the snapshot is committed locally: push it later with `git pull --rebase && \
                     socdrift view && git commit -am view && git push`, or run the snapshot again",
                ));
            }
            tracing::info!(
                remote = %without_credentials(&target.remote),
                branch = %target.branch,
                attempt,
                "the branch moved on; rebasing onto it"
            );
            self.git(&["fetch", "--quiet", &target.remote, &target.branch])?;
            self.rebase_onto_fetched(refresh)?;
            refresh()?;
            self.commit("socdrift: bring the view up to date after merging snapshots")?;
            rebased = true;
            std::thread::sleep(backoff(attempt));
        }
    }

    /// Rebases HEAD onto FETCH_HEAD. A step that conflicts only in the store is resolved and
    /// continues: a manifest or pack both sides added under one name (names are ids and content
    /// hashes, so both hold the same snapshot: taken in the same second with the same content)
    /// is kept as the fetched side has it; the view is rewritten. Any other conflict aborts the
    /// rebase.
    fn rebase_onto_fetched(
        &self,
        refresh: &dyn Fn() -> Result<(), CliError>,
    ) -> Result<(), CliError> {
        // Changes outside the store (a config edited by the job) are set aside and put back.
        let mut out = self.git_raw(&["rebase", "--quiet", "--autostash", "FETCH_HEAD"])?;
        let view = self.committed.join(soc_store::VIEW_DIR);
        let named = [
            self.committed.join(soc_store::SNAPSHOTS_DIR),
            self.committed.join(soc_store::PACKS_DIR),
        ];
        // Each replayed commit can stop once; a bound keeps a surprise from looping forever.
        for _ in 0..1000 {
            if out.status.success() {
                return Ok(());
            }
            let conflicted = lines(&self.git(&["diff", "--name-only", "--diff-filter=U"])?);
            let in_view = |file: &String| Path::new(file).starts_with(&view);
            let by_name = |file: &String| named.iter().any(|dir| Path::new(file).starts_with(dir));
            if conflicted.is_empty() || !conflicted.iter().all(|f| in_view(f) || by_name(f)) {
                let _ = self.git_raw(&["rebase", "--abort"]);
                return Err(git_failed(&["rebase", "FETCH_HEAD"], &out).with_hint(
                    "a conflict outside the store: merge by hand (git pull --rebase, then \
                     socdrift view), then push",
                ));
            }
            for file in conflicted.iter().filter(|f| by_name(f)) {
                // While rebasing, "ours" is the fetched branch being rebased onto.
                self.git(&["checkout", "--ours", "--", &format!(":(literal){file}")])?;
            }
            refresh()?;
            self.git(&["add", "--all", "--", &self.pathspec()])?;
            out = self.git_raw_env(&["rebase", "--continue"], &[("GIT_EDITOR", "true")])?;
        }
        let _ = self.git_raw(&["rebase", "--abort"]);
        Err(CliError::msg("the rebase did not finish"))
    }

    fn git_raw(&self, args: &[&str]) -> Result<Output, CliError> {
        self.git_raw_env(args, &[])
    }

    fn git_raw_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Result<Output, CliError> {
        let mut command = Command::new("git");
        command.arg("-C").arg(&self.root).args(args);
        for (name, value) in vars {
            command.env(name, value);
        }
        command
            .output()
            .map_err(|err| CliError::context("cannot run git", err).with_hint(GIT_MISSING))
    }
}

const GIT_MISSING: &str = "install git, or commit and push the store yourself (docs/ci.md)";

/// Runs git in `dir`; an error (with git's own message) when it fails.
fn git_in(dir: &Path, args: &[&str]) -> Result<Output, CliError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|err| CliError::context("cannot run git", err).with_hint(GIT_MISSING))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(git_failed(args, &out))
    }
}

fn git_failed(args: &[&str], out: &Output) -> CliError {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let said = [stderr.trim(), stdout.trim()]
        .into_iter()
        .filter(|text| !text.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    CliError::msg(without_credentials(&format!(
        "`git {}` failed{}{}",
        args.join(" "),
        if said.is_empty() { "" } else { ": " },
        said
    )))
}

/// `text` with the user info of every URL in it removed: a push URL such as
/// `https://oauth2:TOKEN@gitlab.example/group/repo.git` (how CI jobs often push) must never reach
/// a log.
pub fn without_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(user_end) => out.push_str(&authority[user_end + 1..]),
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

/// Whether a failed `git push --porcelain` was refused because the branch moved on (and a rebase
/// can help), rather than for any other reason.
fn is_behind(out: &Output) -> bool {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    stdout
        .lines()
        .any(|line| line.starts_with('!') && (line.contains("fetch first") || line.contains("non-fast-forward")))
        || stderr.contains("fetch first")
        || stderr.contains("non-fast-forward")
        // A bare repository being updated by another push at the same moment.
        || stderr.contains("failed to update ref")
        || stderr.contains("cannot lock ref")
}

/// A pause before the next attempt: 100 ms doubling per attempt, plus up to as much again, so two
/// runners that collided do not collide again in lockstep.
fn backoff(attempt: u32) -> Duration {
    let base = 100u64 << attempt.min(6);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or_default();
    Duration::from_millis(base + (nanos ^ u64::from(std::process::id())) % base)
}

fn stdout_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn output(code: i32, stdout: &str, stderr: &str) -> Output {
        use std::os::unix::process::ExitStatusExt;
        Output {
            status: std::process::ExitStatus::from_raw(code << 8),
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_push_behind_the_remote_is_told_from_other_refusals() {
        let behind = output(
            1,
            "To file:///r.git\n!\tHEAD:refs/heads/main\t[rejected] (fetch first)\nDone\n",
            "error: failed to push some refs",
        );
        assert!(is_behind(&behind));
        let hook = output(
            1,
            "To file:///r.git\n!\tHEAD:refs/heads/main\t[remote rejected] (pre-receive hook declined)\nDone\n",
            "error: failed to push some refs",
        );
        assert!(!is_behind(&hook));
        let auth = output(128, "", "fatal: Authentication failed for 'https://x'");
        assert!(!is_behind(&auth));
    }

    #[test]
    fn credentials_in_urls_never_reach_a_message() {
        assert_eq!(
            without_credentials(
                "fatal: unable to access 'https://oauth2:glpat-SECRET@gitlab.example/g/r.git/': 403"
            ),
            "fatal: unable to access 'https://gitlab.example/g/r.git/': 403"
        );
        assert_eq!(
            without_credentials("pushed to https://x:y@h/a and file:///tmp/r.git"),
            "pushed to https://h/a and file:///tmp/r.git"
        );
        assert_eq!(without_credentials("no url here"), "no url here");
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 1..10 {
            let pause = backoff(attempt);
            let base = Duration::from_millis(100 << attempt.min(6));
            assert!(pause >= base && pause < base * 2, "{attempt}: {pause:?}");
        }
    }
}
