//! Procedural macros behind `rbac-axum`. Depend on `rbac-axum`, which
//! re-exports them with their documentation; this crate is an implementation
//! detail and its generated code calls `::rbac_axum::__private` only.
//!
//! Each macro goes parse → validate → expand, one module per step:
//! `ast` parses the input into a typed model, `check` validates it, every
//! error collected in a `ctxt::Ctxt` so that one build shows them all,
//! and `expand` generates the code.

use proc_macro::TokenStream;

mod ctxt;
mod requires;
mod roles;
mod suggest;

// Declares the application's roles, their inheritance and its scopes. Its
// documentation is on rbac-axum's re-export, the page users read.
#[allow(missing_docs)]
#[proc_macro]
pub fn roles(input: TokenStream) -> TokenStream {
    roles::expand(input.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}

// Guards an async handler with a role/scope requirement. Documented on
// rbac-axum's re-export.
#[allow(missing_docs)]
#[proc_macro_attribute]
pub fn requires(args: TokenStream, item: TokenStream) -> TokenStream {
    requires::expand(args.into(), item.into()).into()
}

// Expands the `#[requires]` of an impl block's methods. Documented on
// rbac-axum's re-export.
#[allow(missing_docs)]
#[proc_macro_attribute]
pub fn handlers(args: TokenStream, item: TokenStream) -> TokenStream {
    requires::expand_impl_block(args.into(), item.into()).into()
}

// A requirement for a whole router, as a `route_layer`. Documented on
// rbac-axum's re-export.
#[allow(missing_docs)]
#[proc_macro]
pub fn require(input: TokenStream) -> TokenStream {
    requires::expand_router(input.into()).into()
}
