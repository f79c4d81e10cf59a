//! Commands against soc-sim started in this test process, on loopback.

use soc_sim::{PathKind, RunningSim, Sim, SimConfig};

use crate::assert_run;
use crate::support::Env;

/// A running emulator and a folder whose socdrift.toml points `staging` and `production` at it.
pub struct Live {
    pub env: Env,
    pub sim: RunningSim,
    // Declared last: the runtime must outlive the server task it drives.
    _runtime: tokio::runtime::Runtime,
}

impl Live {
    pub fn start() -> Self {
        Self::start_with(SimConfig::default(), "")
    }

    /// An emulator with `config`, and `extra` appended to the generated socdrift.toml.
    pub fn start_with(config: SimConfig, extra: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sim = runtime.block_on(Sim::start(config)).unwrap();
        let mut env = Env::new();
        let mut toml = String::new();
        for (name, workspace) in [("staging", "soc-staging"), ("production", "soc-production")] {
            toml.push_str(&format!(
                "[env.{name}]\nendpoint = \"{}\"\nproject_id = \"{}\"\nworkspace = \"{workspace}\"\n\n",
                sim.base_url(),
                sim.project_id()
            ));
        }
        toml.push_str(extra);
        env.write("socdrift.toml", &toml);
        env.var("HUAWEICLOUD_SDK_AK", soc_sim::DEFAULT_ACCESS_KEY)
            .var("HUAWEICLOUD_SDK_SK", soc_sim::DEFAULT_SECRET_KEY);
        Live {
            env,
            sim,
            _runtime: runtime,
        }
    }

    /// `diff staging@live production@live --stat` finds the drift the bundled workspaces were
    /// made with (exit 1).
    pub fn assert_bundled_live_drift(&self) {
        let run = self
            .env
            .run(&["diff", "staging@live", "production@live", "--stat"]);
        assert_eq!(run.code, 1, "{run}");
        assert!(
            run.stdout
                .contains("2 modified, 1 added, 1 removed, 1 renamed, 2 unchanged"),
            "{run}"
        );
    }

    /// Every request so far was a read: a GET, or the export POST.
    pub fn assert_read_only(&self) {
        let entries = self.sim.log().entries();
        assert!(!entries.is_empty(), "the emulator saw no request");
        for entry in entries {
            let read = entry.method == "GET"
                || (entry.method == "POST" && entry.kind == Some(PathKind::Export));
            assert!(read, "a write request: {} {}", entry.method, entry.path);
        }
    }
}

#[test]
fn identical_environments_exit_0() {
    let live = Live::start();
    let run = live.env.run(&["diff", "staging@live", "staging@live"]);
    assert_eq!(run.code, 0, "{run}");
    assert_run!(live.env, run);
}

#[test]
fn staging_against_production_exits_1_and_only_reads() {
    let live = Live::start_with(
        SimConfig::default(),
        "[check]\npairs = [[\"staging@live\", \"production@live\"]]\n",
    );
    let run = live.env.run(&["check", "--stat"]);
    assert_eq!(run.code, 1, "{run}");
    for line in [
        "M Block malicious source IP",
        "M Notify on high-severity alert",
        "R Phishing triage -> Phishing mail triage",
        "D Enrich alert with context",
        "A Legacy ticket sync",
    ] {
        assert!(run.stdout.contains(line), "{line}\n{run}");
    }
    assert_run!(live.env, run);
    live.assert_read_only();
    let exports = live.sim.log().of_kind(PathKind::Export);
    assert!(!exports.is_empty(), "the check exported");
}

#[test]
fn a_wrong_secret_exits_2_without_showing_it() {
    let mut live = Live::start();
    live.env.var("HUAWEICLOUD_SDK_SK", "wrong-secret-value");
    let run = live.env.run(&["diff", "staging@live", "production@live"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("authentication failed"), "{run}");
    assert!(!run.stderr.contains("wrong-secret-value"), "{run}");
    assert!(!run.stderr.contains(soc_sim::DEFAULT_SECRET_KEY), "{run}");
    assert_run!(live.env, run);

    // The report's error object carries what the API error knows, found by type.
    let run = live
        .env
        .run(&["check", "staging@live", "production@live", "-o", "json"]);
    assert_eq!(run.code, 2, "{run}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let error = &doc["pairs"][0]["error"];
    assert_eq!(error["http_status"], 401, "{doc}");
    assert!(
        error["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{doc}"
    );
    assert!(!run.stdout.contains("wrong-secret-value"), "{run}");
}

#[test]
fn a_wrong_security_token_gets_a_hint_that_names_it() {
    use soc_sim::AccessKey;
    let temporary = || SimConfig {
        access_keys: vec![AccessKey::temporary(
            "TEMPAK0000000000000",
            "temp-sk",
            "sts-token-value",
        )],
        ..SimConfig::default()
    };
    // The SDK's names.
    let mut live = Live::start_with(temporary(), "");
    live.env
        .var("HUAWEICLOUD_SDK_AK", "TEMPAK0000000000000")
        .var("HUAWEICLOUD_SDK_SK", "temp-sk")
        .var("HUAWEICLOUD_SDK_SECURITY_TOKEN", "an-expired-token");
    let run = live.env.run(&["diff", "staging@live", "production@live"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(!run.stderr.contains("an-expired-token"), "{run}");
    assert!(
        run.stderr.contains(
            "hint: check HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_SECURITY_TOKEN (used for [env.staging])"
        ),
        "{run}"
    );
    // Terraform's names.
    let mut live = Live::start_with(temporary(), "");
    live.env
        // Empty counts as unset: the Terraform names are the ones in use.
        .var("HUAWEICLOUD_SDK_AK", "")
        .var("HUAWEICLOUD_SDK_SK", "")
        .var("HW_ACCESS_KEY", "TEMPAK0000000000000")
        .var("HW_SECRET_KEY", "temp-sk")
        .var("HW_SECURITY_TOKEN", "an-expired-token");
    let run = live.env.run(&["diff", "staging@live", "production@live"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("hint: check HW_ACCESS_KEY, HW_SECRET_KEY and HW_SECURITY_TOKEN"),
        "{run}"
    );
    // No token at all: the hint says temporary keys need one, and where it goes.
    let mut live = Live::start_with(temporary(), "");
    live.env
        .var("HUAWEICLOUD_SDK_AK", "TEMPAK0000000000000")
        .var("HUAWEICLOUD_SDK_SK", "temp-sk");
    let run = live.env.run(&["diff", "staging@live", "production@live"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains(
            "temporary keys also need their security token in HUAWEICLOUD_SDK_SECURITY_TOKEN or HW_SECURITY_TOKEN"
        ),
        "{run}"
    );
}

#[test]
fn a_missing_secret_names_the_variables() {
    let live = Live::start();
    let mut env = Env::new();
    std::fs::copy(
        live.env.path().join("socdrift.toml"),
        env.path().join("socdrift.toml"),
    )
    .unwrap();
    env.var("HUAWEICLOUD_SDK_AK", soc_sim::DEFAULT_ACCESS_KEY);
    let run = env.run(&["diff", "staging@live", "production@live"]);
    assert_eq!(run.code, 2, "{run}");
    assert_run!(env, run);
}

#[test]
fn export_formats_zip_gives_the_same_report() {
    let config = SimConfig {
        export_format: soc_sim::ExportFormat::Zip,
        ..SimConfig::default()
    };
    Live::start_with(config, "").assert_bundled_live_drift();
}

#[test]
fn password_auth_gets_a_token_from_iam() {
    let live = Live::start();
    let mut env = Env::new();
    let toml = std::fs::read_to_string(live.env.path().join("socdrift.toml"))
        .unwrap()
        .replace(
            "workspace = \"soc-staging\"\n",
            &format!(
                "workspace = \"soc-staging\"\nauth = \"password\"\niam_endpoint = \"{}\"\nuser_env = \"SIM_USER\"\n",
                live.sim.base_url()
            ),
        );
    env.write("socdrift.toml", &toml);
    env.var("SIM_USER", soc_sim::DEFAULT_USER)
        .var("HW_USER_PASSWORD", soc_sim::DEFAULT_PASSWORD)
        .var("HW_DOMAIN_NAME", soc_sim::DEFAULT_DOMAIN)
        .var("HUAWEICLOUD_SDK_AK", soc_sim::DEFAULT_ACCESS_KEY)
        .var("HUAWEICLOUD_SDK_SK", soc_sim::DEFAULT_SECRET_KEY);
    let run = env.run(&["diff", "staging@live", "production@live", "--stat"]);
    assert_eq!(run.code, 1, "{run}");
    let tokens = live.sim.log().of_kind(PathKind::IamToken);
    assert_eq!(tokens.len(), 1, "one token, cached for the whole run");

    env.var("HW_USER_PASSWORD", "not-the-password");
    let run = env.run(&["diff", "staging@live", "production@live", "--stat"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(!run.stderr.contains("not-the-password"), "{run}");
    assert!(
        run.stderr.contains("SIM_USER"),
        "the hint names the variables: {run}"
    );
}

#[test]
fn flaky_exports_are_retried_and_the_report_is_complete() {
    let config = SimConfig {
        faults: soc_sim::FaultConfig {
            seed: 7,
            error_rate: 1.0,
            only: vec![PathKind::Export],
            // The first three exports fail with 5xx; the client's retries get past them.
            first_requests: Some(3),
            ..soc_sim::FaultConfig::default()
        },
        ..SimConfig::default()
    };
    let live = Live::start_with(config, "");
    live.assert_bundled_live_drift();
    let failed = live
        .sim
        .log()
        .of_kind(PathKind::Export)
        .iter()
        .filter(|e| e.status >= 500)
        .count();
    assert_eq!(failed, 3, "the faults did happen");
}
