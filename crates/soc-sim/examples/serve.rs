//! Starts soc-sim with its defaults (bundled fixtures, default credentials) and prints the
//! banner; stops on Ctrl-C. Used by `scripts/sdk-interop.sh` until `socdrift sim` exists.
//!
//! Settings from the environment, all optional: `SOC_SIM_LISTEN` (default `127.0.0.1:0`),
//! `SOC_SIM_EXPORT_FORMAT` (`json` or `zip`), `SOC_SIM_TEMPORARY_KEY` (`AK:SK:SECURITY_TOKEN`, a
//! temporary key accepted besides the default one).

use std::io::Write;

use soc_sim::{AccessKey, Sim, SimConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = SimConfig::default();
    if let Ok(listen) = std::env::var("SOC_SIM_LISTEN") {
        config.listen = listen.parse()?;
    }
    if let Ok(format) = std::env::var("SOC_SIM_EXPORT_FORMAT") {
        config.export_format = format.parse()?;
    }
    if let Ok(spec) = std::env::var("SOC_SIM_TEMPORARY_KEY") {
        let mut parts = spec.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(ak), Some(sk), Some(token)) => {
                config.access_keys.push(AccessKey::temporary(ak, sk, token));
            }
            _ => return Err("SOC_SIM_TEMPORARY_KEY must be AK:SK:SECURITY_TOKEN".into()),
        }
    }
    let sim = Sim::start(config).await?;
    let mut out = std::io::stdout().lock();
    sim.write_banner(&mut out)?;
    out.flush()?;
    drop(out);
    let handle = sim.shutdown_handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            handle.shutdown();
        }
    });
    sim.wait().await?;
    Ok(())
}
