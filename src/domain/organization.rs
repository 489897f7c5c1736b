//! Organisations, effective-dated: each has a lifetime, versions of its attributes over that
//! lifetime, and links to the organisations it continues or that continue it, so that mergers and
//! renames never lose what was reported under the old names.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Spells each variant of a closed vocabulary the one way the catalogue file, the database and the
/// CLI all use.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary! {
    /// What an organisation is.
    OrganizationKind {
        Ministry = "ministry",
        Province = "province",
        Department = "department",
        GoverningBody = "governing_body",
        PressAgency = "press_agency",
    }
}

vocabulary! {
    /// The block a press agency is ranked in.
    AgencyType {
        CentralNewspaper = "central_newspaper",
        LocalNewspaper = "local_newspaper",
        Magazine = "magazine",
        ScientificJournal = "scientific_journal",
        RadioTv = "radio_tv",
        LocalNewspaperRadioTv = "local_newspaper_radio_tv",
    }
}

vocabulary! {
    /// How a successor continues a predecessor.
    LinkKind {
        Merger = "merger",
        Rename = "rename",
    }
}

/// An organisation over its whole life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub code: String,
    pub kind: OrganizationKind,
    /// First day of existence; `None` when it predates everything the catalogue covers.
    pub valid_from: Option<NaiveDate>,
    /// First day it no longer exists; `None` while it still does.
    pub valid_until: Option<NaiveDate>,
    /// Its attributes over its lifetime, oldest first, contiguous and covering the lifetime.
    pub versions: Vec<OrganizationVersion>,
    /// True when facts about it are inferred rather than read in a decision.
    pub illustrative: bool,
    pub note: String,
}

/// The attributes of an organisation during one stretch of its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationVersion {
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub name: String,
    /// The province it belongs to; `None` for the ministry, provinces and central bodies.
    pub province_code: Option<String>,
    /// A press agency's governing body.
    pub governing_body_code: Option<String>,
    /// A press agency's block.
    pub agency_type: Option<AgencyType>,
    pub publishes_electronic_press: bool,
}

/// "`successor_code` continues `predecessor_code` from `effective_on`."
///
/// Ordered by successor first: a catalogue keeps its links sorted, so that the links into one
/// organisation are found by binary search ([`crate::domain::Catalog::links_to`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OrganizationLink {
    pub successor_code: String,
    pub predecessor_code: String,
    pub effective_on: NaiveDate,
    pub kind: LinkKind,
}

/// Whether `date` falls in `[from, until)`, an open end being unbounded.
pub fn in_range(date: NaiveDate, from: Option<NaiveDate>, until: Option<NaiveDate>) -> bool {
    from.is_none_or(|from| from <= date) && until.is_none_or(|until| date < until)
}

impl Organization {
    pub fn exists_on(&self, date: NaiveDate) -> bool {
        in_range(date, self.valid_from, self.valid_until)
    }

    /// The version in force on `date`, if the organisation exists then.
    pub fn version_on(&self, date: NaiveDate) -> Option<&OrganizationVersion> {
        self.versions
            .iter()
            .find(|version| in_range(date, version.valid_from, version.valid_until))
    }

    /// The version in force on `date`, or the nearest one when `date` is outside the lifetime: a
    /// name to show for an organisation that no longer exists.
    pub fn version_nearest(&self, date: NaiveDate) -> &OrganizationVersion {
        if let Some(version) = self.version_on(date) {
            return version;
        }
        let before_birth = self.valid_from.is_some_and(|from| date < from);
        let nearest = if before_birth {
            self.versions.first()
        } else {
            self.versions.last()
        };
        // A validated organisation always has at least one version.
        nearest.unwrap_or_else(|| unreachable!("organisation {} has no version", self.code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn version(from: Option<&str>, until: Option<&str>, name: &str) -> OrganizationVersion {
        OrganizationVersion {
            valid_from: from.map(date),
            valid_until: until.map(date),
            name: name.into(),
            province_code: None,
            governing_body_code: None,
            agency_type: Some(AgencyType::LocalNewspaper),
            publishes_electronic_press: true,
        }
    }

    fn merged_newspaper() -> Organization {
        Organization {
            code: "bao-nam-dinh".into(),
            kind: OrganizationKind::PressAgency,
            valid_from: None,
            valid_until: Some(date("2025-07-01")),
            versions: vec![
                version(None, Some("2025-04-15"), "Báo Nam Định"),
                version(
                    Some("2025-04-15"),
                    Some("2025-07-01"),
                    "Báo Nam Định (với PT-TH)",
                ),
            ],
            illustrative: false,
            note: String::new(),
        }
    }

    #[test]
    fn an_organisation_ends_the_day_before_valid_until() {
        let org = merged_newspaper();
        assert!(org.exists_on(date("2025-06-30")));
        assert!(!org.exists_on(date("2025-07-01")));
        assert!(org.exists_on(date("1990-01-01")));
    }

    #[test]
    fn versions_are_read_on_the_date_and_the_nearest_one_outside_the_lifetime() {
        let org = merged_newspaper();
        assert_eq!(
            org.version_on(date("2025-04-14")).unwrap().name,
            "Báo Nam Định"
        );
        assert_eq!(
            org.version_on(date("2025-04-15")).unwrap().name,
            "Báo Nam Định (với PT-TH)"
        );
        assert!(org.version_on(date("2026-01-01")).is_none());
        assert_eq!(
            org.version_nearest(date("2026-01-01")).name,
            "Báo Nam Định (với PT-TH)"
        );
    }

    #[test]
    fn vocabulary_words_round_trip() {
        for kind in OrganizationKind::ALL {
            assert_eq!(OrganizationKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(AgencyType::parse("radio_tv"), Some(AgencyType::RadioTv));
        assert_eq!(AgencyType::parse("tv"), None);
    }
}
