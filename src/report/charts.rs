//! The report's charts: grouped bars (categories × series) and, for `trend_*` queries, lines over
//! the years, drawn as SVG with plotters. The figures come from `sql/report/charts/*.sql`
//! (columns fund_code, category or category_key, series_key, value); this file only draws them.
//! Text is left to the browser: plotters' SVG backend writes `<text>` elements with the font
//! list below and reads no font file.

use std::collections::BTreeMap;

use plotters::prelude::*;

use super::data::Records;
use super::{Chart, Labels};
use crate::error::{Error, Result};

/// Fonts that render Chinese in common browsers, then any sans-serif.
const FONTS: &str = "Noto Sans CJK SC, WenQuanYi Zen Hei, Microsoft YaHei, PingFang SC, sans-serif";
const SIZE: (u32, u32) = (720, 340);
const COLOURS: [RGBColor; 4] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xe1, 0x57, 0x59),
];

/// The figures of one chart: categories along the x axis, one value per category and series.
struct Figures {
    categories: Vec<String>,
    series: Vec<(String, Vec<Option<f64>>)>,
}

/// One chart per fund in the query's rows (fund_code NULL: a chart for the whole report).
pub fn charts(
    records: &Records,
    key: &str,
    labels: &Labels,
    fund_names: &BTreeMap<String, String>,
    file_prefix: &str,
) -> Result<Vec<(Option<String>, Chart)>> {
    let fund = records.column("fund_code")?;
    let category = records
        .column("category")
        .or_else(|_| records.column("category_key"))?;
    let translate_category = records.columns[category].0 == "category_key";
    let (series, value) = (records.column("series_key")?, records.column("value")?);
    let mut by_fund: Vec<(Option<String>, Figures)> = Vec::new();
    for row in 0..records.rows.len() {
        let fund_code = records.rows[row][fund].clone();
        let index = match by_fund.iter().position(|(f, _)| *f == fund_code) {
            Some(index) => index,
            None => {
                by_fund.push((
                    fund_code,
                    Figures {
                        categories: Vec::new(),
                        series: Vec::new(),
                    },
                ));
                by_fund.len() - 1
            }
        };
        let code = records.text(row, category);
        let name = match (translate_category, fund_names.get(code)) {
            (true, Some(fund_name)) => fund_name.clone(),
            (true, None) => labels.value(code),
            (false, _) => code.to_string(),
        };
        by_fund[index].1.add(
            name,
            labels.value(records.text(row, series)),
            records.text(row, value).parse().ok(),
        );
    }
    let title = labels.section("charts", key);
    by_fund
        .into_iter()
        .map(|(fund_code, figures)| {
            let svg = if key.starts_with("trend_") {
                line_chart(&title, &figures)
            } else {
                bar_chart(&title, &figures)
            }
            .map_err(|e| Error::Output(format!("drawing chart {key}: {e}")))?;
            let file = format!(
                "{file_prefix}-{}-{key}.svg",
                fund_code.as_deref().unwrap_or("all")
            );
            let chart = Chart {
                key: key.to_string(),
                title: title.clone(),
                svg,
                file,
            };
            Ok((fund_code, chart))
        })
        .collect()
}

impl Figures {
    fn add(&mut self, category: String, series: String, value: Option<f64>) {
        let c = match self.categories.iter().position(|c| *c == category) {
            Some(c) => c,
            None => {
                self.categories.push(category);
                for (_, values) in &mut self.series {
                    values.push(None);
                }
                self.categories.len() - 1
            }
        };
        let s = match self.series.iter().position(|(name, _)| *name == series) {
            Some(s) => s,
            None => {
                self.series
                    .push((series, vec![None; self.categories.len()]));
                self.series.len() - 1
            }
        };
        self.series[s].1[c] = value;
    }

    /// The value axis: from the lowest value (or 0) to a little above the highest.
    fn value_range(&self) -> std::ops::Range<f64> {
        let values = self.series.iter().flat_map(|(_, v)| v.iter().flatten());
        let (low, high) = values.fold((0f64, 0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let span = if high > low { high - low } else { 1.0 };
        (if low < 0.0 { low - span * 0.08 } else { 0.0 })..(high + span * 0.12)
    }
}

type Drawn = std::result::Result<String, Box<dyn std::error::Error>>;

fn bar_chart(title: &str, figures: &Figures) -> Drawn {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let count = figures.categories.len().max(1) as f64;
        let mut chart = chart_frame(&root, title, 0.0..count, figures.value_range())?;
        let width = 0.8 / figures.series.len().max(1) as f64;
        for (s, (name, values)) in figures.series.iter().enumerate() {
            let colour = COLOURS[s % COLOURS.len()];
            let bars = values.iter().enumerate().filter_map(|(c, v)| {
                let left = c as f64 + 0.1 + width * s as f64;
                v.map(|v| Rectangle::new([(left, 0.0), (left + width, v)], colour.filled()))
            });
            chart
                .draw_series(bars)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled())
                });
        }
        finish(&root, &mut chart, figures)?;
    }
    Ok(svg)
}

fn line_chart(title: &str, figures: &Figures) -> Drawn {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let count = figures.categories.len().max(1) as f64;
        let mut chart = chart_frame(&root, title, 0.0..count, figures.value_range())?;
        for (s, (name, values)) in figures.series.iter().enumerate() {
            let colour = COLOURS[s % COLOURS.len()];
            let points: Vec<(f64, f64)> = values
                .iter()
                .enumerate()
                .filter_map(|(c, v)| v.map(|v| (c as f64 + 0.5, v)))
                .collect();
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 14, y)], colour.stroke_width(2))
                });
        }
        finish(&root, &mut chart, figures)?;
    }
    Ok(svg)
}

type Frame<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn chart_frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> std::result::Result<Frame<'a, 'b>, Box<dyn std::error::Error>> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONTS, 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(6)
        .label_style((FONTS, 15))
        .draw()?;
    Ok(chart)
}

/// Category names under the axis (centred on their slot) and the legend.
fn finish<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    chart: &mut Frame<'a, 'b>,
    figures: &Figures,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let bottom = chart.y_range().start;
    let style =
        TextStyle::from((FONTS, 15).into_font()).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Top,
        ));
    for (c, name) in figures.categories.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(c as f64 + 0.5, bottom));
        root.draw(&Text::new(name.clone(), (x, y + 6), style.clone()))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONTS, 15))
        .draw()?;
    Ok(())
}
