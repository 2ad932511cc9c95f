//! What every bounded context stands on: configuration, secrets, storage and migrations, the transactional
//! outbox and the event bus, the clock, and telemetry. Nothing here knows about money or users.

pub mod audit;
pub mod bus;
pub mod clock;
pub mod config;
pub mod context;
pub mod crypto;
pub mod db;
pub mod hmac_sha256;
pub mod keys;
pub mod outbox;
pub mod probe;
pub mod rate_limit;
pub mod replay;
pub mod secret;
pub mod telemetry;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod text;

pub use bus::{Event, EventBus, InProcessBus, Subscription};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, ConfigError, LogFormat, Section};
pub use context::RequestContext;
pub use db::{Backend, Db, DbError, Tx};
pub use keys::{KeyError, Keys};
pub use secret::Secret;
