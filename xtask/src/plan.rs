//! Progress with an estimate. Each step says what it does, about how long
//! it takes, and about how long is left in all; when it ends, how long it
//! took. A step's estimate is its time on this machine's last run (kept in
//! `target/xtask/timings`), or else what it took on a fresh two-core
//! machine (the figures below), so the first run's estimate is honest too.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Seconds each step took on a fresh two-core machine, with nothing
/// compiled yet and Tandem compiling alongside the web app (13 min 54 s in
/// all, from a clean clone to serving, xtask's own compile included).
const FIRST_RUN: [(&str, u64); 9] = [
    ("adding the wasm32 target", 30),
    ("installing the wasm-bindgen CLI", 330),
    ("installing wasm-opt from npm", 10),
    ("compiling the web app to WASM", 276),
    ("binding and optimising the WASM", 150),
    ("compressing the web app", 35),
    ("compiling Tandem (release)", 798),
    ("clippy", 300),
    ("compiling and running the tests", 900),
];

pub struct Plan {
    file: PathBuf,
    /// Steps still to come, with their estimates, in order.
    ahead: Vec<(String, u64)>,
    timings: BTreeMap<String, u64>,
    current: Option<(String, Instant)>,
    /// A step running beside the others: its name, start and estimate.
    beside: Option<(String, Instant, u64)>,
    started: Instant,
}

/// A command running beside the plan's steps, its output in a log.
pub struct Alongside {
    child: Child,
    log: PathBuf,
}

impl Alongside {
    /// Stops it: what it was for failed.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Plan {
    /// A plan of `steps`, in the order they will run.
    pub fn new(root: &Path, steps: &[&str]) -> Plan {
        let file = root.join("target/xtask/timings");
        let timings = read_timings(&file);
        let ahead = steps
            .iter()
            .map(|step| (step.to_string(), estimate(&timings, step)))
            .collect();
        Plan {
            file,
            ahead,
            timings,
            current: None,
            beside: None,
            started: Instant::now(),
        }
    }

    /// A step that need not run (its tool is there already).
    pub fn skip(&mut self, step: &str) {
        self.ahead.retain(|(name, _)| name != step);
    }

    pub fn begin(&mut self, step: &str) {
        self.end();
        let guess = estimate(&self.timings, step);
        self.skip(step);
        let left = self.left(guess);
        println!(
            "==> {step} (about {}; about {} left in all)",
            minutes(guess),
            minutes(left)
        );
        self.current = Some((step.to_owned(), Instant::now()));
    }

    /// About how long is left: the steps ahead one after the other, or the
    /// step running beside them if it ends later.
    fn left(&self, current: u64) -> u64 {
        let ahead = current + self.ahead.iter().map(|(_, s)| s).sum::<u64>();
        let beside = self.beside.as_ref().map_or(0, |(_, began, guess)| {
            guess.saturating_sub(began.elapsed().as_secs())
        });
        ahead.max(beside)
    }

    /// Starts `step` (the command `make` gives) beside the steps that follow;
    /// its output goes to `log`.
    pub fn alongside(
        &mut self,
        step: &str,
        log: &Path,
        make: impl FnOnce() -> Command,
    ) -> Result<Alongside> {
        let guess = estimate(&self.timings, step);
        self.skip(step);
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).context("creating target/xtask")?;
        }
        let file = std::fs::File::create(log).context("creating the build log")?;
        let child = make()
            .stdout(file.try_clone()?)
            .stderr(file)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("starting: {step}"))?;
        println!(
            "==> {step}, alongside what follows (about {}; its output: {})",
            minutes(guess),
            log.display()
        );
        self.beside = Some((step.to_owned(), Instant::now(), guess));
        Ok(Alongside {
            child,
            log: log.to_owned(),
        })
    }

    /// Waits for the step running alongside; on failure prints its log's end.
    pub fn finish_alongside(&mut self, mut alongside: Alongside) -> Result<()> {
        self.end();
        let Some((step, began, guess)) = self.beside.take() else {
            bail!("nothing runs alongside");
        };
        if alongside.child.try_wait()?.is_none() {
            println!(
                "==> waiting for {step} to finish (about {} left)",
                minutes(guess.saturating_sub(began.elapsed().as_secs()))
            );
        }
        let status = alongside.child.wait()?;
        if !status.success() {
            let log = std::fs::read_to_string(&alongside.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
            bail!("{step} failed ({status})");
        }
        self.current = Some((step, began));
        self.end();
        Ok(())
    }

    /// Ends the current step, if any, and keeps its time for next time.
    pub fn end(&mut self) {
        let Some((step, began)) = self.current.take() else {
            return;
        };
        let took = began.elapsed();
        println!(
            "    {step}: done in {} ({} since the start)",
            minutes(took.as_secs()),
            minutes(self.started.elapsed().as_secs())
        );
        self.timings.insert(step, took.as_secs().max(1));
        write_timings(&self.file, &self.timings);
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

fn estimate(timings: &BTreeMap<String, u64>, step: &str) -> u64 {
    timings.get(step).copied().unwrap_or_else(|| {
        FIRST_RUN
            .iter()
            .find(|(name, _)| *name == step)
            .map_or(60, |(_, secs)| *secs)
    })
}

/// `42 s`, `3 min`, `1 min 30 s`.
pub fn minutes(secs: u64) -> String {
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// `seconds<TAB>step` per line; a file that cannot be read is no timings.
fn read_timings(file: &Path) -> BTreeMap<String, u64> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let (secs, step) = line.split_once('\t')?;
            Some((step.to_owned(), secs.parse().ok()?))
        })
        .collect()
}

/// Best effort: the timings only make the next estimate better.
fn write_timings(file: &Path, timings: &BTreeMap<String, u64>) {
    let text: String = timings
        .iter()
        .map(|(step, secs)| format!("{secs}\t{step}\n"))
        .collect();
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(file, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_read_as_people_say_them() {
        assert_eq!(minutes(42), "42 s");
        assert_eq!(minutes(180), "3 min");
        assert_eq!(minutes(90), "1 min 30 s");
    }

    #[test]
    fn the_last_runs_times_replace_the_first_run_figures() {
        let dir = std::env::temp_dir().join(format!("xtask-plan-{}", std::process::id()));
        let file = dir.join("timings");
        let mut timings = BTreeMap::new();
        timings.insert("compiling the web app to WASM".to_owned(), 7);
        write_timings(&file, &timings);
        let read = read_timings(&file);
        assert_eq!(estimate(&read, "compiling the web app to WASM"), 7);
        let (step, first_run) = FIRST_RUN[1];
        assert_eq!(estimate(&read, step), first_run);
        assert_eq!(estimate(&read, "a step nobody measured"), 60);
        std::fs::write(&file, "not a number\tx\nnonsense\n").unwrap();
        assert!(read_timings(&file).is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }
}
