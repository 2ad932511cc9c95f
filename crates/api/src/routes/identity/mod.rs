//! Accounts, sessions, two-factor authentication, staff and API keys.

pub mod admin_users;
pub mod api_keys;
pub mod auth;
pub mod schemas;
pub mod staff;
pub mod two_factor;
pub mod users;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every route of the context; a new route is one more line here.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::list_sessions, auth::revoke_other_sessions))
        .routes(routes!(auth::revoke_session))
        .routes(routes!(two_factor::setup))
        .routes(routes!(two_factor::enable))
        .routes(routes!(two_factor::disable))
        .routes(routes!(two_factor::verify))
        .routes(routes!(users::me))
        .routes(routes!(users::update_me))
        .routes(routes!(users::change_password))
        .routes(routes!(staff::invite_staff))
        .routes(routes!(staff::accept_invite))
        .routes(routes!(admin_users::list_users))
        .routes(routes!(admin_users::get_user))
        .routes(routes!(admin_users::suspend_user))
        .routes(routes!(admin_users::unsuspend_user))
        .routes(routes!(admin_users::change_role))
        .routes(routes!(api_keys::create_api_key))
        .routes(routes!(api_keys::list_api_keys))
        .routes(routes!(api_keys::revoke_api_key))
}
