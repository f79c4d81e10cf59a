//! The review page (`-o html`, `check --html`) and the Mermaid graphs of Markdown reports, from
//! every kind of side: folders of exports, live workspaces, snapshots with and without their raw
//! exports, and the demo. What a browser makes of the page is checked by
//! `scripts/review-page.sh`.

use crate::live::Live;
use crate::support::Env;

const STAGING: &str = "workspaces/staging/workflows";
const PRODUCTION: &str = "workspaces/production/workflows";

/// The `data-change` of each drawn node with this id, in page order.
fn changes_of(page: &str, id: &str) -> Vec<String> {
    page.split("<g class=\"node ")
        .filter(|tag| tag.contains(&format!("data-node-id=\"{id}\"")))
        .map(|tag| {
            let tag = &tag[..tag.find('>').unwrap()];
            tag.split("data-change=\"")
                .nth(1)
                .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// The page's canvases were drawn from the console's coordinates.
fn assert_console_layout(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert_eq!(
        changes_of(page, "Activity_u0ugsc7"),
        ["changed", "changed"],
        "Block on WAF, on both canvases"
    );
    assert!(!page.contains("class=\"auto-layout\""), "{page}");
}

#[test]
fn the_demo_draws_its_drift() {
    let env = Env::new();
    let run = env.run(&["demo", "-o", "html"]);
    assert_eq!(run.code, 0, "{run}");
    assert_console_layout(&run.stdout);
    assert!(run.stdout.contains("data-workflow=\"Legacy ticket sync\""));
    assert!(
        run.stderr.contains("socdrift demo -o html > review.html"),
        "{run}"
    );
    assert_eq!(std::fs::read_dir(env.path()).unwrap().count(), 0);
}

#[test]
fn folders_of_exports_are_drawn_by_diff_and_check() {
    let env = Env::with_fixtures();
    let run = env.run(&["diff", STAGING, PRODUCTION, "-o", "html"]);
    assert_eq!(run.code, 1, "{run}");
    assert_console_layout(&run.stdout);

    let run = env.run(&[
        "check",
        STAGING,
        PRODUCTION,
        "--html",
        "out/review.html",
        "--markdown",
        "out/drift.md",
    ]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout
            .starts_with("Workflows\nM Block malicious source IP"),
        "text on stdout: {run}"
    );
    let page = std::fs::read_to_string(env.path().join("out/review.html")).unwrap();
    assert_console_layout(&page);
    let markdown = std::fs::read_to_string(env.path().join("out/drift.md")).unwrap();
    assert!(
        markdown.contains("```mermaid\nflowchart LR\n"),
        "{markdown}"
    );
    assert!(markdown.contains("(\"~ Block on WAF\")"), "{markdown}");
}

#[test]
fn the_step_summary_gets_the_graphs_too() {
    let mut env = Env::with_fixtures();
    let summary = env.write("summary.md", "");
    env.var("GITHUB_STEP_SUMMARY", summary.to_str().unwrap());
    let run = env.run(&["diff", STAGING, PRODUCTION]);
    assert_eq!(run.code, 1, "{run}");
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.contains("```mermaid"), "{summary}");
}

#[test]
fn live_sides_and_snapshots_are_drawn_and_a_cloned_store_says_why_it_cannot_place_nodes() {
    let live = Live::start();
    let run = live
        .env
        .run(&["diff", "staging@live", "production@live", "-o", "html"]);
    assert_eq!(run.code, 1, "{run}");
    assert_console_layout(&run.stdout);

    let run = live
        .env
        .run(&["snapshot", "--env", "staging", "--env", "production"]);
    assert_eq!(run.code, 0, "{run}");
    // Snapshots keep their raw exports on this machine: the console's coordinates.
    let run = live
        .env
        .run(&["diff", "staging", "production", "-o", "html"]);
    assert_eq!(run.code, 1, "{run}");
    assert_console_layout(&run.stdout);
    // So is a snapshot given by the path of its manifest: drawn from that very snapshot.
    let manifest = std::fs::read_dir(live.env.path().join(".socdrift/store-v2/snapshots/staging"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().ends_with(".json.zst"))
        .unwrap();
    let run = live.env.run(&[
        "diff",
        manifest.to_str().unwrap(),
        "production",
        "-o",
        "html",
    ]);
    assert_eq!(run.code, 1, "{run}");
    assert_console_layout(&run.stdout);
    // The promotion view is drawn too (left and right; the base only classes).
    let run = live.env.run(&[
        "diff",
        "staging@live",
        "production@live",
        "--base",
        "production",
        "-o",
        "html",
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert_console_layout(&run.stdout);
    assert!(run.stdout.contains("data-class=\"promote\""), "{run}");

    // A store cloned from git has no raw exports: the same marks, an automatic layout, and why.
    std::fs::remove_dir_all(live.env.path().join(".socdrift/raw-v2")).unwrap();
    let run = live
        .env
        .run(&["diff", "staging", "production", "-o", "html"]);
    assert_eq!(run.code, 1, "{run}");
    let page = &run.stdout;
    assert_eq!(changes_of(page, "Activity_u0ugsc7"), ["changed", "changed"]);
    assert!(
        page.contains(
            "No diagram coordinates (the snapshot keeps no canvas coordinates, and its raw export \
             is not on this machine): drawn with an automatic layout."
        ),
        "{page}"
    );
    assert!(
        page.contains("which nodes moved cannot be shown: staging has no coordinates"),
        "the layout-only workflow: {page}"
    );
    live.assert_read_only();
}
