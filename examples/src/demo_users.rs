//! The demo users, one per role. Their passwords are published here and in
//! `--help` on purpose: they are local demo credentials, not secrets;
//! delete the users (or the data directory) before exposing the service
//! anywhere.

use crate::Role;

/// A seeded demo user.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DemoUser {
    /// The login name.
    pub(crate) username: &'static str,
    /// The password, published on purpose.
    pub(crate) password: &'static str,
    /// The one role granted.
    pub(crate) role: Role,
}

/// One demo user per role.
pub(crate) const USERS: [DemoUser; 3] = [
    DemoUser { username: "alice", password: "alice-demo", role: Role::Admin },
    DemoUser { username: "bob", password: "bob-demo", role: Role::Editor },
    DemoUser { username: "carol", password: "carol-demo", role: Role::Viewer },
];
