//! `roles! { … }`: declared roles, inheritance, scopes.

mod ast;
mod check;
mod expand;

use proc_macro2::TokenStream;

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let decl: ast::RolesDecl = syn::parse2(input)?;
    let model = check::validate(&decl)?;
    Ok(expand::expand(&model))
}
