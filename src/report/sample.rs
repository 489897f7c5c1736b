//! A realistic report to render in the tests and to look at: the Nam Định plan's six targets,
//! observed 2023-2026, with their milestones, trends and some of the province's own words. The
//! figures are made up; the plan, its targets and milestones are the catalogue's.
//!
//! `cargo test --lib report::sample -- --ignored` writes the rendered page and CSV to the
//! directory named by `PRESSDX_RENDER_SAMPLE_DIR` (default: `pressdx-render` under the system's
//! temporary directory), to open in a browser.

use chrono::{TimeZone, Utc};

use super::*;

/// The observed years of the sample.
const OBSERVED_YEARS: [i32; 4] = [2023, 2024, 2025, 2026];

/// The sample report, as a draft or as submitted.
pub(crate) fn sample_document(status: ReportStatus) -> ProvinceReportDocument {
    let submitted = status == ReportStatus::Submitted;
    ProvinceReportDocument {
        province_code: "ninh-binh-2025".into(),
        province_name: "Tỉnh Ninh Bình".into(),
        plan_code: "nam-dinh-cds-bao-chi".into(),
        plan_name: "Kế hoạch thực hiện Chiến lược chuyển đổi số báo chí đến năm 2025, định hướng \
                    đến năm 2030 trên địa bàn tỉnh Nam Định"
            .into(),
        plan_decision: "Kế hoạch UBND tỉnh Nam Định (số hiệu chưa rõ)".into(),
        period_code: "2026".into(),
        year: 2026,
        targets: sample_targets(),
        reporting: ReportingStatusCounts {
            expected: 12,
            received_on_time: 9,
            received_late: 2,
            missing: 1,
            awaiting_review: 2,
            accepted: 8,
            returned: 1,
        },
        maturity: Some(MaturityLevels {
            framework_code: "V2025".into(),
            assessed: 10,
            missing: 2,
            levels: [
                (1, "Yếu", 2),
                (2, "Trung bình", 3),
                (3, "Khá", 2),
                (4, "Tốt", 2),
            ]
            .into_iter()
            .chain([(5, "Xuất sắc", 1)])
            .map(|(rank, name, agencies)| MaturityLevelCount {
                rank,
                name: name.into(),
                agencies,
            })
            .collect(),
        }),
        tasks: Some(TaskProgressCounts {
            as_of: "2026-12-01".into(),
            not_started: 3,
            in_progress: 9,
            done: 14,
            cancelled: 1,
            overdue: vec![OverdueTask {
                task_code: "III.4.1".into(),
                task_name: "Tổ chức tập huấn cho cán bộ quản lý thông tin, truyền thông, lãnh đạo \
                            các cơ quan báo chí"
                    .into(),
                lead_name: "Tỉnh Ninh Bình".into(),
                due_on: "2026-11-14".into(),
                days_late: 17,
            }],
        }),
        narrative: Narrative {
            results: "Năm 2026, các cơ quan báo chí trên địa bàn tỉnh tiếp tục đẩy mạnh phân \
                      phối nội dung trên các nền tảng số, ưu tiên nền tảng trong nước như Zalo, \
                      Báo Mới, VTVgo.\n\nToà soạn hội tụ đã vận hành tại 6/12 cơ quan; 402/420 \
                      lãnh đạo, phóng viên, biên tập viên đã được bồi dưỡng về chuyển đổi số báo \
                      chí."
                .into(),
            difficulties: "Kinh phí đầu tư hạ tầng số và nền tảng phân tích dữ liệu tập trung \
                           còn hạn chế; nguồn nhân lực công nghệ thông tin tại các cơ quan báo \
                           chí còn mỏng.\n\nDoanh thu từ kênh số chưa tăng trưởng ổn định sau \
                           khi sắp xếp, hợp nhất các cơ quan báo chí địa phương."
                .into(),
            proposals: "Đề nghị Bộ Văn hóa, Thể thao và Du lịch hỗ trợ nền tảng dữ liệu dùng \
                        chung có ứng dụng trí tuệ nhân tạo cho các cơ quan báo chí địa phương; \
                        tiếp tục tổ chức các lớp bồi dưỡng kỹ năng số cho người làm báo."
                .into(),
        },
        signature: Signature {
            version: 3,
            status,
            submitted_at: submitted
                .then(|| Utc.with_ymd_and_hms(2026, 12, 10, 2, 30, 0).single())
                .flatten(),
            submitted_by: if submitted {
                "Nguyễn Văn An (Sở Văn hóa và Thể thao tỉnh Ninh Bình)".into()
            } else {
                String::new()
            },
            content_hash: "9f2c4e1a7b3d58c0e6a1f4b2d7c9e0a3b5d8f1c2e4a6b7d9f0c1e3a5b7d9f2c4".into(),
            data_as_of: 1842,
            correction_reason: "Bổ sung số liệu bồi dưỡng của Báo và Phát thanh, Truyền hình \
                                Ninh Bình"
                .into(),
            accepted_only: false,
        },
    }
}

fn sample_targets() -> Vec<TargetSection> {
    use Outcome::*;
    use TargetStatus::*;
    vec![
        target(
            "content_on_digital_platforms",
            "Agencies distributing content on digital platforms (domestic platforms preferred)",
            [
                (4, 12, NoTrend),
                (6, 12, NoTrend),
                (8, 12, Achieved),
                (9, 12, Achieved),
            ],
            &[(2025, 0.5), (2030, 1.0)],
            &[0.9167, 1.0, 1.0, 1.0],
            &[(Met, None), (OnPace, Some(2028))],
            "75.00% meets the 60.00% required in 2026",
        ),
        target(
            "data_platform_with_ai",
            "Agencies using a centralised data-analysis platform that applies AI",
            [
                (1, 12, NoTrend),
                (2, 12, NoTrend),
                (3, 12, LimitedProgress),
                (4, 12, LimitedProgress),
            ],
            &[(2025, 0.5), (2030, 1.0)],
            &[0.4167, 0.5, 0.5833, 0.6667],
            &[(Missed, Some(2028)), (OffPace, None)],
            "observed +8.33 points a year, 50% of the +16.67 needed to reach 100.00% by 2030",
        ),
        target(
            "converged_newsroom",
            "Agencies operating a converged newsroom",
            [
                (2, 12, NoTrend),
                (3, 12, NoTrend),
                (5, 12, AccelerationNeeded),
                (6, 12, AccelerationNeeded),
            ],
            &[(2025, 0.5), (2030, 1.0)],
            &[0.625, 0.7417, 0.8583, 0.975],
            &[(Missed, Some(2027)), (OffPace, None)],
            "observed +8.33 points a year, 67% of the +12.50 needed to reach 100.00% by 2030",
        ),
        target(
            "revenue_growth",
            "Agencies whose revenue grew by at least 20% over the previous year",
            [
                (3, 12, NoTrend),
                (2, 12, NoTrend),
                (4, 12, LimitedProgress),
                (3, 12, Deterioration),
            ],
            &[(2025, 0.5), (2030, 1.0)],
            &[0.2917, 0.3083, 0.325, 0.3417],
            &[(Missed, None), (OffPace, None)],
            "the share fell from 33.33% to 25.00%",
        ),
        target(
            "staff_trained",
            "Leaders, reporters, editors and staff trained in press digital transformation \
             (share of people)",
            [
                (120, 400, NoTrend),
                (230, 410, NoTrend),
                (380, 415, LimitedProgress),
                (402, 420, OnTrack),
            ],
            &[(2025, 1.0)],
            &[1.0, 1.0, 1.0, 1.0],
            &[(Missed, Some(2027))],
            "observed +4.15 points a year, 97% of the +4.29 needed to reach 100.00% by 2025",
        ),
        target(
            "information_security",
            "Electronic press agencies whose information system is certified at level 3 or \
             higher",
            [
                (3, 8, NoTrend),
                (5, 8, NoTrend),
                (8, 8, Achieved),
                (8, 8, Achieved),
            ],
            &[(2025, 1.0)],
            &[1.0, 1.0, 1.0, 1.0],
            &[(Met, None)],
            "100.00% meets the 100.00% required in 2026",
        ),
    ]
}

/// One target of the sample: the figures of the observed years, the milestones, the trend's
/// shares 2027-2030 and each milestone's outcome.
fn target(
    code: &str,
    name: &str,
    observed: [(i64, i64, TargetStatus); 4],
    milestones: &[(i32, f64)],
    projected_shares: &[f64],
    outcomes: &[(Outcome, Option<i32>)],
    explanation: &str,
) -> TargetSection {
    let milestones: Vec<Milestone> = milestones
        .iter()
        .map(|&(year, required_share)| Milestone {
            year,
            required_share,
        })
        .collect();
    let history: Vec<YearShare> = OBSERVED_YEARS
        .iter()
        .zip(observed)
        .map(|(&year, (numerator, denominator, status))| YearShare {
            year,
            numerator,
            denominator,
            share: Some(numerator as f64 / denominator as f64),
            required_share: required_in(&milestones, year),
            status: Some(status),
        })
        .collect();
    let last = history.last().cloned().expect("four observed years");
    let (.., last_status) = observed[observed.len() - 1];
    TargetSection {
        code: code.into(),
        name: name.into(),
        figure: TargetFigure {
            numerator: last.numerator,
            denominator: last.denominator,
            share: last.share,
            required_share: last.required_share,
            status: last_status,
            explanation: explanation.into(),
        },
        history,
        projection: Projection {
            points: (2027..)
                .zip(projected_shares)
                .map(|(year, &share)| ProjectionPoint { year, share })
                .collect(),
            outcomes: milestones
                .iter()
                .zip(outcomes)
                .map(|(milestone, &(outcome, projected_year))| MilestoneOutcome {
                    year: milestone.year,
                    required_share: milestone.required_share,
                    outcome,
                    projected_year,
                })
                .collect(),
        },
        milestones,
    }
}

/// The share required in a year, as the summaries compute it: the milestone's, interpolated
/// between two, the last one's after the last, none before the first.
fn required_in(milestones: &[Milestone], year: i32) -> Option<f64> {
    let before = milestones.iter().rev().find(|m| m.year <= year);
    let after = milestones.iter().find(|m| m.year >= year);
    match (before, after) {
        (Some(before), Some(after)) if after.year > before.year => {
            let progress = f64::from(year - before.year) / f64::from(after.year - before.year);
            Some(before.required_share + (after.required_share - before.required_share) * progress)
        }
        (Some(before), _) => Some(before.required_share),
        (None, _) => None,
    }
}

#[test]
#[ignore = "writes the sample page and CSV to a directory, to look at in a browser"]
fn write_the_sample_report() {
    let directory = std::env::var_os("PRESSDX_RENDER_SAMPLE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("pressdx-render"));
    std::fs::create_dir_all(&directory).unwrap();
    for (status, name) in [
        (ReportStatus::Submitted, "report"),
        (ReportStatus::Draft, "draft"),
    ] {
        let document = sample_document(status);
        std::fs::write(
            directory.join(format!("{name}.html")),
            render_html(&document),
        )
        .unwrap();
        std::fs::write(directory.join(format!("{name}.csv")), render_csv(&document)).unwrap();
    }
    println!("wrote {}", directory.display());
}
