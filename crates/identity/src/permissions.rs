//! What each role may do. One table, read by the API's permission extractor: a route names the permission it
//! needs and never checks roles itself. Later contexts add their permissions here.

use crate::model::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    UsersRead,
    UsersSuspend,
    StaffManage,
    DepositsRecord,
    WithdrawalsApprove,
    KycReview,
    MarketsManage,
    AuditRead,
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Permission::UsersRead,
        Permission::UsersSuspend,
        Permission::StaffManage,
        Permission::DepositsRecord,
        Permission::WithdrawalsApprove,
        Permission::KycReview,
        Permission::MarketsManage,
        Permission::AuditRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::UsersRead => "users:read",
            Permission::UsersSuspend => "users:suspend",
            Permission::StaffManage => "staff:manage",
            Permission::DepositsRecord => "deposits:record",
            Permission::WithdrawalsApprove => "withdrawals:approve",
            Permission::KycReview => "kyc:review",
            Permission::MarketsManage => "markets:manage",
            Permission::AuditRead => "audit:read",
        }
    }
}

/// Tellers serve customers at the counter (look them up, take cash in, check documents, release withdrawals);
/// admins run the platform. Customers hold no staff permission.
const TELLER: &[Permission] = &[
    Permission::UsersRead,
    Permission::DepositsRecord,
    Permission::WithdrawalsApprove,
    Permission::KycReview,
];

impl Role {
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            Role::Customer => &[],
            Role::Teller => TELLER,
            Role::Admin => &Permission::ALL,
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// Staff are every role that holds a permission; they must use 2FA.
    pub fn is_staff(self) -> bool {
        !self.permissions().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_hold_no_permission() {
        assert!(Permission::ALL.iter().all(|p| !Role::Customer.allows(*p)));
        assert!(!Role::Customer.is_staff());
    }

    #[test]
    fn admins_hold_every_permission() {
        assert!(Permission::ALL.iter().all(|p| Role::Admin.allows(*p)));
    }

    #[test]
    fn tellers_cannot_manage_staff_suspend_users_or_read_the_audit_log() {
        for p in [
            Permission::StaffManage,
            Permission::UsersSuspend,
            Permission::AuditRead,
            Permission::MarketsManage,
        ] {
            assert!(!Role::Teller.allows(p), "{p:?}");
        }
        assert!(Role::Teller.allows(Permission::DepositsRecord));
    }
}
