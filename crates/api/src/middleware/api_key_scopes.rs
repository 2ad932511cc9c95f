//! Which API-key scope each route needs: the one table to extend when a route becomes usable by programs.
//! A route not covered here refuses API keys (403 code 2004), so a new route is closed to keys until someone
//! decides which scope it belongs to.

use axum::http::Method;
use identity::Scope;

/// Route prefixes that manage credentials, sessions or other people: only a person with a session may use
/// them, whatever scopes a key holds.
const SESSION_ONLY_PREFIXES: &[&str] = &["/v1/auth/", "/v1/api-keys", "/v1/admin/", "/v1/users/me/password"];

/// The scope a key needs for `method` on the route template `route` (`/v1/assets/{code}`, not the raw path);
/// `None` when keys may not use the route at all.
pub fn required_scope(method: &Method, route: &str) -> Option<Scope> {
    if SESSION_ONLY_PREFIXES.iter().any(|prefix| route.starts_with(prefix)) {
        return None;
    }
    match (method.as_str(), route) {
        // Money leaving the caller's wallets (to another user or off the platform) needs `withdraw`; placing,
        // amending and cancelling orders need `trade`.
        ("POST", "/v1/wallets/transfers") => Some(Scope::Withdraw),
        ("POST", "/v1/wallets/withdrawals") => Some(Scope::Withdraw),
        // A rebalancing plan changes nothing; the portfolio's records (holdings, activities, imports) are
        // changes to the account that move no money: `trade`, the scope for acting on the account.
        ("POST", "/v1/portfolio/rebalance") => Some(Scope::Read),
        ("POST" | "PATCH" | "DELETE", route) if route.starts_with("/v1/portfolio/") => Some(Scope::Trade),
        ("POST" | "PATCH" | "DELETE", "/v1/orders" | "/v1/orders/{id}") => Some(Scope::Trade),
        ("GET" | "HEAD", _) => Some(Scope::Read),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_need_read_and_credentials_are_session_only() {
        assert_eq!(required_scope(&Method::GET, "/v1/assets/{code}"), Some(Scope::Read));
        assert_eq!(required_scope(&Method::HEAD, "/v1/users/me"), Some(Scope::Read));
        assert_eq!(required_scope(&Method::PATCH, "/v1/users/me"), None);
        assert_eq!(
            required_scope(&Method::POST, "/v1/wallets/transfers"),
            Some(Scope::Withdraw)
        );
        assert_eq!(required_scope(&Method::GET, "/v1/portfolio"), Some(Scope::Read));
        assert_eq!(
            required_scope(&Method::POST, "/v1/portfolio/rebalance"),
            Some(Scope::Read)
        );
        for (method, route) in [
            (Method::POST, "/v1/portfolio/holdings"),
            (Method::PATCH, "/v1/portfolio/holdings/{id}"),
            (Method::DELETE, "/v1/portfolio/holdings/{id}"),
            (Method::POST, "/v1/portfolio/activities"),
            (Method::POST, "/v1/portfolio/activities/import"),
            (Method::POST, "/v1/orders"),
            (Method::PATCH, "/v1/orders/{id}"),
            (Method::DELETE, "/v1/orders/{id}"),
            (Method::DELETE, "/v1/orders"),
        ] {
            assert_eq!(required_scope(&method, route), Some(Scope::Trade), "{method} {route}");
        }
        for route in [
            "/v1/api-keys",
            "/v1/api-keys/{id}",
            "/v1/auth/sessions",
            "/v1/admin/audit",
            "/v1/users/me/password",
        ] {
            for method in [Method::GET, Method::POST, Method::DELETE] {
                assert_eq!(required_scope(&method, route), None, "{method} {route}");
            }
        }
    }
}
