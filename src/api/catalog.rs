//! CatalogService: the catalogue, read-only.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use tracing::instrument;

use super::access::caller_of;
use super::convert::{
    as_of_date, indicator_to_proto, maturity_framework_to_proto, organization_kind_from_proto,
    organization_to_proto, period_to_proto, plan_to_proto,
};
use crate::app::App;
use crate::app::AppError;
use crate::app::Caller;
use crate::app::ReadModel;
use crate::app::names::{find_maturity_framework, find_organization, find_period};
use crate::app::pagination::{self, PageTokens};
use crate::domain::Catalog;
use crate::domain::formats::{Field, check_fields};
use crate::domain::maturity::framework_for_period;
use crate::proto::catalog_service_server::CatalogService;
use crate::proto::{
    GetMaturityFrameworkRequest, GetOrganizationRequest, ListIndicatorsRequest,
    ListIndicatorsResponse, ListMaturityFrameworksRequest, ListMaturityFrameworksResponse,
    ListOrganizationsRequest, ListOrganizationsResponse, ListPeriodsRequest, ListPeriodsResponse,
    ListPlansRequest, ListPlansResponse, MaturityFramework, Organization,
};

/// Answers from the same in-memory catalogue that submissions are checked against, reloaded
/// whenever an import changes it.
pub struct CatalogApi {
    read_model: Arc<ReadModel>,
    page_tokens: PageTokens,
}

/// One page of a catalogue list, in the catalogue's order, and the token for the next.
pub(super) fn paged<T, P>(
    page_tokens: &PageTokens,
    items: &[T],
    key: impl Fn(&T) -> &str,
    to_proto: impl Fn(&T) -> P,
    (page_size, page_token): (i32, &str),
    list: &str,
) -> Result<(Vec<P>, String), AppError> {
    let size = pagination::page_size(page_size)?;
    let after = page_tokens.resume_after(page_token, list)?;
    let (page, resume) = pagination::page_after(items, key, after.as_deref(), size)?;
    let next_page_token = resume
        .map(|last| page_tokens.next(last, list))
        .unwrap_or_default();
    Ok((page.iter().map(to_proto).collect(), next_page_token))
}

impl CatalogApi {
    pub fn new(app: &App) -> Self {
        CatalogApi {
            read_model: app.read_model().clone(),
            page_tokens: app.page_tokens().clone(),
        }
    }

    async fn list_organizations(
        &self,
        request: ListOrganizationsRequest,
        caller: &Caller,
    ) -> Result<ListOrganizationsResponse, AppError> {
        let mut violations =
            check_fields(&[("province_code", Field::OptionalCode(&request.province_code))]);
        let as_of = as_of_date(&request.as_of);
        if let Err(AppError::InvalidArgument(more)) = &as_of {
            violations.extend(more.iter().cloned());
        }
        if !violations.is_empty() {
            return Err(AppError::InvalidArgument(violations));
        }
        let as_of = as_of?;
        let kind = organization_kind_from_proto(request.kind).ok_or_else(|| {
            AppError::invalid_argument("kind", format!("unknown kind {}", request.kind))
        })?;
        let page_size = pagination::page_size(request.page_size)?;
        let filters = format!(
            "as_of={as_of};kind={};province={}",
            request.kind, request.province_code
        );
        let after = self
            .page_tokens
            .resume_after(&request.page_token, &filters)?;

        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        // Organisations come sorted by code: the page token is the last code of a page.
        let mut matching = catalog.organizations.iter().filter(|organization| {
            let Some(version) = organization.version_on(as_of) else {
                return false;
            };
            kind.is_none_or(|kind| organization.kind == kind)
                && (request.province_code.is_empty()
                    || version.province_code.as_deref() == Some(request.province_code.as_str()))
                && after
                    .as_ref()
                    .is_none_or(|after| organization.code.as_str() > after.as_str())
        });
        let page: Vec<_> = matching.by_ref().take(page_size as usize).collect();
        let next_page_token = match page.last() {
            Some(last) if matching.next().is_some() => self.page_tokens.next(&last.code, &filters),
            _ => String::new(),
        };
        Ok(ListOrganizationsResponse {
            organizations: page
                .into_iter()
                .map(|organization| organization_to_proto(organization, &catalog.links, as_of))
                .collect(),
            next_page_token,
        })
    }

    async fn get_organization(
        &self,
        request: GetOrganizationRequest,
        caller: &Caller,
    ) -> Result<Organization, AppError> {
        let mut violations = check_fields(&[("code", Field::Code(&request.code))]);
        let as_of = as_of_date(&request.as_of);
        if let Err(AppError::InvalidArgument(more)) = &as_of {
            violations.extend(more.iter().cloned());
        }
        if !violations.is_empty() {
            return Err(AppError::InvalidArgument(violations));
        }
        let as_of = as_of?;
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let organization = find_organization(&catalog, &request.code)?;
        Ok(organization_to_proto(organization, &catalog.links, as_of))
    }
}

impl CatalogApi {
    async fn list_maturity_frameworks(
        &self,
        request: ListMaturityFrameworksRequest,
        caller: &Caller,
    ) -> Result<ListMaturityFrameworksResponse, AppError> {
        AppError::check_fields(&[("period_code", Field::OptionalCode(&request.period_code))])?;
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        // With a period, the list is the one framework that governs it, or nothing: a period has
        // at most one (the catalogue import checks it).
        let frameworks = if request.period_code.is_empty() {
            catalog.maturity_frameworks.as_slice()
        } else {
            find_period(&catalog, &request.period_code)?;
            framework_for_period(&catalog.maturity_frameworks, &request.period_code)
                .map(std::slice::from_ref)
                .unwrap_or_default()
        };
        let (frameworks, next_page_token) = paged(
            &self.page_tokens,
            frameworks,
            |framework| &framework.code,
            maturity_framework_to_proto,
            (request.page_size, &request.page_token),
            &format!("maturity_frameworks;period={}", request.period_code),
        )?;
        Ok(ListMaturityFrameworksResponse {
            frameworks,
            next_page_token,
        })
    }

    async fn get_maturity_framework(
        &self,
        request: GetMaturityFrameworkRequest,
        caller: &Caller,
    ) -> Result<MaturityFramework, AppError> {
        AppError::check_fields(&[("code", Field::Code(&request.code))])?;
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let framework = find_maturity_framework(&catalog, &request.code)?;
        Ok(maturity_framework_to_proto(framework))
    }

    /// The catalogue as of the counters the request arrived with.
    async fn catalog_for<T>(&self, request: &Request<T>) -> Result<Arc<Catalog>, Status> {
        let caller = caller_of(request)?;
        Ok(self
            .read_model
            .catalog(Some(caller.counters()))
            .await
            .map_err(AppError::from)?)
    }
}

#[tonic::async_trait]
impl CatalogService for CatalogApi {
    #[instrument(skip_all)]
    async fn list_organizations(
        &self,
        request: Request<ListOrganizationsRequest>,
    ) -> Result<Response<ListOrganizationsResponse>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            CatalogApi::list_organizations(self, request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(code = %request.get_ref().code))]
    async fn get_organization(
        &self,
        request: Request<GetOrganizationRequest>,
    ) -> Result<Response<Organization>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            CatalogApi::get_organization(self, request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all)]
    async fn list_indicators(
        &self,
        request: Request<ListIndicatorsRequest>,
    ) -> Result<Response<ListIndicatorsResponse>, Status> {
        let catalog = self.catalog_for(&request).await?;
        let request = request.into_inner();
        let (indicators, next_page_token) = paged(
            &self.page_tokens,
            &catalog.indicators,
            |indicator| &indicator.code,
            indicator_to_proto,
            (request.page_size, &request.page_token),
            "indicators",
        )?;
        Ok(Response::new(ListIndicatorsResponse {
            indicators,
            next_page_token,
        }))
    }

    #[instrument(skip_all)]
    async fn list_plans(
        &self,
        request: Request<ListPlansRequest>,
    ) -> Result<Response<ListPlansResponse>, Status> {
        let catalog = self.catalog_for(&request).await?;
        let request = request.into_inner();
        let (plans, next_page_token) = paged(
            &self.page_tokens,
            &catalog.plans,
            |plan| &plan.code,
            plan_to_proto,
            (request.page_size, &request.page_token),
            "plans",
        )?;
        Ok(Response::new(ListPlansResponse {
            plans,
            next_page_token,
        }))
    }

    #[instrument(skip_all)]
    async fn list_periods(
        &self,
        request: Request<ListPeriodsRequest>,
    ) -> Result<Response<ListPeriodsResponse>, Status> {
        let catalog = self.catalog_for(&request).await?;
        let request = request.into_inner();
        let (periods, next_page_token) = paged(
            &self.page_tokens,
            &catalog.periods,
            |period| &period.code,
            period_to_proto,
            (request.page_size, &request.page_token),
            "periods",
        )?;
        Ok(Response::new(ListPeriodsResponse {
            periods,
            next_page_token,
        }))
    }

    #[instrument(skip_all, fields(period = %request.get_ref().period_code))]
    async fn list_maturity_frameworks(
        &self,
        request: Request<ListMaturityFrameworksRequest>,
    ) -> Result<Response<ListMaturityFrameworksResponse>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            CatalogApi::list_maturity_frameworks(self, request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(code = %request.get_ref().code))]
    async fn get_maturity_framework(
        &self,
        request: Request<GetMaturityFrameworkRequest>,
    ) -> Result<Response<MaturityFramework>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            CatalogApi::get_maturity_framework(self, request.into_inner(), &caller).await?,
        ))
    }
}
