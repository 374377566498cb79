//! `#[requires(...)]`: a role/scope requirement on an async handler.

mod ast;
mod check;
mod expand;

use proc_macro2::TokenStream;
use quote::ToTokens;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let handler = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(item) => item,
        // Not an item at all: let rustc report it, unchanged.
        Err(error) => return fallback(error, item),
    };
    match try_expand(args, handler.clone()) {
        Ok(tokens) => tokens,
        // Sibling `#[requires]` were read (and reported) with this one: they
        // go, or each would report the same mistake again.
        Err(error) => fallback(error, without_siblings(handler).into_token_stream()),
    }
}

fn without_siblings(mut item: syn::Item) -> syn::Item {
    if let syn::Item::Fn(function) = &mut item {
        function.attrs.retain(|attr| !check::is_requires(attr.path()));
    }
    item
}

fn try_expand(args: TokenStream, item: syn::Item) -> syn::Result<TokenStream> {
    let handler = check::handler(item)?;
    let (handler, rule) = check::rule(args, handler)?;
    Ok(expand::expand(handler, rule))
}

/// The error and the user's item as written, so one mistake gives one
/// error rather than an extra "cannot find function" where it is routed.
fn fallback(error: syn::Error, item: TokenStream) -> TokenStream {
    let mut tokens = error.into_compile_error();
    item.to_tokens(&mut tokens);
    tokens
}
