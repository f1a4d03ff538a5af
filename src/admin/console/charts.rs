//! Inline SVG charts. Colours come from classes in the embedded stylesheet
//! (the CSP forbids inline `style`), sizes from attributes; every label is
//! escaped text. Each chart sits next to a table with the same numbers.

use maud::{html, Markup};

/// Width of the drawing area in SVG units.
const W: f64 = 960.0;

/// One stacked segment series: a class for the colour and a label.
pub struct Series<'a> {
    /// CSS class giving the fill, e.g. `v-blocked`.
    pub class: &'a str,
    /// Legend text.
    pub label: String,
}

/// Vertical stacked bars: one bar per x label, one segment per series.
/// `values[i][s]` is series `s` at bar `i`.
pub fn stacked_bars(labels: &[String], series: &[Series<'_>], values: &[Vec<u64>]) -> Markup {
    let h = 220.0;
    let top = 10.0;
    let bottom = 40.0;
    let left = 48.0;
    let plot_h = h - top - bottom;
    let max = values
        .iter()
        .map(|v| v.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let n = labels.len().max(1) as f64;
    let slot = (W - left) / n;
    let bar = (slot * 0.7).clamp(1.0, 48.0);
    let every = (labels.len() / 12).max(1);
    // (index, x, label, segments (y, height, class, tooltip)) computed up front.
    let mut bars = Vec::with_capacity(labels.len());
    for (i, label) in labels.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = top + plot_h;
        let mut segs = Vec::new();
        let row = values.get(i).map(Vec::as_slice).unwrap_or(&[]);
        for (s, v) in series.iter().zip(row) {
            if *v > 0 {
                let hh = plot_h * (*v as f64) / (max as f64);
                y -= hh;
                segs.push((y, hh, s.class, format!("{label} {}: {v}", s.label)));
            }
        }
        bars.push((i, x, label.as_str(), segs));
    }
    html! {
        svg.chart viewBox=(format!("0 0 {W} {h}")) role="img" aria-label="stacked bar chart" {
            line.axis x1=(left) y1=(top + plot_h) x2=(W) y2=(top + plot_h) {}
            text.tick x=(left - 6.0) y=(top + 4.0) text-anchor="end" { (max) }
            text.tick x=(left - 6.0) y=(top + plot_h) text-anchor="end" { "0" }
            @for (i, x, label, segs) in &bars {
                @for (y, hh, class, tip) in segs {
                    rect class=(class) x=(fmt(*x)) y=(fmt(*y)) width=(fmt(bar)) height=(fmt(*hh)) {
                        title { (tip) }
                    }
                }
                @if i % every == 0 {
                    text.tick x=(fmt(x + bar / 2.0)) y=(top + plot_h + 16.0) text-anchor="middle" {
                        (label.get(5..).unwrap_or(*label))
                    }
                }
            }
        }
        (legend(series))
    }
}

/// Horizontal bars, one per (label, value), longest scaled to the full width.
pub fn hbars(items: &[(String, u64)], class: &str) -> Markup {
    // Drawn half as wide as the other charts: these sit in half-width cards.
    let w_total = W / 2.0;
    let row = 24.0;
    let left = 150.0;
    let h = row * items.len().max(1) as f64 + 8.0;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let span = w_total - left - 60.0;
    html! {
        svg.chart viewBox=(format!("0 0 {w_total} {h}")) role="img" aria-label="bar chart" {
            @for (i, (label, v)) in items.iter().enumerate() {
                @let y = 4.0 + row * i as f64;
                @let w = (span * (*v as f64) / (max as f64)).max(if *v > 0 { 1.0 } else { 0.0 });
                text.label x=(left - 8.0) y=(fmt(y + row * 0.65)) text-anchor="end" { (label) }
                rect class=(class) x=(left) y=(fmt(y + 3.0)) width=(fmt(w)) height=(fmt(row - 8.0)) {
                    title { (label) ": " (v) }
                }
                text.value x=(fmt(left + w + 6.0)) y=(fmt(y + row * 0.65)) { (v) }
            }
        }
    }
}

/// A single 100 % bar split into `part` (class `bad`) and the rest.
pub fn share_bar(part: u64, total: u64) -> Markup {
    let h = 36.0;
    let share = if total == 0 {
        0.0
    } else {
        part as f64 / total as f64
    };
    let w = W * share;
    html! {
        svg.chart viewBox=(format!("0 0 {W} {h}")) role="img" aria-label="share of bad feedback" {
            rect.rest x="0" y="4" width=(W) height=(h - 8.0) {}
            rect.bad x="0" y="4" width=(fmt(w)) height=(h - 8.0) {
                title { (part) " / " (total) }
            }
        }
    }
}

fn legend(series: &[Series<'_>]) -> Markup {
    html! {
        div.legend {
            @for s in series {
                span.item {
                    svg.swatch viewBox="0 0 10 10" { rect class=(s.class) x="0" y="0" width="10" height="10" {} }
                    " " (s.label)
                }
            }
        }
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}
