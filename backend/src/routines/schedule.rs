//! A cron expression in a time zone, and when it next fires. Pure code.

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    #[error("cron: {0}")]
    Cron(String),
    #[error("time_zone: unknown time zone `{0}` (use an IANA name such as Europe/Berlin)")]
    TimeZone(String),
    #[error("cron: `{0}` never fires (no such date); check the day and the month")]
    Never(String),
}

#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    zone: Tz,
}

impl Schedule {
    pub fn parse(cron: &str, time_zone: &str) -> Result<Schedule, ScheduleError> {
        let zone = Tz::from_str(time_zone.trim())
            .map_err(|_| ScheduleError::TimeZone(time_zone.to_owned()))?;
        let parsed =
            Cron::from_str(cron.trim()).map_err(|err| ScheduleError::Cron(err.to_string()))?;
        let schedule = Schedule { cron: parsed, zone };
        // Whatever fires at all fires within eight years of any moment (a
        // 29 February at worst): from 2000-01-01, a leap year.
        const Y2K_MS: i64 = 946_684_800_000;
        match schedule.next_after(Y2K_MS) {
            Some(next) if next - Y2K_MS <= 8 * 366 * 24 * 3_600_000 => Ok(schedule),
            _ => Err(ScheduleError::Never(cron.trim().to_owned())),
        }
    }

    /// The first firing strictly after `after_ms`, in ms since the epoch.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let after = Utc
            .timestamp_millis_opt(after_ms)
            .single()?
            .with_timezone(&self.zone);
        self.cron
            .find_next_occurrence(&after, false)
            .ok()
            .map(|next| next.timestamp_millis())
    }

    pub fn describe(&self) -> String {
        self.cron.describe()
    }
}

/// The five-field cron expressions the API document describes: numbers,
/// lists and `*`/steps, a day of the month after the 29th only in every
/// month, and a day of the month or of the week, not both. A narrower
/// language than `parse` takes, but everything in it fires.
pub fn cron_pattern() -> String {
    // `*` (with a step) stands alone; numbers may be listed.
    let field =
        |value: &str, step: &str| format!(r"(?:\*(?:/(?:{step}))?|(?:{value})(?:,(?:{value}))*)");
    let minute = field("[0-5]?[0-9]", "[1-9]|[1-5][0-9]");
    let hour = field("[01]?[0-9]|2[0-3]", "[1-9]|1[0-9]|2[0-3]");
    let any_day = field("0?[1-9]|[12][0-9]|3[01]", "[1-9]|1[0-9]|2[0-9]|30");
    let fitting_day = field("0?[1-9]|1[0-9]|2[0-9]", "[1-9]|1[0-9]|2[0-9]|30");
    let month = field("0?[1-9]|1[0-2]", "[1-9]|1[01]");
    let every_month = r"\*(?:/1)?";
    let weekday = field("[0-7]", "[1-6]");
    format!(
        "^{minute} {hour} (?:(?:{any_day}) {every_month} \\*|(?:{fitting_day}) (?:{month}) \\*|\\* (?:{month}) (?:{weekday}))$"
    )
}

/// The time zones `parse` knows, by their IANA names.
pub fn time_zone_names() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|zone| zone.name())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of expression the pattern describes parses and fires.
    #[test]
    fn what_the_document_describes_is_accepted() {
        let Ok(pattern) = regex::Regex::new(&cron_pattern()) else {
            panic!("pattern");
        };
        let mut tried = 0;
        for minute in ["0", "59", "*/15", "*/59", "0,30", "*"] {
            for hour in ["0", "23", "*/23", "9,17", "07,21", "*"] {
                for days in [
                    "31 * *",
                    "29 2 *",
                    "1,15 1,12 *",
                    "*/30 * *",
                    "* 2 0",
                    "* */11 7",
                    "* * *",
                    "* 12 1,5",
                    "28 */1 *",
                    "31 */1 *",
                ] {
                    let cron = format!("{minute} {hour} {days}");
                    assert!(pattern.is_match(&cron), "{cron} is described");
                    assert!(Schedule::parse(&cron, "UTC").is_ok(), "{cron} parses");
                    tried += 1;
                }
            }
        }
        assert_eq!(tried, 360);
        for never in [
            "0 0 30 2 *",
            "0 0 31 4 *",
            "0 0 31 2 *",
            "61 * * * *",
            "0 0 13 * 5",
            "*,5 * * * *",
            "",
        ] {
            assert!(!pattern.is_match(never), "{never} is not described");
        }
        assert!(time_zone_names().contains(&"Europe/Berlin"));
        for zone in time_zone_names() {
            assert!(Schedule::parse("0 9 * * *", zone).is_ok(), "{zone}");
        }
    }

    fn ms(rfc3339: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn a_schedule_that_never_fires_is_refused() {
        assert_eq!(
            Schedule::parse("0 0 30 2 *", "UTC").err(),
            Some(ScheduleError::Never("0 0 30 2 *".into()))
        );
        assert!(Schedule::parse("0 0 31 4 *", "UTC").is_err());
        assert!(Schedule::parse("0 9 29 2 *", "Europe/Berlin").is_ok());
        assert!(Schedule::parse("*/5 * * * *", "UTC").is_ok());
    }

    #[test]
    fn next_run_follows_the_time_zone() {
        let schedule = Schedule::parse("0 9 * * *", "Europe/Berlin").unwrap();
        // 07:30 UTC in winter is 08:30 in Berlin: next is 09:00 Berlin, 08:00 UTC.
        assert_eq!(
            schedule.next_after(ms("2026-01-15T07:30:00Z")),
            Some(ms("2026-01-15T08:00:00Z"))
        );
        // In summer Berlin is UTC+2.
        assert_eq!(
            schedule.next_after(ms("2026-07-15T07:30:00Z")),
            Some(ms("2026-07-16T07:00:00Z"))
        );
    }

    #[test]
    fn seconds_are_optional() {
        let schedule = Schedule::parse("*/10 * * * * *", "UTC").unwrap();
        assert_eq!(
            schedule.next_after(ms("2026-01-01T00:00:01Z")),
            Some(ms("2026-01-01T00:00:10Z"))
        );
    }

    #[test]
    fn bad_expressions_and_zones_name_their_field() {
        let err = Schedule::parse("every day", "UTC").unwrap_err();
        assert!(err.to_string().starts_with("cron: "), "{err}");
        let err = Schedule::parse("61 * * * *", "UTC").unwrap_err();
        assert!(err.to_string().starts_with("cron: "), "{err}");
        let err = Schedule::parse("0 9 * * *", "Mars/Olympus").unwrap_err();
        assert_eq!(err, ScheduleError::TimeZone("Mars/Olympus".into()));
    }
}
