//! A target's chart, drawn on the server as SVG with plotters: the share observed by year as a
//! solid line with points, the plan's milestones as marked points joined by what they require
//! in between, and the trend continued to the horizon as a dashed line. Axes: years from 2023 to
//! 2030, shares from 0 to 100%.
//!
//! plotters is built with its SVG backend and no font backend: it then writes text as SVG
//! `<text>` elements that the browser lays out with its own fonts, and estimates text sizes
//! itself, so no font file is read when building or running pressdx.

use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;

use super::document::{FIRST_CHART_YEAR, HORIZON_YEAR, Milestone, TargetSection};

/// Why a chart could not be drawn (writing SVG to memory has no reason to fail).
pub(super) type ChartError = DrawingAreaErrorKind<std::io::Error>;

/// The chart's size in SVG user units: the page scales it to the column it sits in.
const CHART_SIZE: (u32, u32) = (400, 240);

const OBSERVED_COLOUR: RGBColor = RGBColor(0x15, 0x65, 0xc0);
const MILESTONE_COLOUR: RGBColor = RGBColor(0xc6, 0x28, 0x28);
const GRID_COLOUR: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);
const FONT: &str = "sans-serif";

/// The target's chart as an `<svg>` element.
pub(super) fn share_chart(target: &TargetSection) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
        draw(&root, target)?;
        root.present()?;
    }
    Ok(svg)
}

fn draw(root: &DrawingArea<SVGBackend, Shift>, target: &TargetSection) -> Result<(), ChartError> {
    root.fill(&WHITE)?;
    let (first_year, last_year) = year_span(target);
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .x_label_area_size(26)
        .y_label_area_size(42)
        // Half a year each side, so that the first and last points do not sit on the axes; a
        // little above 100%, so that a line at 100% does not hide under the frame.
        .build_cartesian_2d(
            f64::from(first_year) - 0.5..f64::from(last_year) + 0.5,
            0.0..1.04,
        )?;
    let year_label = |year: &f64| format!("{year:.0}");
    let share_label = |share: &f64| format!("{:.0}%", share * 100.0);
    chart
        .configure_mesh()
        .x_labels(usize::try_from(last_year - first_year + 1).unwrap_or(8))
        .y_labels(6)
        .x_label_formatter(&year_label)
        .y_label_formatter(&share_label)
        .disable_x_mesh()
        .bold_line_style(GRID_COLOUR)
        .light_line_style(TRANSPARENT)
        .label_style((FONT, 15))
        .draw()?;

    let required_line = requirement_path(&target.milestones, last_year);
    chart.draw_series(LineSeries::new(
        required_line,
        MILESTONE_COLOUR.mix(0.45).stroke_width(1),
    ))?;
    let observed: Vec<(f64, f64)> = target
        .history
        .iter()
        .filter_map(|year| Some((f64::from(year.year), clamp_share(year.share?))))
        .collect();
    // The trend starts where the observed line ends, so that the two read as one line.
    let projected: Vec<(f64, f64)> = observed
        .last()
        .copied()
        .into_iter()
        .chain(
            target
                .projection
                .points
                .iter()
                .map(|point| (f64::from(point.year), clamp_share(point.share))),
        )
        .collect();
    if projected.len() > 1 {
        chart.draw_series(DashedLineSeries::new(
            projected,
            7,
            5,
            OBSERVED_COLOUR.stroke_width(2),
        ))?;
    }
    chart.draw_series(LineSeries::new(
        observed.iter().copied(),
        OBSERVED_COLOUR.stroke_width(3),
    ))?;
    chart.draw_series(
        observed
            .iter()
            .map(|&point| Circle::new(point, 4, OBSERVED_COLOUR.filled())),
    )?;
    // Last, so that a milestone met exactly still shows above the observed point.
    chart.draw_series(target.milestones.iter().map(|milestone| {
        TriangleMarker::new(
            (
                f64::from(milestone.year),
                clamp_share(milestone.required_share),
            ),
            7,
            MILESTONE_COLOUR.filled(),
        )
    }))?;
    Ok(())
}

/// The years the x axis spans: 2023 to 2030, widened to any year the target's figures reach.
fn year_span(target: &TargetSection) -> (i32, i32) {
    let years = target
        .history
        .iter()
        .map(|year| year.year)
        .chain(target.milestones.iter().map(|milestone| milestone.year))
        .chain(target.projection.points.iter().map(|point| point.year));
    years.fold((FIRST_CHART_YEAR, HORIZON_YEAR), |(first, last), year| {
        (first.min(year), last.max(year))
    })
}

/// What the plan requires from its first milestone to the end of the axis: straight between two
/// milestones (the summaries interpolate between them) and the last one's after it.
fn requirement_path(milestones: &[Milestone], last_year: i32) -> Vec<(f64, f64)> {
    let mut path: Vec<(f64, f64)> = milestones
        .iter()
        .map(|milestone| {
            (
                f64::from(milestone.year),
                clamp_share(milestone.required_share),
            )
        })
        .collect();
    if let Some(&(year, share)) = path.last() {
        if year < f64::from(last_year) {
            path.push((f64::from(last_year), share));
        }
    }
    path
}

/// A share within the chart's 0-100%: a trend may run past either end.
fn clamp_share(share: f64) -> f64 {
    share.clamp(0.0, 1.0)
}
