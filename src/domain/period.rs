//! Reporting periods: a data window with its own deadline, not just a year.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Vietnam's offset from UTC: +07:00 all year, no daylight saving.
const VIETNAM_UTC_OFFSET_SECONDS: i32 = 7 * 3600;

/// Vietnam's time zone, for showing instants and for "today".
pub fn vietnam_time() -> FixedOffset {
    FixedOffset::east_opt(VIETNAM_UTC_OFFSET_SECONDS)
        .unwrap_or_else(|| unreachable!("+07:00 is in range"))
}

/// Today's date in Vietnam.
pub fn today_in_vietnam() -> NaiveDate {
    (Utc::now() + TimeDelta::seconds(VIETNAM_UTC_OFFSET_SECONDS.into())).date_naive()
}

/// One reporting period, such as "2025": the window its data covers (both days inclusive), the
/// instant after which reports are late, and the instant after which agencies can no longer
/// submit (unless the province reopens it for one of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub code: String,
    pub year: i32,
    pub window_start: NaiveDate,
    pub window_end: NaiveDate,
    pub deadline: DateTime<Utc>,
    /// After this instant the period is closed to submissions; `None`: it never closes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
}

/// Whether a report arrived by its period's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeliness {
    OnTime,
    Late,
}

impl Period {
    /// The day the organisation tree is read on for this period: the last day of its data window.
    /// An agency reports for a period only if it exists that day, so that a merger counts the
    /// successor, never both it and its predecessors.
    pub fn reference_date(&self) -> NaiveDate {
        self.window_end
    }

    /// Whether a report received at `received_at` comes after the period closed.
    pub fn is_closed_at(&self, received_at: DateTime<Utc>) -> bool {
        self.closes_at
            .is_some_and(|closes_at| received_at > closes_at)
    }

    /// The instant by which provinces report to the Ministry on this period: the first moment of
    /// the day after the data window ends, Vietnam time. The default windows end on 14 December,
    /// so this is 15 December 00:00 (Ministry letter 1369/BTTTT-CBC asks for the report before
    /// 15 December).
    pub fn province_report_deadline(&self) -> DateTime<Utc> {
        let day_after = self.window_end + TimeDelta::days(1);
        day_after
            .and_time(chrono::NaiveTime::MIN)
            .and_local_timezone(vietnam_time())
            .single()
            .unwrap_or_else(|| unreachable!("a fixed offset has no gaps"))
            .with_timezone(&Utc)
    }

    pub fn timeliness(&self, received_at: DateTime<Utc>) -> Timeliness {
        if received_at <= self.deadline {
            Timeliness::OnTime
        } else {
            Timeliness::Late
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn provinces_report_before_15_december_vietnam_time() {
        // 15 December 2025 00:00 at +07:00 is 14 December 17:00 UTC.
        assert_eq!(
            period_2025().province_report_deadline(),
            Utc.with_ymd_and_hms(2025, 12, 14, 17, 0, 0).unwrap()
        );
    }

    fn period_2025() -> Period {
        Period {
            code: "2025".into(),
            year: 2025,
            window_start: NaiveDate::from_ymd_opt(2024, 12, 15).unwrap(),
            window_end: NaiveDate::from_ymd_opt(2025, 12, 14).unwrap(),
            // 15 November 2025 00:00 in Vietnam (UTC+7).
            deadline: Utc.with_ymd_and_hms(2025, 11, 14, 17, 0, 0).unwrap(),
            closes_at: Some(Utc.with_ymd_and_hms(2025, 12, 14, 17, 0, 0).unwrap()),
        }
    }

    #[test]
    fn the_deadline_instant_itself_is_on_time_and_a_second_later_is_late() {
        let period = period_2025();
        let at_deadline = Utc.with_ymd_and_hms(2025, 11, 14, 17, 0, 0).unwrap();
        assert_eq!(period.timeliness(at_deadline), Timeliness::OnTime);
        let just_after = Utc.with_ymd_and_hms(2025, 11, 14, 17, 0, 1).unwrap();
        assert_eq!(period.timeliness(just_after), Timeliness::Late);
    }

    #[test]
    fn a_period_closes_after_its_closing_instant_and_never_without_one() {
        let mut period = period_2025();
        let closing = Utc.with_ymd_and_hms(2025, 12, 14, 17, 0, 0).unwrap();
        assert!(!period.is_closed_at(closing));
        assert!(period.is_closed_at(closing + chrono::TimeDelta::seconds(1)));
        period.closes_at = None;
        assert!(!period.is_closed_at(Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap()));
    }
}
