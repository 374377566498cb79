//! Parsing `roles!` input into a typed model, before any validation.
//!
//! ```text
//! roles! {
//!     /// Runs the site.
//!     admin: editor => ["users:read", "users:write"],
//!     editor: viewer => ["posts:write"],
//!     viewer => ["posts:read"],
//!     scopes: ["users:read", "users:write", "posts:read", "posts:write"],
//!     state = AppState,            // optional: the router state, checked here
//!     crate = ::renamed_rbac_axum, // optional, when the facade is renamed
//! }
//! ```

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, LitStr, Token, bracketed};

syn::custom_keyword!(scopes);
syn::custom_keyword!(state);

pub(crate) struct RolesDecl {
    pub(crate) roles: Vec<RoleDecl>,
    /// Each `scopes: [...]` entry (more than one is an error found later).
    pub(crate) scopes: Vec<ScopesDecl>,
    /// `crate = path`: the facade's path when renamed in Cargo.toml.
    pub(crate) krate: Vec<(Token![crate], syn::Path)>,
    /// `state = Type`: the router state of the crate's handlers.
    pub(crate) state: Vec<(state, syn::Type)>,
}

pub(crate) struct RoleDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Name,
    pub(crate) parents: Vec<Name>,
    pub(crate) grantable: Vec<LitStr>,
}

/// A role's name as the user wrote it: an identifier or a string literal,
/// kept with its span so that errors land on it.
pub(crate) struct Name {
    pub(crate) value: String,
    pub(crate) span: Span,
}

pub(crate) struct ScopesDecl {
    pub(crate) keyword: scopes,
    pub(crate) names: Vec<LitStr>,
}

impl Parse for RolesDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut roles = Vec::new();
        let mut scope_decls = Vec::new();
        let mut krate = Vec::new();
        let mut states = Vec::new();
        while !input.is_empty() {
            let attrs = input.call(Attribute::parse_outer)?;
            if input.peek(Token![crate]) && input.peek2(Token![=]) {
                let key: Token![crate] = input.parse()?;
                input.parse::<Token![=]>()?;
                krate.push((key, input.call(syn::Path::parse_mod_style)?));
            } else if input.peek(state) && input.peek2(Token![=]) && !input.peek2(Token![=>]) {
                let key: state = input.parse()?;
                input.parse::<Token![=]>()?;
                states.push((key, input.parse()?));
            } else if input.peek(scopes) && input.peek2(Token![:]) {
                let keyword: scopes = input.parse()?;
                input.parse::<Token![:]>()?;
                let names = string_list(input)?;
                scope_decls.push(ScopesDecl { keyword, names });
            } else {
                let name: Name = input.parse()?;
                let mut parents = Vec::new();
                if input.peek(Token![:]) {
                    input.parse::<Token![:]>()?;
                    loop {
                        parents.push(input.parse()?);
                        if !input.peek(Token![+]) {
                            break;
                        }
                        input.parse::<Token![+]>()?;
                    }
                }
                let grantable = if input.peek(Token![=>]) {
                    input.parse::<Token![=>]>()?;
                    string_list(input)?
                } else {
                    Vec::new()
                };
                roles.push(RoleDecl { attrs, name, parents, grantable });
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(RolesDecl { roles, scopes: scope_decls, krate, state: states })
    }
}

fn string_list(input: ParseStream) -> syn::Result<Vec<LitStr>> {
    let content;
    bracketed!(content in input);
    let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
    Ok(list.into_iter().collect())
}

impl Parse for Name {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            Ok(Name { value: lit.value(), span: lit.span() })
        } else if lookahead.peek(syn::Ident::peek_any) {
            let ident = syn::Ident::parse_any(input)?;
            Ok(Name { value: ident.unraw().to_string(), span: ident.span() })
        } else {
            Err(lookahead.error())
        }
    }
}
