//! The report as one self-contained HTML5 page in Vietnamese: inline CSS, inline SVG charts, no
//! script and nothing fetched, so that it can be mailed, archived and printed on A4 as it is.
//!
//! The page is written with maud, which escapes every value spliced into it: the province's
//! free text can hold anything, `<script>` included, and still reads as text.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::chart::share_chart;
use super::document::{
    HORIZON_YEAR, MaturityLevels, Narrative, Outcome, ProvinceReportDocument, ReportStatus,
    ReportingStatusCounts, Signature, TargetSection, TaskProgressCounts,
};
use crate::domain::period::vietnam_time;
use crate::domain::status::TargetStatus;

const STYLESHEET: &str = include_str!("report.css");

/// The charts' legend. The swatches repeat the charts' colours and strokes (see `chart`).
const LEGEND: &str = concat!(
    r##"<span><svg width="30" height="10" aria-hidden="true"><line x1="1" y1="5" x2="29" y2="5" stroke="#1565c0" stroke-width="3"/><circle cx="15" cy="5" r="3.5" fill="#1565c0"/></svg>Thực tế</span>"##,
    r##"<span><svg width="30" height="10" aria-hidden="true"><line x1="1" y1="5" x2="29" y2="5" stroke="#1565c0" stroke-width="2" stroke-dasharray="7 5"/></svg>Xu hướng (dự báo)</span>"##,
    r##"<span><svg width="16" height="12" aria-hidden="true"><polygon points="8,1 15,11 1,11" fill="#c62828"/></svg>Mốc chỉ tiêu</span>"##,
    r##"<span><svg width="30" height="10" aria-hidden="true"><line x1="1" y1="5" x2="29" y2="5" stroke="#c62828" stroke-opacity="0.45" stroke-width="1"/></svg>Mức yêu cầu</span>"##,
);

/// The report as a complete HTML document.
pub fn render_html(document: &ProvinceReportDocument) -> String {
    let draft = document.signature.status == ReportStatus::Draft;
    let title = format!(
        "Báo cáo kết quả chuyển đổi số báo chí năm {} – {}",
        document.year, document.province_name
    );
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) @if draft { " (BẢN NHÁP)" } }
                style { (PreEscaped(STYLESHEET)) }
            }
            body {
                @if draft {
                    div.watermark aria-hidden="true" { "BẢN NHÁP" }
                }
                main.page {
                    (letterhead(document))
                    @if draft {
                        p.draft-banner { "BẢN NHÁP – chưa gửi Bộ, số liệu có thể còn thay đổi" }
                    }
                    h1 { "Báo cáo kết quả chuyển đổi số báo chí" }
                    p.subtitle { "Năm " (document.year) }
                    p.plan {
                        "Thực hiện " (document.plan_name)
                        @if !document.plan_decision.is_empty() {
                            " (" (document.plan_decision) ")"
                        }
                    }
                    section.targets {
                        h2 { "I. Kết quả theo chỉ tiêu" }
                        @if document.signature.accepted_only {
                            p.basis { "Số liệu chỉ tính các báo cáo đã được thẩm định và chấp nhận." }
                        }
                        (overview(document))
                        @for (index, target) in document.targets.iter().enumerate() {
                            (target_section(index + 1, target, document.year))
                        }
                    }
                    (reporting_status(&document.reporting, document.maturity.as_ref(), document.tasks.as_ref()))
                    (narrative(&document.narrative))
                    (signature(&document.signature))
                }
            }
        }
    }
    .into_string()
}

fn letterhead(document: &ProvinceReportDocument) -> Markup {
    html! {
        header.letterhead {
            div.issuer { p { (document.province_name) } }
            div.motto {
                p.nation { "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" }
                p.slogan { "Độc lập - Tự do - Hạnh phúc" }
            }
        }
    }
}

/// Every target's figure in one table, before the details.
fn overview(document: &ProvinceReportDocument) -> Markup {
    html! {
        table.overview {
            thead {
                tr {
                    th { "STT" }
                    th { "Chỉ tiêu" }
                    th { "Kết quả năm " (document.year) }
                    th { "Yêu cầu" }
                    th { "Đánh giá" }
                }
            }
            tbody {
                @for (index, target) in document.targets.iter().enumerate() {
                    tr {
                        td.number { (index + 1) }
                        td { (target.name) }
                        td.number {
                            (optional_percent(target.figure.share))
                            " (" (target.figure.numerator) "/" (target.figure.denominator) ")"
                        }
                        td.number { (optional_percent(target.figure.required_share)) }
                        td { (status_chip(target.figure.status)) }
                    }
                }
            }
        }
    }
}

fn target_section(number: usize, target: &TargetSection, year: i32) -> Markup {
    let figure = &target.figure;
    html! {
        article.target {
            h3 { (number) ". " (target.name) }
            p.code { (target.code) }
            p.headline {
                "Năm " (year) ": "
                @match figure.share {
                    Some(share) => {
                        strong { (percent(share)) }
                        " (" (figure.numerator) "/" (figure.denominator) ")"
                    }
                    None => { "chưa có số liệu" }
                }
                @if let Some(required) = figure.required_share {
                    "; yêu cầu " (percent(required))
                }
                " " (status_chip(figure.status))
            }
            @if !figure.explanation.is_empty() {
                p.explanation { (figure.explanation) }
            }
            div.target-body {
                div {
                    (year_table(target))
                    (milestone_outcomes(target))
                }
                figure.chart {
                    @match share_chart(target) {
                        Ok(svg) => { (PreEscaped(svg)) }
                        Err(error) => { p { "Không vẽ được biểu đồ: " (error) } }
                    }
                    figcaption.legend { (PreEscaped(LEGEND)) }
                }
            }
        }
    }
}

/// The share observed each year, against what was required.
fn year_table(target: &TargetSection) -> Markup {
    html! {
        table.years {
            thead { tr { th { "Năm" } th { "Tỷ lệ" } th { "Yêu cầu" } th { "Đánh giá" } } }
            tbody {
                @for year in &target.history {
                    tr {
                        td { (year.year) }
                        td.number { (optional_percent(year.share)) }
                        td.number { (optional_percent(year.required_share)) }
                        td {
                            @match year.status {
                                Some(status) => { (status_chip(status)) }
                                None => { "—" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Each milestone, met or missed, or where the trend leads.
fn milestone_outcomes(target: &TargetSection) -> Markup {
    html! {
        @if !target.projection.outcomes.is_empty() {
            ul.outcomes {
                @for outcome in &target.projection.outcomes {
                    li {
                        "Mốc " (outcome.year) " (" (percent(outcome.required_share)) "): "
                        (outcome_chip(outcome.outcome))
                        @match (outcome.outcome, outcome.projected_year) {
                            (Outcome::Met | Outcome::TooFewYears | Outcome::NoData, _) => {}
                            (_, Some(projected_year)) => {
                                "; theo xu hướng đạt năm " (projected_year)
                            }
                            // Whether the trend catches up with a missed milestone is not said
                            // (the summaries project only the milestones still ahead).
                            (Outcome::Missed, None) => {}
                            (_, None) => {
                                "; theo xu hướng chưa đạt đến năm " (HORIZON_YEAR)
                            }
                        }
                    }
                }
            }
        }
    }
}

fn reporting_status(
    counts: &ReportingStatusCounts,
    maturity: Option<&MaturityLevels>,
    tasks: Option<&TaskProgressCounts>,
) -> Markup {
    let received = counts.received_on_time + counts.received_late;
    let share_of_expected =
        |count: u32| (counts.expected > 0).then(|| f64::from(count) / f64::from(counts.expected));
    html! {
        section.reporting {
            h2 { "II. Tình hình báo cáo" }
            table.reporting {
                tbody {
                    tr { th colspan="3" { "Tiếp nhận báo cáo của các cơ quan báo chí" } }
                    tr { td { "Số cơ quan phải báo cáo" } td.number { (counts.expected) } td.number {} }
                    tr {
                        td { "Đã báo cáo đúng hạn" }
                        td.number { (counts.received_on_time) }
                        td.number { (optional_percent(share_of_expected(counts.received_on_time))) }
                    }
                    tr {
                        td { "Đã báo cáo muộn" }
                        td.number { (counts.received_late) }
                        td.number { (optional_percent(share_of_expected(counts.received_late))) }
                    }
                    tr {
                        td { "Chưa báo cáo" }
                        td.number { (counts.missing) }
                        td.number { (optional_percent(share_of_expected(counts.missing))) }
                    }
                    tr {
                        td { strong { "Tỷ lệ đã báo cáo" } }
                        td.number { (received) "/" (counts.expected) }
                        td.number { strong { (optional_percent(share_of_expected(received))) } }
                    }
                    tr { th colspan="3" { "Thẩm định báo cáo" } }
                    tr { td { "Chờ thẩm định" } td.number { (counts.awaiting_review) } td.number {} }
                    tr { td { "Đã chấp nhận" } td.number { (counts.accepted) } td.number {} }
                    tr { td { "Trả lại để chỉnh sửa" } td.number { (counts.returned) } td.number {} }
                }
            }
            @if let Some(maturity) = maturity {
                (maturity_levels(maturity))
            }
            @if let Some(tasks) = tasks {
                (task_progress(tasks))
            }
        }
    }
}

/// The plan's tasks by status and the overdue ones with their lead and lateness. Part of section
/// II, like the maturity levels, so that the numbering of the sections stays the same.
fn task_progress(tasks: &TaskProgressCounts) -> Markup {
    let lines = tasks.lines();
    let share_of_lines = |count: u32| (lines > 0).then(|| f64::from(count) / f64::from(lines));
    html! {
        table.reporting.tasks {
            tbody {
                tr {
                    th colspan="3" {
                        "Thực hiện nhiệm vụ của Kế hoạch (đến ngày " (vietnamese_date(&tasks.as_of)) ")"
                    }
                }
                @for (label, count) in [
                    ("Chưa triển khai", tasks.not_started),
                    ("Đang triển khai", tasks.in_progress),
                    ("Đã hoàn thành", tasks.done),
                    ("Dừng thực hiện", tasks.cancelled),
                ] {
                    tr {
                        td { (label) }
                        td.number { (count) }
                        td.number { (optional_percent(share_of_lines(count))) }
                    }
                }
                tr {
                    td { strong { "Quá hạn" } }
                    td.number { (tasks.overdue.len()) "/" (lines) }
                    td.number {}
                }
            }
        }
        @if !tasks.overdue.is_empty() {
            table.reporting.overdue {
                thead {
                    tr {
                        th { "Nhiệm vụ quá hạn" }
                        th { "Chủ trì" }
                        th { "Hạn" }
                        th { "Số ngày quá hạn" }
                    }
                }
                tbody {
                    @for task in &tasks.overdue {
                        tr {
                            td { (task.task_code) " " (task.task_name) }
                            td { (task.lead_name) }
                            td.date { (vietnamese_date(&task.due_on)) }
                            td.number { (task.days_late) }
                        }
                    }
                }
            }
        }
    }
}

/// The agencies per maturity level, the highest first as the Ministry publishes them, each with
/// its share of the agencies assessed. Part of section II, so that the numbering of the sections
/// stays the same with or without it.
fn maturity_levels(maturity: &MaturityLevels) -> Markup {
    let share_of_assessed = |count: u32| {
        (maturity.assessed > 0).then(|| f64::from(count) / f64::from(maturity.assessed))
    };
    html! {
        table.reporting.maturity {
            tbody {
                tr {
                    th colspan="3" {
                        "Mức độ trưởng thành chuyển đổi số (tự đánh giá, theo bộ chỉ số "
                        (maturity.framework_code) ")"
                    }
                }
                @for level in maturity.levels.iter().rev() {
                    tr {
                        td { "Mức " (level.rank) " – " (level.name) }
                        td.number { (level.agencies) }
                        td.number { (optional_percent(share_of_assessed(level.agencies))) }
                    }
                }
                tr {
                    td { strong { "Số cơ quan đã tự đánh giá" } }
                    td.number { (maturity.assessed) }
                    td.number {}
                }
                tr { td { "Chưa tự đánh giá" } td.number { (maturity.missing) } td.number {} }
            }
        }
    }
}

fn narrative(narrative: &Narrative) -> Markup {
    html! {
        (narrative_section("III. Kết quả thực hiện", &narrative.results))
        (narrative_section("IV. Khó khăn, vướng mắc", &narrative.difficulties))
        (narrative_section("V. Đề xuất, kiến nghị", &narrative.proposals))
    }
}

fn narrative_section(heading: &str, text: &str) -> Markup {
    let paragraphs = paragraphs(text);
    html! {
        section.narrative {
            h2 { (heading) }
            @if paragraphs.is_empty() {
                p.empty { "(Không có nội dung)" }
            }
            @for paragraph in paragraphs {
                p { (paragraph) }
            }
        }
    }
}

/// Free text cut into paragraphs at blank lines; a single line break stays one (the stylesheet
/// keeps it).
fn paragraphs(text: &str) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            if !current.is_empty() {
                paragraphs.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(current.join("\n"));
    }
    paragraphs
}

fn signature(signature: &Signature) -> Markup {
    html! {
        section.signature {
            h2 { "Thông tin xác thực" }
            dl {
                dt { "Phiên bản" }
                dd { (signature.version) }
                dt { "Trạng thái" }
                dd {
                    @match signature.status {
                        ReportStatus::Draft => { "Bản nháp (chưa gửi)" }
                        ReportStatus::Submitted => { "Đã gửi" }
                    }
                }
                @if !signature.correction_reason.is_empty() {
                    dt { "Lý do sửa đổi" }
                    dd { (signature.correction_reason) }
                }
                dt { "Thời điểm gửi" }
                dd { (signature.submitted_at.map_or_else(|| "—".to_string(), vietnam_date_time)) }
                dt { "Người gửi" }
                dd {
                    @if signature.submitted_by.is_empty() { "—" } @else { (signature.submitted_by) }
                }
                dt { "Mã băm nội dung (SHA-256)" }
                dd.hash { (signature.content_hash) }
                dt { "Số liệu tính đến" }
                dd { "vị trí " (signature.data_as_of) " của luồng thay đổi" }
                dt { "Báo cáo được tính" }
                dd {
                    @if signature.accepted_only {
                        "chỉ các báo cáo đã được chấp nhận"
                    } @else {
                        "bản mới nhất của mọi báo cáo đã nhận"
                    }
                }
            }
        }
    }
}

fn status_chip(status: TargetStatus) -> Markup {
    let (label, class) = match status {
        TargetStatus::Achieved => ("Đạt", "achieved"),
        TargetStatus::OnTrack => ("Đúng tiến độ", "on-track"),
        TargetStatus::AccelerationNeeded => ("Cần đẩy nhanh", "acceleration-needed"),
        TargetStatus::LimitedProgress => ("Tiến độ chậm", "limited-progress"),
        TargetStatus::Deterioration => ("Giảm sút", "deterioration"),
        TargetStatus::NoData => ("Không có số liệu", "no-data"),
        TargetStatus::NoTrend => ("Chưa có xu hướng", "no-trend"),
    };
    html! { span class={ "status " (class) } { (label) } }
}

fn outcome_chip(outcome: Outcome) -> Markup {
    let (label, class) = match outcome {
        Outcome::Met => ("Đã đạt", "met"),
        Outcome::Missed => ("Không đạt", "missed"),
        Outcome::OnPace => ("Dự báo đạt đúng hạn", "on-pace"),
        Outcome::OffPace => ("Dự báo không đạt đúng hạn", "off-pace"),
        Outcome::TooFewYears => ("Chưa đủ số năm để dự báo", "too-few-years"),
        Outcome::NoData => ("Không có số liệu", "no-data"),
    };
    html! { span class={ "status " (class) } { (label) } }
}

/// A share as a Vietnamese reader writes it: a decimal comma, one decimal when it is not whole
/// ("66,7%", "75%").
fn percent(share: f64) -> String {
    let tenths = (share * 1000.0).round();
    let whole = tenths / 10.0;
    if tenths % 10.0 == 0.0 {
        format!("{whole:.0}%")
    } else {
        format!("{whole:.1}%").replace('.', ",")
    }
}

fn optional_percent(share: Option<f64>) -> String {
    share.map_or_else(|| "—".to_string(), percent)
}

/// A date written YYYY-MM-DD, day first as Vietnamese dates are written (14/11/2026); as given if
/// it is not one.
fn vietnamese_date(date: &str) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_or_else(
        |_| date.to_string(),
        |date| date.format("%d/%m/%Y").to_string(),
    )
}

/// An instant in Vietnam time, day first as Vietnamese dates are written.
fn vietnam_date_time(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&vietnam_time())
        .format("%d/%m/%Y %H:%M (giờ Việt Nam)")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::super::Projection;
    use super::super::sample::sample_document;
    use super::*;

    #[test]
    fn the_page_has_the_vietnamese_headings_and_every_target() {
        let document = sample_document(ReportStatus::Submitted);
        let page = render_html(&document);
        assert!(page.starts_with("<!DOCTYPE html>"));
        for heading in [
            "Báo cáo kết quả chuyển đổi số báo chí",
            "Kết quả theo chỉ tiêu",
            "Tình hình báo cáo",
            "Kết quả thực hiện",
            "Khó khăn, vướng mắc",
            "Đề xuất, kiến nghị",
        ] {
            assert!(page.contains(heading), "missing heading {heading}");
        }
        for target in &document.targets {
            assert!(
                page.contains(&target.name),
                "missing target {}",
                target.name
            );
        }
        assert!(
            page.contains("Báo Mới, VTVgo"),
            "the narrative is on the page"
        );
    }

    #[test]
    fn maturity_levels_are_shown_highest_first_only_when_the_report_holds_them() {
        let mut document = sample_document(ReportStatus::Submitted);
        let page = render_html(&document);
        // The sample: 10 assessed, one Excellent (10%) ... two Weak (20%), two not assessed.
        let excellent = page.find("Mức 5 – Xuất sắc").expect("the highest level");
        let weak = page.find("Mức 1 – Yếu").expect("the weakest level");
        assert!(excellent < weak, "the highest level comes first");
        assert!(page.contains("theo bộ chỉ số V2025"));
        assert!(
            page.contains("Mức 1 – Yếu</td><td class=\"number\">2</td><td class=\"number\">20")
        );
        document.maturity = None;
        let without = render_html(&document);
        assert!(!without.contains("Mức độ trưởng thành"));
        assert!(without.contains("III. Kết quả thực hiện"));
    }

    #[test]
    fn tasks_are_counted_and_the_overdue_named_only_when_the_report_holds_them() {
        let mut document = sample_document(ReportStatus::Submitted);
        let page = render_html(&document);
        // The sample: 27 lines, 14 done (51.9%), one overdue by 17 days.
        assert!(page.contains("đến ngày 01/12/2026"));
        assert!(
            page.contains("Quá hạn</strong></td><td class=\"number\">1/27"),
            "{page}"
        );
        assert!(page.contains("<td class=\"number\">17</td>"));
        document.tasks = None;
        let without = render_html(&document);
        assert!(!without.contains("Thực hiện nhiệm vụ"));
        assert!(without.contains("III. Kết quả thực hiện"));
    }

    #[test]
    fn the_page_is_self_contained() {
        let page = render_html(&sample_document(ReportStatus::Draft));
        assert!(!page.contains("<script"));
        assert!(!page.contains("<link"));
        assert!(!page.contains("src="));
        assert!(!page.contains("url("));
        assert_eq!(
            page.matches("<svg width=\"400\"").count(),
            6,
            "one chart per target"
        );
    }

    #[test]
    fn free_text_is_escaped() {
        let mut document = sample_document(ReportStatus::Submitted);
        document.narrative.difficulties = "<script>alert(\"x\")</script> & <b>".into();
        document.targets[0].name = "Nội dung <i>số</i>".into();
        document.signature.submitted_by = "\"><img onerror=x>".into();
        let page = render_html(&document);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;"));
        assert!(page.contains("Nội dung &lt;i&gt;số&lt;/i&gt;"));
        assert!(!page.contains("<i>"));
        assert!(!page.contains("<img"));
    }

    #[test]
    fn only_a_draft_is_marked_as_one() {
        let draft = render_html(&sample_document(ReportStatus::Draft));
        let submitted = render_html(&sample_document(ReportStatus::Submitted));
        assert!(draft.contains("class=\"watermark\""));
        assert!(draft.contains("BẢN NHÁP"));
        assert!(!submitted.contains("BẢN NHÁP"));
        assert!(!submitted.contains("watermark\""));
        assert!(submitted.contains("10/12/2026 09:30 (giờ Việt Nam)"));
    }

    #[test]
    fn the_page_says_why_a_version_corrects_and_what_its_figures_count() {
        let mut document = sample_document(ReportStatus::Submitted);
        let page = render_html(&document);
        assert!(page.contains("Lý do sửa đổi"));
        assert!(page.contains(&document.signature.correction_reason));
        assert!(page.contains("bản mới nhất của mọi báo cáo đã nhận"));
        assert!(!page.contains("class=\"basis\""));

        document.signature.correction_reason.clear();
        document.signature.accepted_only = true;
        let page = render_html(&document);
        assert!(
            !page.contains("Lý do sửa đổi"),
            "a first version corrects nothing"
        );
        assert!(page.contains("class=\"basis\""));
        assert!(page.contains("chỉ các báo cáo đã được chấp nhận"));
    }

    #[test]
    fn the_projection_is_a_dashed_line() {
        let mut document = sample_document(ReportStatus::Submitted);
        let page = render_html(&document);
        // plotters draws a dashed line as one short polyline per dash; the observed line is a
        // single polyline in the same colour.
        let blue_lines = |page: &str| page.matches("stroke=\"#1565C0\"").count();
        let with_projection = blue_lines(&page);
        document.targets[1].projection.points.clear();
        let without_projection = blue_lines(&render_html(&document));
        assert!(
            with_projection >= without_projection + 5,
            "{with_projection} blue lines with the trend, {without_projection} without"
        );
    }

    #[test]
    fn a_target_without_figures_still_has_its_section_and_chart() {
        let mut document = sample_document(ReportStatus::Submitted);
        let target = &mut document.targets[0];
        target.history.clear();
        target.milestones.clear();
        target.projection = Projection::default();
        target.figure.share = None;
        target.figure.status = TargetStatus::NoData;
        let page = render_html(&document);
        assert!(page.contains("chưa có số liệu"));
        assert_eq!(page.matches("<svg width=\"400\"").count(), 6);
    }

    #[test]
    fn narratives_keep_their_paragraphs() {
        assert_eq!(
            paragraphs("one\ntwo\n\n  \nthree\n"),
            vec!["one\ntwo".to_string(), "three".to_string()]
        );
        assert!(paragraphs(" \n").is_empty());
        let mut document = sample_document(ReportStatus::Submitted);
        document.narrative.proposals.clear();
        assert!(render_html(&document).contains("(Không có nội dung)"));
    }

    #[test]
    fn shares_are_written_the_vietnamese_way() {
        assert_eq!(percent(0.75), "75%");
        assert_eq!(percent(2.0 / 3.0), "66,7%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(optional_percent(None), "—");
    }
}
