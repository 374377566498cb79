//! Role and scope names as the user wrote them: an identifier or a string
//! literal, kept with its span so errors land on it.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};

/// A declared or referenced name.
#[derive(Clone)]
pub(crate) struct Name {
    pub(crate) value: String,
    pub(crate) span: Span,
}

impl Parse for Name {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(syn::LitStr) {
            let lit: syn::LitStr = input.parse()?;
            Ok(Name { value: lit.value(), span: lit.span() })
        } else if lookahead.peek(syn::Ident::peek_any) {
            let ident = syn::Ident::parse_any(input)?;
            Ok(Name { value: ident.unraw().to_string(), span: ident.span() })
        } else {
            Err(lookahead.error())
        }
    }
}

/// ", did you mean `x`?" when a declared name is close to `name`.
pub(crate) fn did_you_mean<'a>(declared: impl IntoIterator<Item = &'a str>, name: &str) -> String {
    let declared: Vec<&str> = declared.into_iter().collect();
    match rbac_core::suggest::closest(&declared, name) {
        Some(index) => format!("; did you mean `{}`?", declared[index]),
        None => String::new(),
    }
}
