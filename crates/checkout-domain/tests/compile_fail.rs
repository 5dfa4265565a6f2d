//! The transitions the typestates forbid, each shown not to compile. The expected compiler
//! errors live beside each case in `ui/*.stderr`.

#[test]
fn invalid_transitions_do_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui-pass/*.rs");
}
