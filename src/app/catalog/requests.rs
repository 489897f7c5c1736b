//! What the catalogue lists are asked: a page, and which organisations.

use chrono::NaiveDate;

use crate::domain::organization::OrganizationKind;

/// Which page of a list a request asks for, in its own words.
#[derive(Debug, Clone, Copy)]
pub struct PageAsked<'a> {
    pub size: i32,
    pub token: &'a str,
    /// The request's filters: a token resumes only the list it was given out for.
    pub filters: &'a str,
}

/// Which organisations a list asks for.
#[derive(Debug, Clone, Copy)]
pub struct OrganizationsAsked<'a> {
    /// Those existing on this day, read as they stood then.
    pub as_of: NaiveDate,
    /// Of this kind only, if any.
    pub kind: Option<OrganizationKind>,
    /// In this province only, if not empty.
    pub province_code: &'a str,
}
