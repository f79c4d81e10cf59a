//! `socdrift sim` as a child process: banner first on stdout, clean stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::Env;

#[cfg(unix)]
#[test]
fn sim_prints_its_banner_serves_and_stops_on_sigterm() {
    let env = Env::new();
    let mut child = env
        .command(&["sim", "--export-format", "zip"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = Vec::new();
    for _ in 0..4 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        banner.push(line.trim_end().to_string());
    }
    let url = banner[0].strip_prefix("listening on ").unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{banner:?}");
    assert_eq!(
        banner[1],
        format!("project {}", soc_sim::DEFAULT_PROJECT_ID)
    );
    assert!(
        banner[2].starts_with("workspace soc-staging "),
        "{banner:?}"
    );
    assert!(
        banner[3].starts_with("workspace soc-production "),
        "{banner:?}"
    );

    // It serves: the port accepts connections, and (where curl exists) an unsigned request is
    // answered by the gateway's 401.
    std::net::TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    let answer = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!(
            "{url}/v1/{}/workspaces",
            soc_sim::DEFAULT_PROJECT_ID
        ))
        .output();
    if let Ok(answer) = answer {
        assert_eq!(String::from_utf8_lossy(&answer.stdout), "401");
    }

    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "a stop by SIGTERM is a clean exit");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.ends_with("stopped\n"), "{stderr}");
}

#[test]
fn sim_flags_are_checked() {
    let env = Env::new();
    let run = env.run(&["sim", "--error-rate", "2"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`2` is not a number from 0 to 1"),
        "{run}"
    );
    let run = env.run(&["sim", "--fault-only", "exports", "--listen", "127.0.0.1:0"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--fault-only: unknown path kind"),
        "{run}"
    );
}
