//! The routes, grouped by context; each exposes `router()` and its handlers, merged in [`crate::app`].

pub mod admin_audit;
pub mod assets;
pub mod funding;
pub mod identity;
pub mod ops;
pub mod wallets;
