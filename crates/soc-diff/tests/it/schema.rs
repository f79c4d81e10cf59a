//! `docs/report.schema.json` is generated from the report types; this test keeps it so.

use std::path::Path;

use soc_diff::CheckReport;

/// Regenerate with `SOCDRIFT_UPDATE_SCHEMA=1 cargo test -p soc-diff --test it schema`.
#[test]
fn the_committed_schema_is_what_the_types_generate() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json");
    let mut generated = serde_json::to_string_pretty(&CheckReport::json_schema()).unwrap();
    generated.push('\n');
    if std::env::var_os("SOCDRIFT_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} differs from what the report types generate; regenerate it with \
         `SOCDRIFT_UPDATE_SCHEMA=1 cargo test -p soc-diff --test it schema` and review the diff",
        path.display()
    );
}

#[test]
fn the_schema_names_every_status_and_requires_the_essentials() {
    let schema = CheckReport::json_schema();
    let text = schema.to_string();
    for word in [
        "no_drift",
        "drift",
        "error",
        "pairs",
        "schema_version",
        "message",
    ] {
        assert!(text.contains(&format!("\"{word}\"")), "{word} missing");
    }
    let required = schema["required"].as_array().unwrap();
    for field in ["schema_version", "status", "pairs"] {
        assert!(required.iter().any(|r| r == field), "{field} not required");
    }
}
