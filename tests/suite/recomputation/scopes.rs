//! Scopes and boundaries as summary.proto words them: what an organisation was made of on a date,
//! who continues it, why it is absent, and which agencies a scope covers.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use pressdx::proto::scope_absence;

use super::catalog::{Model, Org};
use super::figures::Absence;

impl Model {
    /// Made of: the organisations X, taken as it stood on `taken_on` (None: the end of the
    /// catalogue's time), was made of on `on`: X itself if it exists on `on`, and every
    /// organisation existing on `on` that X continues through a chain of links each taking
    /// effect after `on` and on or before `taken_on`.
    pub(super) fn made_of(
        &self,
        x: &str,
        taken_on: Option<NaiveDate>,
        on: NaiveDate,
    ) -> BTreeSet<String> {
        let mut made_of = BTreeSet::new();
        if self.exists(x, on) {
            made_of.insert(x.to_string());
        }
        let mut seen = BTreeSet::from([x.to_string()]);
        let mut to_follow = vec![x.to_string()];
        while let Some(successor) = to_follow.pop() {
            for link in &self.links {
                if link.successor == successor
                    && link.effective == on
                    && self.exists(&link.predecessor, on)
                {
                    self.count("made of: a link taking effect on the date, its predecessor there");
                }
                if link.successor == successor
                    && link.effective > on
                    && taken_on.is_none_or(|taken_on| link.effective <= taken_on)
                    && seen.insert(link.predecessor.clone())
                {
                    if self.exists(&link.predecessor, on) {
                        made_of.insert(link.predecessor.clone());
                    }
                    to_follow.push(link.predecessor.clone());
                }
            }
        }
        made_of
    }

    /// ScopeAbsence.instead_codes for ENDED: the organisations existing on `on` that continue X
    /// through a chain of links taking effect on or before it.
    pub(super) fn continuing(&self, x: &str, on: NaiveDate) -> BTreeSet<String> {
        let mut continuing = BTreeSet::new();
        let mut seen = BTreeSet::from([x.to_string()]);
        let mut to_follow = vec![x.to_string()];
        while let Some(predecessor) = to_follow.pop() {
            for link in &self.links {
                if link.predecessor == predecessor
                    && link.effective <= on
                    && seen.insert(link.successor.clone())
                {
                    if self.exists(&link.successor, on) {
                        continuing.insert(link.successor.clone());
                    }
                    to_follow.push(link.successor.clone());
                }
            }
        }
        continuing
    }

    /// X did not exist on `on`: why, and who stood for it.
    pub(super) fn absence(&self, x: &str, on: NaiveDate) -> Absence {
        let org = &self.orgs[x];
        if org.from.is_some_and(|from| on < from) {
            self.count(if self.made_of(x, None, on).is_empty() {
                "absence: not yet formed, from nothing"
            } else {
                "absence: not yet formed, made of others"
            });
            Absence {
                code: x.to_string(),
                date: on,
                reason: scope_absence::Reason::NotYetFormed,
                instead: self.made_of(x, None, on),
            }
        } else {
            self.count(if self.continuing(x, on).is_empty() {
                "absence: ended, no successor"
            } else {
                "absence: ended, continued"
            });
            Absence {
                code: x.to_string(),
                date: on,
                reason: scope_absence::Reason::Ended,
                instead: self.continuing(x, on),
            }
        }
    }

    /// The agencies existing on `reference` whose attribute named by the scope is in `parts`
    /// ("agency": the agencies in `parts`).
    pub(super) fn agencies_of(
        &self,
        scope: &Scope,
        parts: &BTreeSet<String>,
        reference: NaiveDate,
    ) -> BTreeSet<String> {
        self.agencies()
            .filter(|org| org.exists(reference))
            .filter(|org| {
                let version = org.on(reference);
                let attribute = match scope {
                    Scope::Province(_) => version.province.as_ref(),
                    Scope::Body(_) => version.body.as_ref(),
                    Scope::Agency(_) => Some(&org.code),
                    Scope::Country | Scope::Type(_) => unreachable!("not an organisation's scope"),
                };
                attribute.is_some_and(|code| parts.contains(code))
            })
            .map(|org| org.code.clone())
            .collect()
    }

    /// Boundaries: the agencies a scope covers in a period whose reference date is `reference`,
    /// and the absence of its organisation if there is one.
    pub(super) fn covers(
        &self,
        scope: &Scope,
        within: Within,
        reference: NaiveDate,
    ) -> (BTreeSet<String>, Option<Absence>) {
        let every = |keep: &dyn Fn(&Org) -> bool| -> BTreeSet<String> {
            self.agencies()
                .filter(|org| org.exists(reference) && keep(org))
                .map(|org| org.code.clone())
                .collect()
        };
        let x = match scope {
            // "country" and "agency_type:T" cover the same under both boundaries.
            Scope::Country => return (every(&|_| true), None),
            Scope::Type(agency_type) => {
                return (
                    every(&|org| org.on(reference).agency_type.as_deref() == Some(agency_type)),
                    None,
                );
            }
            Scope::Province(x) | Scope::Body(x) | Scope::Agency(x) => x.as_str(),
        };
        match within {
            Within::Historical => {
                if !self.exists(x, reference) {
                    return (BTreeSet::new(), Some(self.absence(x, reference)));
                }
                let alone = BTreeSet::from([x.to_string()]);
                (self.agencies_of(scope, &alone, reference), None)
            }
            Within::Current(as_of) => {
                if !self.exists(x, as_of) {
                    return (BTreeSet::new(), Some(self.absence(x, as_of)));
                }
                if reference <= as_of {
                    let parts = self.made_of(x, Some(as_of), reference);
                    if parts.len() > 1 || !parts.contains(x) {
                        self.count("CURRENT: read back over other organisations");
                    }
                    (self.agencies_of(scope, &parts, reference), None)
                } else if self.exists(x, reference) {
                    let alone = BTreeSet::from([x.to_string()]);
                    (self.agencies_of(scope, &alone, reference), None)
                } else {
                    self.count("CURRENT: reference date after as_of, ended by then");
                    // "Nothing otherwise"; ScopeResolution.absence: under CURRENT, "for a period
                    // whose reference date is after as_of, that reference date too (it had ended
                    // by then)".
                    (BTreeSet::new(), Some(self.absence(x, reference)))
                }
            }
        }
    }

    /// The trend's coverage: the period of year Y-1 (reference `previous`) read under the same
    /// boundaries, except that under HISTORICAL a scope whose organisation did not exist on
    /// `previous` is taken as it stood on `reference`.
    pub(super) fn previous_covers(
        &self,
        scope: &Scope,
        within: Within,
        reference: NaiveDate,
        previous: NaiveDate,
    ) -> BTreeSet<String> {
        if let (Within::Historical, Some(x)) = (within, scope.organization())
            && !self.exists(x, previous)
        {
            if !self.exists(x, reference) {
                return BTreeSet::new();
            }
            let covered = self.covers(scope, Within::Current(reference), previous).0;
            if !covered.is_empty() {
                self.count("HISTORICAL trend: taken as it stood on R");
            }
            return covered;
        }
        self.covers(scope, within, previous).0
    }
}

#[derive(Clone)]
pub(super) enum Scope {
    Country,
    Type(String),
    Province(String),
    Body(String),
    Agency(String),
}

impl Scope {
    pub(super) fn text(&self) -> String {
        match self {
            Scope::Country => "country".to_string(),
            Scope::Type(t) => format!("agency_type:{t}"),
            Scope::Province(code) => format!("province:{code}"),
            Scope::Body(code) => format!("governing_body:{code}"),
            Scope::Agency(code) => format!("agency:{code}"),
        }
    }

    pub(super) fn organization(&self) -> Option<&str> {
        match self {
            Scope::Country | Scope::Type(_) => None,
            Scope::Province(code) | Scope::Body(code) | Scope::Agency(code) => Some(code),
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Within {
    Historical,
    Current(NaiveDate),
}

impl fmt::Display for Within {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Within::Historical => write!(f, "HISTORICAL"),
            Within::Current(as_of) => write!(f, "CURRENT as_of {as_of}"),
        }
    }
}
