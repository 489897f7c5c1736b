//! CatalogService: the catalogue, read-only, as the application reads it (`app::catalog`).

use tonic::{Request, Response, Status};
use tracing::instrument;

use super::access::caller_of;
use super::convert::{
    as_of_date, indicator_to_proto, maturity_framework_to_proto, organization_kind_from_proto,
    organization_to_proto, period_to_proto, plan_to_proto,
};
use crate::app::catalog::{OrganizationsAsked, PageAsked, page_of};
use crate::app::pagination::PageTokens;
use crate::app::{App, AppError, Caller};
use crate::domain::formats::{Field, check_fields};
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
    app: App,
}

/// One page of a list, in its order, and the token for the next.
pub(super) fn paged<T, P>(
    page_tokens: &PageTokens,
    items: &[T],
    key: impl Fn(&T) -> &str,
    to_proto: impl Fn(&T) -> P,
    (page_size, page_token): (i32, &str),
    list: &str,
) -> Result<(Vec<P>, String), AppError> {
    let page = PageAsked {
        size: page_size,
        token: page_token,
        filters: list,
    };
    let (page, next_page_token) = page_of(page_tokens, items, key, page)?;
    Ok((page.iter().map(to_proto).collect(), next_page_token))
}

impl CatalogApi {
    pub fn new(app: &App) -> Self {
        CatalogApi { app: app.clone() }
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
        let filters = format!(
            "as_of={as_of};kind={};province={}",
            request.kind, request.province_code
        );
        let asked = OrganizationsAsked {
            as_of,
            kind,
            province_code: &request.province_code,
        };
        let page = PageAsked {
            size: request.page_size,
            token: &request.page_token,
            filters: &filters,
        };
        let found = self.app.organizations(caller, asked, page).await?;
        Ok(ListOrganizationsResponse {
            organizations: found
                .entries
                .iter()
                .map(|organization| {
                    organization_to_proto(organization, &found.catalog.links, as_of)
                })
                .collect(),
            next_page_token: found.next_page_token,
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
        let (organization, catalog) = self.app.organization(caller, &request.code).await?;
        Ok(organization_to_proto(&organization, &catalog.links, as_of))
    }

    async fn list_maturity_frameworks(
        &self,
        request: ListMaturityFrameworksRequest,
        caller: &Caller,
    ) -> Result<ListMaturityFrameworksResponse, AppError> {
        AppError::check_fields(&[("period_code", Field::OptionalCode(&request.period_code))])?;
        let filters = format!("maturity_frameworks;period={}", request.period_code);
        let page = PageAsked {
            size: request.page_size,
            token: &request.page_token,
            filters: &filters,
        };
        let found = self
            .app
            .maturity_frameworks(caller, &request.period_code, page)
            .await?;
        Ok(ListMaturityFrameworksResponse {
            frameworks: found
                .entries
                .iter()
                .map(maturity_framework_to_proto)
                .collect(),
            next_page_token: found.next_page_token,
        })
    }

    async fn get_maturity_framework(
        &self,
        request: GetMaturityFrameworkRequest,
        caller: &Caller,
    ) -> Result<MaturityFramework, AppError> {
        AppError::check_fields(&[("code", Field::Code(&request.code))])?;
        let framework = self.app.maturity_framework(caller, &request.code).await?;
        Ok(maturity_framework_to_proto(&framework))
    }
}

/// The page a list request without filters asks for.
fn unfiltered<'a>(page_size: i32, page_token: &'a str, list: &'a str) -> PageAsked<'a> {
    PageAsked {
        size: page_size,
        token: page_token,
        filters: list,
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
        let caller = caller_of(&request)?;
        let request = request.into_inner();
        let page = unfiltered(request.page_size, &request.page_token, "indicators");
        let found = self.app.indicators(&caller, page).await?;
        Ok(Response::new(ListIndicatorsResponse {
            indicators: found.entries.iter().map(indicator_to_proto).collect(),
            next_page_token: found.next_page_token,
        }))
    }

    #[instrument(skip_all)]
    async fn list_plans(
        &self,
        request: Request<ListPlansRequest>,
    ) -> Result<Response<ListPlansResponse>, Status> {
        let caller = caller_of(&request)?;
        let request = request.into_inner();
        let page = unfiltered(request.page_size, &request.page_token, "plans");
        let found = self.app.plans(&caller, page).await?;
        Ok(Response::new(ListPlansResponse {
            plans: found.entries.iter().map(plan_to_proto).collect(),
            next_page_token: found.next_page_token,
        }))
    }

    #[instrument(skip_all)]
    async fn list_periods(
        &self,
        request: Request<ListPeriodsRequest>,
    ) -> Result<Response<ListPeriodsResponse>, Status> {
        let caller = caller_of(&request)?;
        let request = request.into_inner();
        let page = unfiltered(request.page_size, &request.page_token, "periods");
        let found = self.app.periods(&caller, page).await?;
        Ok(Response::new(ListPeriodsResponse {
            periods: found.entries.iter().map(period_to_proto).collect(),
            next_page_token: found.next_page_token,
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
