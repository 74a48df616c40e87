//! Runners: agents on the machines where the code is. The hub's side:
//! the runners linked to this server and their agent processes
//! (`links.rs`), the link itself (`http/runner_link.rs`), and runner
//! records (`store/runners.rs`). The runner's own side is `runner/`.

pub mod links;

/// Ends the runs of runners gone longer than their timeout, every second.
pub async fn expire_gone(links: std::sync::Arc<links::Links>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
        let ended = links.expire();
        if ended > 0 {
            tracing::warn!(
                ended,
                "runners out of reach too long: their sessions end as interrupted"
            );
        }
    }
}
