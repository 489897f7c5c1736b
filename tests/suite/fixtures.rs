//! Reports and requests the tests build on, and helpers to read error details.

use pressdx::proto::{
    AnnualReport, DigitalPlatform, PlatformOrigin, StaffCounts, SubmitReportRequest,
};
use tonic::Status;
use tonic_types::StatusExt;

/// An agency that exists until the 2025 merger (reports up to period 2024).
pub const OLD_AGENCY: &str = "bao-nam-dinh";
/// Its successor, from 1 July 2025 (reports from period 2025).
pub const NEW_AGENCY: &str = "bao-ptth-ninh-binh-2025";

/// A report that keeps every rule.
pub fn complete_report() -> AnnualReport {
    let staff = |leaders, reporters, editors, other| StaffCounts {
        leaders: Some(leaders),
        reporters: Some(reporters),
        editors: Some(editors),
        other: Some(other),
    };
    AnnualReport {
        content_on_digital_platforms: Some(true),
        digital_platforms: vec![
            DigitalPlatform {
                name: "baonamdinh.vn".into(),
                origin: PlatformOrigin::Own.into(),
            },
            DigitalPlatform {
                name: "Zalo".into(),
                origin: PlatformOrigin::Domestic.into(),
            },
        ],
        central_data_platform: Some(true),
        ai_in_operations: Some(false),
        converged_newsroom: Some(true),
        newsroom_management_platform: Some(true),
        revenue_vnd: Some(25_000_000_000),
        digital_revenue_vnd: Some(4_000_000_000),
        headcount: Some(staff(6, 40, 20, 14)),
        trained: Some(staff(6, 30, 12, 2)),
        publishes_electronic_press: Some(true),
        security_level: Some(3),
        digital_products_launched: Some(2),
        digital_radio_platform: Some(false),
        digital_tv_platform: Some(false),
    }
}

pub fn request(
    request_id: &str,
    agency: &str,
    period: &str,
    report: AnnualReport,
) -> SubmitReportRequest {
    SubmitReportRequest {
        request_id: request_id.into(),
        agency_code: agency.into(),
        period_code: period.into(),
        report: Some(report),
        validate_only: false,
        received_at: None,
    }
}

/// A fresh request id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The field paths of a refusal's google.rpc.BadRequest, in order.
pub fn violated_fields(status: &Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad_request| {
            bad_request
                .field_violations
                .iter()
                .map(|violation| violation.field.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// The reason of a refusal's google.rpc.ErrorInfo.
pub fn error_reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}
