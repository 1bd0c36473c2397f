//! Reading panels: long CSVs (statsforecast's `unique_id,ds,y` or `series,t,value`) and the
//! M4 competition's wide files.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use super::time::{infer_frequency, Frequency, Stamp, StampFormat};
use super::{Panel, PanelOptions, PanelSeries};
use crate::series::{csv_err, missing, open, parse_err, parse_value};
use crate::{Error, FillPolicy, Result};

const ID_COLUMNS: [&str; 2] = ["unique_id", "series"];
const TIME_COLUMNS: [&str; 2] = ["ds", "t"];
const VALUE_COLUMNS: [&str; 2] = ["y", "value"];

/// Reads a panel file (gzip'd or not): a long CSV, or an M4 wide file (header `V1,V2,...`).
pub fn read_panel_file(path: impl AsRef<Path>, options: &PanelOptions) -> Result<Panel> {
    let path = path.as_ref();
    read_panel_from(open(path)?, &path.display().to_string(), options)
}

/// Reads a panel from CSV text; `source` names it in errors.
pub fn read_panel_from<R: Read>(reader: R, source: &str, options: &PanelOptions) -> Result<Panel> {
    read_text(reader, source, options, None)
}

/// A long or M4 wide panel from text, or (`given`) a long one with its values apart.
fn read_text<R: Read>(
    reader: R,
    source: &str,
    options: &PanelOptions,
    given: Option<&[f64]>,
) -> Result<Panel> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_err(source, e))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    if given.is_none() && headers.first().map(String::as_str) == Some("V1") {
        return Ok(wide(rdr, source)?.0);
    }
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.contains(&h.as_str()))
            .ok_or_else(|| {
                parse_err(
                    source,
                    1,
                    names[0],
                    format!(
                        "missing column: a long panel needs one of {names:?} \
                     (unique_id,ds,y or series,t,value), an M4 wide file starts with V1"
                    ),
                )
            })
    };
    let columns = [find(&ID_COLUMNS)?, find(&TIME_COLUMNS)?];
    let values = match given {
        None => {
            let value = find(&VALUE_COLUMNS)?;
            Values::Column(value, headers[value].as_str())
        }
        Some(values) => Values::Given(values),
    };
    long(rdr, source, columns, &headers, values, options)
}

/// Reads a long panel from CSV text that holds the id and time columns, data row `r`'s
/// value being `values[r]` (NaN where it is missing). A caller that holds the values as
/// numbers already (a data frame) hands them over as they are: printing and parsing them
/// was most of the cost of passing a frame as text. Errors name the value column `y`.
pub fn read_panel_with_values<R: Read>(
    reader: R,
    source: &str,
    options: &PanelOptions,
    values: &[f64],
) -> Result<Panel> {
    read_text(reader, source, options, Some(values))
}

/// Where a long panel's values come from.
enum Values<'a> {
    /// A column of the text, with its header.
    Column(usize, &'a str),
    /// Given apart from the text, one per data row.
    Given(&'a [f64]),
}

/// A series being read, with the line of each row for errors about gaps.
struct Growing {
    series: PanelSeries,
    lines: Vec<u64>,
}

fn long<R: Read>(
    mut rdr: csv::Reader<R>,
    source: &str,
    [ic, tc]: [usize; 2],
    headers: &[String],
    values: Values<'_>,
    options: &PanelOptions,
) -> Result<Panel> {
    let (id_name, t_name) = (&headers[ic], &headers[tc]);
    let v_name = match values {
        Values::Column(_, name) => name,
        Values::Given(_) => "y",
    };
    let mut row = 0;
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut grown: Vec<Growing> = Vec::new();
    let mut format: Option<StampFormat> = None;
    for record in rdr.records() {
        let record = record.map_err(|e| csv_err(source, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |c: usize, name: &str| {
            record.get(c).ok_or_else(|| {
                parse_err(
                    source,
                    line,
                    name,
                    format!("row has {} cells", record.len()),
                )
            })
        };
        let id = cell(ic, id_name)?.trim();
        let err = |column: &str, message: String| {
            parse_err(source, line, column, format!("series {id}: {message}"))
        };
        let stamp_text = cell(tc, t_name)?;
        let (stamp, this_format) = Stamp::parse(stamp_text).ok_or_else(|| {
            err(
                t_name,
                format!("`{stamp_text}` is not an integer, a date (2024-01-31) or a date-time"),
            )
        })?;
        match format {
            None => format = Some(this_format),
            Some(f) if f != this_format => {
                return Err(err(
                    t_name,
                    format!("`{stamp_text}` is written unlike the first row's stamps ({f:?})"),
                ))
            }
            _ => {}
        }
        let k = *index.entry(id.to_string()).or_insert_with(|| {
            grown.push(Growing {
                series: PanelSeries {
                    id: id.to_string(),
                    values: Vec::new(),
                    stamps: Vec::new(),
                },
                lines: Vec::new(),
            });
            grown.len() - 1
        });
        let g = &mut grown[k];
        if let Some((&last, &last_line)) = g.series.stamps.last().zip(g.lines.last()) {
            if stamp == last {
                return Err(err(
                    t_name,
                    format!("duplicate stamp `{stamp_text}` (also on line {last_line})"),
                ));
            }
            if stamp < last {
                return Err(err(
                    t_name,
                    format!(
                        "rows are not in time order: `{stamp_text}` comes after `{}` \
                         (line {last_line}); sort the file by {id_name} and {t_name}",
                        last.format(this_format)
                    ),
                ));
            }
        }
        let (raw, parsed) = match values {
            Values::Column(vc, _) => {
                let raw = cell(vc, v_name)?;
                (raw, parse_value(source, line, v_name, raw))
            }
            Values::Given(given) => {
                let v = *given.get(row).ok_or_else(|| {
                    err(v_name, format!("only {} values for more rows", given.len()))
                })?;
                let parsed = match v {
                    v if v.is_nan() => Ok(None),
                    v if v.is_infinite() => Err(parse_err(
                        source,
                        line,
                        v_name,
                        format!("`{v}` is not finite"),
                    )),
                    v => Ok(Some(v)),
                };
                ("NaN", parsed)
            }
        };
        row += 1;
        let parsed = parsed.map_err(|e| match e {
            Error::Parse { message, .. } => err(v_name, message),
            other => other,
        })?;
        let value = match parsed {
            Some(v) => v,
            None => match (options.fill, g.series.values.last()) {
                (FillPolicy::Previous, Some(&prev)) => prev,
                (FillPolicy::Drop, _) => continue,
                (FillPolicy::Previous, None) => {
                    return Err(err(
                        v_name,
                        format!(
                            "{} in the first row, nothing to carry forward",
                            missing(raw)
                        ),
                    ))
                }
                (FillPolicy::Error, _) => {
                    return Err(err(
                        v_name,
                        format!("{} (choose a fill policy: previous or drop)", missing(raw)),
                    ))
                }
            },
        };
        g.series.values.push(value);
        g.series.stamps.push(stamp);
        g.lines.push(line);
    }
    if let Values::Given(given) = values {
        if given.len() != row {
            return Err(parse_err(
                source,
                1,
                v_name,
                format!("{} values for {row} rows", given.len()),
            ));
        }
    }
    let format = format.ok_or_else(|| parse_err(source, 1, id_name, "no data rows"))?;
    let frequency = infer_frequency(
        grown
            .iter()
            .flat_map(|g| g.series.stamps.windows(2).map(|w| (w[0], w[1]))),
    );
    if let Some(freq) = frequency {
        for g in &grown {
            check_regular(g, freq, format, source, t_name)?;
        }
    }
    Ok(Panel {
        series: grown.into_iter().map(|g| g.series).collect(),
        format,
        frequency,
    })
}

/// Every step of a series must be one step of the panel's frequency: a gap means rows are
/// missing, and future stamps would be wrong.
fn check_regular(
    g: &Growing,
    freq: Frequency,
    format: StampFormat,
    source: &str,
    column: &str,
) -> Result<()> {
    for (i, w) in g.series.stamps.windows(2).enumerate() {
        if !freq.is_next(w[0], w[1]) {
            return Err(parse_err(
                source,
                g.lines[i + 1],
                column,
                format!(
                    "series {}: `{}` follows `{}` (line {}), but the panel is {}: rows are \
                     missing or the series has another frequency",
                    g.series.id,
                    w[1].format(format),
                    w[0].format(format),
                    g.lines[i],
                    freq.name()
                ),
            ));
        }
    }
    Ok(())
}

/// Reads an M4 wide file's rows: the id, then the values, trailing cells empty.
fn wide<R: Read>(mut rdr: csv::Reader<R>, source: &str) -> Result<(Panel, Vec<u64>)> {
    let mut series = Vec::new();
    let mut lines = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| csv_err(source, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let id = record.get(0).unwrap_or("").trim().to_string();
        let cells: Vec<&str> = record.iter().skip(1).collect();
        let used = cells
            .iter()
            .rposition(|c| !c.trim().is_empty())
            .map_or(0, |p| p + 1);
        let mut values = Vec::with_capacity(used);
        for (j, cell) in cells[..used].iter().enumerate() {
            let column = format!("V{}", j + 2);
            let v = parse_value(source, line, &column, cell)?.ok_or_else(|| {
                parse_err(
                    source,
                    line,
                    &column,
                    format!("series {id}: {} before the row's last value", missing(cell)),
                )
            })?;
            values.push(v);
        }
        if values.is_empty() {
            return Err(parse_err(
                source,
                line,
                "V2",
                format!("series {id} has no values"),
            ));
        }
        let stamps = (0..values.len() as i64).map(Stamp::Index).collect();
        series.push(PanelSeries { id, values, stamps });
        lines.push(line);
    }
    if series.is_empty() {
        return Err(parse_err(source, 1, "V1", "no data rows"));
    }
    let panel = Panel {
        series,
        format: StampFormat::Index,
        frequency: Some(Frequency::Index { step: 1 }),
    };
    Ok((panel, lines))
}

/// Reads an M4 training file and, if given, its test file: the test rows must name the same
/// series in the same order. Returns the training panel and each series' test values.
pub fn read_m4_wide(
    train: impl AsRef<Path>,
    test: Option<&Path>,
) -> Result<(Panel, Option<Vec<Vec<f64>>>)> {
    let train = train.as_ref();
    let panel = read_panel_file(train, &PanelOptions::default())?;
    let Some(test) = test else {
        return Ok((panel, None));
    };
    let name = test.display().to_string();
    let rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(open(test)?);
    let (future, lines) = wide(rdr, &name)?;
    if future.series.len() != panel.series.len() {
        return Err(Error::InvalidInput(format!(
            "{name} has {} series, {} has {}",
            future.series.len(),
            train.display(),
            panel.series.len()
        )));
    }
    for ((f, s), line) in future.series.iter().zip(&panel.series).zip(&lines) {
        if f.id != s.id {
            return Err(parse_err(
                &name,
                *line,
                "V1",
                format!("series {} where the training file has {}", f.id, s.id),
            ));
        }
    }
    let values = future.series.into_iter().map(|s| s.values).collect();
    Ok((panel, Some(values)))
}

#[cfg(test)]
mod tests;
