//! Compile-time behaviour of `scope!`: the exact error for a scope `roles!`
//! does not declare. Regenerate expectations with `TRYBUILD=overwrite cargo
//! test -p rbac-axum-test --test ui` and read the diff before committing.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
