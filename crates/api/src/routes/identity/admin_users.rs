//! `/v1/admin/users`: the user directory for staff — search, look up, suspend and reinstate, change roles.

use crate::auth::Client;
use crate::envelope::{Envelope, ErrorEnvelope, Page, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::openapi::answers::{BadInput, JsonBody, NotFound, Staff};
use crate::pagination;
use crate::permission::{Permitted, StaffManage, UsersRead, UsersSuspend};
use crate::routes::identity::schemas::RoleName;
use crate::routes::identity::schemas::UserView;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use identity::{Role, UserQuery, UserStatus};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

const MAX_SEARCH_CHARS: usize = 100;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum StatusName {
    Active,
    Suspended,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// A fragment of the email or full name, case-insensitive.
    pub q: Option<String>,
    pub role: Option<RoleName>,
    // Inline: a query parameter's type is not collected into the document's schemas, and no body names it.
    #[param(inline)]
    pub status: Option<StatusName>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Search users, oldest first (permission `users:read`).
#[utoipa::path(get, path = "/v1/admin/users", tag = "admin", security(("bearer" = [])),
    params(ListUsersQuery),
    responses(
        (status = 200, description = "A page of users", body = Envelope<Page<UserView>>),
        Staff, BadInput,
    ))]
pub async fn list_users(
    State(state): State<AppState>,
    _: Permitted<UsersRead>,
    ApiQuery(query): ApiQuery<ListUsersQuery>,
) -> Result<Json<Envelope<Page<UserView>>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let text = query.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    if text.as_ref().is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS) {
        return Err(ApiError::invalid_field(
            "q",
            format!("must be at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    let after = pagination::cursor::<Uuid>(query.cursor.as_deref())?;
    let filter = UserQuery {
        text,
        role: query.role.map(Role::from),
        status: query.status.map(|s| match s {
            StatusName::Active => UserStatus::Active,
            StatusName::Suspended => UserStatus::Suspended,
        }),
        after,
    };
    let (users, more) = state.staff.list_users(&filter, limit).await?;
    let next_cursor = pagination::next_cursor(&users, more, |u| u.id.to_string());
    Ok(ok(Page {
        items: users.into_iter().map(UserView::from).collect(),
        next_cursor,
    }))
}

fn user_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::invalid_field("id", "must be a UUID"))
}

/// One user (permission `users:read`).
#[utoipa::path(get, path = "/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = Envelope<UserView>),
        Staff, BadInput, NotFound,
    ))]
pub async fn get_user(
    State(state): State<AppState>,
    _: Permitted<UsersRead>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<UserView>>, ApiError> {
    Ok(ok(state.staff.user(user_id(&id)?).await?.into()))
}

/// Suspend a user: they cannot log in, and their live tokens stop working at once (permission `users:suspend`).
#[utoipa::path(post, path = "/v1/admin/users/{id}/suspend", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The suspended user", body = Envelope<UserView>),
        Staff, BadInput, NotFound,
        (status = 409, description = "Your own account (code 3002)", body = ErrorEnvelope),
    ))]
pub async fn suspend_user(
    State(state): State<AppState>,
    Permitted { who, .. }: Permitted<UsersSuspend>,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<UserView>>, ApiError> {
    let user = state
        .staff
        .set_status(who.user_id, user_id(&id)?, UserStatus::Suspended, &client)
        .await?;
    Ok(ok(user.into()))
}

/// Reinstate a suspended user (permission `users:suspend`).
#[utoipa::path(post, path = "/v1/admin/users/{id}/unsuspend", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The reinstated user", body = Envelope<UserView>),
        Staff, BadInput, NotFound,
        (status = 409, description = "Your own account (code 3002)", body = ErrorEnvelope),
    ))]
pub async fn unsuspend_user(
    State(state): State<AppState>,
    Permitted { who, .. }: Permitted<UsersSuspend>,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<UserView>>, ApiError> {
    let user = state
        .staff
        .set_status(who.user_id, user_id(&id)?, UserStatus::Active, &client)
        .await?;
    Ok(ok(user.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: RoleName,
}

/// Change a user's role; it applies to their next request (permission `staff:manage`).
#[utoipa::path(put, path = "/v1/admin/users/{id}/role", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")), request_body = RoleChange,
    responses(
        (status = 200, description = "The user with the new role", body = Envelope<UserView>),
        Staff, JsonBody, NotFound,
        (status = 409, description = "Your own account (code 3002)", body = ErrorEnvelope),
    ))]
pub async fn change_role(
    State(state): State<AppState>,
    Permitted { who, .. }: Permitted<StaffManage>,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RoleChange>,
) -> Result<Json<Envelope<UserView>>, ApiError> {
    let user = state
        .staff
        .set_role(who.user_id, user_id(&id)?, body.role.into(), &client)
        .await?;
    Ok(ok(user.into()))
}
