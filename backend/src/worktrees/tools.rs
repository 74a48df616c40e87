//! What a server offers besides merging: a push where the repository has a
//! remote, a pull request where the `gh` CLI is installed and logged in.
//! Absent tools are reported as absent, never as errors.

use super::repo::Repo;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tandem_shared::changes::LandingTools;

/// How long what `gh` said of itself is believed.
const GH_KNOWN_FOR: Duration = Duration::from_secs(300);

static GH: Mutex<Option<(Instant, Result<(), String>)>> = Mutex::new(None);

pub async fn landing_tools(repo: Option<&Repo>) -> LandingTools {
    let remote = match repo {
        Some(repo) => repo.remote().await,
        None => None,
    };
    let gh = match remote {
        Some(_) => gh_ready().await,
        None => Err("the repository has no remote".to_owned()),
    };
    LandingTools {
        remote,
        pull_requests: gh.is_ok(),
        pull_requests_absent: gh.err(),
    }
}

/// `gh auth status`, remembered for a while (it may ask the network).
pub async fn gh_ready() -> Result<(), String> {
    if let Some((at, known)) = GH
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
    {
        if at.elapsed() < GH_KNOWN_FOR {
            return known.clone();
        }
    }
    let checked = tokio::time::timeout(
        Duration::from_secs(15),
        tokio::process::Command::new("gh")
            .args(["auth", "status"])
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await;
    let known = match checked {
        Err(_) => Err("`gh auth status` did not answer".to_owned()),
        Ok(Err(_)) => Err("the gh CLI is not installed on the server".to_owned()),
        Ok(Ok(output)) if output.status.success() => Ok(()),
        Ok(Ok(_)) => Err("the gh CLI is not logged in on the server (`gh auth login`)".to_owned()),
    };
    *GH.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
        Some((Instant::now(), known.clone()));
    known
}
