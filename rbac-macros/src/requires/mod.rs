//! `#[requires(...)]`: a role/scope requirement on an async handler;
//! `#[handlers]`, which expands it on the methods of an `impl` block; and
//! `require!(...)`, the same requirement for a whole router.

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

/// `require!(…)`: the requirement as an expression, or its errors.
pub(crate) fn expand_router(input: TokenStream) -> TokenStream {
    let args = ast::RequiresAttr { span: proc_macro2::Span::call_site(), args: syn::parse2(input) };
    match check::check_router_requirement(args) {
        Ok(rule) => expand::expand_router_requirement(&rule),
        Err(error) => error.into_compile_error(),
    }
}
