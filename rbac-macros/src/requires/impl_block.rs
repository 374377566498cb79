//! `#[handlers]` on an `impl` block: its methods' `#[requires]` are expanded
//! here, since the items that carry a requirement (a marker type, its impl,
//! the `const` checks) cannot live inside an `impl`. They go before the
//! block, in its module, where `cargo check` evaluates the checks as it does
//! for a free function's; the methods stay in the block, guarded.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{ImplItem, ImplItemFn, ItemImpl};

use super::ast::{Handler, RequiresAttr, is_requires};
use super::expand::Owner;
use super::{check, expand};

pub(crate) fn expand_block(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut block: ItemImpl = match syn::parse2(item.clone()) {
        Ok(block) => block,
        // An `impl` with a syntax error: rustc reports it, once, as written.
        Err(_) if is_impl(&item) => return item,
        Err(_) => return expand::fallback(syn::Error::new_spanned(&args, NOT_AN_IMPL), item),
    };
    let refusal = if !args.is_empty() {
        Some(syn::Error::new_spanned(&args, "`#[handlers]` takes no arguments"))
    } else {
        block.trait_.as_ref().map(|(path, _)| {
            syn::Error::new_spanned(
                path,
                "`#[handlers]` goes on an inherent `impl` block: the guard changes a handler's \
                 arguments, which a trait's methods cannot",
            )
        })
    };
    if let Some(error) = refusal {
        // Without their `#[requires]`, which would each be another error.
        for member in &mut block.items {
            if let ImplItem::Fn(method) = member {
                method.attrs.retain(|attr| !is_requires(attr));
            }
        }
        return expand::fallback(error, block);
    }
    let owner = owner(&block.self_ty);
    let mut items = TokenStream::new();
    for member in &mut block.items {
        if let ImplItem::Fn(method) = member
            && method.attrs.iter().any(is_requires)
        {
            guard_method(method, &owner, &mut items);
        }
    }
    quote!(#items #block)
}

const NOT_AN_IMPL: &str = "`#[handlers]` goes on an `impl` block whose methods carry `#[requires]`, \
     e.g. `#[handlers] impl Api { #[requires(role = \"admin\")] async fn list() {} }`";

/// Expands the method's `#[requires]`: the items into `items`, the guarded
/// method in place (or, on an error, the error into `items` and the method
/// as written, made async so that where it is routed it still is one).
fn guard_method(method: &mut ImplItemFn, owner: &Owner, items: &mut TokenStream) {
    let (requires, kept): (Vec<_>, Vec<_>) =
        std::mem::take(&mut method.attrs).into_iter().partition(is_requires);
    let handler = Handler {
        attrs: kept,
        vis: method.vis.clone(),
        sig: method.sig.clone(),
        // Only the attributes and the signature are read and changed: the
        // body stays in the method.
        body: proc_macro2::Group::new(proc_macro2::Delimiter::Brace, TokenStream::new()),
    };
    for attr in &requires {
        // The attribute is expanded here, never resolved by rustc: this
        // resolves its path, so that the user's `use …::requires` counts as
        // used and is still checked.
        let path = attr.path();
        items.extend(quote!(#[allow(unused_imports)] use #path as _;));
    }
    let attrs = requires.iter().map(RequiresAttr::sibling).collect();
    let guarded = match check::check(&handler, attrs) {
        Ok(rule) => {
            let (generated, guarded) = expand::expand_parts(handler, &rule, Some(owner));
            generated.to_tokens(items);
            guarded
        }
        Err(error) => {
            error.into_compile_error().to_tokens(items);
            let mut handler = handler;
            let fn_span = handler.sig.fn_token.span;
            handler.sig.asyncness.get_or_insert(syn::Token![async](fn_span));
            handler
        }
    };
    method.attrs = guarded.attrs;
    method.sig = guarded.sig;
}

/// Whether `item` is an `impl` block, however malformed inside: its first
/// keyword, after attributes, visibility, `unsafe` and `default`, is `impl`.
fn is_impl(item: &TokenStream) -> bool {
    let mut tokens = item.clone().into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            // `#[…]`: the group follows.
            proc_macro2::TokenTree::Punct(punct) if punct.as_char() == '#' => {
                tokens.next();
            }
            proc_macro2::TokenTree::Ident(ident) if ident == "pub" => {
                if matches!(tokens.peek(), Some(proc_macro2::TokenTree::Group(_))) {
                    tokens.next();
                }
            }
            proc_macro2::TokenTree::Ident(ident) if ident == "unsafe" || ident == "default" => {}
            proc_macro2::TokenTree::Ident(ident) => return ident == "impl",
            _ => return false,
        }
    }
    false
}

/// The implemented type's name (`Api` for `impl<S> Api<S>`) and a hash of
/// the whole type, for the generated items' names and the logs.
fn owner(ty: &syn::Type) -> Owner {
    let name = match ty {
        syn::Type::Path(path) if path.qself.is_none() => {
            path.path.segments.last().map(|last| last.ident.clone())
        }
        _ => None,
    };
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&ty.to_token_stream().to_string(), &mut hasher);
    Owner {
        name: name.unwrap_or_else(|| syn::Ident::new("Handlers", ty.span())),
        // The low half of the hash: enough to tell a module's impl blocks apart.
        hash: std::hash::Hasher::finish(&hasher) as u32,
    }
}
