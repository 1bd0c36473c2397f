//! Time stamps of a panel (integers, dates or date-times), the frequency they step at, the
//! seasonal periods and M4 horizon that frequency implies, and the stamps that continue a
//! series into the future.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

/// One time stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stamp {
    /// An integer index (`t`, or `ds` as an integer).
    Index(i64),
    /// A calendar time (a date is its midnight).
    Time(NaiveDateTime),
}

/// How the stamps were written, so that future stamps are written the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StampFormat {
    /// Integers.
    Index,
    /// `2024-01-31`.
    Date,
    /// `2024-01-31 13:00:00` (or with a `T`, which is kept).
    DateTime {
        /// Written with `T` between date and time.
        t_separator: bool,
    },
}

const DATETIME_FORMATS: [&str; 4] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
];

impl Stamp {
    /// Parses an integer, an ISO date or an ISO date-time (seconds optional, fractions of a
    /// second allowed), with the format it was written in.
    pub fn parse(text: &str) -> Option<(Stamp, StampFormat)> {
        let text = text.trim();
        if let Ok(i) = text.parse::<i64>() {
            return Some((Stamp::Index(i), StampFormat::Index));
        }
        if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Some((
                Stamp::Time(d.and_time(Default::default())),
                StampFormat::Date,
            ));
        }
        let whole = text.split('.').next().unwrap_or(text);
        DATETIME_FORMATS.iter().find_map(|f| {
            NaiveDateTime::parse_from_str(whole, f).ok().map(|t| {
                let format = StampFormat::DateTime {
                    t_separator: f.contains('T'),
                };
                (Stamp::Time(t), format)
            })
        })
    }

    /// Writes the stamp in `format`.
    pub fn format(&self, format: StampFormat) -> String {
        match (self, format) {
            (Stamp::Index(i), _) => i.to_string(),
            (Stamp::Time(t), StampFormat::Date) => t.format("%Y-%m-%d").to_string(),
            (Stamp::Time(t), StampFormat::DateTime { t_separator: true }) => {
                t.format("%Y-%m-%dT%H:%M:%S").to_string()
            }
            (Stamp::Time(t), _) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

/// The step between consecutive observations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Integer stamps `step` apart.
    Index {
        /// The step.
        step: i64,
    },
    /// A fixed span of seconds (hourly 3,600, daily 86,400, weekly 604,800, ...).
    Seconds {
        /// The span.
        seconds: i64,
    },
    /// Calendar months (monthly 1, quarterly 3, yearly 12), same day of the month or the
    /// month's end.
    Months {
        /// Months per step.
        months: u32,
    },
}

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

impl Frequency {
    /// The frequency's common name (`hourly`, `daily`, ...), or a description.
    pub fn name(&self) -> String {
        match *self {
            Frequency::Index { step } => format!("every {step} (integer index)"),
            Frequency::Seconds { seconds: HOUR } => "hourly".into(),
            Frequency::Seconds { seconds: DAY } => "daily".into(),
            Frequency::Seconds { seconds } if seconds == 7 * DAY => "weekly".into(),
            Frequency::Seconds { seconds } => format!("every {seconds} s"),
            Frequency::Months { months: 1 } => "monthly".into(),
            Frequency::Months { months: 3 } => "quarterly".into(),
            Frequency::Months { months: 12 } => "yearly".into(),
            Frequency::Months { months } => format!("every {months} months"),
        }
    }

    /// The seasonal periods the frequency implies, as statsforecast and the M4 rules use them:
    /// hourly 24 and 168, half-hourly 48 and 336, daily 7, weekly 52, monthly 12, quarterly 4;
    /// none for yearly data or an integer index (give them with `--season`).
    pub fn seasons(&self) -> Vec<usize> {
        match *self {
            Frequency::Seconds { seconds: HOUR } => vec![24, 168],
            Frequency::Seconds { seconds: 1_800 } => vec![48, 336],
            Frequency::Seconds { seconds: 900 } => vec![96, 672],
            Frequency::Seconds { seconds: DAY } => vec![7],
            Frequency::Seconds { seconds } if seconds == 7 * DAY => vec![52],
            Frequency::Months { months: 1 } => vec![12],
            Frequency::Months { months: 3 } => vec![4],
            _ => Vec::new(),
        }
    }

    /// M4's forecast horizon for the frequency (hourly 48, daily 14, weekly 13, monthly 18,
    /// quarterly 8, yearly 6); `None` where M4 has no such frequency.
    pub fn m4_horizon(&self) -> Option<usize> {
        match *self {
            Frequency::Seconds { seconds: HOUR } => Some(48),
            Frequency::Seconds { seconds: DAY } => Some(14),
            Frequency::Seconds { seconds } if seconds == 7 * DAY => Some(13),
            Frequency::Months { months: 1 } => Some(18),
            Frequency::Months { months: 3 } => Some(8),
            Frequency::Months { months: 12 } => Some(6),
            _ => None,
        }
    }

    /// The stamp `steps` steps after `from`; `None` if it is out of the calendar's range or the
    /// stamp's kind does not match the frequency.
    pub fn advance(&self, from: Stamp, steps: i64) -> Option<Stamp> {
        match (*self, from) {
            (Frequency::Index { step }, Stamp::Index(i)) => step
                .checked_mul(steps)
                .and_then(|d| i.checked_add(d))
                .map(Stamp::Index),
            (Frequency::Seconds { seconds }, Stamp::Time(t)) => {
                let delta = TimeDelta::try_seconds(seconds.checked_mul(steps)?)?;
                t.checked_add_signed(delta).map(Stamp::Time)
            }
            (Frequency::Months { months }, Stamp::Time(t)) => {
                let total = u32::try_from(steps).ok()?.checked_mul(months)?;
                let month_end = is_month_end(t.date());
                let moved = t.checked_add_months(Months::new(total))?;
                Some(Stamp::Time(if month_end {
                    month_end_of(moved.date()).and_time(moved.time())
                } else {
                    moved
                }))
            }
            _ => None,
        }
    }

    /// Whether `next` is exactly one step after `prev`.
    pub fn is_next(&self, prev: Stamp, next: Stamp) -> bool {
        self.advance(prev, 1) == Some(next)
    }
}

fn is_month_end(d: NaiveDate) -> bool {
    d.succ_opt().is_none_or(|n| n.month() != d.month())
}

fn month_end_of(d: NaiveDate) -> NaiveDate {
    let first_next = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    first_next.and_then(|n| n.pred_opt()).unwrap_or(d)
}

/// The frequency of consecutive stamps: the most common step over all the gaps given, as a
/// calendar month count when every gap is a whole number of months, else in seconds or index
/// units. `None` if there are no gaps or no positive common step.
pub fn infer_frequency(pairs: impl Iterator<Item = (Stamp, Stamp)>) -> Option<Frequency> {
    let mut seconds = std::collections::HashMap::<i64, usize>::new();
    let mut months = std::collections::HashMap::<i64, usize>::new();
    let mut all_monthly = true;
    let mut index = false;
    for (a, b) in pairs {
        match (a, b) {
            (Stamp::Index(x), Stamp::Index(y)) => {
                index = true;
                *seconds.entry(y - x).or_default() += 1;
            }
            (Stamp::Time(x), Stamp::Time(y)) => {
                *seconds.entry((y - x).num_seconds()).or_default() += 1;
                let m = (y.year() as i64 * 12 + y.month() as i64)
                    - (x.year() as i64 * 12 + x.month() as i64);
                let same_day =
                    x.day() == y.day() || (is_month_end(x.date()) && is_month_end(y.date()));
                if m > 0 && same_day && x.time() == y.time() {
                    *months.entry(m).or_default() += 1;
                } else {
                    all_monthly = false;
                }
            }
            _ => return None,
        }
    }
    let mode = |h: &std::collections::HashMap<i64, usize>| {
        h.iter()
            .max_by_key(|(step, count)| (**count, std::cmp::Reverse(**step)))
            .map(|(step, _)| *step)
    };
    if index {
        return mode(&seconds)
            .filter(|s| *s > 0)
            .map(|step| Frequency::Index { step });
    }
    // Gaps that are all whole calendar months (same day or month ends, same time) are
    // monthly, quarterly or yearly data, whatever their length in days.
    if all_monthly && !months.is_empty() {
        return mode(&months).map(|m| Frequency::Months { months: m as u32 });
    }
    mode(&seconds)
        .filter(|s| *s > 0)
        .map(|seconds| Frequency::Seconds { seconds })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamps(texts: &[&str]) -> Vec<Stamp> {
        texts.iter().map(|t| Stamp::parse(t).unwrap().0).collect()
    }

    fn infer(texts: &[&str]) -> Option<Frequency> {
        let s = stamps(texts);
        infer_frequency(s.windows(2).map(|w| (w[0], w[1])))
    }

    #[test]
    fn infers_the_usual_frequencies_and_their_seasons() {
        let hourly = infer(&["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 02:00"]);
        assert_eq!(hourly, Some(Frequency::Seconds { seconds: HOUR }));
        assert_eq!(hourly.unwrap().seasons(), vec![24, 168]);
        let daily = infer(&["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"]).unwrap();
        assert_eq!((daily.name(), daily.seasons()), ("daily".into(), vec![7]));
        let weekly = infer(&["2024-01-01", "2024-01-08", "2024-01-15"]).unwrap();
        assert_eq!(
            (weekly.seasons(), weekly.m4_horizon()),
            (vec![52], Some(13))
        );
        let monthly = infer(&["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]).unwrap();
        assert_eq!(monthly, Frequency::Months { months: 1 });
        let quarterly = infer(&["2023-01-01", "2023-04-01", "2023-07-01", "2023-10-01"]).unwrap();
        assert_eq!(
            (quarterly.name(), quarterly.seasons()),
            ("quarterly".into(), vec![4])
        );
        let yearly = infer(&["2020-01-01", "2021-01-01", "2022-01-01"]).unwrap();
        assert_eq!((yearly.name(), yearly.seasons()), ("yearly".into(), vec![]));
        assert_eq!(infer(&["3", "5", "7"]), Some(Frequency::Index { step: 2 }));
        assert_eq!(infer(&["1"]), None);
    }

    #[test]
    fn future_stamps_continue_each_series_in_its_own_format() {
        let (last, format) = Stamp::parse("2024-01-31").unwrap();
        let monthly = Frequency::Months { months: 1 };
        let next: Vec<String> = (1..=3)
            .map(|k| monthly.advance(last, k).unwrap().format(format))
            .collect();
        assert_eq!(next, ["2024-02-29", "2024-03-31", "2024-04-30"]);
        let (last, format) = Stamp::parse("2024-12-31T23:00:00").unwrap();
        let hourly = Frequency::Seconds { seconds: HOUR };
        assert_eq!(
            hourly.advance(last, 2).unwrap().format(format),
            "2025-01-01T01:00:00"
        );
        assert!(hourly.advance(Stamp::Index(3), 1).is_none());
        assert!(Stamp::parse("2024-13-01").is_none() && Stamp::parse("soon").is_none());
    }
}
