//! The catalogue as every face reads it: organisations, plans, periods, indicators, frameworks,
//! as of the counters the caller arrived with, so that a read made after an import sees it.

mod requests;

use std::sync::Arc;

use super::authentication::Caller;
use super::error::AppError;
use super::names::{find_maturity_framework, find_organization, find_period};
use super::pagination::{self, PageTokens};
use super::state::App;
use crate::domain::Catalog;
use crate::domain::indicator::Indicator;
use crate::domain::maturity::{Framework, framework_for_period};
use crate::domain::organization::Organization;
use crate::domain::period::Period;
use crate::domain::plan::Plan;
pub use requests::{OrganizationsAsked, PageAsked};

/// One page of a catalogue list, the catalogue it was read from (what the entries refer to, such
/// as an organisation's links), and the token of the next page (empty on the last).
#[derive(Debug, Clone)]
pub struct CatalogPage<T> {
    pub catalog: Arc<Catalog>,
    pub entries: Vec<T>,
    pub next_page_token: String,
}

/// One page of `entries`, in their order, and the token for the next.
pub fn page_of<'a, T>(
    page_tokens: &PageTokens,
    entries: &'a [T],
    key: impl Fn(&T) -> &str,
    page: PageAsked<'_>,
) -> Result<(&'a [T], String), AppError> {
    let size = pagination::page_size(page.size)?;
    let after = page_tokens.resume_after(page.token, page.filters)?;
    let (entries, resume) = pagination::page_after(entries, key, after.as_deref(), size)?;
    let next_page_token = resume
        .map(|last| page_tokens.next(last, page.filters))
        .unwrap_or_default();
    Ok((entries, next_page_token))
}

impl App {
    /// The catalogue as of the counters `caller` arrived with.
    pub async fn catalog(&self, caller: &Caller) -> Result<Arc<Catalog>, AppError> {
        Ok(self.read_model.catalog(Some(caller.counters())).await?)
    }

    /// One page of the organisations `asked` for, sorted by code.
    pub async fn organizations(
        &self,
        caller: &Caller,
        asked: OrganizationsAsked<'_>,
        page: PageAsked<'_>,
    ) -> Result<CatalogPage<Organization>, AppError> {
        let page_size = pagination::page_size(page.size)?;
        let after = self.page_tokens.resume_after(page.token, page.filters)?;
        let catalog = self.catalog(caller).await?;
        // Organisations come sorted by code: the page token is the last code of a page.
        let mut matching = catalog.organizations.iter().filter(|organization| {
            let Some(version) = organization.version_on(asked.as_of) else {
                return false;
            };
            asked.kind.is_none_or(|kind| organization.kind == kind)
                && (asked.province_code.is_empty()
                    || version.province_code.as_deref() == Some(asked.province_code))
                && after
                    .as_ref()
                    .is_none_or(|after| organization.code.as_str() > after.as_str())
        });
        let entries: Vec<Organization> = matching
            .by_ref()
            .take(page_size as usize)
            .cloned()
            .collect();
        let next_page_token = match entries.last() {
            Some(last) if matching.next().is_some() => {
                self.page_tokens.next(&last.code, page.filters)
            }
            _ => String::new(),
        };
        Ok(CatalogPage {
            catalog,
            entries,
            next_page_token,
        })
    }

    /// The organisation `code` names, and the catalogue it was read from.
    pub async fn organization(
        &self,
        caller: &Caller,
        code: &str,
    ) -> Result<(Organization, Arc<Catalog>), AppError> {
        let catalog = self.catalog(caller).await?;
        let organization = find_organization(&catalog, code)?.clone();
        Ok((organization, catalog))
    }

    /// One page of the indicators, in the catalogue's order.
    pub async fn indicators(
        &self,
        caller: &Caller,
        page: PageAsked<'_>,
    ) -> Result<CatalogPage<Indicator>, AppError> {
        let catalog = self.catalog(caller).await?;
        self.catalog_page(
            &catalog,
            &catalog.indicators,
            |indicator| &indicator.code,
            page,
        )
    }

    /// One page of the plans, in the catalogue's order.
    pub async fn plans(
        &self,
        caller: &Caller,
        page: PageAsked<'_>,
    ) -> Result<CatalogPage<Plan>, AppError> {
        let catalog = self.catalog(caller).await?;
        self.catalog_page(&catalog, &catalog.plans, |plan| &plan.code, page)
    }

    /// One page of the periods, in the catalogue's order.
    pub async fn periods(
        &self,
        caller: &Caller,
        page: PageAsked<'_>,
    ) -> Result<CatalogPage<Period>, AppError> {
        let catalog = self.catalog(caller).await?;
        self.catalog_page(&catalog, &catalog.periods, |period| &period.code, page)
    }

    /// One page of the maturity frameworks; with a period (not empty), the one framework that
    /// governs it, or nothing: a period has at most one (the catalogue import checks it).
    pub async fn maturity_frameworks(
        &self,
        caller: &Caller,
        period_code: &str,
        page: PageAsked<'_>,
    ) -> Result<CatalogPage<Framework>, AppError> {
        let catalog = self.catalog(caller).await?;
        if !period_code.is_empty() {
            find_period(&catalog, period_code)?;
        }
        let governing = if period_code.is_empty() {
            catalog.maturity_frameworks.as_slice()
        } else {
            framework_for_period(&catalog.maturity_frameworks, period_code)
                .map(std::slice::from_ref)
                .unwrap_or_default()
        };
        self.catalog_page(&catalog, governing, |framework| &framework.code, page)
    }

    /// The maturity framework `code` names.
    pub async fn maturity_framework(
        &self,
        caller: &Caller,
        code: &str,
    ) -> Result<Framework, AppError> {
        let catalog = self.catalog(caller).await?;
        Ok(find_maturity_framework(&catalog, code)?.clone())
    }

    /// One page of `entries`, a list of `catalog`.
    fn catalog_page<T: Clone>(
        &self,
        catalog: &Arc<Catalog>,
        entries: &[T],
        key: impl Fn(&T) -> &str,
        page: PageAsked<'_>,
    ) -> Result<CatalogPage<T>, AppError> {
        let (entries, next_page_token) = page_of(&self.page_tokens, entries, key, page)?;
        let entries = entries.to_vec();
        Ok(CatalogPage {
            catalog: catalog.clone(),
            entries,
            next_page_token,
        })
    }
}
