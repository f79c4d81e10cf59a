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
