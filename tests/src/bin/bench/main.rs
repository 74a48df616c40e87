//! `cargo xtask bench`: Tandem's speed as figures anyone can reproduce.
//! Every run starts a release server on loopback with the scriptable test
//! agent standing in for a model, drives it with bounded load, and prints
//! one table (also written as JSON under `target/bench/`).
//!
//! Usage: `tandem-bench <release bin dir> <frontend dist dir> <output dir>`.

mod browser;
mod server;
mod spread;
mod usage;
mod viewer;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::json;
use server::Server;
use spread::{repeated, runs, spread_of};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use viewer::{connect, percentile, subscribe, watch};

#[derive(Debug, Serialize)]
struct Row {
    what: String,
    figure: String,
    target: String,
    met: Option<bool>,
}

fn row(what: &str, figure: String, target: &str, met: Option<bool>) -> Row {
    Row {
        what: what.into(),
        figure,
        target: target.into(),
        met,
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let bin_dir = PathBuf::from(args.next().context("release bin dir")?);
    let dist = PathBuf::from(args.next().context("frontend dist dir")?);
    let out_dir = PathBuf::from(args.next().context("output dir")?);
    let mut rows = Vec::new();
    // `TANDEM_BENCH_ONLY=live,fanout` runs only those rows (to repeat a
    // noisy one); every row runs by default.
    let only = std::env::var("TANDEM_BENCH_ONLY").ok();
    let wants = |key: &str| {
        only.as_deref()
            .is_none_or(|list| list.split(',').any(|k| k.trim() == key))
    };

    if wants("start") {
        rows.extend(start_and_idle(&bin_dir).await?);
    }
    if wants("spawn") {
        rows.push(spawn_to_first_event(&bin_dir).await?);
    }
    if wants("ingest") {
        rows.extend(ingest_and_replay(&bin_dir).await?);
    }
    if wants("tools") {
        rows.push(tool_call_ingest(&bin_dir).await?);
    }
    if wants("live") {
        rows.push(live_latency(&bin_dir).await?);
    }
    if wants("fanout") {
        rows.push(fan_out(&bin_dir).await?);
    }
    if wants("fanout3") {
        rows.push(fan_out_across_servers(&bin_dir).await?);
    }
    if wants("idle") {
        rows.push(idle_viewers(&bin_dir).await?);
    }
    if wants("watched") {
        rows.push(watched_changes(&bin_dir).await?);
    }
    if wants("slow") {
        rows.push(slow_viewers(&bin_dir).await?);
    }
    if wants("usage") {
        rows.push(usage::year_of_usage(runs()).await?);
    }
    if wants("bundle") {
        rows.push(bundle_size(&dist)?);
    }
    if wants("wire") {
        rows.push(wire_row(&bin_dir, &dist).await);
    }
    if wants("browser") {
        rows.push(browser_row(&bin_dir, &dist).await);
    }

    print_table(&rows);
    println!(
        "rows measured more than once show the median, then (least–most) over {} runs",
        runs()
    );
    std::fs::create_dir_all(&out_dir)?;
    let machine = format!(
        "{} cores, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(
                |info| info.lines().find(|l| l.starts_with("model name")).map(|l| l
                    .split(':')
                    .nth(1)
                    .unwrap_or("")
                    .trim()
                    .to_owned())
            )
            .unwrap_or_default()
    );
    std::fs::write(
        out_dir.join("results.json"),
        serde_json::to_string_pretty(&json!({"machine": machine, "runs": runs(), "rows": rows}))?,
    )?;
    println!("machine: {machine}");
    Ok(())
}

async fn wire_row(bin_dir: &Path, dist: &Path) -> Row {
    const WHAT: &str = "bytes on the wire to load the app in Chromium: cold / warm";
    const TARGET: &str = "cold < 300 KB";
    match browser::load_the_app(bin_dir, dist).await {
        Ok(wire) => {
            let cold = wire.cold_bytes as f64 / 1024.0;
            row(
                WHAT,
                format!("{cold:.0} KB / {:.1} KB", wire.warm_bytes as f64 / 1024.0),
                TARGET,
                Some(cold < 300.0),
            )
        }
        Err(error) => row(WHAT, format!("not measured: {error}"), TARGET, None),
    }
}

async fn browser_row(bin_dir: &Path, dist: &Path) -> Row {
    const WHAT: &str =
        "open a 100,000-event session in headless Chromium to first transcript paint (cold)";
    const TARGET: &str = "< 500 ms, ≤ 500 rows in the DOM";
    match browser::open_long_session(bin_dir, dist, runs()).await {
        Ok(opened) => {
            let paint = spread_of(&opened, |o| o.first_paint_ms);
            let rows = opened.iter().map(|o| o.rows).max().unwrap_or(0);
            // Medians of the moments before the paint: where its time went.
            let moments: Vec<String> = opened
                .first()
                .map(|o| o.moments.len())
                .map(|count| {
                    (0..count)
                        .filter_map(|i| {
                            let mut at: Vec<f64> =
                                opened.iter().filter_map(|o| o.moments[i].1).collect();
                            at.sort_by(f64::total_cmp);
                            let name = opened[0].moments[i].0;
                            at.get(at.len() / 2).map(|ms| format!("{name} {ms:.0}"))
                        })
                        .collect()
                })
                .unwrap_or_default();
            row(
                WHAT,
                format!(
                    "{} ms (after: {}; a polling script saw it at {} ms); all {} events folded in at {} ms; {rows} rows in the DOM",
                    paint.show(0),
                    moments.join(", "),
                    spread_of(&opened, |o| o.seen_by_poll_ms).show(0),
                    browser::EVENTS,
                    spread_of(&opened, |o| o.all_folded_ms).show(0),
                ),
                TARGET,
                Some(paint.median < 500.0 && rows <= 500),
            )
        }
        Err(error) => row(WHAT, format!("not measured: {error}"), TARGET, None),
    }
}

fn print_table(rows: &[Row]) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "| what | figure | target | |\n| --- | --- | --- | --- |"
    );
    for r in rows {
        let mark = match r.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "—",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            r.what, r.figure, r.target, mark
        );
    }
}

async fn start_and_idle(bin: &Path) -> Result<Vec<Row>> {
    let mut times = Vec::new();
    let mut rss = 0.0;
    for _ in 0..5 {
        let server = Server::start(bin).await?;
        times.push(server.started_in);
        tokio::time::sleep(Duration::from_millis(300)).await;
        rss = server.rss_mb()?;
    }
    times.sort();
    let median = times[times.len() / 2];
    Ok(vec![
        row(
            "server start to first answer (median of 5)",
            format!("{} ms", median.as_millis()),
            "< 200 ms",
            Some(median < Duration::from_millis(200)),
        ),
        row(
            "idle server RSS",
            format!("{rss:.1} MB"),
            "< 30 MB",
            Some(rss < 30.0),
        ),
    ])
}

/// From creating a session to the first event a viewer sees, less the test
/// agent's own start (spawn to its `initialize` answer, measured alone).
async fn spawn_to_first_event(bin: &Path) -> Result<Row> {
    let agent_start = {
        let mut total = Duration::ZERO;
        for _ in 0..5 {
            let started = Instant::now();
            let mut child = tokio::process::Command::new(bin.join("test-agent"))
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()?;
            use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
            let mut stdin = child.stdin.take().context("stdin")?;
            stdin
                .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":1}}\n")
                .await?;
            let mut lines =
                tokio::io::BufReader::new(child.stdout.take().context("stdout")?).lines();
            lines.next_line().await?;
            total += started.elapsed();
        }
        total / 5
    };
    let server = Server::start(bin).await?;
    let assistant = server
        .assistant("spawn", json!([{"do": "message", "text": "hi"}]))
        .await?;
    let median = first_event_median(&server, &assistant).await?;
    // The same in a git workspace: each session gets a worktree of its own
    // on its own branch before its agent starts.
    let in_git = server
        .assistant("spawn-git", json!([{"do": "message", "text": "hi"}]))
        .await?;
    let repo = server.data.path().join("ws-spawn-git");
    let made = std::process::Command::new("sh")
        .arg("-c")
        .arg(
            "git init -q -b main && git -c user.name=b -c user.email=b@b commit -q --allow-empty -m start \
             && for i in $(seq 1 200); do echo $i > file-$i.txt; done && git add -A \
             && git -c user.name=b -c user.email=b@b commit -qm files",
        )
        .current_dir(&repo)
        .status()?;
    anyhow::ensure!(made.success(), "could not make the bench's git workspace");
    let with_worktree = first_event_median(&server, &in_git).await?;
    let beyond = median.saturating_sub(agent_start);
    Ok(row(
        "agent spawn → first transcript event, beyond the agent's own start (median of 10)",
        format!(
            "{} ms (total {} ms, agent start {} ms); in a git workspace of 200 files, a worktree per session: {} ms total",
            beyond.as_millis(),
            median.as_millis(),
            agent_start.as_millis(),
            with_worktree.as_millis()
        ),
        "< 20 ms",
        Some(beyond < Duration::from_millis(20)),
    ))
}

/// New sessions of `assistant`, ten times: from the request to the first
/// event a subscribed viewer receives; the median.
async fn first_event_median(server: &Server, assistant: &str) -> Result<Duration> {
    let mut samples = Vec::new();
    for _ in 0..10 {
        let mut socket = connect(&server.ws_url(), &server.token).await?;
        let started = Instant::now();
        let session = server.session(assistant).await?;
        subscribe(&mut socket, &session, 0).await?;
        // The first event of a new session is written once the agent
        // answered session/new (the continuity note).
        use futures_util::StreamExt;
        loop {
            let Some(Ok(message)) = socket.next().await else {
                break;
            };
            if message.to_text().is_ok_and(|t| t.contains("\"events\"")) {
                break;
            }
        }
        samples.push(started.elapsed());
        watch(&mut socket, 1, Duration::from_secs(10)).await;
    }
    samples.sort();
    Ok(samples[samples.len() / 2])
}

/// One agent streams 100,000 chunks flat out; a viewer times the pipeline
/// (actor → store → hub → socket). Then a fresh viewer replays it from 0.
struct IngestRun {
    rate: f64,
    replay_secs: f64,
    written: u64,
    replayed: u64,
    gaps: u64,
    duplicates: u64,
}

async fn ingest_once(bin: &Path) -> Result<IngestRun> {
    const COUNT: u64 = 100_000;
    let server = Server::start(bin).await?;
    let assistant = server
        .assistant(
            "ingest",
            json!([{"do": "stream", "count": COUNT, "interval_ms": 0}]),
        )
        .await?;
    let mut socket = connect(&server.ws_url(), &server.token).await?;
    let session = server.session(&assistant).await?;
    subscribe(&mut socket, &session, 0).await?;
    let started = Instant::now();
    let seen = watch(&mut socket, 1, Duration::from_secs(300)).await;
    let rate = seen.events as f64 / started.elapsed().as_secs_f64();

    let mut replay = connect(&server.ws_url(), &server.token).await?;
    let started = Instant::now();
    subscribe(&mut replay, &session, 0).await?;
    let replayed = watch(&mut replay, 1, Duration::from_secs(60)).await;
    Ok(IngestRun {
        rate,
        replay_secs: started.elapsed().as_secs_f64(),
        written: seen.events,
        replayed: replayed.events,
        gaps: replayed.gaps,
        duplicates: replayed.duplicates,
    })
}

async fn ingest_and_replay(bin: &Path) -> Result<Vec<Row>> {
    let measured = repeated(async || ingest_once(bin).await).await?;
    let rate = spread_of(&measured, |r| r.rate);
    let replay = spread_of(&measured, |r| r.replay_secs);
    let whole = measured
        .iter()
        .all(|r| r.replayed == r.written && r.gaps == 0 && r.duplicates == 0);
    let (gaps, duplicates) = measured
        .iter()
        .fold((0, 0), |(g, d), r| (g + r.gaps, d + r.duplicates));
    Ok(vec![
        row(
            "sustained ingest of 100,000 chunks, actor → store → hub → viewer, SQLite",
            format!("{} events/s", rate.show(0)),
            "≥ 50,000 events/s",
            Some(rate.median >= 50_000.0),
        ),
        row(
            "replay of a 100,000-event transcript over the WebSocket from seq 0",
            format!(
                "{} s ({gaps} gaps, {duplicates} duplicates over all runs)",
                replay.show(2)
            ),
            "< 1 s",
            Some(replay.median < 1.0 && whole),
        ),
    ])
}

/// Sessions of 20k … 160k tool calls (each announced, then completed):
/// every event's cost must stay flat as a session grows, so the time grows
/// with the count, not its square. A size that takes longer than the
/// deadline is reported so, and the larger ones are not tried.
async fn tool_call_ingest(bin: &Path) -> Result<Row> {
    const COUNTS: [u64; 4] = [20_000, 40_000, 80_000, 160_000];
    const DEADLINE: Duration = Duration::from_secs(120);
    let server = Server::start(bin).await?;
    let mut figures = Vec::new();
    let mut times = Vec::new();
    for count in COUNTS {
        let assistant = server
            .assistant(
                &format!("tools-{count}"),
                json!([{"do": "tool_calls", "count": count}]),
            )
            .await?;
        let mut socket = connect(&server.ws_url(), &server.token).await?;
        let session = server.session(&assistant).await?;
        subscribe(&mut socket, &session, 0).await?;
        let started = Instant::now();
        let seen = watch(&mut socket, 1, DEADLINE).await;
        if seen.ended != 1 {
            figures.push(format!("> {} s", DEADLINE.as_secs()));
            break;
        }
        let secs = started.elapsed().as_secs_f64();
        times.push(secs);
        figures.push(format!("{secs:.1} s"));
    }
    let ratio = (times.len() == COUNTS.len()).then(|| times[3] / times[0]);
    Ok(row(
        "ingest of sessions of 20k / 40k / 80k / 160k tool calls (announce + complete each)",
        format!(
            "{}{}",
            figures.join(" / "),
            ratio
                .map(|r| format!("; 160k takes {r:.1}× 20k"))
                .unwrap_or_default()
        ),
        "linear: 160k ≤ 10× 20k",
        Some(ratio.is_some_and(|r| r <= 10.0)),
    ))
}

/// 100 live sessions, each streaming 50 stamped events/s for 10 s, watched
/// by ten sockets of ten subscriptions.
struct LiveRun {
    p50: f64,
    p99: f64,
    p999: f64,
    events: usize,
    gaps: u64,
    duplicates: u64,
    kb_per_event: f64,
    wal_peak_mb: f64,
    cpu: f64,
}

async fn live_once(bin: &Path) -> Result<LiveRun> {
    const SESSIONS: usize = 100;
    let server = Server::start(bin).await?;
    // Every session waits before it streams, so all of them are made and
    // watched first: an event the bench itself reads late is not the
    // server's latency.
    const SET_UP_MS: u64 = 4000;
    let assistant = server
        .assistant(
            "live",
            json!([
                {"do": "sleep", "ms": SET_UP_MS},
                {"do": "timed_stream", "count": 500, "interval_ms": 20}
            ]),
        )
        .await?;
    let setting_up = Instant::now();
    let mut sockets = Vec::new();
    for _ in 0..10 {
        sockets.push(connect(&server.ws_url(), &server.token).await?);
    }
    let written_before = server.disk_written_bytes()?;
    let cpu_before = server.cpu_seconds()?;
    for i in 0..SESSIONS {
        let session = server.session(&assistant).await?;
        subscribe(&mut sockets[i % 10], &session, 0).await?;
    }
    let watchers: Vec<_> = sockets
        .into_iter()
        .map(|mut socket| {
            tokio::spawn(async move {
                watch(&mut socket, SESSIONS / 10, Duration::from_secs(120)).await
            })
        })
        .collect();
    if setting_up.elapsed() > Duration::from_millis(SET_UP_MS) {
        bail!("making and watching 100 sessions took longer than their agents waited");
    }
    // The write-ahead log's size while the sessions run: it must stay
    // bounded however long they write.
    let wal_peak = {
        let mut peak = 0;
        while !watchers.iter().all(|w| w.is_finished()) {
            peak = peak.max(server.wal_bytes());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        peak
    };
    let mut latencies = Vec::new();
    let (mut gaps, mut dups, mut events) = (0, 0, 0u64);
    for watcher in watchers {
        let seen = watcher.await?;
        latencies.extend(seen.latencies);
        gaps += seen.gaps;
        dups += seen.duplicates;
        events += seen.events;
    }
    let written = server.disk_written_bytes()? - written_before;
    let cpu = server.cpu_seconds()? - cpu_before;
    latencies.sort_unstable();
    Ok(LiveRun {
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
        p999: percentile(&latencies, 99.9),
        events: latencies.len(),
        gaps,
        duplicates: dups,
        kb_per_event: written as f64 / 1024.0 / events.max(1) as f64,
        wal_peak_mb: wal_peak as f64 / 1024.0 / 1024.0,
        cpu,
    })
}

async fn live_latency(bin: &Path) -> Result<Row> {
    let measured = repeated(async || live_once(bin).await).await?;
    let p99 = spread_of(&measured, |r| r.p99);
    let (events, gaps, dups) = measured.iter().fold((0, 0, 0), |(e, g, d), r| {
        (e + r.events, g + r.gaps, d + r.duplicates)
    });
    Ok(row(
        "agent line → viewer, 100 live sessions × 50 events/s",
        format!(
            "p50 {} ms, p99 {} ms, p999 {} ms ({events} events, {gaps} gaps, {dups} dup over all runs); \
             {} KB written per event, WAL peak {} MB; server CPU {} s",
            spread_of(&measured, |r| r.p50).show(2),
            p99.show(2),
            spread_of(&measured, |r| r.p999).show(2),
            spread_of(&measured, |r| r.kb_per_event).show(1),
            spread_of(&measured, |r| r.wal_peak_mb).show(0),
            spread_of(&measured, |r| r.cpu).show(1),
        ),
        "p99 < 5 ms",
        Some(p99.median < 5.0 && gaps == 0 && dups == 0),
    ))
}

/// One session at 100 events/s for 10 s, watched by 1,000 sockets.
struct FanOutRun {
    p50: f64,
    p99: f64,
    p999: f64,
    lost: u64,
    duplicates: u64,
}

async fn fan_out_once(bin: &Path) -> Result<FanOutRun> {
    const VIEWERS: usize = 1000;
    const EVENTS: u64 = 1000;
    let server = Server::start(bin).await?;
    let assistant = server
        .assistant("fan", json!([{"do": "sleep", "ms": 2000}, {"do": "timed_stream", "count": EVENTS, "interval_ms": 10}]))
        .await?;
    let session = server.session(&assistant).await?;
    let mut watchers = Vec::new();
    watch_from(&server, &session, VIEWERS, &mut watchers).await?;
    fan_out_seen(watchers, EVENTS).await
}

/// `count` sockets on `server` watching `session`, each its own task.
async fn watch_from(
    server: &Server,
    session: &str,
    count: usize,
    watchers: &mut Vec<tokio::task::JoinHandle<viewer::Seen>>,
) -> Result<()> {
    for _ in 0..count {
        let mut socket = connect(&server.ws_url(), &server.token).await?;
        subscribe(&mut socket, session, 0).await?;
        watchers.push(tokio::spawn(async move {
            watch(&mut socket, 1, Duration::from_secs(120)).await
        }));
    }
    Ok(())
}

/// What the watchers saw of `events` stamped events: latencies, losses,
/// duplicates.
async fn fan_out_seen(
    watchers: Vec<tokio::task::JoinHandle<viewer::Seen>>,
    events: u64,
) -> Result<FanOutRun> {
    let mut latencies = Vec::new();
    let (mut lost, mut duplicates) = (0u64, 0u64);
    for watcher in watchers {
        let seen = watcher.await?;
        lost += events.saturating_sub(seen.latencies.len() as u64);
        duplicates += seen.duplicates;
        latencies.extend(seen.latencies);
    }
    latencies.sort_unstable();
    Ok(FanOutRun {
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
        p999: percentile(&latencies, 99.9),
        lost,
        duplicates,
    })
}

async fn fan_out(bin: &Path) -> Result<Row> {
    let measured = repeated(async || fan_out_once(bin).await).await?;
    let p99 = spread_of(&measured, |r| r.p99);
    let (lost, dups) = measured
        .iter()
        .fold((0, 0), |(l, d), r| (l + r.lost, d + r.duplicates));
    Ok(row(
        "fan-out: one session at 100 events/s to 1,000 viewers",
        format!(
            "p50 {} ms, p99 {} ms, p999 {} ms; {lost} lost, {dups} duplicated over all runs",
            spread_of(&measured, |r| r.p50).show(2),
            p99.show(2),
            spread_of(&measured, |r| r.p999).show(2),
        ),
        "p99 < 50 ms, 0 lost, 0 duplicated",
        Some(p99.median < 50.0 && lost == 0 && dups == 0),
    ))
}

/// Viewers per server in the three-server fan-out (1,002 in all).
const SPREAD_VIEWERS: usize = 334;

/// The same session and stream as `fan_out_once`, run by one of three
/// servers on one PostgreSQL database, its viewers spread evenly over all
/// three: two thirds of them get each batch through the database.
async fn fan_out_across_servers_once(bin: &Path, admin_url: &str) -> Result<FanOutRun> {
    const EVENTS: u64 = 1000;
    let database = tandem_tests::fresh_database(admin_url, "tandem_bench")
        .await
        .map_err(anyhow::Error::msg)?;
    let first = Server::start_on(bin, &database, None).await?;
    let second = Server::start_on(bin, &database, Some(&first)).await?;
    let third = Server::start_on(bin, &database, Some(&first)).await?;
    let assistant = first
        .assistant("fan", json!([{"do": "sleep", "ms": 3000}, {"do": "timed_stream", "count": EVENTS, "interval_ms": 10}]))
        .await?;
    let session = first.session(&assistant).await?;
    let mut watchers = Vec::new();
    for server in [&first, &second, &third] {
        watch_from(server, &session, SPREAD_VIEWERS, &mut watchers).await?;
    }
    fan_out_seen(watchers, EVENTS).await
}

async fn fan_out_across_servers(bin: &Path) -> Result<Row> {
    let what = "fan-out across three servers on PostgreSQL: one session at 100 events/s \
                to 1,002 viewers, 334 on each";
    let Some(admin_url) = std::env::var("TANDEM_BENCH_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        return Ok(row(
            what,
            "not run: no PostgreSQL (cargo xtask bench sets TANDEM_BENCH_DATABASE_URL)".into(),
            "p99 < 50 ms, 0 lost, 0 duplicated",
            None,
        ));
    };
    let measured = repeated(async || fan_out_across_servers_once(bin, &admin_url).await).await?;
    let p99 = spread_of(&measured, |r| r.p99);
    let (lost, dups) = measured
        .iter()
        .fold((0, 0), |(l, d), r| (l + r.lost, d + r.duplicates));
    Ok(row(
        what,
        format!(
            "p50 {} ms, p99 {} ms, p999 {} ms; {lost} lost, {dups} duplicated over all runs",
            spread_of(&measured, |r| r.p50).show(2),
            p99.show(2),
            spread_of(&measured, |r| r.p999).show(2),
        ),
        "p99 < 50 ms, 0 lost, 0 duplicated",
        Some(p99.median < 50.0 && lost == 0 && dups == 0),
    ))
}

async fn idle_viewers(bin: &Path) -> Result<Row> {
    const SOCKETS: usize = 10_000;
    let server = Server::start(bin).await?;
    let mut sockets = Vec::with_capacity(SOCKETS);
    for _ in 0..SOCKETS {
        match connect(&server.ws_url(), &server.token).await {
            Ok(socket) => sockets.push(socket),
            Err(_) => break,
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss = server.rss_mb()?;
    let opened = sockets.len();
    drop(sockets);
    Ok(row(
        "idle connected viewers: 10,000 sockets",
        format!("server RSS {rss:.0} MB with {opened} sockets"),
        "server RSS < 300 MB",
        Some(opened == SOCKETS && rss < 300.0),
    ))
}

/// What every change costs while many people watch: sessions made one
/// after another with no socket open, then with 1,000 idle sockets (each
/// gets every sidebar update): the time to create one, and the server's
/// CPU for the whole run of sessions.
/// Each run: (p50, p99, CPU) with none watching, then with 1,000.
struct WatchedRun {
    none: (f64, f64, f64),
    watched: (f64, f64, f64),
}

async fn watched_once(bin: &Path) -> Result<WatchedRun> {
    const SOCKETS: usize = 1000;
    const SESSIONS: usize = 100;
    let server = Server::start(bin).await?;
    let assistant = server
        .assistant("quick", json!([{"do": "message", "text": "done"}]))
        .await?;
    let mut measured = Vec::new();
    let mut sockets = Vec::new();
    for watchers in [0, SOCKETS] {
        while sockets.len() < watchers {
            sockets.push(connect(&server.ws_url(), &server.token).await?);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let cpu_before = server.cpu_seconds()?;
        let mut latencies = Vec::with_capacity(SESSIONS);
        for _ in 0..SESSIONS {
            let started = Instant::now();
            server.session(&assistant).await?;
            latencies.push(started.elapsed().as_micros() as u64);
        }
        // Let the runs end and their updates go out.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let cpu = server.cpu_seconds()? - cpu_before;
        latencies.sort_unstable();
        measured.push((
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0),
            cpu,
        ));
    }
    drop(sockets);
    let [none, watched] = measured[..] else {
        anyhow::bail!("two runs");
    };
    Ok(WatchedRun { none, watched })
}

async fn watched_changes(bin: &Path) -> Result<Row> {
    let measured = repeated(async || watched_once(bin).await).await?;
    let p99 = spread_of(&measured, |r| r.watched.1);
    Ok(row(
        "create 100 sessions while 1,000 idle sockets watch (vs none)",
        format!(
            "create p50 {} ms, p99 {} ms, server CPU {} s (none watching: p50 {} ms, p99 {} ms, CPU {} s)",
            spread_of(&measured, |r| r.watched.0).show(1),
            p99.show(1),
            spread_of(&measured, |r| r.watched.2).show(1),
            spread_of(&measured, |r| r.none.0).show(1),
            spread_of(&measured, |r| r.none.1).show(1),
            spread_of(&measured, |r| r.none.2).show(1),
        ),
        "p99 < 20 ms",
        Some(p99.median < 20.0),
    ))
}

/// Viewers that subscribe from the start of a 100 MB transcript and never
/// read: what each costs the server, and whether it all comes back.
async fn slow_viewers(bin: &Path) -> Result<Row> {
    const VIEWERS: usize = 1000;
    const MESSAGES: usize = 2000;
    let server = Server::start(bin).await?;
    let big = "y".repeat(50_000);
    let steps: Vec<serde_json::Value> = (0..MESSAGES)
        .map(|n| json!({"do": "message", "text": format!("{n}:{big}")}))
        .collect();
    let assistant = server.assistant("large", json!(steps)).await?;
    let mut reader = connect(&server.ws_url(), &server.token).await?;
    let session = server.session(&assistant).await?;
    subscribe(&mut reader, &session, 0).await?;
    let written = watch(&mut reader, 1, Duration::from_secs(600)).await;
    drop(reader);
    // The server gives freed memory back every 5 s.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let baseline = server.rss_mb()?;
    let mut sockets = Vec::with_capacity(VIEWERS);
    for _ in 0..VIEWERS {
        let mut socket = connect(&server.ws_url(), &server.token).await?;
        subscribe(&mut socket, &session, 0).await?;
        sockets.push(socket);
    }
    let mut peak = baseline;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak = peak.max(server.rss_mb()?);
    }
    drop(sockets);
    tokio::time::sleep(Duration::from_secs(8)).await;
    let after = server.rss_mb()?;
    Ok(row(
        "1,000 viewers that never read, subscribed from seq 0 to a 100 MB transcript",
        format!(
            "server RSS {baseline:.0} MB → peak {peak:.0} MB (+{:.0} KB per viewer) → {after:.0} MB after they left ({} events, {:.0} MB)",
            (peak - baseline) * 1024.0 / VIEWERS as f64,
            written.events,
            (MESSAGES * big.len()) as f64 / 1e6
        ),
        "peak < 500 MB",
        Some(peak < 500.0),
    ))
}

/// The sizes the server sends: the build's precompressed copies when they
/// are there, else compressed here as the build would.
fn compressed_sizes(path: &Path) -> Result<(usize, usize)> {
    let sibling = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::fs::metadata(PathBuf::from(name))
            .ok()
            .map(|m| m.len() as usize)
    };
    if let (Some(brotli), Some(gzip)) = (sibling(".br"), sibling(".gz")) {
        return Ok((brotli, gzip));
    }
    let bytes = std::fs::read(path)?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&bytes)?;
    let gzip = encoder.finish()?.len();
    // Quality 11, a 4 MiB window.
    let mut compressed = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut compressed, 64 * 1024, 11, 22);
        writer.write_all(&bytes)?;
    }
    Ok((compressed.len(), gzip))
}

/// WASM + JS compressed as the build does: what the first load carries
/// (everything but the pieces the page lists as loaded on first use), and
/// with every piece.
fn bundle_size(dist: &Path) -> Result<Row> {
    let index = std::fs::read_to_string(dist.join("index.html"))?;
    let pieces: Vec<String> = index
        .split_once("id=\"tandem-pieces\">")
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map(|(list, _)| serde_json::from_str(list))
        .transpose()?
        .unwrap_or_default();
    let (mut first, mut all) = ((0usize, 0usize), (0usize, 0usize));
    for entry in std::fs::read_dir(dist)? {
        let path = entry?.path();
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("wasm" | "js")
        ) {
            continue;
        }
        let (brotli, gzip) = compressed_sizes(&path)?;
        all = (all.0 + brotli, all.1 + gzip);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !pieces
            .iter()
            .any(|piece| piece.trim_start_matches('/') == name)
        {
            first = (first.0 + brotli, first.1 + gzip);
        }
    }
    let kb = |bytes: usize| bytes as f64 / 1024.0;
    Ok(row(
        "frontend: WASM + JS of the first load, brotli / gzip",
        format!(
            "{:.0} KB / {:.0} KB (with all {} pieces loaded on first use: {:.0} KB / {:.0} KB)",
            kb(first.0),
            kb(first.1),
            pieces.len(),
            kb(all.0),
            kb(all.1)
        ),
        "< 250 KB brotli, < 300 KB gzip",
        Some(kb(first.0) < 250.0 && kb(first.1) < 300.0),
    ))
}
