//! `#[requires(...)]`: a role/scope requirement on an async handler, and
//! `#[handlers]`, which expands it on the methods of an `impl` block.

mod ast;
mod check;
mod expand;
mod impl_block;

pub(crate) use impl_block::expand_block as expand_impl_block;

use proc_macro2::TokenStream;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let input = match ast::Input::parse(args, item.clone()) {
        Ok(input) => input,
        // Not a function, or not one syn can read: the item as written.
        Err(error) => return expand::fallback(error, item),
    };
    match check::check(&input.handler, input.attrs) {
        Ok(rule) => expand::expand(input.handler, &rule),
        // The other `#[requires]` were read and reported with this one:
        // they stay out, or each would report the same mistake again. A
        // handler written without `async` is given it, so that where it is
        // routed it still is one: the mistake stays one error, ours.
        Err(error) => {
            let mut handler = input.handler;
            let fn_span = handler.sig.fn_token.span;
            handler.sig.asyncness.get_or_insert(syn::Token![async](fn_span));
            expand::fallback(error, handler)
        }
    }
}
