//! Tests of reading `socdrift.toml`.

use super::keys::line_col;
use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/proj/socdrift.toml"))
}

const GOOD: &str = r#"
[store]
path = "snapshots"

[env.staging]
region = "ap-southeast-1"
project_id = "p1"
workspace = "soc-staging"
ak_env = "STAGING_AK"
sk_env = "STAGING_SK"

[env.production]
endpoint = "https://secmaster.example.test"
project_id = "p2"
workspace_id = "w2"
auth = "password"

[check]
pairs = [["staging@live", "production@live"]]
workflow = ["Block *", "Notify *"]
playbook = ["Auto*"]
exclude = ["* (draft)"]

[[accept]]
workflow = "Notify on high-severity alert"
path = "/versions/*/taskconfig/escalation_minutes"
reason = "production escalates faster on purpose"
expires = 2026-12-31

[[accept]]
workflow = "*"
reason = "everything"
expires = "2027-01-01"

[[accept]]
playbook = "Notify the on-call analyst"
path = "/enabled"
reason = "paused in production while the pager is replaced"
"#;

#[test]
fn a_good_file_loads() {
    let config = parse(GOOD).unwrap();
    assert_eq!(config.store_path, Path::new("/proj/snapshots"));
    assert_eq!(config.envs.len(), 2);
    let staging = config.env("staging").unwrap();
    assert_eq!(staging.workspace.as_deref(), Some("soc-staging"));
    assert_eq!(staging.auth, AuthKind::Aksk);
    assert_eq!(config.env("production").unwrap().auth, AuthKind::Password);
    assert_eq!(
        config.check_pairs,
        vec![("staging@live".to_string(), "production@live".to_string())]
    );
    assert_eq!(config.check_filters.workflow, ["Block *", "Notify *"]);
    assert_eq!(config.check_filters.exclude, ["* (draft)"]);
    let day = |rule: &soc_diff::AcceptRule| rule.expires().map(|d| d.to_string());
    assert_eq!(day(&config.accept[0]).as_deref(), Some("2026-12-31"));
    assert_eq!(day(&config.accept[1]).as_deref(), Some("2027-01-01"));
    assert_eq!(config.accept[1].path(), None);
    let err = parse("[[accept]]\nworkflow = \"w\"\nreason = \"r\"\nexpires = \"2026-02-31\"\n");
    assert_eq!(
        err.unwrap_err().to_string(),
        "/proj/socdrift.toml:4: [[accept]] expires `2026-02-31` is not a date"
    );
    assert_eq!(config.check_filters.playbook, ["Auto*"]);
    assert_eq!(config.accept_rules().len(), 2);
    let playbook_rules = config.playbook_accept_rules();
    assert_eq!(playbook_rules.len(), 1);
    assert_eq!(playbook_rules[0].workflow(), "Notify the on-call analyst");
}

#[test]
fn an_accept_rule_names_one_kind() {
    let err =
        parse("[[accept]]\nworkflow = \"a\"\nplaybook = \"b\"\nreason = \"r\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:3: [[accept]] names both a workflow and a playbook"
    );
    let err = parse("[[accept]]\nreason = \"r\"\n").unwrap_err();
    assert!(
        err.to_string()
            .ends_with("[[accept]] names neither a workflow nor a playbook"),
        "{err}"
    );
    let err = parse("[[accept]]\nplaybook = \" \"\nreason = \"r\"\n").unwrap_err();
    assert!(
        err.to_string().ends_with("[[accept]] playbook is empty"),
        "{err}"
    );
}

#[test]
fn normalize_rules_build_a_profile_and_typos_are_caught() {
    let config =
        parse("[normalize]\nignore = [\"/versions/*/status\"]\nkeep_layout = false\n").unwrap();
    let profile = config.profile(Layout::AsConfigured).unwrap();
    assert!(!profile.keep_layout());
    assert!(config.profile(Layout::Keep).unwrap().keep_layout());
    assert_ne!(profile.hash(), soc_normalize::Profile::secmaster().hash());
    let err = parse("[normalize]\nignroe = []\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:2: unknown key `ignroe` in [normalize]"
    );
    assert_eq!(err.hint().as_deref(), Some("did you mean `ignore`?"));
    let config = parse("[normalize]\nignore = [\"no-leading-slash\"]\n").unwrap();
    let err = config.profile(Layout::AsConfigured).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml: invalid [normalize] rules"
    );
}

#[test]
fn limits_and_sources_parse_and_bad_values_are_located() {
    let config = parse(
            "[limits]\nmax_export_size = \"8MiB\"\nmax_unpacked_size = 1000\nmax_compression_ratio = 20\n\
             [env.s]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"w\"\nsource = \"versions\"\n",
        )
        .unwrap();
    assert_eq!(config.limits.max_export_bytes, 8 * 1024 * 1024);
    assert_eq!(config.limits.max_unpacked_bytes, 1000);
    assert_eq!(config.limits.max_compression_ratio, 20);
    assert_eq!(
        config.limits.max_json_values,
        soc_model::Limits::default().max_json_values
    );
    assert_eq!(config.env("s").unwrap().source, SourceKind::Versions);
    assert_eq!(
        config.profile(Layout::AsConfigured).unwrap().limits(),
        &config.limits
    );
    assert_eq!(parse("").unwrap().limits, soc_model::Limits::default());
    let err = parse("\n[limits]\nmax_export_size = \"lots\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:3: [limits] max_export_size is not a size"
    );
    let err = parse("[limits]\nmax_zip_members = 0\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("max_zip_members must be at least 1"),
        "{err}"
    );
    let err = parse(
        "[env.s]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"w\"\nsource = \"exprot\"\n",
    )
    .unwrap_err();
    assert_eq!(err.hint().as_deref(), Some("did you mean `export`?"));
}

#[test]
fn the_store_defaults_beside_the_file() {
    let config = parse("").unwrap();
    assert_eq!(config.store_path, Path::new("/proj/.socdrift"));
}

#[test]
fn a_secret_is_refused_with_its_line_and_the_variable_to_use() {
    let text = "[env.staging]\nregion = \"r\"\nworkspace_id = \"w\"\nsk = \"hunter2\"\n";
    let err = parse(text).unwrap_err();
    let shown = format!("{err} / {}", err.hint().unwrap());
    assert!(!shown.contains("hunter2"), "{shown}");
    assert_eq!(
        shown,
        "/proj/socdrift.toml:4: `env.staging.sk` holds a secret; socdrift never reads secrets from its config file / delete `env.staging.sk` from the file and export HUAWEICLOUD_SDK_SK instead, or name your own variable with `sk_env = \"…\"` in [env.staging]"
    );
}

#[test]
fn secrets_are_found_anywhere_even_inline_and_in_unknown_tables() {
    for text in [
        "password = \"x\"",
        "[other]\nAccess-Key = \"x\"",
        "[env.a]\nregion = \"r\"\nworkspace_id = \"w\"\ncreds = { token = \"t\" }",
        "[[accept]]\nworkflow = \"w\"\nreason = \"r\"\nsecurity_token = \"x\"",
    ] {
        assert!(
            matches!(parse(text), Err(ConfigError::Secret { .. })),
            "{text}"
        );
    }
    // Naming the variable that holds a secret is fine.
    assert!(
        parse(
            "[env.a]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"w\"\ntoken_env = \"T\""
        )
        .is_ok()
    );
}

#[test]
fn an_unknown_key_names_line_table_and_suggestion() {
    let text = "[env.staging]\nregoin = \"r\"\nworkspace_id = \"w\"\n";
    let err = parse(text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:2: unknown key `regoin` in [env.staging]"
    );
    assert_eq!(err.hint().as_deref(), Some("did you mean `region`?"));
}

#[test]
fn an_unknown_top_level_table_lists_valid_keys() {
    let err = parse("[stroe]\npath = \"x\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:1: unknown key `stroe`"
    );
    assert_eq!(err.hint().as_deref(), Some("did you mean `store`?"));
    let err = parse("[zzzzzzz]\n").unwrap_err();
    assert_eq!(
        err.hint().as_deref(),
        Some("valid keys here: store, env, normalize, check, accept, limits")
    );
}

#[test]
fn keys_in_arrays_of_tables_and_bad_types_are_named_as_written() {
    let err =
        parse("[[accept]]\nworkflow = \"a\"\nreason = \"r\"\n\n[[accept]]\nworkflw = \"x\"\n")
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:6: unknown key `workflw` in [[accept]] #2"
    );
    let err = parse("env = 3\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:1: `env`: invalid type: integer `3`, expected a map"
    );
}

#[test]
fn element_ids_by_name_is_a_profile_of_its_own() {
    let config = parse("[normalize]\nelement_ids = \"by_name\"\n").unwrap();
    let profile = config.profile(Layout::AsConfigured).unwrap();
    assert_eq!(profile.element_ids(), soc_normalize::ElementIds::ByName);
    assert_ne!(profile.hash(), soc_normalize::Profile::secmaster().hash());
    let keep = parse("[normalize]\nelement_ids = \"keep\"\n").unwrap();
    assert_eq!(
        keep.profile(Layout::AsConfigured).unwrap().hash(),
        soc_normalize::Profile::secmaster().hash(),
        "the default must not renormalize existing snapshots"
    );
    let err = parse("[normalize]\nelement_ids = \"byname\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:2: `normalize.element_ids` has an unknown value `byname`"
    );
    assert_eq!(err.hint().as_deref(), Some("did you mean `by_name`?"));
}

#[test]
fn a_bad_enum_value_suggests_the_nearest() {
    let text = "[env.s]\nregion = \"r\"\nworkspace_id = \"w\"\nauth = \"aksl\"\n";
    let err = parse(text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:4: `env.s.auth` has an unknown value `aksl`"
    );
    assert_eq!(err.hint().as_deref(), Some("did you mean `aksk`?"));
}

#[test]
fn syntax_errors_have_line_and_column() {
    let err = parse("[env.s]\nregion = \n").unwrap_err();
    assert!(matches!(err, ConfigError::Syntax { line: 2, .. }), "{err}");
}

#[test]
fn semantic_checks_point_at_the_section() {
    let err = parse("\n[env.s]\nproject_id = \"p\"\nworkspace_id = \"w\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:2: [env.s] needs `region` or `endpoint`"
    );
    let err = parse(
        "[env.s]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"w\"\nworkspace = \"n\"\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:5: [env.s] sets both `workspace_id` and `workspace`"
    );
    let err = parse("[env.s]\nregion = \"r\"\nworkspace_id = \"w\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:1: [env.s] needs `project_id`"
    );
    let err = parse("[env.\"a@b\"]\nregion = \"r\"\nworkspace_id = \"w\"\n").unwrap_err();
    assert!(
        err.to_string().contains("invalid environment name `a@b`"),
        "{err}"
    );
    let err =
        parse("[[accept]]\nworkflow = \"w\"\nreason = \"r\"\nexpires = \"soon\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:4: [[accept]] expires `soon` is not a date"
    );
    let err = parse("[[accept]]\nworkflow = \"w\"\nreason = \"r\"\npath = \"x\"\n").unwrap_err();
    assert!(
        err.to_string().starts_with(
            "/proj/socdrift.toml:4: invalid [[accept]] path: pattern `x` must start with `/`"
        ),
        "{err}"
    );
    let err = parse("[check]\npairs = [[\"a\", \"b\", \"c\"]]\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/proj/socdrift.toml:2: [check] pairs item 1 has 3 sides, not 2"
    );
}

#[test]
fn unknown_env_suggests_or_says_how_to_add() {
    let config = parse(GOOD).unwrap();
    let err = config.env("stagng").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown environment `stagng` (/proj/socdrift.toml has: production, staging)"
    );
    assert_eq!(err.hint().as_deref(), Some("did you mean `staging`?"));
    let none = Config::defaults(Path::new("/x"));
    let err = none.env("qa").unwrap_err();
    assert!(err.hint().unwrap().contains("no socdrift.toml was found"));
}

#[test]
fn discovery_walks_up_to_the_nearest_file() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(dir.path().join(FILE_NAME), "[store]\npath = \"s\"\n").unwrap();
    let config = Config::discover(Source::Search(&nested)).unwrap();
    assert_eq!(config.store_path, dir.path().join("s"));
    let err = Config::discover(Source::Explicit(&nested.join("missing.toml"))).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
}

#[test]
fn line_col_counts_from_one() {
    assert_eq!(line_col("ab\ncd", 0), (1, 1));
    assert_eq!(line_col("ab\ncd", 4), (2, 2));
    assert_eq!(line_col("ab", 99), (1, 3));
}
