//! Running the binary and snapshotting what it did.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "exit: {}", self.code)?;
        writeln!(f, "----- stdout -----")?;
        f.write_str(&self.stdout)?;
        writeln!(f, "----- stderr -----")?;
        f.write_str(&self.stderr)
    }
}

/// A temp folder to run `socdrift` in, with its own environment variables.
pub struct Env {
    pub dir: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl Env {
    pub fn new() -> Self {
        Env {
            dir: tempfile::tempdir().unwrap(),
            vars: Vec::new(),
        }
    }

    /// A folder with a copy of the bundled fixtures under `workspaces/{staging,production}`.
    pub fn with_fixtures() -> Self {
        let env = Env::new();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/workspaces");
        copy_dir(&source, &env.path().join("workspaces"));
        env
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file relative to the folder.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Sets an environment variable for the runs.
    pub fn var(&mut self, name: &str, value: &str) -> &mut Self {
        self.vars.push((name.to_string(), value.to_string()));
        self
    }

    /// Runs `socdrift ARGS` in the folder with only PATH, NO_COLOR and the set variables.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The command `run` runs, for tests that need to drive the process themselves.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_socdrift"));
        cmd.args(args)
            .current_dir(self.path())
            .env_clear()
            .env("NO_COLOR", "1")
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// insta settings that hide what changes between runs: this folder, ports, snapshot ids,
    /// request ids and timestamps.
    pub fn settings(&self) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        let dir = self.path().to_string_lossy().into_owned();
        // macOS temp dirs are reached through /private; hide both spellings.
        if let Ok(canonical) = self.path().canonicalize() {
            settings.add_filter(&regex_escape(&canonical.to_string_lossy()), "[TMP]");
        }
        settings.add_filter(&regex_escape(&dir), "[TMP]");
        settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
        settings.add_filter(r"\b\d{8}T\d{6}Z-[0-9a-f]{8}\b", "[SNAPSHOT-ID]");
        // Object and pack names are content hashes: they follow normalization and compression.
        settings.add_filter(r"\b[0-9a-f]{64}\b", "[SHA256]");
        settings.add_filter(
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
            "[TIME]",
        );
        settings.add_filter(
            r"(?i)request[ _-]id[ :=]+[0-9a-z_.-]+",
            "request id [REQUEST-ID]",
        );
        // How long a pair took, in the JSON and JUnit reports.
        settings.add_filter(r#""seconds": [0-9.]+"#, r#""seconds": [SECONDS]"#);
        settings.add_filter(r#"time="[0-9.]+""#, r#"time="[SECONDS]""#);
        settings.set_prepend_module_to_snapshot(false);
        settings
    }
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Snapshots a run under the env's filters.
#[macro_export]
macro_rules! assert_run {
    ($env:expr, $run:expr) => {
        $env.settings()
            .bind(|| insta::assert_snapshot!($run.to_string()))
    };
    ($env:expr, $name:expr, $run:expr) => {
        $env.settings()
            .bind(|| insta::assert_snapshot!($name, $run.to_string()))
    };
}
