rbac_axum::roles! {
    admin,
    scopes: [
        /// Read users.
        "users:read",
        #[cfg(test)]
        "users:write",
    ],
}

fn main() {}
