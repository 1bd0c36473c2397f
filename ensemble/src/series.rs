//! Reading time series from CSV: one series (`date,value`, `t,value` or a named column such
//! as the `close` of a stock file) or a long panel (`series,t,value`, gzip'd or not, as the
//! M3/M4 files are stored). Every error names the file, the line and the column.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One univariate series with optional time stamps (dates or indices, kept as text).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series' name (the value column, or the panel's `series` id).
    pub name: String,
    /// The observations, in time order.
    pub values: Vec<f64>,
    /// One label per observation (the `date`/`t` column), when the file has one.
    pub timestamps: Option<Vec<String>>,
}

/// What to do with an empty value cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum FillPolicy {
    /// An empty cell is an error naming its line (the default: no silent data changes).
    #[default]
    Error,
    /// Carry the previous value forward (an empty first cell is still an error).
    Previous,
    /// Drop the row.
    Drop,
}

/// How to read a one-series CSV.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesCsvOptions {
    /// The value column; `None` picks `value`, else the only column that is not a time column.
    pub column: Option<String>,
    /// What to do with empty cells.
    pub fill: FillPolicy,
}

const TIME_COLUMNS: [&str; 5] = ["date", "t", "time", "timestamp", "ds"];

pub(crate) fn open(path: &Path) -> Result<Box<dyn Read>> {
    metablend_core::fs::open_maybe_gzip(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn parse_err(file: &str, line: u64, column: &str, message: impl Into<String>) -> Error {
    Error::Parse {
        file: file.to_string(),
        line,
        column: column.to_string(),
        message: message.into(),
    }
}

pub(crate) fn csv_err(file: &str, e: csv::Error) -> Error {
    let line = e.position().map_or(0, |p| p.line());
    parse_err(file, line, "-", e.to_string())
}

/// How a missing cell is described in errors: an empty cell, or the marker it holds.
pub(crate) fn missing(cell: &str) -> String {
    match cell.trim() {
        "" => "empty cell".into(),
        marker => format!("missing value `{marker}`"),
    }
}

pub(crate) fn parse_value(file: &str, line: u64, column: &str, cell: &str) -> Result<Option<f64>> {
    let cell = cell.trim();
    if cell.is_empty() || cell.eq_ignore_ascii_case("na") || cell.eq_ignore_ascii_case("nan") {
        return Ok(None);
    }
    let v: f64 = cell
        .parse()
        .map_err(|_| parse_err(file, line, column, format!("`{cell}` is not a number")))?;
    if !v.is_finite() {
        return Err(parse_err(
            file,
            line,
            column,
            format!("`{cell}` is not finite"),
        ));
    }
    Ok(Some(v))
}

/// Reads one series from a CSV file (gzip'd or not); see [`SeriesCsvOptions`].
pub fn read_series(path: impl AsRef<Path>, options: &SeriesCsvOptions) -> Result<Series> {
    let path = path.as_ref();
    read_series_from(open(path)?, &path.display().to_string(), options)
}

/// Reads one series from CSV text; `source_name` is used in error messages.
pub fn read_series_from<R: Read>(
    reader: R,
    source_name: &str,
    options: &SeriesCsvOptions,
) -> Result<Series> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let headers = rdr.headers().map_err(|e| csv_err(source_name, e))?.clone();
    let names: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
    let time_col = names
        .iter()
        .position(|h| TIME_COLUMNS.contains(&h.to_ascii_lowercase().as_str()));
    let value_col = match &options.column {
        Some(c) => names.iter().position(|h| h == c).ok_or_else(|| {
            parse_err(
                source_name,
                1,
                c,
                format!("no such column; the header has {}", names.join(",")),
            )
        })?,
        None => {
            let candidates: Vec<usize> =
                (0..names.len()).filter(|&i| Some(i) != time_col).collect();
            match names.iter().position(|h| h == "value") {
                Some(i) => i,
                None if candidates.len() == 1 => candidates[0],
                None => {
                    return Err(parse_err(
                        source_name,
                        1,
                        "-",
                        format!(
                            "several value columns ({}); choose one",
                            candidates
                                .iter()
                                .map(|&i| names[i].as_str())
                                .collect::<Vec<_>>()
                                .join(",")
                        ),
                    ))
                }
            }
        }
    };
    let column = names[value_col].clone();
    let mut values = Vec::new();
    let mut stamps = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| csv_err(source_name, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let value = match parse_value(source_name, line, &column, &record[value_col])? {
            Some(v) => v,
            None => match options.fill {
                FillPolicy::Error => {
                    return Err(parse_err(
                        source_name,
                        line,
                        &column,
                        format!(
                            "{} (choose a fill policy to accept gaps)",
                            missing(&record[value_col])
                        ),
                    ))
                }
                FillPolicy::Drop => continue,
                FillPolicy::Previous => *values.last().ok_or_else(|| {
                    parse_err(
                        source_name,
                        line,
                        &column,
                        "empty first cell: nothing to carry forward",
                    )
                })?,
            },
        };
        values.push(value);
        if let Some(tc) = time_col {
            stamps.push(record[tc].trim().to_string());
        }
    }
    if values.is_empty() {
        return Err(parse_err(source_name, 1, &column, "no data rows"));
    }
    Ok(Series {
        name: column,
        values,
        timestamps: time_col.map(|_| stamps),
    })
}

/// Reads a long panel `series,t,value` (other columns are ignored; gzip'd or not). Rows must
/// be grouped by series with `t` increasing inside a group; empty values are errors.
pub fn read_panel(path: impl AsRef<Path>) -> Result<Vec<Series>> {
    let path = path.as_ref();
    read_panel_from(open(path)?, &path.display().to_string())
}

/// Reads a long panel from CSV text; `source_name` is used in error messages.
pub fn read_panel_from<R: Read>(reader: R, source_name: &str) -> Result<Vec<Series>> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(reader);
    let headers = rdr.headers().map_err(|e| csv_err(source_name, e))?.clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| {
                parse_err(
                    source_name,
                    1,
                    name,
                    "missing column (a panel needs series,t,value)",
                )
            })
    };
    let (sc, tc, vc) = (find("series")?, find("t")?, find("value")?);
    let mut panel: Vec<Series> = Vec::new();
    let mut last_t = 0i64;
    for record in rdr.records() {
        let record = record.map_err(|e| csv_err(source_name, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let id = record[sc].trim();
        let t: i64 = record[tc].trim().parse().map_err(|_| {
            parse_err(
                source_name,
                line,
                "t",
                format!("`{}` is not an integer", &record[tc]),
            )
        })?;
        let value = parse_value(source_name, line, "value", &record[vc])?
            .ok_or_else(|| parse_err(source_name, line, "value", missing(&record[vc])))?;
        match panel.last_mut() {
            Some(s) if s.name == id => {
                if t <= last_t {
                    return Err(parse_err(
                        source_name,
                        line,
                        "t",
                        format!("t = {t} does not increase within series {id}"),
                    ));
                }
                s.values.push(value);
                s.timestamps
                    .get_or_insert_with(Vec::new)
                    .push(t.to_string());
            }
            _ => {
                if panel.iter().any(|s| s.name == id) {
                    return Err(parse_err(
                        source_name,
                        line,
                        "series",
                        format!(
                            "series {id} appears again after other series (rows must be grouped)"
                        ),
                    ));
                }
                panel.push(Series {
                    name: id.to_string(),
                    values: vec![value],
                    timestamps: Some(vec![t.to_string()]),
                });
            }
        }
        last_t = t;
    }
    if panel.is_empty() {
        return Err(parse_err(source_name, 1, "series", "no data rows"));
    }
    Ok(panel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str, column: Option<&str>, fill: FillPolicy) -> Result<Series> {
        let options = SeriesCsvOptions {
            column: column.map(str::to_string),
            fill,
        };
        read_series_from(text.as_bytes(), "mem.csv", &options)
    }

    #[test]
    fn reads_date_value_and_named_columns() {
        let s = one(
            "date,value\n2020-01-01,1.5\n2020-01-02,2\n",
            None,
            FillPolicy::Error,
        )
        .unwrap();
        assert_eq!(s.values, vec![1.5, 2.0]);
        assert_eq!(s.timestamps.unwrap()[1], "2020-01-02");
        let s = one(
            "date,open,close\nd1,1,2\nd2,3,4\n",
            Some("close"),
            FillPolicy::Error,
        )
        .unwrap();
        assert_eq!((s.name.as_str(), s.values), ("close", vec![2.0, 4.0]));
        let s = one("t,y\n0,5\n1,6\n", None, FillPolicy::Error).unwrap();
        assert_eq!(s.values, vec![5.0, 6.0]);
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = one("t,value\n0,1\n1,abc\n", None, FillPolicy::Error)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 3") && e.contains("`value`") && e.contains("abc"),
            "{e}"
        );
        let e = one("t,value\n0,1\n1,\n", None, FillPolicy::Error)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("empty"), "{e}");
        let e = one("date,open,close\nd,1,2\n", None, FillPolicy::Error)
            .unwrap_err()
            .to_string();
        assert!(e.contains("choose one"), "{e}");
        let e = one("date,close\nd,1\n", Some("open"), FillPolicy::Error)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`open`") && e.contains("no such column"), "{e}");
        let e = one("t,value\n0,inf\n", None, FillPolicy::Error)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not finite"), "{e}");
    }

    #[test]
    fn fill_policies() {
        let text = "t,value\n0,1\n1,\n2,3\n";
        assert_eq!(
            one(text, None, FillPolicy::Previous).unwrap().values,
            vec![1.0, 1.0, 3.0]
        );
        assert_eq!(
            one(text, None, FillPolicy::Drop).unwrap().values,
            vec![1.0, 3.0]
        );
        assert!(one("t,value\n0,\n1,2\n", None, FillPolicy::Previous).is_err());
    }

    #[test]
    fn panel_groups_and_checks_order() {
        let p = read_panel_from("series,t,value\nA,0,1\nA,1,2\nB,0,5\n".as_bytes(), "p").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].values, vec![1.0, 2.0]);
        let e = read_panel_from("series,t,value\nA,0,1\nA,0,2\n".as_bytes(), "p").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        let e =
            read_panel_from("series,t,value\nA,0,1\nB,0,2\nA,1,3\n".as_bytes(), "p").unwrap_err();
        assert!(e.to_string().contains("grouped"), "{e}");
        assert!(read_panel_from("series,value\nA,1\n".as_bytes(), "p").is_err());
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(text in "[a-z0-9,.\\-\n ]{0,200}") {
            let _ = one(&text, None, FillPolicy::Error);
            let _ = one(&text, Some("value"), FillPolicy::Previous);
            let _ = read_panel_from(text.as_bytes(), "p");
        }
    }
}
