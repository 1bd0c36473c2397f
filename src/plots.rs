//! The command's charts: PNG files drawn with plotters (bitmap backend, the DejaVu Sans font
//! embedded so no system fonts are needed), through the atomic writer so a reader never sees
//! a half-written image.

use std::path::Path;

use anyhow::Context;
use metablend::pipelines::Charts;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const SIZE: (u32, u32) = (1000, 560);

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The font is a valid TrueType file shipped by the `dejavu` crate.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

/// Draws with `draw` into an RGB buffer, encodes it as PNG and writes it atomically.
fn render(
    path: &Path,
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    register_font();
    let mut pixels = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
        draw(&root)?;
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let image = image::RgbImage::from_raw(SIZE.0, SIZE.1, pixels).context("chart buffer")?;
    let mut png = std::io::Cursor::new(Vec::new());
    image.write_to(&mut png, image::ImageFormat::Png)?;
    metablend::core::fs::write_file(path, |w| w.write_all(png.get_ref()))?;
    Ok(())
}

/// The command's [`Charts`]: PNG files.
pub struct Png;

impl Charts for Png {
    fn lines(
        &self,
        path: &Path,
        title: &str,
        x_label: &str,
        y_label: &str,
        series: &[(String, Vec<(f64, f64)>)],
    ) -> metablend::pipelines::Result<()> {
        lines(path, title, x_label, y_label, series).map_err(|e| render_error(path, e))
    }

    fn bars(
        &self,
        path: &Path,
        title: &str,
        items: &[(String, f64)],
    ) -> metablend::pipelines::Result<()> {
        bars(path, title, items).map_err(|e| render_error(path, e))
    }
}

fn render_error(path: &Path, e: anyhow::Error) -> metablend::pipelines::Error {
    metablend::pipelines::Error::Render {
        path: path.display().to_string(),
        message: format!("{e:#}"),
    }
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-12 * hi.abs().max(1.0));
    (lo - pad, hi + pad)
}

const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Several named lines against a shared x axis.
fn lines(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> anyhow::Result<()> {
    render(path, |root| {
        let (x0, x1) = range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)));
        let (y0, y1) = range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)));
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(100)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.3e}"))
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for (i, (name, points)) in series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    })
}

/// Horizontal bars, one per (label, value), in the given order (top to bottom), each
/// labelled with its name and value.
fn bars(path: &Path, title: &str, items: &[(String, f64)]) -> anyhow::Result<()> {
    render(path, |root| {
        let max = items
            .iter()
            .map(|(_, v)| *v)
            .fold(0.0f64, f64::max)
            .max(1e-9)
            * 1.05;
        let n = items.len() as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(30)
            .build_cartesian_2d(0.0..max, 0.0..n)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let row = |i: usize| n - 1.0 - i as f64;
        chart
            .draw_series(items.iter().enumerate().map(|(i, (_, v))| {
                let color = PALETTE[i % PALETTE.len()].mix(0.35);
                Rectangle::new([(0.0, row(i) + 0.08), (*v, row(i) + 0.92)], color.filled())
            }))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .draw_series(items.iter().enumerate().map(|(i, (label, v))| {
                Text::new(
                    format!("{label}  {v:.3}"),
                    (max * 0.005, row(i) + 0.5),
                    ("sans-serif", 15)
                        .into_font()
                        .into_text_style(root)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                )
            }))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    })
}
