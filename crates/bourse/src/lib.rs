//! The composition root: [`compose`] builds every context's services, the HTTP server over them and the
//! background [`workers`], and runs them together. `main` and the end-to-end tests both start servers here.

pub mod compose;
pub mod settings;
pub mod workers;

pub use compose::{BuildOptions, Server, StartupError, open_database};
pub use settings::Settings;
