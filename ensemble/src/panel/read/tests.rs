use super::*;

fn read(text: &str) -> Result<Panel> {
    read_with(text, FillPolicy::Error)
}

fn read_with(text: &str, fill: FillPolicy) -> Result<Panel> {
    read_panel_from(text.as_bytes(), "mem.csv", &PanelOptions { fill })
}

fn error(text: &str) -> String {
    read(text).unwrap_err().to_string()
}

#[test]
fn reads_statsforecast_long_frames_in_any_series_order() {
    let p = read(
        "unique_id,ds,y\n\
         b,2024-01-01,5\n\
         a,2024-01-01,1\n\
         b,2024-01-02,6\n\
         a,2024-01-02,2\n\
         a,2024-01-03,3\n",
    )
    .unwrap();
    let ids: Vec<&str> = p.series.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["b", "a"]);
    assert_eq!(p.series[1].values, [1.0, 2.0, 3.0]);
    assert_eq!(p.frequency.unwrap().name(), "daily");
    assert_eq!(p.seasons(), [7]);
    assert_eq!(p.future_stamps(1, 2).unwrap(), ["2024-01-04", "2024-01-05"]);
    assert_eq!(p.future_stamps(0, 1).unwrap(), ["2024-01-03"]);
    let series = p.to_series();
    assert_eq!(series[0].timestamps.as_ref().unwrap()[1], "2024-01-02");
}

#[test]
fn reads_the_projects_long_format_and_integer_stamps() {
    let p = read("series,t,value\nx,10,1\nx,11,2\nx,12,4\n").unwrap();
    assert_eq!(p.frequency, Some(Frequency::Index { step: 1 }));
    assert_eq!(p.future_stamps(0, 2).unwrap(), ["13", "14"]);
    assert!(p.seasons().is_empty());
}

#[test]
fn reads_m4_wide_rows_of_different_lengths() {
    let p = read("\"V1\",\"V2\",\"V3\",\"V4\"\n\"H1\",\"1\",\"2\",\"3\"\n\"H2\",\"4\",\"5\",\n")
        .unwrap();
    assert_eq!(p.series[0].values, [1.0, 2.0, 3.0]);
    assert_eq!(p.series[1].values, [4.0, 5.0]);
    assert_eq!(p.future_stamps(1, 1).unwrap(), ["2"]);
    let e = error("V1,V2,V3,V4\nH1,1,,3\n");
    assert!(
        e.contains("line 2") && e.contains("H1") && e.contains("empty cell"),
        "{e}"
    );
}

#[test]
fn bad_rows_name_the_series_and_the_line() {
    let cases = [
        (
            "unique_id,ds,y\na,2024-01-01,1\na,2024-01-01,2\n",
            "duplicate stamp",
        ),
        (
            "unique_id,ds,y\na,2024-01-02,1\na,2024-01-01,2\n",
            "not in time order",
        ),
        (
            "unique_id,ds,y\na,2024-01-01,1\na,2024-01-02,NaN\n",
            "missing value `NaN`",
        ),
        (
            "unique_id,ds,y\na,2024-01-01,1\na,2024-01-02,inf\n",
            "not finite",
        ),
        (
            "unique_id,ds,y\na,2024-01-01,1\na,Jan 2,2\n",
            "not an integer, a date",
        ),
        (
            "unique_id,ds,y\na,2024-01-01,1\na,3,2\n",
            "unlike the first row",
        ),
        (
            "unique_id,ds,y\na,2024-01-01,1\na,2024-01-02,1\na,2024-01-03,1\na,2024-01-05,2\n",
            "rows are missing",
        ),
    ];
    for (text, needle) in cases {
        let e = error(text);
        assert!(
            e.contains(needle) && e.contains("series a") && e.contains("line"),
            "{e}"
        );
    }
    let e = error("id,ds,y\na,1,2\n");
    assert!(e.contains("unique_id") && e.contains("line 1"), "{e}");
    assert!(error("unique_id,ds,y\n").contains("no data rows"));
}

#[test]
fn fill_policies_carry_forward_or_drop_missing_values() {
    let text = "unique_id,ds,y\na,1,1\na,2,\na,3,3\na,4,4\na,5,5\n";
    let filled = read_with(text, FillPolicy::Previous).unwrap();
    assert_eq!(filled.series[0].values, [1.0, 1.0, 3.0, 4.0, 5.0]);
    let dropped = read_with(text, FillPolicy::Drop);
    // Dropping the row leaves a gap in the stamps, which is an error of its own.
    assert!(dropped
        .unwrap_err()
        .to_string()
        .contains("rows are missing"));
    let text = "unique_id,ds,y\na,1,1\na,2,2\na,3,\n";
    assert_eq!(
        read_with(text, FillPolicy::Drop).unwrap().series[0].values,
        [1.0, 2.0]
    );
    let e = read_with("unique_id,ds,y\na,1,\n", FillPolicy::Previous).unwrap_err();
    assert!(e.to_string().contains("nothing to carry forward"), "{e}");
}

/// The same panel, and the same errors, with the values given apart from the text.
#[test]
fn values_given_apart_read_as_the_same_panel() {
    let text =
        "unique_id,ds,y\nb,2024-01-01,5.25\na,2024-01-01,1e-5\nb,2024-01-02,6\na,2024-01-02,\n";
    let apart = |values: &[f64], fill: FillPolicy| {
        let ids_and_stamps: String = text
            .lines()
            .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
            .collect();
        read_panel_with_values(
            ids_and_stamps.as_bytes(),
            "mem.csv",
            &PanelOptions { fill },
            values,
        )
    };
    let values = [5.25, 1e-5, 6.0, f64::NAN];
    for fill in [FillPolicy::Previous, FillPolicy::Drop] {
        let want = read_with(text, fill).unwrap();
        let got = apart(&values, fill).unwrap();
        assert_eq!(got.series.len(), want.series.len());
        for (g, w) in got.series.iter().zip(&want.series) {
            assert_eq!((&g.id, &g.values, &g.stamps), (&w.id, &w.values, &w.stamps));
        }
        assert_eq!((got.format, got.frequency), (want.format, want.frequency));
    }
    // A missing value names the series and the line, as in the text.
    let e = apart(&values, FillPolicy::Error).unwrap_err().to_string();
    assert!(
        e.contains("line 5") && e.contains("series a") && e.contains("missing value"),
        "{e}"
    );
    let e = apart(&[5.25, f64::INFINITY, 6.0, 1.0], FillPolicy::Error)
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 3") && e.contains("not finite"), "{e}");
    let e = apart(&[1.0, 2.0], FillPolicy::Error)
        .unwrap_err()
        .to_string();
    assert!(e.contains("only 2 values"), "{e}");
    let e = apart(&[1.0; 5], FillPolicy::Error).unwrap_err().to_string();
    assert!(e.contains("5 values for 4 rows"), "{e}");
}
