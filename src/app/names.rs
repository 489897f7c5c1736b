//! Finding what a request names in the catalogue: NOT_FOUND or INVALID_ARGUMENT otherwise, naming
//! the closest codes the catalogue has (crate::domain::naming).

use super::error::AppError;
use crate::domain::Catalog;
use crate::domain::access::{Principal, Role};
use crate::domain::maturity::Framework;
use crate::domain::naming::{did_you_mean, echo};
use crate::domain::organization::{Organization, OrganizationKind};
use crate::domain::period::Period;
use crate::domain::plan::{Plan, Target};
use crate::domain::scope::Scope;

/// The plan `code` names; NOT_FOUND (PLAN_NOT_FOUND) naming the closest codes otherwise.
pub fn find_plan<'a>(catalog: &'a Catalog, code: &str) -> Result<&'a Plan, AppError> {
    catalog
        .plans
        .iter()
        .find(|plan| plan.code == code)
        .ok_or_else(|| {
            let known = catalog.plans.iter().map(|plan| plan.code.as_str());
            AppError::not_found(
                "PLAN_NOT_FOUND",
                format!("no plan {}{}", echo(code), did_you_mean(code, known)),
            )
        })
}

/// The target `code` names in `plan`; NOT_FOUND (TARGET_NOT_FOUND) naming the closest otherwise.
pub fn find_target<'a>(plan: &'a Plan, code: &str) -> Result<&'a Target, AppError> {
    plan.targets
        .iter()
        .find(|target| target.code == code)
        .ok_or_else(|| {
            let known = plan.targets.iter().map(|target| target.code.as_str());
            AppError::not_found(
                "TARGET_NOT_FOUND",
                format!(
                    "plan {:?} has no target {}{}",
                    plan.code,
                    echo(code),
                    did_you_mean(code, known)
                ),
            )
        })
}

/// The maturity framework `code` names; NOT_FOUND (MATURITY_FRAMEWORK_NOT_FOUND) naming the closest
/// codes otherwise.
pub fn find_maturity_framework<'a>(
    catalog: &'a Catalog,
    code: &str,
) -> Result<&'a Framework, AppError> {
    catalog
        .maturity_frameworks
        .iter()
        .find(|framework| framework.code == code)
        .ok_or_else(|| {
            let known = catalog
                .maturity_frameworks
                .iter()
                .map(|framework| framework.code.as_str());
            AppError::not_found(
                "MATURITY_FRAMEWORK_NOT_FOUND",
                format!(
                    "no maturity framework {}{}",
                    echo(code),
                    did_you_mean(code, known)
                ),
            )
        })
}

/// The period `code` names; NOT_FOUND (PERIOD_NOT_FOUND) naming the closest codes otherwise.
pub fn find_period<'a>(catalog: &'a Catalog, code: &str) -> Result<&'a Period, AppError> {
    catalog.period(code).ok_or_else(|| {
        let known = catalog.periods.iter().map(|period| period.code.as_str());
        AppError::not_found(
            "PERIOD_NOT_FOUND",
            format!("no period {}{}", echo(code), did_you_mean(code, known)),
        )
    })
}

/// The organisation `code` names; NOT_FOUND (ORGANIZATION_NOT_FOUND) naming the closest codes
/// otherwise.
pub fn find_organization<'a>(
    catalog: &'a Catalog,
    code: &str,
) -> Result<&'a Organization, AppError> {
    catalog.organization(code).ok_or_else(|| {
        let known = catalog.organizations.iter().map(|org| org.code.as_str());
        AppError::not_found(
            "ORGANIZATION_NOT_FOUND",
            format!(
                "no organisation {}{}",
                echo(code),
                did_you_mean(code, known)
            ),
        )
    })
}

/// Reads and checks a request's scope: INVALID_ARGUMENT on `field` if it is malformed or names an
/// organisation the catalogue does not have (naming the closest of the right kind) or one of
/// another kind.
pub fn parse_scope(catalog: &Catalog, field: &str, text: &str) -> Result<Scope, AppError> {
    let scope = Scope::parse(text).map_err(|why| AppError::invalid_argument(field, why))?;
    if let Err(why) = scope.check(catalog) {
        let hint = match (scope.organization_code(), scope.organization_kind()) {
            (Some(code), Some(kind)) if catalog.organization(code).is_none() => {
                let known = catalog
                    .organizations
                    .iter()
                    .filter(|organization| organization.kind == kind)
                    .map(|organization| organization.code.as_str());
                did_you_mean(code, known)
            }
            _ => String::new(),
        };
        return Err(AppError::invalid_argument(field, format!("{why}{hint}")));
    }
    Ok(scope)
}

/// Refuses, on `agency_code` (INVALID_ARGUMENT), a code that is not a press agency existing on
/// the period's reference date: one that does not report for the period.
pub fn require_reporting_agency(
    catalog: &Catalog,
    agency_code: &str,
    period: &Period,
) -> Result<(), AppError> {
    let reports = catalog.organization(agency_code).is_some_and(|agency| {
        agency.kind == OrganizationKind::PressAgency && agency.exists_on(period.reference_date())
    });
    if reports {
        return Ok(());
    }
    Err(AppError::invalid_argument(
        "agency_code",
        format!(
            "{} is not a press agency that reports for period {}",
            echo(agency_code),
            period.code
        ),
    ))
}

/// The scope a request asks for: as written, or, left empty, the caller's own organisation (its
/// province, governing body or agency; every agency for the Ministry).
pub fn scope_or_own(scope: &str, principal: &Principal) -> String {
    if !scope.is_empty() {
        return scope.to_string();
    }
    let kind = match principal.role {
        Role::Province => "province",
        Role::GoverningBody => "governing_body",
        Role::Agency => "agency",
        Role::Ministry | Role::Admin => return "country".to_string(),
    };
    format!(
        "{kind}:{}",
        principal.organization.as_deref().unwrap_or_default()
    )
}
