//! One module per resource; each exposes `router()` and its handlers, merged in [`crate::app`].

pub mod assets;
pub mod auth;
pub mod ops;
pub mod two_factor;
pub mod users;
