//! The one place staff routes are guarded. A handler takes `Permitted<P>` for the permission `P` it needs; the
//! extractor authenticates the caller with a session (a person: API keys never reach staff routes), looks the
//! permission up in the role table (`identity::Permission`), and refuses staff who have not turned on 2FA.
//! Handlers never check roles themselves.

use crate::auth::SessionUser;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use identity::{Authenticated, Permission};
use serde_json::json;
use std::marker::PhantomData;

/// A permission named at the type level, so a route's requirement is visible in its signature.
pub trait Needs: Send + Sync {
    const PERMISSION: Permission;
}

macro_rules! permissions {
    ($($name:ident),* $(,)?) => {
        $(
            #[doc = concat!("Marker for `Permission::", stringify!($name), "`.")]
            pub struct $name;
            impl Needs for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*
    };
}

permissions!(
    UsersRead,
    UsersSuspend,
    StaffManage,
    DepositsRecord,
    WithdrawalsApprove,
    KycReview,
    MarketsManage,
    AuditRead,
);

/// A caller signed in with a session whose role holds `N::PERMISSION` and who uses 2FA.
pub struct Permitted<N: Needs> {
    pub who: Authenticated,
    need: PhantomData<N>,
}

impl<N: Needs> FromRequestParts<AppState> for Permitted<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let SessionUser(who) = SessionUser::from_request_parts(parts, state).await?;
        let permission = N::PERMISSION.as_str();
        if !who.role.allows(N::PERMISSION) {
            return Err(
                ApiError::new(ErrorCode::Forbidden, format!("This needs the {permission} permission."))
                    .with_details(json!({ "permission": permission })),
            );
        }
        if !state.two_factor.is_enabled(who.user_id).await? {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "Staff must turn on two-factor authentication (/v1/auth/2fa/setup) before using staff routes.",
            )
            .with_details(json!({ "permission": permission, "reason": "two_factor_required" })));
        }
        Ok(Permitted { who, need: PhantomData })
    }
}
