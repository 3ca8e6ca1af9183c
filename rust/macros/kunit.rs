// SPDX-License-Identifier: GPL-2.0

//! The `#[kunit_tests(suite)]` attribute: runs the `#[test]` functions of a module as a KUnit
//! suite.
//!
//! The module is compiled only when `CONFIG_KUNIT=y`. Each `#[test] fn name()` gets an
//! `extern "C"` wrapper with the signature KUnit calls; the wrappers go into a null-terminated
//! `kunit_case` array and the suite is registered in the `.kunit_test_suites` section, as the C
//! `kunit_test_suite()` macro does. Inside the module `assert!` and `assert_eq!` report to KUnit
//! (a failed case, with file and line) instead of panicking. A test may return `Result`, so
//! that it can use `?`: an `Err` fails the case.

use proc_macro::{Delimiter, Group, Span, TokenStream, TokenTree};

/// Longest suite name KUnit stores (`struct kunit_suite::name` is `char[256]`).
const MAX_SUITE_NAME: usize = 255;

pub(crate) fn kunit_tests(attr: TokenStream, ts: TokenStream) -> TokenStream {
    let suite = attr.to_string();
    if suite.is_empty()
        || suite.len() > MAX_SUITE_NAME
        || !suite.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        panic!("#[kunit_tests(name)]: the suite name must be an identifier of at most 255 bytes");
    }

    let mut tokens: Vec<TokenTree> = ts.into_iter().collect();
    let body = match tokens.pop() {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => g,
        _ => panic!("#[kunit_tests] applies to an inline module: `mod tests {{ ... }}`"),
    };
    if !tokens
        .iter()
        .any(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "mod"))
    {
        panic!("#[kunit_tests] applies to an inline module: `mod tests {{ ... }}`");
    }

    let (items, tests) = strip_test_attributes(body.stream());
    if tests.is_empty() {
        panic!("#[kunit_tests({suite})]: the module has no `#[test]` function");
    }

    // `assert!`/`assert_eq!` in the tests report to KUnit; the textual scope of these
    // `macro_rules!` shadows the prelude macros in the whole module.
    let generated = format!(
        r#"
        #[allow(unused_macros)]
        macro_rules! assert {{
            ($cond:expr $(,)?) => {{{{
                ::kernel::kunit_assert!("{suite}", ::core::file!(), 0, $cond);
            }}}};
        }}
        #[allow(unused_macros)]
        macro_rules! assert_eq {{
            ($left:expr, $right:expr $(,)?) => {{{{
                ::kernel::kunit_assert_eq!("{suite}", ::core::file!(), 0, $left, $right);
            }}}};
        }}
        /// What a test returns: nothing, or a `Result` whose `Err` fails the case.
        trait KunitTestReturn {{
            fn returned_ok(&self) -> bool;
        }}
        impl KunitTestReturn for () {{
            fn returned_ok(&self) -> bool {{
                true
            }}
        }}
        impl<T, E> KunitTestReturn for ::core::result::Result<T, E> {{
            fn returned_ok(&self) -> bool {{
                self.is_ok()
            }}
        }}
        "#
    );
    // The generated code has a fixed shape and the suite name was checked to be an identifier:
    // a parse error here is a bug in this macro, reported at compile time like any macro panic.
    let prelude: TokenStream = generated.parse().expect("generated assertion macros parse");

    let mut cases = String::new();
    for test in &tests {
        cases += &format!(
            r#"
            unsafe extern "C" fn kunit_rust_wrapper_{test}(_test: *mut ::kernel::bindings::kunit) {{
                let returned = {test}();
                assert!(KunitTestReturn::returned_ok(&returned));
            }}
            "#
        );
    }
    cases += &format!(
        "static mut TEST_CASES: [::kernel::bindings::kunit_case; {}] = [",
        tests.len() + 1
    );
    for test in &tests {
        cases += &format!(
            "::kernel::kunit::kunit_case(::kernel::c_str!(\"{test}\"), kunit_rust_wrapper_{test}),"
        );
    }
    cases += &format!(
        "::kernel::kunit::kunit_case_null()];
        ::kernel::kunit_unsafe_test_suite!({suite}, TEST_CASES);"
    );
    // Same shape argument as for `prelude`; test names are identifiers taken from `fn` items.
    let registration: TokenStream = cases.parse().expect("generated test cases parse");

    let mut new_body = TokenStream::new();
    new_body.extend(prelude);
    new_body.extend(items);
    new_body.extend(registration);

    let mut out: TokenStream = "#[cfg(CONFIG_KUNIT=\"y\")]"
        .parse()
        .expect("a constant attribute parses");
    out.extend(tokens);
    let mut group = Group::new(Delimiter::Brace, new_body);
    group.set_span(Span::call_site());
    out.extend([TokenTree::Group(group)]);
    out
}

/// Removes `#[test]` from the module's items (it would compile them out, as for `cargo test`)
/// and returns the names of the functions that carried it.
fn strip_test_attributes(body: TokenStream) -> (TokenStream, Vec<String>) {
    let mut out = Vec::new();
    let mut tests = Vec::new();
    let mut pending_test = false;
    let mut iter = body.into_iter().peekable();
    while let Some(tt) = iter.next() {
        if let TokenTree::Punct(p) = &tt {
            if p.as_char() == '#' {
                if let Some(TokenTree::Group(g)) = iter.peek() {
                    if g.delimiter() == Delimiter::Bracket && g.stream().to_string() == "test" {
                        iter.next();
                        pending_test = true;
                        continue;
                    }
                }
            }
        }
        if pending_test {
            if let TokenTree::Ident(i) = &tt {
                if i.to_string() == "fn" {
                    match iter.peek() {
                        Some(TokenTree::Ident(name)) => tests.push(name.to_string()),
                        _ => panic!("#[test] must be followed by `fn name()`"),
                    }
                    pending_test = false;
                }
            }
        }
        out.push(tt);
    }
    (out.into_iter().collect(), tests)
}
