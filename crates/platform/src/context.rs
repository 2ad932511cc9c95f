//! Who asks and from where: one value built once per request at the edge and passed to every context, so audit
//! records, ledger movements and identity events all name the same actor, address and request id.

use uuid::Uuid;

/// The caller of one request. `actor` is empty before sign-in (a login, a registration) and for the platform's
/// own work (a worker, the command line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub actor: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl RequestContext {
    /// The platform acting on its own (workers, start-up, the command line): no actor, no address.
    pub const SYSTEM: RequestContext = RequestContext {
        actor: None,
        ip: None,
        user_agent: None,
        request_id: None,
    };
}
