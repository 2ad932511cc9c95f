//! The routes, one module per context. Each context's `router()` lists its routes (`routes!`: path, method and
//! OpenAPI operation come from the handler's `#[utoipa::path]`); [`crate::app`] merges one router per context.

pub mod admin_audit;
pub mod assets;
pub mod funding;
pub mod identity;
pub mod ops;
pub mod portfolio;
pub mod rates;
pub mod trading;
pub mod wallets;
