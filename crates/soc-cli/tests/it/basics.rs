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
fn completions_print_a_script_that_calls_socdrift_back() {
    let env = Env::new();
    let run = env.run(&["completions", "bash"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("COMPLETE=\"bash\""), "{run}");
    assert!(
        run.stdout.contains("complete -o nospace -o bashdefault -F"),
        "{run}"
    );
    assert_eq!(run.stderr, "");
    let run = env.run(&["completions", "fish"]);
    assert!(
        run.stdout
            .contains("complete --keep-order --exclusive --command socdrift"),
        "{run}"
    );
    let run = env.run(&["completions", "tcsh"]);
    assert_eq!(run.code, 2, "{run}");
}

/// What the shell gets back when it asks (as fish does) for the candidates of `socdrift ARGS`.
fn complete(env: &Env, args: &[&str]) -> Vec<String> {
    let mut command = env.command(&["--", "socdrift"]);
    command.args(args).env("COMPLETE", "fish");
    let out = command.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        // Options are offered too when nothing is typed yet; the values are what matter here.
        .filter(|c| !c.starts_with('-'))
        .collect()
}

#[test]
fn completions_offer_the_environments_of_the_config() {
    let env = Env::new();
    env.write(
        "socdrift.toml",
        "[env.staging]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"w\"\n\n\
         [env.production]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"w\"\n",
    );
    env.write("stale-file.json", "{}");
    assert_eq!(
        complete(&env, &["diff", "st"]),
        ["staging", "staging@latest", "staging@live"]
    );
    assert_eq!(
        complete(&env, &["diff", "staging", "production@l"]),
        ["production@latest", "production@live"]
    );
    assert_eq!(complete(&env, &["log", ""]), ["production", "staging"]);
    assert_eq!(complete(&env, &["snapshot", "--env", "p"]), ["production"]);
    let checked = complete(&env, &["check", "s"]);
    assert!(
        !checked.iter().any(|c| c.contains("stale-file")),
        "no file names: {checked:?}"
    );
    // Without a config there is nothing to offer, and no error in the prompt.
    let empty = Env::new();
    assert!(complete(&empty, &["log", ""]).is_empty());
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
        run.stderr.contains("caused by: ./missing does not exist"),
        "{run}"
    );
}
