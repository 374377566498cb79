//! Parsing `roles!` input into a typed model, before any validation.
//!
//! ```text
//! roles! {
//!     /// Runs the site.
//!     admin: editor + auditor => ["users:read", "users:write"],
//!     auditor: viewer,
//!     editor: viewer => ["posts:write"],
//!     viewer => ["posts:read"],
//!     scopes: [
//!         /// Read any user's profile.
//!         "users:read",
//!         "users:write", "posts:read", "posts:write",
//!     ],
//!     state = AppState,            // optional: the router state, checked here
//!     type = StaffRole,            // optional: the generated type's name (`Role`)
//!     crate = ::renamed_rbac_axum, // optional, when the facade is renamed
//! }
//! ```
//!
//! A role's name is an identifier (`admin`, `read_only`) or, for anything
//! else, a string literal (`"super-admin"`, `"self"`).

use proc_macro2::Span;
use quote::ToTokens;
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
    /// `type = Name`: the generated type's name, when not `Role`.
    pub(crate) type_name: Vec<(Token![type], syn::Ident)>,
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
    pub(crate) names: Vec<ScopeDecl>,
}

/// One entry of `scopes: [...]`: its doc comments (its description), then
/// its name.
pub(crate) struct ScopeDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: LitStr,
}

impl Parse for RolesDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut roles = Vec::new();
        let mut scope_decls = Vec::new();
        let mut krate = Vec::new();
        let mut states = Vec::new();
        let mut type_names = Vec::new();
        while !input.is_empty() {
            let attrs = input.call(Attribute::parse_outer)?;
            if input.peek(Token![crate]) && input.peek2(Token![=]) {
                let key: Token![crate] = input.parse()?;
                input.parse::<Token![=]>()?;
                krate.push((key, input.call(syn::Path::parse_mod_style)?));
            } else if input.peek(Token![type]) && input.peek2(Token![=]) && !input.peek2(Token![=>])
            {
                let key: Token![type] = input.parse()?;
                input.parse::<Token![=]>()?;
                type_names.push((key, input.parse()?));
            } else if input.peek(state) && input.peek2(Token![=]) && !input.peek2(Token![=>]) {
                let key: state = input.parse()?;
                input.parse::<Token![=]>()?;
                states.push((key, input.parse()?));
            } else if input.peek(scopes) && input.peek2(Token![:]) {
                let keyword: scopes = input.parse()?;
                input.parse::<Token![:]>()?;
                let content;
                bracketed!(content in input);
                let names = Punctuated::<ScopeDecl, Token![,]>::parse_terminated(&content)?;
                scope_decls.push(ScopesDecl { keyword, names: names.into_iter().collect() });
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
        Ok(RolesDecl { roles, scopes: scope_decls, krate, state: states, type_name: type_names })
    }
}

fn string_list(input: ParseStream) -> syn::Result<Vec<LitStr>> {
    let content;
    bracketed!(content in input);
    let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
    Ok(list.into_iter().collect())
}

impl Parse for ScopeDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Ok(ScopeDecl { attrs: input.call(Attribute::parse_outer)?, name: input.parse()? })
    }
}

impl Parse for Name {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            return Ok(Name { value: lit.value(), span: lit.span() });
        }
        if !lookahead.peek(syn::Ident::peek_any) {
            return Err(lookahead.error());
        }
        let is_keyword = !input.peek(syn::Ident);
        let ident = syn::Ident::parse_any(input)?;
        if input.peek(Token![-]) {
            // `super-admin`: read the whole name, to show it quoted.
            let mut tokens = ident.to_token_stream();
            let mut name = ident.unraw().to_string();
            while input.peek(Token![-]) {
                let dash: Token![-] = input.parse()?;
                let part: proc_macro2::TokenTree = input.parse()?;
                name.push('-');
                name.push_str(&part.to_string());
                dash.to_tokens(&mut tokens);
                part.to_tokens(&mut tokens);
            }
            return Err(quote_it(&tokens, &name, "contains `-`"));
        }
        if is_keyword {
            // `self`, `Self`, `type`…: not an identifier, so not a variant.
            return Err(quote_it(&ident, &ident.to_string(), "is a Rust keyword"));
        }
        Ok(Name { value: ident.unraw().to_string(), span: ident.span() })
    }
}

/// The error for a role name that must be written as a string literal.
fn quote_it(tokens: &impl ToTokens, name: &str, why: &str) -> syn::Error {
    syn::Error::new_spanned(
        tokens,
        format!("the role name `{name}` {why}: write it in quotes, `\"{name}\"`"),
    )
}
