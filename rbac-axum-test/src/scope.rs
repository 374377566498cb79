//! A scope name checked against the `roles!` declaration when the test
//! compiles, as `#[requires(scope = …)]` checks it.

use std::marker::PhantomData;

use rbac_axum::RoleModel;

/// A scope that `R`'s `roles!` declares. Made by [`scope!`](crate::scope),
/// which fails to compile on an undeclared name.
pub struct Scope<R> {
    name: &'static str,
    model: PhantomData<fn() -> R>,
}

impl<R> Clone for Scope<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for Scope<R> {}

impl<R> PartialEq for Scope<R> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl<R> Eq for Scope<R> {}

impl<R> std::hash::Hash for Scope<R> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl<R> std::fmt::Debug for Scope<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Scope").field(&self.name).finish()
    }
}

impl<R: RoleModel> Scope<R> {
    /// The scope `name`; evaluated in a `const` (as [`scope!`](crate::scope)
    /// does), an undeclared name fails the build with the closest declared
    /// one, as in `#[requires]`.
    pub const fn declared(name: &'static str) -> Self {
        if let Some(message) = Self::__unknown(name) {
            panic!("{}", message.as_str());
        }
        Self { name, model: PhantomData }
    }

    /// The compile error for `name`, if `R` does not declare it: what
    /// [`scope!`](crate::scope) panics with in its own `const`, so that the
    /// error shows the user's call alone.
    #[doc(hidden)]
    pub const fn __unknown(name: &str) -> Option<rbac_axum::__private::ConstMessage> {
        rbac_axum::__private::unknown_scope_of::<R>(name)
    }
}

impl<R> Scope<R> {
    /// The scope's name, as in tokens.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// A [`Scope`] of `crate::Role`, or of the model named first, checked when
/// the test compiles.
///
/// In an integration test (`tests/*.rs`), `crate` is the test itself:
/// import the service's roles at its root (`use my_service::Role;`) or name
/// them, `scope!(my_service::Role, "posts:write")`.
///
/// ```
/// rbac_axum::roles! { editor => ["posts:write"], scopes: ["posts:write"] }
///
/// fn main() {
///     let write = rbac_axum_test::scope!(Role, "posts:write");
///     assert_eq!(write.name(), "posts:write");
/// }
/// ```
///
/// ```compile_fail
/// rbac_axum::roles! { editor => ["posts:write"], scopes: ["posts:write"] }
///
/// fn main() {
///     // error: unknown scope `posts:wirte`; did you mean `posts:write`?
///     let write = rbac_axum_test::scope!(Role, "posts:wirte");
/// }
/// ```
// `crate::Role` is the caller's, as `#[requires]` defaults to.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! scope {
    ($name:literal) => {
        $crate::scope!(crate::Role, $name)
    };
    ($model:ty, $name:literal) => {{
        const SCOPE: $crate::Scope<$model> = match $crate::Scope::<$model>::__unknown($name) {
            ::core::option::Option::Some(message) => ::core::panic!("{}", message.as_str()),
            ::core::option::Option::None => $crate::Scope::<$model>::declared($name),
        };
        SCOPE
    }};
}
