//! Dynamic shell completion: the shell calls `socdrift` back (with `COMPLETE=<shell>` set) and
//! gets the environment names of the config, so `socdrift diff st<TAB>` offers `staging@live`
//! rather than file names.

use clap_complete::engine::CompletionCandidate;

use crate::config::{Config, Source};

/// The environment variable through which the shell asks for completions.
pub const VAR: &str = "COMPLETE";

/// The configured environment names, or none when there is no readable config: completion must
/// never fail or print an error into the user's prompt.
fn configured() -> Vec<String> {
    let Ok(cwd) = std::env::current_dir() else {
        return Vec::new();
    };
    let explicit = std::env::var_os("SOCDRIFT_CONFIG").map(std::path::PathBuf::from);
    let source = match &explicit {
        Some(path) => Source::Explicit(path),
        None => Source::Search(&cwd),
    };
    Config::discover(source)
        .map(|config| config.envs.into_keys().collect())
        .unwrap_or_default()
}

/// Candidates for an argument that takes an environment name.
pub fn environments() -> Vec<CompletionCandidate> {
    configured()
        .into_iter()
        .map(|name| CompletionCandidate::new(name).help(Some("environment".into())))
        .collect()
}

/// Candidates for a side: `NAME`, `NAME@latest`, `NAME@live` per environment.
pub fn sides() -> Vec<CompletionCandidate> {
    let mut out = Vec::new();
    for name in configured() {
        for (suffix, help) in [
            ("", "latest snapshot"),
            ("@latest", "latest snapshot"),
            ("@live", "the live workspace, exported now"),
        ] {
            out.push(CompletionCandidate::new(format!("{name}{suffix}")).help(Some(help.into())));
        }
    }
    out
}

/// The script that makes `shell` complete `socdrift` by calling it back.
pub fn registration(shell: &str) -> Option<Vec<u8>> {
    let shells = clap_complete::env::Shells::builtins();
    let completer = shells.completer(shell)?;
    let mut script = Vec::new();
    completer
        .write_registration(VAR, "socdrift", "socdrift", "socdrift", &mut script)
        .ok()?;
    Some(script)
}
