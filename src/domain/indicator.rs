//! Indicators: the fields of the annual report as the catalogue describes them, with their types,
//! units, limits and whether a report must carry them.

use super::organization::vocabulary;
use serde::{Deserialize, Serialize};

vocabulary! {
    /// The type of an indicator's value.
    IndicatorType {
        Boolean = "boolean",
        Count = "count",
        Money = "money",
        Level = "level",
        PlatformList = "platform_list",
    }
}

impl IndicatorType {
    /// Whether values of this type are whole numbers with limits.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            IndicatorType::Count | IndicatorType::Money | IndicatorType::Level
        )
    }
}

/// One indicator of the annual report. Its code is the field path inside the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    pub code: String,
    pub name: String,
    pub description: String,
    pub indicator_type: IndicatorType,
    pub unit: String,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub required: bool,
}

/// Every field the report message has, with the type its wire form fixes. The catalogue must
/// describe exactly these; it chooses names, units, limits and which are required.
pub const REPORT_FIELDS: &[(&str, IndicatorType)] = &[
    ("content_on_digital_platforms", IndicatorType::Boolean),
    ("digital_platforms", IndicatorType::PlatformList),
    ("central_data_platform", IndicatorType::Boolean),
    ("ai_in_operations", IndicatorType::Boolean),
    ("converged_newsroom", IndicatorType::Boolean),
    ("newsroom_management_platform", IndicatorType::Boolean),
    ("revenue_vnd", IndicatorType::Money),
    ("digital_revenue_vnd", IndicatorType::Money),
    ("headcount.leaders", IndicatorType::Count),
    ("headcount.reporters", IndicatorType::Count),
    ("headcount.editors", IndicatorType::Count),
    ("headcount.other", IndicatorType::Count),
    ("trained.leaders", IndicatorType::Count),
    ("trained.reporters", IndicatorType::Count),
    ("trained.editors", IndicatorType::Count),
    ("trained.other", IndicatorType::Count),
    ("publishes_electronic_press", IndicatorType::Boolean),
    ("security_level", IndicatorType::Level),
    ("digital_products_launched", IndicatorType::Count),
    ("digital_radio_platform", IndicatorType::Boolean),
    ("digital_tv_platform", IndicatorType::Boolean),
];

/// The type the report message fixes for a field, if the report has that field.
pub fn report_field_type(code: &str) -> Option<IndicatorType> {
    REPORT_FIELDS
        .iter()
        .find(|(field, _)| *field == code)
        .map(|(_, field_type)| *field_type)
}
