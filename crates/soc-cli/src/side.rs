//! One side of a comparison: a path, or `ENV@SELECTOR`.
//!
//! The rule for an argument that could be either (documented in docs/configuration.md):
//! 1. an argument containing a path separator is a path (`./staging`, `snaps/x`);
//! 2. otherwise, if the part before the first `@` is a configured environment, it is an
//!    environment reference (`staging` means `staging@latest`);
//! 3. otherwise, if it exists on disk, it is a path;
//! 4. otherwise it is an error naming the nearest environment.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::config::{Config, ConfigError};
use crate::suggest;

/// Which state of an environment to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Export now; store nothing.
    Live,
    /// A stored snapshot: `latest` (the default), `~N` (the N-th before latest) or an id.
    Stored(soc_store::Selector),
}

impl Selector {
    /// The newest snapshot.
    pub const LATEST: Selector = Selector::Stored(soc_store::Selector::Latest);
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Live => f.write_str("live"),
            Selector::Stored(selector) => selector.fmt(f),
        }
    }
}

/// A selector that cannot be right.
#[derive(Debug, thiserror::Error)]
#[error("bad selector `{selector}` in `{argument}`")]
pub struct SelectorError {
    /// The selector text.
    pub selector: String,
    /// The whole argument.
    pub argument: String,
}

impl SelectorError {
    /// What would be valid.
    pub fn hint(&self) -> String {
        match suggest::did_you_mean(&self.selector, ["latest", "live"]) {
            Some(dym) => dym,
            None => "a selector is `latest`, `live`, `~N` (the N-th snapshot before latest) or a snapshot id".to_string(),
        }
    }
}

impl FromStr for Selector {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "live" {
            return Ok(Selector::Live);
        }
        // Snapshot ids start with their UTC timestamp; a word close to `latest`/`live` is a typo,
        // not an id prefix that happens to match nothing.
        if s != "latest" && suggest::nearest(s, ["latest", "live"]).is_some() {
            return Err(s.to_string());
        }
        s.parse::<soc_store::Selector>()
            .map(Selector::Stored)
            .map_err(|_| s.to_string())
    }
}

/// One side of `diff`/`check`, resolved against the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    /// A file or folder: export files, a snapshot folder, or one export file.
    Path(PathBuf),
    /// A configured environment at a selector.
    Env { env: String, selector: Selector },
}

impl Side {
    /// A short label for reports: the path as given, the environment name for its latest
    /// snapshot (`staging`), or `env@selector` otherwise (`staging@live`, `staging@~1`).
    pub fn label(&self) -> String {
        match self {
            Side::Path(p) => p.display().to_string(),
            Side::Env { env, selector } if *selector == Selector::LATEST => env.clone(),
            Side::Env { env, selector } => format!("{env}@{selector}"),
        }
    }
}

/// Why an argument is not a side.
#[derive(Debug, thiserror::Error)]
pub enum SideError {
    #[error(transparent)]
    Selector(#[from] SelectorError),
    #[error(transparent)]
    UnknownEnv(#[from] ConfigError),
    #[error("`{argument}` is neither an existing path nor a configured environment")]
    Neither {
        argument: String,
        known: Vec<String>,
    },
}

impl SideError {
    /// What to do.
    pub fn hint(&self) -> Option<String> {
        match self {
            SideError::Selector(e) => Some(e.hint()),
            SideError::UnknownEnv(e) => e.hint(),
            SideError::Neither { argument, known } => Some(
                suggest::did_you_mean(argument, known.iter().map(String::as_str)).unwrap_or_else(
                    || {
                        "give a path to an export file, a folder of exports or a snapshot, or ENV@SELECTOR for an environment of socdrift.toml".to_string()
                    },
                ),
            ),
        }
    }
}

/// An argument read by the side rule, its selector as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// A file or folder.
    Path(PathBuf),
    /// An environment; `selector` is `None` when the argument names the environment alone.
    Env {
        env: String,
        selector: Option<Selector>,
    },
}

/// Reads a command-line argument by the rule in the module docs, `is_env` saying which names are
/// environments; `None` when it is neither a path nor an environment.
pub fn parse(
    argument: &str,
    cwd: &Path,
    is_env: impl Fn(&str) -> bool,
) -> Result<Option<Written>, SelectorError> {
    if argument.chars().any(std::path::is_separator) {
        return Ok(Some(Written::Path(PathBuf::from(argument))));
    }
    let (name, selector) = split(argument);
    if is_env(name) {
        let selector = selector
            .map(|text| {
                text.parse().map_err(|selector| SelectorError {
                    selector,
                    argument: argument.to_string(),
                })
            })
            .transpose()?;
        return Ok(Some(Written::Env {
            env: name.to_string(),
            selector,
        }));
    }
    if cwd.join(argument).exists() {
        return Ok(Some(Written::Path(PathBuf::from(argument))));
    }
    Ok(None)
}

/// The environment name of an argument (before the first `@`), and its selector text.
pub fn split(argument: &str) -> (&str, Option<&str>) {
    match argument.split_once('@') {
        Some((name, selector)) => (name, Some(selector)),
        None => (argument, None),
    }
}

/// Resolves a command-line argument to a side (see the module docs for the rule); an
/// environment named alone means its latest snapshot.
pub fn resolve(argument: &str, config: &Config, cwd: &Path) -> Result<Side, SideError> {
    match parse(argument, cwd, |name| config.envs.contains_key(name))? {
        Some(Written::Path(path)) => Ok(Side::Path(path)),
        Some(Written::Env { env, selector }) => Ok(Side::Env {
            env,
            selector: selector.unwrap_or(Selector::LATEST),
        }),
        None => match split(argument) {
            (name, Some(_)) => Err(config.unknown_env(name).into()),
            (_, None) => Err(SideError::Neither {
                argument: argument.to_string(),
                known: config.envs.keys().cloned().collect(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        let text = "[env.staging]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"w\"\n[env.production]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"w\"\n";
        Config::parse(text, Path::new("/p/socdrift.toml")).unwrap()
    }

    #[test]
    fn selectors_parse() {
        use soc_store::Selector as S;
        assert_eq!("latest".parse(), Ok(Selector::LATEST));
        assert_eq!("live".parse(), Ok(Selector::Live));
        assert_eq!("~0".parse(), Ok(Selector::LATEST));
        assert_eq!("~3".parse(), Ok(Selector::Stored(S::Previous(3))));
        assert_eq!(
            "20261128T031500Z-3fa9c2d1".parse(),
            Ok(Selector::Stored(S::Id("20261128T031500Z-3fa9c2d1".into())))
        );
        for bad in ["", "~x", "~-1", "latets", "lve", "a/b", "x y"] {
            assert!(bad.parse::<Selector>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn env_refs_and_paths() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        let c = config();
        let env = |e: &str, s| Side::Env {
            env: e.into(),
            selector: s,
        };
        assert_eq!(
            resolve("staging", &c, cwd).unwrap(),
            env("staging", Selector::LATEST)
        );
        assert_eq!(
            resolve("staging@live", &c, cwd).unwrap(),
            env("staging", Selector::Live)
        );
        assert_eq!(
            resolve("production@~2", &c, cwd).unwrap(),
            env(
                "production",
                Selector::Stored(soc_store::Selector::Previous(2))
            )
        );
        assert_eq!(
            resolve("./staging", &c, cwd).unwrap(),
            Side::Path("./staging".into())
        );
        // An existing folder named like an environment: the environment wins without a `/`.
        std::fs::create_dir(cwd.join("staging")).unwrap();
        assert_eq!(
            resolve("staging", &c, cwd).unwrap(),
            env("staging", Selector::LATEST)
        );
        // An existing path that is not an environment name is a path, `@` and all.
        std::fs::write(cwd.join("export@2.json"), "{}").unwrap();
        assert_eq!(
            resolve("export@2.json", &c, cwd).unwrap(),
            Side::Path("export@2.json".into())
        );
    }

    #[test]
    fn parse_keeps_the_selector_as_written_and_asks_which_names_are_environments() {
        let dir = tempfile::tempdir().unwrap();
        let stored = |name: &str| name == "archived";
        let env = |e: &str, selector| {
            Some(Written::Env {
                env: e.into(),
                selector,
            })
        };
        assert_eq!(
            parse("archived", dir.path(), stored).unwrap(),
            env("archived", None)
        );
        assert_eq!(
            parse("archived@latest", dir.path(), stored).unwrap(),
            env("archived", Some(Selector::LATEST))
        );
        assert_eq!(parse("staging", dir.path(), stored).unwrap(), None);
        assert_eq!(
            parse("a/b@live", dir.path(), stored).unwrap(),
            Some(Written::Path("a/b@live".into()))
        );
        let err = parse("archived@latets", dir.path(), stored).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad selector `latets` in `archived@latets`"
        );
    }

    #[test]
    fn labels_say_latest_by_the_name_alone() {
        let side = |text: &str| resolve(text, &config(), Path::new("/nonexistent")).unwrap();
        assert_eq!(side("staging").label(), "staging");
        assert_eq!(side("staging@latest").label(), "staging");
        assert_eq!(side("staging@live").label(), "staging@live");
        assert_eq!(side("staging@~1").label(), "staging@~1");
        assert_eq!(side("./x").label(), "./x");
    }

    #[test]
    fn errors_suggest() {
        let dir = tempfile::tempdir().unwrap();
        let c = config();
        let err = resolve("staging@latets", &c, dir.path()).unwrap_err();
        assert_eq!(err.to_string(), "bad selector `latets` in `staging@latets`");
        assert_eq!(err.hint().as_deref(), Some("did you mean `latest`?"));
        let err = resolve("staging@~x", &c, dir.path()).unwrap_err();
        assert!(err.hint().unwrap().contains("~N"));
        let err = resolve("prodution@live", &c, dir.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown environment `prodution` (/p/socdrift.toml has: production, staging)"
        );
        assert_eq!(err.hint().as_deref(), Some("did you mean `production`?"));
        let err = resolve("stagin", &c, dir.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`stagin` is neither an existing path nor a configured environment"
        );
        assert_eq!(err.hint().as_deref(), Some("did you mean `staging`?"));
    }
}
