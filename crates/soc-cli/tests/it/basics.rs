//! Help, version, usage errors, completions.

use crate::assert_run;
use crate::support::Env;

#[test]
fn help_lists_commands_and_exit_codes() {
    let env = Env::new();
    let run = env.run(&["--help"]);
    assert_eq!(run.code, 0);
    assert_run!(env, run);
}

#[test]
fn diff_help_explains_sides_and_exit_codes() {
    let env = Env::new();
    let run = env.run(&["diff", "--help"]);
    assert_eq!(run.code, 0);
    assert_run!(env, run);
}

#[test]
fn a_usage_error_exits_2() {
    let env = Env::new();
    let run = env.run(&["diff", "only-one-side"]);
    assert_eq!(run.code, 2);
    assert_run!(env, run);
}

#[test]
fn completions_print_a_script() {
    let env = Env::new();
    let run = env.run(&["completions", "bash"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("_socdrift()"), "{run}");
    assert!(run.stdout.contains("snapshot"));
    assert_eq!(run.stderr, "");
    let run = env.run(&["completions", "fish"]);
    assert!(run.stdout.contains("complete -c socdrift"), "{run}");
}

#[test]
fn quiet_verbose_and_colour() {
    let env = Env::with_fixtures();
    let (a, b) = (
        "workspaces/staging/workflows",
        "workspaces/production/workflows",
    );

    // NO_COLOR (set by the harness) and a pipe: no escape codes anywhere.
    let run = env.run(&["diff", a, b]);
    assert!(
        !run.stdout.contains('\u{1b}') && !run.stderr.contains('\u{1b}'),
        "{run}"
    );
    // An explicit --color always colours the report even into a pipe.
    let run = env.run(&["--color", "always", "diff", a, b]);
    assert!(run.stdout.contains("\u{1b}["), "{run}");
    let run = env.run(&["diff", a, b, "--color", "never"]);
    assert!(!run.stdout.contains('\u{1b}'));

    // -v shows logs on stderr, RUST_LOG chooses them, -q silences all but errors.
    let run = env.run(&["-v", "diff", a, b, "--stat"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("INFO") && run.stderr.contains("loaded export files"),
        "{run}"
    );
    let run = env.run(&["diff", a, b, "--stat"]);
    assert_eq!(run.stderr, "");
    let mut env = env;
    env.var("RUST_LOG", "soc_cli=info");
    let run = env.run(&["diff", a, b, "--stat"]);
    assert!(run.stderr.contains("loaded export files"), "{run}");
    let run = env.run(&["-q", "demo", "--stat"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        !run.stderr.contains("Drift found"),
        "status lines are silenced: {run}"
    );
    let run = env.run(&["-q", "diff", "./missing", a]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("error: ./missing does not exist"),
        "{run}"
    );
}
