//! The OpenAPI document, generated from the handlers' annotations and served at `/api/openapi.json`, with the
//! Swagger UI (assets embedded in the binary) at `/api`.

use crate::error::ErrorCode;
use crate::routes::funding::{
    admin_deposits, admin_withdrawals, deposits, webhooks, withdrawal_destinations, withdrawals,
};
use crate::routes::identity::{admin_users, api_keys, auth, staff, two_factor, users};
use crate::routes::wallets::{admin_ledger, history as wallet_history, wallets};
use crate::routes::{admin_audit, assets, ops};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bourse API",
        description = "Crypto and fiat money platform: accounts, wallets on a double-entry ledger, rates, remittance, \
                       spot exchange.\n\nEvery response is an envelope: `{\"success\": true, \"data\": ...}` or \
                       `{\"success\": false, \"error\": {\"code\", \"type\", \"message\", \"details\", \"request_id\"}}`. \
                       Amounts, prices and rates are decimal strings. Every response carries `X-Request-Id`.",
    ),
    paths(
        assets::list_assets,
        assets::get_asset,
        auth::register,
        auth::login,
        auth::refresh,
        auth::logout,
        auth::list_sessions,
        auth::revoke_session,
        two_factor::setup,
        two_factor::enable,
        two_factor::disable,
        two_factor::verify,
        staff::invite_staff,
        staff::accept_invite,
        admin_users::list_users,
        admin_users::get_user,
        admin_users::suspend_user,
        admin_users::unsuspend_user,
        admin_users::change_role,
        admin_audit::list_audit,
        admin_deposits::record_deposit,
        webhooks::deposit_notification,
        admin_ledger::ledger_audit,
        wallets::list_wallets,
        wallets::wallet_balance,
        wallets::create_transfer,
        withdrawals::create_withdrawal,
        withdrawals::list_withdrawals,
        withdrawals::get_withdrawal,
        withdrawals::cancel_withdrawal,
        deposits::list_deposits,
        deposits::get_deposit,
        withdrawal_destinations::list_destinations,
        withdrawal_destinations::add_destination,
        withdrawal_destinations::delete_destination,
        withdrawal_destinations::get_settings,
        withdrawal_destinations::put_settings,
        admin_withdrawals::list_withdrawals,
        admin_withdrawals::approve_withdrawal,
        admin_withdrawals::reject_withdrawal,
        admin_withdrawals::complete_withdrawal,
        wallet_history::wallet_history,
        wallet_history::get_transaction,
        api_keys::create_api_key,
        api_keys::list_api_keys,
        api_keys::revoke_api_key,
        users::me,
        users::update_me,
        users::change_password,
        ops::healthz,
        ops::readyz,
        ops::metrics,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "assets", description = "The asset catalogue"),
        (name = "auth", description = "Registration, login, tokens and sessions"),
        (name = "two-factor", description = "TOTP two-factor authentication and recovery codes"),
        (name = "users", description = "The caller's account"),
        (name = "wallets", description = "Balances and transfers between users, on the double-entry ledger"),
        (name = "api-keys", description = "API keys for programs: HMAC-signed requests with scopes and IP allow-lists"),
        (name = "admin", description = "Staff administration: users, staff invites, the audit log"),
        (name = "operations", description = "Liveness, readiness, metrics"),
        (name = "webhooks", description = "Notifications from custody and payment providers, HMAC-signed per provider"),
    )
)]
struct ApiDoc;

/// Declares the `bearer` scheme the authenticated routes refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The document, with the error-code table appended to its description so it lives next to the routes.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut table = String::from("\n\n## Error codes\n\n| code | type | HTTP |\n|---|---|---|\n");
    for code in ErrorCode::ALL {
        table.push_str(&format!(
            "| {} | {} | {} |\n",
            code.code(),
            code.name(),
            code.status().as_u16()
        ));
    }
    let description = doc.info.description.get_or_insert_with(String::new);
    description.push_str(&table);
    doc
}
