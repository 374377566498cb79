//! Compile-time behaviour of `roles!` and `#[requires]`: what compiles, and
//! the exact error for each misuse (one error per mistake, on the user's
//! token). Regenerate expectations with `TRYBUILD=overwrite cargo test -p
//! rbac-axum --test ui` and read the diff before committing.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
