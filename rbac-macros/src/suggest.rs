//! "Did you mean" hints for a misspelt name or key.

/// "; did you mean `x`?" when a declared name is close to `name`, else
/// nothing.
pub(crate) fn did_you_mean<'a>(declared: impl IntoIterator<Item = &'a str>, name: &str) -> String {
    let declared: Vec<&str> = declared.into_iter().collect();
    match rbac_core::suggest::closest(&declared, name) {
        Some(index) => format!("; did you mean `{}`?", declared[index]),
        None => String::new(),
    }
}
