use axum::http::StatusCode;
use rbac_axum::requires;

rbac_axum::roles! {
    r0, r1, r2, r3, r4, r5, r6,
    scopes: ["s0", "s1", "s2", "s3", "s4", "s5"],
}

// Thirteen names under `not(…)`: more than the compiler checks for coverage.
#[requires(not(all(
    role = "r0", role = "r1", role = "r2", role = "r3", role = "r4", role = "r5", role = "r6",
    scope = "s0", scope = "s1", scope = "s2", scope = "s3", scope = "s4", scope = "s5",
)))]
async fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {}
